//! The wgpu context: one per process, created on first GPU use. Holds the
//! device and queue, the pending command encoder (ops are recorded, then
//! submitted in batches), the pipeline cache and the buffer pool, and
//! collects wgpu's errors so they surface as Python exceptions instead of
//! panics.

use super::pool::Pool;
use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Counters shown by `autorust.wgpu.stats()`.
#[derive(Default)]
pub struct Stats {
    pub submissions: AtomicU64,
    pub dispatches: AtomicU64,
    pub pool_hits: AtomicU64,
    pub pool_misses: AtomicU64,
}

/// Commands recorded since the last submission.
pub(super) struct Pending {
    pub encoder: Option<wgpu::CommandEncoder>,
    /// Buffers the recorded commands use, kept alive until submission
    /// (parameter blocks, upload staging).
    pub keep_alive: Vec<wgpu::Buffer>,
    pub commands: usize,
    /// The recorded dispatches' parameter blocks, packed at aligned offsets
    /// into one buffer per batch, written once at submission (instead of a
    /// buffer created per dispatch).
    pub params: Vec<u8>,
    pub params_buf: Option<wgpu::Buffer>,
}

/// Bytes of parameter blocks one batch holds (a batch that fills it is submitted).
const PARAMS_CAPACITY: u64 = 256 * 1024;

pub struct Context {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub stats: Stats,
    pub(super) pending: Mutex<Pending>,
    pub(super) pipelines: Mutex<HashMap<(&'static str, &'static str), Arc<wgpu::ComputePipeline>>>,
    pub(super) modules: Mutex<HashMap<&'static str, wgpu::ShaderModule>>,
    pub pool: Mutex<Pool>,
    pub(super) checks: Mutex<super::asserts::Checks>,
    /// The first error wgpu reported outside an error scope (validation,
    /// out of memory, device loss), raised by the next flush.
    errors: Arc<Mutex<Option<String>>>,
    /// Set for good when the device is lost: every later GPU op is refused
    /// with this message (wgpu calls on a lost device would panic).
    lost: Arc<Mutex<Option<String>>>,
}

/// Pending commands are submitted once this many are recorded, so a long
/// loop without readbacks does not grow one encoder forever.
const MAX_PENDING_COMMANDS: usize = 1024;

static CONTEXT: OnceLock<std::result::Result<Context, String>> = OnceLock::new();

fn no_gpu(why: &str) -> Error {
    Error::Device(format!(
        "autorust: no usable GPU adapter for the wgpu device ({why}). Install a Vulkan driver (on Debian/Ubuntu: apt-get install mesa-vulkan-drivers libvulkan1 for a CPU Vulkan device, or your GPU vendor's driver); Metal (macOS) and DX12 (Windows) need nothing extra. Set AUTORUST_WGPU_BACKEND=vulkan|metal|dx12 to pick one."
    ))
}

/// The process-wide context, created on first call; a missing adapter is an
/// error every time it is asked for, never a panic.
pub fn context() -> Result<&'static Context> {
    match CONTEXT.get_or_init(create) {
        Ok(c) => match c.lost.lock().as_ref() {
            Some(why) => Err(Error::Device(format!("{why}; the GPU tensors are gone and the wgpu device cannot be used again in this process (restart it; CPU work is unaffected)"))),
            None => Ok(c),
        },
        Err(why) => Err(no_gpu(why)),
    }
}

/// Whether a context exists or can be created (`autorust.wgpu.is_available()`).
pub fn is_available() -> bool {
    context().is_ok()
}

fn backends() -> std::result::Result<wgpu::Backends, String> {
    match std::env::var("AUTORUST_WGPU_BACKEND")
        .ok()
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") => {
            Ok(wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12)
        }
        Some("vulkan") => Ok(wgpu::Backends::VULKAN),
        Some("metal") => Ok(wgpu::Backends::METAL),
        Some("dx12") => Ok(wgpu::Backends::DX12),
        Some(other) => Err(format!(
            "AUTORUST_WGPU_BACKEND={other} is not one of vulkan, metal, dx12"
        )),
    }
}

fn create() -> std::result::Result<Context, String> {
    let backends = backends()?;
    // wgpu may panic inside a driver; a panic must not cross into Python
    std::panic::catch_unwind(|| create_with(backends))
        .unwrap_or_else(|_| Err("the wgpu driver panicked while starting".into()))
}

fn create_with(backends: wgpu::Backends) -> std::result::Result<Context, String> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface: None,
    }))
    .map_err(|e| e.to_string())?;
    let info = adapter.get_info();
    // take every limit the adapter offers: the buffer size limits decide the
    // largest tensor the device can hold
    let limits = adapter.limits();
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("autorust"),
        required_features: wgpu::Features::empty(),
        required_limits: limits.clone(),
        ..Default::default()
    }))
    .map_err(|e| e.to_string())?;
    let errors: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let sink = errors.clone();
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
        sink.lock().get_or_insert_with(|| e.to_string());
    }));
    let (sink, lost) = (errors.clone(), Arc::new(Mutex::new(None)));
    let lost_sink = lost.clone();
    device.set_device_lost_callback(move |reason, msg| {
        let why = if msg.is_empty() {
            format!("the GPU device was lost ({reason:?})")
        } else {
            format!("the GPU device was lost ({reason:?}): {msg}")
        };
        sink.lock().get_or_insert_with(|| why.clone());
        lost_sink.lock().get_or_insert(why);
    });
    Ok(Context {
        device,
        queue,
        info,
        limits,
        stats: Stats::default(),
        pending: Mutex::new(Pending {
            encoder: None,
            keep_alive: Vec::new(),
            commands: 0,
            params: Vec::new(),
            params_buf: None,
        }),
        pipelines: Mutex::new(HashMap::new()),
        modules: Mutex::new(HashMap::new()),
        pool: Mutex::new(Pool::default()),
        checks: Mutex::new(Default::default()),
        errors,
        lost,
    })
}

