//! [`InvReport`]: the whole batch's inverses plus a status per matrix, so one bad
//! matrix does not cost the other ten million.

use ndarray::{Array, Dimension, IxDyn};

use crate::error::LinAlgError;
use crate::layout::unravel;

/// What happened to one matrix of a batch in [`inv_ex`](crate::InvExt::inv_ex).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum MatrixStatus {
    /// Inverted.
    #[default]
    Ok,
    /// LU met an exactly zero pivot at this 0-based step; the inverse is NaN.
    Singular {
        /// The elimination step whose pivot is exactly zero.
        pivot: usize,
    },
    /// The matrix holds NaN or ±inf; the inverse is NaN.
    NonFinite,
    /// The estimated reciprocal condition number is below the requested
    /// threshold; the inverse is NaN.
    IllConditioned {
        /// LAPACK's estimate of the reciprocal 1-norm condition number.
        rcond: f64,
    },
}

impl MatrixStatus {
    /// Whether the matrix was inverted.
    ///
    /// # Examples
    ///
    /// ```
    /// use inv_ext::MatrixStatus;
    /// assert!(MatrixStatus::Ok.is_ok());
    /// assert!(!MatrixStatus::NonFinite.is_ok());
    /// ```
    pub fn is_ok(&self) -> bool {
        matches!(self, MatrixStatus::Ok)
    }

    /// The status of a failure recorded as an error.
    pub(crate) fn from_error(e: &LinAlgError) -> Self {
        match *e {
            LinAlgError::Singular { pivot, .. } => MatrixStatus::Singular { pivot },
            LinAlgError::IllConditioned { rcond, .. } => MatrixStatus::IllConditioned { rcond },
            _ => MatrixStatus::NonFinite,
        }
    }

    /// This status as the error [`inv`](crate::InvExt::inv) would return for the
    /// matrix at `batch`, or `None` when it is `Ok`.
    pub fn to_error(&self, batch: Vec<usize>) -> Option<LinAlgError> {
        match *self {
            MatrixStatus::Ok => None,
            MatrixStatus::Singular { pivot } => Some(LinAlgError::Singular { batch, pivot }),
            MatrixStatus::NonFinite => Some(LinAlgError::NonFinite { batch }),
            MatrixStatus::IllConditioned { rcond } => {
                Some(LinAlgError::IllConditioned { batch, rcond })
            }
        }
    }
}

/// The dimension of the batch axes of an input of dimension `D` (two axes fewer:
/// `Ix0` for a 2-D input, `Ix1` for a 3-D stack, `IxDyn` for `IxDyn`).
pub type BatchDim<D> = <<D as Dimension>::Smaller as Dimension>::Smaller;

/// The result of [`inv_ex`](crate::InvExt::inv_ex): every inverse that could be
/// computed, and why the others could not.
///
/// `inverse` has the input's shape; the matrices that failed are filled with NaN.
/// `status` and `rcond` are indexed by the batch axes (0-dimensional for a single
/// matrix).
///
/// # Examples
///
/// ```
/// use inv_ext::{InvExt, InvOptions, MatrixStatus};
/// use ndarray::array;
///
/// let stack = array![[[2.0, 0.0], [0.0, 2.0]], [[1.0, 2.0], [2.0, 4.0]], [[f64::NAN, 0.0], [0.0, 1.0]]];
/// let report = stack.inv_ex(&InvOptions::default())?;
/// assert_eq!(report.status[0], MatrixStatus::Ok);
/// assert!(matches!(report.status[1], MatrixStatus::Singular { .. }));
/// assert_eq!(report.status[2], MatrixStatus::NonFinite);
/// assert_eq!(report.inverse[[0, 0, 0]], 0.5);
/// assert!(report.inverse[[1, 0, 0]].is_nan());
/// assert_eq!(report.failures().count(), 2);
/// # Ok::<(), inv_ext::LinAlgError>(())
/// ```
#[derive(Debug, Clone)]
pub struct InvReport<T, D: Dimension> {
    /// The inverses, NaN where the matrix failed.
    pub inverse: Array<T, D>,
    /// One status per matrix, over the batch axes.
    pub status: Array<MatrixStatus, BatchDim<D>>,
    /// Each matrix's estimated reciprocal 1-norm condition number, when asked for
    /// (`compute_rcond` or `rcond_threshold`); `0` for singular and NaN for
    /// non-finite matrices.
    pub rcond: Option<Array<f64, BatchDim<D>>>,
}

impl<T, D: Dimension> InvReport<T, D> {
    /// Whether every matrix was inverted.
    pub fn all_ok(&self) -> bool {
        self.status.iter().all(MatrixStatus::is_ok)
    }

    /// The failed matrices: batch multi-index and status, in C order.
    pub fn failures(&self) -> impl Iterator<Item = (Vec<usize>, MatrixStatus)> + '_ {
        let batch = self.status.shape().to_vec();
        self.status
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_ok())
            .map(move |(i, s)| (unravel(i, &batch), *s))
    }

    /// The inverse when every matrix succeeded, else the error `inv` would have
    /// returned (the first failure in C order).
    ///
    /// # Errors
    ///
    /// The first failure, as [`LinAlgError::Singular`], [`LinAlgError::NonFinite`]
    /// or [`LinAlgError::IllConditioned`].
    pub fn into_result(self) -> Result<Array<T, D>, LinAlgError> {
        let first = self.failures().next();
        match first {
            None => Ok(self.inverse),
            Some((batch, status)) => Err(status
                .to_error(batch)
                .expect("failures() yields only failed statuses")),
        }
    }

    /// Builds the report from the failures of a batch (flat index, error).
    pub(crate) fn new(
        inverse: Array<T, D>,
        batch: &[usize],
        failures: Vec<(usize, LinAlgError)>,
        rcond: Option<Vec<f64>>,
    ) -> Self {
        let count = batch.iter().product();
        let mut status = vec![MatrixStatus::Ok; count];
        for (i, e) in &failures {
            status[*i] = MatrixStatus::from_error(e);
        }
        let status = batch_array(batch, status);
        let rcond = rcond.map(|r| batch_array(batch, r));
        InvReport {
            inverse,
            status,
            rcond,
        }
    }
}

/// `data` (one entry per matrix, C order) as an array over the batch axes.
fn batch_array<X, E: Dimension>(batch: &[usize], data: Vec<X>) -> Array<X, E> {
    Array::from_shape_vec(IxDyn(batch), data)
        .expect("one entry per matrix")
        .into_dimensionality()
        .expect("the batch axes are the input's axes but the last two")
}
