//! Matrix products: `matmul` with NumPy's 1-D and batch-broadcasting rules,
//! all lowered onto one batched GEMM primitive.

use super::{record, Tensor};
use crate::error::{dtype_err, shape_err, Result};
use crate::grad_rules::{Rule, Saved};
use crate::shape::broadcast_shapes;

/// PyTorch's CPU matrix kernels refuse booleans.
fn refuse_bool(t: &Tensor, kernel: &str) -> Result<()> {
    if t.dtype() == crate::dtype::DType::Bool {
        return Err(crate::error::Error::NotImplemented(format!(
            "\"{kernel}\" not implemented for 'Bool'"
        )));
    }
    Ok(())
}

fn missing() -> crate::error::Error {
    crate::error::Error::Runtime("matrix product: an operand is missing".into())
}

impl Tensor {
    /// The primitive: `[.., m, k] @ [.., k, n]` for 2-D or same-batch 3-D operands.
    /// Callers check the dtypes first, each with PyTorch's message for it.
    fn bmm_primitive(&self, other: &Tensor, name: &'static str) -> Result<Tensor> {
        if self.dtype() != other.dtype() {
            return dtype_err(
                name,
                format!(
                    "expected scalar type {} but found {}",
                    self.dtype().scalar_name(),
                    other.dtype().scalar_name()
                ),
            );
        }
        let (la, lb) = (self.layout(), other.layout());
        let two_d = la.ndim() == 2;
        let (la3, lb3) = if two_d {
            (la.unsqueeze(0), lb.unsqueeze(0))
        } else {
            (la, lb)
        };
        let (bs, m, n) = (la3.shape[0], la3.shape[1], lb3.shape[2]);
        let storage = {
            let (va, vb) = (self.view_guard(), other.view_guard());
            let (sa, sb) = (
                va.storage.data.read_recursive(),
                vb.storage.data.read_recursive(),
            );
            sa.bmm(&la3, &sb, &lb3)?
        };
        let shape = if two_d { vec![m, n] } else { vec![bs, m, n] };
        let out = Tensor::contiguous_from(storage, shape);
        record(&out, name, &[self, other], || {
            Rule::Matmul(Saved::input(self), Saved::input(other))
        });
        Ok(out)
    }

    pub fn mm(&self, other: &Tensor) -> Result<Tensor> {
        let (sa, sb) = (self.shape(), other.shape());
        if sa.len() != 2 {
            return shape_err(
                "mm",
                format!("mm: self must be a matrix, got {}-D tensor", sa.len()),
            );
        }
        if sb.len() != 2 {
            return shape_err(
                "mm",
                format!("mm: mat2 must be a matrix, got {}-D tensor", sb.len()),
            );
        }
        if sa[1] != sb[0] {
            return shape_err(
                "mm",
                format!(
                    "mm: mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
                    sa[0], sa[1], sb[0], sb[1]
                ),
            );
        }
        if self.dtype() != other.dtype() {
            return dtype_err(
                "mm",
                format!(
                    "expected m1 and m2 to have the same dtype, but got: {} != {}",
                    self.dtype().cpp_name(),
                    other.dtype().cpp_name()
                ),
            );
        }
        refuse_bool(self, "addmm_impl_cpu_")?;
        self.bmm_primitive(other, "MmBackward0")
    }

    pub fn bmm(&self, other: &Tensor) -> Result<Tensor> {
        let (sa, sb) = (self.shape(), other.shape());
        if sa.len() != 3 {
            return shape_err("bmm", "batch1 must be a 3D tensor");
        }
        if sb.len() != 3 {
            return shape_err("bmm", "batch2 must be a 3D tensor");
        }
        if sa[0] != sb[0] || sa[2] != sb[1] {
            return shape_err("bmm", format!("Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].", sa[0], sa[2], sb[0], sb[1]));
        }
        refuse_bool(self, "bmm")?;
        self.bmm_primitive(other, "BmmBackward0")
    }

