// Fused optimizer updates over contiguous float32 parameters: one pass over
// the parameter, its gradient and its state buffers. The formulas follow the
// CPU kernels (backend/cpu/optim.rs), which follow PyTorch's single-tensor
// updates in the same order of float operations, with the scalars rounded to
// f32 on the host first.
//
// params: [n, flags, c0, c1, c2, c3, c4, c5, c6, off_p, off_g, off_s0, off_s1, off_s2]
// with c* as f32 bits and off_* each buffer's element offset;
// flags: 1 maximize, 2 nesterov, 4 first step (SGD buffer), 8 decoupled
// weight decay (AdamW). Dispatches past 65,535 workgroups are folded into 2-D.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: array<f32>;
@group(0) @binding(3) var<storage, read_write> s0: array<f32>;
@group(0) @binding(4) var<storage, read_write> s1: array<f32>;
@group(0) @binding(5) var<storage, read_write> s2: array<f32>;

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * WG;
}

// Element i of the buffer whose offset is params[slot].
fn at(slot: u32, i: u32) -> u32 {
    return params[slot] + i;
}

fn c(k: u32) -> f32 {
    return bitcast<f32>(params[2u + k]);
}

fn flag(bit: u32) -> bool {
    return (params[1] & bit) != 0u;
}

// The gradient after maximize and (coupled) weight decay.
fn direction(pv: f32, gv: f32, wd: f32) -> f32 {
    var d = gv;
    if (flag(1u)) {
        d = -gv;
    }
    if (wd != 0.0) {
        d = d + wd * pv;
    }
    return d;
}

// PyTorch's lerp: two forms, chosen by the weight, for accuracy near both ends.
fn lerp_torch(start: f32, end: f32, w: f32) -> f32 {
    if (w < 0.5) {
        return start + w * (end - start);
    }
    return end - (end - start) * (1.0 - w);
}

// NaN test on the bits: WGSL lets implementations assume floats are never
// NaN, and `x != x` does come back false for a NaN (lavapipe), so the
// PyTorch NaN rules below never rely on float comparisons.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

fn max_nan(a: f32, b: f32) -> f32 {
    if (is_nan(a) || is_nan(b)) {
        return bitcast<f32>(0x7fc00000u);
    }
    return select(b, a, a >= b);
}

// c: [neg_lr, weight_decay]
@compute @workgroup_size(WG)
fn sgd_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    p[at(9u, i)] = p[at(9u, i)] + c(0u) * direction(p[at(9u, i)], g[at(10u, i)], c(1u));
}

// c: [neg_lr, weight_decay, momentum, 1 - dampening]; s0: momentum buffer
@compute @workgroup_size(WG)
fn sgd_momentum_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let d = direction(p[at(9u, i)], g[at(10u, i)], c(1u));
    var buf = d;
    if (!flag(4u)) {
        buf = s0[at(11u, i)] * c(2u) + c(3u) * d;
    }
    s0[at(11u, i)] = buf;
    var step = buf;
    if (flag(2u)) {
        step = d + c(2u) * buf;
    }
    p[at(9u, i)] = p[at(9u, i)] + c(0u) * step;
}

// c: [neg_step_size, bc2_sqrt, 1 - beta1, beta2, 1 - beta2, eps, decay or coupled weight decay]
fn adam_moments(i: u32) -> f32 {
    var wd = c(6u);
    if (flag(8u)) {
        p[at(9u, i)] = p[at(9u, i)] * c(6u);
        wd = 0.0;
    }
    let d = direction(p[at(9u, i)], g[at(10u, i)], wd);
    s0[at(11u, i)] = lerp_torch(s0[at(11u, i)], d, c(2u));
    s1[at(12u, i)] = s1[at(12u, i)] * c(3u) + c(4u) * d * d;
    return s1[at(12u, i)];
}

@compute @workgroup_size(WG)
fn adam_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let v = adam_moments(i);
    p[at(9u, i)] = p[at(9u, i)] + c(0u) * s0[at(11u, i)] / (sqrt(v) / c(1u) + c(5u));
}

// s2: running maximum of the second moment
@compute @workgroup_size(WG)
fn adam_amsgrad_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let v = adam_moments(i);
    let vmax = max_nan(s2[at(13u, i)], v);
    s2[at(13u, i)] = vmax;
    p[at(9u, i)] = p[at(9u, i)] + c(0u) * s0[at(11u, i)] / (sqrt(vmax) / c(1u) + c(5u));
}

// c: [neg_lr, alpha, 1 - alpha, eps, weight_decay, momentum]; s0: square average
fn rms_square(i: u32) -> f32 {
    let d = direction(p[at(9u, i)], g[at(10u, i)], c(4u));
    s0[at(11u, i)] = s0[at(11u, i)] * c(1u) + c(2u) * d * d;
    return d;
}

@compute @workgroup_size(WG)
fn rmsprop_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let d = rms_square(i);
    p[at(9u, i)] = p[at(9u, i)] + c(0u) * d / (sqrt(s0[at(11u, i)]) + c(3u));
}

// s1: momentum buffer
@compute @workgroup_size(WG)
fn rmsprop_momentum_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let d = rms_square(i);
    s1[at(12u, i)] = s1[at(12u, i)] * c(5u) + d / (sqrt(s0[at(11u, i)]) + c(3u));
    p[at(9u, i)] = p[at(9u, i)] + c(0u) * s1[at(12u, i)];
}

// s1: gradient average
@compute @workgroup_size(WG)
fn rmsprop_centered_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let d = rms_square(i);
    s1[at(12u, i)] = lerp_torch(s1[at(12u, i)], d, c(2u));
    let avg = sqrt(s0[at(11u, i)] + -1.0 * s1[at(12u, i)] * s1[at(12u, i)]) + c(3u);
    p[at(9u, i)] = p[at(9u, i)] + c(0u) * d / avg;
}

// s1: momentum buffer, s2: gradient average
@compute @workgroup_size(WG)
fn rmsprop_centered_momentum_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let d = rms_square(i);
    s2[at(13u, i)] = lerp_torch(s2[at(13u, i)], d, c(2u));
    let avg = sqrt(s0[at(11u, i)] + -1.0 * s2[at(13u, i)] * s2[at(13u, i)]) + c(3u);
    s1[at(12u, i)] = s1[at(12u, i)] * c(5u) + d / avg;
    p[at(9u, i)] = p[at(9u, i)] + c(0u) * s1[at(12u, i)];
}

// c: [neg_clr, weight_decay, eps]; s0: sum of squares
@compute @workgroup_size(WG)
fn adagrad_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = linear_id(gid, nwg);
    if (i >= params[0]) {
        return;
    }
    let d = direction(p[at(9u, i)], g[at(10u, i)], c(1u));
    s0[at(11u, i)] = s0[at(11u, i)] + d * d;
    p[at(9u, i)] = p[at(9u, i)] + c(0u) * d / (sqrt(s0[at(11u, i)]) + c(2u));
}
