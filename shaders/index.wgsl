// Indexing on 32-bit words (any dtype): gather and index_select read x
// through its strides at positions taken from an i32 index buffer; the
// output is contiguous. Indices were bounds-checked on the host.
//
// params: [n, ndim, dim, offset, out_shape[ndim], x_strides[ndim]]
// gather: out has the index's shape and coordinate `dim` of element i is
// idx[i]; index_select: coordinate `dim` is idx[coordinate dim of i].
// Dispatches past 65,535 workgroups are folded into 2-D.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

fn source_offset(i: u32, by_element: bool) -> u32 {
    let ndim = params[1];
    let dim = params[2];
    var rem = i;
    var off = params[3];
    for (var d = ndim; d > 0u; d = d - 1u) {
        let size = params[4u + d - 1u];
        var coord = rem % size;
        rem = rem / size;
        if (d - 1u == dim) {
            if (by_element) {
                coord = u32(idx[i]);
            } else {
                coord = u32(idx[coord]);
            }
        }
        off = off + coord * params[4u + ndim + d - 1u];
    }
    return off;
}

@compute @workgroup_size(WG)
fn gather_u32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    out[i] = x[source_offset(i, true)];
}

@compute @workgroup_size(WG)
fn index_select_u32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    out[i] = x[source_offset(i, false)];
}

// Scatters, deterministic without atomics: the host sorts the (destination,
// source) pairs by destination (keeping their order) into rows:
// offsets[d]..offsets[d + 1] index `positions`, the source elements that
// land on destination d, in the order the CPU applies them. One thread per
// destination element.
// params: [n_dest]
@group(0) @binding(4) var<storage, read> offsets: array<u32>;
@group(0) @binding(5) var<storage, read> positions: array<u32>;

@compute @workgroup_size(WG)
fn scatter_add_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let d = linear_id(gid, nwg);
    if (d >= params[0]) {
        return;
    }
    var acc = bitcast<f32>(out[d]);
    for (var k = offsets[d]; k < offsets[d + 1u]; k = k + 1u) {
        acc = acc + bitcast<f32>(x[positions[k]]);
    }
    out[d] = bitcast<u32>(acc);
}

@compute @workgroup_size(WG)
fn scatter_add_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let d = linear_id(gid, nwg);
    if (d >= params[0]) {
        return;
    }
    var acc = bitcast<i32>(out[d]);
    for (var k = offsets[d]; k < offsets[d + 1u]; k = k + 1u) {
        acc = acc + bitcast<i32>(x[positions[k]]);
    }
    out[d] = bitcast<u32>(acc);
}

// bool accumulation is logical or
@compute @workgroup_size(WG)
fn scatter_or_u32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let d = linear_id(gid, nwg);
    if (d >= params[0]) {
        return;
    }
    var acc = out[d];
    for (var k = offsets[d]; k < offsets[d + 1u]; k = k + 1u) {
        acc = acc | x[positions[k]];
    }
    out[d] = acc;
}

// without accumulation the last source written wins, as on the CPU
@compute @workgroup_size(WG)
fn scatter_set_u32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let d = linear_id(gid, nwg);
    if (d >= params[0]) {
        return;
    }
    let end = offsets[d + 1u];
    if (end > offsets[d]) {
        out[d] = x[positions[end - 1u]];
    }
}

// Device-side checks (backend/gpu/asserts.rs): where any of the n condition
// words (bools) is 0, the flag takes the check's code.
// params: [n, code]
@group(0) @binding(6) var<storage, read_write> flag: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn assert_all_u32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    if (x[i] == 0u) {
        atomicMax(&flag[0], params[1]);
    }
}
