// Sliding 2-D windows over contiguous [planes, H, W] float32 data: im2col
// (convolution's unfold), col2im (its adjoint: overlapping taps summed),
// max pooling and its gradient. The sums gather rather than scatter (each
// output element loops over the taps that reach it, in a fixed order), so
// there are no atomics and results repeat bitwise.
//
// params: [n_out, planes, in_h, in_w, k_h, k_w, stride_h, stride_w, pad_h,
//          pad_w, dil_h, dil_w, out_h, out_w, offset]
// Dispatches past 65,535 workgroups are folded into 2-D.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> indices: array<i32>;
@group(0) @binding(4) var<storage, read> taken: array<i32>;

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

// NaN test on the bits: WGSL lets implementations assume floats are never
// NaN, and `x != x` does come back false for a NaN (lavapipe), so the
// PyTorch NaN rules below never rely on float comparisons.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// Input coordinate along axis a (0 rows, 1 cols) of output position o and
// tap k, or -1 in the padding.
fn source(a: u32, o: u32, k: u32) -> i32 {
    let pos = i32(o * params[6u + a] + k * params[10u + a]) - i32(params[8u + a]);
    if (pos < 0 || pos >= i32(params[2u + a])) {
        return -1;
    }
    return pos;
}

// Output position along axis a whose tap k reads input coordinate i, or -1.
fn target_pos(a: u32, i: u32, k: u32) -> i32 {
    let shifted = i32(i + params[8u + a]) - i32(k * params[10u + a]);
    let s = i32(params[6u + a]);
    if (shifted < 0 || shifted % s != 0 || shifted / s >= i32(params[12u + a])) {
        return -1;
    }
    return shifted / s;
}

// out: [planes, k_h * k_w, out_h * out_w]
@compute @workgroup_size(WG)
fn im2col_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let positions = params[12] * params[13];
    let taps = params[4] * params[5];
    let pos = i % positions;
    let tap = (i / positions) % taps;
    let plane = i / (positions * taps);
    let y = source(0u, pos / params[13], tap / params[5]);
    let x = source(1u, pos % params[13], tap % params[5]);
    var v = 0.0;
    if (y >= 0 && x >= 0) {
        v = src[params[14] + plane * params[2] * params[3] + u32(y) * params[3] + u32(x)];
    }
    out[i] = v;
}

// src: [planes, k_h * k_w, out_h * out_w] -> out: [planes, in_h, in_w]
@compute @workgroup_size(WG)
fn col2im_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let hw = params[2] * params[3];
    let plane = i / hw;
    let iy = (i % hw) / params[3];
    let ix = i % params[3];
    let positions = params[12] * params[13];
    let taps = params[4] * params[5];
    var acc = 0.0;
    for (var ki = 0u; ki < params[4]; ki = ki + 1u) {
        let oy = target_pos(0u, iy, ki);
        if (oy < 0) {
            continue;
        }
        for (var kj = 0u; kj < params[5]; kj = kj + 1u) {
            let ox = target_pos(1u, ix, kj);
            if (ox < 0) {
                continue;
            }
            let tap = ki * params[5] + kj;
            acc = acc + src[params[14] + (plane * taps + tap) * positions + u32(oy) * params[13] + u32(ox)];
        }
    }
    out[i] = acc;
}

// out: [planes, out_h * out_w] maxima; indices: position in the plane
// (y * in_w + x). PyTorch's rule: a tap replaces the best if greater or NaN,
// starting from the window's first tap.
@compute @workgroup_size(WG)
fn max_pool_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let positions = params[12] * params[13];
    let plane = i / positions;
    let oy = (i % positions) / params[13];
    let ox = i % params[13];
    let base = params[14] + plane * params[2] * params[3];
    var best_v = bitcast<f32>(0xff800000u);
    var best = -1;
    for (var ki = 0u; ki < params[4]; ki = ki + 1u) {
        let y = source(0u, oy, ki);
        if (y < 0) {
            continue;
        }
        for (var kj = 0u; kj < params[5]; kj = kj + 1u) {
            let x = source(1u, ox, kj);
            if (x < 0) {
                continue;
            }
            let at = y * i32(params[3]) + x;
            let v = src[base + u32(at)];
            if (best < 0) {
                best = at;
            }
            if (v > best_v || is_nan(v)) {
                best_v = v;
                best = at;
            }
        }
    }
    out[i] = best_v;
    indices[i] = max(best, 0);
}

