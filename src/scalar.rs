//! Element types: [`Scalar`] (computed natively by LAPACK) and [`Element`]
//! (everything `inv` accepts, integers promoting to `f64` as in NumPy).

use std::fmt::{Debug, Display};
use std::ops::{Add, Div, Mul, Neg, Sub};

use ndarray::{Array, ArrayBase, Data, Dimension};
use num_complex::Complex;
use num_traits::{Float, One, Zero};

use crate::lapack::Lapack;

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// A type LAPACK computes with: `f32`, `f64`, `Complex<f32>`, `Complex<f64>`.
///
/// Sealed: it cannot be implemented outside this crate.
///
/// # Examples
///
/// ```
/// use inv_ext::Scalar;
/// use num_complex::Complex64;
///
/// fn modulus<T: Scalar>(x: T) -> f64 {
///     x.modulus().into()
/// }
/// assert_eq!(modulus(Complex64::new(3.0, 4.0)), 5.0);
/// assert_eq!(modulus(-2.0f32), 2.0);
/// ```
pub trait Scalar:
    Element<Output = Self>
    + Lapack
    + Copy
    + Send
    + Sync
    + Debug
    + Display
    + PartialEq
    + 'static
    + Zero
    + One
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// The real type underneath (`f32` or `f64`).
    type Real: Float + Scalar<Real = Self::Real> + Into<f64> + Debug + Display;

    /// Whether the type is complex.
    const IS_COMPLEX: bool;

    /// `|x|`, the modulus for complex numbers.
    fn modulus(self) -> Self::Real;

    /// `true` when no part is NaN or infinite.
    fn is_finite(self) -> bool;

    /// `true` when any part is NaN.
    fn is_nan(self) -> bool;

    /// NaN (in every part, for complex types).
    fn nan() -> Self;

    /// A real value as this type.
    fn from_real(re: Self::Real) -> Self;

    /// `0` for a finite value, NaN otherwise: summed over a matrix in the copy
    /// loop, it checks finiteness without a branch per element.
    fn finite_probe(self) -> Self::Real;

    /// `self * a + b`, rounded once for the real types (`f32::mul_add`,
    /// `f64::mul_add`): one FMA instruction in code compiled with the `fma`
    /// target feature, a slow correctly rounded library call elsewhere, so the
    /// kernels call it only from such code. Complex types round each operation.
    #[doc(hidden)]
    fn fused_mul_add(self, a: Self, b: Self) -> Self;

    /// Machine epsilon of [`Scalar::Real`].
    fn epsilon() -> Self::Real {
        <Self::Real as Float>::epsilon()
    }
}

macro_rules! impl_real {
    ($t:ty) => {
        impl Sealed for $t {}
        impl Scalar for $t {
            type Real = $t;
            const IS_COMPLEX: bool = false;
            #[inline]
            fn modulus(self) -> $t {
                self.abs()
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline]
            fn nan() -> $t {
                <$t>::NAN
            }
            #[inline]
            fn from_real(re: $t) -> $t {
                re
            }
            #[inline]
            fn finite_probe(self) -> $t {
                self * 0.0
            }
            #[inline(always)]
            fn fused_mul_add(self, a: $t, b: $t) -> $t {
                <$t>::mul_add(self, a, b)
            }
        }
    };
}
impl_real!(f32);
impl_real!(f64);

macro_rules! impl_complex {
    ($r:ty) => {
        impl Sealed for Complex<$r> {}
        impl Scalar for Complex<$r> {
            type Real = $r;
            const IS_COMPLEX: bool = true;
            #[inline]
            fn modulus(self) -> $r {
                self.norm()
            }
            #[inline]
            fn is_finite(self) -> bool {
                self.re.is_finite() && self.im.is_finite()
            }
            #[inline]
            fn is_nan(self) -> bool {
                self.re.is_nan() || self.im.is_nan()
            }
            #[inline]
            fn nan() -> Self {
                Complex::new(<$r>::NAN, <$r>::NAN)
            }
            #[inline]
            fn from_real(re: $r) -> Self {
                Complex::new(re, 0.0)
            }
            #[inline]
            fn finite_probe(self) -> $r {
                self.re * 0.0 + self.im * 0.0
            }
            #[inline]
            fn fused_mul_add(self, a: Self, b: Self) -> Self {
                self * a + b
            }
        }
    };
}
impl_complex!(f32);
impl_complex!(f64);

