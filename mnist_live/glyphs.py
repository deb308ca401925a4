"""Marks that are not digits, drawn as a pen or a printer would: letters, symbols, words
and scribbles, as ink masks.

The trainer teaches the model its "not a digit" class with them, and the benchmark's
"clutter" pages put them beside digits. Each mark is drawn large with one of OpenCV's
Hershey fonts (the script ones look handwritten) or a TrueType font found on the
machine (Debian's DejaVu and Liberation, read with Pillow when it is installed), then
given a pen of its own: stroke width, slant, a small rotation, uneven scale and a
wobble, as hands do.

    rng = np.random.default_rng(0)
    mask = draw_text("k", rng)        # uint8 0/255, ink = 255, cropped to the ink
    mask = draw_text("HELLO", rng)    # a word
    mask = draw_scribble(rng)         # a few random pen strokes
    mask = draw_printed("Name", rng)  # printed: a print font, upright, even strokes

Only marks that no reader would take for a digit on their own are drawn:
`LETTERS` leaves out the ones that look like one (O o D Q I l i j S s Z z B b G g q),
and a "/" leans more than a written 1 ever does (MNIST's 1s lean -21 to +44 degrees,
0.5th to 99.5th percentile): at 50-70 degrees.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .normalize import restroke, stroke_width

# Letters of both cases less those a reader may take for a digit: O o D Q (0), I l i j
# (1), S s (5), Z z (2), B (8), b G (6), g q (9).
LOOK_LIKE_DIGITS = set("OoDQIlijSsZzBbGgq")
LETTERS = "".join(c for c in map(chr, range(ord("A"), ord("z") + 1))
                  if c.isalpha() and c not in LOOK_LIKE_DIGITS)
# The symbols people write beside numbers (sums, prices, lists, questions).
SYMBOLS = "+-x×÷=/*()[]#%?!<>.,:"
# Printed or written words for clutter: a whole word is no digit, whatever its letters.
WORDS = ("HELLO", "WORLD", "Name", "DATE", "Total", "Page", "Hand", "MAKER", "Year",
         "PRICE", "Week", "Team", "REF", "Note", "Tuner", "Kit", "Cam", "Web",
         "Vector", "Math", "Paper", "Desk", "Pen", "Draw", "EXAM", "Task", "Kay")

HERSHEY = {
    "simplex": cv2.FONT_HERSHEY_SIMPLEX, "plain": cv2.FONT_HERSHEY_PLAIN,
    "duplex": cv2.FONT_HERSHEY_DUPLEX, "complex": cv2.FONT_HERSHEY_COMPLEX,
    "triplex": cv2.FONT_HERSHEY_TRIPLEX, "script simplex": cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    "script complex": cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
}
HERSHEY_FONTS = tuple(HERSHEY.values())
# The ones a printer uses: no script.
PRINT_FONTS = HERSHEY_FONTS[:5]
# Hershey fonts are ASCII only: these two are drawn from their parts.
DRAWN_SYMBOLS = {"×", "÷"}

TRUETYPE_FOLDERS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/TTF"),
                    Path("/Library/Fonts"), Path("C:/Windows/Fonts"))

CANVAS = 160  # px: marks are drawn about this tall, then cropped to their ink


@dataclass(frozen=True)
class Pen:
    """How one mark is written; `random_pen` draws one."""

    stroke: float  # stroke width as a fraction of the mark's height
    slant: float  # horizontal shear (x += slant * y)
    angle: float  # degrees, counter-clockwise
    aspect: float  # width multiplier
    wobble: float  # amplitude of the smooth random displacement, fraction of the height
    italic: bool


def random_pen(rng: np.random.Generator) -> Pen:
    return Pen(
        stroke=float(rng.uniform(0.04, 0.2)),
        slant=float(rng.uniform(-0.35, 0.35)),
        angle=float(rng.uniform(-12, 12)),
        aspect=float(rng.uniform(0.75, 1.3)),
        wobble=float(rng.uniform(0.0, 0.04)),
        italic=bool(rng.random() < 0.3),
    )


@functools.lru_cache(maxsize=1)
def truetype_fonts() -> tuple[Path, ...]:
    """TrueType fonts on this machine that Pillow can read (empty without Pillow)."""
    try:
        from PIL import ImageFont  # noqa: F401  (Pillow comes with matplotlib)
    except ImportError:
        return ()
    found = []
    for folder in TRUETYPE_FOLDERS:
        if folder.is_dir():
            found += sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".ttf",
                                                                                 ".otf"))
    return tuple(found)


def font_names() -> list[str]:
    """Every font draw_text may use, for a report."""
    return ["Hershey " + name for name in HERSHEY] + [p.stem for p in truetype_fonts()]


def draw_text(text: str, rng: np.random.Generator, pen: Pen | None = None) -> np.ndarray:
    """`text` written with one font and one pen, as a uint8 ink mask cropped to its ink."""
    pen = pen or random_pen(rng)
    if text == "/":  # drawn leaning more than any written 1 (MNIST's lean -21 to +44 deg)
        pen = Pen(pen.stroke, 0.0, 0.0, 1.0, pen.wobble, pen.italic)
        return crop_to_ink(_write_like(_slash(pen.stroke, rng), pen, rng))
    fonts = truetype_fonts()
    use_truetype = fonts and (rng.random() < 0.4 or any(c in DRAWN_SYMBOLS for c in text))
    if use_truetype:
        mask = _truetype(text, fonts[int(rng.integers(len(fonts)))])
        mask = _set_stroke(mask, pen.stroke)
    elif any(c in DRAWN_SYMBOLS for c in text):
        mask = _drawn_symbol(text, pen.stroke)
    else:
        font = int(rng.choice(HERSHEY_FONTS)) | (cv2.FONT_ITALIC if pen.italic else 0)
        mask = _hershey(text, font, pen.stroke)
    mask = _write_like(mask, pen, rng)
    return crop_to_ink(mask)


def draw_printed(text: str, rng: np.random.Generator) -> np.ndarray:
    """`text` as a printer puts it on paper: a TrueType font (when found) or a print
    Hershey font, upright, without a hand's wobble; a uint8 ink mask cropped to its ink."""
    fonts = truetype_fonts()
    if fonts and rng.random() < 0.7:
        mask = _truetype(text, fonts[int(rng.integers(len(fonts)))])
    else:
        mask = _hershey(text, int(rng.choice(PRINT_FONTS)), float(rng.uniform(0.05, 0.1)))
    return crop_to_ink(cv2.threshold(mask, 127, 255, cv2.THRESH_BINARY)[1])


