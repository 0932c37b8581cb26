//! [`InvExt`]: the extension trait that gives every ndarray array `inv`.

use ndarray::{Array, ArrayBase, Data, DimMax, Dimension};

use crate::allclose::{Closeness, Tolerance};
use crate::det::Slogdet;
use crate::error::LinAlgError;
use crate::lu::Lu;
use crate::options::InvOptions;
use crate::report::{BatchDim, InvReport};
use crate::scalar::Element;
use crate::solve::SolveDim;

/// NumPy's `np.linalg.inv` (and companions) for every ndarray array of square
/// matrices: 2-D `(n, n)` or a stack `(..., n, n)` of any rank.
///
/// Implemented for every [`ArrayBase`] (owned arrays, views, `ArcArray`,
/// `CowArray`) whose element is an [`Element`]: `f32`, `f64`, `Complex<f32>`,
/// `Complex<f64>`, or a primitive integer (promoted to `f64`, as NumPy does).
pub trait InvExt {
    /// The element type of the input.
    type Elem: Element;
    /// The dimension type of the input (and of the inverse).
    type Dim: Dimension;

    /// The inverse of every matrix, in a new standard-layout array of the input's
    /// shape: `result[..., :, :] = inv(self[..., :, :])`.
    ///
    /// Computed by LU with partial pivoting: LAPACK `getrf` + `getri` for complex
    /// types and for real matrices above 64×64, and for real matrices up to 64×64
    /// this crate's own batched kernel (Gauss-Jordan with LAPACK's pivoting rule,
    /// vectorised across the stack; same singular pivots, same errors;
    /// [`Method`](crate::Method) forces either). The input is never modified; any layout is accepted (C or F order, strided, negative
    /// strides, permuted axes, broadcast views) and read exactly once. Integer
    /// input gives an `f64` result. Empty stacks and `0×0` matrices give an empty
    /// result without calling LAPACK.
    ///
    /// "Singular" means what LAPACK means: an exactly zero pivot. A nearly
    /// singular matrix is inverted, as in NumPy, and its inverse may be
    /// meaningless; to solve `A x = b`, prefer `solve`, which is faster and more
    /// accurate than multiplying by the inverse.
    ///
    /// # Errors
    ///
    /// - [`LinAlgError::NotEnoughDimensions`] when the input has fewer than 2 axes;
    /// - [`LinAlgError::NotSquare`] when the last two axes differ;
    /// - [`LinAlgError::NonFinite`] when a matrix holds NaN or ±inf;
    /// - [`LinAlgError::Singular`] when LU meets an exactly zero pivot;
    /// - [`LinAlgError::TooLarge`] when `n` does not fit LAPACK's 32-bit integer.
    ///
    /// For a stack, the error names the first failing matrix in C order.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::{array, Array3};
    ///
    /// let a = array![[1.0, 2.0], [3.0, 4.0]];
    /// let ai = a.inv()?;
    /// assert!(ai.allclose(&array![[-2.0, 1.0], [1.5, -0.5]]));
    ///
    /// // A stack of matrices, each inverted on its own.
    /// let stack = Array3::from_shape_vec((2, 2, 2), vec![1., 2., 3., 4., 1., 3., 3., 5.])?;
    /// let si = stack.inv()?;
    /// assert!(si.index_axis(ndarray::Axis(0), 1).allclose(&array![[-1.25, 0.75], [0.75, -0.25]]));
    ///
    /// // Integers promote to f64.
    /// let ints = array![[2i32, 0], [0, 4]];
    /// assert_eq!(ints.inv()?, array![[0.5, 0.0], [0.0, 0.25]]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn inv(&self) -> Result<Array<<Self::Elem as Element>::Output, Self::Dim>, LinAlgError>;

