//! PyO3 bindings: thin methods, argument parsing, error mapping.

mod args;
mod errors;
mod factories;
mod forward_ad;
mod functions;
mod gpu;
mod nn;
mod node;
mod saved_hooks;
mod special;
mod tensor;
mod tensor_graph_info;
mod tensor_math;
mod tensor_shape;

use pyo3::prelude::*;

/// Keeps freed tensor buffers (up to glibc's 32 MiB mmap limit) in the heap
/// for reuse: otherwise every large temporary is a fresh mmap, and its page
/// faults and TLB shootdowns on munmap cost more than the kernels themselves.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // Safety: mallopt only adjusts glibc's allocator parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// Makes Python's main thread worker 0 of rayon's global pool (which then
/// starts one thread fewer). A parallel kernel called from Python then runs
/// on the calling thread and shares out work to the others, instead of
/// handing the whole job to the pool and sleeping until it is done: that
/// hand-off and the two wake-ups cost ~10 us per parallel kernel. Measured
/// on the 2-core dev machine (`benchmarks/run.py --only "MLP 784"`): the
/// 784-256-10 SGD step went from 1.97x to 2.11-2.14x PyTorch, with a tenth
/// of the context switches (`perf stat`, 30 -> 3 per step).
///
/// Only from the main thread, which lives as long as the process: a worker
/// thread that exited would strand the pool's slot 0. And only with at least
/// one other worker: slot 0 runs pool work only while it is inside a rayon
/// call itself, so a one-thread pool would leave a kernel called from another
/// Python thread waiting for as long as the main thread runs Python (forever
/// if it is joining that thread). Otherwise, or when something already built
/// the global pool, calls enter rayon's default pool as before.
fn join_pool_if_main_thread(py: Python<'_>) -> PyResult<()> {
    let threading = py.import("threading")?;
    let current = threading.call_method0("current_thread")?;
    if !current.is(&threading.call_method0("main_thread")?) {
        return Ok(());
    }
    // rayon's own sizing rule: RAYON_NUM_THREADS when set and non-zero, else the CPUs.
    let from_env = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0);
    let threads =
        from_env.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads >= 2 {
        // An error only means the global pool exists already; keep it.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .use_current_thread()
            .build_global();
    }
    Ok(())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    use factories::*;
    use functions::*;
    tune_allocator();
    join_pool_if_main_thread(m.py())?;
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<node::PyNode>()?;
    m.add_class::<factories::PyGenerator>()?;
    m.add_function(wrap_pyfunction!(random_seed, m)?)?;
    m.add_class::<tensor::PyStorageRef>()?;
    m.add_function(wrap_pyfunction!(_register, m)?)?;
    m.add_function(wrap_pyfunction!(from_buffer, m)?)?;
    m.add_function(wrap_pyfunction!(full, m)?)?;
    m.add_function(wrap_pyfunction!(arange, m)?)?;
    m.add_function(wrap_pyfunction!(linspace, m)?)?;
    m.add_function(wrap_pyfunction!(logspace, m)?)?;
    m.add_function(wrap_pyfunction!(_set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(eye, m)?)?;
    m.add_function(wrap_pyfunction!(rand, m)?)?;
    m.add_function(wrap_pyfunction!(randn, m)?)?;
    m.add_function(wrap_pyfunction!(gamma_draws, m)?)?;
    m.add_function(wrap_pyfunction!(randint, m)?)?;
    m.add_function(wrap_pyfunction!(randperm, m)?)?;
    m.add_function(wrap_pyfunction!(manual_seed, m)?)?;
    m.add_function(wrap_pyfunction!(initial_seed, m)?)?;
    m.add_function(wrap_pyfunction!(_rng_state_words, m)?)?;
    m.add_function(wrap_pyfunction!(tensor::_set_leaf_registry, m)?)?;
    m.add_function(wrap_pyfunction!(saved_hooks::_push_saved_tensors_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(special::_special_f64, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_enter_dual_level, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_exit_dual_level, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_current_dual_level, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_set_tangent, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_set_result_tangent, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_tangent, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_set_fwd_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_is_fwd_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_needs_node, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_has_tangent, m)?)?;
    m.add_function(wrap_pyfunction!(forward_ad::_transposing, m)?)?;
    m.add_function(wrap_pyfunction!(saved_hooks::_pop_saved_tensors_hooks, m)?)?;
    m.add_function(wrap_pyfunction!(_set_rng_state_words, m)?)?;
    m.add_function(wrap_pyfunction!(cat, m)?)?;
    m.add_function(wrap_pyfunction!(stack, m)?)?;
    m.add_function(wrap_pyfunction!(where_, m)?)?;
    m.add_function(wrap_pyfunction!(set_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(is_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(set_inference_mode, m)?)?;
    m.add_function(wrap_pyfunction!(_mark_multi_output_view, m)?)?;
    m.add_function(wrap_pyfunction!(is_inference_mode_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(live_nodes, m)?)?;
    m.add_function(wrap_pyfunction!(backward, m)?)?;
    m.add_function(wrap_pyfunction!(grad, m)?)?;
    m.add_function(wrap_pyfunction!(_set_grad_fn_name, m)?)?;
    m.add_function(wrap_pyfunction!(_set_output_nr, m)?)?;
    m.add_function(wrap_pyfunction!(_show_as_output, m)?)?;
    m.add_function(wrap_pyfunction!(_inplace_apply, m)?)?;
    m.add_function(wrap_pyfunction!(_zero_node, m)?)?;
    m.add_function(wrap_pyfunction!(_check_inplace, m)?)?;
    m.add_function(wrap_pyfunction!(_custom_node, m)?)?;
    m.add_function(wrap_pyfunction!(_composite, m)?)?;
    m.add_function(wrap_pyfunction!(_not_implemented, m)?)?;
    m.add_function(wrap_pyfunction!(_refuse_backward, m)?)?;
    m.add_function(wrap_pyfunction!(_set_default_float, m)?)?;
    nn::register(m)?;
    gpu::register(m)?;
    Ok(())
}
