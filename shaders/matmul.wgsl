// Batched float32 matrix multiply: out[b] = A[b] @ B[b], A and B read through
// their strides (transposed views need no copy), out contiguous [bs, m, n].
// Each workgroup computes a 64x64 output tile; each of its 256 threads a 4x4
// register block, over K in steps of 16 staged in workgroup memory.
//
// params: [bs, m, n, k, a_offset, a_sb, a_sm, a_sk, b_offset, b_sb, b_sk, b_sn, batch0]
// Grid: x = column tiles, y = row tiles, z = batch - batch0 (batches past
// the 65,535 limit on z go in further dispatches with a larger batch0).

const TILE: u32 = 64u;
const KT: u32 = 16u;

@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> a_tile: array<f32, 1024>; // [KT][TILE]: a_tile[kk * TILE + row]
var<workgroup> b_tile: array<f32, 1024>; // [KT][TILE]: b_tile[kk * TILE + col]

@compute @workgroup_size(16, 16)
fn bmm_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let m = params[1];
    let n = params[2];
    let k = params[3];
    let batch = wid.z + params[12];
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
    let a_base = params[4] + batch * params[5];
    let b_base = params[8] + batch * params[9];
    var acc: array<f32, 16>;
    for (var i = 0u; i < 16u; i = i + 1u) {
        acc[i] = 0.0;
    }
    for (var k0 = 0u; k0 < k; k0 = k0 + KT) {
        // 1024 elements of each tile, 4 per thread; out-of-range reads as 0
        for (var e = 0u; e < 4u; e = e + 1u) {
            let idx = li + e * 256u;
            let kk = idx / TILE;
            let rc = idx % TILE;
            let kg = k0 + kk;
            let row = row0 + rc;
            let col = col0 + rc;
            var av = 0.0;
            if (kg < k && row < m) {
                av = a[a_base + row * params[6] + kg * params[7]];
            }
            a_tile[idx] = av;
            var bv = 0.0;
            if (kg < k && col < n) {
                bv = b[b_base + kg * params[10] + col * params[11]];
            }
            b_tile[idx] = bv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < KT; kk = kk + 1u) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i = i + 1u) {
                av[i] = a_tile[kk * TILE + lid.y * 4u + i];
                bv[i] = b_tile[kk * TILE + lid.x * 4u + i];
            }
            for (var i = 0u; i < 4u; i = i + 1u) {
                for (var j = 0u; j < 4u; j = j + 1u) {
                    acc[i * 4u + j] = fma(av[i], bv[j], acc[i * 4u + j]);
                }
            }
        }
        workgroupBarrier();
    }
    let out_base = batch * m * n;
    for (var i = 0u; i < 4u; i = i + 1u) {
        let row = row0 + lid.y * 4u + i;
        for (var j = 0u; j < 4u; j = j + 1u) {
            let col = col0 + lid.x * 4u + j;
            if (row < m && col < n) {
                out[out_base + row * n + col] = acc[i * 4u + j];
            }
        }
    }
}
