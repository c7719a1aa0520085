"""gather, scatter(-add) and index_select on inputs large enough for their
parallel paths (and small ones), against NumPy, in every dim, with
repeated targets, strided inputs, and results that do not depend on the
thread count."""

import numpy as np
import pytest
from thread_counts import assert_same_across_thread_counts

import autorust as torch

rng = np.random.default_rng(5)


def _gather_reference(a, dim, idx):
    # PyTorch lets the index be smaller than the input off `dim`
    cut = tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(idx.shape))
    return np.take_along_axis(a[cut], idx, axis=dim)


def _scatter_add_reference(shape, dim, idx, src):
    out = np.zeros(shape, dtype=src.dtype)
    src = src[tuple(slice(0, n) for n in idx.shape)]
    coords = list(np.indices(idx.shape))
    coords[dim] = idx
    np.add.at(out, tuple(coords), src)
    return out


@pytest.mark.parametrize("shape", [(64, 80, 60), (3, 4, 5)])
@pytest.mark.parametrize("dim", [0, 1, 2])
@pytest.mark.parametrize("transposed", [False, True])
def test_gather_values_and_gradient(shape, dim, transposed):
    a = rng.normal(size=shape)
    idx_shape = tuple(max(1, n - 1) if d != dim else n + 3 for d, n in enumerate(shape))
    idx = rng.integers(0, shape[dim], size=idx_shape)
    base = torch.tensor(a.transpose(2, 1, 0).copy() if transposed else a, requires_grad=True)
    x = base.permute(2, 1, 0) if transposed else base
    out = x.gather(dim, torch.tensor(idx))
    np.testing.assert_array_equal(out.detach().numpy(), _gather_reference(a, dim, idx))
    g = rng.normal(size=idx_shape)
    out.backward(torch.tensor(g))
    want = _scatter_add_reference(shape, dim, idx, g)
    got = base.grad.numpy().transpose(2, 1, 0) if transposed else base.grad.numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dim", [0, 1, 2])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_scatter_and_scatter_add_large(dim, dtype):
    shape = (40, 90, 80)
    src = (rng.normal(size=shape) * 10).astype(dtype)
    idx = rng.integers(0, shape[dim], size=(40, 90, 79))
    added = torch.zeros(shape, dtype=getattr(torch, dtype)).scatter_add(dim, torch.tensor(idx), torch.tensor(src))
    np.testing.assert_allclose(added.numpy(), _scatter_add_reference(shape, dim, idx, src), rtol=1e-5, atol=1e-4)
    # scatter (no accumulation) with unique targets per slice: a permutation along dim
    perm = np.argsort(rng.random(size=shape), axis=dim)
    put = torch.zeros(shape, dtype=getattr(torch, dtype)).scatter(dim, torch.tensor(perm), torch.tensor(src))
    want = np.zeros(shape, dtype=dtype)
    np.put_along_axis(want, perm, src, axis=dim)
    np.testing.assert_array_equal(put.numpy(), want)


def test_bool_scatter_add_is_or():
    dst = torch.zeros(2, 3, dtype=torch.bool)
    out = dst.scatter_add(1, torch.tensor([[0, 0, 2], [1, 1, 1]]), torch.tensor([[True, False, False], [False, True, False]]))
    assert out.tolist() == [[True, False, False], [False, True, False]]


@pytest.mark.parametrize("shape", [(700, 500), (8, 40, 33, 33), (3, 4)])
def test_index_select_every_dim(shape):
    a = rng.normal(size=shape).astype(np.float32)
    for dim in range(len(shape)):
        idx = rng.integers(0, shape[dim], size=shape[dim] + 2)
        x = torch.tensor(a, requires_grad=True)
        out = x.index_select(dim, torch.tensor(idx))
        np.testing.assert_array_equal(out.detach().numpy(), np.take(a, idx, axis=dim))
        g = rng.normal(size=out.shape).astype(np.float32)
        out.backward(torch.tensor(g))
        want = np.zeros(shape, dtype=np.float64)
        np.add.at(np.moveaxis(want, dim, 0), idx, np.moveaxis(g.astype(np.float64), dim, 0))
        np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-5, atol=1e-5)
    # a strided input is read through its layout
    t = torch.tensor(a).transpose(0, -1)
    np.testing.assert_array_equal(t.index_select(0, torch.tensor([1, 0, 1])).numpy(), np.take(np.swapaxes(a, 0, -1), [1, 0, 1], axis=0))


