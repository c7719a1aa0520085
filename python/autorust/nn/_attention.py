"""``F.multi_head_attention_forward``: multi-head attention as PyTorch
computes it, step for step, so that the numbers and the graph a PyTorch
program sees (ViewBackward0 over AddmmBackward0 over the fused attention
or the bmm/softmax chain, SelectBackward0 into the packed projection)
are the same. ``need_weights`` takes the explicit bmm/softmax route and
returns the weights; without it the heads go through
``scaled_dot_product_attention``.

Masks follow PyTorch's conventions: a bool ``attn_mask`` or
``key_padding_mask`` marks positions that may *not* be attended (turned
into -inf additive masks), a float one is added to the scores."""

import math

from .. import _creation, _native
from .._dtype import bool_ as bool_dtype
from ._conv_pool import pad
from ._dropout import dropout
from ._linear import linear


def _canonical_mask(mask, name, target_dtype):
    """A bool mask as an additive float mask (-inf where True); float masks
    as they are."""
    if mask is None:
        return None
    if mask.dtype != bool_dtype and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if mask.dtype.is_floating_point:
        return mask
    return _creation.zeros_like(mask, dtype=target_dtype).masked_fill_(mask, float("-inf"))


def _is_batched(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the inputs are batched (3-D) or one sequence (2-D), checking
    that the others agree (PyTorch's messages)."""
    nd = query.dim()
    if nd not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {nd}-D query tensor")
    kind = "batched (3-D)" if nd == 3 else "unbatched (2-D)"
    if key.dim() != nd or value.dim() != nd:
        raise AssertionError(
            f"For {kind} `query`, expected `key` and `value` to be {nd}-D but found {key.dim()}-D and {value.dim()}-D tensors respectively"
        )
    if key_padding_mask is not None and key_padding_mask.dim() != nd - 1:
        raise AssertionError(
            f"For {kind} `query`, expected `key_padding_mask` to be `None` or {nd - 1}-D but found {key_padding_mask.dim()}-D tensor instead"
        )
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor instead")
        if nd == 2 and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
    return nd == 3


def _split_packed(proj, parts, embed_dim):
    """The packed projection [..., parts * E] as `parts` tensors [..., E]
    (PyTorch's unflatten/transpose/contiguous, then one select each)."""
    proj = proj.unflatten(-1, (parts, embed_dim)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
    return [proj[i] for i in range(parts)]


def _in_projection_packed(q, k, v, w, b):

    embed_dim = q.shape[-1]
    if k is v:
        if q is k:  # self-attention: one GEMM for all three
            return _split_packed(linear(q, w, b), 3, embed_dim)
        w_q, w_kv = w.split([embed_dim, 2 * embed_dim])
        b_q, b_kv = b.split([embed_dim, 2 * embed_dim]) if b is not None else (None, None)
        return [linear(q, w_q, b_q)] + _split_packed(linear(k, w_kv, b_kv), 2, embed_dim)
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = b.chunk(3) if b is not None else (None, None, None)
    return [linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)]


def _in_projection(q, k, v, weights, biases):

    eq = q.shape[-1]
    for name, w, x in zip(("query", "key", "value"), weights, (q, k, v)):
        if tuple(w.shape) != (eq, x.shape[-1]):
            raise AssertionError(f"expecting {name} weights shape of {(eq, x.shape[-1])}, but got {w.shape}")
    for name, b in zip(("query", "key", "value"), biases):
        if b is not None and tuple(b.shape) != (eq,):
            raise AssertionError(f"expecting {name} bias shape of {(eq,)}, but got {b.shape}")
    return [linear(x, w, b) for x, w, b in zip((q, k, v), weights, biases)]


def _heads(x, batch_heads, head_dim):
    """[S, N, E] -> [N * heads, S, head_dim]."""
    return x.view(x.shape[0], batch_heads, head_dim).transpose(0, 1)


def multi_head_attention_forward(
    query,
    key,
    value,
    embed_dim_to_check,
    num_heads,
    in_proj_weight,
    in_proj_bias,
    bias_k,
    bias_v,
    add_zero_attn,
    dropout_p,
    out_proj_weight,
    out_proj_bias,
    training=True,
    key_padding_mask=None,
    need_weights=True,
    attn_mask=None,
    use_separate_proj_weight=False,
    q_proj_weight=None,
    k_proj_weight=None,
    v_proj_weight=None,
    static_k=None,
    static_v=None,
    average_attn_weights=True,
    is_causal=False,
):
    from .. import _native

    batched = _is_batched(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        # the hint replaces the mask: attention takes its causal path
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}")
        biases = in_proj_bias.chunk(3) if in_proj_bias is not None else (None, None, None)
        q, k, v = _in_projection(query, key, value, (q_proj_weight, k_proj_weight, v_proj_weight), biases)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be {(bsz * num_heads, tgt_len, src_len)}.")

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key." if static_k is not None else "bias cannot be added to static value.")
        k = _native.cat([k, bias_k.repeat(1, bsz, 1)], 0)
        v = _native.cat([v, bias_v.repeat(1, bsz, 1)], 0)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k is set but bias_v is None" if bias_k is not None else "bias_v is set but bias_k is None")

    batch_heads = bsz * num_heads
    q = _heads(q, batch_heads, head_dim)
    k = _heads(k, batch_heads, head_dim) if static_k is None else _static(static_k, "static_k", batch_heads, head_dim)
    v = _heads(v, batch_heads, head_dim) if static_v is None else _static(static_v, "static_v", batch_heads, head_dim)

    if add_zero_attn:
        zeros_shape = (batch_heads, 1, head_dim)
        k = _native.cat([k, _creation.zeros(zeros_shape, dtype=k.dtype, device=k.device)], 1)
        v = _native.cat([v, _creation.zeros(zeros_shape, dtype=v.dtype, device=v.device)], 1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))

    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got {key_padding_mask.shape}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(batch_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(q.shape[-1]))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            weights = attn_mask.baddbmm(q_scaled, k.transpose(-2, -1))
        else:
            weights = q_scaled.bmm(k.transpose(-2, -1))
        weights = weights.softmax(dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = weights.bmm(v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias)
        out = out.view(tgt_len, bsz, out.shape[1])
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.shape[1])
    if not batched:
        out = out.squeeze(1)
    return out, None


def _static(t, name, batch_heads, head_dim):
    if t.shape[0] != batch_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch_heads}, but got {t.shape[0]}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")
    return t


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    from .._creation import ones

    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    L, S = query.shape[-2], key.shape[-2]
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    fused = _fused_attention(query, key, value, attn_mask, dropout_p, is_causal, s, enable_gqa)
    if fused is not None:
        return fused
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        # grouped-query attention: each key/value head serves a group of query heads
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if kv_heads == 0 or heads % kv_heads or value.shape[-3] != kv_heads:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
        key = key.repeat_interleave(heads // kv_heads, -3)
        value = value.repeat_interleave(heads // kv_heads, -3)
    scores = (query @ key.transpose(-2, -1)) * s
    if is_causal:
        causal = ones(L, S, device=query.device).tril().to(bool)
        scores = scores.masked_fill(~causal, float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype.is_floating_point:
            scores = scores + attn_mask
        else:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
    weights = scores.softmax(-1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return weights @ value


def _fused_attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    """PyTorch's CPU flash attention: one fused node over 4-D query, key
    and value (3-D ones unsqueezed to 4-D and the result squeezed back, as
    PyTorch does), without dropout; None where it does not apply."""
    if dropout_p > 0.0 or enable_gqa or query.dim() not in (3, 4) or key.dim() != query.dim() or value.dim() != query.dim():
        return None
    mask = attn_mask
    if mask is not None and not mask.dtype.is_floating_point:
        # True marks the keys a query may attend: an additive 0 / -inf mask
        from .._creation import zeros

        mask = zeros(mask.shape, dtype=query.dtype, device=mask.device).masked_fill(mask.logical_not(), float("-inf"))
    if query.dim() == 3:
        out = _native._attention(query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0), mask, is_causal, scale)
        return None if out is None else out.squeeze(0)
    return _native._attention(query, key, value, mask, is_causal, scale)
