"""Camera-like pages of MNIST test digits with known boxes, for tests and benchmarks.

Real photos with hand-made boxes are few, so the benchmark also reads pages that are
made here: MNIST TEST digits (never training digits, the model may have memorized those)
drawn with dark blue-gray ink on off-white, textured paper, with the light, noise and
geometry a camera adds. Because we draw every digit, we know its box exactly.

    scene = make_scene("uneven_light", seed=7)
    scene.image    # 480x640x3 BGR uint8
    scene.digits   # [TrueDigit(digit=3, box=(x, y, w, h), mnist_index=...), ...]
    scene.numbers  # [TrueNumber(text="307", box=(x, y, w, h)), ...]

How a digit is drawn: the 28x28 MNIST image (white on black) is used as an ink alpha
mask. It is scaled so that its ink is the wanted height, its soft edge is sharpened into
a pen-like stroke (the cut level sets the stroke width), optionally cut (broken strokes)
and rotated (tilted), and composited as `paper * (1 - alpha) + ink * alpha`. A digit's
true box is the tight bound of the pixels whose alpha is at least INK_LEVEL, in the final
geometry (after rotation and, for "rough", after the perspective warp).

Digits are laid out as numbers: a few digits with tight spacing inside a number and
wide gaps between numbers, in rows, so the "numbers" ground truth is unambiguous.

A "clutter" page (clutter.py) is a sheet that does not fill the frame, with marks that
are not digits between the numbers: `scene.marks` (letters, symbols, words, scribbles,
printed words; never in `scene.digits`, as no reader may report them), their ink in
`scene.mark_ink` and the sheet in `scene.page`.

Every scene is a pure function of (category, seed): `np.random.default_rng` drives all
randomness, so a benchmark run is repeatable.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from . import clutter, config
from .boxes import Box, union_box
from .clutter import TrueMark
from .errors import DataError

# A pixel belongs to a digit's ink when its alpha is at least this: half covered.
INK_LEVEL = 0.5

# Digits stay this fraction of the frame's shorter side away from the frame edge, so a
# slight perspective warp or camera shake never pushes ink out of the frame.
MARGIN_FRACTION = 0.1

# Fringe of soft alpha kept around a glyph's tight ink box.
GLYPH_PAD = 2


@dataclass(frozen=True)
class TrueDigit:
    """One drawn digit: its label, its tight ink box and which MNIST test image it is."""

    digit: int
    box: Box
    mnist_index: int


@dataclass(frozen=True)
class TrueNumber:
    """Digits written side by side as one number, e.g. "307", and their joint box."""

    text: str
    box: Box


@dataclass
class Scene:
    """A generated page and its ground truth."""

    image: np.ndarray  # HxWx3 BGR uint8
    digits: list[TrueDigit]
    numbers: list[TrueNumber]
    category: str
    seed: int
    ink: np.ndarray  # HxW uint8, 255 * the digits' ink alpha in the image (for checks)
    # Clutter pages: the marks that are not digits (never to be read), their ink
    # (HxW uint8 like `ink`) and where the sheet lies (HxW uint8, 255 on it).
    marks: list[TrueMark] = field(default_factory=list)
    mark_ink: np.ndarray | None = None
    page: np.ndarray | None = None


@dataclass(frozen=True)
class SceneStyle:
    """Everything that makes one category look the way it does. Ranges are (low, high)."""

    size: tuple[int, int] = (640, 480)  # frame width, height
    digit_count: tuple[int, int] = (6, 14)  # inclusive
    digit_height: tuple[float, float] = (36, 80)  # ink height before rotation, pixels
    stroke_cut: tuple[float, float] = (0.35, 0.55)  # alpha level of the stroke edge: high=thin
    rotation: tuple[float, float] = (0.0, 4.0)  # |degrees| per number, random sign
    gaps: tuple[int, int] = (0, 0)  # breaks cut into each digit's strokes
    gap_width: tuple[float, float] = (0.05, 0.10)  # each break's width, x digit height
    gap_turn: tuple[float, float] = (0.0, 0.0)  # |degrees| off straight across the stroke
    skips: tuple[int, int] = (0, 0)  # dashed stretches per digit: a pen skipping in a row
    cut_one_stroke: bool = False  # a break stops at its stroke's edges (`broken`: cuts on)
    intra_gap: tuple[float, float] = (0.12, 0.3)  # between digits of a number, x height
    number_gap: tuple[float, float] = (0.9, 1.6)  # between numbers, x height
    line_gap: tuple[float, float] = (0.4, 0.9)  # between rows, x height
    board: bool = False  # light chalk on a dark board instead of ink on paper
    ruled: bool = False  # lined paper
    uneven_light: bool = False  # strong gradient and/or a shadow band
    noise: tuple[float, float] = (1.5, 3.5)  # sensor noise sigma, gray levels
    blur: tuple[float, float] = (0.0, 0.0)  # Gaussian blur sigma, pixels
    perspective: float = 0.0  # largest corner shift, fraction of the frame size
    jpeg_quality: tuple[int, int] | None = None
    # A sheet on a desk, a wall, fabric or beside a hand (not filling the frame), with
    # letters, symbols, words, scribbles and printed words beside the digits (clutter.py).
    clutter: bool = False


STYLES: dict[str, SceneStyle] = {
    "clean": SceneStyle(),
    "uneven_light": SceneStyle(uneven_light=True),
    "small_thin": SceneStyle(
        digit_count=(10, 20), digit_height=(20, 35), stroke_cut=(0.6, 0.8)
    ),
    "broken": SceneStyle(digit_count=(6, 12), gaps=(1, 2)),
    "chalk": SceneStyle(digit_count=(6, 12), board=True),
    "lined": SceneStyle(digit_height=(30, 60), line_gap=(0.2, 0.8), ruled=True),
    "rough": SceneStyle(
        digit_count=(6, 12),
        digit_height=(40, 80),
        noise=(5.0, 10.0),
        blur=(0.8, 1.6),
        perspective=0.04,
        jpeg_quality=(25, 50),
    ),
    "tilted": SceneStyle(digit_count=(6, 12), rotation=(8.0, 25.0)),
    "crowded": SceneStyle(
        digit_count=(20, 30),
        digit_height=(28, 42),
        intra_gap=(0.06, 0.12),
        number_gap=(0.4, 0.6),
        line_gap=(0.15, 0.35),
    ),
    "hd": SceneStyle(size=(1280, 720), digit_count=(8, 16), digit_height=(50, 120)),
    # Broken in ways `broken` is not: pages nobody tuned for break strokes differently
    # from one generator. Each is its own row in the benchmark.
    "broken_narrow": SceneStyle(digit_count=(6, 12), gaps=(1, 2), gap_width=(0.03, 0.05),
                                cut_one_stroke=True),
    # One cut: two gaps this wide on one short stroke leave no digit a person could read.
    "broken_wide": SceneStyle(digit_count=(6, 12), gaps=(1, 1), gap_width=(0.15, 0.20),
                              cut_one_stroke=True),
    "broken_slanted": SceneStyle(digit_count=(6, 12), gaps=(1, 2), gap_turn=(25.0, 55.0),
                                 cut_one_stroke=True),
    # A break that runs along the stroke: the two ends lie side by side, overlapping,
    # as when a stroke is written in two goes that do not meet.
    "broken_along": SceneStyle(digit_count=(6, 12), gaps=(1, 2), gap_width=(0.03, 0.06),
                               gap_turn=(60.0, 72.0), cut_one_stroke=True),
    "broken_many": SceneStyle(digit_count=(6, 12), gaps=(3, 4), gap_width=(0.03, 0.15),
                              gap_turn=(0.0, 45.0), cut_one_stroke=True),
    "broken_skip": SceneStyle(digit_count=(6, 12), skips=(1, 1), cut_one_stroke=True),
    # Numbers with room between them and between rows for the marks.
    "clutter": SceneStyle(digit_count=(4, 10), digit_height=(28, 56), number_gap=(1.6, 3.0),
                          line_gap=(0.8, 1.6), clutter=True),
}
CATEGORIES = tuple(STYLES)


# --- MNIST test digits ----------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def mnist_test_digits(path: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's 10,000 test images (uint8 Nx28x28, white on black) and labels.

    Only `x_test`/`y_test` are read: scenes must never show a digit the model trained on.
    """
    path = Path(path) if path else config.data_dir() / "mnist.npz"
    if not path.is_file():
        raise DataError(f"MNIST's test digits not found: {path}")
    with np.load(path) as data:
        return data["x_test"], data["y_test"]


