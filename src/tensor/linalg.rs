//! Matrix products: `matmul` with NumPy's 1-D and batch-broadcasting rules,
//! all lowered onto one batched GEMM primitive.

use super::{record, Tensor};
use crate::error::{dtype_err, shape_err, Result};
use crate::grad_rules::{Rule, Saved};
use crate::shape::broadcast_shapes;

fn missing() -> crate::error::Error {
    crate::error::Error::Runtime("addmm: an operand is missing".into())
}

impl Tensor {
    /// The primitive: `[.., m, k] @ [.., k, n]` for 2-D or same-batch 3-D operands.
    fn bmm_primitive(&self, other: &Tensor, name: &'static str) -> Result<Tensor> {
        if self.dtype() != other.dtype() {
            return dtype_err(
                "matmul",
                format!(
                    "expected m1 and m2 to have the same dtype, but got: {} != {}",
                    self.dtype(),
                    other.dtype()
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
            return shape_err("mm", format!("mm: self must be a matrix, got {}-D tensor", sa.len()));
        }
        if sb.len() != 2 {
            return shape_err("mm", format!("mm: mat2 must be a matrix, got {}-D tensor", sb.len()));
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
        self.bmm_primitive(other, "MmBackward0")
    }

    pub fn bmm(&self, other: &Tensor) -> Result<Tensor> {
        let (sa, sb) = (self.shape(), other.shape());
        if sa.len() != 3 || sb.len() != 3 {
            return shape_err("bmm", format!("batch1 must be a 3D tensor"));
        }
        if sa[0] != sb[0] || sa[2] != sb[1] {
            return shape_err("bmm", format!("Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].", sa[0], sa[2], sb[0], sb[1]));
        }
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
        if sa[0] != sb[0] {
            return shape_err("dot", format!("inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively", sa[0], sb[0], sa[0], sb[0]));
        }
        let out = self
            .unsqueeze(0)?
            .bmm_primitive(&other.unsqueeze(1)?, "DotBackward0")?
            .reshape_to(&[])?;
        crate::graph::rename(&out, "DotBackward0");
        Ok(out)
    }

    pub fn mv(&self, v: &Tensor) -> Result<Tensor> {
        let (sa, sb) = (self.shape(), v.shape());
        if sa.len() != 2 || sb.len() != 1 || sa[1] != sb[0] {
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
        let out = self
            .bmm_primitive(&v.unsqueeze(1)?, "MvBackward0")?
            .reshape_to(&[sa[0]])?;
        crate::graph::rename(&out, "MvBackward0");
        Ok(out)
    }

    /// NumPy `matmul` semantics (1-D promotion, batch broadcasting).
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (sa, sb) = (self.shape(), other.shape());
        let (na, nb) = (sa.len(), sb.len());
        if na == 0 || nb == 0 {
            return shape_err(
                "matmul",
                format!(
                    "both arguments to matmul need to be at least 1D, but they are {na}D and {nb}D"
                ),
            );
        }
        match (na, nb) {
            (1, 1) => return self.dot(other),
            (2, 1) => return self.mv(other),
            (1, 2) => {
                if sa[0] != sb[0] {
                    return shape_err(
                        "matmul",
                        format!(
                            "mm: mat1 and mat2 shapes cannot be multiplied (1x{} and {}x{})",
                            sa[0], sb[0], sb[1]
                        ),
                    );
                }
                return self.unsqueeze(0)?.mm(other)?.squeeze_dims(&[0]);
            }
            // PyTorch names the mm in matmul's shape error
            (2, 2) => {
                return self.mm(other)
            }
            _ => {}
        }
        // Batched: promote 1-D operands, broadcast batch dims.
        let a = if na == 1 {
            self.unsqueeze(0)?
        } else {
            self.clone()
        };
        let b = if nb == 1 {
            other.unsqueeze(1)?
        } else {
            other.clone()
        };
        let (sa2, sb2) = (a.shape(), b.shape());
        let (m, k) = (sa2[sa2.len() - 2], sa2[sa2.len() - 1]);
        let (k2, n) = (sb2[sb2.len() - 2], sb2[sb2.len() - 1]);
        if k != k2 {
            // PyTorch's messages: a batch times a matrix or vector is folded
            // into rows first (mm / mv complain); otherwise bmm does
            let rows: usize = sa2[..sa2.len() - 1].iter().product();
            if nb == 1 {
                return shape_err("matmul", format!("size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({k2})"));
            }
            if nb == 2 {
                return shape_err("matmul", format!("mm: mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {k2}x{n})"));
            }
            let batch = broadcast_shapes("matmul", &sa2[..sa2.len() - 2], &sb2[..sb2.len() - 2])?;
            let bsz: usize = batch.iter().product();
            return shape_err("matmul", format!("Expected size for first two dimensions of batch2 tensor to be: [{bsz}, {k}] but got: [{bsz}, {k2}]."));
        }
        // A batch times one matrix folds the batch into rows: one GEMM, no copies.
        let mut out = if sb2.len() == 2 && a.is_contiguous() {
            let rows: usize = sa2[..sa2.len() - 1].iter().product();
            let mut shape = sa2[..sa2.len() - 1].to_vec();
            shape.push(n);
            a.reshape_to(&[rows, k])?.mm(&b)?.unsafe_view(&shape)?
        } else {
            let batch = broadcast_shapes("matmul", &sa2[..sa2.len() - 2], &sb2[..sb2.len() - 2])?;
            let bsz: usize = batch.iter().product();
            let mut ea = batch.clone();
            ea.extend([m, k]);
            let mut eb = batch.clone();
            eb.extend([k, n]);
            let a3 = a.expand(&ea)?.reshape_to(&[bsz, m, k])?;
            let b3 = b.expand(&eb)?.reshape_to(&[bsz, k, n])?;
            let mut shape = batch;
            shape.extend([m, n]);
            a3.bmm_primitive(&b3, "BmmBackward0")?.unsafe_view(&shape)?
        };
        if na == 1 {
            out = out.squeeze(Some(&[-2]))?;
        }
        if nb == 1 {
            out = out.squeeze(Some(&[-1]))?;
        }
        Ok(out)
    }

    pub fn outer(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() != 1 || other.ndim() != 1 {
            return shape_err("outer", "outer: expected 1D tensors");
        }
        self.unsqueeze(1)?.mul(&other.unsqueeze(0)?)
    }
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
            let (which, nd) = if s1.len() != 2 { ("self", s1.len()) } else { ("mat2", s2.len()) };
            return shape_err("addmm", format!("addmm: {which} must be a matrix, got {nd}-D tensor"));
        }
        if s1[1] != s2[0] {
            return shape_err("addmm", format!("addmm: mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})", s1[0], s1[1], s2[0], s2[1]));
        }
        if mat1.dtype() != mat2.dtype() || bias.dtype() != mat1.dtype() {
            let names = |d: crate::dtype::DType| d.scalar_name().to_string();
            return dtype_err("addmm", format!("expected m1 and m2 to have the same dtype, but got: {} != {}", names(mat1.dtype()), names(if mat1.dtype() != mat2.dtype() { mat2.dtype() } else { bias.dtype() })));
        }
        let fused = bias.shape().as_slice() == [s2[1]] && mat1.dtype().is_float() && [bias, mat1, mat2].iter().all(|t| t.device() == crate::storage::Device::Cpu);
        if !fused {
            let out_shape = [s1[0], s2[1]];
            crate::shape::broadcast_shapes("addmm", &bias.shape(), &out_shape)?;
            return crate::composite::composite("AddmmBackward0", &[Some(bias), Some(mat1), Some(mat2)], None, |a| {
                let (b, m1, m2) = (a[0].as_ref().ok_or_else(missing)?, a[1].as_ref().ok_or_else(missing)?, a[2].as_ref().ok_or_else(missing)?);
                m1.mm(m2)?.add(b)
            });
        }
        let storage = {
            let (v1, v2) = (mat1.view_guard(), mat2.view_guard());
            let (d1, d2) = (v1.storage.data.read_recursive(), v2.storage.data.read_recursive());
            let bc = bias.contiguous_data()?;
            let vb = bc.view_guard();
            let sb = vb.storage.data.read_recursive();
            d1.bmm_bias(&v1.layout.unsqueeze(0), &d2, &v2.layout.unsqueeze(0), (&sb, vb.layout.offset))?
        };
        let out = Tensor::contiguous_from(storage, vec![s1[0], s2[1]]);
        record(&out, "AddmmBackward0", &[bias, mat1, mat2], || Rule::Addmm(Saved::input(mat1), Saved::input(mat2)));
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
