//! Seeing a slice of a generic element type as the concrete type it is.

use std::any::TypeId;

/// `s` as a `&[T]` when `A` is `T` (the same type, checked at run time), else
/// `None`. Lets generic code hand an input it does not need to convert straight
/// to a kernel that reads `T`.
pub(crate) fn same_type<A: 'static, T: 'static>(s: &[A]) -> Option<&[T]> {
    if TypeId::of::<A>() == TypeId::of::<T>() {
        // SAFETY: `A` and `T` are the same type (equal `TypeId`s), so the pointer,
        // length, alignment and lifetime of `s` describe a valid `&[T]`.
        Some(unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<T>(), s.len()) })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_type_passes() {
        let x = [1.0f64, 2.0];
        assert_eq!(same_type::<f64, f64>(&x), Some(&x[..]));
        assert_eq!(same_type::<f64, f32>(&x), None);
        assert_eq!(same_type::<i32, f64>(&[1, 2]), None);
    }
}