# --- Scenes ---------------------------------------------------------------------------


def make_scene(category: str, seed: int, digits_path: str | None = None) -> Scene:
    """Draw one page of `category` (see CATEGORIES); the same seed gives the same page."""
    if category not in STYLES:
        raise ValueError(f"unknown scene category {category!r}; choose from {CATEGORIES}")
    # The category's index joins the seed, so categories with one seed differ.
    rng = np.random.default_rng([seed, CATEGORIES.index(category)])
    return render_scene(STYLES[category], rng, category, seed, digits_path)


def make_scenes(category: str, count: int, seed: int = 0) -> list[Scene]:
    """`count` pages of one category, seeds seed*1000+0, +1, ..."""
    return [make_scene(category, seed * 1000 + i) for i in range(count)]


def render_scene(
    style: SceneStyle,
    rng: np.random.Generator,
    category: str = "custom",
    seed: int = 0,
    digits_path: str | None = None,
) -> Scene:
    """Compose a page in `style`; use this for a style of your own."""
    images, labels = mnist_test_digits(digits_path)
    if not style.clutter:
        placed, ruled = _layout(style, rng, images, *style.size)
        return _photograph(style, rng, placed, ruled, labels, category, seed)
    # The sheet, its marks and its surroundings draw from a child stream of the
    # page's: the digits' draws stay those of a plain page, and no seed the trainer
    # gives default_rng (its "not a digit" streams) makes this stream.
    width, height = style.size
    clutter_rng = rng.spawn(1)[0]
    page = clutter.page_outline(clutter_rng, width, height,
                                round(MARGIN_FRACTION * min(width, height)))
    placed, ruled = _layout(style, rng, images, width, height, page.content)
    return _photograph(style, rng, placed, ruled, labels, category, seed, (clutter_rng, page))


