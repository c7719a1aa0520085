"""Seeded random numbers (the `sampling` family): a PyTorch program that
seeds its generator prints the same numbers everywhere, so autorust draws
PyTorch's: every sampling function, sizes on both sides of PyTorch's
vectorised paths, both float dtypes, explicit generators, reseeding in
the middle, and the random layers (dropout) that consume the stream."""


def _size(r):
    return r.choice([(1,), (3,), (7,), (15,), (16,), (17,), (2, 8), (33,), (4, 5), (64,), (3, 2, 3), (100,)])


def _dims(shape):
    return ", ".join(str(d) for d in shape)


def _dtype(r):
    return r.choice(["", "", ", dtype=T.float64"])


def draw(r):
    s = _size(r)
    d = _dims(s)
    form = r.choice(
        [
            "rand",
            "randn",
            "randint",
            "randperm",
            "normal_tensor",
            "normal_float",
            "bernoulli",
            "multinomial",
            "uniform_",
            "normal_",
            "exponential_",
            "like",
            "random_",
            "dropout",
            "Dropout",
            "bernoulli_p",
            "poisson",
            "geometric_",
            "cauchy_",
            "log_normal_",
            "rand_gen",
            "randn_gen",
            "alpha_dropout",
            "randint_like",
        ]
    )
    dt = _dtype(r)
    return {
        "rand": f"T.rand({d}{dt})",
        "randn": f"T.randn({d}{dt})",
        "randint": f"T.randint({r.choice([-3, 0, 2])}, {r.choice([5, 10, 1000])}, ({d},))",
        "randperm": f"T.randperm({r.choice([1, 5, 10, 40, 100])})",
        "normal_tensor": f"T.normal(T.zeros({d}), T.ones({d}) * 2)",
        "normal_float": f"T.normal(1.0, 0.5, size=({d},))",
        "bernoulli": f"T.bernoulli(T.full(({d},), {r.choice([0.2, 0.5, 0.9])}))",
        "multinomial": f"T.multinomial(T.tensor([0.1, 0.2, 0.3, 0.4]), {r.choice([1, 2, 4])}, replacement={r.choice([True, False])})",
        "uniform_": f"T.empty({d}{dt}).uniform_({r.choice([-1, 0])}, {r.choice([1, 3])})",
        "normal_": f"T.empty({d}{dt}).normal_({r.choice([0, 2])}, {r.choice([1, 0.5])})",
        "exponential_": f"T.empty({d}{dt}).exponential_({r.choice([1.0, 2.0])})",
        "like": f"T.{r.choice(['rand_like', 'randn_like'])}(T.zeros({d}{dt}))",
        "random_": f"T.empty({d}, dtype=T.int64).random_(0, {r.choice([4, 100])})",
        "dropout": f"F.dropout(T.ones({d}{dt}), p={r.choice([0.1, 0.5, 0.8])})",
        "Dropout": f"nn.Dropout({r.choice([0.2, 0.5])})(T.ones({d}))",
        "bernoulli_p": f"T.ones({d}).bernoulli_({r.choice([0.3, 0.7])})",
        "poisson": f"T.poisson(T.full(({d},), {r.choice([0.5, 3.0, 20.0])}))",
        "geometric_": f"T.empty({d}).geometric_({r.choice([0.3, 0.7])})",
        "cauchy_": f"T.empty({d}).cauchy_()",
        "log_normal_": f"T.empty({d}).log_normal_()",
        "rand_gen": f"T.rand({d}, generator=T.Generator().manual_seed({r.randint(0, 99)}))",
        "randn_gen": f"T.randn({d}, generator=T.Generator().manual_seed({r.randint(0, 99)}){dt})",
        "alpha_dropout": f"F.alpha_dropout(T.ones({d}), 0.5, training=True)",
        "randint_like": f"T.randint_like(T.zeros({d}), 7)",
    }[form]


def program_sampling(b):
    r = b.r
    for i in range(r.randint(1, 4)):
        if i and r.random() < 0.2:
            b.add(f"T.manual_seed({r.randint(0, 1000)})")
        b.add_last(f"rec({draw(r)})")
