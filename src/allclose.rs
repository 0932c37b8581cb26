//! `allclose` and `isclose`: NumPy's closeness test, element by element, with
//! broadcasting; [`Closeness`]: why two arrays are not close; [`assert_allclose!`](crate::assert_allclose).

use std::fmt;

use ndarray::{Array, ArrayBase, ArrayViewD, Data, DimMax, Dimension, IxDyn, Zip};

use crate::error::LinAlgError;
use crate::scalar::{Element, Scalar};

/// Relative and absolute tolerances for [`allclose_with`](crate::InvExt::allclose_with).
///
/// `Default` is NumPy's: `rtol = 1e-5`, `atol = 1e-8`, `equal_nan = false`.
///
/// # Examples
///
/// ```
/// use inv_ext::{InvExt, Tolerance};
/// use ndarray::array;
///
/// let tight = Tolerance { rtol: 1e-12, atol: 0.0, ..Tolerance::default() };
/// assert!(!array![1.0, 2.0].allclose_with(&array![1.0, 2.000001], tight));
/// assert!(array![1.0, f64::NAN].allclose_with(&array![1.0, f64::NAN], Tolerance { equal_nan: true, ..Tolerance::default() }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance, scaled by `|other|`.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Whether NaN compares equal to NaN.
    pub equal_nan: bool,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            rtol: 1e-5,
            atol: 1e-8,
            equal_nan: false,
        }
    }
}

impl Tolerance {
    /// NumPy's per-element rule: `(|a − b| <= atol + rtol·|b| && b finite) || a == b`,
    /// or both NaN when `equal_nan`. `b` is the reference.
    #[inline]
    pub(crate) fn close<T: Scalar>(&self, a: T, b: T) -> bool {
        if a == b {
            return true;
        }
        if !b.is_finite() || !a.is_finite() {
            return self.equal_nan && a.is_nan() && b.is_nan();
        }
        let diff: f64 = (a - b).modulus().into();
        let bound = self.atol + self.rtol * Into::<f64>::into(b.modulus());
        diff <= bound
    }
}

/// The shape both operands broadcast to (NumPy's rules), if any.
pub(crate) fn co_broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let ndim = a.len().max(b.len());
    let mut shape = vec![0; ndim];
    for (k, out) in shape.iter_mut().enumerate() {
        let da = if k + a.len() >= ndim {
            a[k + a.len() - ndim]
        } else {
            1
        };
        let db = if k + b.len() >= ndim {
            b[k + b.len() - ndim]
        } else {
            1
        };
        *out = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(shape)
}

/// `true` when every element of `a` is close to the matching element of `b`,
/// after broadcasting; `false` when the shapes cannot be broadcast.
pub(crate) fn allclose_with<A, S1, D1, S2, D2>(
    a: &ArrayBase<S1, D1>,
    b: &ArrayBase<S2, D2>,
    tol: Tolerance,
) -> bool
where
    A: Element,
    S1: Data<Elem = A>,
    S2: Data<Elem = A>,
    D1: Dimension,
    D2: Dimension,
{
    match broadcast_pair(a, b) {
        Ok((a, b)) => Zip::from(&a)
            .and(&b)
            .all(|&x, &y| tol.close(x.promote(), y.promote())),
        Err(_) => false,
    }
}

/// Both arrays broadcast to their common shape, or [`LinAlgError::ShapeMismatch`].
fn broadcast_pair<'a, 'b, A, S1, D1, S2, D2>(
    a: &'a ArrayBase<S1, D1>,
    b: &'b ArrayBase<S2, D2>,
) -> Result<(ArrayViewD<'a, A>, ArrayViewD<'b, A>), LinAlgError>
where
    S1: Data<Elem = A>,
    S2: Data<Elem = A>,
    D1: Dimension,
    D2: Dimension,
{
    let mismatch = || LinAlgError::ShapeMismatch {
        left: a.shape().to_vec(),
        right: b.shape().to_vec(),
        reason: broadcast_conflict(a.shape(), b.shape()),
    };
    let shape = IxDyn(&co_broadcast(a.shape(), b.shape()).ok_or_else(mismatch)?);
    match (a.broadcast(shape.clone()), b.broadcast(shape)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(mismatch()),
    }
}

/// Which axis stops two shapes from broadcasting, in words.
fn broadcast_conflict(a: &[usize], b: &[usize]) -> String {
    let ndim = a.len().max(b.len());
    for k in 0..ndim {
        let da = (k + a.len()).checked_sub(ndim).map_or(1, |i| a[i]);
        let db = (k + b.len()).checked_sub(ndim).map_or(1, |i| b[i]);
        if da != db && da != 1 && db != 1 {
            return format!(
                "they do not broadcast: axis {k} of the broadcast shape has length {da} in one and {db} in the other"
            );
        }
    }
    "they do not broadcast".to_string()
}

