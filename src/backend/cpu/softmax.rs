//! softmax / log_softmax along one dim, in the stable form (subtract the row
//! max before exp). Backward is written in tensor ops in grad_rules.rs.

use super::{map_strided, CpuStorage, IntoStorage, PAR_THRESHOLD};
use crate::dtype::Float;
use crate::error::{dtype_err, Result};
use crate::layout::Layout;
use rayon::prelude::*;

fn go<F: Float>(x: &[F], l: &Layout, dim: usize, log: bool) -> Vec<F> {
    let data = map_strided(x, l, |v| v);
    let n = l.shape.get(dim).copied().unwrap_or(1);
    let inner: usize = if l.ndim() == 0 { 1 } else { l.shape[dim + 1..].iter().product() };
    let mut out = vec![F::zero(); data.len()];
    if n == 0 || data.is_empty() {
        return out;
    }
    let block = |src: &[F], dst: &mut [F]| {
        for j in 0..inner {
            let mut m = F::from_f64(f64::NEG_INFINITY);
            for i in 0..n {
                let v = src[i * inner + j];
                if v > m || v.is_nan() {
                    m = v;
                }
            }
            // A row of -inf stays finite-safe: shift by 0 instead of -inf.
            if m == F::from_f64(f64::NEG_INFINITY) {
                m = F::zero();
            }
            let mut s = 0.0f64;
            for i in 0..n {
                let e = (src[i * inner + j] - m).exp();
                s += e.to_f64();
                if !log {
                    dst[i * inner + j] = e;
                }
            }
            if log {
                let ls = F::from_f64(s.ln());
                for i in 0..n {
                    dst[i * inner + j] = src[i * inner + j] - m - ls;
                }
            } else {
                let inv = F::from_f64(1.0 / s);
                for i in 0..n {
                    dst[i * inner + j] = dst[i * inner + j] * inv;
                }
            }
        }
    };
    let bs = n * inner;
    if data.len() >= PAR_THRESHOLD && data.len() / bs > 1 {
        out.par_chunks_mut(bs).zip(data.par_chunks(bs)).for_each(|(d, s)| block(s, d));
    } else {
        out.chunks_mut(bs).zip(data.chunks(bs)).for_each(|(d, s)| block(s, d));
    }
    out
}

pub fn softmax(x: &CpuStorage, l: &Layout, dim: usize, log: bool) -> Result<CpuStorage> {
    Ok(match x {
        CpuStorage::F32(b) => go(b.as_slice(), l, dim, log).into_storage(),
        CpuStorage::F64(b) => go(b.as_slice(), l, dim, log).into_storage(),
        _ => {
            let name = if log { "log_softmax" } else { "softmax" };
            return dtype_err(name, format!("\"{name}_lastdim_kernel_impl\" not implemented for '{}'", if x.dtype() == crate::dtype::DType::Bool { "Bool" } else { "Long" }));
        }
    })
}
