"""Results PyTorch's CPU kernels define to the bit (the `bitwise` family,
compared with no tolerance): sums and means in PyTorch's summation order
over the contiguous layouts autorust mirrors (full reductions on both sides
of the threaded split at 32,768 elements, trailing and leading dims, the
batch-norm shape), linspace and logspace.

Elementwise transcendental functions are not here: PyTorch computes them
with SLEEF or MKL approximations within an ulp or two, which autorust does
not reproduce bit for bit (the other families compare them with a
tolerance)."""

SHAPES = [
    ((3,), [None, 0]),
    ((7,), [None]),
    ((16,), [None]),
    ((33,), [None]),
    ((100,), [None, 0]),
    ((1000,), [None]),
    ((4097,), [None]),
    ((40000,), [None]),
    ((70001,), [None]),
    ((4, 5), [None, 0, 1, -1, (0, 1)]),
    ((7, 8), [0, 1]),
    ((33, 100), [0, 1]),
    ((1000, 13), [0]),
    ((1000, 33), [0]),
    ((64, 1000), [0, 1]),
    ((300, 200), [0, 1]),
    ((50000, 3), [0]),
    ((3, 50000), [1]),
    ((8, 16, 7, 7), [(0, 2, 3), (2, 3), (1, 2, 3)]),
    ((32, 64, 4, 4), [(0, 2, 3)]),
    ((4, 6, 10), [(0, 1), (1, 2), 2]),
    ((16, 128, 64), [(0, 1), 2]),
    ((5, 1, 7), [(0, 1), 0]),
]


def _reduction(r):
    shape, dims = r.choice(SHAPES)
    dim = r.choice(dims)
    op = r.choice(["sum", "mean"])
    keep = r.choice(["", ", keepdim=True"]) if dim is not None else ""
    call = f"{op}()" if dim is None else f"{op}({dim!r}{keep})"
    # float32 inputs are float64 draws rounded: PyTorch's float32 normal
    # sampler goes through SLEEF's log/sin/cos, which autorust matches to
    # within an ulp but not always to the bit
    cast = r.choice(["", ".float()"])
    scale = r.choice(["", " * 3", " * 1000", " + 5"])
    return f"(T.randn({shape!r}, dtype=T.float64){cast}{scale}).{call}"


def _spaced(r):
    steps = r.choice([1, 2, 5, 15, 16, 17, 25, 100, 2000])
    start, end = r.choice([(0, 1), (-3.14159, 3.14159), ("-math.pi", "math.pi"), (-7, 123.5), (5, -5), (0.1, 0.7)])
    dt = r.choice(["", ", dtype=T.float64", ", dtype=T.int64"])
    if r.random() < 0.3:
        base = r.choice(["", ", base=2", ", base=3.3"])
        return f"T.logspace({start}, {end}, {steps}{base}{dt})"
    return f"T.linspace({start}, {end}, {steps}{dt})"


def program_bitwise(b):
    r = b.r
    # PyTorch splits a long sum across its threads, which changes its last
    # bits: every program fixes the count, so the gold holds on any machine
    b.add(f"T.set_num_threads({r.choice([1, 2, 3, 4])})")
    b.add(f"T.manual_seed({r.randint(0, 10**6)})")
    for _ in range(r.randint(1, 3)):
        b.add_last(f"rec({_spaced(r) if r.random() < 0.3 else _reduction(r)})")
