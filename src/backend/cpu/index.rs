//! Index kernels: index_select, gather, scatter(-add), index_add, cat,
//! nonzero. Indices arrive bounds-checked and non-negative from the tensor layer.

use super::{map_strided, CpuStorage, IntoStorage};
use crate::dtype::Element;
use crate::error::{dtype_err, Result};
use crate::layout::Layout;

/// (outer, size of dim, inner) of a contiguous shape split at `dim`.
fn split(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    if shape.is_empty() {
        return (1, 1, 1);
    }
    (
        shape[..dim].iter().product(),
        shape[dim],
        shape[dim + 1..].iter().product(),
    )
}

pub fn index_select(x: &CpuStorage, l: &Layout, dim: usize, idx: &[i64]) -> CpuStorage {
    fn go<T: Element>(x: &[T], l: &Layout, dim: usize, idx: &[i64]) -> Vec<T> {
        let data = map_strided(x, l, |v| v);
        let (outer, n, inner) = split(&l.shape, dim);
        let mut out = Vec::with_capacity(outer * idx.len() * inner);
        for o in 0..outer {
            for &i in idx {
                let base = (o * n + i as usize) * inner;
                out.extend_from_slice(&data[base..base + inner]);
            }
        }
        out
    }
    crate::with_cpu!(x, b => go(b.as_slice(), l, dim, idx).into_storage())
}

/// out[i][j][k] = x[idx[i][j][k]][j][k] (for dim 0), out has idx's shape.
pub fn gather(
    x: &CpuStorage,
    l: &Layout,
    dim: usize,
    idx: &[i64],
    idx_shape: &[usize],
) -> CpuStorage {
    fn go<T: Element>(x: &[T], l: &Layout, dim: usize, idx: &[i64], idx_shape: &[usize]) -> Vec<T> {
        let mut out = Vec::with_capacity(idx.len());
        for_each_coord(idx_shape, |flat, coord| {
            let mut off = l.offset;
            for (d, &c) in coord.iter().enumerate() {
                let c = if d == dim { idx[flat] as usize } else { c };
                off += c * l.strides[d];
            }
            out.push(x[off]);
        });
        out
    }
    crate::with_cpu!(x, b => go(b.as_slice(), l, dim, idx, idx_shape).into_storage())
}

/// Visits every coordinate of `shape` in row-major order.
pub fn for_each_coord(shape: &[usize], mut f: impl FnMut(usize, &[usize])) {
    let n: usize = shape.iter().product();
    let mut coord = vec![0usize; shape.len()];
    for flat in 0..n {
        f(flat, &coord);
        for d in (0..shape.len()).rev() {
            coord[d] += 1;
            if coord[d] < shape[d] {
                break;
            }
            coord[d] = 0;
        }
    }
}

/// In place on a contiguous `dst` of `dst_shape`: dst[idx[i][j]][j] (+)= src[i][j].
/// `src` is contiguous with `idx_shape`'s leading extent (it may be larger, as in PyTorch).
pub fn scatter(
    dst: &mut CpuStorage,
    dst_shape: &[usize],
    dim: usize,
    idx: &[i64],
    idx_shape: &[usize],
    src: &CpuStorage,
    src_shape: &[usize],
    accumulate: bool,
) -> Result<()> {
    fn go<T: Element + std::ops::Add<Output = T>>(
        dst: &mut [T],
        dst_shape: &[usize],
        dim: usize,
        idx: &[i64],
        idx_shape: &[usize],
        src: &[T],
        src_shape: &[usize],
        acc: bool,
    ) {
        let dst_strides = crate::shape::contiguous_strides(dst_shape);
        let src_strides = crate::shape::contiguous_strides(src_shape);
        for_each_coord(idx_shape, |flat, coord| {
            let mut d_off = 0;
            let mut s_off = 0;
            for (d, &c) in coord.iter().enumerate() {
                let dc = if d == dim { idx[flat] as usize } else { c };
                d_off += dc * dst_strides[d];
                s_off += c * src_strides[d];
            }
            dst[d_off] = if acc {
                dst[d_off] + src[s_off]
            } else {
                src[s_off]
            };
        });
    }
    fn bool_go(
        dst: &mut [bool],
        dst_shape: &[usize],
        dim: usize,
        idx: &[i64],
        idx_shape: &[usize],
        src: &[bool],
        src_shape: &[usize],
        acc: bool,
    ) {
        let dst_strides = crate::shape::contiguous_strides(dst_shape);
        let src_strides = crate::shape::contiguous_strides(src_shape);
        for_each_coord(idx_shape, |flat, coord| {
            let (mut d_off, mut s_off) = (0, 0);
            for (d, &c) in coord.iter().enumerate() {
                d_off += (if d == dim { idx[flat] as usize } else { c }) * dst_strides[d];
                s_off += c * src_strides[d];
            }
            dst[d_off] = if acc {
                dst[d_off] | src[s_off]
            } else {
                src[s_off]
            };
        });
    }
    match (dst, src) {
        (CpuStorage::F32(d), CpuStorage::F32(s)) => go(
            d.as_mut_slice(),
            dst_shape,
            dim,
            idx,
            idx_shape,
            s.as_slice(),
            src_shape,
            accumulate,
        ),
        (CpuStorage::F64(d), CpuStorage::F64(s)) => go(
            d.as_mut_slice(),
            dst_shape,
            dim,
            idx,
            idx_shape,
            s.as_slice(),
            src_shape,
            accumulate,
        ),
        (CpuStorage::I64(d), CpuStorage::I64(s)) => go(
            d.as_mut_slice(),
            dst_shape,
            dim,
            idx,
            idx_shape,
            s.as_slice(),
            src_shape,
            accumulate,
        ),
        (CpuStorage::Bool(d), CpuStorage::Bool(s)) => bool_go(
            d.as_mut_slice(),
            dst_shape,
            dim,
            idx,
            idx_shape,
            s.as_slice(),
            src_shape,
            accumulate,
        ),
        (d, s) => {
            return dtype_err(
                "scatter",
                format!(
                    "scatter(): Expected self.dtype to be equal to src.dtype ({} vs {})",
                    d.dtype(),
                    s.dtype()
                ),
            )
        }
    }
    Ok(())
}

