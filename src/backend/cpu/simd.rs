//! Runtime CPU dispatch for the innermost loops. The crate is compiled for
//! baseline x86-64 so one wheel runs everywhere; each hot loop is also
//! compiled with AVX2+FMA and with AVX-512 and picked per call from the CPU's
//! features. The element closures and fastmath inline into the specialised
//! copies, so exp/sin/tanh vectorise 8 or 16 wide.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU8, Ordering};

static LEVEL: AtomicU8 = AtomicU8::new(0);

/// 1 = baseline, 2 = AVX2+FMA, 3 = AVX-512 (F/DQ/BW/VL).
#[inline]
pub fn level() -> u8 {
    let l = LEVEL.load(Ordering::Relaxed);
    if l != 0 {
        return l;
    }
    let detected = detect();
    LEVEL.store(detected, Ordering::Relaxed);
    detected
}

#[cfg(target_arch = "x86_64")]
fn detect() -> u8 {
    if std::env::var_os("AUTORUST_NO_SIMD").is_some() {
        return 1;
    }
    if is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("fma")
    {
        3
    } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        2
    } else {
        1
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> u8 {
    1
}

/// Defines `$name(args)` that runs `$body` compiled for the best level the
/// CPU supports.
macro_rules! multiversion {
    (pub fn $name:ident<$($g:ident $(: $b:path)?),*>($($a:ident: $t:ty),*) $(-> $r:ty)? where [$($w:tt)*] $body:block) => {
        #[inline]
        pub fn $name<$($g $(: $b)?),*>($($a: $t),*) $(-> $r)? where $($w)* {
            #[inline(always)]
            fn generic<$($g $(: $b)?),*>($($a: $t),*) $(-> $r)? where $($w)* $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx2,fma,bmi1,bmi2,popcnt,lzcnt")]
                unsafe fn v4<$($g $(: $b)?),*>($($a: $t),*) $(-> $r)? where $($w)* { generic($($a),*) }
                #[target_feature(enable = "avx2,fma,bmi1,bmi2,popcnt,lzcnt")]
                unsafe fn v3<$($g $(: $b)?),*>($($a: $t),*) $(-> $r)? where $($w)* { generic($($a),*) }
                match $crate::backend::cpu::simd::level() {
                    // Safety: level() checked that the CPU has these features.
                    3 => return unsafe { v4($($a),*) },
                    // Safety: as above, for the AVX2 level.
                    2 => return unsafe { v3($($a),*) },
                    _ => {}
                }
            }
            generic($($a),*)
        }
    };
}

pub(crate) use multiversion;

multiversion! {
    pub fn fill_uninit<T>(dst: &mut [MaybeUninit<T>], v: T) where [T: Copy] {
        for o in dst.iter_mut() {
            o.write(v);
        }
    }
}

multiversion! {
    pub fn map_slice<S, D, F>(src: &[S], dst: &mut [MaybeUninit<D>], f: &F) where [S: Copy, F: Fn(S) -> D] {
        for (o, &i) in dst.iter_mut().zip(src) {
            o.write(f(i));
        }
    }
}

/// An element function for `map_kernel_slice`: for functions too large for
/// LLVM to inline as a closure (it leaves a call per element, and the loop
/// does not vectorise); `apply` is `#[inline(always)]` in every impl.
pub trait Kernel<S, D>: Sync + Send {
    fn apply(&self, x: S) -> D;
}

multiversion! {
    pub fn map_kernel_slice<S, D, K>(src: &[S], dst: &mut [MaybeUninit<D>], k: &K) where [S: Copy, K: Kernel<S, D>] {
        for (o, &i) in dst.iter_mut().zip(src) {
            o.write(k.apply(i));
        }
    }
}

/// A closure as a kernel (`map_strided` and `map2_strided` take closures
/// small enough to inline and run them through the kernel loops).
pub struct FnKernel<F>(pub F);

impl<S, D, F: Fn(S) -> D + Sync + Send> Kernel<S, D> for FnKernel<F> {
    #[inline(always)]
    fn apply(&self, x: S) -> D {
        (self.0)(x)
    }
}

impl<A, B, D, F: Fn(A, B) -> D + Sync + Send> Kernel2<A, B, D> for FnKernel<F> {
    #[inline(always)]
    fn apply2(&self, a: A, b: B) -> D {
        (self.0)(a, b)
    }
}

/// The two-operand `Kernel` (`map2_kernel_slice`).
pub trait Kernel2<A, B, D>: Sync + Send {
    fn apply2(&self, a: A, b: B) -> D;
}