/// An element type `inv` accepts: every [`Scalar`], and the primitive integers,
/// which promote to `f64` as in NumPy.
///
/// Sealed: it cannot be implemented outside this crate.
///
/// # Examples
///
/// ```
/// use inv_ext::Element;
///
/// assert_eq!(7i16.promote(), 7.0f64);
/// assert_eq!(2.5f32.promote(), 2.5f32);
/// ```
pub trait Element: Sealed + Copy + Send + Sync + Debug + 'static {
    /// The type the computation runs in and the result is made of.
    type Output: Scalar;

    /// Whether a value of this type can be NaN or infinite (false for integers,
    /// whose finiteness check is skipped).
    const CAN_BE_NONFINITE: bool;

    /// This value in the computation type.
    fn promote(self) -> Self::Output;

    /// `a` as an owned array of the output type without copying when it already
    /// is one in standard layout (for `inv_into`); otherwise `a` back.
    #[doc(hidden)]
    fn owned_output<S, D>(a: ArrayBase<S, D>) -> Result<Array<Self::Output, D>, ArrayBase<S, D>>
    where
        S: Data<Elem = Self>,
        D: Dimension;
}

macro_rules! impl_element_native {
    ($($t:ty),*) => {$(
        impl Element for $t {
            type Output = $t;
            const CAN_BE_NONFINITE: bool = true;
            #[inline]
            fn promote(self) -> $t {
                self
            }
            fn owned_output<S, D>(a: ArrayBase<S, D>) -> Result<Array<$t, D>, ArrayBase<S, D>>
            where
                S: Data<Elem = $t>,
                D: Dimension,
            {
                if a.is_standard_layout() {
                    // Free for an owned array; one contiguous copy for a view.
                    Ok(a.into_owned())
                } else {
                    Err(a)
                }
            }
        }
    )*};
}
impl_element_native!(f32, f64, Complex<f32>, Complex<f64>);

macro_rules! impl_element_int {
    ($($t:ty),*) => {$(
        impl Sealed for $t {}
        impl Element for $t {
            type Output = f64;
            const CAN_BE_NONFINITE: bool = false;
            #[inline]
            fn promote(self) -> f64 {
                // Exact for every value below 2^53, rounded to nearest above, as NumPy.
                self as f64
            }
            fn owned_output<S, D>(a: ArrayBase<S, D>) -> Result<Array<f64, D>, ArrayBase<S, D>>
            where
                S: Data<Elem = $t>,
                D: Dimension,
            {
                Err(a)
            }
        }
    )*};
}
impl_element_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finite_probe_is_zero_only_for_finite_values() {
        assert_eq!(1.5f64.finite_probe(), 0.0);
        assert!(f64::NAN.finite_probe().is_nan());
        assert!(f64::INFINITY.finite_probe().is_nan());
        assert!(f32::NEG_INFINITY.finite_probe().is_nan());
        assert_eq!(Complex::new(1.0f64, -2.0).finite_probe(), 0.0);
        assert!(Complex::new(1.0f64, f64::INFINITY).finite_probe().is_nan());
        assert!(Complex::new(f32::NAN, 0.0).finite_probe().is_nan());
    }

    #[test]
    fn integers_promote_to_f64() {
        assert_eq!((-3i8).promote(), -3.0);
        assert_eq!(u64::MAX.promote(), 18446744073709551615.0);
    }
}
