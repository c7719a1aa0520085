//! Shapes: element counts, contiguous strides, broadcasting, dim wrapping.

use crate::error::{shape_err, value_err, Error, Result};

/// Dims of a tensor. Inline up to 6 dims, so making a tensor allocates
/// nothing for its shape or strides.
pub type Shape = smallvec::SmallVec<[usize; 6]>;

/// Largest element count we accept; past it allocation sizes overflow isize.
pub const MAX_NUMEL: usize = (isize::MAX as usize) / 16;

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Element count with an overflow check, for shapes that come from users.
pub fn checked_numel(op: &'static str, shape: &[usize]) -> Result<usize> {
    let mut n: usize = 1;
    for &d in shape {
        n = match n.checked_mul(d) {
            Some(v) if v <= MAX_NUMEL => v,
            _ => {
                return Err(Error::OutOfMemory {
                    op,
                    bytes: shape.iter().map(|&d| d as u128).product::<u128>() * 4,
                })
            }
        };
    }
    Ok(n)
}

pub fn contiguous_strides(shape: &[usize]) -> Shape {
    let mut strides: Shape = smallvec::smallvec![0; shape.len()];
    let mut acc = 1;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i].max(1);
    }
    strides
}

pub fn fmt_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Numpy/PyTorch broadcasting of two shapes.
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Shape> {
    let n = a.len().max(b.len());
    let mut out: Shape = smallvec::smallvec![0; n];
    // from the last dim, as PyTorch checks (the first mismatch it names)
    for i in (0..n).rev() {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return shape_err(
                op,
                format!(
                    "The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}"
                ),
            );
        };
    }
    Ok(out)
}

/// Wraps a possibly negative dim into `[0, ndim)`. Like PyTorch, a 0-d tensor
/// accepts dims -1 and 0 as if it had one dimension.
pub fn wrap_dim(op: &'static str, dim: i64, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        return Err(Error::Dim {
            op,
            dim,
            ndim: ndim.max(1),
        });
    }
    Ok(if dim < 0 {
        (dim + n) as usize
    } else {
        dim as usize
    })
}

/// Wraps a list of dims and rejects repeats.
pub fn wrap_dims(op: &'static str, dims: &[i64], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(dims.len());
    for &d in dims {
        let w = wrap_dim(op, d, ndim)?;
        if out.contains(&w) {
            return shape_err(
                op,
                format!("dim {w} appears multiple times in the list of dims"),
            );
        }
        out.push(w);
    }
    Ok(out)
}

/// Resolves a `view`/`reshape` shape that may hold one -1.
pub fn infer_shape(op: &'static str, spec: &[i64], numel: usize) -> Result<Shape> {
    let mut infer_at = None;
    let mut known: usize = 1;
    for (i, &d) in spec.iter().enumerate() {
        if d == -1 {
            if infer_at.is_some() {
                return shape_err(op, "only one dimension can be inferred");
            }
            infer_at = Some(i);
        } else if d < 0 {
            return shape_err(
                op,
                format!("invalid shape dimension {d} at index {i} of shape {spec:?}"),
            );
        } else {
            known = known.saturating_mul(d as usize);
        }
    }
    let shape_str = format!(
        "[{}]",
        spec.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut out: Shape = spec.iter().map(|&d| d.max(0) as usize).collect();
    match infer_at {
        Some(i) => {
            if known == 0 || !numel.is_multiple_of(known) {
                return shape_err(
                    op,
                    format!("shape '{shape_str}' is invalid for input of size {numel}"),
                );
            }
            out[i] = numel / known;
        }
        None => {
            if known != numel {
                return shape_err(
                    op,
                    format!("shape '{shape_str}' is invalid for input of size {numel}"),
                );
            }
        }
    }
    Ok(out)
}

/// Sizes that come from Python as i64 must be non-negative.
pub fn sizes_from_i64(op: &'static str, sizes: &[i64]) -> Result<Shape> {
    let mut out = Shape::with_capacity(sizes.len());
    for (i, &s) in sizes.iter().enumerate() {
        if s < 0 {
            // PyTorch's words: eye names its n and m, the rest the sizes
            let msg = if op == "eye" {
                format!(
                    "{} must be greater or equal to 0, got {s}",
                    ["n", "m"][i.min(1)]
                )
            } else {
                format!("Trying to create tensor with negative dimension {s}: {sizes:?}")
            };
            return value_err(op, msg);
        }
        out.push(s as usize);
    }
    checked_numel(op, &out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn broadcasting() {
        assert_eq!(
            broadcast_shapes("add", &[4, 1], &[3]).map(|s| s.to_vec()),
            Ok(vec![4, 3])
        );
        assert_eq!(
            broadcast_shapes("add", &[], &[2, 2]).map(|s| s.to_vec()),
            Ok(vec![2, 2])
        );
        assert!(broadcast_shapes("add", &[2, 3], &[4]).is_err());
    }
    #[test]
    fn inference() {
        assert_eq!(
            infer_shape("view", &[-1, 2], 6).map(|s| s.to_vec()),
            Ok(vec![3, 2])
        );
        assert!(infer_shape("view", &[-1, 4], 6).is_err());
        assert!(infer_shape("view", &[-1, -1], 6).is_err());
    }
    #[test]
    fn dims_wrap() {
        assert_eq!(wrap_dim("sum", -1, 3), Ok(2));
        assert!(wrap_dim("sum", 3, 3).is_err());
        assert_eq!(wrap_dim("sum", -1, 0), Ok(0));
    }
}
