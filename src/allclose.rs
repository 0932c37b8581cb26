//! `allclose`: NumPy's closeness test, element by element, with broadcasting.

use ndarray::{ArrayBase, Data, Dimension, IxDyn, Zip};

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
    let Some(shape) = co_broadcast(a.shape(), b.shape()) else {
        return false;
    };
    let shape = IxDyn(&shape);
    match (a.broadcast(shape.clone()), b.broadcast(shape)) {
        (Some(a), Some(b)) => Zip::from(&a)
            .and(&b)
            .all(|&x, &y| tol.close(x.promote(), y.promote())),
        _ => false,
    }
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
