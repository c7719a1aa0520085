// Reductions of float32 over any set of dims. One workgroup per (output,
// chunk): its threads stride over the chunk's reduced elements, then combine
// in a fixed binary tree in workgroup memory. Long reductions run in two
// passes (chunks, then the chunks' partial results), so no thread loops over
// millions of elements. No atomics: the same input gives bitwise the same
// result on every run.
//
// params: [n_out, r, keep_ndim, red_ndim, offset, chunk_len, chunks, mean_count,
//          keep_shape[keep_ndim], keep_strides[keep_ndim],
//          red_shape[red_ndim], red_strides[red_ndim]]
// Output j * chunks + c reduces elements [c * chunk_len, (c + 1) * chunk_len)
// of the r input elements whose kept coordinates are j's (row-major over
// keep_shape). A nonzero mean_count divides the result by it. Workgroup ids
// past 65,535 are folded into 2-D.

const WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
// 32-bit words: f32 bits for the float reductions, i32 for the *_i32 ones
// (int64 tensors held as i32, and bools as 0/1)
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

var<workgroup> partial: array<f32, 256>;
var<workgroup> partial_i: array<i32, 256>;

fn base_offset(j: u32) -> u32 {
    let k = params[2];
    var rem = j;
    var off = params[4];
    for (var d = k; d > 0u; d = d - 1u) {
        let size = params[8u + d - 1u];
        off = off + (rem % size) * params[8u + k + d - 1u];
        rem = rem / size;
    }
    return off;
}

fn reduced_offset(t: u32) -> u32 {
    let k = params[2];
    let rn = params[3];
    let base = 8u + 2u * k;
    var rem = t;
    var off = 0u;
    for (var d = rn; d > 0u; d = d - 1u) {
        let size = params[base + d - 1u];
        off = off + (rem % size) * params[base + rn + d - 1u];
        rem = rem / size;
    }
    return off;
}

fn output_id(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// NaN test on the bits: WGSL lets implementations assume floats are never
// NaN, and `x != x` does come back false for a NaN (lavapipe), so the
// PyTorch NaN rules below never rely on float comparisons.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn nan_f32() -> f32 {
    return bitcast<f32>(0x7fc00000u);
}

// op: 0 sum, 1 prod, 2 max, 3 min (max/min propagate NaN, as PyTorch's amax).
// mean is sum_f32 with mean_count set.
fn combine(op: u32, p: f32, q: f32) -> f32 {
    switch op {
        case 0u: { return p + q; }
        case 1u: { return p * q; }
        case 2u: { return select(max(p, q), nan_f32(), is_nan(p) || is_nan(q)); }
        default: { return select(min(p, q), nan_f32(), is_nan(p) || is_nan(q)); }
    }
}

fn identity(op: u32) -> f32 {
    switch op {
        case 0u: { return 0.0; }
        case 1u: { return 1.0; }
        case 2u: { return bitcast<f32>(0xff800000u); }
        default: { return bitcast<f32>(0x7f800000u); }
    }
}

fn reduce_into(op: u32, wid: vec3<u32>, lid: u32, nwg: vec3<u32>) {
    let id = output_id(wid, nwg);
    let chunks = params[6];
    // every thread of the workgroup reaches the barriers below
    let in_range = id < params[0] * chunks;
    let j = id / chunks;
    let chunk_len = params[5];
    let start = (id % chunks) * chunk_len;
    let end = min(params[1], start + chunk_len);
    var acc = identity(op);
    if (in_range) {
        let base = base_offset(j);
        for (var t = start + lid; t < end; t = t + WG) {
            acc = combine(op, acc, bitcast<f32>(x[base + reduced_offset(t)]));
        }
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var width = WG / 2u; width > 0u; width = width / 2u) {
        if (lid < width) {
            partial[lid] = combine(op, partial[lid], partial[lid + width]);
        }
        workgroupBarrier();
    }
    if (in_range && lid == 0u) {
        var v = partial[0];
        if (params[7] != 0u) {
            v = v / f32(params[7]);
        }
        out[id] = bitcast<u32>(v);
    }
}

// Integer reductions (int64 held as i32, bools as 0/1), same chunking as
// the float ones. op: 0 sum (wrapping at 32 bits), 2 max, 3 min.
fn combine_i(op: u32, p: i32, q: i32) -> i32 {
    switch op {
        case 0u: { return p + q; }
        case 2u: { return max(p, q); }
        default: { return min(p, q); }
    }
}

fn identity_i(op: u32) -> i32 {
    switch op {
        case 0u: { return 0; }
        case 2u: { return i32(0x80000000u); }
        default: { return 0x7fffffff; }
    }
}

