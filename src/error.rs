//! [`LinAlgError`]: every way a call can fail, with NumPy's wording where NumPy has one.

use std::fmt;

/// The error type of every fallible call in this crate.
///
/// Batch positions (`batch`) are multi-indices over the batch axes (all axes but the
/// last two), in C order; they are empty for a single 2-D matrix. When several
/// matrices of a stack fail, the error names the **first** one in C order.
///
/// # Examples
///
/// ```
/// use inv_ext::{InvExt, LinAlgError};
/// use ndarray::array;
///
/// let stack = array![[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]];
/// match stack.inv() {
///     Err(LinAlgError::Singular { batch, pivot }) => {
///         assert_eq!(batch, vec![1]);
///         assert_eq!(pivot, 1);
///     }
///     other => panic!("expected Singular, got {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LinAlgError {
    /// The input has fewer than two axes.
    #[error("{ndim}-dimensional array given. Array must be at least two-dimensional")]
    NotEnoughDimensions {
        /// Number of axes of the input.
        ndim: usize,
    },

    /// The last two axes differ in length (also reported for empty batches).
    #[error("Last 2 dimensions of the array must be square (got {rows}x{cols})")]
    NotSquare {
        /// Length of the second-to-last axis.
        rows: usize,
        /// Length of the last axis.
        cols: usize,
    },

    /// LU factorization with partial pivoting met an exactly zero pivot.
    ///
    /// This is LAPACK's `info > 0`: the matrix is singular to working precision in
    /// the strictest sense. Nearly singular matrices do *not* raise it (as in
    /// NumPy); ask for an `rcond` threshold to reject those.
    #[error(
        "singular matrix: U[{pivot},{pivot}] is exactly zero{}",
        BatchSuffix(batch)
    )]
    Singular {
        /// Multi-index of the first singular matrix over the batch axes.
        batch: Vec<usize>,
        /// 0-based elimination step whose pivot is exactly zero.
        pivot: usize,
    },

    /// The input holds NaN or ±infinity.
    #[error("array must not contain infs or NaNs{}", BatchSuffix(batch))]
    NonFinite {
        /// Multi-index of the first matrix holding a non-finite value.
        batch: Vec<usize>,
    },

    /// Shapes that cannot be combined (solve, isclose).
    #[error("shapes {left:?} and {right:?} cannot be combined: {reason}")]
    ShapeMismatch {
        /// Shape of the left operand.
        left: Vec<usize>,
        /// Shape of the right operand.
        right: Vec<usize>,
        /// Which rule the shapes break.
        reason: String,
    },

    /// The estimated reciprocal condition number fell below the requested threshold.
    #[error(
        "matrix is close to singular or badly scaled: rcond = {rcond:e}{}",
        BatchSuffix(batch)
    )]
    IllConditioned {
        /// Multi-index of the first ill-conditioned matrix.
        batch: Vec<usize>,
        /// LAPACK's estimate of the reciprocal 1-norm condition number.
        rcond: f64,
    },

    /// A dimension or workspace size does not fit LAPACK's 32-bit integers.
    #[error("{what} = {value} does not fit LAPACK's 32-bit integer (limit {limit})")]
    TooLarge {
        /// Which quantity overflowed (`n`, `lda`, `lwork`, ...).
        what: &'static str,
        /// Its value.
        value: usize,
        /// The largest value LAPACK accepts.
        limit: usize,
    },

    /// The result does not fit in memory (checked before anything is computed).
    #[error("cannot allocate {bytes} bytes for the result")]
    OutOfMemory {
        /// The size of the allocation that failed.
        bytes: usize,
    },

    /// LAPACK reported an illegal argument (`info < 0`): a bug in this crate.
    #[error(
        "LAPACK {routine} rejected argument {} (info = {info}); this is a bug in inv_ext, please report it",
        -info
    )]
    Lapack {
        /// The LAPACK routine, e.g. `dgetrf`.
        routine: &'static str,
        /// LAPACK's `info`: minus the 1-based position of the rejected argument.
        info: i32,
    },
}

/// Renders ` (batch index [i, j])` for a non-empty batch position.
struct BatchSuffix<'a>(&'a [usize]);

impl fmt::Display for BatchSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, " (batch index {:?})", self.0)
        }
    }
}

impl LinAlgError {
    /// The batch multi-index this error is about, when it names one matrix.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::LinAlgError;
    ///
    /// let e = LinAlgError::NonFinite { batch: vec![2, 0] };
    /// assert_eq!(e.batch_index(), Some(&[2, 0][..]));
    /// ```
    pub fn batch_index(&self) -> Option<&[usize]> {
        match self {
            LinAlgError::Singular { batch, .. }
            | LinAlgError::NonFinite { batch }
            | LinAlgError::IllConditioned { batch, .. } => Some(batch),
            _ => None,
        }
    }

    /// The same error with its batch multi-index set (used when a per-matrix
    /// failure is lifted to the stack it belongs to).
    pub(crate) fn at_batch(mut self, index: Vec<usize>) -> Self {
        match &mut self {
            LinAlgError::Singular { batch, .. }
            | LinAlgError::NonFinite { batch }
            | LinAlgError::IllConditioned { batch, .. } => *batch = index,
            _ => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_numpy_wording() {
        assert_eq!(
            LinAlgError::NotEnoughDimensions { ndim: 1 }.to_string(),
            "1-dimensional array given. Array must be at least two-dimensional"
        );
        assert_eq!(
            LinAlgError::NotSquare { rows: 2, cols: 3 }.to_string(),
            "Last 2 dimensions of the array must be square (got 2x3)"
        );
        assert_eq!(
            LinAlgError::Singular {
                batch: vec![],
                pivot: 1
            }
            .to_string(),
            "singular matrix: U[1,1] is exactly zero"
        );
        assert_eq!(
            LinAlgError::Singular {
                batch: vec![3, 1],
                pivot: 0
            }
            .to_string(),
            "singular matrix: U[0,0] is exactly zero (batch index [3, 1])"
        );
        assert_eq!(
            LinAlgError::NonFinite { batch: vec![] }.to_string(),
            "array must not contain infs or NaNs"
        );
        assert_eq!(
            LinAlgError::Lapack { routine: "dgetri", info: -4 }.to_string(),
            "LAPACK dgetri rejected argument 4 (info = -4); this is a bug in inv_ext, please report it"
        );
    }

    #[test]
    fn at_batch_sets_only_batch_variants() {
        let e = LinAlgError::Singular {
            batch: vec![],
            pivot: 2,
        }
        .at_batch(vec![4]);
        assert_eq!(
            e,
            LinAlgError::Singular {
                batch: vec![4],
                pivot: 2
            }
        );
        let e = LinAlgError::NotSquare { rows: 1, cols: 2 }.at_batch(vec![4]);
        assert_eq!(e.batch_index(), None);
    }
}