def make_lone_digit(
    size: tuple[int, int], height: float, index: int, seed: int = 0,
    style: SceneStyle | None = None, digits_path: str | None = None,
) -> Scene:
    """MNIST test digit `index` alone, its ink `height` px tall, near the middle of a
    plain page of `size` (width, height) in `style` (default: "clean"'s paper, ink,
    light and noise, at `size`).

    The digit stands upright (MNIST's own slant stays), so its true box is `height`
    tall; it is placed at random (`seed`) within 15% of the frame from the centre,
    and outside the border band where the readers read nothing (2% of the shorter
    side, --border's default) when the digit leaves room for it.
    """
    style = replace(style or STYLES["clean"], size=size)
    rng = np.random.default_rng([seed, index, round(height), *size])
    images, labels = mnist_test_digits(digits_path)
    glyph = render_digit(images[index], height, rng, stroke_cut=rng.uniform(*style.stroke_cut))
    width, frame_height = size
    ink_h, ink_w = (n - 2 * GLYPH_PAD for n in glyph.shape)
    if ink_h > frame_height - 2 * GLYPH_PAD or ink_w > width - 2 * GLYPH_PAD:
        raise ValueError(f"a {height:g} px digit does not fit a {width}x{frame_height} frame")

    # Outside the frame's border band (the readers' default --border), where a digit
    # is taken to be cut by the edge and never read.
    margin = GLYPH_PAD + math.ceil(config.DEFAULT_BORDER_FRACTION * min(size))

    def place(frame: int, ink: int) -> int:
        free = max(0.0, (frame - ink) / 2 - margin)  # room on each side when centred
        return round((frame - ink) / 2 + rng.uniform(-1, 1) * min(0.15 * frame, free))

    lone = _Placed(glyph, place(width, ink_w), place(frame_height, ink_h), index, 0)
    return _photograph(style, rng, [lone], (0, 0), labels, "lone", seed)


def _photograph(style, rng, placed, ruled, labels, category, seed,
                sheet: tuple[np.random.Generator, clutter.Page] | None = None) -> Scene:
    """Ink the placed digits onto paper in `style` and take the picture: light, blur,
    perspective, noise and JPEG as the style says; boxes follow the geometry.

    With `sheet` (clutter's stream and page), marks are written beside the digits and
    the page is laid on its surroundings.
    """
    width, height = style.size
    marks = None
    ink = np.zeros((height, width), np.float32)
    for item in placed:
        gh, gw = item.alpha.shape
        region = ink[item.y - GLYPH_PAD : item.y - GLYPH_PAD + gh,
                     item.x - GLYPH_PAD : item.x - GLYPH_PAD + gw]
        np.maximum(region, item.alpha, out=region)

    if sheet is None:
        image = _draw_page(style, rng, ink, ruled)
    else:
        clutter_rng, page = sheet
        marks = _write_marks(clutter_rng, page, placed)
        black = np.float32(clutter_rng.uniform(20, 50) + clutter_rng.uniform(-5, 5, 3))
        image = _draw_page(style, rng, np.maximum(ink, marks.ink), ruled,
                           layers=[(marks.printed, black)])
        image = clutter.around_page(clutter_rng, image, page)

    # Where each digit's ink pixels lie, so their boxes can follow a warp.
    ink_points = [_ink_points(item) for item in placed]
    if style.blur[1] > 0:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(*style.blur))
    if style.perspective > 0:
        warp = _random_perspective(rng, width, height, style.perspective)
        image = cv2.warpPerspective(image, warp, (width, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)
        ink = cv2.warpPerspective(ink, warp, (width, height), flags=cv2.INTER_LINEAR)
        ink_points = [
            cv2.perspectiveTransform(points[None], warp)[0] for points in ink_points
        ]

    noise_sigma = rng.uniform(*style.noise)
    image += rng.standard_normal(image.shape, dtype=np.float32) * noise_sigma
    image = np.clip(image, 0, 255).astype(np.uint8)
    if style.jpeg_quality:
        quality = int(rng.integers(style.jpeg_quality[0], style.jpeg_quality[1] + 1))
        _, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        image = cv2.imdecode(encoded, cv2.IMREAD_COLOR)

    digits = [
        TrueDigit(int(labels[item.index]), _points_box(points, width, height), int(item.index))
        for item, points in zip(placed, ink_points, strict=True)
    ]
    numbers = []
    for number_id in sorted({item.number for item in placed}):
        members = [d for d, item in zip(digits, placed, strict=True) if item.number == number_id]
        text = "".join(str(d.digit) for d in members)
        numbers.append(TrueNumber(text, union_box([d.box for d in members])))

    ink_u8 = _as_u8(ink)
    if marks is None:
        return Scene(image, digits, numbers, category, seed, ink_u8)
    return Scene(image, digits, numbers, category, seed, ink_u8, marks.marks,
                 _as_u8(np.maximum(marks.ink, marks.printed)), _as_u8(page.alpha))


def _as_u8(alpha: np.ndarray) -> np.ndarray:
    return np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)