impl Context {
    /// Runs `record` on the pending encoder (created on demand); submits when
    /// the batch is full.
    pub(super) fn record(
        &self,
        keep: Vec<wgpu::Buffer>,
        record: impl FnOnce(&mut wgpu::CommandEncoder),
    ) -> Result<()> {
        let full = {
            let mut p = self.pending.lock();
            let enc = p.encoder.get_or_insert_with(|| {
                self.device
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                        label: Some("autorust ops"),
                    })
            });
            record(enc);
            p.keep_alive.extend(keep);
            p.commands += 1;
            p.commands >= MAX_PENDING_COMMANDS
        };
        if full {
            self.submit()?;
        }
        Ok(())
    }

    /// A slot for a dispatch's parameter block in this batch's buffer:
    /// (buffer, offset, size). Submits first when the batch's buffer is full.
    pub(super) fn params_slot(&self, words: &[u32]) -> Result<(wgpu::Buffer, u64, u64)> {
        let align = self.limits.min_storage_buffer_offset_alignment.max(4) as usize;
        let size = (words.len().max(1) * 4) as u64;
        for _ in 0..2 {
            {
                let mut p = self.pending.lock();
                let offset = p.params.len().next_multiple_of(align);
                if (offset as u64) + size <= PARAMS_CAPACITY {
                    let buf = p
                        .params_buf
                        .get_or_insert_with(|| {
                            self.device.create_buffer(&wgpu::BufferDescriptor {
                                label: Some("autorust parameter blocks"),
                                size: PARAMS_CAPACITY,
                                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                                mapped_at_creation: false,
                            })
                        })
                        .clone();
                    p.params.resize(offset, 0);
                    p.params.extend(words.iter().flat_map(|w| w.to_le_bytes()));
                    if words.is_empty() {
                        p.params.extend([0u8; 4]);
                    }
                    return Ok((buf, offset as u64, size));
                }
            }
            self.submit()?;
        }
        Err(Error::Device(format!(
            "a GPU parameter block of {size} bytes exceeds the batch's {PARAMS_CAPACITY}"
        )))
    }

    /// Submits the pending commands (if any) without waiting for them.
    pub fn submit(&self) -> Result<()> {
        let (enc, keep, params, params_buf) = {
            let mut p = self.pending.lock();
            p.commands = 0;
            (
                p.encoder.take(),
                std::mem::take(&mut p.keep_alive),
                std::mem::take(&mut p.params),
                p.params_buf.take(),
            )
        };
        if let Some(buf) = params_buf {
            // queued writes land before the commands submitted after them
            self.queue.write_buffer(&buf, 0, &params);
        }
        if let Some(enc) = enc {
            self.queue.submit([enc.finish()]);
            self.stats.submissions.fetch_add(1, Ordering::Relaxed);
        }
        drop(keep);
        self.check()
    }

    /// Submits and waits until the GPU has finished everything submitted.
    /// Device-side checks recorded since the last synchronisation report
    /// here (`asserts.rs`).
    pub fn synchronize(&self) -> Result<()> {
        let staged = super::asserts::stage_flag(self)?;
        self.submit()?;
        self.wait(staged)
    }

    /// Waits for everything submitted, then raises wgpu's errors and a
    /// failed device check (`staged` by `asserts::stage_flag` before the
    /// submission).
    pub(super) fn wait(&self, staged: Option<wgpu::Buffer>) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Device(format!("wgpu: {e}")))?;
        self.check()?;
        match staged {
            Some(staging) => super::asserts::verdict(self, staging),
            None => Ok(()),
        }
    }

    /// Raises (once) the first error wgpu reported since the last check.
    pub fn check(&self) -> Result<()> {
        match self.errors.lock().take() {
            Some(e) => Err(Error::Device(format!("wgpu error: {e}"))),
            None => Ok(()),
        }
    }
}

/// Runs wgpu calls that panic instead of returning an error when the device
/// or a buffer is invalid (wgpu treats those as fatal, e.g. mapping a buffer
/// of a lost device), turning the panic into an error: no panic reaches
/// Python.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Error::Device(format!("wgpu failed in {what}: {msg}"))
    })
}

/// Starts mapping `staging` for reading; the map completes at the next poll.
pub(super) fn map_for_read(
    staging: &wgpu::Buffer,
) -> std::sync::mpsc::Receiver<std::result::Result<(), wgpu::BufferAsyncError>> {
    let (tx, rx) = std::sync::mpsc::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    rx
}

/// The words of a buffer whose `map_for_read` a poll has completed; unmaps it.
pub(super) fn read_mapped(
    staging: &wgpu::Buffer,
    mapped: std::sync::mpsc::Receiver<std::result::Result<(), wgpu::BufferAsyncError>>,
) -> Result<Vec<u32>> {
    match mapped.try_recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(Error::Device(format!("wgpu readback failed: {e}"))),
        Err(_) => return Err(Error::Device("wgpu readback never completed".into())),
    }
    guarded("reading a buffer back", || {
        let words = staging
            .slice(..)
            .get_mapped_range()
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        staging.unmap();
        words
    })
}
