"""``einsum`` and ``tensordot``, reduced to permutes, sums, products and one
``bmm``/``mm`` per pair of operands in PyTorch's order, so the graph, the
summation order and the dtype rules are PyTorch's.

einsum, as ATen does it: each operand is aligned to one common dimension
order (output labels first, then the labels summed out), repeated labels
become diagonals and missing labels size-1 dims; then the operands are
contracted left to right, a label being summed as soon as no operand still
to come has it.
"""

import numbers

from . import _native

Tensor = _native.Tensor

_LETTERS = 26
_ELLIPSIS = 2 * _LETTERS  # the code of "..." among the label codes


def _code(label):
    """Label codes order A-Z before a-z (the implicit output's order)."""
    return ord(label) - ord("A") if label.isupper() else ord(label) - ord("a") + _LETTERS


def _letter(code):
    return chr(code + ord("A")) if code < _LETTERS else chr(code - _LETTERS + ord("a"))


def _parse_operands(lhs, num_ops):
    labels = [[]]
    i = 0
    seen_ellipsis = False
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            op = len(labels) - 1
            if seen_ellipsis:
                raise RuntimeError(f"einsum(): found '.' for operand {op} for which an ellipsis was already found")
            if lhs[i : i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {op} that is not part of any ellipsis")
            labels[-1].append(_ELLIPSIS)
            seen_ellipsis = True
            i += 2
        elif c == ",":
            labels.append([])
            if len(labels) > num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
            seen_ellipsis = False
        elif c.isascii() and c.isalpha():
            labels[-1].append(_code(c))
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, subscripts must be in [a-zA-Z]")
        i += 1
    if len(labels) != num_ops:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return labels


def _sublist_equation(args):
    """einsum(op0, [0, 1], op1, [1, 2], [0, 2]): the sublist form, as text."""

    def term(sub):
        parts = []
        for s in sub:
            if s is Ellipsis:
                parts.append("...")
            elif isinstance(s, numbers.Integral) and 0 <= s < 2 * _LETTERS:
                parts.append(_letter(int(s)))
            else:
                raise ValueError(f"einsum(): subscript in subscript list is not within the valid range [0, 52), got {s}")
        return "".join(parts)

    operands = list(args[0::2][: len(args) // 2])
    terms = [term(s) for s in args[1::2]]
    equation = ",".join(terms)
    if len(args) % 2:
        equation += "->" + term(args[-1])
    return equation, operands


def einsum(*args):
    if args and not isinstance(args[0], str):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    lhs, arrow, rhs = equation.partition("->")
    op_labels = _parse_operands(lhs, len(operands))

    label_count = [0] * (2 * _LETTERS)
    ell_num_dim = 0
    for i, (op, labels) in enumerate(zip(operands, op_labels)):
        named = [s for s in labels if s != _ELLIPSIS]
        has_ellipsis = len(named) != len(labels)
        for s in named:
            label_count[s] += 1
        if has_ellipsis:
            ell_num_dim = max(ell_num_dim, op.dim() - len(named))
            if len(named) > op.dim():
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({len(named)}) is more than the number of dimensions ({op.dim()}) for operand {i}"
                )
        elif len(named) != op.dim():
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(named)}) does not match the number of dimensions ({op.dim()}) for operand {i} and no ellipsis was given"
            )

    # where each label sits in the common order: output first, summed after
    perm_index = [-1] * (2 * _LETTERS)
    n_dims = 0
    ell_index = 0
    ell_in_output = False
    if not arrow:
        n_dims = ell_num_dim
        ell_in_output = True
        for s in range(2 * _LETTERS):
            if label_count[s] == 1:
                perm_index[s] = n_dims
                n_dims += 1
    else:
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == " ":
                pass
            elif c == ".":
                if ell_in_output:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found")
                if rhs[i : i + 3] != "...":
                    raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
                ell_index = n_dims
                n_dims += ell_num_dim
                ell_in_output = True
                i += 2
            elif c.isascii() and c.isalpha():
                s = _code(c)
                if label_count[s] == 0 or perm_index[s] != -1:
                    why = "appears more than once in the output" if perm_index[s] != -1 else "does not appear in the equation for any input operand"
                    raise RuntimeError(f"einsum(): output subscript {c} {why}")
                perm_index[s] = n_dims
                n_dims += 1
            else:
                raise RuntimeError(
                    f"einsum(): invalid subscript given at index {len(lhs) + 2 + i} in the equation string, subscripts must be in [a-zA-Z]"
                )
            i += 1
    out_num_dim = n_dims
    if not ell_in_output:
        ell_index = n_dims
        n_dims += ell_num_dim
    for s in range(2 * _LETTERS):
        if label_count[s] > 0 and perm_index[s] == -1:
            perm_index[s] = n_dims
            n_dims += 1

    aligned, dim_counts = _align(operands, op_labels, perm_index, n_dims, ell_index, ell_num_dim)

    # contract left to right; a dim is summed once only one operand has it
    ops = aligned
    while len(ops) > 1:
        a, b = ops[0], ops[1]
        ops = ops[2:]
        sum_dims, a_sum, b_sum = [], [], []
        for d in range(out_num_dim, n_dims):
            if a.shape[d] != 1 and b.shape[d] != 1:
                dim_counts[d] -= 1
                if dim_counts[d] == 1:
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if a.shape[d] != 1:
                    a_sum.append(d)
                    dim_counts[d] = 0
                elif b.shape[d] != 1:
                    b_sum.append(d)
                    dim_counts[d] = 0
        if a_sum:
            a = a.sum(a_sum, keepdim=True)
        if b_sum:
            b = b.sum(b_sum, keepdim=True)
        ops.insert(0, _sum_product(a, b, sum_dims))

    result = ops[0]
    if n_dims > out_num_dim:
        if len(operands) > 1:
            # every summed dim has size 1 by now
            return result.view(*result.shape[:out_num_dim])
        return result.sum(list(range(out_num_dim, n_dims)))
    return result