def _write_marks(rng: np.random.Generator, page: clutter.Page,
                 placed: list[_Placed]) -> clutter.Marks:
    """Marks beside the placed digits: their boxes, their numbers' boxes in writing
    order and their median height tell clutter.write_marks where there is room."""
    boxes = [(p.x, p.y, p.alpha.shape[1] - 2 * GLYPH_PAD, p.alpha.shape[0] - 2 * GLYPH_PAD)
             for p in placed]
    numbers = [union_box([b for b, p in zip(boxes, placed, strict=True) if p.number == n])
               for n in sorted({p.number for p in placed})]
    height = float(np.median([b[3] for b in boxes])) if boxes else 40.0
    return clutter.write_marks(rng, page, boxes, numbers, height)


def scene_truth(scene: Scene) -> dict:
    """The scene's ground truth in photos/truth.json's format (plus its numbers and,
    on clutter pages, the marks that are not digits)."""
    truth = {
        "tier": scene.category,
        "source": f"mnist_live.scenes:{scene.category}:{scene.seed}",
        "digits": [{"digit": d.digit, "box": list(d.box)} for d in scene.digits],
        "numbers": [{"text": n.text, "box": list(n.box)} for n in scene.numbers],
    }
    if scene.marks:
        truth["marks"] = [{"kind": m.kind, "text": m.text, "box": list(m.box)}
                          for m in scene.marks]
    return truth


# --- A still page filmed --------------------------------------------------------------


@dataclass(frozen=True)
class VideoFrame:
    """One frame of a filmed page: the picture and the digits' boxes in it."""

    image: np.ndarray
    digits: list[TrueDigit]
    numbers: list[TrueNumber]
    shift: tuple[int, int]  # the camera shake of this frame, (dx, dy) pixels


def render_video_frames(scene: Scene, count: int, seed: int = 0,
                        pan: float = 0.0) -> Iterator[VideoFrame]:
    """Film `scene` for `count` frames: fresh noise, slow exposure drift, 1-2 px shake.

    With `pan`, the page also drifts as a page held in a hand does: each frame moves it
    by up to `pan` px each way from where it was (a random walk, kept within
    PAN_LIMIT px of its place). The shake and the drift are whole-pixel shifts, so each
    frame's boxes are the scene's boxes moved by (dx, dy): exact, with no resampling
    guesswork.
    """
    rng = np.random.default_rng(seed)
    height, width = scene.image.shape[:2]
    base = scene.image.astype(np.float32)
    gain = 1.0
    drift = np.zeros(2)
    for _ in range(count):
        gain = float(np.clip(gain + rng.normal(0, 0.02), 0.85, 1.15))  # auto-exposure hunting
        dx, dy = (int(v) for v in rng.integers(-2, 3, size=2))
        if pan:
            drift = np.clip(drift + rng.uniform(-pan, pan, size=2), -PAN_LIMIT, PAN_LIMIT)
            dx, dy = dx + round(drift[0]), dy + round(drift[1])
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        frame = cv2.warpAffine(base, shift, (width, height), borderMode=cv2.BORDER_REPLICATE)
        frame = frame * gain + rng.standard_normal(frame.shape, dtype=np.float32) * 3.0
        frame = np.clip(frame, 0, 255).astype(np.uint8)
        digits = [
            TrueDigit(d.digit, _shift_box(d.box, dx, dy, width, height), d.mnist_index)
            for d in scene.digits
        ]
        numbers = [
            TrueNumber(n.text, _shift_box(n.box, dx, dy, width, height)) for n in scene.numbers
        ]
        yield VideoFrame(frame, digits, numbers, (dx, dy))


PAN_LIMIT = 30  # px: a drifting page stays this close to its place, so it stays in view


# --- Drawing one digit ----------------------------------------------------------------


