//! `as_strided(size, stride, storage_offset)`: a view of the storage with a
//! geometry of the caller's choosing (AsStridedBackward0). Its gradient
//! goes to the elements of the input the view reads, summed where the view
//! reads one more than once.

use super::{needs_grad, record, Tensor};
use crate::error::{shape_err, Error, Result};
use crate::grad_rules::Rule;
use crate::layout::Layout;
use crate::shape::fmt_shape;
use std::collections::HashMap;

impl Tensor {
    pub fn as_strided(
        &self,
        size: &[usize],
        stride: &[usize],
        storage_offset: Option<usize>,
    ) -> Result<Tensor> {
        if size.len() != stride.len() {
            return shape_err(
                "as_strided",
                "mismatch in length of strides and shape".to_string(),
            );
        }
        let layout = Layout {
            shape: size.into(),
            strides: stride.into(),
            offset: storage_offset.unwrap_or(self.layout().offset),
        };
        let reach = if layout.numel() == 0 {
            0
        } else {
            layout.offset
                + size
                    .iter()
                    .zip(stride)
                    .map(|(&n, &s)| (n - 1) * s)
                    .sum::<usize>()
                + 1
        };
        let storage_len = self.view_guard().storage.data.read_recursive().len();
        if reach > storage_len {
            return shape_err(
                "as_strided",
                format!(
                    "setStorage: sizes {}, strides {}, storage offset {}, and itemsize {} requiring a storage size of {} are out of bounds for storage of size {}",
                    fmt_shape(size),
                    fmt_shape(stride),
                    layout.offset,
                    self.dtype().size_in_bytes(),
                    reach * self.dtype().size_in_bytes(),
                    storage_len * self.dtype().size_in_bytes()
                ),
            );
        }
        let out = self.alias(layout.clone());
        if needs_grad(&[self]) {
            // each storage element of the input at its row-major position
            let mut position = HashMap::new();
            let mut next = 0i64;
            self.layout().for_each_offset(|o| {
                position.entry(o).or_insert(next);
                next += 1;
            });
            let mut positions = Vec::with_capacity(layout.numel());
            let mut outside = false;
            layout.for_each_offset(|o| match position.get(&o) {
                Some(&p) => positions.push(p),
                None => outside = true,
            });
            if outside {
                return Err(Error::NotImplemented(
                    "as_strided: a view that reads storage elements outside the input is not differentiable in autorust".into(),
                ));
            }
            let positions = Tensor::from_i64(positions, layout.shape.clone());
            let in_shape = self.shape();
            record(&out, "AsStridedBackward0", &[self], || Rule::StridedView {
                in_shape,
                positions,
            });
        }
        Ok(out)
    }
}
