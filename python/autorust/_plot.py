"""A dependency-free PNG line plot (for ``python -m autorust.demo --plot``):
panels of polylines on a white canvas, axes, and tick values drawn with a
tiny bitmap font, encoded with zlib. Enough for training curves; not a
plotting library."""

import struct
import zlib

import numpy as np

# 3x5 glyphs for tick labels
_GLYPHS = {
    "0": ["###", "# #", "# #", "# #", "###"],
    "1": [" # ", "## ", " # ", " # ", "###"],
    "2": ["###", "  #", "###", "#  ", "###"],
    "3": ["###", "  #", "###", "  #", "###"],
    "4": ["# #", "# #", "###", "  #", "  #"],
    "5": ["###", "#  ", "###", "  #", "###"],
    "6": ["###", "#  ", "###", "# #", "###"],
    "7": ["###", "  #", "  #", "  #", "  #"],
    "8": ["###", "# #", "###", "# #", "###"],
    "9": ["###", "# #", "###", "  #", "###"],
    ".": ["   ", "   ", "   ", "   ", " # "],
    "-": ["   ", "   ", "###", "   ", "   "],
}
COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]


def _text(img, x, y, s, color=(0, 0, 0), scale=2):
    for ch in s:
        g = _GLYPHS.get(ch)
        if g:
            for r, row in enumerate(g):
                for c, v in enumerate(row):
                    if v == "#":
                        img[y + r * scale : y + (r + 1) * scale, x + c * scale : x + (c + 1) * scale] = color
        x += 4 * scale


def _line(img, x0, y0, x1, y1, color):
    n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    xs = np.linspace(x0, x1, n).round().astype(int)
    ys = np.linspace(y0, y1, n).round().astype(int)
    for dx in (0, 1):
        ok = (ys >= 0) & (ys < img.shape[0]) & (xs + dx >= 0) & (xs + dx < img.shape[1])
        img[ys[ok], xs[ok] + dx] = color


def _panel(img, x, y, w, h, series):
    """Draws `series` (lists of y values against 1..n) in the box at (x, y)."""
    img[y : y + h, x] = (0, 0, 0)
    img[y + h, x : x + w] = (0, 0, 0)
    values = [v for s in series for v in s]
    lo, hi = min(values), max(values)
    if hi - lo < 1e-12:
        hi = lo + 1.0
    n = max(len(s) for s in series)
    for k, s in enumerate(series):
        pts = [(x + (i / max(n - 1, 1)) * (w - 10) + 5, y + h - 5 - (v - lo) / (hi - lo) * (h - 10)) for i, v in enumerate(s)]
        for (a, b), (c, d) in zip(pts, pts[1:]):
            _line(img, a, b, c, d, COLORS[k % len(COLORS)])
        if len(pts) == 1:
            _line(img, pts[0][0], pts[0][1], pts[0][0] + 1, pts[0][1], COLORS[k % len(COLORS)])
    _text(img, x + 6, y + 2, f"{hi:.3f}")
    _text(img, x + 6, y + h - 14, f"{lo:.3f}")


def save_curves(path, panels, width=900, height=360):
    """Saves a PNG with one panel per entry of `panels` (each a list of
    series, e.g. [[train_loss], [train_acc, test_acc]])."""
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    pw = (width - 40) // len(panels)
    for i, series in enumerate(panels):
        _panel(img, 20 + i * pw, 20, pw - 30, height - 50, series)
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)