def render_digit(
    mnist_image: np.ndarray,
    height: float,
    rng: np.random.Generator,
    stroke_cut: float = 0.4,
    angle: float = 0.0,
    gaps: int = 0,
    gap_width: tuple[float, float] = (0.05, 0.10),
    gap_turn: tuple[float, float] = (0.0, 0.0),
    skips: int = 0,
    one_stroke: bool = False,
) -> np.ndarray:
    """An MNIST image as a float32 ink alpha mask with ink `height` pixels high.

    `gaps` pen skips are cut through its strokes (see _cut_gap: `gap_width` x height
    wide, turned `gap_turn` degrees off straight across), and `skips` dashed stretches
    (see _cut_skips); with `one_stroke` a gap stops at the edges of the stroke it cuts
    instead of cutting whatever else lies in its way. The result is cropped to the
    tight ink box (alpha >= INK_LEVEL) plus GLYPH_PAD pixels of soft fringe on every side.
    """
    alpha = mnist_image.astype(np.float32) / max(1, int(mnist_image.max()))  # faint ones too
    rows = np.flatnonzero((alpha >= INK_LEVEL).any(axis=1))
    scale = height / (rows[-1] - rows[0] + 1)
    x_scale = scale * rng.uniform(0.9, 1.1)  # writers differ in how wide they write
    size = (max(1, round(28 * x_scale)), max(1, round(28 * scale)))
    soft = np.clip(cv2.resize(alpha, size, interpolation=cv2.INTER_CUBIC), 0, 1)
    if angle:  # rotate while the image is smooth, before the stroke gets its edge
        soft = _rotate(soft, angle)
    # Upscaled MNIST is blurry; a steep ramp around the cut level makes a pen stroke with
    # a one-pixel anti-aliased edge. A higher cut gives a thinner stroke, but where it
    # would split the digit into more pieces than MNIST's own level (0.5) does, the cut
    # is lowered: thin strokes, not broken ones.
    alpha = _stroke(soft, min(stroke_cut, 0.5), scale)
    if stroke_cut > 0.5:
        pieces = _count_pieces(alpha)
        for cut in (stroke_cut, (stroke_cut + 0.5) / 2):
            thin = _stroke(soft, cut, scale)
            if _count_pieces(thin) <= pieces:
                alpha = thin
                break
    whole = alpha.copy() if gaps or skips else alpha
    for _ in range(gaps):
        _cut_gap(alpha, height, rng, gap_width, gap_turn, one_stroke)
    for _ in range(skips):
        _cut_skips(alpha, height, rng, one_stroke)
    if not (alpha >= INK_LEVEL).any():  # the cuts took every stroke: draw it uncut
        alpha = whole
    return _crop_to_ink(alpha)


def _stroke(soft: np.ndarray, cut: float, scale: float) -> np.ndarray:
    return np.clip(0.5 + (soft - cut) * (1.5 * scale), 0, 1).astype(np.float32)


def _count_pieces(alpha: np.ndarray) -> int:
    count, _ = cv2.connectedComponents((alpha >= INK_LEVEL).astype(np.uint8))
    return count - 1


def _cut_gap(alpha: np.ndarray, height: float, rng: np.random.Generator,
             width: tuple[float, float] = (0.05, 0.10),
             turn: tuple[float, float] = (0.0, 0.0), one_stroke: bool = False) -> None:
    """Cut a pen skip through one stroke: a gap `width` x the digit's height wide
    (5-10% by default).

    The cut goes through a point near the middle of a stroke (see _stroke_point),
    straight across the stroke there or, with `turn`, that many degrees off it (either
    way; near 90 the cut runs along the stroke and its two ends lie side by side), just
    past both of its edges.
    """
    point = _stroke_point(alpha, rng)
    if point is None:
        return
    cx, cy, across, half_width, depth = point
    reach = 2 * half_width - depth + 1.5  # to the far edge and past it
    gap = max(2, round(height * rng.uniform(*width)))
    if turn[1] > 0:  # drawn only when asked, so `broken` pages stay as they were
        off = math.radians(rng.uniform(*turn)) * rng.choice([-1, 1])
        across += off
        reach /= max(math.cos(off), 0.2)  # a slanted cut is longer through the stroke
    _cut_line(alpha, cx, cy, across, reach, gap, one_stroke)


def _cut_skips(alpha: np.ndarray, height: float, rng: np.random.Generator,
               one_stroke: bool = True) -> None:
    """A pen that skips again and again along one stroke: 3-5 gaps of 3-6% of the
    height in a row, 8-14% apart, each straight across the stroke (a dashed stretch).

    From a point near the middle of a stroke the next gap's place is found one
    spacing further along the stroke, on its ridge (where the ink is deepest), so the
    dashes follow a curve; where the stroke ends, the walk turns back from the start.
    """
    point = _stroke_point(alpha, rng)
    if point is None:
        return
    cx, cy, across, half_width, _ = point
    distance = cv2.distanceTransform((alpha >= INK_LEVEL).astype(np.uint8), cv2.DIST_L2, 3)
    ys, xs = np.nonzero(distance >= 0.6 * half_width)
    ridge = np.stack([xs, ys], axis=1).astype(np.float32)
    count = int(rng.integers(3, 6))
    spacing = height * rng.uniform(0.08, 0.14)
    along = np.float32([-math.sin(across), math.cos(across)])
    stops = [np.float32([cx, cy])]
    for sign in (1, -1):
        here, heading = stops[0], along * sign
        while len(stops) < count:
            step = ridge - here
            length = np.hypot(step[:, 0], step[:, 1])
            ahead = (step @ heading) > 0.6 * length
            near = ahead & (np.abs(length - spacing) < 0.35 * spacing)
            if not near.any():
                break
            target = here + heading * spacing
            best = np.flatnonzero(near)[np.argmin(np.hypot(*(ridge[near] - target).T))]
            heading = step[best] / length[best]
            here = ridge[best]
            if sign > 0:
                stops.append(here)
            else:
                stops.insert(0, here)
    reach = 1.5 * half_width + 1.5  # a ridge point lies >= 0.6 half widths deep
    for k, (x, y) in enumerate(stops):
        # Across the walk's heading here: from the neighbouring stops.
        before, after = stops[max(0, k - 1)], stops[min(len(stops) - 1, k + 1)]
        dx, dy = after - before if len(stops) > 1 else along
        gap = max(2, round(height * rng.uniform(0.03, 0.06)))
        _cut_line(alpha, float(x), float(y), math.atan2(dx, -dy), reach, gap, one_stroke)


