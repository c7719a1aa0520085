"""The ops the generated programs call, as expression templates.

A template names its main input `{x}` and may use other placeholders that
`Filler` resolves against `{x}`'s shape: `{y}`/`{z}` (tensors that
broadcast with `{x}`), `{d}`/`{d2}` (dims), `{dims}`, `{shape}`, `{perm}`,
`{k}`, `{i}`, `{idx}`, `{gidx}`, `{mask}`, `{bshape}`, `{sl}`, `{w}` (a
positive float tensor of `{x}`'s shape). The requirement before the colon
says what `{x}` must be: `f` float, `i` int64, `b` bool, `a` any dtype,
then optionally the least rank (`f2` = float with ndim >= 2).
Templates PyTorch refuses for some input are fine: the builder keeps only
what runs, so a template is a proposal, not a promise.
"""

UNARY = """
f: T.abs({x})
f: {x}.abs()
a: -{x}
f: T.neg({x})
f: {x}.exp()
f: T.exp({x})
f: T.log({x}.abs() + 0.5)
f: ({x}.abs() + 0.1).log()
f: T.log1p({x}.abs())
f: {x}.expm1()
f: T.sqrt({x}.abs() + 0.1)
f: ({x}.abs() + 0.2).rsqrt()
f: {x}.sin()
f: T.cos({x})
f: T.tan({x} * 0.3)
f: {x}.tanh()
f: T.sigmoid({x})
f: {x}.sigmoid()
f: {x}.relu()
f: T.relu({x})
f: {x}.square()
f: ({x}.abs() + 0.5).reciprocal()
f: {x}.floor()
f: {x}.ceil()
f: {x}.round()
f: T.round({x}, decimals=1)
f: {x}.trunc()
f: {x}.frac()
a: {x}.sign()
f: T.erf({x})
f: T.erfc({x})
f: T.erfinv(T.tanh({x}) * 0.9)
f: T.exp2({x})
f: T.log2({x}.abs() + 0.5)
f: T.log10({x}.abs() + 0.5)
f: {x}.sinh()
f: {x}.cosh()
f: T.asin(T.tanh({x}) * 0.9)
f: T.acos(T.tanh({x}) * 0.9)
f: T.atan({x})
f: T.asinh({x})
f: T.acosh({x}.abs() + 1.5)
f: T.atanh(T.tanh({x}) * 0.9)
f: T.sinc({x})
f: T.logit(T.sigmoid({x}) * 0.9 + 0.05)
f: T.logit(T.sigmoid({x}), eps=0.2)
f: T.deg2rad({x})
f: T.rad2deg({x})
f: T.lgamma({x}.abs() + 0.5)
f: T.digamma({x}.abs() + 0.5)
f: {x}.pow(2)
f: {x} ** 3
a: {x} ** 2
f: ({x}.abs() + 0.1) ** 0.5
f: ({x}.abs() + 0.5) ** -1.5
f: 2 ** {x}
f: T.pow(2.5, {x})
f: {x}.pow(0)
f: {x}.clamp(-0.5, 0.5)
f: {x}.clamp(min=0.1)
f: T.clamp({x}, max=0.3)
f: {x}.clamp_min(0.0)
f: {x}.clamp_max(1.0)
f: {x}.clip(-1, 1)
a: T.clamp({x}, min=-1, max=2)
f: T.nan_to_num({x})
f: {x}.positive()
f: {x}.sgn()
f: T.xlogy({x}.abs(), {x}.abs() + 1)
f: F.relu({x})
f: F.relu6({x} * 4)
f: F.elu({x})
f: F.elu({x}, alpha=0.5)
f: F.selu({x})
f: F.celu({x}, 1.5)
f: F.gelu({x})
f: F.gelu({x}, approximate='tanh')
f: F.silu({x})
f: F.mish({x})
f: F.softplus({x})
f: F.softplus({x}, beta=2, threshold=1)
f: F.softsign({x})
f: F.tanhshrink({x})
f: F.hardtanh({x})
f: F.hardtanh({x}, -0.5, 0.5)
f: F.hardsigmoid({x} * 4)
f: F.hardswish({x} * 4)
f: F.leaky_relu({x})
f: F.leaky_relu({x}, 0.2)
f: F.logsigmoid({x})
f: F.softshrink({x}, 0.5)
f: F.hardshrink({x}, 0.5)
f: F.threshold({x}, 0.1, -1.0)
f: F.rrelu({x}, training=False)
f: F.sigmoid({x})
f: F.tanh({x})
f: T.nn.functional.relu({x}) * 2
f: F.dropout({x}, 0.0)
f: F.dropout({x}, 0.4, training=False)
f: F.dropout({x}, 0.3)
f: F.alpha_dropout({x}, 0.2, training=False)
f: {x}.float()
f: {x}.double()
f: {x}.to(T.float64)
f: {x}.to(dtype=T.float32)
f: {x}.type(T.float64)
a: {x}.long()
a: {x}.bool()
a: {x}.float()
f: {x}.clone()
f: {x}.contiguous()
f: {x}.detach()
f: {x} * 1
f: {x}.requires_grad_(False) if {x}.is_leaf else {x}.detach()
f: T.where({x} > 0, {x}, {x} * 0.1)
f: T.where({x} > 0.5, {x}.exp(), 0.0)
f: {x}.masked_fill({x} < 0, 0.0)
f: {x}.masked_fill({mask}, -1.0)
f: {x}.lerp({x}.exp(), 0.3)
f: {x}.addcmul({x}, {x}, value=0.5)
f: T.heaviside({x}, {x}.abs())
f: T.signbit({x})
f: T.isnan({x})
f: {x}.isfinite()
a: {x}.eq(0)
a: {x} > 0
a: {x} <= 1
a: {x} != 1
a: T.logical_not({x})
i: {x} // 2
i: {x} % 3
i: {x} * 3
i: {x} + True
i: {x} / 2
i: {x}.abs()
i: {x} & 3
i: {x} | 1
i: {x} ^ 2
i: ~{x}
i: {x} << 1
i: {x} >> 1
i: {x}.float() * 0.5
b: ~{x}
b: {x} & {x}.flip(-1) if {x}.dim() else {x}
b: {x}.int() if False else {x}.long()
b: {x}.float() - 0.5
b: T.where({x}, 1.0, -1.0)
"""

