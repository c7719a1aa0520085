//! In-place fused optimizer updates (`optim.SGD.step` and friends call one
//! per parameter): validate, lock the parameter and its state buffers for
//! writing, run the update, bump versions.

use super::Tensor;
use crate::error::{runtime_err, shape_err, Result};
use crate::layout::Layout;
use crate::op::OptimUpdate;
use crate::shape::fmt_shape;
use std::sync::Arc;

impl Tensor {
    /// Whether `optim_update_` can update this parameter in place with
    /// these state buffers: it is dense and they share its strides.
    pub fn optim_layouts_match(&self, states: &[Tensor]) -> bool {
        let layout = self.layout();
        if layout.numel() == 0 {
            return states.iter().all(|s| s.shape() == layout.shape);
        }
        layout.is_dense_permutation()
            && states
                .iter()
                .all(|s| same_dense_layout(&s.layout(), &layout))
    }

    /// Applies `u` to this parameter in place with `grad` and `states`
    /// (`u.state_count()` buffers shaped like the parameter).
    pub fn optim_update_(&self, grad: &Tensor, states: &[Tensor], u: &OptimUpdate) -> Result<()> {
        let op = u.name();
        let shape = self.shape();
        if !self.dtype().is_float() {
            return runtime_err(format!(
                "{op}: parameters must be floating point, got {}",
                self.dtype()
            ));
        }
        if grad.shape() != shape {
            return shape_err(
                op,
                format!(
                    "{op}: gradient of shape {} does not match parameter of shape {}",
                    fmt_shape(&grad.shape()),
                    fmt_shape(&shape)
                ),
            );
        }
        if states.len() != u.state_count() {
            return runtime_err(format!(
                "{op}: expected {} state buffers, got {}",
                u.state_count(),
                states.len()
            ));
        }
        // The update runs over memory: the parameter may be any dense
        // permutation (a transposed weight) when its state buffers share its
        // strides (as `zeros_like` makes them) and the gradient is brought
        // into that order.
        let layout = self.layout();
        if !layout.is_dense_permutation() && layout.numel() > 0 {
            return runtime_err(format!("{op}: the parameter must be dense"));
        }
        let cell = self.storage_cell();
        let mut cells = vec![cell.clone()];
        for s in states {
            if s.dtype() != self.dtype() || !self.optim_layouts_match(std::slice::from_ref(s)) {
                return runtime_err(format!(
                    "{op}: state buffers must be {} tensors of shape {} with the parameter's strides",
                    self.dtype(),
                    fmt_shape(&shape)
                ));
            }
            let c = s.storage_cell();
            if cells.iter().any(|x| Arc::ptr_eq(x, &c)) {
                return runtime_err(format!(
                    "{op}: parameter and state buffers must not share memory"
                ));
            }
            cells.push(c);
        }
        // A gradient aliasing any written buffer is copied first: the update
        // holds write locks on those and a read lock on the gradient.
        let g = grad.detach().cast_nograd(self.dtype())?;
        let g = g.permute_usize(&layout.memory_order())?;
        let g = if cells.iter().any(|x| Arc::ptr_eq(x, &g.storage_cell())) {
            g.clone_data()?
        } else {
            g.contiguous_data()?
        };
        let n = self.numel();
        {
            let pv = self.view_guard();
            let gv = g.view_guard();
            let svs: Vec<_> = states.iter().map(|s| s.view_guard()).collect();
            let mut pd = pv.storage.data.write();
            let gd = gv.storage.data.read_recursive();
            let mut sds: Vec<_> = svs.iter().map(|v| v.storage.data.write()).collect();
            let st = sds
                .iter_mut()
                .zip(&svs)
                .map(|(d, v)| (&mut **d, v.layout.offset))
                .collect();
            crate::storage::Storage::optim_update(
                u,
                (&mut pd, pv.layout.offset),
                (&gd, gv.layout.offset),
                st,
                n,
            )?;
        }
        cell.bump_version();
        for s in states {
            s.storage_cell().bump_version();
        }
        Ok(())
    }
}

/// Equal shapes and equal strides wherever a stride matters (size-1 dims
/// are stepped over whatever their stride).
fn same_dense_layout(a: &Layout, b: &Layout) -> bool {
    a.shape == b.shape
        && a.shape
            .iter()
            .zip(a.strides.iter().zip(&b.strides))
            .all(|(&d, (sa, sb))| d == 1 || sa == sb)
}
