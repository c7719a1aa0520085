//! The global random stream, bit-compatible with PyTorch's CPU generator:
//! MT19937 seeded like `torch.manual_seed`, and the same sampling recipes
//! for uniform, normal, integer and permutation draws, so a seeded script
//! draws the numbers PyTorch draws. Unseeded, the seed is nondeterministic,
//! as in PyTorch.

use parking_lot::Mutex;

const N: usize = 624;
const M: usize = 397;

pub struct Mt19937 {
    state: [u32; N],
    index: usize,
    pub seed: u64,
    /// Box-Muller's second value, kept for the next scalar normal draw.
    next_normal: Option<f64>,
}

impl Mt19937 {
    pub fn new(seed: u64) -> Mt19937 {
        let mut state = [0u32; N];
        state[0] = (seed & 0xffff_ffff) as u32;
        for j in 1..N {
            state[j] = 1_812_433_253u32
                .wrapping_mul(state[j - 1] ^ (state[j - 1] >> 30))
                .wrapping_add(j as u32);
        }
        Mt19937 {
            state,
            index: N,
            seed,
            next_normal: None,
        }
    }

    fn twist(&mut self) {
        for i in 0..N {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % N] & 0x7fff_ffff);
            let mut v = self.state[(i + M) % N] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.state[i] = v;
        }
        self.index = 0;
    }

    /// 32 random bits (PyTorch's `random()`).
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// 64 random bits from two draws, high word first (`random64()`).
    pub fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        let lo = self.next_u32() as u64;
        (hi << 32) | lo
    }

    /// Uniform float32 in [0, 1): 24 random bits.
    pub fn uniform_f32(&mut self) -> f32 {
        ((self.next_u32() & ((1 << 24) - 1)) as f64 * (2f64).powi(-24)) as f32
    }

    /// Uniform float64 in [0, 1): 53 random bits.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() & ((1u64 << 53) - 1)) as f64 * (2f64).powi(-53)
    }

    /// One standard normal in f64 (PyTorch's scalar `normal_distribution<double>`).
    pub fn normal_f64(&mut self) -> f64 {
        if let Some(v) = self.next_normal.take() {
            return v;
        }
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        let r = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.next_normal = Some(r * theta.sin());
        r * theta.cos()
    }
}

/// Words in a stream's saved state: seed, position, whether a normal draw
/// is kept and its bits, then the 624 state words.
const STATE_WORDS: usize = 4 + N;

impl Mt19937 {
    /// The whole state as numbers (`get_rng_state`).
    pub fn to_words(&self) -> Vec<i64> {
        let mut w = Vec::with_capacity(STATE_WORDS);
        w.push(self.seed as i64);
        w.push(self.index as i64);
        w.push(self.next_normal.is_some() as i64);
        w.push(self.next_normal.map_or(0, |v| v.to_bits() as i64));
        w.extend(self.state.iter().map(|&x| x as i64));
        w
    }

    /// A stream from `to_words`' numbers; None if they cannot be one.
    pub fn from_words(w: &[i64]) -> Option<Mt19937> {
        if w.len() != STATE_WORDS || !(0..=N as i64).contains(&w[1]) || !(0..=1).contains(&w[2]) {
            return None;
        }
        let mut state = [0u32; N];
        for (s, &x) in state.iter_mut().zip(&w[4..]) {
            *s = u32::try_from(x).ok()?;
        }
        Some(Mt19937 {
            state,
            index: w[1] as usize,
            seed: w[0] as u64,
            next_normal: (w[2] == 1).then(|| f64::from_bits(w[3] as u64)),
        })
    }
}

static GLOBAL: Mutex<Option<Mt19937>> = Mutex::new(None);

/// A generator object (`autorust.Generator`): its own MT19937 stream.
pub type SharedRng = std::sync::Arc<Mutex<Mt19937>>;

/// PyTorch's seed for a fresh `torch.Generator()`.
pub const DEFAULT_GENERATOR_SEED: u64 = 67_280_421_310_721;

thread_local! {
    /// Set while a draw runs with an explicit `generator=`.
    static OVERRIDE: std::cell::RefCell<Option<SharedRng>> = const { std::cell::RefCell::new(None) };
}

pub fn manual_seed(seed: u64) {
    *GLOBAL.lock() = Some(Mt19937::new(seed));
}