BINARY = """
a: {x} + {y}
a: T.add({x}, {y}, alpha=2)
a: {x} - {y}
f: T.sub({x}, {y}, alpha=0.5)
a: {x} * {y}
a: T.mul({x}, {y})
f: {x} / ({y}.abs() + 0.5)
a: {x} / 2
f: T.div({x}, {y}.abs() + 0.5, rounding_mode='floor')
f: T.div({x}, {y}.abs() + 0.5, rounding_mode='trunc')
a: T.true_divide({x}, 4)
f: T.pow({x}.abs() + 0.5, {y})
f: {x}.abs().pow({y}.abs())
f: T.atan2({x}, {y})
f: T.arctan2({y}, {x})
a: T.maximum({x}, {y})
a: T.minimum({x}, {y})
f: T.fmax({x}, {y})
f: T.fmin({x}, {y})
a: T.max({x}, {y})
a: T.min({x}, {y})
f: T.remainder({x}, {y}.abs() + 0.5)
f: {x} % ({y}.abs() + 0.5)
f: T.fmod({x}, {y}.abs() + 0.5)
f: {x} // ({y}.abs() + 0.5)
f: T.hypot({x}, {y})
f: T.logaddexp({x}, {y})
f: T.logaddexp2({x}, {y})
f: T.copysign({x}, {y})
f: T.xlogy({x}, {y}.abs() + 0.5)
f: T.lerp({x}, {y}, 0.3)
f: T.lerp({x}, {y}, T.sigmoid({y}))
f: T.addcmul({x}, {y}, {z}, value=0.5)
f: T.addcdiv({x}, {y}, {z}.abs() + 1, value=-0.5)
a: {x} > {y}
a: T.eq({x}, {y})
a: {x}.ne({y})
a: T.ge({x}, {y})
a: {x} < {y}
f: T.where({x} > {y}, {x}, {y})
f: T.where({y} > 0, {x}, 0.0)
f: T.where({x} < 0, 1.0, {y})
a: T.logical_and({x}, {y})
a: T.logical_or({x}, {y})
a: T.logical_xor({x}, {y})
f: T.isclose({x}, {y})
f: T.dist({x}, {y})
f: T.dist({x}, {y}, p=1)
f: F.mse_loss({x}, {x2})
f: F.mse_loss({x}, {x2}, reduction='sum')
f: F.l1_loss({x}, {x2})
f: F.l1_loss({x}, {x2}, reduction='none')
f: F.smooth_l1_loss({x}, {x2}, beta=0.5)
f: F.huber_loss({x}, {x2}, delta=0.5)
f: F.binary_cross_entropy(T.sigmoid({x}), T.sigmoid({x2}))
f: F.binary_cross_entropy(T.sigmoid({x}), T.sigmoid({x2}).detach(), weight={w})
f: F.binary_cross_entropy_with_logits({x}, T.sigmoid({x2}))
f: F.binary_cross_entropy_with_logits({x}, T.sigmoid({x2}), reduction='sum')
f: F.soft_margin_loss({x}, {x2}.sign())
f: F.poisson_nll_loss({x}, {x2}.abs())
f: F.gaussian_nll_loss({x}, {x2}, {w})
f: F.hinge_embedding_loss({x}, {x2}.sign())
f: F.margin_ranking_loss({x}, {x2}, {x2}.sign())
f: F.kl_div(F.log_softmax({x}, -1), F.softmax({x2}, -1), reduction='batchmean')
f: F.kl_div({x}, {x2}, reduction='sum', log_target=True)
f1: F.cosine_similarity({x}, {x2}, dim=-1)
f1: F.pairwise_distance({x}, {x2})
f1: F.triplet_margin_loss({x}, {x2}, {x2} * 0.5)
f1: F.cosine_embedding_loss({x}, {x2}, T.ones(1))
f1: T.cross({x}, {x2}, dim=-1) if {x}.shape[-1] == 3 else {x} * {x2}
"""

