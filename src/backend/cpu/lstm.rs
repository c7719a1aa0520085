//! The LSTM cell's elementwise part, forward and backward, for one time step
//! of a whole batch in one pass (the matrix products around it are GEMMs).
//! Gate blocks are in PyTorch's order: input, forget, cell, output.

use super::matmul::{gemm_serial, gemm_split};
use super::operand::{slice_at, FloatSlice, Operand};
use super::row_blocks::{each_row_block, RowBlocks};
use super::simd::multiversion;
use super::transpose::transpose_into;
use super::{CpuStorage, IntoStorage};
use crate::backend::cpu::float::Float;
use crate::error::{dtype_err, Result};
use rayon::prelude::*;

/// Rows (batch entries) per parallel task once a step is large enough to
/// split; each row is independent, so the split never changes a result.
const ROWS_PER_TASK: usize = 8;
/// Below this many cell elements (batch x hidden) a step runs on the
/// calling thread: waking the pool costs more than it saves. A step is
/// five transcendental functions per element (~40 us at 32 x 256), and the
/// GEMM beside it has just used the pool, so the split pays early.
const PAR_CELLS: usize = 1 << 12;

/// `v = act(v + r + b)` over one gate block.
#[inline(always)]
fn activate<F: Float>(v: &mut [F], r: &[F], b: &[F], act: impl Fn(F) -> F) {
    for ((v, &r), &b) in v.iter_mut().zip(r).zip(b) {
        *v = act(*v + b + r);
    }
}

multiversion! {
    pub fn cell_forward_rows<F>(gates: &mut [F], rec: &[F], bias: &[F], c_prev: &[F], c: &mut [F], h: &mut [F], hidden: usize) where [F: Float] {
        let (b_ifg, b_o) = bias.split_at(3 * hidden);
        let (b_if, b_g) = b_ifg.split_at(2 * hidden);
        for ((((g, r), cp), c), h) in gates
            .chunks_exact_mut(4 * hidden)
            .zip(rec.chunks_exact(4 * hidden))
            .zip(c_prev.chunks_exact(hidden))
            .zip(c.chunks_exact_mut(hidden))
            .zip(h.chunks_exact_mut(hidden))
        {
            // One simple loop per function: a single loop over all seven
            // arrays (or a chained iterator) did not vectorise (3x slower).
            let (ifg, o) = g.split_at_mut(3 * hidden);
            let (i_f, gg) = ifg.split_at_mut(2 * hidden);
            let (r_ifg, r_o) = r.split_at(3 * hidden);
            let (r_if, r_g) = r_ifg.split_at(2 * hidden);
            activate(i_f, r_if, b_if, |v| v.sigmoid());
            activate(o, r_o, b_o, |v| v.sigmoid());
            activate(gg, r_g, b_g, |v| v.tanh());
            let (i, f) = i_f.split_at(hidden);
            for ((((c, &cp), &f), &i), &g) in c.iter_mut().zip(cp).zip(f).zip(i).zip(gg.iter()) {
                *c = f * cp + i * g;
            }
            for ((h, &c), &o) in h.iter_mut().zip(c.iter()).zip(o.iter()) {
                *h = o * c.tanh();
            }
        }
    }
}

multiversion! {
    pub fn cell_backward_rows<F>(gates: &[F], c_prev: &[F], c: &[F], dh: &[F], dc: &mut [F], dgates: &mut [F], hidden: usize) where [F: Float] {
        let one = F::one();
        for (((((g, cp), c), dh), dc), dg) in gates
            .chunks_exact(4 * hidden)
            .zip(c_prev.chunks_exact(hidden))
            .zip(c.chunks_exact(hidden))
            .zip(dh.chunks_exact(hidden))
            .zip(dc.chunks_exact_mut(hidden))
            .zip(dgates.chunks_exact_mut(4 * hidden))
        {
            let (i, rest) = g.split_at(hidden);
            let (f, rest) = rest.split_at(hidden);
            let (gg, o) = rest.split_at(hidden);
            let (di, rest) = dg.split_at_mut(hidden);
            let (df, rest) = rest.split_at_mut(hidden);
            let (dgg, d_o) = rest.split_at_mut(hidden);
            for (((((((&i, &f), &gg), &o), &cp), &c), &dh), ((((di, df), dgg), d_o), dc)) in
                i.iter().zip(f).zip(gg).zip(o).zip(cp).zip(c).zip(dh).zip(
                    di.iter_mut().zip(df.iter_mut()).zip(dgg.iter_mut()).zip(d_o.iter_mut()).zip(dc.iter_mut()),
                )
            {
                let tc = c.tanh();
                let dct = *dc + dh * o * (one - tc * tc);
                *d_o = dh * tc * o * (one - o);
                *di = dct * gg * i * (one - i);
                *df = dct * cp * f * (one - f);
                *dgg = dct * i * (one - gg * gg);
                *dc = dct * f;
            }
        }
    }
}

