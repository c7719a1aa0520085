"""``autorust.nn.functional``: the stateless layers, as ``torch.nn.functional``.

This module is the facade; each concept lives in its own file:

- ``_activations``: relu, gelu, softmax and the other activations
- ``_linear``: linear, bilinear
- ``_losses``: regression, likelihood and classification losses;
  ``_margin_losses``: the margin and ranking losses; ``_ctc_loss``;
  ``_linear_cross_entropy``; ``_reduction``: their ``reduction`` argument
- ``_dropout``: dropout and its channel-wise and alpha variants
- ``_distance``: normalize, cosine_similarity, pairwise_distance, pdist
- ``_conv_pool``: 2-d convolution (and transposed), pooling, fold/unfold, pad;
  ``_conv_pool_1d``: the 1-d forms; ``_volumetric``: the 3-d forms;
  ``_adaptive_max``, ``_fractional_pool``, ``_pool_extra``: more pooling;
  ``_conv_tbc``
- ``_normalization``: batch, layer, group, instance and RMS norm
- ``_attention``: scaled_dot_product_attention, multi_head_attention_forward
- ``_embedding``, ``_embedding_bag``: lookups and one_hot
- ``_interpolate``, ``_grid_sample``, ``_shuffle``: resampling and rearranging

Where PyTorch has a fused op, the result's grad_fn carries the fused op's
name. The in-place aliases (``F.elu_``, ``F.threshold_``, ...) are attached
by ``autorust._inplace_functions``."""

from .._native import Tensor as Tensor  # (torch.nn.functional.Tensor)
from ._activations import (
    celu,
    elu,
    gelu,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
)
from ._adaptive_max import adaptive_max_pool2d, adaptive_max_pool2d_with_indices, adaptive_max_pool3d, adaptive_max_pool3d_with_indices
from ._attention import multi_head_attention_forward, scaled_dot_product_attention
from ._conv_pool import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv2d,
    conv_transpose2d,
    fold,
    max_pool2d,
    max_pool2d_with_indices,
    pad,
    unfold,
)
from ._conv_pool_1d import (
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    avg_pool1d,
    conv1d,
    conv_transpose1d,
    max_pool1d,
    max_pool1d_with_indices,
)
from ._conv_tbc import conv_tbc
from ._ctc_loss import ctc_loss
from ._distance import cosine_similarity, normalize, pairwise_distance, pdist
from ._dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout
from ._embedding import embedding, one_hot
from ._embedding_bag import embedding_bag
from ._fractional_pool import fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d, fractional_max_pool3d_with_indices
from ._grid_sample import affine_grid, grid_sample
from ._interpolate import interpolate, upsample, upsample_bilinear, upsample_nearest
from ._linear import bilinear, linear
from ._linear_cross_entropy import linear_cross_entropy
from ._losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
)
from ._margin_losses import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ._normalization import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from ._pool_extra import local_response_norm, lp_pool1d, lp_pool2d, max_unpool1d, max_unpool2d
from ._shuffle import channel_shuffle, native_channel_shuffle, pixel_shuffle, pixel_unshuffle
from ._volumetric import adaptive_avg_pool3d, avg_pool3d, conv3d, conv_transpose3d, lp_pool3d, max_pool3d, max_pool3d_with_indices, max_unpool3d

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices",
    "affine_grid",
    "alpha_dropout",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "channel_shuffle",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_tbc",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "ctc_loss",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "elu",
    "embedding",
    "embedding_bag",
    "feature_alpha_dropout",
    "fold",
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
    "gaussian_nll_loss",
    "gelu",
    "glu",
    "grid_sample",
    "group_norm",
    "gumbel_softmax",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hinge_embedding_loss",
    "huber_loss",
    "instance_norm",
    "interpolate",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "linear_cross_entropy",
    "local_response_norm",
    "log_softmax",
    "logsigmoid",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "margin_ranking_loss",
    "max_pool1d",
    "max_pool1d_with_indices",
    "max_pool2d",
    "max_pool2d_with_indices",
    "max_pool3d",
    "max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "mish",
    "mse_loss",
    "multi_head_attention_forward",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "native_channel_shuffle",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "pdist",
    "pixel_shuffle",
    "pixel_unshuffle",
    "poisson_nll_loss",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "rms_norm",
    "rrelu",
    "scaled_dot_product_attention",
    "selu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "soft_margin_loss",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "unfold",
    "upsample",
    "upsample_bilinear",
    "upsample_nearest",
]