REDUCE = """
a: {x}.sum()
a: {x}.sum({d})
f: T.sum({x}, dim={d}, keepdim=True)
f2: {x}.sum({dims})
a: {x}.sum(dtype=T.float64)
f: {x}.mean()
f: {x}.mean({d})
f2: T.mean({x}, {dims}, keepdim=True)
a: {x}.prod()
f: {x}.prod({d})
a: {x}.amax({d})
f: {x}.amin({dims}) if {x}.dim() else {x}.amin()
a: {x}.max()
f: {x}.min()
f: {x}.max({d})[0]
f: {x}.max(dim={d}).values
f: {x}.min({d}, keepdim=True)[0]
a: {x}.max({d}).indices
f: {x}.argmax({d})
f: {x}.argmin()
f: {x}.var({d})
f: {x}.var({d}, unbiased=False)
f: {x}.var({d}, correction=0)
f: {x}.std()
f: T.std({x}, {d}, keepdim=True)
f: T.std_mean({x}, {d})
f: T.var_mean({x})
f: {x}.norm()
f: {x}.norm(p=1, dim={d})
f: T.norm({x}, 3)
f: {x}.norm(dim={d}, keepdim=True)
f: T.linalg.vector_norm({x}, ord=float('inf'))
f: T.linalg.vector_norm({x}, 1.5, dim={d})
f: {x}.logsumexp({d})
a: {x}.cumsum({d})
f: {x}.cumprod({d})
f: T.cummax({x}, {d})[0]
f: T.cummin({x}, {d}).values
f: T.logcumsumexp({x}, {d})
f: {x}.softmax({d})
f: F.softmax({x}, dim={d})
f: F.log_softmax({x}, dim={d})
f: F.softmin({x}, {d})
f: {x}.log_softmax({d})
f: {x}.median()
f: {x}.median({d})[0]
f: T.nanmedian({x})
f: T.nansum({x})
f: T.nanmean({x}, {d})
a: {x}.all()
a: {x}.any({d})
a: T.count_nonzero({x}, {d})
f: T.aminmax({x})[1]
f: {x}.kthvalue(1, {d})[0]
f: T.quantile({x}, 0.3, dim={d})
f: T.quantile({x}, 0.75)
a: {x}.sort({d})[0]
f: {x}.sort({d}, descending=True)[1]
f: {x}.sort(dim={d}, stable=True).values
a: {x}.argsort({d})
f: {x}.topk({k}, {d})[0]
f: {x}.topk({k}, {d}, largest=False).values
f: T.msort({x})
f1: F.layer_norm({x}, {x}.shape[-1:])
f2: F.layer_norm({x}, {x}.shape[-2:], eps=1e-3)
f1: F.normalize({x}, dim={d})
f1: F.normalize({x}, p=1, dim={d})
f1: F.glu({x}, {d})
f1: T.diff({x}, dim={d})
f1: T.trapezoid({x}, dim={d})
f1: T.cumulative_trapezoid({x}, dim={d})
f: {x}.mode({d})[0]
f2: T.trace({x})
f: T.mean({x}, dtype=T.float64)
"""

