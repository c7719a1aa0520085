// softmax and log_softmax of float32 along one dim, in the stable forms
// (x - max). One workgroup per row (all elements sharing the other
// coordinates); max and sum are fixed-order trees in workgroup memory, so
// results are the same on every run.
//
// params: [n_rows, d, inner, keep_ndim, offset, dim_stride,
//          keep_shape[keep_ndim], keep_strides[keep_ndim]]
// Row j (row-major over the other dims) reads x at base(j) + t * dim_stride
// and writes the contiguous output at (j / inner) * d * inner + t * inner +
// j % inner. Workgroup ids past 65,535 are folded into 2-D.

const WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, 256>;

// NaN test on the bits: WGSL lets implementations assume floats are never
// NaN, and `x != x` does come back false for a NaN (lavapipe), so the
// PyTorch NaN rules below never rely on float comparisons.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// max that propagates NaN (a NaN row gives NaN, as on the CPU)
fn max_nan(a: f32, b: f32) -> f32 {
    return select(max(a, b), bitcast<f32>(0x7fc00000u), is_nan(a) || is_nan(b));
}

fn base_offset(j: u32) -> u32 {
    let k = params[3];
    var rem = j;
    var off = params[4];
    for (var d = k; d > 0u; d = d - 1u) {
        let size = params[6u + d - 1u];
        off = off + (rem % size) * params[6u + k + d - 1u];
        rem = rem / size;
    }
    return off;
}

fn tree(lid: u32, is_max: bool) -> f32 {
    workgroupBarrier();
    for (var width = WG / 2u; width > 0u; width = width / 2u) {
        if (lid < width) {
            let a = partial[lid];
            let b = partial[lid + width];
            if (is_max) {
                partial[lid] = max_nan(a, b);
            } else {
                partial[lid] = a + b;
            }
        }
        workgroupBarrier();
    }
    let v = partial[0];
    workgroupBarrier();
    return v;
}

fn softmax_row(wid: vec3<u32>, lid: u32, nwg: vec3<u32>, log_out: bool) {
    let j = wid.x + wid.y * nwg.x;
    let in_range = j < params[0];
    let d = params[1];
    let inner = params[2];
    let stride = params[5];
    var base = 0u;
    if (in_range) {
        base = base_offset(j);
    }
    var m = bitcast<f32>(0xff800000u);
    if (in_range) {
        for (var t = lid; t < d; t = t + WG) {
            let v = x[base + t * stride];
            m = max_nan(m, v);
        }
    }
    partial[lid] = m;
    m = tree(lid, true);
    var s = 0.0;
    if (in_range) {
        for (var t = lid; t < d; t = t + WG) {
            s = s + accurate_exp(x[base + t * stride] - m);
        }
    }
    partial[lid] = s;
    s = tree(lid, false);
    if (!in_range) {
        return;
    }
    let out_base = (j / inner) * d * inner + j % inner;
    let log_s = accurate_log(s);
    for (var t = lid; t < d; t = t + WG) {
        let z = x[base + t * stride] - m;
        if (log_out) {
            out[out_base + t * inner] = z - log_s;
        } else {
            out[out_base + t * inner] = accurate_exp(z) / s;
        }
    }
}

@compute @workgroup_size(WG)
fn softmax_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    softmax_row(wid, lid, nwg, false);
}

@compute @workgroup_size(WG)
fn log_softmax_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    softmax_row(wid, lid, nwg, true);
}
