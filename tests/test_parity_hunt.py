"""Findings of a hunt over generated programs beyond the committed gold's
seeds (issue 11), each as PyTorch 2.15 behaves: the expected values were
printed by real PyTorch 2.15 (CPU) or follow from its documented kernels,
and are checked against NumPy where NumPy computes the same thing."""

import numpy as np
import pytest

import autorust as torch
import autorust.nn.functional as F

# ---- binary_cross_entropy's backward is PyTorch's formula ----


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bce_on_a_saturated_sigmoid_has_pytorch_gradients_not_nan(dtype):
    # sigmoid(40) is exactly 1.0: the loss's logs are clamped at -100, and
    # PyTorch's backward, grad * (x - t) / max(x * (1 - x), 1e-12), gives 0
    # where the chain rule through the clamp gave 0 * inf = NaN
    z = torch.tensor([40.0, -40.0, 0.3, 0.0], dtype=dtype, requires_grad=True)
    t = torch.tensor([1.0, 0.0, 1.0, 0.5], dtype=dtype, requires_grad=True)
    loss = F.binary_cross_entropy(torch.sigmoid(z), t, weight=torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=dtype))
    loss.backward()
    assert loss.grad_fn.name() == "BinaryCrossEntropyBackward0"
    tol = 1e-6 if dtype == torch.float32 else 1e-14
    # printed by PyTorch 2.15
    np.testing.assert_allclose(z.grad.tolist(), [0.0, 9.024256975286226e-24, -0.31916811239125575, 0.0], rtol=tol)
    assert t.grad.tolist()[0] == -np.inf
    np.testing.assert_allclose(t.grad.tolist()[1:], [20.0, -0.22500000000000014, 0.0], rtol=tol, atol=1e-12)


def test_bce_second_order_is_pytorch_double_backward():
    x = torch.tensor([0.2, 0.7], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.3, 1.0], dtype=torch.float64, requires_grad=True)
    g = torch.autograd.grad(F.binary_cross_entropy(x, t, reduction="sum"), [x, t], create_graph=True)
    assert g[0].grad_fn.name() == "BinaryCrossEntropyBackwardBackward0"
    xs, ts = np.array([0.2, 0.7]), np.array([0.3, 1.0])
    np.testing.assert_allclose(g[0].tolist(), (xs - ts) / (xs * (1 - xs)), rtol=1e-14)
    h = torch.autograd.grad(g[0].sum() + (g[1] * torch.tensor([0.5, -2.0], dtype=torch.float64)).sum(), [x, t])
    # printed by PyTorch 2.15: its double backward puts a 1e-12 inside the
    # squares of (x (1 - x))^2 (the exact first entry is 5.46875)
    np.testing.assert_allclose(h[0].tolist(), [5.468749999892577, 11.564625850320702], rtol=1e-15)
    np.testing.assert_allclose(h[1].tolist(), [-6.249999999999999, -4.761904761904762], rtol=1e-15)


def test_bce_second_order_near_saturation_matches_pytorch():
    # x (1 - x) of 1e-4: the chain rule through the first order's clamp and
    # PyTorch's double backward differ in the eighth digit
    x = torch.tensor([0.9999, 0.5], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.2, 0.3], dtype=torch.float64)
    (g,) = torch.autograd.grad(F.binary_cross_entropy(x, t), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    # printed by PyTorch 2.15
    np.testing.assert_allclose(h.tolist(), [39999999.29994882, 1.9999999999840004], rtol=1e-15)


# ---- fmod, remainder and floor division are exact (C's fmod, Python's //) ----


def _division_operands(dtype):
    """Dividends across 14 decades against divisors across 6 (quotients past
    2^24 and 2^53, where x - trunc(x / y) * y is off by whole multiples of
    y), signed zeros, infinities, a NaN, and a zero divisor."""
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [rng.standard_normal(200) * 10.0 ** rng.integers(-5, 9, 200), [0.0, -0.0, 5.0, -5.0, 7.5, -7.5, np.inf, -np.inf, np.nan, 1e30, -3e7, 3e7]]
    )
    y = np.concatenate(
        [rng.standard_normal(200) * 10.0 ** rng.integers(-3, 3, 200), [2.0, 2.0, -2.0, -2.0, 2.5, 0.0, 3.0, np.inf, -np.inf, 1.1, 1.1, -1.1]]
    )
    return x.astype(dtype), y.astype(dtype)


