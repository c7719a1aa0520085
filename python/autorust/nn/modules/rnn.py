"""Recurrent layers (``RNN``, ``LSTM``, ``GRU`` and their cells) with
PyTorch's parameter names, shapes, gate order and initialisation (every
parameter uniform in +-1/sqrt(hidden_size), drawn in registration order), so
a seeded model starts from PyTorch's numbers. An LSTM layer runs natively,
one graph node per layer and direction (``_native._lstm_layer``); the other
cells loop over time in Python over native matmuls, autograd going through
them."""

import math

from ... import _creation, _native
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _rnn_cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step: returns (h', c') (c' is None except for LSTM)."""
    gi = F.linear(x, w_ih, b_ih)
    gh = F.linear(h, w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, -1)
        c2 = f.sigmoid() * c + i.sigmoid() * g.tanh()
        return o.sigmoid() * c2.tanh(), c2
    if mode == "GRU":
        ir, iz, in_ = gi.chunk(3, -1)
        hr, hz, hn = gh.chunk(3, -1)
        r, z = (hr + ir).sigmoid(), (hz + iz).sigmoid()
        n = (in_ + hn * r).tanh()
        # PyTorch's form of (1 - z) * n + z * h: its rounding and its graph
        return (h - n) * z + n, None
    pre = gi + gh
    return (pre.tanh() if mode == "RNN_TANH" else pre.relu()), None


class RNNBase(Module):
    def __init__(
        self,
        mode,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if proj_size:
            raise NotImplementedError("LSTM(proj_size>0) is not supported by autorust")
        if not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element being zeroed")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(dirs):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                layer_in = input_size if layer == 0 else hidden_size * dirs
                names = [("weight_ih" + suffix, (gate, layer_in)), ("weight_hh" + suffix, (gate, hidden_size))]
                if bias:
                    names += [("bias_ih" + suffix, (gate,)), ("bias_hh" + suffix, (gate,))]
                for name, shape in names:
                    setattr(self, name, Parameter(_creation.empty(*shape, device=device, dtype=dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _weights(self, layer, d):
        suffix = f"_l{layer}" + ("_reverse" if d else "")
        get = lambda n: getattr(self, n + suffix) if self.bias or n.startswith("weight") else None  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def forward(self, input, hx=None):
        from ..utils.rnn import PackedSequence

        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        lstm = self.mode == "LSTM"
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D tensor instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}")
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight_dtype}). Convert input: "
                f"input.to({weight_dtype}), or convert model: model.to({input.dtype})"
            )
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1 if not self.batch_first else 0)
        if self.batch_first:
            x = x.transpose(0, 1)  # [T, N, F]
        T, N = x.shape[0], x.shape[1]
        if T == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        dirs = 2 if self.bidirectional else 1
        if hx is None:
            h0 = x.new_zeros(self.num_layers * dirs, N, self.hidden_size)
            c0 = h0 if lstm else None
        else:
            h0, c0 = hx if lstm else (hx, None)
            if not batched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
            if tuple(h0.shape) != (self.num_layers * dirs, N, self.hidden_size):
                raise RuntimeError(f"Expected hidden size {(self.num_layers * dirs, N, self.hidden_size)}, got {list(h0.shape)}")
        layer_input = x
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                k = layer * dirs + d
                h, c = h0[k], (c0[k] if lstm else None)
                if lstm:
                    # [T + 1, N, H]: every step's hidden state, then the final cell state
                    packed = _native._lstm_layer(layer_input, h, c, w_ih, w_hh, b_ih, b_hh, bool(d))
                    # shown as PyTorch's three outputs of the layer's node
                    pieces = (packed[:T], packed[0 if d else T - 1], packed[T])
                    for nr, piece in enumerate(pieces):
                        _native._show_as_output(piece, nr)
                    outs.append(pieces[0])
                    h_n.append(pieces[1])
                    c_n.append(pieces[2])
                    continue
                steps = [None] * T
                order = range(T - 1, -1, -1) if d else range(T)
                for t in order:
                    h, c = _rnn_cell(self.mode, layer_input[t], h, c, w_ih, w_hh, b_ih, b_hh)
                    steps[t] = h
                outs.append(_native.stack(steps, 0))
                h_n.append(h)
                if lstm:
                    c_n.append(c)
            layer_input = outs[0] if dirs == 1 else _native.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        if self.batch_first:
            output = output.transpose(0, 1)
        h_n = _native.stack(h_n, 0)
        c_n = _native.stack(c_n, 0) if lstm else None
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _forward_packed(self, packed, hx):
        """A PackedSequence, step by step as PyTorch runs it: at step t the
        first batch_sizes[t] sequences advance (the longest come first), the
        others keep their state; the reverse direction starts each sequence
        at its own last step. hx and h_n are in the caller's batch order."""
        from ..utils.rnn import PackedSequence

        lstm = self.mode == "LSTM"
        data, sizes = packed.data, [int(b) for b in packed.batch_sizes.tolist()]
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {data.shape[-1]}")
        N, dirs = sizes[0], 2 if self.bidirectional else 1
        starts = [sum(sizes[:t]) for t in range(len(sizes))]
        if hx is None:
            h0 = data.new_zeros(self.num_layers * dirs, N, self.hidden_size)
            c0 = h0 if lstm else None
        else:
            h0, c0 = hx if lstm else (hx, None)
            if packed.sorted_indices is not None:
                h0 = h0.index_select(1, packed.sorted_indices)
                c0 = c0.index_select(1, packed.sorted_indices) if lstm else None
        layer_input, h_n, c_n = data, [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                k = layer * dirs + d
                h, c = h0[k], (c0[k] if lstm else None)
                steps = [None] * len(sizes)
                for t in range(len(sizes) - 1, -1, -1) if d else range(len(sizes)):
                    b = sizes[t]
                    x_t = layer_input[starts[t] : starts[t] + b]
                    h_t, c_t = _rnn_cell(self.mode, x_t, h[:b], c[:b] if lstm else None, w_ih, w_hh, b_ih, b_hh)
                    steps[t] = h_t
                    h = h_t if b == N else _native.cat([h_t, h[b:]], 0)
                    if lstm:
                        c = c_t if b == N else _native.cat([c_t, c[b:]], 0)
                outs.append(_native.cat(steps, 0))
                h_n.append(h)
                if lstm:
                    c_n.append(c)
            layer_input = outs[0] if dirs == 1 else _native.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        h_n = _native.stack(h_n, 0)
        c_n = _native.stack(c_n, 0) if lstm else None
        if packed.unsorted_indices is not None:
            h_n = h_n.index_select(1, packed.unsorted_indices)
            c_n = c_n.index_select(1, packed.unsorted_indices) if lstm else None
        output = PackedSequence(layer_input, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(
            "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device=device,
            dtype=dtype,
        )
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
    ):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    def __init__(
        self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None
    ):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    """The cells' parameters: ``num_chunks`` gates of ``hidden_size`` rows
    (1 for RNNCell, 4 for LSTMCell, 3 for GRUCell), uniform in
    +-1/sqrt(hidden_size), as PyTorch's."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gate = num_chunks * hidden_size
        self.weight_ih = Parameter(_creation.empty(gate, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(_creation.empty(gate, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_creation.empty(gate, device=device, dtype=dtype))
            self.bias_hh = Parameter(_creation.empty(gate, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        stdv = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class _CellBase(RNNCellBase):
    def __init__(self, mode, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, _GATES[mode], device, dtype)
        self.mode = mode

    def _step(self, input, hx):
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        lstm = self.mode == "LSTM"
        if hx is None:
            z = x.new_zeros(x.shape[0], self.hidden_size)
            h, c = z, (z if lstm else None)
        else:
            h, c = hx if lstm else (hx, None)
            if not batched:
                h, c = h.unsqueeze(0), (c.unsqueeze(0) if lstm else None)
        h, c = _rnn_cell(self.mode, x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if not batched:
            h, c = h.squeeze(0), (c.squeeze(0) if lstm else None)
        return (h, c) if lstm else h


class RNNCell(_CellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._step(input, hx)


class LSTMCell(_CellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)


class GRUCell(_CellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)