def _stroke_point(alpha: np.ndarray, rng: np.random.Generator):
    """A point near the middle of a stroke and the direction across the stroke there:
    (x, y, across angle in radians, the digit's half stroke width, the depth of the
    point in the ink), or None.

    The point has a high distance to the ink's edge; the direction across is the
    dominant gradient direction around it (from the structure tensor). Points where the
    stroke has no clear direction (corners, junctions) are not taken: a cut there would
    remove a chunk, not make a gap.
    """
    mask = (alpha >= INK_LEVEL).astype(np.uint8)
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    half_width = float(distance.max())
    if half_width == 0:
        return None
    ys, xs = np.nonzero(distance >= 0.6 * half_width)
    radius = math.ceil(1.5 * half_width + 1)
    for _ in range(8):
        i = rng.integers(len(xs))
        cx, cy = int(xs[i]), int(ys[i])
        window = alpha[max(0, cy - radius) : cy + radius + 1, max(0, cx - radius) : cx + radius + 1]
        gx = cv2.Sobel(window, cv2.CV_32F, 1, 0)
        gy = cv2.Sobel(window, cv2.CV_32F, 0, 1)
        jxx, jyy, jxy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
        coherence = math.hypot(jxx - jyy, 2 * jxy) / (jxx + jyy + 1e-6)
        if coherence > 0.6:
            across = 0.5 * math.atan2(2 * jxy, jxx - jyy)
            return cx, cy, across, half_width, float(distance[cy, cx])
    return None


def _cut_line(alpha: np.ndarray, cx: float, cy: float, angle: float, reach: float,
              width: int, one_stroke: bool = False) -> None:
    """Erase a band `width` px wide through (cx, cy), `reach` px each way at `angle`:
    all of it, or with `one_stroke` only the stroke under (cx, cy) (the band's ink
    that is joined to that point inside the band, and its soft fringe)."""
    dx, dy = math.cos(angle) * reach, math.sin(angle) * reach
    ends = (round(cx - dx), round(cy - dy)), (round(cx + dx), round(cy + dy))
    if not one_stroke:
        cv2.line(alpha, *ends, 0.0, thickness=width)
        return
    band = np.zeros(alpha.shape, np.uint8)
    cv2.line(band, *ends, 1, thickness=width)
    _, pieces = cv2.connectedComponents(((alpha >= INK_LEVEL) & (band > 0)).astype(np.uint8))
    own = pieces[min(round(cy), alpha.shape[0] - 1), min(round(cx), alpha.shape[1] - 1)]
    if own == 0:
        return
    near = cv2.dilate((pieces == own).astype(np.uint8), np.ones((5, 5), np.uint8))
    alpha[(band > 0) & (near > 0)] = 0.0


def _rotate(alpha: np.ndarray, angle: float) -> np.ndarray:
    """Rotate by `angle` degrees (counter-clockwise) on a canvas that holds the result."""
    h, w = alpha.shape
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = math.ceil(h * sin + w * cos) + 2, math.ceil(h * cos + w * sin) + 2
    matrix[0, 2] += (new_w - w) / 2
    matrix[1, 2] += (new_h - h) / 2
    return cv2.warpAffine(alpha, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR)


def _crop_to_ink(alpha: np.ndarray) -> np.ndarray:
    mask = alpha >= INK_LEVEL
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    padded = np.pad(alpha, GLYPH_PAD)
    if not len(rows):  # no ink at all (a faint digit drawn thin): nothing to crop to
        return padded
    return padded[rows[0] : rows[-1] + 2 * GLYPH_PAD + 1, cols[0] : cols[-1] + 2 * GLYPH_PAD + 1]


# --- Layout ---------------------------------------------------------------------------


@dataclass
class _Placed:
    alpha: np.ndarray  # glyph with GLYPH_PAD fringe
    x: int  # top-left of the tight ink box in the frame
    y: int
    index: int  # MNIST test index
    number: int  # which number it belongs to


