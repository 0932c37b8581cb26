//! [`InvExt`]: the extension trait that gives every ndarray array `inv`.

use ndarray::{Array, ArrayBase, Data, Dimension};

use crate::allclose::Tolerance;
use crate::error::LinAlgError;
use crate::options::InvOptions;
use crate::report::InvReport;
use crate::scalar::Element;

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
    /// Computed by LAPACK `getrf` + `getri` (LU with partial pivoting). The input is
    /// never modified; any layout is accepted (C or F order, strided, negative
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
}
