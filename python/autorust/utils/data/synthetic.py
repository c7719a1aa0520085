"""A dataset generated on the spot, so the demo and the convergence tests
need no download: 16x16 images of the digits 0-9, drawn from a 5x7 bitmap
font with jittered placement, stroke scaling, thickening and noise.
Deterministic for a given seed (NumPy's PCG64), independent of the global
autorust generator."""

import numpy as np

# 5x7 bitmaps of the ten digits, one string per row ("#" = ink).
FONT = {
    0: [" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "],
    1: ["  #  ", " ##  ", "# #  ", "  #  ", "  #  ", "  #  ", "#####"],
    2: [" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"],
    3: ["#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "],
    4: ["   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "],
    5: ["#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "],
    6: ["  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "],
    7: ["#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "],
    8: [" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "],
    9: [" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "],
}


def glyph(digit):
    """The 7x5 bitmap of a digit as a float32 array."""
    return np.array([[c == "#" for c in row] for row in FONT[digit]], dtype=np.float32)


def make_digits(n, size=16, seed=0, noise=0.3):
    """``n`` images ``[n, 1, size, size]`` (float32, roughly zero-mean) and
    their labels ``[n]`` (int64), as NumPy arrays."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = np.zeros((n, size, size), dtype=np.float32)
    for i, d in enumerate(labels):
        g = glyph(int(d))
        sx = rng.integers(1, 3)  # narrow or wide
        g = np.kron(g, np.ones((2, sx), dtype=np.float32))
        if rng.random() < 0.5:  # thicker strokes
            g = np.maximum(g, np.roll(g, 1, axis=1))
        h, w = g.shape
        # roughly centred, jittered by up to 2 pixels
        y0 = int(np.clip((size - h) // 2 + rng.integers(-2, 3), 0, size - h))
        x0 = int(np.clip((size - w) // 2 + rng.integers(-2, 3), 0, size - w))
        images[i, y0 : y0 + h, x0 : x0 + w] = g * rng.uniform(0.6, 1.0)
    images += rng.normal(0.0, noise, images.shape).astype(np.float32)
    images = (images - 0.2) / 0.5
    return images[:, None, :, :].astype(np.float32), labels.astype(np.int64)


def digits_dataset(n, size=16, seed=0, noise=0.3):
    """The same data as an ``autorust.utils.data.TensorDataset``."""
    from ..._creation import from_numpy
    from .dataset import TensorDataset

    x, y = make_digits(n, size, seed, noise)
    return TensorDataset(from_numpy(x), from_numpy(y))