fn reduce_int_into(op: u32, wid: vec3<u32>, lid: u32, nwg: vec3<u32>) {
    let id = output_id(wid, nwg);
    let chunks = params[6];
    let in_range = id < params[0] * chunks;
    let start = (id % chunks) * params[5];
    let end = min(params[1], start + params[5]);
    var acc = identity_i(op);
    if (in_range) {
        let base = base_offset(id / chunks);
        for (var t = start + lid; t < end; t = t + WG) {
            acc = combine_i(op, acc, bitcast<i32>(x[base + reduced_offset(t)]));
        }
    }
    partial_i[lid] = acc;
    workgroupBarrier();
    for (var width = WG / 2u; width > 0u; width = width / 2u) {
        if (lid < width) {
            partial_i[lid] = combine_i(op, partial_i[lid], partial_i[lid + width]);
        }
        workgroupBarrier();
    }
    if (in_range && lid == 0u) {
        out[id] = bitcast<u32>(partial_i[0]);
    }
}

@compute @workgroup_size(WG)
fn sum_i32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    reduce_int_into(0u, wid, lid, nwg);
}

@compute @workgroup_size(WG)
fn amax_i32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    reduce_int_into(2u, wid, lid, nwg);
}

@compute @workgroup_size(WG)
fn amin_i32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    reduce_int_into(3u, wid, lid, nwg);
}

@compute @workgroup_size(WG)
fn sum_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    reduce_into(0u, wid, lid, nwg);
}

@compute @workgroup_size(WG)
fn prod_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    reduce_into(1u, wid, lid, nwg);
}

@compute @workgroup_size(WG)
fn amax_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    reduce_into(2u, wid, lid, nwg);
}

@compute @workgroup_size(WG)
fn amin_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    reduce_into(3u, wid, lid, nwg);
}

// Arg-reductions (argmax/argmin) over one dim: the value and its index,
// PyTorch's rule: the first extremum, a NaN beats every number and the first
// NaN wins. Ties go to the smaller index, so the fixed tree gives the same
// answer as a left-to-right scan, on every run.
// Same params as above, with params[7] = 1 when the input is a previous
// pass's partial results (values in x, their indices in idx_in) rather than
// the tensor itself (whose index is the reduced coordinate).
@group(0) @binding(3) var<storage, read_write> out_idx: array<i32>;
@group(0) @binding(4) var<storage, read> idx_in: array<i32>;

var<workgroup> partial_v: array<u32, 256>;
var<workgroup> partial_at: array<i32, 256>;

fn is_nan_bits(w: u32) -> bool {
    return (w & 0x7fffffffu) > 0x7f800000u;
}

// Whether (v, i) replaces (bv, bi), on f32 bits (is_float) or i32 words.
fn better(is_float: bool, is_max: bool, v: u32, i: i32, bv: u32, bi: i32) -> bool {
    if (bi < 0) {
        return i >= 0;
    }
    if (i < 0) {
        return false;
    }
    if (is_float) {
        let vn = is_nan_bits(v);
        let bn = is_nan_bits(bv);
        if (vn || bn) {
            return vn && (!bn || i < bi);
        }
        let a = bitcast<f32>(v);
        let b = bitcast<f32>(bv);
        if (a == b) {
            return i < bi;
        }
        return select((a < b), (a > b), is_max);
    }
    let a = bitcast<i32>(v);
    let b = bitcast<i32>(bv);
    if (a == b) {
        return i < bi;
    }
    return select((a < b), (a > b), is_max);
}

fn arg_reduce_into(is_float: bool, is_max: bool, wid: vec3<u32>, lid: u32, nwg: vec3<u32>) {
    let id = output_id(wid, nwg);
    let chunks = params[6];
    let in_range = id < params[0] * chunks;
    let start = (id % chunks) * params[5];
    let end = min(params[1], start + params[5]);
    var bv = 0u;
    var bi = -1;
    if (in_range) {
        let base = base_offset(id / chunks);
        for (var t = start + lid; t < end; t = t + WG) {
            let at = base + reduced_offset(t);
            var i = i32(t);
            if (params[7] != 0u) {
                i = idx_in[at];
            }
            if (better(is_float, is_max, x[at], i, bv, bi)) {
                bv = x[at];
                bi = i;
            }
        }
    }
    partial_v[lid] = bv;
    partial_at[lid] = bi;
    workgroupBarrier();
    for (var width = WG / 2u; width > 0u; width = width / 2u) {
        if (lid < width && better(is_float, is_max, partial_v[lid + width], partial_at[lid + width], partial_v[lid], partial_at[lid])) {
            partial_v[lid] = partial_v[lid + width];
            partial_at[lid] = partial_at[lid + width];
        }
        workgroupBarrier();
    }
    if (in_range && lid == 0u) {
        out[id] = partial_v[0];
        out_idx[id] = partial_at[0];
    }
}

@compute @workgroup_size(WG)
fn argmax_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    arg_reduce_into(true, true, wid, lid, nwg);
}

@compute @workgroup_size(WG)
fn argmin_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    arg_reduce_into(true, false, wid, lid, nwg);
}

@compute @workgroup_size(WG)
fn argmax_i32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    arg_reduce_into(false, true, wid, lid, nwg);
}

@compute @workgroup_size(WG)
fn argmin_i32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    arg_reduce_into(false, false, wid, lid, nwg);
}
