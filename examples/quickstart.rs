//! What NumPy's documentation page for `np.linalg.inv` shows, with inv_ext.
//!
//! Run with `cargo run --example quickstart`.

use inv_ext::{InvExt, LinAlgError};
use ndarray::{array, Array2, ArrayView2, Axis};

fn main() -> Result<(), LinAlgError> {
    // >>> a = np.array([[1., 2.], [3., 4.]])
    // >>> ainv = np.linalg.inv(a)
    let a = array![[1., 2.], [3., 4.]];
    let ainv = a.inv()?;
    println!("a =\n{a}\n\ninv(a) =\n{ainv}\n");

    // >>> np.allclose(a @ ainv, np.eye(2))   and   np.allclose(ainv @ a, np.eye(2))
    let eye = Array2::<f64>::eye(2);
    println!(
        "allclose(a @ ainv, eye(2)) = {}",
        a.dot(&ainv).allclose(&eye)
    );
    println!(
        "allclose(ainv @ a, eye(2)) = {}\n",
        ainv.dot(&a).allclose(&eye)
    );

    // A singular matrix is an error, as numpy.linalg.LinAlgError is.
    let singular = array![[1., 2.], [2., 4.]];
    match singular.inv() {
        Err(e) => println!("inv([[1, 2], [2, 4]]) -> error: {e}\n"),
        Ok(x) => println!("unexpected inverse:\n{x}"),
    }

    // Inverses of several matrices at once:
    // >>> a = np.array([[[1., 2.], [3., 4.]], [[1, 3], [3, 5]]])
    let stack = array![[[1., 2.], [3., 4.]], [[1., 3.], [3., 5.]]];
    let stack_inv = stack.inv()?;
    println!("inv(stack) =\n{stack_inv}\n");
    let second: ArrayView2<f64> = stack.index_axis(Axis(0), 1);
    let second_inv: ArrayView2<f64> = stack_inv.index_axis(Axis(0), 1);
    println!(
        "allclose(stack[1] @ inv(stack)[1], eye(2)) = {}",
        second.dot(&second_inv).allclose(&eye)
    );

    // In a stack, the error names the first failing matrix.
    let bad = array![[[2., 0.], [0., 2.]], [[1., 2.], [2., 4.]]];
    if let Err(e) = bad.inv() {
        println!("inv(stack with a singular matrix) -> error: {e}");
    }
    Ok(())
}
