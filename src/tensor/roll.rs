//! `roll`: along each rolled dim the input is two blocks, written to the
//! opposite ends of a fresh tensor, so k rolled dims are 2^k block copies
//! (whole rows where the blocks have them) in one pass over the data; the
//! gradient is the incoming gradient rolled back. With no dims the flattened
//! tensor rolls, as PyTorch's, in the same single node.

use super::{record, Tensor};
use crate::error::Result;
use crate::grad_rules::Rule;
use crate::layout::Layout;
use crate::storage::Storage;

impl Tensor {
    /// Rolls dim `dims[i]` by `shifts[i]` (dims wrapped, as many as shifts);
    /// no dims: the flattened tensor by `shifts[0]`.
    pub fn roll(&self, shifts: &[i64], dims: &[usize]) -> Result<Tensor> {
        let out = if dims.is_empty() {
            // the row-major elements as one dim of a contiguous copy
            let flat = self.contiguous_data()?;
            let n = self.numel();
            flat.rolled(Some(Layout::contiguous([n].as_slice())), &[n], shifts, &[0])?
        } else {
            self.rolled(None, &self.shape(), shifts, dims)?
        };
        record(&out, "RollBackward0", &[self], || Rule::Roll {
            shifts: shifts.to_vec(),
            dims: dims.to_vec(),
        });
        Ok(out)
    }

    /// The rolled copy, unrecorded, contiguous in this tensor's shape; the
    /// rolls apply to `shape`, read through `layout` (default: this
    /// tensor's own).
    fn rolled(
        &self,
        layout: Option<Layout>,
        shape: &[usize],
        shifts: &[i64],
        dims: &[usize],
    ) -> Result<Tensor> {
        // a dim named twice rolls by the sum
        let mut total = vec![0i64; shape.len()];
        for (&shift, &d) in shifts.iter().zip(dims) {
            let n = shape[d].max(1) as i64;
            total[d] = (total[d] + shift.rem_euclid(n)) % n;
        }
        let vs = self.view_guard();
        let from = layout.unwrap_or_else(|| vs.layout.clone());
        if let (Storage::Cpu(x), Some(range)) =
            (&*vs.storage.data.read_recursive(), from.contiguous_range())
        {
            // a contiguous CPU input: filled by runs, unzeroed
            let total: Vec<usize> = total.iter().map(|&s| s as usize).collect();
            let rolled = crate::backend::cpu::roll::rolled(x, range.start, shape, &total);
            return Ok(Tensor::contiguous_from(Storage::Cpu(rolled), self.shape()));
        }
        let out = Tensor::zeros_on(&self.shape(), self.dtype(), self.device())?;
        let vo = out.view_guard();
        // (read from, write to) block pairs; each rolled dim splits each in two
        let mut blocks = vec![(from, Layout::contiguous(shape))];
        for (d, &s) in total.iter().enumerate() {
            let (n, s) = (shape[d], s as usize);
            if s == 0 {
                continue;
            }
            blocks = blocks
                .into_iter()
                .flat_map(|(from, to)| {
                    [
                        (from.slice(d, 0, n - s, 1), to.slice(d, s, n - s, 1)),
                        (from.slice(d, n - s, s, 1), to.slice(d, 0, s, 1)),
                    ]
                })
                .collect();
        }
        {
            let mut dst = vo.storage.data.write();
            let src = vs.storage.data.read_recursive();
            for (from, to) in &blocks {
                dst.copy_from(to, &src, from)?;
            }
        }
        drop((vo, vs));
        Ok(out)
    }
}
