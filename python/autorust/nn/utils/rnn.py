"""``nn.utils.rnn``: batches of sequences of different lengths, padded
(``pad_sequence``) or packed (``PackedSequence``: the time steps' rows
end to end, ``batch_sizes[t]`` sequences still running at step t, longest
first), with PyTorch's layouts, checks and messages. The recurrent layers
take a PackedSequence and return one."""

from collections import namedtuple

from ... import _native
from ..._dtype import int64

Tensor = _native.Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]

_PackedSequenceBase = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise ValueError("PackedSequence: batch_sizes is required (build one with pack_padded_sequence or pack_sequence)")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def move(t):
            return None if t is None else t.to(data.device)

        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cpu(self):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=_native_dtype("float64"))

    def float(self):
        return self.to(dtype=_native_dtype("float32"))

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _native_dtype(name):
    from ... import _dtype

    return getattr(_dtype, name)


def invert_permutation(permutation):
    if permutation is None:
        return None
    from ..._creation import arange

    output = permutation.new_empty(permutation.shape)
    output.scatter_(0, permutation, arange(permutation.numel(), device=permutation.device))
    return output


def _lengths_list(lengths):
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.to(int64).cpu().tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """The padded batch ([T, B, *], or [B, T, *] when batch_first) packed:
    step t contributes the rows of the sequences longer than t."""
    from ..._creation import tensor

    lengths = tensor(_lengths_list(lengths), dtype=int64)
    sorted_indices = None
    if not enforce_sorted:
        lengths, sorted_indices = lengths.sort(descending=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    values = lengths.tolist()
    batch = input.shape[0 if batch_first else 1]
    if len(values) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(values)} (batch_size={batch})")
    if values and values[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0")
    if any(a < b for a, b in zip(values, values[1:])):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability."
        )
    if values and values[0] > input.shape[1 if batch_first else 0]:
        raise RuntimeError(f"Expected sequence length to be less than or equal to {input.shape[1 if batch_first else 0]}, but got {values[0]}")
    steps = input.transpose(0, 1) if batch_first else input
    batch_sizes = [sum(1 for n in values if n > t) for t in range(values[0] if values else 0)]
    data = _native.cat([steps[t, :b] for t, b in enumerate(batch_sizes)], 0)
    return PackedSequence(data, tensor(batch_sizes, dtype=int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: (padded batch, lengths), in the
    order the sequences had before packing."""
    from ..._creation import tensor

    batch_sizes = [int(b) for b in sequence.batch_sizes.tolist()]
    max_length = len(batch_sizes)
    if total_length is not None:
        if total_length < max_length:
            raise ValueError(
                f"Expected total_length to be at least the length of the longest sequence in input, but got total_length={total_length} and max sequence length being {max_length}"
            )
        max_length = total_length
    data = sequence.data
    batch = batch_sizes[0] if batch_sizes else 0
    trailing = tuple(data.shape[1:])
    rows, start = [], 0
    for t in range(max_length):
        b = batch_sizes[t] if t < len(batch_sizes) else 0
        step = data[start : start + b]
        start += b
        if b < batch:
            step = _native.cat([step, data.new_full((batch - b, *trailing), padding_value)], 0)
        rows.append(step)
    padded = _native.stack(rows, 0)
    lengths = tensor([sum(1 for b in batch_sizes if b > i) for i in range(batch)], dtype=int64)
    if batch_first:
        padded = padded.transpose(0, 1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """The sequences (each [L_i, *]) padded to the longest and stacked:
    [T, B, *], or [B, T, *] when batch_first."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            pad = s.new_full((missing, *tuple(s.shape[1:])), padding_value)
            s = _native.cat([s, pad] if padding_side == "right" else [pad, s], 0)
        padded.append(s)
    return _native.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:length] for seq, length in zip(padded_sequences, _lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
