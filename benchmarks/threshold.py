"""Sweeps elementwise and reduction sizes around the rayon threshold
(backend/cpu/mod.rs PAR_THRESHOLD) and prints time per element, to check
where running on two threads starts to pay. python benchmarks/threshold.py"""

import time

import autorust as ar


def main():
    for n in [16384, 32768, 65536, 131072, 262144, 524288, 1048576]:
        x, y = ar.randn(n), ar.randn(n)
        for name, f in [("mul", lambda: x * y), ("exp", lambda: x.exp()), ("sum", lambda: x.sum())]:
            for _ in range(20):
                f()
            k = max(20, int(4e6 / n))
            t = time.perf_counter()
            for _ in range(k):
                f()
            dt = (time.perf_counter() - t) / k
            print(f"{name} n={n:8d} {dt * 1e6:9.1f} us {dt / n * 1e9:7.3f} ns/elem")


if __name__ == "__main__":
    main()
