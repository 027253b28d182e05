"""A basin map as a picture: one colour per minimum, shaded by the steps it took to get there.

:func:`basin_colours` turns labels into RGBA pixels (the window draws the same pixels, so the
command line's PNG and the window agree); :func:`minimum_colour` is the colour of one minimum
for a legend; :func:`png_bytes` encodes an image as PNG with the standard library only.
"""

from __future__ import annotations

import colorsys
import struct
import zlib

import numpy as np

#: the first minima's colours (colour-blind-safe, as matplotlib's tab10 without grey)
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207))
DIVERGED_COLOUR = (30, 30, 30)
NOT_CONVERGED_COLOUR = (205, 205, 205)
#: how dark the slowest start is drawn (1 = as bright as the fastest)
DARKEST = 0.35


def minimum_colour(index: int) -> tuple[int, int, int]:
    """The colour of minimum ``index`` (−1 diverged, −2 not converged)."""
    if index == -1:
        return DIVERGED_COLOUR
    if index < 0:
        return NOT_CONVERGED_COLOUR
    if index < len(PALETTE):
        return PALETTE[index]
    hue = (index * 0.618033988749895) % 1.0  # golden-ratio steps keep neighbours apart
    r, g, b = colorsys.hsv_to_rgb(hue, 0.65, 0.9)
    return (round(r * 255), round(g * 255), round(b * 255))


def basin_colours(label: np.ndarray, steps_to_converge: np.ndarray, steps: int,
                  alpha: int = 255) -> np.ndarray:
    """RGBA ``(N, M, 4)`` uint8 for labels ``(N, M)``: a start's minimum's colour, darker the
    more steps it took (square-root scale), diverged nearly black, not converged light grey."""
    label = np.asarray(label)
    top = int(label.max(initial=-2))
    table = np.array([minimum_colour(i) for i in range(-2, top + 1)], dtype=np.float64)
    rgb = table[label + 2]
    taken = np.clip(np.asarray(steps_to_converge, dtype=np.float64), 0, None)
    shade = 1.0 - (1.0 - DARKEST) * np.sqrt(taken / max(steps, 1))
    rgb = np.where((label >= 0)[..., None], rgb * shade[..., None], rgb)
    out = np.empty((*label.shape, 4), dtype=np.uint8)
    out[..., :3] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    out[..., 3] = alpha
    return out


def png_bytes(rgba: np.ndarray) -> bytes:
    """``rgba`` ``(H, W, 4)`` uint8, row 0 at the top, as the bytes of a PNG file."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    height, width = rgba.shape[:2]
    rows = np.zeros((height, 1 + width * 4), dtype=np.uint8)  # filter byte 0 per row
    rows[:, 1:] = rgba.reshape(height, width * 4)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))
