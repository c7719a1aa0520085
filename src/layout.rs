//! `Layout {shape, strides, offset}`: how a tensor's elements sit in its
//! storage. Every view op is a pure function from one layout to another, so
//! views never copy.

use crate::error::{index_err, shape_err, Result};
use crate::shape::{contiguous_strides, fmt_shape, numel, Shape};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub shape: Shape,
    pub strides: Shape,
    pub offset: usize,
}

impl Layout {
    pub fn contiguous(shape: impl Into<Shape>) -> Layout {
        let shape = shape.into();
        let strides = contiguous_strides(&shape);
        Layout {
            shape,
            strides,
            offset: 0,
        }
    }
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }
    /// Row-major without gaps (size-1 dims may have any stride, as in PyTorch).
    pub fn is_contiguous(&self) -> bool {
        // as PyTorch: an empty tensor is contiguous whatever its strides
        if self.shape.contains(&0) {
            return true;
        }
        let mut expected = 1;
        for i in (0..self.shape.len()).rev() {
            if self.shape[i] != 1 {
                if self.strides[i] != expected {
                    return false;
                }
                expected *= self.shape[i];
            }
        }
        true
    }
    /// Every element at a distinct offset and no gaps: a permutation of a
    /// contiguous layout (a transpose, a permute), not a slice or an expand.
    /// Its elements are exactly storage[offset..offset + numel].
    pub fn is_dense_permutation(&self) -> bool {
        let mut dims: smallvec::SmallVec<[(usize, usize); 6]> = self
            .shape
            .iter()
            .zip(&self.strides)
            .filter(|(&d, _)| d != 1)
            .map(|(&d, &s)| (s, d))
            .collect();
        if dims.iter().any(|&(_, d)| d == 0) {
            return false;
        }
        dims.sort_unstable();
        let mut expected = 1;
        for (s, d) in dims {
            if s != expected {
                return false;
            }
            expected *= d;
        }
        true
    }
    /// The dims from outermost to innermost in memory (by stride, ties in
    /// dim order; size-1 dims, whose stride never matters, innermost): a
    /// dense layout permuted so is contiguous.
    pub fn memory_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.ndim()).collect();
        let key = |d: usize| {
            if self.shape[d] == 1 {
                0
            } else {
                self.strides[d]
            }
        };
        order.sort_by_key(|&d| (std::cmp::Reverse(key(d)), d));
        order
    }
    /// Contiguous and starting at offset 0 of its storage: the slice fast path.
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        if self.numel() == 0 {
            return Some(0..0);
        }
        if self.is_contiguous() {
            Some(self.offset..self.offset + self.numel())
        } else {
            None
        }
    }
    /// One past the largest storage offset this layout touches.
    pub fn storage_extent(&self) -> usize {
        if self.numel() == 0 {
            return self.offset;
        }
        self.offset
            + self
                .shape
                .iter()
                .zip(&self.strides)
                .map(|(&d, &s)| (d - 1) * s)
                .sum::<usize>()
            + 1
    }

    pub fn permute(&self, dims: &[usize]) -> Layout {
        Layout {
            shape: dims.iter().map(|&d| self.shape[d]).collect(),
            strides: dims.iter().map(|&d| self.strides[d]).collect(),
            offset: self.offset,
        }
    }
    /// The diagonal of dims `d1`, `d2` (distinct, in range) with `offset`
    /// (above the main diagonal when positive), as a last dim: the other
    /// dims keep their order, the diagonal steps by both strides at once.
    pub fn diagonal(&self, offset: i64, d1: usize, d2: usize) -> Layout {
        let (n1, n2) = (self.shape[d1] as i64, self.shape[d2] as i64);
        let len = if offset >= 0 {
            n1.min(n2 - offset)
        } else {
            (n1 + offset).min(n2)
        }
        .max(0) as usize;
        let mut l = Layout {
            shape: Shape::new(),
            strides: Shape::new(),
            offset: self.offset,
        };
        for i in 0..self.shape.len() {
            if i != d1 && i != d2 {
                l.shape.push(self.shape[i]);
                l.strides.push(self.strides[i]);
            }
        }
        if len > 0 {
            l.offset += if offset >= 0 {
                offset as usize * self.strides[d2]
            } else {
                (-offset) as usize * self.strides[d1]
            };
        }
        l.shape.push(len);
        l.strides.push(self.strides[d1] + self.strides[d2]);
        l
    }

    /// Every window of `size` along `dim`, `step` apart, as a new last dim
    /// (`Tensor.unfold`); `size <= shape[dim]` and `step > 0` are checked by
    /// the caller.
    pub fn unfold(&self, dim: usize, size: usize, step: usize) -> Layout {
        let mut l = self.clone();
        let inner = self.strides.get(dim).copied().unwrap_or(1);
        if dim < self.shape.len() {
            l.shape[dim] = (self.shape[dim] - size) / step + 1;
            l.strides[dim] = inner * step;
        }
        l.shape.push(size);
        l.strides.push(inner);
        l
    }

    pub fn transpose(&self, a: usize, b: usize) -> Layout {
        let mut l = self.clone();
        l.shape.swap(a, b);
        l.strides.swap(a, b);
        l
    }
    /// `start..stop` with `step` along `dim`; bounds already clamped by the caller.
    pub fn slice(&self, dim: usize, start: usize, len: usize, step: usize) -> Layout {
        let mut l = self.clone();
        if len > 0 {
            l.offset += start * l.strides[dim];
        }
        l.shape[dim] = len;
        l.strides[dim] *= step;
        l
    }
    pub fn select(&self, op: &'static str, dim: usize, index: i64) -> Result<Layout> {
        let size = self.shape[dim] as i64;
        if index < -size || index >= size {
            return index_err(
                op,
                format!("index {index} is out of bounds for dimension {dim} with size {size}"),
            );
        }
        let i = if index < 0 { index + size } else { index } as usize;
        let mut l = self.clone();
        l.offset += i * l.strides[dim];
        l.shape.remove(dim);
        l.strides.remove(dim);
        Ok(l)
    }
    pub fn unsqueeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        let stride = if dim < l.shape.len() {
            l.strides[dim] * l.shape[dim]
        } else {
            1
        };
        l.shape.insert(dim, 1);
        l.strides.insert(dim, stride);
        l
    }
    pub fn squeeze(&self, dims: &[usize]) -> Layout {
        let mut l = Layout {
            shape: Shape::new(),
            strides: Shape::new(),
            offset: self.offset,
        };
        for i in 0..self.shape.len() {
            if !(dims.contains(&i) && self.shape[i] == 1) {
                l.shape.push(self.shape[i]);
                l.strides.push(self.strides[i]);
            }
        }
        l
    }
    /// Broadcast view to `target` (stride 0 on expanded dims). `-1` entries were
    /// resolved by the caller.
    pub fn expand(&self, op: &'static str, target: &[usize]) -> Result<Layout> {
        if target.len() < self.shape.len() {
            return shape_err(
                op,
                format!(
                    "expand: the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                    target.len(),
                    self.shape.len()
                ),
            );
        }
        let lead = target.len() - self.shape.len();
        let mut strides: Shape = smallvec::smallvec![0; target.len()];
        // from the last dim, as PyTorch checks (the first mismatch it names)
        for i in (lead..target.len()).rev() {
            let (s, st) = (self.shape[i - lead], self.strides[i - lead]);
            if s == target[i] {
                strides[i] = st;
            } else if s == 1 {
                strides[i] = 0;
            } else {
                return shape_err(
                    op,
                    format!(
                        "The expanded size of the tensor ({}) must match the existing size ({s}) at non-singleton dimension {i}.  Target sizes: {}.  Tensor sizes: {}",
                        target[i],
                        fmt_shape(target),
                        fmt_shape(&self.shape)
                    ),
                );
            }
        }
        Ok(Layout {
            shape: Shape::from_slice(target),
            strides,
            offset: self.offset,
        })
    }
    /// A view with a new shape over the same elements, if the strides allow
    /// one (PyTorch's `computeStride`); `None` means `reshape` must copy.
    pub fn view(&self, new_shape: &[usize]) -> Option<Layout> {
        if self.is_contiguous() {
            return Some(Layout {
                shape: Shape::from_slice(new_shape),
                strides: contiguous_strides(new_shape),
                offset: self.offset,
            });
        }
        let numel = self.numel();
        if numel == 0 {
            return Some(Layout {
                shape: Shape::from_slice(new_shape),
                strides: contiguous_strides(new_shape),
                offset: self.offset,
            });
        }
        let mut new_strides: Shape = smallvec::smallvec![0; new_shape.len()];
        let mut view_d = new_shape.len() as isize - 1;
        let mut chunk_base_stride = *self.strides.last().unwrap_or(&1);
        let mut tensor_numel = 1;
        let mut view_numel = 1;
        for tensor_d in (0..self.shape.len()).rev() {
            tensor_numel *= self.shape[tensor_d];
            if tensor_d == 0
                || (self.shape[tensor_d - 1] != 1
                    && self.strides[tensor_d - 1] != tensor_numel * chunk_base_stride)
            {
                while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1)
                {
                    new_strides[view_d as usize] = view_numel * chunk_base_stride;
                    view_numel *= new_shape[view_d as usize];
                    view_d -= 1;
                }
                if view_numel != tensor_numel {
                    return None;
                }
                if tensor_d > 0 {
                    chunk_base_stride = self.strides[tensor_d - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                }
            }
        }
        if view_d != -1 {
            return None;
        }
        Some(Layout {
            shape: Shape::from_slice(new_shape),
            strides: new_strides,
            offset: self.offset,
        })
    }

    /// Calls `f(storage_offset)` for every element in row-major order.
    #[inline]
    pub fn for_each_offset(&self, mut f: impl FnMut(usize)) {
        let n = self.numel();
        if n == 0 {
            return;
        }
        if self.is_contiguous() {
            for i in 0..n {
                f(self.offset + i);
            }
            return;
        }
        walk(&self.shape, &[&self.strides], &[self.offset], |offs| {
            f(offs[0])
        });
    }
}