    pub fn dot(&self, other: &Tensor) -> Result<Tensor> {
        let (sa, sb) = (self.shape(), other.shape());
        if sa.len() != 1 || sb.len() != 1 {
            return shape_err(
                "dot",
                format!(
                    "1D tensors expected, but got {}D and {}D tensors",
                    sa.len(),
                    sb.len()
                ),
            );
        }
        if self.dtype() != other.dtype() {
            return dtype_err(
                "dot",
                format!(
                    "dot : expected both vectors to have same dtype, but found {} and {}",
                    self.dtype().scalar_name(),
                    other.dtype().scalar_name()
                ),
            );
        }
        refuse_bool(self, "dot")?;
        if sa[0] != sb[0] {
            return shape_err("dot", format!("inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively", sa[0], sb[0], sa[0], sb[0]));
        }
        // one node over both vectors (the row-times-column product inside)
        crate::composite::composite("DotBackward0", &[Some(self), Some(other)], None, |a| {
            let (x, y) = (
                a[0].as_ref().ok_or_else(missing)?,
                a[1].as_ref().ok_or_else(missing)?,
            );
            x.unsqueeze(0)?
                .bmm_primitive(&y.unsqueeze(1)?, "MmBackward0")?
                .reshape_to(&[])
        })
    }

    pub fn mv(&self, v: &Tensor) -> Result<Tensor> {
        let (sa, sb) = (self.shape(), v.shape());
        if sa.len() != 2 || sb.len() != 1 {
            // PyTorch's mv is an addmv into a 1-d result: its rank check
            return shape_err(
                "mv",
                format!(
                    "vector + matrix @ vector expected, got 1, {}, {}",
                    sa.len(),
                    sb.len()
                ),
            );
        }
        if sa[1] != sb[0] {
            return shape_err(
                "mv",
                format!(
                    "size mismatch, got input ({}), mat ({}), vec ({})",
                    sa.first().copied().unwrap_or(0),
                    sa.iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join("x"),
                    sb.first().copied().unwrap_or(0)
                ),
            );
        }
        if self.dtype() != v.dtype() {
            let (m, x) = (self.dtype().scalar_name(), v.dtype().scalar_name());
            return dtype_err(
                "mv",
                format!("addmv input tensors must have the same dtype, but got {x}, {m}, and {x}"),
            );
        }
        refuse_bool(self, "addmv_impl_cpu")?;
        crate::composite::composite("MvBackward0", &[Some(self), Some(v)], None, |a| {
            let (m, x) = (
                a[0].as_ref().ok_or_else(missing)?,
                a[1].as_ref().ok_or_else(missing)?,
            );
            m.bmm_primitive(&x.unsqueeze(1)?, "MmBackward0")?
                .reshape_to(&[sa[0]])
        })
    }

