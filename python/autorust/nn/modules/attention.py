"""``MultiheadAttention`` with PyTorch's parameters (packed in_proj_weight /
in_proj_bias, out_proj) and initialisation (Xavier-uniform in_proj, zero
biases, out_proj as a Linear with a zeroed bias)."""

import math

from ... import _creation
from .. import functional as F, init
from ..parameter import Parameter
from .linear import Linear
from .module import Module


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for MultiheadAttention's output projection (a Linear)."""


class MultiheadAttention(Module):
    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) or (vdim not in (None, embed_dim)):
            raise NotImplementedError("MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim != embed_dim are not supported by autorust")
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = Parameter(_creation.empty(3 * embed_dim, embed_dim, device=device, dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(_creation.empty(3 * embed_dim, device=device, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        init.xavier_uniform_(self.in_proj_weight)
        if bias:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, average_attn_weights=True, is_causal=False):
        batched = query.dim() == 3
        q, k, v = (t if batched else t.unsqueeze(1 if not self.batch_first else 0) for t in (query, key, value))
        if self.batch_first:
            q, k, v = (t.transpose(0, 1) for t in (q, k, v))  # [L, N, E]
        L, N, E = q.shape
        S = k.shape[0]
        w, b = self.in_proj_weight, self.in_proj_bias
        wq, wk, wv = w.chunk(3, 0)
        bq, bk, bv = b.chunk(3, 0) if b is not None else (None, None, None)
        h, d = self.num_heads, self.head_dim

        def heads(x, n):  # [n, N, E] -> [N, h, n, d]
            return x.reshape(n, N, h, d).permute(1, 2, 0, 3)

        qh, kh, vh = heads(F.linear(q, wq, bq), L), heads(F.linear(k, wk, bk), S), heads(F.linear(v, wv, bv), S)
        scores = (qh @ kh.transpose(-2, -1)) / math.sqrt(d)  # [N, h, L, S]
        if attn_mask is not None:
            m = attn_mask if attn_mask.dim() == 2 else attn_mask.reshape(N, h, L, S)
            scores = scores + m if m.dtype.is_floating_point else scores.masked_fill(m, float("-inf"))
        if is_causal and attn_mask is None:
            causal = _creation.ones(L, S, device=q.device).triu(1).to(bool)
            scores = scores.masked_fill(causal, float("-inf"))
        if key_padding_mask is not None:
            kpm = key_padding_mask.reshape(N, 1, 1, S)
            scores = scores + kpm if kpm.dtype.is_floating_point else scores.masked_fill(kpm, float("-inf"))
        weights = scores.softmax(-1)
        if self.dropout > 0 and self.training:
            weights = F.dropout(weights, self.dropout)
        out = (weights @ vh).permute(2, 0, 1, 3).reshape(L, N, E)
        out = self.out_proj(out)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(1 if not self.batch_first else 0)
        if not need_weights:
            return out, None
        attn = weights.mean(1) if average_attn_weights else weights
        if not batched:
            attn = attn.squeeze(0)
        return out, attn