def assert_same_bits(got, want):
    """Equal to the bit, a zero's sign included (NaNs of any sign)."""
    got, want = np.asarray(got), np.asarray(want)
    nan = np.isnan(got) & np.isnan(want)
    same = (got == want) & (np.signbit(got) == np.signbit(want))
    bad = np.nonzero(~(same | nan))[0]
    assert bad.size == 0, f"differ at {bad[:8]}: {got[bad][:4]} != {want[bad][:4]}"


def _pytorch_remainder(x, y):
    """PyTorch's float remainder: C's fmod, plus the divisor where the signs
    differ (NumPy's differs only in giving -0.0 % y as +0.0)."""
    m = np.fmod(x, y)
    return np.where((m != 0) & ((y < 0) != (m < 0)), m + y, m)


# NumPy's fmod is C's and its floor_divide is Python's, the algorithm of
# PyTorch's kernel (PyTorch 2.15 gives the same bits on these operands)
DIVISIONS = [
    ("fmod", lambda x, y: torch.fmod(x, y), np.fmod),
    ("remainder", lambda x, y: torch.remainder(x, y), _pytorch_remainder),
    ("mod", lambda x, y: x % y, _pytorch_remainder),
    ("floor_divide", lambda x, y: torch.floor_divide(x, y), np.floor_divide),
    ("floordiv", lambda x, y: x // y, np.floor_divide),
    ("div_floor", lambda x, y: torch.div(x, y, rounding_mode="floor"), np.floor_divide),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,op,ref", DIVISIONS, ids=[d[0] for d in DIVISIONS])
def test_float_division_family_is_exact(name, op, ref, dtype):
    x, y = _division_operands(dtype)
    with np.errstate(all="ignore"):
        assert_same_bits(op(torch.tensor(x), torch.tensor(y)).numpy(), ref(x, y))
        # a Python number divisor is converted to the tensor's dtype first
        assert_same_bits(op(torch.tensor(x), 0.406).numpy(), ref(x, np.asarray(0.406, dtype=dtype)))


def test_fmod_of_large_quotients_in_float32():
    # 3e7 / 1.1 is past 2^24: the composition gave 3e7 - 27272728 * 1.1
    # rounded, 1.7 off
    x = torch.tensor([3e7, -1e6, 1e30])
    assert_same_bits(torch.fmod(x, 1.1).numpy(), np.fmod(np.float32([3e7, -1e6, 1e30]), np.float32(1.1)))


def test_integer_fmod_and_floor_division_edges():
    x, y = torch.tensor([7, -7, 7, -7, 0]), torch.tensor([3, 3, -3, -3, 5])
    assert torch.fmod(x, y).tolist() == [1, -1, 1, -1, 0]
    assert torch.remainder(x, y).tolist() == [1, 2, -2, -1, 0]
    # the most negative int64 over -1 wraps, as PyTorch's (it panicked here)
    assert torch.floor_divide(torch.tensor([-(2**63)]), torch.tensor([-1])).tolist() == [-(2**63)]
    assert torch.fmod(torch.tensor([-(2**63)]), torch.tensor([-1])).tolist() == [0]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        torch.fmod(x, torch.tensor([1, 0, 1, 1, 1]))


def test_fmod_gradients_are_pytorch_formula():
    x = torch.tensor([5.5, -7.25], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([2.0, 3.0], dtype=torch.float64, requires_grad=True)
    out = torch.fmod(x, y)
    assert out.grad_fn.name() == "FmodBackward1"
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    assert y.grad.tolist() == [-2.0, 2.0]  # -trunc(x / y)


# ---- mixed dtypes: operands converted to the result's dtype first ----

F32 = np.float32([1.5, 0.908, 1.446, -0.33])
F64 = np.array([0.406, 1.58, -2.3, 0.7])


@pytest.mark.parametrize("order", ["f64,f32", "f32,f64"])
def test_hypot_of_float64_and_float32_squares_in_float64(order):
    a, b = (torch.tensor(F64), torch.tensor(F32)) if order == "f64,f32" else (torch.tensor(F32), torch.tensor(F64))
    got = torch.hypot(a, b)
    assert got.dtype == torch.float64
    # (it squared the float32 side in float32: 1.8223237811949353 for 1.8223237874058)
    np.testing.assert_allclose(got.tolist(), np.hypot(F64, F32.astype(np.float64)), rtol=2e-16)


def test_hypot_neither_overflows_nor_underflows():
    for dtype, big, tiny in ((torch.float32, 1e30, 1e-30), (torch.float64, 1e200, 1e-200)):
        x = torch.tensor([3.0, big, tiny, 0.0, np.inf, np.nan], dtype=dtype)
        y = torch.tensor([4.0, big, tiny, 0.0, np.nan, np.inf], dtype=dtype)
        npd = np.float32 if dtype == torch.float32 else np.float64
        with np.errstate(all="ignore"):
            want = np.hypot(np.asarray(x.tolist(), npd), np.asarray(y.tolist(), npd))
        np.testing.assert_allclose(torch.hypot(x, y).tolist(), want, rtol=3e-16 if dtype == torch.float64 else 0)


def test_hypot_refuses_numbers_and_integers_as_pytorch():
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        torch.hypot(torch.tensor([3.0]), 2.0)
    with pytest.raises(NotImplementedError, match="hypot_cpu.*Long"):
        torch.hypot(torch.tensor([3]), torch.tensor([4]))


def test_hypot_gradients_of_any_order():
    x = torch.tensor([0.3, 1.7], dtype=torch.float64, requires_grad=True)
    # hypot(x, 2x) = sqrt(5) |x|: the first derivative is constant, the
    # second zero (it was 7.45 while the result was a constant of the rule)
    (g,) = torch.autograd.grad(torch.hypot(x, x * 2).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.tolist(), [5**0.5] * 2, rtol=1e-15)
    np.testing.assert_allclose(h.tolist(), [0.0, 0.0], atol=1e-14)
    a, b = torch.tensor([0.3], requires_grad=True), torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    torch.hypot(a, b).backward()
    assert a.grad.dtype == torch.float32 and b.grad.dtype == torch.float64


def test_xlogy_takes_the_log_in_the_result_dtype():
    got = torch.xlogy(torch.tensor(F64), torch.tensor(F32))
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(got.tolist(), F64 * np.log(F32.astype(np.float64)), rtol=2e-16)
    # a float64 0-d operand of a float32 xlogy is converted to float32 before its log
    got = torch.xlogy(torch.tensor(F32), torch.tensor(0.406, dtype=torch.float64))
    assert got.dtype == torch.float32
    # printed by PyTorch 2.15 (it was -0.8184731006622314 at index 1)
    assert got.tolist()[:3] == [-1.3521032333374023, -0.8184731602668762, -1.3034275770187378]


def test_block_diag_promotes_and_isin_compares_in_the_promoted_dtype():
    out = torch.block_diag(torch.tensor([[1.5]]), torch.tensor([[0.1]], dtype=torch.float64))
    assert out.dtype == torch.float64 and out.tolist() == [[1.5, 0.0], [0.0, 0.1]]
    assert torch.block_diag(torch.tensor([[1]]), torch.tensor([[0.5]])).dtype == torch.float32
    # a 0-d float64 against float32 test elements is compared in float32 (PyTorch: True)
    assert torch.isin(torch.tensor(0.908, dtype=torch.float64), torch.tensor(F32)).item() is True


def test_addcmul_and_addcdiv_gradients_are_pytorch_formulas():
    # the factor of tensor1's gradient is formed in tensor2's own dtype:
    # printed by PyTorch 2.15
    x = torch.tensor([[0.5, -0.7], [0.2, 1.1]], dtype=torch.float64, requires_grad=True)
    t2 = torch.tensor([[1.5, -0.5], [2.0, 0.7]]).transpose(-1, -2).abs() + 1
    out = torch.addcdiv(x, x, t2, value=-0.5)
    assert out.grad_fn.name() == "AddcdivBackward0"
    np.testing.assert_allclose(out.tolist(), [[0.4, -0.5833333333333333], [0.13333333333333336, 0.7764705973100495]], rtol=1e-15)
    (g,) = torch.autograd.grad(out.sum(), x)
    assert g.tolist() == [[0.7999999970197678, 0.8333333283662796], [0.6666666567325592, 0.7058823704719543]]
    (g,) = torch.autograd.grad(torch.addcmul(x, x, torch.tensor([[1.5, 1.3]]), value=0.3).sum(), x)
    assert g.tolist() == [[1.4500000178813934, 1.3900000154972076]] * 2
    # second order, all in float64, against the exact derivatives
    a, b, c = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in ([0.3, -1.2], [0.7, 2.0], [1.5, -0.4]))
    ga, gb, gc = torch.autograd.grad(torch.addcdiv(a, b, c, value=2.0).sum(), [a, b, c], create_graph=True)
    hb, hc = torch.autograd.grad(gc.sum(), [b, c])
    bs, cs = np.array([0.7, 2.0]), np.array([1.5, -0.4])
    np.testing.assert_allclose(gc.tolist(), -2 * bs / cs**2, rtol=1e-15)
    np.testing.assert_allclose(hb.tolist(), -2 / cs**2, rtol=1e-15)
    np.testing.assert_allclose(hc.tolist(), 4 * bs / cs**3, rtol=1e-15)


# ---- prod's gradient where the input has zeros (PyTorch's prod_safe_zeros_backward) ----


def _prod_hessian_by_differences(xs, weights, dim):
    """d/dx of sum(weights * d prod / dx), by central differences of the
    exact first derivative (the product of the other elements)."""

    def first(v):
        v = np.asarray(v, dtype=np.float64)
        if dim is None:
            return np.array([np.prod(np.delete(v.ravel(), i)) for i in range(v.size)]).reshape(v.shape)
        return np.stack([np.prod(np.delete(v, i, axis=dim), axis=dim) for i in range(v.shape[dim])], axis=dim)

    h = 1e-6
    out = np.zeros(np.shape(xs))
    for idx in np.ndindex(out.shape):
        up, down = np.array(xs, dtype=np.float64), np.array(xs, dtype=np.float64)
        up[idx] += h
        down[idx] -= h
        out[idx] = ((first(up) - first(down)) * weights).sum() / (2 * h)
    return out


@pytest.mark.parametrize(
    "xs,dim", [([0.0, 2.0, 3.0], None), ([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0]], 1), ([[0.0, 1.5], [2.0, 0.0]], None), ([[0.0, 2.0], [3.0, 0.5]], 0)]
)
def test_prod_second_derivatives_through_zeros(xs, dim):
    # the second derivative of a product is the product of the rest even
    # where the first derivative is 0 (it came out 0: a where over the zero
    # count cut the link)
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    out = x.prod() if dim is None else x.prod(dim)
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    weights = np.arange(1.0, x.numel() + 1).reshape(x.shape)
    (h,) = torch.autograd.grad((g * torch.tensor(weights)).sum(), x)
    np.testing.assert_allclose(h.numpy(), _prod_hessian_by_differences(xs, weights, dim), atol=1e-8)


def test_prod_gradient_of_a_single_zero_is_the_incoming_gradient():
    # PyTorch: a 0-d input, or a zero alone along the reduced dim, passes the
    # gradient through unconnected to the input (no second derivative)
    x = torch.tensor([[0.0], [2.0]], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(x.prod(1).sum(), x, create_graph=True)
    assert g.tolist() == [[1.0], [1.0]] and not g.requires_grad
    s = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(s.prod(-1) * 3, s, create_graph=True)
    assert g.item() == 3.0 and not g.requires_grad
    # without zeros: grad * result / input, a function of the input
    y = torch.tensor([[0.5], [2.0]], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(y.prod(1).sum(), y, create_graph=True)
    assert g.requires_grad


# ---- logaddexp's gradients are PyTorch's formulas (smooth at x == y) ----


@pytest.mark.parametrize("name,base", [("logaddexp", np.e), ("logaddexp2", 2.0)])
def test_logaddexp_second_derivative_at_ties(name, base):
    # d^2/dx^2 log_b(b^x + b^y) = ln(b) p (1 - p), p = 1 / (1 + b^(y - x));
    # at x == y (a zero-initialised x against 0, say) it was 0
    f = getattr(torch, name)
    xs, ys = np.array([0.0, 1.0, -2.0]), np.array([0.0, 3.0, -2.0])
    x = torch.tensor(xs, requires_grad=True, dtype=torch.float64)
    y = torch.tensor(ys, requires_grad=True, dtype=torch.float64)
    out = f(x, y)
    assert out.grad_fn.name() == name.capitalize() + "Backward0"
    gx, gy = torch.autograd.grad(out.sum(), [x, y], create_graph=True)
    hx, hy = torch.autograd.grad(gx.sum(), [x, y])
    p = 1 / (1 + base ** (ys - xs))
    np.testing.assert_allclose(gx.tolist(), p, rtol=1e-15)
    np.testing.assert_allclose(gy.tolist(), 1 - p, rtol=1e-15)
    np.testing.assert_allclose(hx.tolist(), np.log(base) * p * (1 - p), rtol=1e-14)
    np.testing.assert_allclose(hy.tolist(), -np.log(base) * p * (1 - p), rtol=1e-14)


def test_mixed_dtype_gradients_take_logs_in_the_promoted_dtype():
    # printed by PyTorch 2.15: a float64 input's gradient through a float32
    # operand's log is the float64 log of the float32 value
    x = torch.tensor([0.406, 1.58], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.5, 0.908])
    (gx,) = torch.autograd.grad(torch.xlogy(x, y).sum(), x)
    assert gx.tolist() == [0.4054651081081644, -0.09651090878326068]
    (gx,) = torch.autograd.grad(torch.special.xlog1py(x, y).sum(), x)
    assert gx.tolist() == [0.9162907318741551, 0.6460555690274603]
    np.testing.assert_allclose(torch.special.xlog1py(x, y).tolist(), [0.372014037140907, 1.0207677990633874], rtol=1e-15)
    # pow's exponent gradient: out * log(base), the base converted first
    base = torch.tensor([1.5, 0.908])
    e = torch.tensor([0.406, 1.58], dtype=torch.float64, requires_grad=True)
    (ge,) = torch.autograd.grad(torch.pow(base, e).sum(), e)
    want = np.float32([1.5, 0.908]).astype(np.float64) ** np.array([0.406, 1.58]) * np.log(np.float32([1.5, 0.908]).astype(np.float64))
    np.testing.assert_allclose(ge.tolist(), want, rtol=1e-15)


def test_addcdiv_divides_value_by_tensor2_correctly_rounded():
    # PyTorch's Scalar / Tensor in its formula is a division in tensor2's
    # dtype (Python's 0.3 / t is t.reciprocal() * 0.3, an ulp off here)
    t1 = torch.tensor([1.0, 2.0], requires_grad=True)
    t2 = torch.tensor([0.75, 3.0])
    (g,) = torch.autograd.grad(torch.addcdiv(torch.zeros(2), t1, t2, value=0.3).sum(), t1)
    assert g.tolist() == (np.float32(0.3) / np.float32([0.75, 3.0])).tolist()


# ---- bad arguments refused as PyTorch refuses them (they gave NaN or a result) ----


@pytest.mark.parametrize("op", [lambda x: x.std(-3), lambda x: x.var(2), lambda x: x.std((0, 1)), lambda x: torch.var_mean(x, 2)])
def test_variance_of_a_0d_tensor_over_a_missing_dim_raises(op):
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\]"):
        op(torch.randn(()))
    assert torch.isnan(torch.randn(()).std(0))  # its own dim: one element, no degrees of freedom


@pytest.mark.parametrize(
    "shape,mode,kwargs,error,message",
    [
        ((1, 1, 4), "bilinear", {}, NotImplementedError, "Got 3D input, but bilinear mode needs 4D input"),
        ((1, 1, 4, 4), "linear", {}, NotImplementedError, "Got 4D input, but linear mode needs 3D input"),
        ((1, 1, 4, 4), "trilinear", {}, NotImplementedError, "Got 4D input, but trilinear mode needs 5D input"),
        ((4,), "nearest", {}, NotImplementedError, "Only 3D, 4D and 5D input Tensors supported"),
        ((1, 1, 4), "nearest", {"align_corners": True}, ValueError, "align_corners option can only be set"),
        ((1, 1, 4, 4), "bilinear", {"antialias": True}, NotImplementedError, "antialias=True is not supported"),
        ((1, 1, 4), "nearest", {"antialias": True}, ValueError, "Anti-alias option is restricted"),
        ((1, 1, 4), "nearest", {"size": 8}, ValueError, "only one of size or scale_factor"),
    ],
)
def test_interpolate_refuses_what_it_would_ignore(shape, mode, kwargs, error, message):
    with pytest.raises(error, match=message):
        F.interpolate(torch.randn(*shape), scale_factor=2, mode=mode, **kwargs)


def test_batch_norm_names_the_mismatched_buffer():
    import autorust.nn as nn

    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm1d(3)(torch.randn(2, 4))
    with pytest.raises(RuntimeError, match="weight should contain 4 elements not 3"):
        F.batch_norm(torch.randn(2, 4), torch.zeros(4), torch.ones(4), torch.ones(3))


@pytest.mark.parametrize("name", ["column_stack", "dstack"])
def test_stacking_nothing_raises_pytorch_message(name):
    with pytest.raises(RuntimeError, match=f"{name} expects a non-empty TensorList"):
        getattr(torch, name)([])


# ---- arguments that were accepted and ignored ----


def test_conv_transpose_output_size_picks_the_output_padding():
    import autorust.nn as nn

    torch.manual_seed(0)
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    x = torch.randn(1, 2, 5, 5)
    # shapes printed by PyTorch 2.15 (output_size was ignored: always 9 x 9)
    assert m(x, output_size=(10, 10)).shape == (1, 3, 10, 10)
    assert m(x, output_size=[1, 3, 9, 10]).shape == (1, 3, 9, 10)
    padded = F.conv_transpose2d(x, m.weight, m.bias, 2, 1, (0, 1))
    np.testing.assert_array_equal(m(x, output_size=(9, 10)).detach().numpy(), padded.detach().numpy())
    with pytest.raises(ValueError, match=r"valid sizes range from \[9, 9\] to \[10, 10\]"):
        m(x, output_size=(12, 12))
    assert nn.ConvTranspose1d(2, 3, 4, stride=3)(torch.randn(2, 2, 5), output_size=[18]).shape == (2, 3, 18)


def test_softmin_honours_dtype():
    out = F.softmin(torch.tensor([1.0, 2.0]), 0, dtype=torch.float64)
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.tolist(), np.exp([-1.0, -2.0]) / np.exp([-1.0, -2.0]).sum(), rtol=1e-15)


