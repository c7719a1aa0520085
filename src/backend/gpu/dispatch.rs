//! Compute dispatch: shader modules and pipelines compiled once per
//! (shader family, entry point) and cached; one compute pass per dispatch
//! recorded into the pending encoder, with its parameter block (a slot in
//! the batch's parameter buffer, `Context::params_slot`).

use super::context::Context;
use crate::error::{Error, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// One shader family's source: `shaders/lib/accurate_math.wgsl` (the math
/// every family may call instead of a weak builtin), then
/// `shaders/<name>.wgsl`. `tests/shaders.rs` and `tests/wgsl_runner.py`
/// compose them the same way.
macro_rules! family {
    ($name:literal) => {
        (
            $name,
            concat!(
                include_str!("../../../shaders/lib/accurate_math.wgsl"),
                include_str!(concat!("../../../shaders/", $name, ".wgsl")),
            ),
        )
    };
}

/// The shader families, loaded at compile time (one file per family).
const SHADERS: &[(&str, &str)] = &[
    family!("copy"),
    family!("elementwise"),
    family!("reduce"),
    family!("matmul"),
    family!("optim"),
    family!("softmax"),
    family!("elementwise_int"),
    family!("index"),
    family!("window"),
    family!("scan"),
    family!("sort"),
];

/// Threads per workgroup of the 1-D kernels (the shaders' `WG`).
pub const WG: u32 = 256;
/// WebGPU's limit on workgroups per grid dimension.
pub const MAX_GROUPS: u32 = 65_535;

fn pipeline(
    ctx: &Context,
    family: &'static str,
    entry: &'static str,
) -> Result<Arc<wgpu::ComputePipeline>> {
    if let Some(p) = ctx.pipelines.lock().get(&(family, entry)) {
        return Ok(p.clone());
    }
    let mut modules = ctx.modules.lock();
    if !modules.contains_key(family) {
        let src = SHADERS
            .iter()
            .find(|(n, _)| *n == family)
            .map(|(_, s)| *s)
            .ok_or_else(|| Error::Device(format!("no shader family {family}")))?;
        let m = ctx
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(family),
                source: wgpu::ShaderSource::Wgsl(src.into()),
            });
        modules.insert(family, m);
    }
    let module = &modules[family];
    let p = Arc::new(
        ctx.device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            }),
    );
    drop(modules);
    ctx.check()?;
    ctx.pipelines.lock().insert((family, entry), p.clone());
    Ok(p)
}

/// A buffer created with `data` in it (parameter blocks, upload staging).
pub fn buffer_with(ctx: &Context, data: &[u8], usage: wgpu::BufferUsages) -> Result<wgpu::Buffer> {
    let size = (data.len() as u64).max(16).next_multiple_of(4);
    let b = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("autorust staging"),
        size,
        usage,
        mapped_at_creation: true,
    });
    let mut padded = data.to_vec();
    padded.resize(size as usize, 0);
    super::context::guarded("writing a buffer", || {
        b.slice(..).get_mapped_range_mut().copy_from_slice(&padded);
        b.unmap();
    })?;
    Ok(b)
}

/// Records `family::entry` over `groups` workgroups with `params` at binding
/// 0 and `bindings` (binding index, buffer) after it.
pub fn dispatch(
    ctx: &Context,
    family: &'static str,
    entry: &'static str,
    params: &[u32],
    bindings: &[(u32, &wgpu::Buffer)],
    groups: [u32; 3],
) -> Result<()> {
    dispatch_keeping(ctx, family, entry, params, bindings, groups, vec![])
}

/// `dispatch`, keeping `keep` (temporary inputs such as uploaded indices)
/// alive until the commands are submitted.
pub fn dispatch_keeping(
    ctx: &Context,
    family: &'static str,
    entry: &'static str,
    params: &[u32],
    bindings: &[(u32, &wgpu::Buffer)],
    groups: [u32; 3],
    mut keep: Vec<wgpu::Buffer>,
) -> Result<()> {
    if groups.contains(&0) {
        return Ok(());
    }
    let pipe = pipeline(ctx, family, entry)?;
    let (params_buf, offset, size) = ctx.params_slot(params)?;
    let params_binding = wgpu::BufferBinding {
        buffer: &params_buf,
        offset,
        size: std::num::NonZeroU64::new(size),
    };
    let mut entries = vec![wgpu::BindGroupEntry {
        binding: 0,
        resource: wgpu::BindingResource::Buffer(params_binding),
    }];
    entries.extend(bindings.iter().map(|(i, b)| wgpu::BindGroupEntry {
        binding: *i,
        resource: b.as_entire_binding(),
    }));
    let bind = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some(entry),
        layout: &pipe.get_bind_group_layout(0),
        entries: &entries,
    });
    keep.push(params_buf);
    ctx.record(keep, |enc| {
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(entry),
            timestamp_writes: None,
        });
        pass.set_pipeline(&pipe);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
    })?;
    ctx.stats.dispatches.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Workgroups for `n` threads of a 1-D kernel, folded into 2-D past the
/// per-dimension limit (the shaders rebuild the linear id).
pub fn grid_1d(n: usize) -> Result<[u32; 3]> {
    let groups = n.div_ceil(WG as usize);
    fold(groups)
}

/// `groups` workgroups as an (x, y) grid.
pub fn fold(groups: usize) -> Result<[u32; 3]> {
    let x = groups.min(MAX_GROUPS as usize);
    let y = if x == 0 { 0 } else { groups.div_ceil(x) };
    if y > MAX_GROUPS as usize {
        return Err(Error::Device(format!(
            "a GPU kernel over {groups} workgroups exceeds the 65535 x 65535 grid"
        )));
    }
    Ok([x as u32, y as u32, 1])
}

/// Test hooks for the error paths (`tests/test_gpu.py`): a dispatch whose
/// bind group lacks a binding the pipeline needs (a validation error, raised
/// at the next flush), and destroying the device (device loss).
pub mod selftest {
    use super::*;

    pub fn validation_error(ctx: &Context) -> Result<()> {
        // earlier work goes first, so only the bad command is lost with its batch
        ctx.submit()?;
        dispatch(ctx, "copy", "fill", &[1, 0], &[], [1, 1, 1])
    }

    /// `poll`: let the device-lost callback run now (it runs from a poll);
    /// without it the next ops meet the lost device before the callback has.
    pub fn lose_device(ctx: &Context, poll: bool) {
        ctx.device.destroy();
        if poll {
            let _ = ctx.device.poll(wgpu::PollType::wait_indefinitely());
        }
    }
}