def test_index_kernels_do_not_depend_on_the_thread_count():
    assert_same_across_thread_counts(
        "import autorust as torch\n"
        "torch.manual_seed(0)\n"
        "x = torch.randn(300, 1000); i = torch.randint(0, 1000, (300, 1000)); r = torch.randint(0, 300, (500,))\n"
        "vals = [x.gather(1, i), torch.zeros(300, 1000).scatter_add(1, i, x), torch.zeros(300, 1000).scatter_add(0, i % 300, x), x.index_select(0, r), x.index_select(1, r)]\n"
        "print(b''.join(v.numpy().tobytes() for v in vals).hex())\n",
        counts=("1", "2"),
    )


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_cat_large_mixed_layouts(dim):
    # contiguous parts are read in place, strided ones copied first; rows of
    # the output are filled in parallel when large
    a = rng.normal(size=(40, 90, 80)).astype(np.float32)
    b = rng.normal(size=(80, 90, 40)).astype(np.float32)
    c = rng.normal(size=(40, 90, 80)).astype(np.float32)
    bt = torch.tensor(b).transpose(0, 2)  # (40, 90, 80), strided
    out = torch.cat([torch.tensor(a), bt, torch.tensor(c)[:, :, :]], dim)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([a, b.transpose(2, 1, 0), c], axis=dim))


@pytest.mark.parametrize("shape", [(1000, 1000), (3, 4, 5), (300, 700)])
def test_writes_into_row_views_against_numpy(shape):
    # slice assignment and a slice's gradient write whole rows into a view,
    # in parallel for large writes; the source may itself be strided
    a = rng.standard_normal(shape).astype(np.float32)
    x = torch.tensor(a.copy())
    cols = (slice(None),) * (len(shape) - 1) + (slice(1, -1),)
    y = rng.standard_normal(a[cols].shape).astype(np.float32)
    x[cols] = torch.tensor(y)
    a[cols] = y
    np.testing.assert_array_equal(x.numpy(), a)
    every_other = (slice(None, None, 2),) + (slice(None),) * (len(shape) - 2) + (slice(2, None),)
    reverse = tuple(reversed(range(len(shape))))
    yt = rng.standard_normal(a[every_other].shape[::-1]).astype(np.float32)
    x[every_other] = torch.tensor(yt).permute(*reverse)
    a[every_other] = yt.transpose(reverse)
    np.testing.assert_array_equal(x.numpy(), a)
    leaf = torch.tensor(a, requires_grad=True)
    g = rng.standard_normal(a[cols].shape).astype(np.float32)
    leaf[cols].backward(torch.tensor(g))
    want = np.zeros_like(a)
    want[cols] = g
    np.testing.assert_array_equal(leaf.grad.numpy(), want)


@pytest.mark.parametrize(
    "shifts,dims", [(2, 1), (-3, 0), ((1, 2), (0, 2)), ((1, 1), (0, 0)), (4, None), ((9,), None), (100, -1), ((2, -5, 1), (0, 1, 2)), (0, 1)]
)
@pytest.mark.parametrize("transposed", [False, True])
def test_roll_is_one_node_against_numpy(shifts, dims, transposed):
    a = rng.standard_normal((5, 7, 3))
    x = torch.tensor(a, requires_grad=True)
    view, ref = (x.transpose(0, 2), a.transpose(2, 1, 0)) if transposed else (x, a)
    y = view.roll(shifts, dims)
    np.testing.assert_array_equal(y.detach().numpy(), np.roll(ref, shifts, dims))
    below = "TransposeBackward0" if transposed else "AccumulateGrad"
    assert y.grad_fn.name() == "RollBackward0" and type(y.grad_fn.next_functions[0][0]).__name__ == below
    assert torch.autograd.gradcheck(lambda t: (t.transpose(0, 2) if transposed else t).roll(shifts, dims), (x,))
    assert torch.autograd.gradgradcheck(lambda t: (t.transpose(0, 2) if transposed else t).roll(shifts, dims).pow(2), (x,))


def test_roll_large_rows_empty_and_refusals():
    a = rng.standard_normal((1000, 1001)).astype(np.float32)  # parallel row writes
    np.testing.assert_array_equal(torch.tensor(a).roll((3, -7), (0, 1)).numpy(), np.roll(a, (3, -7), (0, 1)))
    assert torch.zeros(0, 3).roll(1, 0).shape == (0, 3)
    assert torch.tensor(3.0).roll(2).item() == 3.0
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 2, dims:0"):
        torch.randn(3, 4).roll((1, 2))
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        torch.tensor(3.0).roll(1, 0)
    with pytest.raises(RuntimeError, match="`shifts` required"):
        torch.randn(2).roll((), ())
    for bad in ((1.5, 0), (1, 0.0), ((1, 2.0), (0, 1)), (True, 0)):
        with pytest.raises(TypeError, match="must be tuple of ints"):
            torch.randn(3, 4).roll(*bad)