@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_scale_grad_by_freq_divides_by_counts(padding_idx):
    w = torch.tensor([[float(i * 3 + j) for j in range(3)] for i in range(5)], requires_grad=True)
    idx = torch.tensor([[0, 2, 0], [1, 0, 4]])
    out = F.embedding(idx, w, padding_idx=padding_idx, scale_grad_by_freq=True)
    (out * torch.arange(18.0).reshape(2, 3, 3)).sum().backward()
    # printed by PyTorch 2.15: index 0 occurs three times, its rows' sum / 3
    row1 = [0.0, 0.0, 0.0] if padding_idx == 1 else [9.0, 10.0, 11.0]
    assert w.grad.tolist() == [[6.0, 7.0, 8.0], row1, [3.0, 4.0, 5.0], [0.0, 0.0, 0.0], [15.0, 16.0, 17.0]]


def test_shape_errors_with_pytorch_messages():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 1\)"):
        torch.randn(()).unbind(1)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        torch.randn(()).unbind(-1)
    with pytest.raises(RuntimeError, match="invalid shape dimension -2 at index 0 of shape \\[-2, 12\\]"):
        torch.randn(3, 2, 2).unflatten(0, (-2, 12))
    # the index's dtype is checked before its shape
    with pytest.raises(RuntimeError, match="scatter\\(\\): Expected dtype int32/int64 for index"):
        torch.zeros(1).scatter(0, torch.tensor([[0.0]]), 1.0)