    /// `matmul`, decomposed as PyTorch's `_matmul_impl` so the graph has
    /// PyTorch's nodes: dot, mv, mm for 1-D/2-D operands; a batch times a
    /// matrix or vector folded into rows (one mm/mv) when PyTorch folds;
    /// otherwise the batch dims broadcast, flattened, and one bmm.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (na, nb) = (self.ndim(), other.ndim());
        if na == 0 || nb == 0 {
            return shape_err(
                "matmul",
                format!(
                    "both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D"
                ),
            );
        }
        match (na, nb) {
            (1, 1) => self.dot(other),
            (2, 1) => self.mv(other),
            (1, 2) => self.unsqueeze(0)?.mm(other)?.squeeze_dims(&[0]),
            (2, 2) => self.mm(other),
            _ if should_fold(self, other) => self.matmul_folded(other),
            _ => self.matmul_batched(other),
        }
    }

    /// A batch (`self`, or `other` transposed) times a matrix or vector as
    /// one mm/mv over the batch folded into rows.
    fn matmul_folded(&self, other: &Tensor) -> Result<Tensor> {
        let transpose = other.ndim() > self.ndim();
        let (t1, t2) = if transpose {
            (
                other.mt()?,
                if self.ndim() == 2 {
                    self.t()?
                } else {
                    self.clone()
                },
            )
        } else {
            (self.clone(), other.clone())
        };
        let s1 = t1.shape();
        let mut out_shape = s1[..s1.len() - 1].to_vec();
        let rows: usize = out_shape.iter().product();
        let folded = t1.reshape_to(&[rows, s1[s1.len() - 1]])?;
        if t2.ndim() == 1 {
            return folded.mv(&t2)?.unsafe_view(&out_shape);
        }
        out_shape.push(t2.shape()[1]);
        let out = folded.mm(&t2)?.unsafe_view(&out_shape)?;
        if transpose {
            out.mt()?.contiguous()
        } else {
            Ok(out)
        }
    }

    /// Broadcast batch dims, flattened into one bmm.
    fn matmul_batched(&self, other: &Tensor) -> Result<Tensor> {
        let (sa, sb) = (self.shape(), other.shape());
        let (na, nb) = (sa.len(), sb.len());
        let n = if na > 1 { sa[na - 2] } else { 1 };
        let m1 = sa[na - 1];
        let batch1 = &sa[..na.saturating_sub(2)];
        let m2 = if nb > 1 { sb[nb - 2] } else { sb[0] };
        let p = if nb > 1 { sb[nb - 1] } else { 1 };
        let batch2 = &sb[..nb.saturating_sub(2)];
        // PyTorch squeezes a size-1 batch of a grad-requiring operand to
        // fold it instead of broadcasting it (a smaller gradient)
        if na == 3 && nb == 3 && batch1[0] != batch2[0] {
            if batch1[0] == 1 && self.requires_grad() {
                return self.squeeze(Some(&[0]))?.matmul(other);
            }
            if batch2[0] == 1 && other.requires_grad() {
                return self.matmul(&other.squeeze(Some(&[0]))?);
            }
        }
        let batch = broadcast_shapes("matmul", batch1, batch2)?;
        let bsz = batch.iter().product::<usize>() as i64;
        let with = |tail: &[usize]| -> Vec<usize> { batch.iter().chain(tail).copied().collect() };
        let a3 = self
            .expand_view(&with(&[n, m1]))?
            .reshape(&[bsz, n as i64, m1 as i64])?;
        let vector_rhs = nb == 1;
        let b3 = if vector_rhs {
            other
                .expand_view(&with(&[m2]))?
                .reshape(&[bsz, m2 as i64])?
                .unsqueeze(2)?
        } else {
            other
                .expand_view(&with(&[m2, p]))?
                .reshape(&[bsz, m2 as i64, p as i64])?
        };
        let mut out_shape = batch.clone();
        if na > 1 {
            out_shape.push(n);
        }
        if nb > 1 {
            out_shape.push(p);
        }
        let product = a3.bmm(&b3)?;
        let product = if vector_rhs {
            product.squeeze(Some(&[-1]))?
        } else {
            product
        };
        product.unsafe_view(&out_shape)
    }

    pub fn outer(&self, other: &Tensor) -> Result<Tensor> {
        for (name, t) in [("self", self), ("vec2", other)] {
            if t.ndim() != 1 {
                return shape_err(
                    "outer",
                    format!(
                        "outer: Expected 1-D argument {name}, but got {}-D",
                        t.ndim()
                    ),
                );
            }
        }
        // PyTorch's composition: a column view times the row
        self.reshape_to(&[self.numel(), 1])?.mul(other)
    }
}

/// PyTorch's `should_fold`: a batch (at least 3-D) times a matrix or vector
/// is folded into rows when the smaller operand requires grad (its gradient
/// then needs no batch-sized buffer) or when the batch folds without a copy.
fn should_fold(a: &Tensor, b: &Tensor) -> bool {
    let a_larger = a.ndim() >= b.ndim();
    let (big, small_nd, small_requires_grad) = if a_larger {
        (a.layout(), b.ndim(), b.requires_grad())
    } else {
        (
            b.layout().transpose(b.ndim() - 2, b.ndim() - 1),
            a.ndim(),
            a.requires_grad(),
        )
    };
    if !(big.ndim() >= 3 && (small_nd == 1 || small_nd == 2)) {
        return false;
    }
    if small_requires_grad {
        return true;
    }
    if a.ndim() == 2 {
        return false;
    }
    if big.numel() == 0 {
        return true;
    }
    // the batch dims (all but the last) must merge into one without a
    // copy; dims of size 1 have no say (PyTorch 2.15 folds a transposed
    // [1, k, n] operand)
    let kept: Vec<usize> = (0..big.ndim() - 1).filter(|&i| big.shape[i] != 1).collect();
    kept.windows(2)
        .all(|w| big.strides[w[0]] == big.strides[w[1]] * big.shape[w[1]])
}

