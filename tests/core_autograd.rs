//! The core without Python: tensors, the graph arena and the scheduler.

use autorust::autograd::{backward, Inputs};
use autorust::grad_mode::GradModeGuard;
use autorust::graph::live_nodes;
use autorust::op::{ReduceOp, UnaryOp};
use autorust::{DType, Tensor};

fn vals(t: &Tensor) -> Vec<f64> {
    t.to_f64_vec().expect("host copy")
}

fn leaf(v: Vec<f64>, shape: &[usize]) -> Tensor {
    let t = Tensor::from_vec_f64(v, shape);
    t.set_requires_grad(true).unwrap();
    t
}

#[test]
fn seed_graph_gradient() {
    // x = ones(2,2); y = x + 2; z = y * y * 3; out = z.mean(); d out/dx = 4.5
    let x = leaf(vec![1.0; 4], &[2, 2]);
    let y = x.add_scalar(2.0).unwrap();
    let z = y.mul(&y).unwrap().mul_scalar(3.0).unwrap();
    let out = z.reduce(ReduceOp::Mean, None, false).unwrap();
    assert_eq!(vals(&out), vec![27.0]);
    backward(
        std::slice::from_ref(&out),
        &[Tensor::ones(&[], DType::F64)],
        false,
        false,
        &[],
        Inputs::AllLeaves,
        false,
    )
    .unwrap();
    assert_eq!(vals(&x.grad().unwrap()), vec![4.5; 4]);
    // the graph was freed by that backward: a second one is a clean error
    let err = backward(
        &[out],
        &[Tensor::ones(&[], DType::F64)],
        false,
        false,
        &[],
        Inputs::AllLeaves,
        false,
    )
    .unwrap_err();
    assert!(err
        .to_string()
        .contains("backward through the graph a second time"));
}

#[test]
fn broadcasting_and_matmul_gradients() {
    let a = leaf(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = leaf(vec![1.0, 0.5, -1.0], &[3]);
    let w = leaf(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    let out = a.add(&b).unwrap().matmul(&w).unwrap().sum_all().unwrap();
    backward(
        &[out],
        &[Tensor::ones(&[], DType::F64)],
        false,
        false,
        &[],
        Inputs::AllLeaves,
        false,
    )
    .unwrap();
    // d/db = sum over rows of (ones @ w^T) = 2 * row sums of w
    assert_eq!(vals(&b.grad().unwrap()), vec![6.0, 14.0, 22.0]);
    assert_eq!(
        vals(&a.grad().unwrap()),
        vec![3.0, 7.0, 11.0, 3.0, 7.0, 11.0]
    );
    // d/dw = (a + b)^T @ ones: column sums of a + b, repeated per output column
    assert_eq!(vals(&w.grad().unwrap()), vec![7.0, 7.0, 8.0, 8.0, 7.0, 7.0]);
}

#[test]
fn higher_order_through_create_graph() {
    let x = leaf(vec![0.5, -1.0], &[2]);
    let y = x.unary(UnaryOp::Sin).unwrap().sum_all().unwrap();
    let g = backward(
        &[y],
        &[Tensor::ones(&[], DType::F64)],
        true,
        true,
        std::slice::from_ref(&x),
        Inputs::Capture,
        false,
    )
    .unwrap();
    let g = g[0].clone().unwrap();
    let gg = backward(
        &[g.sum_all().unwrap()],
        &[Tensor::ones(&[], DType::F64)],
        false,
        false,
        std::slice::from_ref(&x),
        Inputs::Capture,
        false,
    )
    .unwrap();
    let want: Vec<f64> = [0.5f64, -1.0].iter().map(|v| -v.sin()).collect();
    for (a, b) in vals(&gg[0].clone().unwrap()).iter().zip(want) {
        assert!((a - b).abs() < 1e-12);
    }
}

#[test]
fn arena_frees_graphs_and_no_grad_records_nothing() {
    let base = live_nodes();
    {
        let x = leaf(vec![1.0; 8], &[8]);
        let mut y = x.clone();
        for _ in 0..200 {
            y = y.unary(UnaryOp::Tanh).unwrap();
        }
        assert!(live_nodes() >= base + 200);
    }
    // (other tests build graphs concurrently, so exact counts are checked in
    // the Python leak test, which runs alone)
    let x = leaf(vec![1.0; 2], &[2]);
    let _g = GradModeGuard::new(false);
    let y = x.mul_scalar(2.0).unwrap();
    assert!(y.grad_fn().is_none() && !y.requires_grad());
}

#[test]
fn views_do_not_copy_and_route_gradients() {
    let x = leaf((0..12).map(|v| v as f64).collect(), &[3, 4]);
    let v = x
        .transpose(0, 1)
        .unwrap()
        .slice(0, Some(1), None, 2)
        .unwrap();
    assert_eq!(v.shape().as_slice(), &[2, 3]);
    assert_eq!(vals(&v), vec![1.0, 5.0, 9.0, 3.0, 7.0, 11.0]);
    backward(
        &[v.sum_all().unwrap()],
        &[Tensor::ones(&[], DType::F64)],
        false,
        false,
        &[],
        Inputs::AllLeaves,
        false,
    )
    .unwrap();
    assert_eq!(
        vals(&x.grad().unwrap()),
        vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    );
}

#[test]
fn shape_errors_name_the_op_and_shapes() {
    let a = Tensor::ones(&[2, 3], DType::F32);
    let b = Tensor::ones(&[4, 5], DType::F32);
    assert_eq!(
        a.mm(&b).unwrap_err().to_string(),
        "mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
    );
    // through matmul PyTorch 2.15 reports the same mm message
    assert_eq!(
        a.matmul(&b).unwrap_err().to_string(),
        "mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"
    );
    let c = Tensor::ones(&[4], DType::F32);
    assert!(a
        .add(&c)
        .unwrap_err()
        .to_string()
        .contains("must match the size of tensor b (4)"));
}
