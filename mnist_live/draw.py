"""Pictures for people: boxes, digits and numbers on the frame, status text, crop sheets.

Sizes of lines and text follow the frame's size, so labels stay legible on a 320x240
preview and on a 4000x3000 photo alike. Colours are BGR.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .boxes import Box

GREEN = (40, 200, 40)
ORANGE = (0, 140, 255)
RED = (40, 40, 220)
GRAY = (150, 150, 150)
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _style(image: np.ndarray) -> tuple[float, int]:
    """(font scale, line thickness) for an image of this size."""
    short_side = min(image.shape[:2])
    scale = max(0.4, short_side / 800)
    return scale, max(1, round(short_side / 400))


def to_bgr(image: np.ndarray) -> np.ndarray:
    """A copy of a gray or BGR uint8 image as BGR, for drawing in colour."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image.copy()


def put_label(image: np.ndarray, text: str, origin: tuple[int, int], color,
              font_scale: float, thickness: int) -> None:
    """Text on a filled background at `origin` (bottom-left), kept inside the image."""
    (tw, th), base = cv2.getTextSize(text, FONT, font_scale, thickness)
    x = int(min(max(0, origin[0]), max(0, image.shape[1] - tw - 2)))
    y = int(min(max(th + 2, origin[1]), image.shape[0] - base - 1))
    cv2.rectangle(image, (x, y - th - 2), (x + tw + 2, y + base), color, cv2.FILLED)
    cv2.putText(image, text, (x + 1, y - 1), FONT, font_scale, WHITE, thickness, cv2.LINE_AA)


def draw_boxes(image: np.ndarray, boxes: Sequence[Box], color, thickness: int) -> None:
    for x, y, w, h in boxes:
        cv2.rectangle(image, (x, y), (x + w, y + h), color, thickness)


def draw_reading(frame: np.ndarray, reading, show_unsure: bool = False) -> np.ndarray:
    """The frame with a box and label per digit and a box per multi-digit number."""
    image = to_bgr(frame)
    font_scale, thickness = _style(image)
    if show_unsure:
        for detection in reading.unsure:
            draw_boxes(image, [detection.box], GRAY, thickness)
    for detection in reading.digits:
        x, y, w, h = detection.box
        draw_boxes(image, [detection.box], GREEN, thickness)
        put_label(image, f"{detection.digit}", (x, y - thickness), GREEN,
                  font_scale * 1.2, thickness + 1)
    for number in reading.numbers:
        if len(number.members) < 2:
            continue
        x, y, w, h = number.box
        pad = 2 * thickness + 2
        cv2.rectangle(image, (x - pad, y - pad), (x + w + pad, y + h + pad), ORANGE, thickness)
        put_label(image, number.text, (x - pad, y + h + pad + int(26 * font_scale)), ORANGE,
                  font_scale * 1.2, thickness + 1)
    return image


def draw_status(image: np.ndarray, lines: Sequence[str]) -> None:
    """Status lines (mode, threshold, FPS...) in the top-left corner, in place."""
    font_scale, thickness = _style(image)
    font_scale *= 0.8
    y = 0
    for line in lines:
        (tw, th), base = cv2.getTextSize(line, FONT, font_scale, thickness)
        y += th + base + 4
        cv2.rectangle(image, (0, y - th - base - 4), (tw + 8, y), BLACK, cv2.FILLED)
        cv2.putText(image, line, (4, y - base - 2), FONT, font_scale, WHITE, thickness,
                    cv2.LINE_AA)


def draw_candidates(binary: np.ndarray, kept: Sequence[Box], rejected: Sequence[Box]) -> np.ndarray:
    """The binary image with kept candidates in green and rejected blobs in red."""
    image = to_bgr(binary)
    _, thickness = _style(image)
    draw_boxes(image, rejected, RED, thickness)
    draw_boxes(image, kept, GREEN, thickness)
    return image


def crop_sheet(crops: np.ndarray, labels: Sequence[str], columns: int = 10,
               zoom: int = 4) -> np.ndarray:
    """The 28x28 crops side by side, enlarged, each with its label underneath."""
    n = len(crops)
    if n == 0:
        sheet = np.zeros((28 * zoom + 24, 28 * zoom * 3, 3), np.uint8)
        cv2.putText(sheet, "no candidates", (8, 28 * zoom // 2), FONT, 0.6, WHITE, 1,
                    cv2.LINE_AA)
        return sheet
    columns = min(columns, n)
    rows = (n + columns - 1) // columns
    cell_w, cell_h = 28 * zoom, 28 * zoom + 22
    sheet = np.full((rows * cell_h, columns * cell_w, 3), 40, np.uint8)
    for i, (crop, label) in enumerate(zip(crops, labels, strict=True)):
        r, c = divmod(i, columns)
        big = cv2.resize(crop, (cell_w, cell_w), interpolation=cv2.INTER_NEAREST)
        y0, x0 = r * cell_h, c * cell_w
        sheet[y0 : y0 + cell_w, x0 : x0 + cell_w] = big[:, :, None]
        cv2.rectangle(sheet, (x0, y0), (x0 + cell_w - 1, y0 + cell_w - 1), GRAY, 1)
        cv2.putText(sheet, label, (x0 + 4, y0 + cell_h - 6), FONT, 0.5, WHITE, 1, cv2.LINE_AA)
    return sheet
