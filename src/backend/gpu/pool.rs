//! Device buffers recycled by size class. Creating a wgpu buffer costs a
//! driver allocation; a training loop allocates the same sizes every step,
//! so freed buffers go back to a free list keyed by their class (the next
//! power of two of the byte size, at least 256 bytes) and are handed out
//! again. Reuse is safe while earlier commands still read a buffer: the
//! queue runs commands in recording order.

use super::context::{context, Context};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

const MIN_CLASS_BYTES: u64 = 256;

#[derive(Default)]
pub struct Pool {
    free: HashMap<u64, Vec<wgpu::Buffer>>,
    /// Bytes in live (handed-out) buffers.
    pub allocated: u64,
    /// Bytes held in free lists.
    pub cached: u64,
}

/// A device buffer of 32-bit words, returned to the pool when dropped.
pub struct GpuBuffer {
    buffer: Option<wgpu::Buffer>,
    class: u64,
}

impl GpuBuffer {
    pub fn raw(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().expect("live buffer") // cannot fail: `buffer` is only taken in Drop
    }
}

fn class_of(bytes: u64) -> u64 {
    bytes.max(MIN_CLASS_BYTES).next_power_of_two()
}

/// A buffer of at least `words` 32-bit words (contents unspecified).
pub fn alloc(ctx: &Context, op: &'static str, words: usize) -> Result<GpuBuffer> {
    let bytes = (words as u64).max(1) * 4;
    let class = class_of(bytes);
    // a tensor is bound whole, so the binding limit is the size limit
    let max = ctx
        .limits
        .max_storage_buffer_binding_size
        .min(ctx.limits.max_buffer_size);
    if bytes > max {
        return Err(Error::Device(format!(
            "{op}: a tensor of {bytes} bytes exceeds this GPU's largest storage buffer binding ({max} bytes, {}); split it or compute it on the CPU",
            ctx.info.name
        )));
    }
    let class = class.min(max);
    let reused = {
        let mut pool = ctx.pool.lock();
        let b = pool.free.get_mut(&class).and_then(Vec::pop);
        if b.is_some() {
            pool.cached -= class;
        }
        pool.allocated += class;
        b
    };
    let buffer = match reused {
        Some(b) => {
            ctx.stats.pool_hits.fetch_add(1, Ordering::Relaxed);
            b
        }
        None => {
            ctx.stats.pool_misses.fetch_add(1, Ordering::Relaxed);
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("autorust tensor"),
                size: class,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        }
    };
    Ok(GpuBuffer {
        buffer: Some(buffer),
        class,
    })
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        let (Some(b), Ok(ctx)) = (self.buffer.take(), context()) else {
            return;
        };
        let mut pool = ctx.pool.lock();
        pool.allocated -= self.class;
        pool.cached += self.class;
        pool.free.entry(self.class).or_default().push(b);
    }
}

/// Drops every cached buffer (`autorust.wgpu.empty_cache()`).
pub fn empty_cache(ctx: &Context) {
    let mut pool = ctx.pool.lock();
    pool.free.clear();
    pool.cached = 0;
}