def _layout(style, rng, images, width, height,
            area: tuple[int, int, int, int] | None = None
            ) -> tuple[list[_Placed], tuple[int, int]]:
    """Draw the digits and place them as numbers in rows inside the frame's margins, or
    inside `area` (left, top, right, bottom) when given.

    Returns the placed digits and, for ruled paper, (first line y, line pitch): the rows
    rest on those lines.
    """
    margin = round(MARGIN_FRACTION * min(width, height))
    area_left, area_top, area_right, area_bottom = area or (
        margin, margin, width - margin, height - margin)
    count = int(rng.integers(style.digit_count[0], style.digit_count[1] + 1))
    lengths = _number_lengths(count, rng)
    base_height = rng.uniform(*style.digit_height)
    ruled_pitch = round(base_height * rng.uniform(0.8, 1.2)) if style.ruled else 0

    # 1. Draw each number's digits and fill rows left to right.
    rows: list[list[tuple]] = [[]]  # per row: (glyph, x offset, bottom offset, index, number)
    row_width = 0
    usable_width = area_right - area_left
    for number, length in enumerate(lengths):
        number_height = base_height * rng.uniform(0.88, 1.12)
        angle = rng.uniform(*style.rotation) * rng.choice([-1, 1])
        glyphs = []
        x = 0
        for _ in range(length):
            index = int(rng.integers(len(images)))
            digit_height = np.clip(number_height * rng.uniform(0.93, 1.07), *style.digit_height)
            digit_angle = float(np.clip(angle + rng.uniform(-3, 3), -25, 25))
            gaps = int(rng.integers(style.gaps[0], style.gaps[1] + 1))
            skips = int(rng.integers(style.skips[0], style.skips[1] + 1)) if style.skips[1] else 0
            glyph = render_digit(images[index], digit_height, rng,
                                 stroke_cut=rng.uniform(*style.stroke_cut),
                                 angle=digit_angle if style.rotation[1] else 0.0, gaps=gaps,
                                 gap_width=style.gap_width, gap_turn=style.gap_turn,
                                 skips=skips, one_stroke=style.cut_one_stroke)
            bottom = round(digit_height * rng.uniform(-0.04, 0.04))
            glyphs.append((glyph, x, bottom, index, number))
            gap = max(2, round(number_height * rng.uniform(*style.intra_gap)))
            x += glyph.shape[1] - 2 * GLYPH_PAD + gap
        number_width = x - gap
        space = max(8, round(base_height * rng.uniform(*style.number_gap)))
        if rows[-1] and row_width + space + number_width > usable_width:
            rows.append([])
            row_width = 0
        start = row_width + space if rows[-1] else 0
        rows[-1].extend((g, start + gx, b, i, n) for g, gx, b, i, n in glyphs)
        row_width = start + number_width

    # 2. Stack the rows top to bottom, each resting on its baseline; drop rows that do
    #    not fit (never happens with the shipped styles' sizes).
    extents = []
    for row in rows:
        tops = [b - (g.shape[0] - 2 * GLYPH_PAD) for g, _, b, _, _ in row]
        bottoms = [b for _, _, b, _, _ in row]
        widths = [gx + g.shape[1] - 2 * GLYPH_PAD for g, gx, _, _, _ in row]
        extents.append((min(tops), max(bottoms), max(widths)))
    gaps_between = [round(base_height * rng.uniform(*style.line_gap)) for _ in rows]
    needed = sum(bottom - top for top, bottom, _ in extents) + sum(gaps_between[:-1])
    slack = max(0, area_bottom - area_top - needed)
    y = area_top + round(rng.uniform(0, 0.6) * slack)
    ruled_origin = int(rng.integers(0, ruled_pitch)) if ruled_pitch else 0

    placed = []
    for row, (row_top, row_bottom, row_w), gap in zip(rows, extents, gaps_between, strict=True):
        baseline = y - row_top
        if ruled_pitch:  # rest the row on the next ruled line, a little above it
            steps = math.ceil((baseline + 2 - ruled_origin) / ruled_pitch)
            baseline = ruled_origin + steps * ruled_pitch - 2
        if baseline + row_bottom > area_bottom:
            break
        room = min(0.15 * width, max(0, usable_width - row_w))
        indent = area_left + round(rng.uniform(0, 1) * room)
        for glyph, gx, b, index, number in row:
            ink_h = glyph.shape[0] - 2 * GLYPH_PAD
            placed.append(_Placed(glyph, indent + gx, baseline + b - ink_h, index, number))
        y = baseline + row_bottom + gap
    return placed, (ruled_origin, ruled_pitch)


def _number_lengths(count: int, rng: np.random.Generator) -> list[int]:
    """Split `count` digits into numbers of 1-4 digits."""
    lengths = []
    while count > 0:
        length = min(count, int(rng.choice([1, 2, 3, 4], p=[0.3, 0.3, 0.25, 0.15])))
        lengths.append(length)
        count -= length
    return lengths


# --- Paper, light, camera -------------------------------------------------------------


