"""Boxes: (x, y, w, h) in pixels, as cv2.boundingRect returns them, and their geometry."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Box = tuple[int, int, int, int]


def union_box(boxes: Sequence[Box]) -> Box:
    """The smallest box holding all `boxes`."""
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two boxes; 0.0 when either is empty."""
    if a[2] <= 0 or a[3] <= 0 or b[2] <= 0 or b[3] <= 0:
        return 0.0
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def side_by_side(boxes: np.ndarray, others: np.ndarray, reach: float,
                 height_ratio: float) -> np.ndarray:
    """(len(boxes), len(others)) bool: which pairs stand side by side on one line:
    overlapping in height by half the shorter one, at most `reach` times the taller
    one's height apart (a negative gap: overlapping sideways by at most half the
    narrower one, not one around the other, nor a box beside itself), and the shorter
    at least `height_ratio` of the taller. Both are (N, 4) arrays of (x, y, w, h)."""
    x, y, w, h = (column[:, None] for column in np.asarray(boxes, np.float64).reshape(-1, 4).T)
    ox, oy, ow, oh = np.asarray(others, np.float64).reshape(-1, 4).T
    overlap = np.minimum(y + h, oy + oh) - np.maximum(y, oy)
    gap = np.maximum(ox - (x + w), x - (ox + ow))
    return ((overlap >= 0.5 * np.minimum(h, oh))
            & (gap <= reach * np.maximum(h, oh))
            & (gap >= -0.5 * np.minimum(w, ow))
            & (np.minimum(h, oh) >= height_ratio * np.maximum(h, oh)))