    /// [`inv`](InvExt::inv), consuming the input: an owned float or complex array in
    /// standard layout is inverted in its own buffer, so a large inverse needs no
    /// second `n×n` allocation. Any other input (views, other layouts, integers)
    /// is inverted as by `inv` and then dropped.
    ///
    /// # Errors
    ///
    /// As [`inv`](InvExt::inv). On error the consumed array is dropped (its buffer
    /// may hold partial factors); keep a copy, or call `inv`, when the input must
    /// survive a failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::array;
    ///
    /// let a = array![[4.0, 7.0], [2.0, 6.0]];
    /// let ai = a.inv_into()?; // `a` is moved; its buffer now holds the inverse
    /// assert!(ai.allclose(&array![[0.6, -0.7], [-0.2, 0.4]]));
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    fn inv_into(self) -> Result<Array<<Self::Elem as Element>::Output, Self::Dim>, LinAlgError>
    where
        Self: Sized;

    /// [`inv`](InvExt::inv) with options: skip the finite check, reject
    /// ill-conditioned matrices (`rcond_threshold`), choose the thread policy or
    /// the method. `inv()` is `inv_with(&InvOptions::default())`.
    ///
    /// # Errors
    ///
    /// As [`inv`](InvExt::inv), plus [`LinAlgError::IllConditioned`] for the first
    /// matrix whose estimated rcond is below `opts.rcond_threshold`.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::{InvExt, InvOptions, LinAlgError};
    /// use ndarray::array;
    ///
    /// let scipy_rule = InvOptions { rcond_threshold: Some(f64::EPSILON), ..InvOptions::default() };
    /// let a = array![[1.0, 1.0], [1.0, 1.0 + 2.0 * f64::EPSILON]];
    /// match a.inv_with(&scipy_rule) {
    ///     Err(LinAlgError::IllConditioned { rcond, .. }) => assert!(rcond < f64::EPSILON),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    fn inv_with(
        &self,
        opts: &InvOptions,
    ) -> Result<Array<<Self::Elem as Element>::Output, Self::Dim>, LinAlgError>;

    /// Inverts every matrix that can be inverted and reports, per matrix, what
    /// happened to the others, instead of failing the whole batch (PyTorch's
    /// `inv_ex`). Failed matrices are NaN in [`InvReport::inverse`]; their
    /// [`MatrixStatus`](crate::MatrixStatus) says why (singular with its pivot,
    /// non-finite, ill-conditioned with its rcond). With `opts.compute_rcond`, the
    /// report carries every matrix's estimated rcond.
    ///
    /// # Errors
    ///
    /// Only for the shape of the whole input: [`LinAlgError::NotEnoughDimensions`],
    /// [`LinAlgError::NotSquare`], [`LinAlgError::TooLarge`].
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::{InvExt, InvOptions, MatrixStatus};
    /// use ndarray::Array3;
    ///
    /// let mut stack = Array3::from_shape_fn((1000, 2, 2), |(_, i, j)| if i == j { 2.0f64 } else { 0.0 });
    /// stack[[500, 1, 1]] = 0.0; // one singular matrix among a thousand
    /// let opts = InvOptions { compute_rcond: true, ..InvOptions::default() };
    /// let report = stack.inv_ex(&opts)?;
    /// assert_eq!(report.status[499], MatrixStatus::Ok);
    /// assert_eq!(report.status[500], MatrixStatus::Singular { pivot: 1 });
    /// assert_eq!(report.inverse[[499, 0, 0]], 0.5);
    /// assert!(report.inverse[[500, 0, 0]].is_nan());
    /// assert_eq!(report.rcond.as_ref().unwrap()[500], 0.0);
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    fn inv_ex(
        &self,
        opts: &InvOptions,
    ) -> Result<InvReport<<Self::Elem as Element>::Output, Self::Dim>, LinAlgError>;

    /// `true` when every element is close to the matching element of `other`, by
    /// NumPy's rule with its default tolerances (`rtol = 1e-5`, `atol = 1e-8`):
    /// `(|a − b| <= atol + rtol·|b| && b finite) || a == b`, per element.
    ///
    /// `other` is the reference (the test is asymmetric, as NumPy's). Shapes are
    /// broadcast against each other; shapes that cannot be broadcast are not close.
    /// Same-sign infinities are close, NaN is not (see
    /// [`allclose_with`](InvExt::allclose_with)). Complex values use the modulus;
    /// integers are compared as `f64`. Empty arrays are close. Never fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::array;
    ///
    /// assert!(array![1e10, 1e-7].allclose(&array![1.00001e10, 1e-8]) == false);
    /// assert!(array![1e10, 1e-8].allclose(&array![1.00001e10, 1e-9]));
    /// // Broadcasting: each row against one reference row.
    /// assert!(array![[1.0, 2.0], [1.0, 2.0]].allclose(&array![1.0, 2.0]));
    /// ```
    fn allclose<S2, D2>(&self, other: &ArrayBase<S2, D2>) -> bool
    where
        S2: Data<Elem = Self::Elem>,
        D2: Dimension,
    {
        self.allclose_with(other, Tolerance::default())
    }

    /// [`allclose`](InvExt::allclose) with explicit tolerances and NaN handling.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::{InvExt, Tolerance};
    /// use ndarray::array;
    ///
    /// let a = array![1.0, f64::NAN];
    /// assert!(!a.allclose(&a));
    /// assert!(a.allclose_with(&a, Tolerance { equal_nan: true, ..Tolerance::default() }));
    /// ```
    fn allclose_with<S2, D2>(&self, other: &ArrayBase<S2, D2>, tol: Tolerance) -> bool
    where
        S2: Data<Elem = Self::Elem>,
        D2: Dimension;

    /// The element mask of [`allclose`](InvExt::allclose): `true` where
    /// `|a − b| <= atol + rtol·|b|` (with `b` finite) or `a == b`, NumPy's `isclose`
    /// with its default tolerances (`rtol = 1e-5`, `atol = 1e-8`, NaN not close).
    ///
    /// The result has the broadcast shape of `self` and `other` (NumPy's rules) and
    /// the larger dimension type of the two. `other` is the reference. Complex
    /// values use the modulus; integers are compared as `f64`. Neither input is
    /// modified.
    ///
    /// # Errors
    ///
    /// [`LinAlgError::ShapeMismatch`] when the shapes cannot be broadcast.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::array;
    ///
    /// // np.isclose([1e10, 1e-7], [1.00001e10, 1e-8]) -> array([ True, False])
    /// assert_eq!(array![1e10, 1e-7].isclose(&array![1.00001e10, 1e-8])?, array![true, false]);
    /// // Broadcasting a row against a matrix.
    /// let mask = array![[1.0, 2.0], [1.0, 3.0]].isclose(&array![1.0, 2.0])?;
    /// assert_eq!(mask, array![[true, true], [true, false]]);
    /// assert!(array![1.0, 2.0].isclose(&array![1.0, 2.0, 3.0]).is_err());
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    fn isclose<S2, D2>(
        &self,
        other: &ArrayBase<S2, D2>,
    ) -> Result<Array<bool, <Self::Dim as DimMax<D2>>::Output>, LinAlgError>
    where
        S2: Data<Elem = Self::Elem>,
        D2: Dimension,
        Self::Dim: DimMax<D2>,
    {
        self.isclose_with(other, Tolerance::default())
    }

    /// [`isclose`](InvExt::isclose) with explicit tolerances and NaN handling.
    ///
    /// # Errors
    ///
    /// [`LinAlgError::ShapeMismatch`] when the shapes cannot be broadcast.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::{InvExt, Tolerance};
    /// use ndarray::array;
    ///
    /// // np.isclose([1.0, np.nan], [1.0, np.nan], equal_nan=True) -> array([ True, True])
    /// let both = Tolerance { equal_nan: true, ..Tolerance::default() };
    /// let a = array![1.0, f64::NAN];
    /// assert_eq!(a.isclose_with(&a, both)?, array![true, true]);
    /// // np.isclose([1e-100, 1e-7], [0.0, 0.0], atol=0.0) -> array([False, False])
    /// let no_atol = Tolerance { atol: 0.0, ..Tolerance::default() };
    /// assert_eq!(array![1e-100, 1e-7].isclose_with(&array![0.0, 0.0], no_atol)?, array![false, false]);
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    fn isclose_with<S2, D2>(
        &self,
        other: &ArrayBase<S2, D2>,
        tol: Tolerance,
    ) -> Result<Array<bool, <Self::Dim as DimMax<D2>>::Output>, LinAlgError>
    where
        S2: Data<Elem = Self::Elem>,
        D2: Dimension,
        Self::Dim: DimMax<D2>;

    /// Why `self` is or is not [`allclose`](InvExt::allclose) to `other` (default
    /// tolerances): a [`Closeness`] report with the number of elements that fail,
    /// the first one (multi-index and both values) and the largest absolute and
    /// relative differences. Its `Display` is what
    /// [`assert_allclose!`](crate::assert_allclose) prints. Neither input is
    /// modified.
    ///
    /// # Errors
    ///
    /// [`LinAlgError::ShapeMismatch`] when the shapes cannot be broadcast.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::array;
    ///
    /// let report = array![1.0, 2.0, 3.0].closeness(&array![1.0, 2.5, 3.5])?;
    /// assert_eq!(report.mismatched, 2);
    /// assert_eq!(report.first.as_ref().map(|m| m.index.clone()), Some(vec![1]));
    /// assert_eq!(report.max_abs_diff, 0.5);
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    fn closeness<S2, D2>(
        &self,
        other: &ArrayBase<S2, D2>,
    ) -> Result<Closeness<<Self::Elem as Element>::Output>, LinAlgError>
    where
        S2: Data<Elem = Self::Elem>,
        D2: Dimension,
    {
        self.closeness_with(other, Tolerance::default())
    }

    /// [`closeness`](InvExt::closeness) with explicit tolerances.
    ///
    /// # Errors
    ///
    /// [`LinAlgError::ShapeMismatch`] when the shapes cannot be broadcast.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::{InvExt, Tolerance};
    /// use ndarray::array;
    ///
    /// let tight = Tolerance { rtol: 1e-12, atol: 0.0, equal_nan: false };
    /// let report = array![1.0, 2.0].closeness_with(&array![1.0, 2.0 + 1e-9], tight)?;
    /// assert!(!report.is_close());
    /// assert!(report.to_string().contains("first at [1]"));
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    fn closeness_with<S2, D2>(
        &self,
        other: &ArrayBase<S2, D2>,
        tol: Tolerance,
    ) -> Result<Closeness<<Self::Elem as Element>::Output>, LinAlgError>
    where
        S2: Data<Elem = Self::Elem>,
        D2: Dimension;

    /// Solves `A X = B` for every matrix `A` of `self`, NumPy 2's `np.linalg.solve`:
    /// `x[..., :, :] = A[..., :, :]⁻¹ · b[..., :, :]`, computed by LAPACK `getrf` +
    /// `getrs` (LU with partial pivoting and substitution), never by forming the
    /// inverse, which would be slower and less accurate.
    ///
    /// Shapes, with `self` of shape `(..., M, M)`:
    /// - a 1-D `b` of shape `(M,)` is one vector, and the result is `(..., M)`;
    /// - otherwise `b` is `(..., M, K)`, its batch axes broadcast against `self`'s
    ///   (NumPy's rules), and the result is `(broadcast..., M, K)`. A 2-D `b` is
    ///   always one matrix, even when `self` is a stack.
    ///
    /// The result type follows: `Array2.solve(&Array1) -> Array1`,
    /// `Array2.solve(&Array2) -> Array2`, `Array3.solve(&Array1) -> Array2`,
    /// `Array3.solve(&Array3) -> Array3`, `IxDyn` gives `IxDyn` (see [`SolveDim`]).
    /// `b` may be an integer array, or `self` one with a float `b`: integers
    /// promote to `f64`.
    ///
    /// Neither input is modified; any layout is accepted for both (C or F order,
    /// strided, negative strides, permuted axes, broadcast views), each read once.
    /// When `self`'s batch is broadcast against `b`'s (one matrix, many right-hand
    /// sides), each distinct matrix is factored once. To solve with the same
    /// matrices again later, keep the factors: [`lu`](InvExt::lu).
    /// Empty batches and `0×0` matrices give an empty result without calling
    /// LAPACK; a `b` with `K = 0` columns still has `self` checked (singular,
    /// non-finite), as NumPy does.
    ///
    /// "Singular" means an exactly zero pivot, as for [`inv`](InvExt::inv); a
    /// nearly singular system is solved, and its [`rcond`](Lu::rcond) says how
    /// much to trust the answer.
    ///
    /// # Errors
    ///
    /// - [`LinAlgError::NotEnoughDimensions`], [`LinAlgError::NotSquare`] as for
    ///   [`inv`](InvExt::inv), about `self`;
    /// - [`LinAlgError::ShapeMismatch`] when `b`'s `M` differs from `self`'s, `b`
    ///   is 0-D, or the batch axes do not broadcast (the message gives both shapes);
    /// - [`LinAlgError::NonFinite`] when a matrix or a right-hand side holds NaN or ±inf;
    /// - [`LinAlgError::Singular`] when LU meets an exactly zero pivot;
    /// - [`LinAlgError::TooLarge`] when `M` or `K` does not fit LAPACK's 32-bit
    ///   integer, [`LinAlgError::OutOfMemory`] when the result cannot be allocated
    ///   (broadcast views can describe more than memory holds).
    ///
    /// For a stack, the error names the first failing system in C order of the
    /// broadcast batch axes.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::{array, Array3};
    ///
    /// // NumPy's example: 3x + y = 9, x + 2y = 8.
    /// let a = array![[3.0, 1.0], [1.0, 2.0]];
    /// let x = a.solve(&array![9.0, 8.0])?;
    /// assert!(x.allclose(&array![2.0, 3.0]));
    ///
    /// // Two right-hand sides as columns of a matrix.
    /// let x2 = a.solve(&array![[9.0, 4.0], [8.0, 3.0]])?;
    /// assert!(x2.allclose(&array![[2.0, 1.0], [3.0, 1.0]]));
    ///
    /// // A stack of 4 matrices and one vector: the vector is used for each.
    /// let stack = Array3::from_shape_fn((4, 2, 2), |(k, i, j)| if i == j { k as f64 + 1.0 } else { 0.0 });
    /// let xs = stack.solve(&array![1.0, 1.0])?;
    /// assert!(xs.allclose(&array![[1.0, 1.0], [0.5, 0.5], [1.0 / 3.0, 1.0 / 3.0], [0.25, 0.25]]));
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    #[allow(clippy::type_complexity)]
    fn solve<S2, D2>(
        &self,
        b: &ArrayBase<S2, D2>,
    ) -> Result<
        Array<<Self::Elem as Element>::Output, <Self::Dim as SolveDim<D2>>::Output>,
        LinAlgError,
    >
    where
        S2: Data,
        S2::Elem: Element<Output = <Self::Elem as Element>::Output>,
        D2: Dimension,
        Self::Dim: SolveDim<D2>;

    /// The LU factorization with partial pivoting (LAPACK `getrf`) of every matrix,
    /// kept for reuse: [`Lu::solve`] for many right-hand sides, [`Lu::inv`],
    /// [`Lu::det`], [`Lu::slogdet`] and [`Lu::rcond`] (LAPACK `gecon`, 1-norm, from
    /// the 1-norm of each matrix taken before factoring). Factor once, use many
    /// times.
    ///
    /// The input is copied once (any layout) and never modified. A singular matrix
    /// is not an error here: its factors are complete, [`Lu::det`] gives 0 and
    /// [`Lu::rcond`] 0, while [`Lu::solve`] and [`Lu::inv`] report
    /// [`LinAlgError::Singular`].
    ///
    /// # Errors
    ///
    /// - [`LinAlgError::NotEnoughDimensions`], [`LinAlgError::NotSquare`],
    ///   [`LinAlgError::TooLarge`], [`LinAlgError::OutOfMemory`] as for
    ///   [`inv`](InvExt::inv);
    /// - [`LinAlgError::NonFinite`] when a matrix holds NaN or ±inf.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::array;
    ///
    /// let a = array![[4.0, 3.0], [6.0, 3.0]];
    /// let lu = a.lu()?;
    /// for b in [array![10.0, 12.0], array![1.0, 0.0]] {
    ///     let x = lu.solve(&b)?;
    ///     assert!(a.dot(&x).allclose(&b));
    /// }
    /// let det: f64 = lu.det().into_scalar();
    /// assert!((det + 6.0).abs() < 1e-12);
    /// assert!(lu.inv()?.allclose(&a.inv()?));
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    fn lu(&self) -> Result<Lu<<Self::Elem as Element>::Output, Self::Dim>, LinAlgError>;

    /// The determinant of every matrix, NumPy's `np.linalg.det`: an array over the
    /// batch axes (all but the last two; 0-D for one matrix, take the value with
    /// `into_scalar()`), computed from the LU factors as `±∏ U[i, i]`.
    ///
    /// A singular matrix gives 0, not an error (as NumPy); a `0×0` matrix gives 1.
    /// The product may overflow to ±inf or underflow to 0 for large matrices:
    /// [`slogdet`](InvExt::slogdet) does not. Integer input gives `f64`. The input
    /// is copied once (any layout) and never modified.
    ///
    /// # Errors
    ///
    /// - [`LinAlgError::NotEnoughDimensions`], [`LinAlgError::NotSquare`],
    ///   [`LinAlgError::TooLarge`], [`LinAlgError::OutOfMemory`] as for
    ///   [`inv`](InvExt::inv);
    /// - [`LinAlgError::NonFinite`] when a matrix holds NaN or ±inf (NumPy returns
    ///   NaN there; this crate checks its input in every verb).
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::array;
    ///
    /// // np.linalg.det(np.array([[1, 2], [3, 4]])) -> -2.0000000000000004
    /// let d: f64 = array![[1, 2], [3, 4]].det()?.into_scalar();
    /// assert!((d + 2.0).abs() < 1e-12);
    /// // A stack gives one determinant per matrix.
    /// let stack = array![[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [2.0, 1.0]], [[1.0, 3.0], [3.0, 1.0]]];
    /// assert!(stack.det()?.allclose(&array![-2.0, -3.0, -8.0]));
    /// // Singular: 0, no error.
    /// assert_eq!(array![[1.0, 2.0], [2.0, 4.0]].det()?.into_scalar(), 0.0);
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    #[allow(clippy::type_complexity)]
    fn det(
        &self,
    ) -> Result<Array<<Self::Elem as Element>::Output, BatchDim<Self::Dim>>, LinAlgError>;

    /// Sign and natural logarithm of the absolute value of every determinant,
    /// NumPy's `np.linalg.slogdet`: `det = sign · exp(logabsdet)`, without the
    /// overflow of [`det`](InvExt::det). Both are arrays over the batch axes.
    ///
    /// For real input `sign` is `±1`; for complex input it is a complex number of
    /// modulus 1. A singular matrix gives `sign = 0` and `logabsdet = -inf`, not an
    /// error (as NumPy). Integer input gives `f64`. The input is never modified.
    ///
    /// # Errors
    ///
    /// As [`det`](InvExt::det).
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::{array, Array2};
    ///
    /// // np.linalg.slogdet(np.array([[1, 2], [3, 4]])) -> (-1.0, 0.69314718055994529)
    /// let (sign, logdet) = array![[1.0f64, 2.0], [3.0, 4.0]].slogdet()?;
    /// assert_eq!(sign.into_scalar(), -1.0);
    /// assert!((logdet.into_scalar() - 2f64.ln()).abs() < 1e-12);
    /// // det(0.1·I₄₀₀) = 1e-400 underflows f64; slogdet does not.
    /// let small = Array2::<f64>::eye(400) * 0.1;
    /// assert_eq!(small.det()?.into_scalar(), 0.0);
    /// let (sign, logdet) = small.slogdet()?;
    /// assert_eq!(sign.into_scalar(), 1.0);
    /// assert!((logdet.into_scalar() + 400.0 * 10f64.ln()).abs() < 1e-9);
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    fn slogdet(&self) -> Result<Slogdet<<Self::Elem as Element>::Output, Self::Dim>, LinAlgError>;
}