multiversion! {
    pub fn map2_kernel_slice<A, B, D, K>(a: &[A], b: &[B], dst: &mut [MaybeUninit<D>], k: &K) where [A: Copy, B: Copy, K: Kernel2<A, B, D>] {
        for ((o, &x), &y) in dst.iter_mut().zip(a).zip(b) {
            o.write(k.apply2(x, y));
        }
    }
}

multiversion! {
    pub fn map2_slice<A, B, D, F>(a: &[A], b: &[B], dst: &mut [MaybeUninit<D>], f: &F) where [A: Copy, B: Copy, F: Fn(A, B) -> D] {
        for ((o, &x), &y) in dst.iter_mut().zip(a).zip(b) {
            o.write(f(x, y));
        }
    }
}

multiversion! {
    pub fn update_slice<F, G>(dst: &mut [F], src: &[F], f: &G) where [F: Copy, G: Fn(F, F) -> F] {
        for (d, &y) in dst.iter_mut().zip(src) {
            *d = f(*d, y);
        }
    }
}

multiversion! {
    pub fn update_scalar_slice<F, G>(dst: &mut [F], y: F, f: &G) where [F: Copy, G: Fn(F, F) -> F] {
        for d in dst.iter_mut() {
            *d = f(*d, y);
        }
    }
}

multiversion! {
    pub fn map_scalar_slice<A, B, D, F>(a: &[A], y: B, dst: &mut [MaybeUninit<D>], f: &F) where [A: Copy, B: Copy, F: Fn(A, B) -> D] {
        for (o, &x) in dst.iter_mut().zip(a) {
            o.write(f(x, y));
        }
    }
}

multiversion! {
    pub fn sum_f64<F>(x: &[F]) -> f64 where [F: crate::backend::cpu::float::Float] {
        super::lanes::sum_f64(x)
    }
}

// The lane reductions below are called once per block from plain closures
// (batch norm's per-channel passes); without these entry points they were
// inlined there and compiled for the baseline target (two f64 lanes).
multiversion! {
    pub fn sum_sq_dev_f64<F>(x: &[F], mean: f64) -> f64 where [F: crate::backend::cpu::float::Float] {
        super::lanes::sum_sq_dev_f64(x, mean)
    }
}

multiversion! {
    pub fn scaled_sums_f64<F>(a: &[F], x: &[F]) -> (f64, f64) where [F: crate::backend::cpu::float::Float] {
        super::lanes::scaled_sums_f64(a, None, x)
    }
}

multiversion! {
    pub fn softmax_row<F>(src: &[F], dst: &mut [MaybeUninit<F>], log: bool) where [F: crate::backend::cpu::float::Float] {
        super::softmax::row(src, dst, log)
    }
}

multiversion! {
    pub fn softmax_column_stats<F>(block: &[F], inner: usize, j0: usize, m: &mut [F], s: &mut [f64]) where [F: crate::backend::cpu::float::Float] {
        super::softmax::column_stats(block, inner, j0, m, s)
    }
}

multiversion! {
    pub fn softmax_output_row<F>(src: &[F], dst: &mut [MaybeUninit<F>], m: &[F], t: &[F], log: bool) where [F: crate::backend::cpu::float::Float] {
        super::softmax::output_row(src, dst, m, t, log)
    }
}

multiversion! {
    pub fn softmax_backward_block<F>(g: &[F], y: &[F], dst: &mut [MaybeUninit<F>], log: bool) where [F: crate::backend::cpu::float::Float] {
        super::softmax::backward_block(g, y, dst, log)
    }
}

multiversion! {
    pub fn softmax_column_grad_sums<F>(g: &[F], y: &[F], inner: usize, j0: usize, s: &mut [f64], log: bool) where [F: crate::backend::cpu::float::Float] {
        super::softmax::column_grad_sums(g, y, inner, j0, s, log)
    }
}

multiversion! {
    pub fn softmax_grad_row<F>(g: &[F], y: &[F], s: &[F], dst: &mut [MaybeUninit<F>], log: bool) where [F: crate::backend::cpu::float::Float] {
        super::softmax::grad_row(g, y, s, dst, log)
    }
}

multiversion! {
    pub fn optim_chunk<F>(u: &crate::op::OptimUpdate, p: &mut [F], g: &[F], s: &mut [&mut [F]]) where [F: crate::backend::cpu::float::Float] {
        super::optim::update_chunk(u, p, g, s)
    }
}