/// `dst = a @ b` for row-major operands given as (pointer, row stride,
/// column stride): on this thread when `serial`, else split over the pool.
/// # Safety
/// As for `gemm_serial`.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_rows<F: Float>(
    serial: bool,
    m: usize,
    n: usize,
    k: usize,
    dst: (*mut F, isize, isize),
    accumulate: bool,
    a: (*const F, isize, isize),
    b: (*const F, isize, isize),
) {
    let run = if serial {
        gemm_serial::<F>
    } else {
        gemm_split::<F>
    };
    run(m, n, k, dst, accumulate, a.0, a.1, a.2, b.0, b.1, b.2)
}

/// One forward step: `gates` ([N, 4H], the input's projection) plus `rec`
/// (the hidden state's) plus `bias` ([4H]) are the pre-activations; it
/// becomes the activated gates, and the new cell and hidden states go to
/// `c` and `h`.
#[allow(clippy::too_many_arguments)]
pub fn cell_forward<F: Float>(
    gates: &mut [F],
    rec: &[F],
    bias: &[F],
    c_prev: &[F],
    c: &mut [F],
    h: &mut [F],
    hidden: usize,
) {
    if c.len() < PAR_CELLS || hidden == 0 {
        return cell_forward_rows(gates, rec, bias, c_prev, c, h, hidden);
    }
    let (gr, hr) = (ROWS_PER_TASK * 4 * hidden, ROWS_PER_TASK * hidden);
    gates
        .par_chunks_mut(gr)
        .zip(rec.par_chunks(gr))
        .zip(c_prev.par_chunks(hr))
        .zip(c.par_chunks_mut(hr))
        .zip(h.par_chunks_mut(hr))
        .for_each(|((((g, r), cp), c), h)| cell_forward_rows(g, r, bias, cp, c, h, hidden));
}

/// One backward step: from the gradient reaching this step's hidden state
/// (`dh`) and cell state (`dc`, replaced by the gradient of the previous
/// cell state), the gradients of the gate pre-activations (`dgates`).
pub fn cell_backward<F: Float>(
    gates: &[F],
    c_prev: &[F],
    c: &[F],
    dh: &[F],
    dc: &mut [F],
    dgates: &mut [F],
    hidden: usize,
) {
    if c.len() < PAR_CELLS || hidden == 0 {
        return cell_backward_rows(gates, c_prev, c, dh, dc, dgates, hidden);
    }
    let (gr, hr) = (ROWS_PER_TASK * 4 * hidden, ROWS_PER_TASK * hidden);
    gates
        .par_chunks(gr)
        .zip(c_prev.par_chunks(hr))
        .zip(c.par_chunks(hr))
        .zip(dh.par_chunks(hr))
        .zip(dc.par_chunks_mut(hr))
        .zip(dgates.par_chunks_mut(gr))
        .for_each(|(((((g, cp), c), dh), dc), dg)| {
            cell_backward_rows(g, cp, c, dh, dc, dg, hidden)
        });
}

/// The sizes of one layer run in one direction.
#[derive(Clone, Copy, Debug)]
pub struct LstmShape {
    pub steps: usize,
    pub batch: usize,
    pub input: usize,
    pub hidden: usize,
    /// The reverse direction of a bidirectional layer: time runs backwards.
    pub reverse: bool,
}

impl LstmShape {
    /// The time index processed at step `s`.
    pub fn time(&self, s: usize) -> usize {
        if self.reverse {
            self.steps - 1 - s
        } else {
            s
        }
    }
}