impl<A, S, D> InvExt for ArrayBase<S, D>
where
    A: Element,
    S: Data<Elem = A>,
    D: Dimension,
{
    type Elem = A;
    type Dim = D;

    fn inv(&self) -> Result<Array<A::Output, D>, LinAlgError> {
        crate::inv::inv(self, &InvOptions::default())
    }

    fn inv_into(self) -> Result<Array<A::Output, D>, LinAlgError> {
        let opts = InvOptions::default();
        match A::owned_output(self) {
            Ok(owned) => crate::inv::inv_into(owned, &opts),
            Err(other) => crate::inv::inv(&other, &opts),
        }
    }

    fn inv_with(&self, opts: &InvOptions) -> Result<Array<A::Output, D>, LinAlgError> {
        crate::inv::inv(self, opts)
    }

    fn inv_ex(&self, opts: &InvOptions) -> Result<InvReport<A::Output, D>, LinAlgError> {
        crate::inv::inv_ex(self, opts)
    }

    fn allclose_with<S2, D2>(&self, other: &ArrayBase<S2, D2>, tol: Tolerance) -> bool
    where
        S2: Data<Elem = A>,
        D2: Dimension,
    {
        crate::allclose::allclose_with(self, other, tol)
    }

    fn isclose_with<S2, D2>(
        &self,
        other: &ArrayBase<S2, D2>,
        tol: Tolerance,
    ) -> Result<Array<bool, <D as DimMax<D2>>::Output>, LinAlgError>
    where
        S2: Data<Elem = A>,
        D2: Dimension,
        D: DimMax<D2>,
    {
        crate::allclose::isclose_with(self, other, tol)
    }

    fn closeness_with<S2, D2>(
        &self,
        other: &ArrayBase<S2, D2>,
        tol: Tolerance,
    ) -> Result<Closeness<A::Output>, LinAlgError>
    where
        S2: Data<Elem = A>,
        D2: Dimension,
    {
        crate::allclose::closeness_with(self, other, tol)
    }

    fn solve<S2, D2>(
        &self,
        b: &ArrayBase<S2, D2>,
    ) -> Result<Array<A::Output, <D as SolveDim<D2>>::Output>, LinAlgError>
    where
        S2: Data,
        S2::Elem: Element<Output = A::Output>,
        D2: Dimension,
        D: SolveDim<D2>,
    {
        crate::solve::solve(self, b)
    }

    fn lu(&self) -> Result<Lu<A::Output, D>, LinAlgError> {
        Lu::new(self)
    }

    fn det(&self) -> Result<Array<A::Output, BatchDim<D>>, LinAlgError> {
        crate::det::det(self)
    }

    fn slogdet(&self) -> Result<Slogdet<A::Output, D>, LinAlgError> {
        crate::det::slogdet(self)
    }
}