@pytest.mark.parametrize("shape,dim", [((1000, 1000), 0), ((6, 5, 7), 0), ((6, 5, 7), 1), ((3, 700, 500), 1), ((20, 30), 0)])
def test_max_min_over_a_leading_dim_against_numpy_first_index_first_nan(shape, dim):
    # the column walk: ties keep the first index, the first NaN wins
    a = rng.standard_normal(shape).astype(np.float32)
    second = [2] * len(shape)
    second[dim] = 4  # two NaNs in one reduced line
    a[(2,) * len(shape)] = a[tuple(second)] = np.nan
    tie = [slice(None)] * len(shape)
    tie[dim] = 1
    a[tuple(tie)] = 9.0
    tie[dim] = 3
    a[tuple(tie)] = 9.0
    t = torch.tensor(a)
    for name, arg in (("max", np.argmax), ("min", np.argmin)):
        values, indices = getattr(t, name)(dim)
        want = arg(a, axis=dim)  # NumPy: first extreme, NaN first
        np.testing.assert_array_equal(indices.numpy(), want)
        np.testing.assert_array_equal(values.numpy(), np.take_along_axis(a, np.expand_dims(want, dim), dim).squeeze(dim))
    ints = rng.integers(0, 3, shape)
    np.testing.assert_array_equal(torch.tensor(ints).argmax(dim).numpy(), np.argmax(ints, axis=dim))
    np.testing.assert_array_equal(torch.tensor(ints).argmin(dim).numpy(), np.argmin(ints, axis=dim))


# cat and index_select fill their output in equal pieces, each on its own
# task, whatever the rows: pieces start and end inside rows, parts and
# selected blocks; every element must land once, in place
@pytest.mark.parametrize(
    "widths,dim",
    [((700, 1, 333), 0), ((2, 3), 0), ((65537, 70000), 1), ((1, 2, 1), 1), ((0, 5), 0)],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_cat_pieces_match_numpy(widths, dim, dtype):
    other = 300 if dim == 0 else 3
    shapes = [(w, other) if dim == 0 else (other, w) for w in widths]
    arrays = [(rng.normal(size=s) * 100).astype(dtype) for s in shapes]
    got = torch.cat([torch.tensor(a) for a in arrays], dim).numpy()
    np.testing.assert_array_equal(got, np.concatenate(arrays, dim))


@pytest.mark.parametrize("shape,dim,count", [((900, 400), 0, 1500), ((7, 300, 130), 1, 900), ((5, 64), 0, 3), ((2, 70, 3), 0, 0)])
def test_index_select_row_pieces_match_numpy(shape, dim, count):
    a = rng.normal(size=shape).astype(np.float32)
    idx = rng.integers(0, shape[dim], size=count)
    got = torch.tensor(a).index_select(dim, torch.tensor(idx)).numpy()
    np.testing.assert_array_equal(got, np.take(a, idx, axis=dim))


def test_stack_and_flip_of_large_inputs():
    a = rng.normal(size=(600, 700)).astype(np.float32)
    b = rng.normal(size=(600, 700)).astype(np.float32)
    np.testing.assert_array_equal(torch.stack([torch.tensor(a), torch.tensor(b)]).numpy(), np.stack([a, b]))
    np.testing.assert_array_equal(torch.tensor(a).flip(0).numpy(), a[::-1])


@pytest.mark.parametrize("dims", [(0,), (1,), (0, 2), (-1, 0, 1), ()])
def test_flip_is_one_node_with_exact_gradients(dims):
    a = rng.normal(size=(3, 4, 5))
    x = torch.tensor(a, requires_grad=True)
    y = x.flip(dims)
    assert type(y.grad_fn).__name__ == "FlipBackward0"
    assert y.grad_fn.next_functions[0][0] is not None
    np.testing.assert_array_equal(y.detach().numpy(), np.flip(a, dims) if dims else a)
    g = rng.normal(size=a.shape)
    y.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), np.flip(g, dims) if dims else g)
    assert torch.autograd.gradgradcheck(lambda t: t.flip(dims) ** 2, (x,))


def test_flip_forward_ad_and_a_copy_even_without_dims():
    import autorust.autograd.forward_ad as fwAD

    x = torch.tensor(rng.normal(size=(3, 4)))
    t = torch.tensor(rng.normal(size=(3, 4)))
    with fwAD.dual_level():
        out = fwAD.unpack_dual(fwAD.make_dual(x, t).flip(1)).tangent
    np.testing.assert_array_equal(out.numpy(), np.flip(t.numpy(), 1))
    y = x.flip(())
    y.add_(1)
    assert x.numpy()[0, 0] + 1 == y.numpy()[0, 0]