/// The layer's operands: input [T, N, I], weights [4H, I] and [4H, H], the
/// summed biases [4H] (if any), initial states [N, H].
pub struct LayerInputs<'a> {
    pub x: Operand<'a>,
    pub w_ih: Operand<'a>,
    pub w_hh: Operand<'a>,
    pub bias: Option<Operand<'a>>,
    pub h0: Operand<'a>,
    pub c0: Operand<'a>,
}

/// The forward's results: `packed` is [T + 1, N, H] (the hidden state of
/// every time step in time order, then the final cell state); `gates`
/// ([T, N, 4H], activated) and `cells` ([T, N, H]) are what backward reads.
pub struct LayerForward {
    pub packed: CpuStorage,
    pub gates: CpuStorage,
    pub cells: CpuStorage,
}

pub fn layer_forward(ins: &LayerInputs<'_>, s: &LstmShape) -> Result<LayerForward> {
    match ins.x.0 {
        CpuStorage::F32(_) => forward_typed::<f32>(ins, s),
        CpuStorage::F64(_) => forward_typed::<f64>(ins, s),
        other => dtype_err(
            "lstm",
            format!("lstm: expected a float input, got {}", other.dtype()),
        ),
    }
}

fn forward_typed<F: FloatSlice>(ins: &LayerInputs<'_>, s: &LstmShape) -> Result<LayerForward>
where
    Vec<F>: IntoStorage,
{
    let (t, n, i, h) = (s.steps, s.batch, s.input, s.hidden);
    let (g4, nh) = (4 * h, n * h);
    let x = slice_at::<F>(ins.x, t * n * i)?;
    let w_ih = slice_at::<F>(ins.w_ih, g4 * i)?;
    let w_hh = slice_at::<F>(ins.w_hh, g4 * h)?;
    let (h0, c0) = (slice_at::<F>(ins.h0, nh)?, slice_at::<F>(ins.c0, nh)?);
    let zero_bias;
    let bias = match ins.bias {
        Some(b) => slice_at::<F>(b, g4)?,
        None => {
            zero_bias = vec![F::zero(); g4];
            &zero_bias
        }
    };
    // The weights transposed once into row-major [I, 4H] and [H, 4H]
    // copies: the GEMM packs a row-major right operand with vector loads,
    // while reading w^T in place (column-major) packed it element by
    // element, every step (a sixth of an LSTM training step). The packed
    // panels are the same, so the sums are too.
    let mut w_ih_t = vec![F::zero(); g4 * i];
    transpose_into(w_ih, i, g4, i, &mut w_ih_t, g4);
    let mut w_hh_t = vec![F::zero(); g4 * h];
    transpose_into(w_hh, h, g4, h, &mut w_hh_t, g4);
    // The input projection of every time step at once: one GEMM.
    let mut gates = vec![F::zero(); t * n * g4];
    // Safety: every pointer below covers the extent its sizes and strides describe.
    unsafe {
        gemm_split(
            t * n,
            g4,
            i,
            (gates.as_mut_ptr(), g4 as isize, 1),
            false,
            x.as_ptr(),
            i as isize,
            1,
            w_ih_t.as_ptr(),
            g4 as isize,
            1,
        )
    };
    let mut packed = vec![F::zero(); (t + 1) * nh];
    let mut cells = vec![F::zero(); t * nh];
    {
        let (gates_at, packed_at, cells_at) = (
            RowBlocks::new(&mut gates, n, g4),
            RowBlocks::new(&mut packed, n, h),
            RowBlocks::new(&mut cells, n, h),
        );
        each_row_block(n, |rows, serial| {
            let nr = rows.len();
            // the hidden state's projection, per step
            let mut rec = vec![F::zero(); nr * g4];
            for step in 0..t {
                let tt = s.time(step);
                let prev = (step > 0).then(|| s.time(step - 1));
                // Safety (every step slice here): this task alone touches
                // these rows, and the slices of one step's call are of
                // different buffers or steps.
                let h_prev: &[F] = match prev {
                    None => &h0[rows.start * h..rows.end * h],
                    // Safety: as said above.
                    Some(p) => unsafe { packed_at.rows(p, &rows) },
                };
                // Safety: rec is nr x 4H row-major; h_prev nr x H; w_hh_t H x 4H.
                unsafe {
                    gemm_rows(
                        serial,
                        nr,
                        g4,
                        h,
                        (rec.as_mut_ptr(), g4 as isize, 1),
                        false,
                        (h_prev.as_ptr(), h as isize, 1),
                        (w_hh_t.as_ptr(), g4 as isize, 1),
                    )
                };
                let c_prev: &[F] = match prev {
                    None => &c0[rows.start * h..rows.end * h],
                    // Safety: as for h_prev above.
                    Some(p) => unsafe { cells_at.rows(p, &rows) },
                };
                // Safety: as for h_prev above; three buffers, this step.
                let (gt, c_out, h_out) = unsafe {
                    (
                        gates_at.rows_mut(tt, &rows),
                        cells_at.rows_mut(tt, &rows),
                        packed_at.rows_mut(tt, &rows),
                    )
                };
                if serial {
                    cell_forward_rows(gt, &rec, bias, c_prev, c_out, h_out, h);
                } else {
                    cell_forward(gt, &rec, bias, c_prev, c_out, h_out, h);
                }
            }
        });
    }
    if t > 0 {
        let last = s.time(t - 1);
        packed[t * nh..].copy_from_slice(&cells[last * nh..(last + 1) * nh]);
    }
    Ok(LayerForward {
        packed: packed.into_storage(),
        gates: gates.into_storage(),
        cells: cells.into_storage(),
    })
}

/// What backward reads besides the layer's inputs: the forward's results
/// and the gradient of `packed`.
pub struct LayerSaved<'a> {
    pub packed: Operand<'a>,
    pub gates: Operand<'a>,
    pub cells: Operand<'a>,
    pub grad: Operand<'a>,
}

