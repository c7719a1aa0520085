"""``Conv2d``: im2col + GEMM (see ``F.conv2d``), PyTorch's initialisation."""

from ... import _creation
from .. import functional as F
from .. import init
from .._conv_pool import _pair
from ..parameter import Parameter
from .module import Module


def _check_conv_arguments(in_channels, out_channels, groups, padding_mode, padding):
    """PyTorch's _ConvNd checks."""
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups:
        raise ValueError("out_channels must be divisible by groups")
    if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        raise ValueError(f"padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got padding_mode='{padding_mode}'")
    if isinstance(padding, str) and padding not in ("same", "valid"):
        raise ValueError(f"Invalid padding string {padding!r}, should be one of ['valid', 'same']")


class Conv2d(Module):
    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        _check_conv_arguments(in_channels, out_channels, groups, padding_mode, padding)
        if isinstance(padding, str) and padding == "same" and _pair(stride) != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride, "stride")
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding")
        self.dilation = _pair(dilation, "dilation")
        self.transposed = False
        self.output_padding = (0, 0)
        self.groups = groups
        self.padding_mode = padding_mode
        self._make_parameters(in_channels, out_channels, groups, bias, device, dtype)

    def _make_parameters(self, in_channels, out_channels, groups, bias, device, dtype):
        """weight [out, in / groups, *kernel_size] and bias, drawn as PyTorch's."""
        self.weight = Parameter(_creation.empty((out_channels, in_channels // groups) + self.kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_layer_init_(self.weight, self.bias, draw_bias_without_fan_in=False)

    def _explicit_padding(self):
        """(left, right) per spatial dim, last dim first (F.pad's order);
        'same' puts the odd element on the right, as PyTorch."""
        if self.padding == "valid":
            return (0, 0) * len(self.kernel_size)
        if self.padding == "same":
            out = ()
            for k, d in reversed(list(zip(self.kernel_size, self.dilation))):
                total = d * (k - 1)
                out += (total // 2, total - total // 2)
            return out
        out = ()
        for p in reversed(self.padding):
            out += (p, p)
        return out

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._explicit_padding(), mode=self.padding_mode)
            return F.conv2d(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(Conv2d):
    """A 1-d convolution: a Conv2d over [N, C, 1, L] with PyTorch's 1-d
    parameter shapes (weight [out, in / groups, k]) and initialisation."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        one = lambda v: v if isinstance(v, str) else (1, v[0] if isinstance(v, (tuple, list)) else v)  # noqa: E731
        pad = padding if isinstance(padding, str) else (0, padding[0] if isinstance(padding, (tuple, list)) else padding)
        super().__init__(in_channels, out_channels, one(kernel_size), one(stride), pad, one(dilation), groups, bias, padding_mode, device, dtype)
        # PyTorch's 1-d shapes: the weight drops the unit height (same draws)
        self.weight = type(self.weight)(self.weight.detach().squeeze(2))
        self.kernel_size, self.stride, self.dilation = self.kernel_size[1:], self.stride[1:], self.dilation[1:]
        self.padding = padding if isinstance(padding, str) else self.padding[1:]

    def forward(self, input):
        if self.padding_mode != "zeros":
            return F.conv1d(
                F.pad(input, self._explicit_padding(), mode=self.padding_mode), self.weight, self.bias, self.stride, 0, self.dilation, self.groups
            )
        return F.conv1d(
            input, self.weight, self.bias, self.stride, self.padding if isinstance(self.padding, str) else self.padding[0], self.dilation, self.groups
        )


class Conv3d(Conv2d):
    """A 3-d convolution (``F.conv3d``), weight [out, in / groups, kd, kh, kw],
    initialised as Conv2d's (the same draws for the same fan-in)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        Module.__init__(self)  # (not Conv2d's: its init would draw a 2-d weight)
        from .._volumetric import _triple

        _check_conv_arguments(in_channels, out_channels, groups, padding_mode, padding)
        if isinstance(padding, str) and padding == "same" and _triple(stride, "stride") != (1, 1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.transposed, self.padding_mode = False, padding_mode
        self.kernel_size = _triple(kernel_size, "kernel_size")
        self.stride, self.dilation = _triple(stride, "stride"), _triple(dilation, "dilation")
        self.padding = padding if isinstance(padding, str) else _triple(padding, "padding")
        self.output_padding = (0, 0, 0)
        self._make_parameters(in_channels, out_channels, groups, bias, device, dtype)

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._explicit_padding(), mode=self.padding_mode)
            return F.conv3d(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return F.conv3d(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(Module):
    """The adjoint of Conv2d (``F.conv_transpose2d``), weight [in, out / groups, kh, kw]."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose2d')
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride, "stride"), _pair(padding, "padding")
        self.output_padding, self.dilation = _pair(output_padding, "output_padding"), _pair(dilation, "dilation")
        self.transposed, self.padding_mode = True, padding_mode
        self.weight = Parameter(_creation.empty((in_channels, out_channels // groups) + self.kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_layer_init_(self.weight, self.bias, draw_bias_without_fan_in=False)

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation)

    def _output_padding(self, input, output_size):
        """``output_padding``, or the padding that gives ``output_size``
        (PyTorch's rule: each size between the smallest output and stride - 1
        more)."""
        if output_size is None:
            return self.output_padding
        spatial = len(self.kernel_size)
        non_spatial = 2 if input.dim() == spatial + 2 else 1
        output_size = list(output_size)
        if len(output_size) == non_spatial + spatial:
            output_size = output_size[non_spatial:]
        if len(output_size) != spatial:
            raise ValueError(
                f"ConvTranspose{spatial}D: for {input.dim()}D input, output_size must have {spatial} or "
                f"{non_spatial + spatial} elements (got {len(output_size)})"
            )
        in_sizes = list(input.shape[non_spatial:])
        smallest = [
            (n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in zip(in_sizes, self.stride, self.padding, self.dilation, self.kernel_size)
        ]
        largest = [m + s - 1 for m, s in zip(smallest, self.stride)]
        for want, lo, hi in zip(output_size, smallest, largest):
            if not lo <= want <= hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from {smallest} to {largest} (for an input of {in_sizes})"
                )
        return tuple(want - lo for want, lo in zip(output_size, smallest))

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class ConvTranspose1d(ConvTranspose2d):
    """ConvTranspose2d over [N, C, 1, L] with PyTorch's 1-d parameter shapes
    (weight [in, out / groups, k]) and initialisation (the same draws)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        one = lambda v: (1, v[0] if isinstance(v, (tuple, list)) else v)  # noqa: E731
        zero = lambda v: (0, v[0] if isinstance(v, (tuple, list)) else v)  # noqa: E731
        super().__init__(
            in_channels,
            out_channels,
            one(kernel_size),
            one(stride),
            zero(padding),
            zero(output_padding),
            groups,
            bias,
            one(dilation),
            padding_mode,
            device,
            dtype,
        )
        self.weight = type(self.weight)(self.weight.detach().squeeze(2))
        self.kernel_size, self.stride, self.padding = self.kernel_size[1:], self.stride[1:], self.padding[1:]
        self.output_padding, self.dilation = self.output_padding[1:], self.dilation[1:]

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation)


class ConvTranspose3d(ConvTranspose2d):
    """The adjoint of Conv3d (``F.conv_transpose3d``), weight [in, out / groups,
    kd, kh, kw], initialised as ConvTranspose2d's (the same draws for the same
    fan-in)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        Module.__init__(self)  # (not ConvTranspose2d's: its init would draw a 2-d weight)
        from .._volumetric import _triple

        if padding_mode != "zeros":
            raise ValueError('Only "zeros" padding mode is supported for ConvTranspose3d')
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = _triple(kernel_size, "kernel_size"), _triple(stride, "stride")
        self.padding, self.output_padding = _triple(padding, "padding"), _triple(output_padding, "output_padding")
        self.dilation = _triple(dilation, "dilation")
        self.transposed, self.padding_mode = True, padding_mode
        self.weight = Parameter(_creation.empty((in_channels, out_channels // groups) + self.kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return F.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation)
