"""Boxes: (x, y, w, h) in pixels, as cv2.boundingRect returns them, and their geometry."""

from __future__ import annotations

from collections.abc import Sequence

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
