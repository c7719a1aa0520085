// Sorting rows on the GPU: a bitonic network over each row padded to a power
// of two P. Keys are compared with their original position as the tie-break,
// so the result is the stable sort (the CPU's). NaN sorts as the largest
// value (last ascending, first descending), as PyTorch; padding (index -1)
// sorts after everything in both directions. Keys are 32-bit words: f32
// bits (is_float) or i32 (int64 held as i32, bools).
//
// sort_pad params:     [rows, n, P, ndim, offset, shape[ndim], strides[ndim]]
//   keys[r * P + t] = element t of row r (the input read through its strides,
//   row-major over shape, the sorted dim last), idx = t; padding: idx = -1.
// bitonic_step params: [rows, P, k, j, descending, is_float]
// Dispatches past 65,535 workgroups are folded into 2-D.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> keys: array<u32>;
@group(0) @binding(3) var<storage, read_write> idx: array<i32>;

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

fn offset_of(i: u32) -> u32 {
    let ndim = params[3];
    var rem = i;
    var off = params[4];
    for (var d = ndim; d > 0u; d = d - 1u) {
        let size = params[5u + d - 1u];
        off = off + (rem % size) * params[5u + ndim + d - 1u];
        rem = rem / size;
    }
    return off;
}

@compute @workgroup_size(WG)
fn sort_pad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    let p = params[2];
    if (i >= params[0] * p) {
        return;
    }
    let r = i / p;
    let t = i % p;
    if (t < params[1]) {
        keys[i] = x[offset_of(r * params[1] + t)];
        idx[i] = i32(t);
    } else {
        keys[i] = 0u;
        idx[i] = -1;
    }
}

fn is_nan_bits(w: u32) -> bool {
    return (w & 0x7fffffffu) > 0x7f800000u;
}

// Whether element (kp, ip) comes before (kq, iq) in the final order.
fn before(kp: u32, ip: i32, kq: u32, iq: i32) -> bool {
    if (ip < 0) {
        return false;
    }
    if (iq < 0) {
        return true;
    }
    let descending = params[4] != 0u;
    var p_first = false;
    var q_first = false;
    if (params[5] != 0u) {
        let np = is_nan_bits(kp);
        let nq = is_nan_bits(kq);
        if (np != nq) {
            // NaN is the largest value
            return select(!np, np, descending);
        }
        if (!np) {
            let a = bitcast<f32>(kp);
            let b = bitcast<f32>(kq);
            p_first = select((a < b), (a > b), descending);
            q_first = select((b < a), (b > a), descending);
        }
    } else {
        let a = bitcast<i32>(kp);
        let b = bitcast<i32>(kq);
        p_first = select((a < b), (a > b), descending);
        q_first = select((b < a), (b > a), descending);
    }
    if (p_first || q_first) {
        return p_first;
    }
    return ip < iq;
}

@compute @workgroup_size(WG)
fn bitonic_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    let p = params[1];
    if (i >= params[0] * p) {
        return;
    }
    let a = i % p;
    let partner = a ^ params[3];
    if (partner <= a) {
        return;
    }
    let base = i - a;
    let ia = base + a;
    let ib = base + partner;
    // within blocks of size k, alternate directions to build bitonic runs
    let up = (a & params[2]) == 0u;
    let b_first = before(keys[ib], idx[ib], keys[ia], idx[ia]);
    let a_first = before(keys[ia], idx[ia], keys[ib], idx[ib]);
    if ((up && b_first) || (!up && a_first)) {
        let tk = keys[ia];
        keys[ia] = keys[ib];
        keys[ib] = tk;
        let ti = idx[ia];
        idx[ia] = idx[ib];
        idx[ib] = ti;
    }
}
