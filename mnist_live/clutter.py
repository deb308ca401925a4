"""What a camera sees on and around a real page besides its digits, for the "clutter"
scenes: the sheet lying on a desk, a wall, fabric or beside a hand, with letters,
symbols, words, scribbles and printed words written on it between the numbers.

scenes.render_scene, for a style with `clutter`, does:

    page = page_outline(rng, width, height, margin)   # where the sheet lies in the frame
    # ... lays the digits out inside page.content, then:
    marks = write_marks(rng, page, digit_boxes, number_boxes, digit_height)
    # ... draws paper, digits and marks.ink (the digits' pen) and marks.printed, then:
    image = around_page(rng, image, page)              # desk, wall, fabric, a hand

Marks are not digits: they get no truth box among the digits (a reader must not read
them) and keep `clearance` px clear of every digit's box, as a writer leaves room
between a number and a word. They are glyphs.py's ink masks scaled to their size on
the page with a soft edge, composited like the digits, so they look alike.

The surroundings are made textures (training.examples.made_texture: wood, weave,
speckle), scikit-image's sample photos (brick, grass, gravel, coffee, chelsea,
astronaut; never ../shared/data/negatives, which is for measuring only), a plain desk
and a drawn hand, and they lie only outside the sheet.

A seed draws the same page on one machine; the TrueType fonts glyphs finds there (and
scikit-image's photos) are part of it, so a machine with other fonts draws other marks.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from . import glyphs
from .boxes import Box

# Surroundings, each as likely.
SURROUNDINGS = ("wood", "wall", "brick", "fabric", "desk", "gravel", "grass", "coffee",
                "chelsea", "astronaut")
# scikit-image's sample photos used: none shows a digit or print.
SKIMAGE_PHOTOS = {"brick": "brick.png", "gravel": "gravel.png", "grass": "grass.png",
                  "coffee": "coffee.png", "chelsea": "chelsea.png",
                  "astronaut": "astronaut.png"}
# Symbols written between two numbers of a row, as in a sum.
BETWEEN_SYMBOLS = "+-=x×÷/"
# Loose symbols: glyphs.SYMBOLS less the ones a slanted hand turns into a 1 ([ ] ! |),
# which no reader could be blamed for reading.
LOOSE_SYMBOLS = "".join(c for c in glyphs.SYMBOLS if c not in "[]!|")
FONT_PX = glyphs.CANVAS // 2  # glyphs draws text this tall: the scale's reference


@dataclass(frozen=True)
class Page:
    """Where the sheet lies in the frame."""

    alpha: np.ndarray  # HxW float32: 1 on the sheet, 0 around it, soft at its edge
    room: np.ndarray  # HxW bool: where marks may be written (on the sheet, off its edge)
    content: tuple[int, int, int, int]  # left, top, right, bottom: where digits go


@dataclass(frozen=True)
class TrueMark:
    """One mark that is not a digit: what it is and the box of its ink."""

    kind: str  # "symbol", "letter", "word", "scribble" or "printed"
    text: str  # what was written; "" for a scribble
    box: Box


@dataclass
class Marks:
    """The marks written on a page and their ink, HxW float32 alpha maps."""

    marks: list[TrueMark]
    ink: np.ndarray  # written with the digits' pen
    printed: np.ndarray  # printed in black


# --- The sheet --------------------------------------------------------------------------


def page_outline(rng: np.random.Generator, width: int, height: int, margin: int) -> Page:
    """A sheet covering 40-88% of the frame, turned a few degrees, maybe running out of
    the frame on a side. Digits go in `content`: the largest upright box centred on the
    sheet that keeps 6% of the sheet's size from its edge and `margin` px from the
    frame's (a rectangle, so the layout of any page fits in it)."""
    frame = np.float32([width, height])
    for _ in range(100):
        size = frame * rng.uniform([0.55, 0.6], [0.9, 0.95])
        centre = frame * rng.uniform(0.35, 0.65, 2)
        angle = rng.uniform(-6, 6)
        corners = cv2.boxPoints((tuple(centre), tuple(size), angle))
        corners += (rng.uniform(-0.012, 0.012, (4, 2)) * frame).astype(np.float32)
        alpha = _polygon_alpha(corners, width, height)
        edge = 0.06 * float(size.min())
        content = _content_box(corners, centre, size, edge, width, height, margin)
        left, top, right, bottom = content
        if (0.12 <= 1 - alpha.mean() <= 0.6 and right - left >= 0.45 * width
                and bottom - top >= 0.4 * height):
            break
    inside = cv2.distanceTransform((alpha >= 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    room = inside >= 0.5 * edge
    room[: margin // 4], room[-(margin // 4) :] = False, False  # off the frame edge
    room[:, : margin // 4], room[:, -(margin // 4) :] = False, False
    return Page(alpha, room, content)


def _polygon_alpha(corners: np.ndarray, width: int, height: int) -> np.ndarray:
    canvas = np.zeros((height, width), np.uint8)
    cv2.fillPoly(canvas, [np.round(corners * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    return canvas.astype(np.float32) / 255


def _content_box(corners, centre, size, edge, width, height, margin) -> tuple[int, ...]:
    """The largest box of the sheet's proportions around its centre whose corners keep
    `edge` px inside the sheet, clipped to `margin` px inside the frame (binary search:
    the sheet is convex, so a box is inside when its corners are)."""
    polygon = corners.reshape(-1, 1, 2)
    low, high = 0.0, 1.0
    for _ in range(12):
        k = (low + high) / 2
        box = _clipped_box(centre, size * k / 2, width, height, margin)
        points = [(box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])]
        fits = all(cv2.pointPolygonTest(polygon, (float(x), float(y)), True) >= edge
                   for x, y in points)
        low, high = (k, high) if fits else (low, k)
    return _clipped_box(centre, size * low / 2, width, height, margin)


def _clipped_box(centre, half, width, height, margin) -> tuple[int, int, int, int]:
    left, top = np.maximum(np.ceil(centre - half), margin).astype(int)
    right = int(min(np.floor(centre[0] + half[0]), width - margin))
    bottom = int(min(np.floor(centre[1] + half[1]), height - margin))
    return int(left), int(top), right, bottom


# --- Marks on the sheet -----------------------------------------------------------------


def write_marks(rng: np.random.Generator, page: Page, digits: list[Box], numbers: list[Box],
                digit_height: float) -> Marks:
    """Symbols between numbers of a row, one or two printed lines, handwritten words,
    letters, scribbles and loose symbols, wherever the sheet has room for them.

    `numbers` are the number boxes in writing order (left to right, row by row). A mark
    that finds no room after a few tries is left out.
    """
    height, width = page.alpha.shape
    clearance = max(4, round(0.15 * digit_height))
    busy = (~page.room).astype(np.uint8)
    for x, y, w, h in digits:
        x0, y0 = max(0, x - clearance), max(0, y - clearance)
        busy[y0 : y + h + clearance, x0 : x + w + clearance] = 1
    written = _Writer(rng, busy, np.zeros((height, width), np.float32),
                      np.zeros((height, width), np.float32))

    for left, right in itertools.pairwise(numbers):
        same_row = abs((left[1] + left[3]) - (right[1] + right[3])) < 0.5 * digit_height
        if same_row and right[0] > left[0] and rng.random() < 0.6:
            symbol = BETWEEN_SYMBOLS[int(rng.integers(len(BETWEEN_SYMBOLS)))]
            centre = ((left[0] + left[2] + right[0]) / 2, left[1] + left[3] / 2)
            written.text("symbol", symbol, digit_height * rng.uniform(0.8, 1.3), centre)
    for _ in range(int(rng.integers(1, 3))):
        words = " ".join(rng.choice(glyphs.WORDS, int(rng.integers(2, 5))))
        written.text("printed", words, max(14.0, digit_height * rng.uniform(0.35, 0.6)))
    for _ in range(int(rng.integers(1, 4))):
        written.text("word", str(rng.choice(glyphs.WORDS)), digit_height * rng.uniform(0.8, 1.3))
    for _ in range(int(rng.integers(1, 4))):
        letter = glyphs.LETTERS[int(rng.integers(len(glyphs.LETTERS)))]
        written.text("letter", letter, digit_height * rng.uniform(0.9, 1.4))
    for _ in range(int(rng.integers(0, 3))):
        written.scribble(digit_height * rng.uniform(0.8, 2.0))
    for _ in range(int(rng.integers(1, 4))):
        symbol = LOOSE_SYMBOLS[int(rng.integers(len(LOOSE_SYMBOLS)))]
        written.text("symbol", symbol, digit_height * rng.uniform(0.9, 1.5))
    return Marks(written.marks, written.ink, written.printed)


@dataclass
class _Writer:
    """Puts marks where the page has room: `busy` is 1 where no ink may go."""

    rng: np.random.Generator
    busy: np.ndarray
    ink: np.ndarray
    printed: np.ndarray

    def __post_init__(self):
        self.marks: list[TrueMark] = []

    def text(self, kind: str, text: str, font_px: float, centre=None) -> None:
        """Write `text` with glyphs drawn `font_px` tall (FONT_PX at glyphs' size)."""
        scale = font_px / FONT_PX
        if kind == "printed":
            mask = glyphs.draw_printed(text, self.rng)
        else:  # a pen at least 2 px wide at this size
            pen = glyphs.random_pen(self.rng)
            pen = replace(pen, stroke=max(pen.stroke, 2.0 / (FONT_PX * scale)))
            mask = glyphs.draw_text(text, self.rng, pen)
        self._put(kind, text, _soft_ink(mask, scale), centre)

    def scribble(self, size: float) -> None:
        mask = glyphs.draw_scribble(self.rng)
        self._put("scribble", "", _soft_ink(mask, size / max(mask.shape)), None)

    def _put(self, kind: str, text: str, alpha: np.ndarray, centre) -> None:
        h, w = alpha.shape
        frame_h, frame_w = self.busy.shape
        if h >= frame_h or w >= frame_w:
            return
        if centre is not None:
            tries = [(round(centre[0] - w / 2), round(centre[1] - h / 2))]
        else:
            tries = zip(self.rng.integers(0, frame_w - w, 40),
                        self.rng.integers(0, frame_h - h, 40), strict=True)
        sums = cv2.integral(self.busy)
        for x, y in tries:
            x, y = int(x), int(y)
            if x < 0 or y < 0 or x + w > frame_w or y + h > frame_h:
                continue
            if sums[y + h, x + w] - sums[y, x + w] - sums[y + h, x] + sums[y, x] == 0:
                break
        else:
            return
        layer = self.printed if kind == "printed" else self.ink
        np.maximum(layer[y : y + h, x : x + w], alpha, out=layer[y : y + h, x : x + w])
        self.busy[max(0, y - 3) : y + h + 3, max(0, x - 3) : x + w + 3] = 1
        bx, by, bw, bh = cv2.boundingRect((alpha >= 0.5).astype(np.uint8))
        self.marks.append(TrueMark(kind, text, (x + bx, y + by, bw, bh)))


def _soft_ink(mask: np.ndarray, scale: float) -> np.ndarray:
    """A glyph mask (uint8, 255 = ink) at `scale` as float32 alpha with a soft edge and
    two px of empty fringe, as scenes draws a digit."""
    h, w = mask.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    alpha = cv2.resize(mask.astype(np.float32) / 255, size, interpolation=interpolation)
    return np.pad(np.clip(alpha, 0, 1), 2)


# --- Around the sheet -------------------------------------------------------------------


def around_page(rng: np.random.Generator, image: np.ndarray, page: Page) -> np.ndarray:
    """The sheet (`image`, float32 BGR) laid on its surroundings: one surface or two
    (a desk's edge, a wall behind), maybe a hand, and the sheet's soft shadow."""
    height, width = page.alpha.shape
    around = _surface(rng, width, height)
    if rng.random() < 0.3:  # a second surface beyond a straight edge
        beyond = _surface(rng, width, height)
        angle = rng.uniform(0, 2 * math.pi)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        along = (xs - width / 2) * math.cos(angle) + (ys - height / 2) * math.sin(angle)
        far = np.clip((along - rng.uniform(0.2, 0.45) * width) / 1.5 + 0.5, 0, 1)[..., None]
        around = around * (1 - far) + beyond * far
    if rng.random() < 0.5:
        hand, skin = _hand(rng, page)
        below = cv2.GaussianBlur(np.roll(hand, (4, 3), axis=(0, 1)), (0, 0), 6)
        around = around * (1 - 0.35 * below[..., None])
        around = around * (1 - hand[..., None]) + skin * hand[..., None]
    shift = np.float32([[1, 0, rng.uniform(-6, 6)], [0, 1, rng.uniform(-6, 6)]])
    shadow = cv2.warpAffine(page.alpha, shift, (width, height))
    shadow = cv2.GaussianBlur(shadow, (0, 0), rng.uniform(2, 6))
    around = around * (1 - rng.uniform(0.15, 0.4) * shadow)[..., None]
    on_page = page.alpha[..., None]
    return image * on_page + around * (1 - on_page)


def _surface(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """One of SURROUNDINGS filling the frame: float32 BGR."""
    from .training.examples import made_texture, skimage_sample  # (it imports scenes)

    kind = str(rng.choice(SURROUNDINGS))
    photo = skimage_sample(SKIMAGE_PHOTOS[kind]) if kind in SKIMAGE_PHOTOS else None
    if kind in SKIMAGE_PHOTOS and photo is None:  # without scikit-image: made ones only
        kind = "fabric"
    side = max(width, height)
    if kind in ("coffee", "chelsea", "astronaut"):
        surface = _view(photo, rng, width, height)
    elif kind in ("brick", "gravel", "grass"):
        gray = _view(photo, rng, width, height)[..., 0] / 255
        base = {"brick": [(60, 70, 150), (200, 205, 210)], "gravel": [(120, 120, 125)],
                "grass": [(60, 140, 90), (90, 110, 120)]}[kind]
        surface = _tinted(gray, rng, base[int(rng.integers(len(base)))], 0.5, 1.4)
    elif kind in ("wood", "desk"):
        gray = _wood_grain(rng, width, height)
        if kind == "desk":  # laminate: a plain colour, a faint grain
            gray = 0.5 + 0.15 * (gray - 0.5)
        base = [(40, 85, 140), (70, 120, 180), (110, 110, 110), (35, 35, 40), (200, 205, 210)]
        surface = _tinted(gray, rng, base[int(rng.integers(len(base)))], 0.45, 1.35)
    elif kind == "fabric":
        gray = made_texture("weave", rng, side)[:height, :width] / 255
        base = [(130, 80, 40), (50, 50, 150), (60, 110, 60), (100, 100, 100), (150, 180, 200)]
        surface = _tinted(gray, rng, base[int(rng.integers(len(base)))], 0.6, 1.3)
    else:  # a painted wall: speckled plaster
        gray = made_texture("speckle", rng, side)[:height, :width] / 255
        base = [(175, 190, 200), (150, 165, 140), (190, 185, 175), (120, 150, 185)]
        surface = _tinted(gray, rng, base[int(rng.integers(len(base)))], 0.8, 1.15)
    return surface * rng.uniform(0.75, 1.1)


def _wood_grain(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Planks' grain, gray 0-1: growth rings as dark lines (sharp on one side, as
    latewood is) bent by smooth noise, fibres stretched along them, at a random angle."""
    side = math.ceil(math.hypot(width, height)) + 2
    rows = np.arange(side, dtype=np.float32)[:, None]
    bend = cv2.resize(rng.standard_normal((5, 3)).astype(np.float32), (side, side),
                      interpolation=cv2.INTER_CUBIC)
    phase = rows / rng.uniform(8, 28) + rng.uniform(1.0, 3.0) * bend
    rings = (phase % 1) ** rng.uniform(2, 5)
    fibres = cv2.resize(rng.standard_normal((side, side // 24)).astype(np.float32),
                        (side, side), interpolation=cv2.INTER_LINEAR)
    gray = 0.6 + 0.3 * (rings - 0.5) + 0.06 * fibres + 0.08 * bend
    turn = cv2.getRotationMatrix2D((side / 2, side / 2), rng.uniform(0, 180), 1.0)
    turn[:, 2] -= [(side - width) / 2, (side - height) / 2]
    gray = cv2.warpAffine(gray.astype(np.float32), turn, (width, height),
                          borderMode=cv2.BORDER_REFLECT)
    return np.clip(gray, 0, 1)


def _view(photo: np.ndarray, rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A random window of `photo` filling width x height, scaled 1-1.8x its cover size,
    maybe mirrored: float32 BGR."""
    scale = max(width / photo.shape[1], height / photo.shape[0]) * rng.uniform(1.0, 1.8)
    big = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    y = int(rng.integers(0, big.shape[0] - height + 1))
    x = int(rng.integers(0, big.shape[1] - width + 1))
    view = big[y : y + height, x : x + width]
    return (view[:, ::-1] if rng.random() < 0.5 else view).astype(np.float32)


def _tinted(gray: np.ndarray, rng: np.random.Generator, colour, dark: float,
            light: float) -> np.ndarray:
    """Gray 0-1 as shades of `colour` (BGR) from `dark` to `light` times it."""
    colour = np.float32(colour) * rng.uniform(0.85, 1.15, 3)
    shade = dark + (light - dark) * gray.astype(np.float32)
    return np.clip(shade[..., None] * colour, 0, 255)


def _hand(rng: np.random.Generator, page: Page) -> tuple[np.ndarray, np.ndarray]:
    """Part of a hand reaching in from the frame's edge with the most room beside the
    sheet: its alpha (0 on the sheet) and its skin, float32 BGR."""
    height, width = page.alpha.shape
    off = 1 - page.alpha
    band = max(4, height // 12)
    profiles = {"left": off[:, :band].mean(1), "right": off[:, -band:].mean(1),
                "top": off[:band].mean(0), "bottom": off[-band:].mean(0)}
    side = max(profiles, key=lambda s: profiles[s].mean())
    profile = np.convolve(profiles[side], np.ones(40) / 40, mode="same")
    at = float(np.argmax(profile) + rng.normal(0, 20))
    entry, inward = {"left": ((0, at), (1, 0)), "right": ((width - 1, at), (-1, 0)),
                     "top": ((at, 0), (0, 1)), "bottom": ((at, height - 1), (0, -1))}[side]
    d = _turned(np.float32(inward), rng.uniform(-35, 35))
    n = np.float32([-d[1], d[0]])
    palm = height * rng.uniform(0.3, 0.45)  # palm length
    breadth = palm * rng.uniform(0.8, 0.95)
    centre = np.float32(entry) + d * palm * rng.uniform(-0.35, 0.1)

    shade = np.zeros((height, width), np.float32)
    parts = [("palm", centre, d, palm, breadth)]
    thumb_side = rng.choice([-1, 1])
    for offset, fan, length in zip((-0.36, -0.12, 0.12, 0.36), (-12, -4, 4, 12),
                                   (0.55, 0.68, 0.72, 0.62), strict=True):
        if rng.random() < 0.15:  # curled out of sight
            continue
        direction = _turned(d, fan + rng.uniform(-5, 5))
        base = centre + d * palm * 0.4 + n * breadth * offset
        parts.append(("finger", base, direction, palm * length * rng.uniform(0.85, 1.1),
                       breadth * 0.24))
    thumb = _turned(d, -thumb_side * rng.uniform(45, 70))
    parts.append(("finger", centre + n * breadth * 0.45 * thumb_side, thumb,
                  palm * rng.uniform(0.45, 0.6), breadth * 0.3))
    for kind, start, direction, length, thick in parts:  # later parts over earlier ones
        mask = np.zeros((height, width), np.uint8)
        if kind == "palm":
            angle = math.degrees(math.atan2(direction[1], direction[0]))
            cv2.ellipse(mask, (round(start[0]), round(start[1])),
                        (round(length / 2), round(thick / 2)), angle, 0, 360, 255, -1)
        else:
            end = start + direction * length
            cv2.line(mask, (round(start[0]), round(start[1])), (round(end[0]), round(end[1])),
                     255, max(3, round(thick)))
        depth = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
        rounded = 0.78 + 0.22 * np.sqrt(np.clip(depth / (0.3 * breadth), 0, 1))
        shade = np.where(mask > 0, rounded, shade)
    alpha = cv2.GaussianBlur((shade > 0).astype(np.float32), (0, 0), 0.8) * (1 - page.alpha)
    shade = cv2.GaussianBlur(np.maximum(shade, 0.7), (0, 0), 1.2)
    tone = rng.uniform()
    skin = np.float32([175, 198, 238]) * (1 - tone) + np.float32([60, 85, 130]) * tone
    blotch = cv2.resize(rng.standard_normal((6, 8)).astype(np.float32), (width, height),
                        interpolation=cv2.INTER_CUBIC)
    pores = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32),
                             (0, 0), 0.7)
    colour = skin * (shade * (1 + 0.05 * blotch + 0.03 * pores))[..., None]
    return alpha.astype(np.float32), colour.astype(np.float32)


def _turned(vector: np.ndarray, degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    return np.float32([vector[0] * math.cos(a) - vector[1] * math.sin(a),
                       vector[0] * math.sin(a) + vector[1] * math.cos(a)])