/// The global stream's state (`torch.get_rng_state`).
pub fn global_state() -> Vec<i64> {
    with_global(|r| r.to_words())
}

/// Sets the global stream's state; false if `words` are not a state.
pub fn set_global_state(words: &[i64]) -> bool {
    match Mt19937::from_words(words) {
        Some(r) => {
            *GLOBAL.lock() = Some(r);
            true
        }
        None => false,
    }
}

pub fn initial_seed() -> u64 {
    with_rng(|r| r.seed)
}

/// Runs `f` with draws taken from `rng` instead of the global stream.
pub fn with_generator<R>(rng: Option<&SharedRng>, f: impl FnOnce() -> R) -> R {
    let Some(rng) = rng else { return f() };
    let previous = OVERRIDE.with(|o| o.borrow_mut().replace(rng.clone()));
    let out = f();
    OVERRIDE.with(|o| *o.borrow_mut() = previous);
    out
}

/// Runs `f` with the current generator: an explicit one if set, else the
/// global one (seeded from the clock and process id until `manual_seed`).
pub fn with_rng<R>(f: impl FnOnce(&mut Mt19937) -> R) -> R {
    if let Some(rng) = OVERRIDE.with(|o| o.borrow().clone()) {
        return f(&mut rng.lock());
    }
    with_global(f)
}

/// Runs `f` with the global stream (seeded from the clock and process id
/// until `manual_seed`).
fn with_global<R>(f: impl FnOnce(&mut Mt19937) -> R) -> R {
    let mut g = GLOBAL.lock();
    f(g.get_or_insert_with(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Mt19937::new(nanos ^ ((std::process::id() as u64) << 32))
    }))
}

/// `torch.empty((), dtype=torch.int64).random_()`: a non-negative int64,
/// how PyTorch's samplers seed a fresh generator each epoch.
pub fn random_i63() -> i64 {
    with_rng(|r| (r.next_u64() % (1u64 << 63)) as i64)
}

/// `rand` for float32: one 24-bit draw per element.
pub fn uniform_f32(n: usize, from: f64, to: f64) -> Vec<f32> {
    // PyTorch computes `x * (to - from) + from` in double (its CPU
    // accumulation type for float), `to - from` in float, and rounds once
    let (lo, hi) = (from as f32, to as f32);
    let range = (hi - lo) as f64;
    with_rng(|r| {
        (0..n)
            .map(|_| (r.uniform_f32() as f64).mul_add(range, lo as f64) as f32)
            .collect()
    })
}

/// `rand` / `uniform_(from, to)` for float64: one 53-bit draw per element.
pub fn uniform_f64(n: usize, from: f64, to: f64) -> Vec<f64> {
    with_rng(|r| {
        (0..n)
            .map(|_| r.uniform_f64() * (to - from) + from)
            .collect()
    })
}

/// Box-Muller over blocks of 16 uniforms, as PyTorch's `normal_fill`: the
/// first 8 give the radii, the last 8 the angles; `n * std + mean`.
#[inline(always)]
fn fill_16<T: BoxMuller>(d: &mut [T], mean: T, std: T) {
    for j in 0..8 {
        let (a, b) = T::pair(d[j], d[j + 8], mean, std);
        d[j] = a;
        d[j + 8] = b;
    }
}

// Every whole block of 16 in `d`, compiled for the CPU's level: the
// multiply-adds of `pair` and the Cephes polynomials become FMA
// instructions there (without a target that has FMA, each `mul_add` is a
// call into a software fma: randn was 9x slower than PyTorch's). A fused
// multiply-add rounds once either way, so the draws are the same bits.
crate::backend::cpu::simd::multiversion! {
    pub fn fill_blocks<T>(d: &mut [T], mean: T, std: T) where [T: BoxMuller] {
        for block in d.chunks_exact_mut(16) {
            fill_16(block, mean, std);
        }
    }
}

/// One Box-Muller pair from two uniforms, in the element type.
pub trait BoxMuller: Copy {
    fn pair(u1: Self, u2: Self, mean: Self, std: Self) -> (Self, Self);
}