def test_xlogy_third_derivative_through_a_zero_gradient():
    # at y == 1 the value and so the incoming gradient are 0; the third
    # derivative in y is still grad-free (printed by PyTorch 2.15)
    x = torch.tensor([-0.129, 0.21], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    v = torch.xlogy(x, y)
    g = torch.autograd.grad((v * v * torch.tensor([0.3, -0.7], dtype=torch.float64)).sum(), [x, y], create_graph=True)
    s = (g[0] * torch.tensor([1.1, -0.4], dtype=torch.float64)).sum() + (g[1] * torch.tensor([0.5, 0.25], dtype=torch.float64)).sum()
    h = torch.autograd.grad(s, [x, y], create_graph=True)
    s2 = (h[0] * torch.tensor([0.2, 0.9], dtype=torch.float64)).sum() + (h[1] * torch.tensor([-0.6, 1.3], dtype=torch.float64)).sum()
    k = torch.autograd.grad(s2, [x, y])
    np.testing.assert_allclose(k[0].tolist(), [0.046439999999999995, 0.27160989212250886], rtol=1e-14)
    np.testing.assert_allclose(k[1].tolist(), [0.09567413999999999, 0.366700327829349], rtol=1e-14)


def test_hypot_curvature_where_one_side_is_zero():
    # d^2 hypot / dy^2 at y == 0 is 1 / |x| (|y| inside the rule gave 0)
    x = torch.tensor([1.5, -2.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 0.0], dtype=torch.float64, requires_grad=True)
    (gy,) = torch.autograd.grad(torch.hypot(x, y).sum(), y, create_graph=True)
    (hy,) = torch.autograd.grad(gy.sum(), y)
    np.testing.assert_allclose(hy.tolist(), [1 / 1.5, 1 / 2.0], rtol=1e-15)


# ---- nodes whose backward is a formula free what they save, as PyTorch's ----


def _second_backward_raises(make):
    loss = make()
    loss.backward()
    try:
        loss.backward()
    except RuntimeError as e:
        assert "Trying to backward through the graph a second time" in str(e)
        return True
    return False


def test_formula_nodes_free_their_saved_tensors():
    # which raise on a second backward without retain_graph: checked
    # against PyTorch 2.15 one by one
    def leaf():
        return torch.tensor([1.0, -2.0], requires_grad=True)

    c = torch.tensor([3.0, 4.0])
    cases = [
        (lambda: torch.hypot(leaf(), c).sum(), True),
        (lambda: torch.logaddexp2(leaf(), c).sum(), True),
        (lambda: torch.xlogy(c, leaf().abs()).sum(), True),
        (lambda: torch.special.xlog1py(leaf(), c).sum(), True),
        (lambda: F.mse_loss(leaf(), c), True),
        (lambda: F.binary_cross_entropy(leaf().sigmoid(), c.sigmoid()), True),
        (lambda: torch.addcmul(c, leaf(), c).sum(), True),
        (lambda: torch.addcdiv(leaf(), c, c).sum(), True),
        (lambda: F.embedding(torch.tensor([0, 1, 0]), torch.ones(3, 2, requires_grad=True), scale_grad_by_freq=True).sum(), True),
        # nothing saved: a second backward is allowed
        (lambda: torch.fmod(leaf(), c).sum(), False),
        (lambda: torch.addcmul(leaf(), c, c).sum(), False),
    ]
    for k, (make, raises) in enumerate(cases):
        assert _second_backward_raises(make) == raises, k
