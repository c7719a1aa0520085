// Inclusive prefix sums (cumsum) along one dim. Rows up to BLOCKED_FROM
// long (src/backend/gpu/reduce.rs): one thread per row (all elements
// sharing the other coordinates) walks the row in order, so the float
// additions happen in the CPU kernel's order and the results are bitwise the
// CPU's, on every run. Longer rows are cut into blocks of `block` elements
// and scanned in three passes (the block sums, their exclusive scan per
// row, then each block walked again from its offset), each block in order:
// one thread walking a 10^7-element row took 2.5 s on an H200, past a
// desktop driver's watchdog. The blocked sums are deterministic (fixed by
// the shape), not bitwise the CPU's sequential ones. The input is strided,
// the output contiguous.
//
// params: [n_rows, len, inner, ndim, offset, shape[ndim], strides[ndim],
//          block, n_blocks (the blocked passes only)]
// Row r covers logical elements ((r / inner) * len + t) * inner + r % inner
// for t in 0..len (row-major over shape). Dispatches past 65,535 workgroups
// are folded into 2-D.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
// 32-bit words: f32 bits for cumsum_f32; i32 for cumsum_i32 (int64 tensors
// held as i32, and bools, whose 0/1 words read as the same i32)
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
// per (row, block): the block's sum, then (after the offsets pass) the sum
// of the row's earlier blocks; same word type as `x`
@group(0) @binding(3) var<storage, read_write> block_sums: array<u32>;

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

// ---- blocked passes (rows longer than BLOCKED_FROM)

fn block_len() -> u32 {
    return params[5u + 2u * params[3]];
}

fn blocks_per_row() -> u32 {
    return params[6u + 2u * params[3]];
}

fn add_f32(a: u32, b: u32) -> u32 {
    return bitcast<u32>(bitcast<f32>(a) + bitcast<f32>(b));
}

fn add_i32(a: u32, b: u32) -> u32 {
    return bitcast<u32>(bitcast<i32>(a) + bitcast<i32>(b));
}

// Logical index of element t of row r.
fn element(r: u32, t: u32) -> u32 {
    return first_of_row(r) + t * params[2];
}

// One thread per (row, block): the block's elements, in order, from `acc`.
// With `write`, each running sum is stored; the last is returned.
fn walk_block(id: u32, acc0: u32, is_float: bool, write: bool) -> u32 {
    let nb = blocks_per_row();
    let r = id / nb;
    let t0 = (id % nb) * block_len();
    let t1 = min(t0 + block_len(), params[1]);
    var acc = acc0;
    for (var t = t0; t < t1; t = t + 1u) {
        let i = element(r, t);
        let v = x[offset_of(i)];
        acc = select(add_i32(acc, v), add_f32(acc, v), is_float);
        if (write) {
            out[i] = acc;
        }
    }
    return acc;
}

// One thread per row: block sums to the exclusive prefix of earlier blocks.
fn offsets_of_row(r: u32, is_float: bool) {
    let nb = blocks_per_row();
    var acc = 0u; // 0 and 0.0 share their bits
    for (var b = 0u; b < nb; b = b + 1u) {
        let s = block_sums[r * nb + b];
        block_sums[r * nb + b] = acc;
        acc = select(add_i32(acc, s), add_f32(acc, s), is_float);
    }
}

@compute @workgroup_size(WG)
fn cumsum_block_sums_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let id = linear_id(gid, nwg);
    if (id >= params[0] * blocks_per_row()) {
        return;
    }
    block_sums[id] = walk_block(id, 0u, true, false);
}

@compute @workgroup_size(WG)
fn cumsum_block_offsets_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = linear_id(gid, nwg);
    if (r >= params[0]) {
        return;
    }
    offsets_of_row(r, true);
}

@compute @workgroup_size(WG)
fn cumsum_blocks_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let id = linear_id(gid, nwg);
    if (id >= params[0] * blocks_per_row()) {
        return;
    }
    walk_block(id, block_sums[id], true, true);
}

@compute @workgroup_size(WG)
fn cumsum_block_sums_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let id = linear_id(gid, nwg);
    if (id >= params[0] * blocks_per_row()) {
        return;
    }
    block_sums[id] = walk_block(id, 0u, false, false);
}

@compute @workgroup_size(WG)
fn cumsum_block_offsets_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = linear_id(gid, nwg);
    if (r >= params[0]) {
        return;
    }
    offsets_of_row(r, false);
}

@compute @workgroup_size(WG)
fn cumsum_blocks_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let id = linear_id(gid, nwg);
    if (id >= params[0] * blocks_per_row()) {
        return;
    }
    walk_block(id, block_sums[id], false, true);
}
