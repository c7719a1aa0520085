// Elementwise ops on 32-bit integer words: int64 tensors (held as i32 on
// the device) and bools (0/1 words), plus `where`, which selects whole words
// and so serves every dtype. Inputs are strided (broadcast: stride 0), the
// output contiguous; one entry point per op, named after `op.rs`.
//
// binary params: [n, ndim, offset_a, offset_b, shape[ndim], strides_a[ndim], strides_b[ndim]]
// where params:  [n, ndim, offset_c, offset_a, offset_b, shape[ndim],
//                 strides_c[ndim], strides_a[ndim], strides_b[ndim]]
// Integer division and remainder by zero give 0 (WGSL's rule; PyTorch raises
// on the CPU). Dispatches past 65,535 workgroups are folded into 2-D.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<i32>;
@group(0) @binding(2) var<storage, read> b: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<i32>;
@group(0) @binding(4) var<storage, read> cond: array<i32>;

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

// Offset of element i (row-major over the shape at params[shape_at]) through
// the strides at params[base].
fn offset_of(i: u32, shape_at: u32, base: u32) -> u32 {
    let ndim = params[1];
    var rem = i;
    var off = 0u;
    for (var d = ndim; d > 0u; d = d - 1u) {
        let size = params[shape_at + d - 1u];
        off = off + (rem % size) * params[base + d - 1u];
        rem = rem / size;
    }
    return off;
}

fn load_a(i: u32) -> i32 {
    return a[params[2] + offset_of(i, 4u, 4u + params[1])];
}

fn load_b(i: u32) -> i32 {
    return b[params[3] + offset_of(i, 4u, 4u + 2u * params[1])];
}

// The remainder is taken as x - (x / y) * y, never with `%`: NVIDIA's
// Vulkan driver (580, H200) returned wrong remainders of negative dividends
// (floor_divide(-12, 3) gave -5, remainder(-12, 3) gave 1); `/` was right.
fn truncated_rem(x: i32, y: i32) -> i32 {
    return x - (x / y) * y;
}

fn floor_div(x: i32, y: i32) -> i32 {
    if (y == 0) {
        return 0;
    }
    let q = x / y;
    return select(q, q - 1, (x - q * y != 0) && ((x < 0) != (y < 0)));
}

fn py_mod(x: i32, y: i32) -> i32 {
    if (y == 0) {
        return 0;
    }
    let r = truncated_rem(x, y);
    return select(r, r + y, r != 0 && ((r < 0) != (y < 0)));
}

@compute @workgroup_size(WG)
fn where_u32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let nd = params[1];
    let c = cond[params[2] + offset_of(i, 5u, 5u + nd)];
    let x = a[params[3] + offset_of(i, 5u, 5u + 2u * nd)];
    let y = b[params[4] + offset_of(i, 5u, 5u + 3u * nd)];
    out[i] = select(y, x, c != 0);
}

@compute @workgroup_size(WG)
fn add_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = x + y;
}

@compute @workgroup_size(WG)
fn sub_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = x - y;
}

@compute @workgroup_size(WG)
fn mul_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = x * y;
}

@compute @workgroup_size(WG)
fn maximum_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = max(x, y);
}

@compute @workgroup_size(WG)
fn minimum_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = min(x, y);
}

@compute @workgroup_size(WG)
fn floor_divide_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = floor_div(x, y);
}

@compute @workgroup_size(WG)
fn fmod_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let y = load_b(i);
    out[i] = select(truncated_rem(load_a(i), y), 0, y == 0);
}

@compute @workgroup_size(WG)
fn remainder_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = py_mod(x, y);
}

@compute @workgroup_size(WG)
fn bit_and_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = x & y;
}

@compute @workgroup_size(WG)
fn bit_or_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = x | y;
}

@compute @workgroup_size(WG)
fn bit_xor_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = x ^ y;
}

@compute @workgroup_size(WG)
fn eq_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(0, 1, x == y);
}

@compute @workgroup_size(WG)
fn ne_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(0, 1, x != y);
}

@compute @workgroup_size(WG)
fn lt_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(0, 1, x < y);
}

@compute @workgroup_size(WG)
fn le_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(0, 1, x <= y);
}

@compute @workgroup_size(WG)
fn gt_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(0, 1, x > y);
}

@compute @workgroup_size(WG)
fn ge_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(0, 1, x >= y);
}

@compute @workgroup_size(WG)
fn logical_and_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(0, 1, x != 0 && y != 0);
}

@compute @workgroup_size(WG)
fn logical_or_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(0, 1, x != 0 || y != 0);
}

@compute @workgroup_size(WG)
fn logical_xor_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let x = load_a(i);
    let y = load_b(i);
    out[i] = select(0, 1, (x != 0) != (y != 0));
}

// params: [n, ndim, offset_a, 0, shape[ndim], strides_a[ndim], strides_a[ndim]]
@compute @workgroup_size(WG)
fn logical_not_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    out[i] = select(0, 1, load_a(i) == 0);
}

@compute @workgroup_size(WG)
fn neg_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    out[i] = -load_a(i);
}

@compute @workgroup_size(WG)
fn abs_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    out[i] = abs(load_a(i));
}

@compute @workgroup_size(WG)
fn sign_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    out[i] = sign(load_a(i));
}

@compute @workgroup_size(WG)
fn relu_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    out[i] = max(load_a(i), 0);
}

// Integer power by squaring, wrapping at 32 bits. A negative exponent (which
// the CPU refuses; the host checks scalar exponents) gives 1 / x^-y truncated
// toward zero: 1 for x == 1, +-1 for x == -1, else 0.
fn ipow(x: i32, y: i32) -> i32 {
    if (y < 0) {
        if (x == 1) {
            return 1;
        }
        if (x == -1) {
            return select(1, -1, (y & 1) != 0);
        }
        return 0;
    }
    var base = x;
    var e = y;
    var acc = 1;
    while (e > 0) {
        if ((e & 1) != 0) {
            acc = acc * base;
        }
        base = base * base;
        e = e >> 1u;
    }
    return acc;
}

// binary params, as add_i32
@compute @workgroup_size(WG)
fn pow_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    out[i] = ipow(load_a(i), load_b(i));
}