def _draw_page(style, rng, ink, ruled, layers=()) -> np.ndarray:
    """Paper (or board), ruled lines, the ink and the light falling on it: float32 BGR.

    `layers`, (alpha, BGR colour) pairs, are inks of other colours drawn over the pen's.
    """
    height, width = ink.shape
    blotches = cv2.resize(rng.standard_normal((6, 8), dtype=np.float32), (width, height),
                          interpolation=cv2.INTER_CUBIC)
    grain = rng.standard_normal((height, width), dtype=np.float32)
    if style.board:  # a dark green-gray board, chalk dust, grainy light chalk
        background = np.float32([rng.uniform(40, 60), rng.uniform(55, 75), rng.uniform(35, 50)])
        page = background * (1 + 0.12 * blotches[..., None]) + 4.0 * grain[..., None]
        page += 25.0 * np.clip(blotches, 0, None)[..., None]  # wiped chalk
        ink_color = np.float32(rng.uniform(200, 235) + rng.uniform(-8, 8, 3))
        chalk = rng.uniform(0.4, 1.2, (height, width)).astype(np.float32)
        ink = ink * np.clip(cv2.GaussianBlur(chalk, (3, 3), 0), 0, 1)
    else:  # off-white paper, a little warm, with fibres; dark blue-gray ink
        white = rng.uniform(205, 235)
        background = np.float32([white - rng.uniform(0, 15), white - rng.uniform(0, 6), white])
        page = background * (1 + 0.03 * blotches[..., None]) + 2.0 * grain[..., None]
        ink_color = np.float32([rng.uniform(75, 110), rng.uniform(50, 75), rng.uniform(35, 60)])
    if style.ruled:
        origin, pitch = ruled
        line_color = (rng.uniform(200, 225), rng.uniform(160, 190), rng.uniform(130, 160))
        thickness = int(rng.integers(1, 3))
        for y in range(origin, height, pitch):
            cv2.line(page, (0, y), (width - 1, y), line_color, thickness)
        margin_x = round(rng.uniform(0.03, 0.07) * width)  # the red margin line
        cv2.line(page, (margin_x, 0), (margin_x, height - 1), (140, 140, 225), thickness)

    alpha = ink[..., None]
    image = page * (1 - alpha) + ink_color * alpha
    for layer, color in layers:
        image = image * (1 - layer[..., None]) + color * layer[..., None]
    return image * _light(style, rng, width, height)[..., None]


def _light(style, rng, width, height) -> np.ndarray:
    """How bright each pixel is lit: a mild gradient, or for uneven_light a strong
    gradient and/or a soft shadow band across the page."""
    x = np.arange(width, dtype=np.float32)[None, :] - width / 2
    y = np.arange(height, dtype=np.float32)[:, None] - height / 2
    half_diagonal = math.hypot(width, height) / 2
    exposure = rng.uniform(0.9, 1.05)
    mode = int(rng.integers(3)) if style.uneven_light else -1  # 0 gradient, 1 band, 2 both
    strength = {-1: (0.0, 0.12), 0: (0.35, 0.6), 1: (0.0, 0.1), 2: (0.2, 0.4)}[mode]
    theta = rng.uniform(0, 2 * math.pi)
    along = (x * math.cos(theta) + y * math.sin(theta)) / half_diagonal  # -1..1
    light = exposure * (1 - rng.uniform(*strength) * (along + 1) / 2)
    if mode in (1, 2):
        phi = rng.uniform(0, math.pi)
        cx, cy = rng.uniform(-0.3, 0.3) * width, rng.uniform(-0.3, 0.3) * height
        distance = np.abs((x - cx) * math.cos(phi) + (y - cy) * math.sin(phi))
        half_width = rng.uniform(0.06, 0.15) * 2 * half_diagonal
        softness = rng.uniform(0.01, 0.05) * 2 * half_diagonal + 2
        inside = np.clip((half_width - distance) / softness + 0.5, 0, 1)
        light = light * (1 - rng.uniform(0.35, 0.55) * inside)
    return light.astype(np.float32)


def _random_perspective(rng, width, height, amount) -> np.ndarray:
    """A homography that moves each frame corner by up to `amount` of the frame size."""
    corners = np.float32([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]])
    moved = corners + rng.uniform(-amount, amount, (4, 2)).astype(np.float32) * [width, height]
    return cv2.getPerspectiveTransform(corners, moved.astype(np.float32))


def _ink_points(item: _Placed) -> np.ndarray:
    """Frame coordinates (float32 Nx2, x then y) of a placed glyph's ink pixels."""
    ys, xs = np.nonzero(item.alpha >= INK_LEVEL)
    offset = np.float32([item.x - GLYPH_PAD, item.y - GLYPH_PAD])
    return np.stack([xs, ys], axis=1).astype(np.float32) + offset


def _points_box(points: np.ndarray, width: int, height: int) -> Box:
    """The pixel box holding all points, clipped to the frame."""
    x0, y0 = np.clip(np.round(points.min(axis=0)), 0, [width - 1, height - 1]).astype(int)
    x1, y1 = np.clip(np.round(points.max(axis=0)), 0, [width - 1, height - 1]).astype(int)
    return (int(x0), int(y0), int(x1 - x0 + 1), int(y1 - y0 + 1))


def _shift_box(box: Box, dx: int, dy: int, width: int, height: int) -> Box:
    x, y, w, h = box
    x0, y0 = max(0, x + dx), max(0, y + dy)
    x1, y1 = min(width, x + dx + w), min(height, y + dy + h)
    return (x0, y0, x1 - x0, y1 - y0)
