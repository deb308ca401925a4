"""Pictures for people: boxes, digits and numbers on the frame, status text, crop sheets.

Sizes of lines and text follow the frame's size, so labels stay legible on a 320x240
preview and on a 4000x3000 photo alike. Colours are BGR.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .boxes import Box
from .confidence import confidence_text, doubted_text

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


def draw_boxes(image: np.ndarray, boxes: Sequence[Box], color, thickness: int) -> None:
    for x, y, w, h in boxes:
        cv2.rectangle(image, (x, y), (x + w, y + h), color, thickness)


@dataclass(frozen=True)
class Tag:
    """A label for a box: text parts, each (text, size relative to the frame's font),
    on a filled background of `color`."""

    box: Box
    parts: tuple[tuple[str, float], ...]
    color: tuple[int, int, int]
    below: bool = False  # try below the box first (a number's label, under its digits')


def _text_color(background) -> tuple[int, int, int]:
    return BLACK if sum(background) > 400 else WHITE


def _tag_layout(tag: Tag, font_scale: float, thickness: int):
    """(width, height, [(text, scale, thickness, x offset)], baseline from the top)."""
    pad = max(2, thickness)
    pieces, x, top = [], pad, 0
    for text, size in tag.parts:
        scale = font_scale * size
        weight = max(1, round(thickness * size))
        tw, th = _text_size(text, scale, weight)
        pieces.append((text, scale, weight, x))
        x += tw + pad
        top = max(top, th)
    return x, top + 2 * pad, pieces, top + pad


def _overlaps(options: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """For each option rectangle (k, 4), its area of overlap with all `rects` (n, 4)."""
    o, r = options[:, None, :], rects[None, :, :]
    ix = np.minimum(o[..., 0] + o[..., 2], r[..., 0] + r[..., 2]) - np.maximum(o[..., 0],
                                                                             r[..., 0])
    iy = np.minimum(o[..., 1] + o[..., 3], r[..., 1] + r[..., 3]) - np.maximum(o[..., 1],
                                                                             r[..., 1])
    return (np.maximum(ix, 0) * np.maximum(iy, 0)).sum(axis=1)


def place_tags(sizes: Sequence[tuple[int, int]], boxes: Sequence[Box],
               obstacles: Sequence[Box], shape, gap: int = 2,
               below: Sequence[bool] | None = None) -> list[tuple[int, int]]:
    """The top-left corner of each tag (w, h) for its box, chosen so that it covers no
    other box in `obstacles` and no tag placed before it, if it can: above the box
    (below first where `below` says so), then right, left, the other side, shifted
    along, and last inside its own box. Tags stay inside the image."""
    height, width = shape[:2]
    others = np.array(obstacles, np.float64).reshape(-1, 4)
    placed = np.zeros((len(boxes), 4), np.float64)
    rank = np.arange(9, dtype=np.float64)  # the order of preference below
    below = below or [False] * len(boxes)
    for i, ((tw, th), (x, y, w, h), under) in enumerate(zip(sizes, boxes, below,
                                                              strict=True)):
        top, bottom = y - th - gap, y + h + gap
        first, second = (bottom, top) if under else (top, bottom)
        corners = np.array([(x, first), (x + w + gap, y), (x - tw - gap, y), (x, second),
                            (x + w - tw, first), (x + w - tw, second),
                            (x + w + gap, y + h - th), (x - tw - gap, y + h - th), (x, y)],
                           np.float64)
        corners[:, 0] = np.clip(corners[:, 0], 0, max(0, width - tw))
        corners[:, 1] = np.clip(corners[:, 1], 0, max(0, height - th))
        options = np.hstack([corners, np.tile([tw, th], (len(corners), 1))])
        own = np.array([[x, y, w, h]], np.float64)
        neighbours = others[~(others == own).all(axis=1)]
        # Covering ink is worse than covering a label, and that than its own digit.
        cost = (8 * _overlaps(options, neighbours) + 4 * _overlaps(options, placed[:i])
                + _overlaps(options, own) + rank)
        placed[i] = options[int(cost.argmin())]
    return [(int(x), int(y)) for x, y, _, _ in placed]


@functools.lru_cache(maxsize=512)
def _text_size(text: str, scale: float, thickness: int) -> tuple[int, int]:
    """(width, height above the baseline) of a text; labels repeat, so it is cached."""
    return cv2.getTextSize(text, FONT, scale, thickness)[0]


@functools.lru_cache(maxsize=16)
def _tag_places(tags: tuple[Tag, ...], obstacles: tuple[Box, ...], shape: tuple[int, int],
                font_scale: float, thickness: int) -> tuple:
    """Each tag's layout and place; the live view draws the same tags on frame after
    frame of a still page, so the last few are kept."""
    layouts = [_tag_layout(tag, font_scale, thickness) for tag in tags]
    corners = place_tags([(w, h) for w, h, _, _ in layouts], [t.box for t in tags],
                         obstacles, shape, gap=thickness + 1, below=[t.below for t in tags])
    return tuple(zip(layouts, corners, strict=True))


def draw_tags(image: np.ndarray, tags: Sequence[Tag], obstacles: Sequence[Box],
              font_scale: float, thickness: int) -> None:
    """Each tag beside its box, covering no box in `obstacles` where there is room."""
    places = _tag_places(tuple(tags), tuple(tuple(box) for box in obstacles),
                         image.shape[:2], font_scale, thickness)
    for tag, ((w, h, pieces, baseline), (x, y)) in zip(tags, places, strict=True):
        cv2.rectangle(image, (x, y), (x + w - 1, y + h - 1), tag.color, cv2.FILLED)
        for text, scale, weight, dx in pieces:
            cv2.putText(image, text, (x + dx, y + baseline), FONT, scale,
                        _text_color(tag.color), weight, cv2.LINE_AA)


def draw_reading(frame: np.ndarray, reading, show_unsure: bool = False,
                 step: float | None = None) -> np.ndarray:
    """The frame with a box and label per digit (the digit and how sure the model is,
    see confidence.py; `step` is the model's output step) and a box and label per
    multi-digit number. Labels are put where they cover no other digit."""
    image = to_bgr(frame)
    font_scale, thickness = _style(image)
    if show_unsure:
        for detection in reading.unsure:
            draw_boxes(image, [detection.box], GRAY, thickness)
    tags = []
    for detection in reading.digits:
        draw_boxes(image, [detection.box], GREEN, thickness)
        tags.append(Tag(detection.box, ((f"{detection.digit}", 1.2),
                                        (confidence_text(detection.confidence, step), 0.75)),
                        GREEN))
    pad = 2 * thickness + 2
    for number in reading.numbers:
        if len(number.members) < 2:
            continue
        x, y, w, h = number.box
        framed = (x - pad, y - pad, w + 2 * pad, h + 2 * pad)
        cv2.rectangle(image, framed[:2], (x + w + pad, y + h + pad), ORANGE, thickness)
        tags.append(Tag(framed, ((number.text, 1.2),), ORANGE, below=True))
    draw_tags(image, tags, [d.box for d in reading.digits], font_scale, thickness)
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


# Rejected and unsure boxes labelled on a step picture at most: beyond that (a page of
# print, a textured floor) the largest are labelled and the rest only boxed.
MAX_REASON_LABELS = 80


def candidate_tags(reading, step: float | None = None) -> list[Tag]:
    """What the candidates picture says about each box, in the frame's pixels: green
    for a digit read, gray for a candidate the model was unsure of or the page doubted,
    red with the reason for a blob thrown out before the model saw it."""
    tags = [Tag(d.box, ((f"{d.digit} {confidence_text(d.confidence, step)}", 1.0),), GREEN)
            for d in reading.digits]
    tags += [Tag(d.box, ((_unsure_text(d, step), 1.0),), GRAY) for d in reading.unsure]
    tags += [Tag(r.box, ((r.reason, 1.0),), RED) for r in reading.rejected]
    return tags


def _unsure_text(detection, step: float | None) -> str:
    """A candidate below --min-confidence: why the page doubts a reading the model was
    sure of (its pen, its size, a bar, a word, a read like texture's), or what
    it was most like, or, when the model gave every digit nothing (an int8 model rounds
    it to 0), that it is no digit."""
    if detection.doubt:
        return (f"{detection.doubt} ({detection.digit} "
                f"{doubted_text(detection.before_doubt, detection.confidence, step)})")
    if detection.refused:
        return "not a digit (refused)"
    return (f"not a digit (unsure: {detection.digit} "
            f"{confidence_text(detection.confidence, step)})")


def draw_help(image: np.ndarray, rows: Sequence[tuple[str, str]]) -> None:
    """A short help, rows of (key, what it does), on a dark see-through panel in the
    bottom-left corner, in place."""
    font_scale, thickness = _style(image)
    font_scale *= 0.7

    def size(text: str) -> tuple[int, int]:
        (w, h), base = cv2.getTextSize(text, FONT, font_scale, thickness)
        return w, h + base

    key_w = max(size(key)[0] for key, _ in rows) + 12
    line_h = max(size(key + text)[1] for key, text in rows) + 6
    width = min(image.shape[1], key_w + max(size(text)[0] for _, text in rows) + 16)
    y0 = max(0, image.shape[0] - line_h * len(rows) - 10)
    panel = image[y0:, :width]
    panel[:] = (panel * 0.25).astype(np.uint8)
    for i, (key, text) in enumerate(rows):
        y = y0 + line_h * (i + 1) - 2
        cv2.putText(image, key, (8, y), FONT, font_scale, (0, 200, 255), thickness,
                    cv2.LINE_AA)
        cv2.putText(image, text, (8 + key_w, y), FONT, font_scale, WHITE, thickness,
                    cv2.LINE_AA)


def draw_candidates(binary: np.ndarray, tags: Sequence[Tag], scale: float = 1.0) -> np.ndarray:
    """The binary image with each tag's box and label (see candidate_tags); boxes in
    the frame's pixels are drawn `scale` times as large, on a picture of that size."""
    image = to_bgr(binary)
    font_scale, thickness = _style(image)

    def scaled(box: Box) -> Box:
        return tuple(round(v * scale) for v in box)

    tags = [Tag(scaled(t.box), t.parts, t.color) for t in tags]
    for tag in tags:
        draw_boxes(image, [tag.box], tag.color, thickness)
    by_size = sorted(tags, key=lambda t: (t.color == RED, -t.box[2] * t.box[3]))
    draw_tags(image, by_size[:MAX_REASON_LABELS], [t.box for t in tags], font_scale * 0.6,
              max(1, thickness - 1))
    return image


def crop_sheet(crops: np.ndarray, labels: Sequence[str], columns: int = 10,
               zoom: int = 4, colors: Sequence | None = None,
               numbered: bool = False) -> np.ndarray:
    """The 28x28 crops side by side, enlarged, each with its label underneath (on its
    colour from `colors`, if given) and, if `numbered`, its number (from 1) in the
    corner."""
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
        color = colors[i] if colors is not None else None
        if color is not None:
            cv2.rectangle(sheet, (x0, y0 + cell_w), (x0 + cell_w - 1, y0 + cell_h - 1),
                          color, cv2.FILLED)
        cv2.putText(sheet, label, (x0 + 4, y0 + cell_h - 6), FONT, 0.5,
                    _text_color(color or (40, 40, 40)), 1, cv2.LINE_AA)
        if numbered:
            cv2.putText(sheet, f"#{i + 1}", (x0 + 3, y0 + 14), FONT, 0.45, (0, 200, 255), 1,
                        cv2.LINE_AA)
    return sheet


def _caption_style(width: int) -> tuple[float, int]:
    font_scale = min(1.0, max(0.4, width / 1400))
    return font_scale, 1 if font_scale < 0.8 else 2


def caption_lines(text: str, width: int) -> list[str]:
    """`text` wrapped into lines that fit a caption bar `width` pixels wide."""
    font_scale, thickness = _caption_style(width)
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(trial, FONT, font_scale, thickness)[0][0] <= width - 12:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def with_caption(picture: np.ndarray, text: str, min_lines: int = 1) -> np.ndarray:
    """The picture under a dark bar that says what it shows, wrapped to its width; the
    bar holds at least `min_lines` lines, so pictures of one size stay of one size."""
    image = to_bgr(picture)
    width = image.shape[1]
    font_scale, thickness = _caption_style(width)
    (_, line_h), base = cv2.getTextSize("Ag", FONT, font_scale, thickness)
    lines = caption_lines(text, width)
    step = line_h + base + 6
    bar = np.full((step * max(min_lines, len(lines)) + 6, width, 3), 30, np.uint8)
    for i, line in enumerate(lines):
        cv2.putText(bar, line, (6, 4 + step * i + line_h + 2), FONT, font_scale, WHITE,
                    thickness, cv2.LINE_AA)
    return np.vstack([bar, image])