/// Walks an N-d index space in row-major order, keeping one running storage
/// offset per operand; the innermost dim is a tight loop. Used by every strided
/// kernel, so non-contiguous inputs never need a copy first.
#[inline]
pub fn walk<const K: usize>(
    shape: &[usize],
    strides: &[&[usize]; K],
    start: &[usize; K],
    mut f: impl FnMut([usize; K]),
) {
    let nd = shape.len();
    if shape.contains(&0) {
        return;
    }
    if nd == 0 {
        f(*start);
        return;
    }
    let inner = shape[nd - 1];
    let inner_strides: [usize; K] = std::array::from_fn(|k| strides[k][nd - 1]);
    let mut idx: Shape = smallvec::smallvec![0usize; nd];
    let mut base = *start;
    loop {
        let mut o = base;
        for _ in 0..inner {
            f(o);
            for k in 0..K {
                o[k] += inner_strides[k];
            }
        }
        // advance the outer dims like an odometer
        let mut d = nd - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            for k in 0..K {
                base[k] += strides[k][d];
            }
            if idx[d] < shape[d] {
                break;
            }
            for k in 0..K {
                base[k] -= strides[k][d] * shape[d];
            }
            idx[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn transpose_then_view_needs_copy() {
        let l = Layout::contiguous(&[2, 3][..]).transpose(0, 1);
        assert!(!l.is_contiguous());
        assert!(l.view(&[6]).is_none());
        assert!(l.view(&[3, 2]).is_some());
    }
    #[test]
    fn walk_visits_strided_offsets() {
        let l = Layout::contiguous(&[2, 3][..]).transpose(0, 1);
        let mut seen = vec![];
        l.for_each_offset(|o| seen.push(o));
        assert_eq!(seen, vec![0, 3, 1, 4, 2, 5]);
    }
    #[test]
    fn expand_and_slice() {
        let l = Layout::contiguous(&[3, 1][..]).expand("expand", &[2, 3, 4]);
        assert_eq!(l.map(|l| l.strides.to_vec()), Ok(vec![0, 1, 0]));
        let s = Layout::contiguous(&[10][..]).slice(0, 1, 4, 2);
        let mut seen = vec![];
        s.for_each_offset(|o| seen.push(o));
        assert_eq!(seen, vec![1, 3, 5, 7]);
    }
}