// src: gradient [planes, out_h * out_w]; taken: the forward's indices;
// out: [planes, in_h, in_w], each input summing the windows that took it.
@compute @workgroup_size(WG)
fn max_pool_backward_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let hw = params[2] * params[3];
    let plane = i / hw;
    let at = i32(i % hw);
    let iy = (i % hw) / params[3];
    let ix = i % params[3];
    let positions = params[12] * params[13];
    var acc = 0.0;
    for (var ki = 0u; ki < params[4]; ki = ki + 1u) {
        let oy = target_pos(0u, iy, ki);
        if (oy < 0) {
            continue;
        }
        for (var kj = 0u; kj < params[5]; kj = kj + 1u) {
            let ox = target_pos(1u, ix, kj);
            if (ox < 0) {
                continue;
            }
            let o = plane * positions + u32(oy) * params[13] + u32(ox);
            if (taken[o] == at) {
                acc = acc + src[params[14] + o];
            }
        }
    }
    out[i] = acc;
}

// Average pooling. params[15]: count_include_pad; params[16]: whether
// divisor_override is set, params[17] its value (i32 bits). The window of
// output o along axis a spans [o*stride - pad, min(that + k, in + pad)) in
// the padded input; its divisor is that extent, or the part inside the
// input, or the override (PyTorch's CPU rule).
fn pool_start(a: u32, o: u32) -> i32 {
    return i32(o * params[6u + a]) - i32(params[8u + a]);
}

fn pool_end(a: u32, o: u32) -> i32 {
    return min(pool_start(a, o) + i32(params[4u + a]), i32(params[2u + a] + params[8u + a]));
}

fn pool_divisor(oy: u32, ox: u32) -> f32 {
    if (params[16] != 0u) {
        return f32(bitcast<i32>(params[17]));
    }
    var y0 = pool_start(0u, oy);
    var y1 = pool_end(0u, oy);
    var x0 = pool_start(1u, ox);
    var x1 = pool_end(1u, ox);
    if (params[15] == 0u) {
        y0 = max(y0, 0);
        x0 = max(x0, 0);
        y1 = min(y1, i32(params[2]));
        x1 = min(x1, i32(params[3]));
    }
    return f32(max(y1 - y0, 0) * max(x1 - x0, 0));
}

// out: [planes, out_h * out_w] window means (rows then columns, as the CPU).
@compute @workgroup_size(WG)
fn avg_pool_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let positions = params[12] * params[13];
    let plane = i / positions;
    let oy = (i % positions) / params[13];
    let ox = i % params[13];
    let base = params[14] + plane * params[2] * params[3];
    let y0 = max(pool_start(0u, oy), 0);
    let y1 = min(pool_end(0u, oy), i32(params[2]));
    let x0 = max(pool_start(1u, ox), 0);
    let x1 = min(pool_end(1u, ox), i32(params[3]));
    var acc = 0.0;
    for (var y = y0; y < y1; y = y + 1) {
        for (var x = x0; x < x1; x = x + 1) {
            acc = acc + src[base + u32(y) * params[3] + u32(x)];
        }
    }
    out[i] = acc / pool_divisor(oy, ox);
}

// src: gradient [planes, out_h * out_w] -> out: [planes, in_h, in_w], each
// input gathering the windows that cover it.
@compute @workgroup_size(WG)
fn avg_pool_backward_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let hw = params[2] * params[3];
    let plane = i / hw;
    let iy = (i % hw) / params[3];
    let ix = i % params[3];
    let positions = params[12] * params[13];
    var acc = 0.0;
    for (var ki = 0u; ki < params[4]; ki = ki + 1u) {
        let oy = target_pos(0u, iy, ki);
        if (oy < 0) {
            continue;
        }
        for (var kj = 0u; kj < params[5]; kj = kj + 1u) {
            let ox = target_pos(1u, ix, kj);
            if (ox < 0) {
                continue;
            }
            let o = plane * positions + u32(oy) * params[13] + u32(ox);
            acc = acc + src[params[14] + o] / pool_divisor(u32(oy), u32(ox));
        }
    }
    out[i] = acc;
}
