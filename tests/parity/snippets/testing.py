"""``torch.testing`` side by side with PyTorch: assert_close's default
tolerances, its checks and messages for tensors, 0-d tensors, scalars,
sequences and mappings, and make_tensor's draws."""

A = "a = T.tensor([1.0, 2.0, 3.0])\n"

PROGRAMS = {
    "within the float32 tolerance": A + "T.testing.assert_close(a, a + 1e-6)",
    "a float32 mismatch": A + "T.testing.assert_close(a, T.tensor([1.0, 2.1, 3.0]))",
    "explicit tolerances": A + "T.testing.assert_close(a, T.tensor([1.0, 2.1, 3.5]), rtol=0.01, atol=0.01)",
    "integers compare exactly": "T.testing.assert_close(T.tensor([[1, 2], [3, 4]]), T.tensor([[1, 2], [3, 5]]))",
    "a shape mismatch": A + "T.testing.assert_close(a, T.tensor([1.0, 2.0]))",
    "a dtype mismatch": A + "T.testing.assert_close(a, a.double())",
    "a dtype mismatch allowed": A + "T.testing.assert_close(a, a.double(), check_dtype=False)",
    "scalars": "T.testing.assert_close(1.0, 1.1)",
    "close scalars": "T.testing.assert_close(1.0, 1.0 + 1e-9)",
    "integer scalars": "T.testing.assert_close(3, 4)",
    "a sequence item": A + "T.testing.assert_close([a, 1.0], [a, 1.5])",
    "a mapping value": A + "T.testing.assert_close({'x': a}, {'x': a * 2})",
    "mapping keys": A + "T.testing.assert_close({'x': a}, {'y': a})",
    "a tensor and a number": A + "T.testing.assert_close(a, 1.0)",
    "rtol without atol": A + "T.testing.assert_close(a, a, rtol=1e-3)",
    "nan": "T.testing.assert_close(T.tensor(float('nan')), T.tensor(float('nan')))",
    "nan allowed": "T.testing.assert_close(T.tensor(float('nan')), T.tensor(float('nan')), equal_nan=True)",
    "0-d tensors": "T.testing.assert_close(T.tensor(2.0), T.tensor(3.0))",
    "an infinity": A + "T.testing.assert_close(a, T.tensor([1.0, float('inf'), 3.0]))",
    "a custom message": A + "T.testing.assert_close(a, a * 2, msg='custom')",
    "make_tensor draws": """
T.manual_seed(0)
R = (T.testing.make_tensor(2, 3, dtype=T.float32, device="cpu"), T.testing.make_tensor((4,), dtype=T.int64, device="cpu"),
     T.testing.make_tensor(3, dtype=T.int64, device="cpu", low=0, high=5), T.testing.make_tensor(5, dtype=T.bool, device="cpu"),
     T.testing.make_tensor(2, 2, dtype=T.float64, device="cpu", low=0, high=1, requires_grad=True))
""",
    "make_tensor non-contiguous": """
T.manual_seed(0)
t = T.testing.make_tensor(2, 4, dtype=T.float32, device="cpu", noncontiguous=True)
R = (t, t.is_contiguous())
""",
}


def programs():
    return [(f"testing {name}", [code.strip(), "rec(R, repr(R)) if 'R' in globals() else None"]) for name, code in PROGRAMS.items()]