SHAPE = """
a: {x}.reshape({shape})
a: {x}.view(-1)
f: {x}.view({shape})
a: {x}.flatten()
f2: T.flatten({x}, 1)
f: {x}.ravel()
a2: {x}.t()
f2: {x}.mT
f: {x}.t() if {x}.dim() < 2 else {x}.transpose(0, 1)
a2: {x}.transpose({d}, {d2})
f2: T.swapaxes({x}, {d}, {d2})
a: {x}.permute({perm})
f: T.permute({x}, {perm})
a: {x}.unsqueeze({d1})
f: T.unsqueeze({x}, -1)
a: {x}.squeeze()
f: {x}.squeeze({d})
a: {x}.expand({bshape})
f: {x}.expand_as(T.zeros({bshape}))
f: {x}.broadcast_to({bshape})
a1: {x}{sl}
f1: {x}{sl}
f1: {x}[..., {i}]
f1: {x}[None]
f1: {x}.narrow({d}, 0, {k})
f1: {x}.select({d}, {i})
f1: {x}.chunk(2, {d})[0]
f1: T.chunk({x}, 3, {d})[-1]
f1: {x}.split(2, {d})[-1]
f1: T.split({x}, [1, {x}.shape[{d}] - 1], {d})[1]
f1: {x}.tensor_split(2, {d})[1]
f1: {x}.unbind({d})[0]
f1: T.unbind({x})[-1]
a1: {x}.flip({d})
f1: T.flip({x}, {dims})
f1: T.roll({x}, 1, {d})
f: T.roll({x}, 2)
f: {x}.repeat(2, 1)
f1: {x}.repeat({reps})
f: {x}.tile((2,))
a: T.cat([{x}, {x}], {d})
f1: T.cat([{x}, {x} * 2, {x}.exp()], dim={d})
f: T.concat([{x}.flatten(), {x}.flatten()])
f: T.stack([{x}, {x} * 2], {d1})
f: T.stack([{x}, {x}])
f1: T.hstack([{x}, {x}])
f1: T.vstack([{x}, {x}])
f2: T.movedim({x}, {d}, {d2})
f2: {x}.diagonal()
f2: T.diagonal({x}, 1, {d}, {d2})
f2: T.tril({x})
f2: T.triu({x}, 1)
f2: {x}.tril(-1)
f1: T.diag({x}) if {x}.dim() <= 2 else {x}
f1: T.diag_embed({x})
f1: {x}.index_select({d}, {idx})
f1: T.index_select({x}, {d}, {idx})
f1: {x}.gather({d}, {gidx})
f1: T.gather({x}, {d}, {gidx})
f1: T.take_along_dim({x}, {gidx}, {d})
f: {x}.masked_select({mask})
f: {x}[{mask}]
f: T.take({x}, {flatidx})
f1: {x}[{idx0}]
f2: {x}[{idx0}, :1]
f2: {x}[:, {idx1}]
f2: {x}[{idx0}, {idx1}]
f1: {x}.scatter({d}, {gidx}, 0.5)
f1: {x}.scatter_add({d}, {gidx}, {gsrc})
f1: {x}.scatter({d}, {gidx}, {gsrc})
f1: {x}.index_add({d}, {idx}, {isrc})
f1: {x}.index_add({d}, {idx}, {isrc}, alpha=2)
f1: {x}.index_fill({d}, {idx}, -1.0)
f1: {x}.index_copy({d}, {uidx}, {usrc})
f1: T.rot90({x}, 1, [0, -1]) if {x}.dim() >= 2 else {x}
f1: {x}.unflatten(-1, (1, {x}.shape[-1]))
f1: T.repeat_interleave({x}, 2, dim={d})
f1: {x}.unfold({d}, 1, 1)
f: T.atleast_2d({x})
f: T.atleast_3d({x})
f: {x}.view_as({x})
f1: T.einsum('...i->...', {x})
f2: T.einsum('...ij->...ji', {x})
f1: T.einsum('...i,...i->...', {x}, {x})
f1: T.narrow_copy({x}, {d}, 0, 1)
f1: T.select_scatter({x}, {x}.select({d}, 0) * 2, {d}, 0)
f1: T.slice_scatter({x}, {x}.narrow({d}, 0, 1) * 3, {d}, 0, 1)
f: T.clone({x}, memory_format=T.contiguous_format)
f1: T.fliplr({x}) if {x}.dim() >= 2 else T.flipud({x})
f1: T.column_stack([{x}, {x}])
f1: T.dstack([{x}, {x}])
f1: T.kron({x}, {x})
f: T.block_diag({x}.reshape(-1, 1), {x}.reshape(1, -1)) if {x}.numel() else {x}
f1: T.cartesian_prod({x}.flatten(), {x}.flatten()[:2])
f1: T.meshgrid({x}.flatten(), {x}.flatten()[:2], indexing='ij')[0]
f1: T.tensordot({x}, {x}, dims={x}.dim())
f1: T.outer({x}.flatten(), {x}.flatten())
f1: T.vander({x}.flatten(), 3)
"""

