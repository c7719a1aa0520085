//! The global random stream (`manual_seed`). xoshiro256++ seeded through
//! splitmix64: fast, and reproducible for a given seed.

use parking_lot::Mutex;

pub struct Rng {
    s: [u64; 4],
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        Rng { s: [splitmix(&mut x), splitmix(&mut x), splitmix(&mut x), splitmix(&mut x)] }
    }
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let r = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        r
    }
    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Standard normal (Box-Muller).
    pub fn normal_pair(&mut self) -> (f64, f64) {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let th = 2.0 * std::f64::consts::PI * u2;
        (r * th.cos(), r * th.sin())
    }
    /// Uniform integer in [lo, hi).
    pub fn int_in(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo) as u64;
        lo + (self.next_u64() % span.max(1)) as i64
    }
}

pub static GLOBAL: Mutex<Option<Rng>> = Mutex::new(None);
static SEED: Mutex<u64> = Mutex::new(0);

pub fn manual_seed(seed: u64) {
    *SEED.lock() = seed;
    *GLOBAL.lock() = Some(Rng::new(seed));
}

pub fn initial_seed() -> u64 {
    *SEED.lock()
}

/// Runs `f` with the global generator (seeded from the clock on first use).
pub fn with_rng<R>(f: impl FnOnce(&mut Rng) -> R) -> R {
    let mut g = GLOBAL.lock();
    let rng = g.get_or_insert_with(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0x5EED);
        *SEED.lock() = t;
        Rng::new(t)
    });
    f(rng)
}

pub fn uniform_vec(n: usize) -> Vec<f64> {
    with_rng(|r| (0..n).map(|_| r.uniform()).collect())
}

pub fn normal_vec(n: usize) -> Vec<f64> {
    with_rng(|r| {
        let mut v = Vec::with_capacity(n + 1);
        while v.len() < n {
            let (a, b) = r.normal_pair();
            v.push(a);
            v.push(b);
        }
        v.truncate(n);
        v
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn seeded_streams_repeat() {
        super::manual_seed(7);
        let a = super::normal_vec(5);
        super::manual_seed(7);
        assert_eq!(a, super::normal_vec(5));
        let u = super::uniform_vec(1000);
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
    }
}
