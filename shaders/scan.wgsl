// Inclusive prefix sums (cumsum) along one dim. One thread per row (all
// elements sharing the other coordinates) walks the row in order, so the
// float additions happen in the CPU kernel's order and the results are
// bitwise the CPU's, on every run. The input is strided, the output
// contiguous.
//
// params: [n_rows, len, inner, ndim, offset, shape[ndim], strides[ndim]]
// Row r covers logical elements ((r / inner) * len + t) * inner + r % inner
// for t in 0..len (row-major over shape). Dispatches past 65,535 workgroups
// are folded into 2-D.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
// 32-bit words: f32 bits for cumsum_f32; i32 for cumsum_i32 (int64 tensors
// held as i32, and bools, whose 0/1 words read as the same i32)
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

// Offset in x of logical element i.
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

fn first_of_row(r: u32) -> u32 {
    let len = params[1];
    let inner = params[2];
    return (r / inner) * len * inner + r % inner;
}

@compute @workgroup_size(WG)
fn cumsum_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = linear_id(gid, nwg);
    if (r >= params[0]) {
        return;
    }
    let start = first_of_row(r);
    var acc = 0.0;
    for (var t = 0u; t < params[1]; t = t + 1u) {
        let i = start + t * params[2];
        acc = acc + bitcast<f32>(x[offset_of(i)]);
        out[i] = bitcast<u32>(acc);
    }
}

@compute @workgroup_size(WG)
fn cumsum_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = linear_id(gid, nwg);
    if (r >= params[0]) {
        return;
    }
    let start = first_of_row(r);
    var acc = 0;
    for (var t = 0u; t < params[1]; t = t + 1u) {
        let i = start + t * params[2];
        acc = acc + bitcast<i32>(x[offset_of(i)]);
        out[i] = bitcast<u32>(acc);
    }
}