def draw_scribble(rng: np.random.Generator, strokes: int | None = None) -> np.ndarray:
    """A few random pen strokes crossing each other: a doodle, a crossed-out word."""
    size = CANVAS
    mask = np.zeros((size, size), np.uint8)
    width = max(2, round(size * rng.uniform(0.03, 0.1)))
    for _ in range(strokes or int(rng.integers(3, 7))):
        points = rng.uniform(0.1, 0.9, size=(4, 2)) * size
        curve = _bezier(points, 40)
        cv2.polylines(mask, [curve.astype(np.int32)], False, 255, width, cv2.LINE_AA)
    return crop_to_ink(cv2.threshold(mask, 127, 255, cv2.THRESH_BINARY)[1])


def crop_to_ink(mask: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return np.zeros((1, 1), np.uint8)
    return np.ascontiguousarray(mask[y : y + h, x : x + w])


# --- internals --------------------------------------------------------------------------


def _hershey(text: str, font: int, stroke: float) -> np.ndarray:
    scale = cv2.getFontScaleFromHeight(font, CANVAS // 2, 1)
    thickness = max(1, round(stroke * CANVAS * 0.6))
    (w, h), base = cv2.getTextSize(text, font, scale, thickness)
    pad = thickness + CANVAS // 8
    canvas = np.zeros((h + base + 2 * pad, w + 2 * pad), np.uint8)
    cv2.putText(canvas, text, (pad, pad + h), font, scale, 255, thickness, cv2.LINE_AA)
    return canvas


def _truetype(text: str, path: Path) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(path), CANVAS // 2)
    left, top, right, bottom = font.getbbox(text)
    pad = CANVAS // 8
    image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, fill=255, font=font)
    return np.asarray(image, np.uint8).copy()


def _drawn_symbol(text: str, stroke: float) -> np.ndarray:
    size = CANVAS // 2
    width = max(2, round(stroke * size))
    canvas = np.zeros((size + 2 * width, size + 2 * width), np.uint8)
    c, r = canvas.shape[0] // 2, int(size * 0.4)
    if "×" in text:
        cv2.line(canvas, (c - r, c - r), (c + r, c + r), 255, width, cv2.LINE_AA)
        cv2.line(canvas, (c - r, c + r), (c + r, c - r), 255, width, cv2.LINE_AA)
    else:  # ÷
        cv2.line(canvas, (c - r, c), (c + r, c), 255, width, cv2.LINE_AA)
        for dy in (-r // 1.6, r // 1.6):
            cv2.circle(canvas, (c, int(c + dy)), max(2, width), 255, -1, cv2.LINE_AA)
    return canvas


def _slash(stroke: float, rng: np.random.Generator) -> np.ndarray:
    size = CANVAS // 2
    width = max(2, round(stroke * size))
    lean = math.radians(rng.uniform(50, 70))
    dx, dy = size / 2 * math.sin(lean), size / 2 * math.cos(lean)
    canvas = np.zeros((size + 4 * width, size + 4 * width), np.uint8)
    c = canvas.shape[0] // 2
    cv2.line(canvas, (round(c - dx), round(c + dy)), (round(c + dx), round(c - dy)), 255,
             width, cv2.LINE_AA)
    return canvas


def _set_stroke(mask: np.ndarray, stroke: float) -> np.ndarray:
    """Thicken or thin a printed glyph towards `stroke` x its ink height."""
    binary = cv2.threshold(mask, 127, 255, cv2.THRESH_BINARY)[1]
    _, _, _, h = cv2.boundingRect(binary)
    if h == 0:
        return binary
    return restroke(binary, round((stroke * h - stroke_width(binary)) / 2), keep=0.3)


def _write_like(mask: np.ndarray, pen: Pen, rng: np.random.Generator) -> np.ndarray:
    """Slant, turn, stretch and wobble a mask, as a hand does."""
    mask = np.pad(mask, mask.shape[0] // 2)
    h, w = mask.shape
    centre = np.array([w / 2, h / 2])
    a = math.radians(pen.angle)
    rotate = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    shape = np.array([[pen.aspect, -pen.slant], [0.0, 1.0]])
    linear = rotate @ shape
    matrix = np.hstack([linear, (centre - linear @ centre)[:, None]]).astype(np.float32)
    mask = cv2.warpAffine(mask, matrix, (w, h), flags=cv2.INTER_LINEAR)
    if pen.wobble > 0:
        mask = _wobble(mask, pen.wobble * CANVAS, rng)
    return cv2.threshold(mask, 127, 255, cv2.THRESH_BINARY)[1]


def _wobble(mask: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth random displacement (an elastic distortion), `amplitude` px at most."""
    h, w = mask.shape
    coarse = rng.uniform(-1, 1, size=(2, 4, 4)).astype(np.float32)
    dx, dy = (cv2.resize(c, (w, h), interpolation=cv2.INTER_CUBIC) * amplitude
              for c in coarse)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(mask, xs + dx, ys + dy, cv2.INTER_LINEAR)


def _bezier(points: np.ndarray, steps: int) -> np.ndarray:
    t = np.linspace(0, 1, steps)[:, None]
    p0, p1, p2, p3 = points
    return ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2
            + t ** 3 * p3)