/// The gradients, each computed only when asked for.
pub struct LayerGrads {
    pub x: Option<CpuStorage>,
    pub w_ih: Option<CpuStorage>,
    pub w_hh: Option<CpuStorage>,
    /// Of the summed bias (both bias vectors get it).
    pub bias: Option<CpuStorage>,
    pub h0: CpuStorage,
    pub c0: CpuStorage,
}

/// Which gradients to compute: input, w_ih, w_hh, bias.
pub type LayerNeeds = [bool; 4];

pub fn layer_backward(
    ins: &LayerInputs<'_>,
    saved: &LayerSaved<'_>,
    s: &LstmShape,
    needs: LayerNeeds,
) -> Result<LayerGrads> {
    match ins.x.0 {
        CpuStorage::F32(_) => backward_typed::<f32>(ins, saved, s, needs),
        CpuStorage::F64(_) => backward_typed::<f64>(ins, saved, s, needs),
        other => dtype_err(
            "lstm",
            format!("lstm: expected a float input, got {}", other.dtype()),
        ),
    }
}

fn backward_typed<F: FloatSlice>(
    ins: &LayerInputs<'_>,
    saved: &LayerSaved<'_>,
    s: &LstmShape,
    needs: LayerNeeds,
) -> Result<LayerGrads>
where
    Vec<F>: IntoStorage,
{
    let (t, n, i, h) = (s.steps, s.batch, s.input, s.hidden);
    let (g4, nh, tn) = (4 * h, n * h, t * n);
    let x = slice_at::<F>(ins.x, tn * i)?;
    let w_ih = slice_at::<F>(ins.w_ih, g4 * i)?;
    let w_hh = slice_at::<F>(ins.w_hh, g4 * h)?;
    let (h0, c0) = (slice_at::<F>(ins.h0, nh)?, slice_at::<F>(ins.c0, nh)?);
    let packed = slice_at::<F>(saved.packed, (t + 1) * nh)?;
    let gates = slice_at::<F>(saved.gates, tn * g4)?;
    let cells = slice_at::<F>(saved.cells, tn * h)?;
    let grad = slice_at::<F>(saved.grad, (t + 1) * nh)?;

    // Backward through time: the gate gradients of every step, and the
    // gradients reaching the initial states (per block of batch rows).
    let mut dgates = vec![F::zero(); tn * g4];
    let dgates_at = RowBlocks::new(&mut dgates, n, g4);
    let ends = each_row_block(n, |rows, serial| {
        let nr = rows.len();
        let block = |step: usize, width: usize| {
            (step * n + rows.start) * width..(step * n + rows.end) * width
        };
        let mut dc = grad[block(t, h)].to_vec();
        let mut dh_rec = vec![F::zero(); nr * h];
        let mut dh = vec![F::zero(); nr * h];
        for step in (0..t).rev() {
            let tt = s.time(step);
            for ((d, &g), &r) in dh.iter_mut().zip(&grad[block(tt, h)]).zip(&dh_rec) {
                *d = g + r;
            }
            let c_prev = match step {
                0 => &c0[rows.start * h..rows.end * h],
                _ => &cells[block(s.time(step - 1), h)],
            };
            // Safety: this task alone touches these rows of dgates.
            let dg = unsafe { dgates_at.rows_mut(tt, &rows) };
            let (g_rows, c_rows) = (&gates[block(tt, g4)], &cells[block(tt, h)]);
            if serial {
                cell_backward_rows(g_rows, c_prev, c_rows, &dh, &mut dc, dg, h);
            } else {
                cell_backward(g_rows, c_prev, c_rows, &dh, &mut dc, dg, h);
            }
            // Safety: dh_rec is nr x H; dg nr x 4H; w_hh 4H x H.
            unsafe {
                gemm_rows(
                    serial,
                    nr,
                    h,
                    g4,
                    (dh_rec.as_mut_ptr(), h as isize, 1),
                    false,
                    (dg.as_ptr(), g4 as isize, 1),
                    (w_hh.as_ptr(), h as isize, 1),
                )
            };
        }
        (dh_rec, dc)
    });
    let (dh_rec, dc): (Vec<F>, Vec<F>) = ends.into_iter().fold(
        (Vec::with_capacity(nh), Vec::with_capacity(nh)),
        |(mut a, mut b), (x, y)| {
            a.extend(x);
            b.extend(y);
            (a, b)
        },
    );
    let [need_x, need_w_ih, need_w_hh, need_bias] = needs;
    let dx = need_x.then(|| {
        let mut dx = vec![F::zero(); tn * i];
        // Safety: dx is T*N x I row-major, dgates T*N x 4H, w_ih 4H x I.
        unsafe {
            gemm_split(
                tn,
                i,
                g4,
                (dx.as_mut_ptr(), i as isize, 1),
                false,
                dgates.as_ptr(),
                g4 as isize,
                1,
                w_ih.as_ptr(),
                i as isize,
                1,
            )
        };
        dx.into_storage()
    });
    // dgates^T [4H, T*N] @ rows [T*N, cols]: a weight's gradient.
    // Safety: callers pass `rows` of count * N x cols and `dst` of 4H x cols
    // row-major; the steps first..first + count lie inside dgates.
    let gates_t_times =
        |rows: &[F], cols: usize, first: usize, count: usize, dst: &mut [F], acc: bool| unsafe {
            gemm_split(
                g4,
                cols,
                count * n,
                (dst.as_mut_ptr(), cols as isize, 1),
                acc,
                dgates[first * n * g4..].as_ptr(),
                1,
                g4 as isize,
                rows.as_ptr(),
                cols as isize,
                1,
            )
        };
    let dw_ih = need_w_ih.then(|| {
        let mut d = vec![F::zero(); g4 * i];
        gates_t_times(x, i, 0, t, &mut d, false);
        d.into_storage()
    });
    let dw_hh = need_w_hh.then(|| {
        // step s multiplies the hidden state before it: h0 at the first
        // step, then the packed states one time index behind (or ahead,
        // in reverse)
        let mut d = vec![F::zero(); g4 * h];
        // (a GEMM over zero rows is skipped, not asked to write zeros)
        let later = t > 1;
        if s.reverse {
            if later {
                gates_t_times(&packed[nh..], h, 0, t - 1, &mut d, false);
            }
            gates_t_times(h0, h, t - 1, 1, &mut d, later);
        } else {
            if later {
                gates_t_times(packed, h, 1, t - 1, &mut d, false);
            }
            gates_t_times(h0, h, 0, 1, &mut d, later);
        }
        d.into_storage()
    });
    let dbias = need_bias.then(|| {
        let mut d = vec![F::zero(); g4];
        for row in dgates.chunks_exact(g4.max(1)) {
            for (a, &v) in d.iter_mut().zip(row) {
                *a = *a + v;
            }
        }
        d.into_storage()
    });
    Ok(LayerGrads {
        x: dx,
        w_ih: dw_ih,
        w_hh: dw_hh,
        bias: dbias,
        h0: dh_rec.into_storage(),
        c0: dc.into_storage(),
    })
}
