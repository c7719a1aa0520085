// Strided copies and dtype casts. Every tensor on the GPU is stored as 32-bit
// words (f32, int64 held as i32, bool as u32), so one bitwise kernel serves
// every dtype for layout changes.
//
// params: [n, ndim, src_offset, dst_offset, shape[ndim], src_strides[ndim], dst_strides[ndim]]
// Dispatches past 65,535 workgroups are folded into 2-D: the linear index is
// gid.x + gid.y * (num_workgroups.x * WG).

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

// Element i of the row-major walk over `shape`, mapped through `strides`
// (strides section starting at params[base]).
fn offset_of(i: u32, ndim: u32, base: u32) -> u32 {
    var rem = i;
    var off = 0u;
    for (var d = ndim; d > 0u; d = d - 1u) {
        let size = params[4u + d - 1u];
        let coord = rem % size;
        rem = rem / size;
        off = off + coord * params[base + d - 1u];
    }
    return off;
}

@compute @workgroup_size(WG)
fn copy_strided(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    let ndim = params[1];
    if (i >= params[0]) {
        return;
    }
    let s = params[2] + offset_of(i, ndim, 4u + ndim);
    let d = params[3] + offset_of(i, ndim, 4u + 2u * ndim);
    dst[d] = src[s];
}

// Casts over contiguous words: params: [n]. Float to int truncates toward
// zero (as PyTorch's .long()); to bool tests != 0.
@compute @workgroup_size(WG)
fn cast_f32_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    dst[i] = bitcast<u32>(i32(bitcast<f32>(src[i])));
}

@compute @workgroup_size(WG)
fn cast_i32_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    dst[i] = bitcast<u32>(f32(bitcast<i32>(src[i])));
}

@compute @workgroup_size(WG)
fn cast_bool_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    dst[i] = bitcast<u32>(select(0.0, 1.0, src[i] != 0u));
}

@compute @workgroup_size(WG)
fn cast_f32_bool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    // on the bits: nonzero unless +-0.0 (NaN is True, as bool(nan))
    dst[i] = select(0u, 1u, (src[i] & 0x7fffffffu) != 0u);
}

// int <-> bool: an i32 word is nonzero exactly when the value is; bool words
// are 0 or 1, which read as the same i32.
@compute @workgroup_size(WG)
fn cast_i32_bool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    dst[i] = select(0u, 1u, src[i] != 0u);
}

// params: [n, value bits]
@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    dst[i] = params[1];
}