def _align(operands, op_labels, perm_index, n_dims, ell_index, ell_num_dim):
    """Each operand as a view of n_dims dims in the common order (diagonals
    for repeated labels, size-1 dims for missing ones), and per dim how many
    operands have it with a size other than 1."""
    label_size = [1] * (2 * _LETTERS)
    ell_sizes = [1] * ell_num_dim
    dim_counts = [0] * n_dims
    aligned = []
    for i, (op, labels) in enumerate(zip(operands, op_labels)):
        permutation = [-1] * n_dims
        dim = 0
        for s in labels:
            if s == _ELLIPSIS:
                covered = op.dim() - (len(labels) - 1)
                for j in range(ell_num_dim - covered, ell_num_dim):
                    size = op.shape[dim]
                    if size != 1:
                        if ell_sizes[j] not in (1, size):
                            raise RuntimeError(
                                f"einsum(): dimension {dim} covered by ellipsis in operand {i}has size {size} which does not broadcast with previously seen ellipsis with size {ell_sizes[j]} for the respective dimension"
                            )
                        ell_sizes[j] = size
                        dim_counts[ell_index + j] += 1
                    permutation[ell_index + j] = dim
                    dim += 1
            elif permutation[perm_index[s]] == -1:
                size = op.shape[dim]
                if size != 1:
                    if label_size[s] not in (1, size):
                        raise RuntimeError(
                            f"einsum(): subscript {_letter(s)} has size {size} for operand {i} which does not broadcast with previously seen size {label_size[s]}"
                        )
                    label_size[s] = size
                    dim_counts[perm_index[s]] += 1
                permutation[perm_index[s]] = dim
                dim += 1
            else:
                prev = permutation[perm_index[s]]
                if op.shape[dim] != op.shape[prev]:
                    raise RuntimeError(
                        f"einsum(): subscript {_letter(s)} is repeated for operand {i} but the sizes don't match, {op.shape[dim]} != {op.shape[prev]}"
                    )
                op = op.diagonal(0, prev, dim).movedim(-1, prev)
        for k in range(n_dims):
            if permutation[k] == -1:
                op = op.unsqueeze(dim)
                permutation[k] = dim
                dim += 1
        aligned.append(op.permute(*permutation))
    return aligned, dim_counts