/// The element mask of [`Tolerance::close`] over the broadcast shapes.
pub(crate) fn isclose_with<A, S1, D1, S2, D2>(
    a: &ArrayBase<S1, D1>,
    b: &ArrayBase<S2, D2>,
    tol: Tolerance,
) -> Result<Array<bool, <D1 as DimMax<D2>>::Output>, LinAlgError>
where
    A: Element,
    S1: Data<Elem = A>,
    S2: Data<Elem = A>,
    D1: Dimension + DimMax<D2>,
    D2: Dimension,
{
    let (a, b) = broadcast_pair(a, b)?;
    Ok(Zip::from(&a)
        .and(&b)
        .map_collect(|&x, &y| tol.close(x.promote(), y.promote()))
        .into_dimensionality()
        .expect("the broadcast shape has max(ndim) axes"))
}

/// Why two arrays are, or are not, close: from
/// [`closeness_with`](crate::InvExt::closeness_with), and printed by
/// [`assert_allclose!`](crate::assert_allclose) when it fails.
///
/// Counts the elements that fail NumPy's rule, names the first one in C order of
/// the broadcast shape with both values, and gives the largest absolute and
/// relative differences among the failing elements (as NumPy 2's
/// `assert_allclose` does; NaN differences are left out of the maxima). The
/// values are in the computation type (integers promoted to `f64`).
///
/// # Examples
///
/// ```
/// use inv_ext::{InvExt, Tolerance};
/// use ndarray::array;
///
/// let actual = array![[1.0, 2.0], [3.1, 4.0]];
/// let desired = array![[1.0, 2.0], [3.0, 4.0]];
/// let report = actual.closeness(&desired)?;
/// assert!(!report.is_close());
/// assert_eq!(report.mismatched, 1);
/// let first = report.first.as_ref().unwrap();
/// assert_eq!((first.index.as_slice(), first.actual, first.desired), (&[1, 0][..], 3.1, 3.0));
/// assert!((report.max_abs_diff - 0.1).abs() < 1e-12);
/// assert!((report.max_rel_diff - 0.1 / 3.0).abs() < 1e-12);
/// println!("{report}"); // the text assert_allclose! panics with
/// # Ok::<(), inv_ext::LinAlgError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Closeness<T> {
    /// The tolerances used.
    pub tolerance: Tolerance,
    /// The broadcast shape that was compared.
    pub shape: Vec<usize>,
    /// How many elements were compared.
    pub total: usize,
    /// How many elements are not close.
    pub mismatched: usize,
    /// The first element (C order) that is not close, if any.
    pub first: Option<Mismatch<T>>,
    /// The largest `|actual − desired|` among the elements that are not close
    /// (0 when all are close).
    pub max_abs_diff: f64,
    /// The largest `|actual − desired| / |desired|` among the elements that are not
    /// close (inf where `desired` is 0; 0 when all are close).
    pub max_rel_diff: f64,
}

/// One element that is not close: where, and the two values.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Mismatch<T> {
    /// Multi-index in the broadcast shape.
    pub index: Vec<usize>,
    /// The value of the array tested (`self`).
    pub actual: T,
    /// The value of the reference (`other`).
    pub desired: T,
}

impl<T> Closeness<T> {
    /// Whether every element is close (what [`allclose_with`](crate::InvExt::allclose_with)
    /// returns).
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::InvExt;
    /// use ndarray::array;
    ///
    /// assert!(array![1.0, 2.0].closeness(&array![1.0, 2.0 + 1e-9])?.is_close());
    /// # Ok::<(), inv_ext::LinAlgError>(())
    /// ```
    pub fn is_close(&self) -> bool {
        self.mismatched == 0
    }
}

impl<T: fmt::Display> fmt::Display for Closeness<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Tolerance {
            rtol,
            atol,
            equal_nan,
        } = self.tolerance;
        let tol = format!("rtol = {rtol:e}, atol = {atol:e}, equal_nan = {equal_nan}");
        if self.is_close() {
            return write!(
                f,
                "arrays of shape {:?} are close ({tol}): {} elements",
                self.shape, self.total
            );
        }
        write!(
            f,
            "arrays of shape {:?} are not close ({tol}): {} of {} elements differ ({:.3}%)",
            self.shape,
            self.mismatched,
            self.total,
            100.0 * self.mismatched as f64 / self.total as f64
        )?;
        if let Some(m) = &self.first {
            write!(
                f,
                "\n  first at {:?}: actual {}, desired {}",
                m.index, m.actual, m.desired
            )?;
        }
        write!(
            f,
            "\n  max absolute difference among them: {:e}\n  max relative difference among them: {:e}",
            self.max_abs_diff, self.max_rel_diff
        )
    }
}