MATMUL = """
f: {x} @ {mat}
f: T.matmul({x}, {mat})
f: {x}.matmul({mat})
f: T.mm({x2d}, {mat2d})
f: {x2d}.mm({mat2d})
f: T.mv({x2d}, {vec})
f: T.addmm({bias}, {x2d}, {mat2d})
f: T.addmm({bias}, {x2d}, {mat2d}, beta=0.5, alpha=2)
f: F.linear({x}, {weight})
f: F.linear({x}, {weight}, {lbias})
f: T.bmm({x3d}, {mat3d})
f: T.baddbmm({bias3d}, {x3d}, {mat3d})
f: T.einsum('ij,jk->ik', {x2d}, {mat2d})
f: T.einsum('...ij,jk', {x2d}, {mat2d})
f: T.dot({x}.flatten(), {x}.flatten().flip(0))
f: T.inner({x}, {x})
f: T.addmv({lbias2}, {x2d}, {vec})
f: T.addr({outer0}, {vec0}, {vec})
f: T.chain_matmul({x2d}, {mat2d}) if False else T.linalg.multi_dot([{x2d}, {mat2d}])
f: F.bilinear({x2d}, {x2d}, {bil})
"""

# PyTorch's own spelling of each group, for reports
GROUPS = {"unary": UNARY, "binary": BINARY, "reduce": REDUCE, "shape": SHAPE, "matmul": MATMUL}


def parse(text):
    """[(requirement, template)] from a block of `req: template` lines."""
    out = []
    for line in text.strip().splitlines():
        req, _, tpl = line.partition(": ")
        out.append((req.strip(), tpl.strip()))
    return out


CATALOG = {name: parse(text) for name, text in GROUPS.items()}


def satisfies(req, t):
    """Whether tensor `t` may be the `{x}` of a template with requirement `req`."""
    kind, rank = req[0], int(req[1:] or 0)
    if t.dim() < rank:
        return False
    if kind == "a":
        return True
    if kind == "f":
        return t.dtype.is_floating_point
    if kind == "i":
        return str(t.dtype) == "torch.int64"
    if kind == "b":
        return str(t.dtype) == "torch.bool"
    raise ValueError(req)