def _sum_product(left, right, sum_dims):
    """(left * right).sum(sum_dims, keepdim=True) of two aligned operands,
    as one bmm over [shared, left-only, summed] x [shared, summed, right-only]."""
    if not sum_dims:
        return left * right
    shared, left_only, right_only = [], [], []
    sum_size = 1
    for d in range(left.dim()):
        in_left, in_right = left.shape[d] != 1, right.shape[d] != 1
        if d in sum_dims:
            if in_left and in_right:
                if left.shape[d] != right.shape[d]:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= left.shape[d]
            elif in_left:
                left = left.sum(d, keepdim=True)
            elif in_right:
                right = right.sum(d, keepdim=True)
        elif in_left and in_right:
            if left.shape[d] != right.shape[d]:
                raise RuntimeError("non-broadcast dimensions must match")
            shared.append(d)
        elif in_left:
            left_only.append(d)
        else:
            right_only.append(d)

    def size(t, dims):
        n = 1
        for d in dims:
            n *= t.shape[d]
        return n

    shared_size, left_size, right_size = size(left, shared), size(left, left_only), size(right, right_only)
    out_size = [left.shape[d] for d in shared] + [left.shape[d] for d in left_only] + [1] * len(sum_dims) + [right.shape[d] for d in right_only]
    order = shared + left_only + list(sum_dims) + right_only
    back = [0] * len(order)
    for position, d in enumerate(order):
        back[d] = position
    a = left.permute(*(shared + left_only + list(sum_dims) + right_only)).reshape(shared_size, left_size, sum_size)
    b = right.permute(*(shared + list(sum_dims) + right_only + left_only)).reshape(shared_size, sum_size, right_size)
    return a.bmm(b).view(*out_size).permute(*back)


def tensordot(a, b, dims=2):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a = list(range(a.dim() - dims, a.dim()))
        dims_b = list(range(dims))
        # PyTorch names the first tensor's contracted dims from the end
        shown_a, shown_b = list(range(-dims, 0)), dims_b
    else:
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, numbers.Integral) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, numbers.Integral) else list(dims_b)
        shown_a, shown_b = dims_a, dims_b
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    dims_a = [d % a.dim() if a.dim() else d for d in dims_a]
    dims_b = [d % b.dim() if b.dim() else d for d in dims_b]
    t1, t2 = a, b
    contracted = 1
    for x, y, shown_x, shown_y in zip(dims_a, dims_b, shown_a, shown_b):
        s1, s2 = a.shape[x], b.shape[y]
        if s2 == 1:  # a broadcast dim is summed at once
            t1 = t1.sum(x, keepdim=True)
        elif s1 == 1:
            t2 = t2.sum(y, keepdim=True)
        elif s1 != s2:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {s1} in dim {shown_x} and second has size {s2} in dim {shown_y}"
            )
        else:
            contracted *= s1
    free_a = [d for d in range(a.dim()) if d not in dims_a]
    free_b = [d for d in range(b.dim()) if d not in dims_b]
    rows = cols = 1
    for d in free_a:
        rows *= t1.shape[d]
    for d in free_b:
        cols *= t2.shape[d]
    sizes = [t1.shape[d] for d in free_a] + [t2.shape[d] for d in free_b]
    if rows == 1 and cols == 1:
        # one output element: a dot product, as PyTorch does it
        left = t1.permute(*free_a, *dims_a).reshape(contracted)
        right = t2.permute(*dims_b, *free_b).reshape(contracted)
        return left.dot(right).reshape(sizes)
    left = t1.permute(*free_a, *dims_a).reshape(rows, contracted)
    right = t2.permute(*dims_b, *free_b).reshape(contracted, cols)
    return left.mm(right).reshape(*sizes)