/// The closeness report of `a` against the reference `b`.
pub(crate) fn closeness_with<A, S1, D1, S2, D2>(
    a: &ArrayBase<S1, D1>,
    b: &ArrayBase<S2, D2>,
    tol: Tolerance,
) -> Result<Closeness<A::Output>, LinAlgError>
where
    A: Element,
    S1: Data<Elem = A>,
    S2: Data<Elem = A>,
    D1: Dimension,
    D2: Dimension,
{
    let (a, b) = broadcast_pair(a, b)?;
    let mut report = Closeness {
        tolerance: tol,
        shape: a.shape().to_vec(),
        total: a.len(),
        mismatched: 0,
        first: None,
        max_abs_diff: 0.0,
        max_rel_diff: 0.0,
    };
    // Logical (C) order on both sides, whatever the layouts.
    for ((index, &x), &y) in a.indexed_iter().zip(b.iter()) {
        let (x, y) = (x.promote(), y.promote());
        if tol.close(x, y) {
            continue;
        }
        report.mismatched += 1;
        if report.first.is_none() {
            report.first = Some(Mismatch {
                index: index.slice().to_vec(),
                actual: x,
                desired: y,
            });
        }
        let diff: f64 = (x - y).modulus().into();
        let rel = diff / Into::<f64>::into(y.modulus());
        // f64::max ignores NaN.
        report.max_abs_diff = report.max_abs_diff.max(diff);
        report.max_rel_diff = report.max_rel_diff.max(rel);
    }
    Ok(report)
}

/// Asserts that two arrays are close by NumPy's rule, and panics with a
/// [`Closeness`] report (how many elements differ, the first one with its index
/// and both values, the largest absolute and relative differences) when they
/// are not.
///
/// `assert_allclose!(actual, desired)` uses [`Tolerance::default()`] (NumPy's
/// `allclose` defaults `rtol = 1e-5`, `atol = 1e-8`; note that NumPy's
/// `assert_allclose` defaults to `rtol = 1e-7`, `atol = 0`); set fields by name
/// with `assert_allclose!(actual, desired, rtol = 1e-12, atol = 0.0)`, or pass a
/// whole [`Tolerance`]. `desired` is the reference. Shapes broadcast; shapes that
/// cannot be broadcast fail the assertion. Either operand may be an array, a view
/// or a reference to one.
///
/// # Panics
///
/// When an element is not close or the shapes do not broadcast.
///
/// # Examples
///
/// ```
/// use inv_ext::{assert_allclose, InvExt, Tolerance};
/// use ndarray::array;
///
/// let a = array![[4.0, 7.0], [2.0, 6.0]];
/// assert_allclose!(a.dot(&a.inv()?), ndarray::Array2::<f64>::eye(2));
/// assert_allclose!(array![1.0, 2.0], array![1.0, 2.0], rtol = 0.0, atol = 0.0);
/// assert_allclose!(array![f64::NAN], array![f64::NAN], Tolerance { equal_nan: true, ..Tolerance::default() });
/// # Ok::<(), inv_ext::LinAlgError>(())
/// ```
///
/// ```should_panic
/// use inv_ext::assert_allclose;
/// use ndarray::array;
///
/// // panics: "... 1 of 2 elements differ ... first at [1]: actual 2.1, desired 2 ..."
/// assert_allclose!(array![1.0, 2.1], array![1.0, 2.0]);
/// ```
#[macro_export]
macro_rules! assert_allclose {
    ($actual:expr, $desired:expr $(,)?) => {
        $crate::assert_allclose!($actual, $desired, $crate::Tolerance::default())
    };
    ($actual:expr, $desired:expr, $($key:ident = $value:expr),+ $(,)?) => {
        $crate::assert_allclose!(
            $actual,
            $desired,
            $crate::Tolerance { $($key: $value,)+ ..$crate::Tolerance::default() }
        )
    };
    ($actual:expr, $desired:expr, $tol:expr $(,)?) => {{
        #[allow(unused_imports)]
        use $crate::InvExt as _;
        match ($actual).closeness_with(&$desired, $tol) {
            ::core::result::Result::Ok(report) => {
                if !report.is_close() {
                    ::core::panic!(
                        "assert_allclose!({}, {}) failed: {}",
                        ::core::stringify!($actual),
                        ::core::stringify!($desired),
                        report
                    );
                }
            }
            ::core::result::Result::Err(e) => ::core::panic!(
                "assert_allclose!({}, {}) failed: {}",
                ::core::stringify!($actual),
                ::core::stringify!($desired),
                e
            ),
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_rule() {
        let t = Tolerance::default();
        assert!(t.close(1e10, 1.00001e10));
        assert!(!t.close(1e-7, 1e-8));
        assert!(t.close(1e-100, 0.0));
        assert!(t.close(f64::INFINITY, f64::INFINITY));
        assert!(!t.close(f64::INFINITY, f64::NEG_INFINITY));
        assert!(!t.close(1.0, f64::INFINITY));
        assert!(!t.close(f64::NAN, f64::NAN));
        assert!(Tolerance {
            equal_nan: true,
            ..t
        }
        .close(f64::NAN, f64::NAN));
        // Asymmetric: b is the reference.
        let t = Tolerance {
            rtol: 0.1,
            atol: 0.0,
            equal_nan: false,
        };
        assert!(t.close(9.0, 10.0));
        assert!(!t.close(10.0, 9.0));
    }

    #[test]
    fn broadcast_shapes() {
        assert_eq!(co_broadcast(&[2, 1, 3], &[4, 3]), Some(vec![2, 4, 3]));
        assert_eq!(co_broadcast(&[2, 3], &[3, 2]), None);
        assert_eq!(co_broadcast(&[], &[5]), Some(vec![5]));
    }
}
