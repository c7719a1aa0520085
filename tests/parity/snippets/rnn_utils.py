"""``nn.utils.rnn`` side by side with PyTorch: padding (both sides, batch
first), packing sorted and unsorted, unpacking with total_length, and the
recurrent layers (LSTM, GRU, RNN; two layers, bidirectional) on a
PackedSequence: outputs, final states in the caller's order, gradients."""

SEQS = """
T.manual_seed(0)
a, b, c = T.randn(4, 3), T.randn(2, 3), T.randn(3, 3)
U = T.nn.utils.rnn
"""

LAYER = """
T.manual_seed(1)
U = T.nn.utils.rnn
rnn = nn.{mode}(3, 5, num_layers=2, bidirectional=True)
xs = [T.randn(n, 3, requires_grad=True) for n in (2, 5, 3)]
packed = U.pack_sequence(xs, enforce_sorted=False)
out, h = rnn(packed)
hh = h[0] if isinstance(h, tuple) else h
po, lengths = U.pad_packed_sequence(out, batch_first=True)
(po.pow(2).sum() + hh.sum() + (h[1].sum() if isinstance(h, tuple) else 0)).backward()
rec(type(out).__name__, out.data, out.batch_sizes, out.sorted_indices, h, po, lengths, [x.grad for x in xs], rnn.weight_hh_l1_reverse.grad)
h0 = T.randn(4, 3, 5)
out2, h2 = rnn(packed, (h0, T.zeros(4, 3, 5)) if isinstance(h, tuple) else h0)
rec(out2.data, h2)
"""

PROGRAMS = {
    "pad_sequence": SEQS
    + "rec(U.pad_sequence([a, b, c]), U.pad_sequence([a, b, c], batch_first=True, padding_value=-1), U.pad_sequence([b, a], padding_side='left'))",
    "pack and unpack": SEQS
    + """
padded = U.pad_sequence([a, c, b], batch_first=True)
p = U.pack_padded_sequence(padded, [4, 3, 2], batch_first=True)
p2 = U.pack_padded_sequence(U.pad_sequence([b, a, c]), T.tensor([2, 4, 3]), enforce_sorted=False)
out, lens = U.pad_packed_sequence(p2, batch_first=True)
out2, lens2 = U.pad_packed_sequence(p, total_length=6)
rec(p.data, p.batch_sizes, p.sorted_indices, p2.data, p2.batch_sizes, p2.sorted_indices, p2.unsorted_indices, out, lens, out2, lens2)
rec(U.unpack_sequence(U.pack_sequence([a, b, c], enforce_sorted=False)), U.unpad_sequence(U.pad_sequence([a, b]), T.tensor([4, 2])))
""",
    "unsorted lengths refused": SEQS + "U.pack_padded_sequence(U.pad_sequence([a, c, b], batch_first=True), [2, 3, 4], batch_first=True)",
    "lengths of another batch size": SEQS + "U.pack_padded_sequence(U.pad_sequence([a, c, b], batch_first=True), [4, 3], batch_first=True)",
    "total_length too short": SEQS + "U.pad_packed_sequence(U.pack_sequence([a, b]), total_length=2)",
}


def programs():
    out = [(f"rnn utils {name}", [code.strip()]) for name, code in PROGRAMS.items()]
    out += [(f"rnn utils packed {mode}", [LAYER.format(mode=mode).strip()]) for mode in ("LSTM", "GRU", "RNN")]
    return out