/// float32 blocks as PyTorch's AVX2 kernel computes them (`normal_fill_AVX2`,
/// taken on any x86-64 CPU with AVX2): the Cephes single-precision log and
/// sincos polynomials (through avx_mathfun.h), with the multiply-adds its
/// compiler fuses there (the polynomial steps; checked bit for bit against
/// PyTorch 2.15 on 54,000 draws), and `n * std + mean` fused.
impl BoxMuller for f32 {
    #[inline(always)]
    fn pair(u1: f32, u2: f32, mean: f32, std: f32) -> (f32, f32) {
        let radius = (-2.0 * cephes::logf(1.0 - u1)).sqrt();
        let theta = (2.0 * std::f64::consts::PI) as f32 * u2;
        let (sin, cos) = cephes::sincosf(theta);
        (
            (radius * cos).mul_add(std, mean),
            (radius * sin).mul_add(std, mean),
        )
    }
}
impl BoxMuller for f64 {
    #[inline(always)]
    fn pair(u1: f64, u2: f64, mean: f64, std: f64) -> (f64, f64) {
        let radius = (-2.0 * (1.0 - u1).ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        (
            (radius * theta.cos()).mul_add(std, mean),
            (radius * theta.sin()).mul_add(std, mean),
        )
    }
}

/// The single-precision Cephes algorithms (S. L. Moshier) in the exact
/// operation order of their 8-wide AVX form, which PyTorch's float32
/// `normal_` evaluates; `mul_add` marks the steps fused in PyTorch's build.
mod cephes {
    // the published constants, rounded to float32 as the reference does
    const LOG_P: [f32; 9] = [
        7.0376836292e-2_f64 as f32,
        -1.1514610310e-1_f64 as f32,
        1.1676998740e-1_f64 as f32,
        -1.2420140846e-1_f64 as f32,
        1.4249322787e-1_f64 as f32,
        -1.6668057665e-1_f64 as f32,
        2.0000714765e-1_f64 as f32,
        -2.4999993993e-1_f64 as f32,
        3.3333331174e-1_f64 as f32,
    ];
    const LOG_Q1: f32 = -2.12194440e-4_f64 as f32;
    const LOG_Q2: f32 = 0.693359375;
    const SQRT_HALF: f32 = 0.707106781186547524_f64 as f32;

    /// log(x) for x > 0: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), then
    /// a degree-9 polynomial in m - 1 and e * ln 2 in two parts.
    #[inline(always)]
    pub fn logf(x: f32) -> f32 {
        if x.is_nan() || x <= 0.0 {
            return f32::NAN; // (the AVX form returns NaN for 0 too; u1 is never 0 here)
        }
        let x = x.max(f32::MIN_POSITIVE);
        let bits = x.to_bits() as i32;
        let mut e = ((bits >> 23) - 0x7f) as f32 + 1.0;
        let mut m = f32::from_bits(((bits & !0x7f80_0000) | 0x3f00_0000) as u32);
        let below = m < SQRT_HALF;
        let tmp = if below { m } else { 0.0 };
        m -= 1.0;
        if below {
            e -= 1.0;
        }
        m += tmp;
        let z = m * m;
        let mut y = LOG_P[0];
        for p in &LOG_P[1..] {
            y = y.mul_add(m, *p);
        }
        y *= m;
        y *= z;
        y += e * LOG_Q1;
        y -= z * 0.5;
        let r = m + y;
        r + e * LOG_Q2
    }

    const FOUR_OVER_PI: f32 = 1.27323954473516_f64 as f32;
    const DP: [f32; 3] = [
        -0.78515625,
        -2.4187564849853515625e-4_f64 as f32,
        -3.77489497744594108e-8_f64 as f32,
    ];
    const COS: [f32; 3] = [
        2.443315711809948e-5_f64 as f32,
        -1.388731625493765e-3_f64 as f32,
        4.166664568298827e-2_f64 as f32,
    ];
    const SIN: [f32; 3] = [
        -1.9515295891e-4_f64 as f32,
        8.3321608736e-3_f64 as f32,
        -1.6666654611e-1_f64 as f32,
    ];

