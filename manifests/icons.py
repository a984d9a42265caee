"""The app's two icons, drawn from code so they can be regenerated exactly.

Teams wants a 192×192 colour icon and a 32×32 outline icon that is white on a fully transparent
background. Both show the same symbol: a speech bubble holding three poll bars. Shapes are signed
distance functions, sampled 4×4 times in each pixel on an edge, so edges are smooth and the
output depends only on this file. `python -m manifests.icons` rewrites `color.png` and
`outline.png` here.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACCENT = (0x3B, 0x5B, 0xDB)  # also the manifest's accentColor
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # per axis and pixel
COLOR_SIZE, OUTLINE_SIZE = 192, 32

Pixel = tuple[int, int, int, int]


def _rounded_box(x: float, y: float, x0: float, y0: float, x1: float, y1: float,
                 radius: float) -> float:
    qx = abs(x - (x0 + x1) / 2) - ((x1 - x0) / 2 - radius)
    qy = abs(y - (y0 + y1) / 2) - ((y1 - y0) / 2 - radius)
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def _triangle(x: float, y: float, points: tuple[tuple[float, float], ...]) -> float:
    """Signed distance to a triangle (negative inside)."""
    edges = list(zip(points, points[1:] + points[:1], strict=True))
    distance = math.inf
    for (ax, ay), (bx, by) in edges:
        ex, ey, wx, wy = bx - ax, by - ay, x - ax, y - ay
        t = max(0.0, min(1.0, (wx * ex + wy * ey) / (ex * ex + ey * ey)))
        distance = min(distance, math.hypot(wx - ex * t, wy - ey * t))
    sides = [(bx - ax) * (y - ay) - (by - ay) * (x - ax) for (ax, ay), (bx, by) in edges]
    inside = all(side <= 0 for side in sides) or all(side >= 0 for side in sides)
    return -distance if inside else distance


TAIL = ((0.20, 0.66), (0.44, 0.66), (0.16, 0.94))
BARS = ((0.27, 0.37, 0.44), (0.45, 0.55, 0.24), (0.63, 0.73, 0.34))  # x0, x1, top
BARS_BOTTOM = 0.58


def bubble(x: float, y: float) -> float:
    """The speech bubble, in a unit box: a rounded body with a tail at the lower left."""
    body = _rounded_box(x, y, 0.04, 0.06, 0.96, 0.72, 0.17)
    return min(body, _triangle(x, y, TAIL))


def bars(x: float, y: float) -> float:
    """Three poll bars of different heights, inside the bubble."""
    return min(_rounded_box(x, y, x0, top, x1, BARS_BOTTOM, 0.03) for x0, x1, top in BARS)


def _coverage(size: int, margin: float,
              distance: Callable[[float, float], float]) -> list[list[float]]:
    """For each pixel, the share of its samples inside the shape `distance` describes (signed
    distance in the symbol's unit box, which is placed `margin` pixels from every edge).

    A pixel whose centre is farther than half its diagonal from the edge is wholly in or out
    (the distances here never overstate), so only pixels on an edge are sampled.
    """
    scale = size - 2 * margin
    half_diagonal = 0.75 / scale
    rows = []
    for row in range(size):
        values = []
        for column in range(size):
            centre = distance((column + 0.5 - margin) / scale, (row + 0.5 - margin) / scale)
            if abs(centre) > half_diagonal:
                values.append(1.0 if centre < 0 else 0.0)
                continue
            hits = 0
            for i in range(SAMPLES):
                y = (row + (i + 0.5) / SAMPLES - margin) / scale
                for j in range(SAMPLES):
                    hits += distance((column + (j + 0.5) / SAMPLES - margin) / scale, y) <= 0
            values.append(hits / SAMPLES**2)
        rows.append(values)
    return rows


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], share: float) -> tuple[int, int, int]:
    red, green, blue = (round(p + (q - p) * share) for p, q in zip(a, b, strict=True))
    return red, green, blue


def color_pixels() -> list[list[Pixel]]:
    """192×192, opaque: a white bubble with accent-coloured bars on the accent colour."""
    white = _coverage(COLOR_SIZE, 44.0, lambda x, y: max(bubble(x, y), -bars(x, y)))
    return [[(*_mix(ACCENT, WHITE, share), 255) for share in row] for row in white]


OUTLINE_STROKE = 0.085  # in the unit box: about 2.5 px at 32 px


def outline_pixels() -> list[list[Pixel]]:
    """32×32: the bubble's outline and the bars in white; everything else fully transparent."""
    def stroke_or_bars(x: float, y: float) -> float:
        ring = abs(bubble(x, y) + OUTLINE_STROKE / 2) - OUTLINE_STROKE / 2
        return min(ring, bars(x, y))

    shape = _coverage(OUTLINE_SIZE, 1.0, stroke_or_bars)
    return [[(*WHITE, round(255 * share)) for share in row] for row in shape]


def png(pixels: list[list[Pixel]], *, alpha: bool) -> bytes:
    """PNG bytes (8 bits per channel, RGBA or RGB) of rows of RGBA pixels."""
    height, width = len(pixels), len(pixels[0])
    channels = 4 if alpha else 3
    raw = b"".join(b"\x00" + bytes(v for pixel in row for v in pixel[:channels])
                   for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main() -> None:
    (HERE / "color.png").write_bytes(png(color_pixels(), alpha=False))
    (HERE / "outline.png").write_bytes(png(outline_pixels(), alpha=True))
    print(f"wrote {HERE / 'color.png'} and {HERE / 'outline.png'}")


if __name__ == "__main__":
    main()