# index_add (index_select's backward) spreads its outer blocks over the
# pool; each element still adds its sources in index order
@pytest.mark.parametrize("shape,dim,count", [((300, 40, 50), 1, 90), ((600, 700), 1, 1400), ((3, 5), 0, 7), ((2000, 300), 0, 50)])
def test_index_add_matches_numpy(shape, dim, count):
    src_shape = list(shape)
    src_shape[dim] = count
    idx = rng.integers(0, shape[dim], size=count)
    src = rng.normal(size=src_shape)
    base = rng.normal(size=shape)
    got = torch.tensor(base).index_add(dim, torch.tensor(idx), torch.tensor(src)).numpy()
    expected = base.copy()
    np.add.at(expected, (slice(None),) * dim + (idx,), src)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_index_add_and_upsample_backward_same_bits_across_thread_counts():
    script = """
import numpy as np, autorust as torch, autorust.nn.functional as F
rng = np.random.default_rng(2)
x = torch.tensor(rng.normal(size=(8, 30, 64, 64)).astype(np.float32), requires_grad=True)
F.interpolate(x, scale_factor=2).backward(torch.tensor(rng.normal(size=(8, 30, 128, 128)).astype(np.float32)))
idx = torch.tensor(rng.integers(0, 700, size=1400))
src = torch.tensor(rng.normal(size=(600, 1400)).astype(np.float32))
out = torch.zeros(600, 700).index_add(1, idx, src)
print(__import__("hashlib").sha256(x.grad.numpy().tobytes() + out.numpy().tobytes()).hexdigest())
"""
    assert_same_across_thread_counts(script)


@pytest.mark.parametrize("n", [5, 700])
@pytest.mark.parametrize("op", ["gather", "scatter", "scatter_add", "scatter_", "scatter_add_"])
def test_out_of_range_indices_raise_and_leave_self_unchanged(n, op):
    # the kernels check each row's indices as they go; the in-place ones
    # check all before writing anything
    a = rng.normal(size=(n, n)).astype(np.float32)
    x = torch.tensor(a)
    for bad in (n, -1):
        idx = rng.integers(0, n, size=(n, n))
        idx[n - 1, n // 2] = bad  # in the last row, so earlier rows were already written
        index, src = torch.tensor(idx), torch.ones(n, n)
        with pytest.raises(RuntimeError, match=f"index {bad} is out of bounds for dimension 1 with size {n}"):
            if op == "gather":
                x.gather(1, index)
            else:
                getattr(x, op)(1, index, src)
        np.testing.assert_array_equal(x.numpy(), a)


@pytest.mark.parametrize("add", [False, True])
def test_in_place_scatter_into_views_aliases_and_saved_tensors(add):
    name = "scatter_add_" if add else "scatter_"
    idx = rng.integers(0, 600, size=(600, 600))
    a = rng.normal(size=(600, 600)).astype(np.float32)

    def reference(dst, src):
        out = dst.copy()
        rows = np.indices(idx.shape)[0]
        if add:
            np.add.at(out, (rows, idx), src)
        else:
            out[rows, idx] = src  # repeated targets: the last write wins, as in PyTorch's CPU order
        return out

    # into itself (src is self), a transposed view, a row view off its storage's start
    x = torch.tensor(a)
    getattr(x, name)(1, torch.tensor(idx), x)
    np.testing.assert_allclose(x.numpy(), reference(a, a), rtol=1e-6)
    big = torch.tensor(np.concatenate([a, a]).T.copy())
    xt = big.t()[600:]
    getattr(xt, name)(1, torch.tensor(idx), torch.tensor(a))
    np.testing.assert_allclose(xt.numpy(), reference(a, a), rtol=1e-6)
    np.testing.assert_array_equal(big.t()[:600].numpy(), a)
    rows = torch.tensor(np.concatenate([a, a]))
    view = rows[600:]
    getattr(view, name)(1, torch.tensor(idx), torch.tensor(a))
    np.testing.assert_allclose(rows.numpy()[600:], reference(a, a), rtol=1e-6)
    np.testing.assert_array_equal(rows.numpy()[:600], a)
    # a tensor saved for backward, then written in place: backward refuses
    w = torch.ones(600, 600)
    leaf = torch.tensor(a, requires_grad=True)
    y = (leaf * w).sum()
    getattr(w, name)(1, torch.tensor(idx), torch.tensor(a))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