impl Tensor {
    /// `F.linear`: `x @ w^T + b`, decomposed as PyTorch's `aten::linear`
    /// (so the graph has PyTorch's nodes): `addmm(b, x, w.t())` for 2-D `x`
    /// with a bias; for a contiguous N-D `x` with a 1-D bias, `x` flattened to
    /// rows, `addmm`, and an unsafe view back; otherwise `matmul(x, w.t())`
    /// and the bias added. `w.t()` is a view: the GEMM reads `w` transposed
    /// in place, and `w`'s gradient comes out in `w`'s layout.
    pub fn linear(&self, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
        let wt = w.mt_or_t()?;
        let nd = self.ndim();
        if let Some(b) = b {
            if nd == 2 {
                return Tensor::addmm(b, self, &wt);
            }
            if nd >= 1 && self.is_contiguous() && (nd == 3 || b.ndim() == 1) && wt.ndim() == 2 {
                let sx = self.shape();
                let in_f = sx[nd - 1];
                let rows: usize = sx[..nd - 1].iter().product();
                let out = Tensor::addmm(b, &self.reshape_to(&[rows, in_f])?, &wt)?;
                let mut shape = sx[..nd - 1].to_vec();
                shape.push(out.shape()[1]);
                return out.unsafe_view(&shape);
            }
        }
        let out = self.matmul(&wt)?;
        match b {
            Some(b) => out.add(b),
            None => Ok(out),
        }
    }

    /// `addmm(bias, mat1, mat2)`: `bias + mat1 @ mat2` for matrices, as one
    /// node (AddmmBackward0). A 1-D bias of the output's width on the CPU is
    /// added by the GEMM kernel itself (one pass over the output while it is
    /// in cache); any other bias is a broadcast add inside the same node.
    pub fn addmm(bias: &Tensor, mat1: &Tensor, mat2: &Tensor) -> Result<Tensor> {
        let (s1, s2) = (mat1.shape(), mat2.shape());
        if s1.len() != 2 || s2.len() != 2 {
            let (which, nd) = if s1.len() != 2 {
                ("self", s1.len())
            } else {
                ("mat2", s2.len())
            };
            return shape_err(
                "addmm",
                format!("addmm: {which} must be a matrix, got {nd}-D tensor"),
            );
        }
        if s1[1] != s2[0] {
            return shape_err(
                "addmm",
                format!(
                    "addmm: mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
                    s1[0], s1[1], s2[0], s2[1]
                ),
            );
        }
        if mat1.dtype() != mat2.dtype() {
            return dtype_err(
                "addmm",
                format!(
                    "mat1 and mat2 must have the same dtype, but got {} and {}",
                    mat1.dtype().scalar_name(),
                    mat2.dtype().scalar_name()
                ),
            );
        }
        if bias.dtype() != mat2.dtype() {
            return dtype_err(
                "addmm",
                format!(
                    "self and mat2 must have the same dtype, but got {} and {}",
                    bias.dtype().scalar_name(),
                    mat2.dtype().scalar_name()
                ),
            );
        }
        refuse_bool(mat1, "addmm_impl_cpu_")?;
        let fused = bias.shape().as_slice() == [s2[1]]
            && mat1.dtype().is_float()
            && [bias, mat1, mat2]
                .iter()
                .all(|t| t.device() == crate::storage::Device::Cpu);
        if !fused {
            let out_shape = [s1[0], s2[1]];
            crate::shape::broadcast_shapes("addmm", &bias.shape(), &out_shape)?;
            return crate::composite::composite(
                "AddmmBackward0",
                &[Some(bias), Some(mat1), Some(mat2)],
                None,
                |a| {
                    let (b, m1, m2) = (
                        a[0].as_ref().ok_or_else(missing)?,
                        a[1].as_ref().ok_or_else(missing)?,
                        a[2].as_ref().ok_or_else(missing)?,
                    );
                    m1.mm(m2)?.add(b)
                },
            );
        }
        let storage = {
            let (v1, v2) = (mat1.view_guard(), mat2.view_guard());
            let (d1, d2) = (
                v1.storage.data.read_recursive(),
                v2.storage.data.read_recursive(),
            );
            let bc = bias.contiguous_data()?;
            let vb = bc.view_guard();
            let sb = vb.storage.data.read_recursive();
            d1.bmm_bias(
                &v1.layout.unsqueeze(0),
                &d2,
                &v2.layout.unsqueeze(0),
                (&sb, vb.layout.offset),
            )?
        };
        let out = Tensor::contiguous_from(storage, vec![s1[0], s2[1]]);
        record(&out, "AddmmBackward0", &[bias, mat1, mat2], || {
            Rule::Addmm(Saved::input(mat1), Saved::input(mat2))
        });
        Ok(out)
    }

    /// The transpose of a 2-D tensor, or the tensor itself when 1-D (as `t()`).
    fn mt_or_t(&self) -> Result<Tensor> {
        if self.ndim() < 2 {
            Ok(self.clone())
        } else {
            self.t()
        }
    }
}
