//! Device-side checks, as CUDA's device-side asserts: a kernel tests a
//! condition on the GPU and, where it fails, leaves the check's code in a
//! flag word. The flag is read at the next synchronisation (a readback
//! waits for the GPU anyway), where a failed check becomes its error. So a
//! bounds check (cross-entropy targets, embedding indices) costs a dispatch
//! instead of a readback of its own.

use super::context::Context;
use super::dispatch::{dispatch, grid_1d};
use super::{context, u32_of, GpuStorage};
use crate::dtype::DType;
use crate::error::{Error, Result};
use std::collections::HashMap;

/// The checks recorded since the last synchronisation.
#[derive(Default)]
pub struct Checks {
    flag: Option<wgpu::Buffer>,
    /// code - 1 -> message; the same message reuses its code, so a loop
    /// that never synchronises does not grow this
    messages: Vec<String>,
    codes: HashMap<String, u32>,
}

/// Records a check that every element of `cond` (contiguous bools) is true;
/// `message` is the error if one is not.
pub fn assert_all(cond: &GpuStorage, message: &str) -> Result<()> {
    if cond.dtype() != DType::Bool {
        return Err(Error::Device(format!(
            "device check: expected a bool condition, got {}",
            cond.dtype()
        )));
    }
    let ctx = context()?;
    let mut checks = ctx.checks.lock();
    // wgpu zero-initialises new buffers
    let flag = checks
        .flag
        .get_or_insert_with(|| {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("autorust device checks"),
                size: 16,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })
        .clone();
    let code = match checks.codes.get(message) {
        Some(&c) => c,
        None => {
            checks.messages.push(message.to_string());
            let c = checks.messages.len() as u32;
            checks.codes.insert(message.to_string(), c);
            c
        }
    };
    let n = cond.len();
    drop(checks);
    dispatch(
        ctx,
        "index",
        "assert_all_u32",
        &[u32_of("device check", n)?, code],
        &[(1, cond.raw()), (6, &flag)],
        grid_1d(n)?,
    )
}

/// When checks are pending: records a copy of the flag into a staging
/// buffer (in the batch about to be submitted) and returns it.
pub(super) fn stage_flag(ctx: &Context) -> Result<Option<wgpu::Buffer>> {
    let checks = ctx.checks.lock();
    let (Some(flag), false) = (checks.flag.clone(), checks.messages.is_empty()) else {
        return Ok(None);
    };
    drop(checks);
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("autorust check readback"),
        size: 16,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let dst = staging.clone();
    ctx.record(vec![], |enc| {
        enc.copy_buffer_to_buffer(&flag, 0, &dst, 0, 16)
    })?;
    Ok(Some(staging))
}

/// After the GPU finished: the verdict of the staged flag. Clears the flag
/// and the recorded checks either way.
pub(super) fn verdict(ctx: &Context, staging: wgpu::Buffer) -> Result<()> {
    let mapped = super::context::map_for_read(&staging);
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| Error::Device(format!("wgpu: {e}")))?;
    let code = super::context::read_mapped(&staging, mapped)?
        .first()
        .copied()
        .unwrap_or(0);
    let mut checks = ctx.checks.lock();
    let message = (code as usize)
        .checked_sub(1)
        .and_then(|i| checks.messages.get(i).cloned());
    checks.messages.clear();
    checks.codes.clear();
    if let Some(flag) = checks.flag.as_ref() {
        ctx.queue.write_buffer(flag, 0, &[0u8; 16]);
    }
    match message {
        Some(m) => Err(Error::Device(format!("{m} (a device-side check on the GPU; reported at this synchronisation, after the check's kernel ran)"))),
        None => Ok(()),
    }
}