/// In place on contiguous `dst`: dst.select(dim, idx[i]) += src.select(dim, i).
pub fn index_add(
    dst: &mut CpuStorage,
    dst_shape: &[usize],
    dim: usize,
    idx: &[i64],
    src: &CpuStorage,
) -> Result<()> {
    fn go<T: Element + std::ops::Add<Output = T>>(
        dst: &mut [T],
        shape: &[usize],
        dim: usize,
        idx: &[i64],
        src: &[T],
    ) {
        let (outer, n, inner) = split(shape, dim);
        for o in 0..outer {
            for (i, &t) in idx.iter().enumerate() {
                let d = (o * n + t as usize) * inner;
                let s = (o * idx.len() + i) * inner;
                for j in 0..inner {
                    dst[d + j] = dst[d + j] + src[s + j];
                }
            }
        }
    }
    match (dst, src) {
        (CpuStorage::F32(d), CpuStorage::F32(s)) => {
            go(d.as_mut_slice(), dst_shape, dim, idx, s.as_slice())
        }
        (CpuStorage::F64(d), CpuStorage::F64(s)) => {
            go(d.as_mut_slice(), dst_shape, dim, idx, s.as_slice())
        }
        (CpuStorage::I64(d), CpuStorage::I64(s)) => {
            go(d.as_mut_slice(), dst_shape, dim, idx, s.as_slice())
        }
        (d, s) => {
            return dtype_err(
                "index_add",
                format!(
                    "index_add_(): self ({}) and source ({}) must have the same scalar type",
                    d.dtype(),
                    s.dtype()
                ),
            )
        }
    }
    Ok(())
}

/// Concatenates same-dtype inputs (layouts with equal shapes except `dim`).
pub fn cat(
    parts: &[(&CpuStorage, &Layout)],
    dim: usize,
    out_shape: &[usize],
) -> Result<CpuStorage> {
    fn go<T: Element>(parts: &[(&[T], &Layout)], dim: usize, out_shape: &[usize]) -> Vec<T> {
        let (outer, _, inner) = split(out_shape, dim);
        let datas: Vec<Vec<T>> = parts
            .iter()
            .map(|(x, l)| map_strided(x, l, |v| v))
            .collect();
        let mut out = Vec::with_capacity(out_shape.iter().product());
        for o in 0..outer {
            for (data, (_, l)) in datas.iter().zip(parts) {
                let w = l.shape[dim] * inner;
                out.extend_from_slice(&data[o * w..(o + 1) * w]);
            }
        }
        out
    }
    macro_rules! go_as {
        ($v:ident) => {{
            let mut typed = Vec::with_capacity(parts.len());
            for (s, l) in parts {
                match s {
                    CpuStorage::$v(b) => typed.push((b.as_slice(), *l)),
                    other => {
                        return dtype_err(
                            "cat",
                            format!(
                                "cat(): expected all inputs to share a dtype, got {}",
                                other.dtype()
                            ),
                        )
                    }
                }
            }
            go(&typed, dim, out_shape).into_storage()
        }};
    }
    Ok(match parts[0].0 {
        CpuStorage::F32(_) => go_as!(F32),
        CpuStorage::F64(_) => go_as!(F64),
        CpuStorage::I64(_) => go_as!(I64),
        CpuStorage::Bool(_) => go_as!(Bool),
    })
}

/// Coordinates of the non-zero elements, row-major, as a flat `[count * ndim]` list.
pub fn nonzero(x: &CpuStorage, l: &Layout) -> (Vec<i64>, usize) {
    fn go<T: Element>(x: &[T], l: &Layout) -> (Vec<i64>, usize) {
        let data = map_strided(x, l, |v| v);
        let mut out = vec![];
        let mut count = 0;
        for_each_coord(&l.shape, |flat, coord| {
            if data[flat] != T::zero() {
                out.extend(coord.iter().map(|&c| c as i64));
                count += 1;
            }
        });
        (out, count)
    }
    crate::with_cpu!(x, b => go(b.as_slice(), l))
}