    /// (sin x, cos x): x reduced by multiples of pi/4 in three parts, then
    /// the sine and cosine polynomials on [-pi/4, pi/4].
    #[inline(always)]
    pub fn sincosf(x: f32) -> (f32, f32) {
        let mut sign_sin = x.is_sign_negative();
        let mut x = x.abs();
        let mut j = (x * FOUR_OVER_PI) as i32;
        j = (j + 1) & !1;
        let y = j as f32;
        let swap = j & 4 != 0;
        let sine_poly = j & 2 == 0;
        for dp in DP {
            x += y * dp;
        }
        let sign_cos = (!(j - 2)) & 4 != 0;
        sign_sin ^= swap;
        let z = x * x;
        let mut c = COS[0].mul_add(z, COS[1]);
        c = c.mul_add(z, COS[2]);
        c *= z;
        c = c.mul_add(z, -(z * 0.5));
        c += 1.0;
        let mut s = SIN[0].mul_add(z, SIN[1]);
        s = s.mul_add(z, SIN[2]);
        s *= z;
        s = s.mul_add(x, x);
        let (sin, cos) = if sine_poly { (s, c) } else { (c, s) };
        (
            if sign_sin { -sin } else { sin },
            if sign_cos { -cos } else { cos },
        )
    }
}

fn normal_fill<T: BoxMuller>(
    n: usize,
    mean: T,
    std: T,
    draw: impl Fn(&mut Mt19937) -> T,
) -> Vec<T> {
    with_rng(|r| {
        let mut d: Vec<T> = (0..n).map(|_| draw(r)).collect();
        fill_blocks(&mut d[..n / 16 * 16], mean, std);
        if !n.is_multiple_of(16) {
            // PyTorch redraws the last 16 values.
            let tail = &mut d[n - 16..];
            for v in tail.iter_mut() {
                *v = draw(r);
            }
            fill_blocks(tail, mean, std);
        }
        d
    })
}

/// One double-precision normal per element (PyTorch's scalar path).
pub fn normal_serial(n: usize, mean: f64, std: f64) -> Vec<f64> {
    with_rng(|r| (0..n).map(|_| r.normal_f64().mul_add(std, mean)).collect())
}

/// `randn` / `normal_(mean, std)` for float32: from 16 elements PyTorch's
/// vectorised Box-Muller, below it the scalar double-precision draw.
pub fn normal_f32(n: usize, mean: f64, std: f64) -> Vec<f32> {
    if n >= 16 {
        return normal_fill(n, mean as f32, std as f32, |r| r.uniform_f32());
    }
    normal_serial(n, mean, std)
        .into_iter()
        .map(|x| x as f32)
        .collect()
}

/// `randn` / `normal_(mean, std)` for float64.
pub fn normal_f64(n: usize, mean: f64, std: f64) -> Vec<f64> {
    if n >= 16 {
        return normal_fill(n, mean, std, |r| r.uniform_f64());
    }
    normal_serial(n, mean, std)
}

/// Uniform integers in [lo, hi), PyTorch's `random_from_to`.
pub fn int_range(n: usize, lo: i64, hi: i64) -> Vec<i64> {
    let range = hi.wrapping_sub(lo) as u64;
    with_rng(|r| {
        (0..n)
            .map(|_| {
                let v = if range >= 1u64 << 32 {
                    r.next_u64() % range
                } else {
                    (r.next_u32() as u64) % range
                };
                lo.wrapping_add(v as i64)
            })
            .collect()
    })
}

/// A random permutation of 0..n, PyTorch's `randperm_cpu`.
pub fn permutation(n: usize) -> Vec<i64> {
    let mut v: Vec<i64> = (0..n as i64).collect();
    with_rng(|r| {
        for i in 0..n.saturating_sub(1) {
            let z = (r.next_u32() as usize) % (n - i);
            v.swap(i, z + i);
        }
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_matches_the_reference_sequence() {
        // The C++ std::mt19937 default seed 5489 produces 3499211612 first,
        // and its 10000th output is 4123659995.
        let mut r = Mt19937::new(5489);
        assert_eq!(r.next_u32(), 3_499_211_612);
        let mut r = Mt19937::new(5489);
        let mut last = 0;
        for _ in 0..10_000 {
            last = r.next_u32();
        }
        assert_eq!(last, 4_123_659_995);
    }

    #[test]
    fn seeded_streams_repeat() {
        manual_seed(7);
        let a = normal_f32(33, 0.0, 1.0);
        manual_seed(7);
        assert_eq!(a, normal_f32(33, 0.0, 1.0));
        let u = uniform_f64(1000, 0.0, 1.0);
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
        let p = permutation(10);
        let mut s = p.clone();
        s.sort();
        assert_eq!(s, (0..10).collect::<Vec<i64>>());
    }
}
