"""Training crops the way the camera pipeline makes them: digits as pens and cameras
change them, and the crops the model must learn to call "not a digit".

Every crop here is a binary ink mask turned into 28x28 by `normalize.mnist_crop`, the
same function the pipeline uses, so the model learns the crops it will be given.

Digits (`camera_digit`), from an MNIST *training* image, in one of DIGIT_STYLES:

    plain     re-drawn at a camera's size with a pen-like edge
    thick     a marker: strokes 2-4x MNIST's, loops may close
    thin      a fine ballpoint or pencil
    broken    1-3 pen skips cut across strokes, bridged as the pipeline's merge does
              half of the time
    blurred   out of focus, then thresholded (corners round, small loops fill)
    small     far away: 10-20 px tall, so the crop is scaled up, blocky and soft
    narrow    written tall and narrow, a third to two thirds as wide as MNIST's: the
              crop fits its height into 20 px, so a long 7 or 9 becomes a thin bar with
              a small hook, which the model otherwise calls a 1

each also slightly rotated and sheared. Never flipped: a mirrored 2 is no digit.

Not digits (`negative_crop`), in one of NEGATIVE_KINDS:

    letters   letters (those that do not look like digits, see glyphs.LETTERS), two
              letters touching, short words
    symbols   + - x × ÷ = / * ( ) [ ] # % ? ! < > . , :
    pieces    part of an MNIST training digit: one side of a cut, or a few strokes
    pairs     two digits touching, or a digit with a piece of its neighbour
    clutter   what the pipeline's own candidate stage finds in photos with no digit
              (scikit-image's sample photos) and in made textures (wood, weave,
              speckle, hatching, scribbles)

Ambiguous negatives are left out: a piece that is a straight upright stroke (a 1) or
holds a closed loop (a 0, 6, 8, 9), and any negative crop that lies as close to some
MNIST digit as MNIST digits lie to each other (`Lookalikes`).

Everything is a pure function of its seed. No TensorFlow here: the benchmark and the
tests use it too.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .. import glyphs
from ..binarize import binarize
from ..candidates import Candidate, close_gaps, find_blobs, is_digit_sized, merge
from ..classifier import NOT_A_DIGIT
from ..config import CandidateLimits, HypothesisSettings, ScaleSettings
from ..normalize import mnist_crop
from ..scale import guess
from ..scenes import render_digit

__all__ = ["NOT_A_DIGIT"]  # the 11th class, defined with the classifier

# Bumped whenever what is drawn here changes: a resumed run then draws its examples anew.
VERSION = 9  # 9: the "narrow" style
DIGIT_STYLES = ("plain", "thick", "thin", "broken", "blurred", "small", "narrow")
NEGATIVE_KINDS = ("letters", "symbols", "pieces", "pairs", "clutter")

# scikit-image's bundled sample photos used for clutter: none shows a digit or a ring
# (coins, cells and the phantom's ellipses are rings, which is what a 0 is; text and
# page are print; the clock has numerals).
SKIMAGE_PHOTOS = ("astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png",
                  "grass.png", "gravel.png", "horse.png", "rocket.jpg",
                  "hubble_deep_field.jpg", "ihc.png", "moon.png", "retina.jpg",
                  "motorcycle_left.png", "chessboard_GRAY.png")
MADE_TEXTURES = ("wood", "weave", "speckle", "hatching", "scribbles")


# --- Digits -------------------------------------------------------------------------------


def digit_mask(image: np.ndarray, rng: np.random.Generator, style: str) -> np.ndarray:
    """An MNIST image (28x28, white on black) drawn as ink in `style`: a uint8 0/255 mask."""
    height = float(rng.uniform(10, 20) if style == "small" else rng.uniform(28, 120))
    cut = {"thick": rng.uniform(0.15, 0.3), "thin": rng.uniform(0.6, 0.8)}.get(
        style, rng.uniform(0.35, 0.55))
    gaps = int(rng.integers(1, 4)) if style == "broken" else 0
    alpha = render_digit(image, height, rng, stroke_cut=float(cut),
                         angle=float(rng.uniform(-10, 10)), gaps=gaps)
    alpha = _shear(alpha, float(rng.uniform(-0.25, 0.25)))
    if style == "narrow":  # squeezed sideways, its strokes kept whole
        squeeze = float(rng.uniform(0.35, 0.65))
        width = max(1, round(alpha.shape[1] * squeeze))
        alpha = np.clip(cv2.resize(alpha, (width, alpha.shape[0]),
                                   interpolation=cv2.INTER_AREA) / squeeze ** 0.5, 0, 1)
    plain = _binary(alpha, 0.5)
    if style == "blurred":
        # Out of focus, then thresholded: corners round and small loops may close, but
        # a loop that closes altogether leaves a blob no reader could name.
        for sigma in height * rng.uniform(0.02, 0.06) * np.array([1.0, 0.5, 0.25]):
            mask = _binary(cv2.GaussianBlur(alpha, (0, 0), sigma), rng.uniform(0.35, 0.6))
            if _holes(mask) >= _holes(plain):
                break
        else:
            mask = plain
    else:
        mask = plain
    if style == "thick":  # a marker: up to 6% of the height more on each side
        for grow in round(height * rng.uniform(0.01, 0.06)) // np.array([1, 2, 4]):
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2)
            thick = cv2.dilate(np.pad(plain, grow), kernel) if grow else plain
            if _holes(thick) >= _holes(plain):  # loops may shrink, not vanish
                mask = thick
                break
    if style == "broken" and rng.random() < 0.5:
        mask = _bridged(mask, height)
    return glyphs.crop_to_ink(mask)


def camera_digit(image: np.ndarray, rng: np.random.Generator, style: str | None = None
                 ) -> np.ndarray:
    """The 28x28 crop the pipeline would make of this digit written in `style`
    (random when None)."""
    style = style or str(rng.choice(DIGIT_STYLES))
    mask = digit_mask(image, rng, style)
    if not mask.any():  # a faint digit drawn thin and cut lost all its ink: keep MNIST's
        return image.copy()
    return mnist_crop(mask)


def camera_digits(images: np.ndarray, seed: int, style: str | None = None) -> np.ndarray:
    """`camera_digit` of each image, seeded: (N, 28, 28) uint8."""
    rng = np.random.default_rng([seed, 7])
    return np.stack([camera_digit(image, rng, style) for image in images]) if len(
        images) else np.zeros((0, 28, 28), np.uint8)


def _shear(alpha: np.ndarray, amount: float) -> np.ndarray:
    h, w = alpha.shape
    extra = math.ceil(abs(amount) * h)
    matrix = np.float32([[1, amount, extra if amount < 0 else 0], [0, 1, 0]])
    return cv2.warpAffine(alpha, matrix, (w + extra, h), flags=cv2.INTER_LINEAR)


def _binary(alpha: np.ndarray, level: float) -> np.ndarray:
    return np.where(alpha >= level, 255, 0).astype(np.uint8)


def _hole_areas(mask: np.ndarray) -> list[float]:
    """The areas of the holes the ink closes (its loops), pixels."""
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    return [cv2.contourArea(c) for i, c in enumerate(contours) if hierarchy[0][i][3] >= 0]


def _holes(mask: np.ndarray, min_area: float = 4.0) -> int:
    """How many loops the ink closes (holes of at least `min_area` pixels)."""
    return sum(1 for area in _hole_areas(mask) if area >= min_area)


def _bridged(mask: np.ndarray, height: float) -> np.ndarray:
    """The pieces of a broken digit joined as the pipeline joins them (merge)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    pieces = []
    for k in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[k])
        if area >= 4:
            piece = np.where(labels[y : y + h, x : x + w] == k, 255, 0).astype(np.uint8)
            pieces.append(Candidate((x, y, w, h), piece))
    if len(pieces) < 2:
        return mask
    joined = merge(pieces, reach=HypothesisSettings.skip_reach * height)
    return joined.mask


# --- Not digits ---------------------------------------------------------------------------


def negative_crop(kind: str, rng: np.random.Generator, donors: np.ndarray) -> np.ndarray:
    """One 28x28 crop of `kind` (see NEGATIVE_KINDS); `donors` are MNIST training
    images for pieces and pairs."""
    return mnist_crop(negative_mask(kind, rng, donors))


def negative_mask(kind: str, rng: np.random.Generator, donors: np.ndarray) -> np.ndarray:
    if kind == "letters":
        roll = rng.random()
        if roll < 0.7:
            return glyphs.draw_text(str(rng.choice(list(glyphs.LETTERS))), rng)
        if roll < 0.9:  # two letters written so close they touch
            pair = "".join(rng.choice(list(glyphs.LETTERS), size=2))
            return _touching(glyphs.draw_text(pair[0], rng), glyphs.draw_text(pair[1], rng),
                             rng)
        return glyphs.draw_text(str(rng.choice(glyphs.WORDS)), rng)
    if kind == "symbols":
        return glyphs.draw_text(str(rng.choice(list(glyphs.SYMBOLS))), rng)
    if kind == "pieces":
        return _piece_of_digit(donors, rng)
    if kind == "pairs":
        # Two digits, or a digit and a piece of its neighbour, stuck side by side; at
        # least a third wider than the digit alone, or it is that digit with a serif.
        for _ in range(20):
            first = digit_mask(donors[rng.integers(len(donors))], rng, "plain")
            if rng.random() < 0.6:
                second = digit_mask(donors[rng.integers(len(donors))], rng, "plain")
                second = _scaled_to(second, first.shape[0], rng)
            else:
                second = _piece_of_digit(donors, rng, height=first.shape[0])
            if rng.random() < 0.5:
                first, second = second, first
            pair = _touching(first, second, rng)
            if pair.shape[1] >= 1.33 * max(first.shape[1], second.shape[1]):
                return pair
        return pair
    if kind == "clutter":
        return _clutter_mask(rng)
    raise ValueError(f"unknown negative kind {kind!r}; choose from {NEGATIVE_KINDS}")


def _scaled_to(mask: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    factor = height * rng.uniform(0.8, 1.2) / max(1, mask.shape[0])
    size = (max(1, round(mask.shape[1] * factor)), max(1, round(mask.shape[0] * factor)))
    return _binary(cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR) / 255.0, 0.5)


def _touching(left: np.ndarray, right: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two masks side by side, moved together until their ink touches (or overlaps a
    little), bottoms roughly aligned."""
    right = _scaled_to(right, left.shape[0], rng) if right.shape[0] > 2 * left.shape[0] else right
    h = max(left.shape[0], right.shape[0])
    offset_l = h - left.shape[0] - int(rng.integers(0, max(1, h // 8)))
    offset_r = h - right.shape[0] - int(rng.integers(0, max(1, h // 8)))
    offset_l, offset_r = max(0, offset_l), max(0, offset_r)
    canvas_h = h + h // 8 + 2
    lw, rw = left.shape[1], right.shape[1]
    a = np.zeros((canvas_h, lw + rw), np.uint8)
    a[offset_l : offset_l + left.shape[0], :lw] = left
    # Per row, how far the right mask can slide left before touching the left one.
    best = lw + rw
    overlap = int(rng.integers(0, max(1, min(lw, rw) // 6) + 1))
    for shift in range(0, lw + 1):
        b = np.zeros_like(a)
        x0 = lw - shift
        b[offset_r : offset_r + right.shape[0], x0 : x0 + rw] = right
        if (a & b).any():
            best = x0
            break
    x0 = max(0, best - overlap) if best < lw + rw else lw
    canvas = np.zeros((canvas_h, max(lw, x0 + rw)), np.uint8)
    canvas[offset_l : offset_l + left.shape[0], :lw] = left
    region = canvas[offset_r : offset_r + right.shape[0], x0 : x0 + rw]
    np.maximum(region, right, out=region)
    return glyphs.crop_to_ink(canvas)


def _piece_of_digit(donors: np.ndarray, rng: np.random.Generator,
                    height: float | None = None) -> np.ndarray:
    """One side of a random cut through a digit (20-50% of its ink, its largest part),
    never a straight upright stroke (that is a 1) nor a closed loop (a 0)."""
    for _ in range(50):
        mask = digit_mask(donors[rng.integers(len(donors))], rng,
                          str(rng.choice(["plain", "thick", "thin"])))
        if height:
            mask = _scaled_to(mask, int(height), rng)
        ys, xs = np.nonzero(mask)
        if len(xs) < 20:
            continue
        angle = rng.uniform(0, math.pi)
        nx, ny = math.cos(angle), math.sin(angle)
        along = (xs - xs.mean()) * nx + (ys - ys.mean()) * ny
        cut = np.quantile(along, rng.uniform(0.2, 0.5))
        keep = along < cut if rng.random() < 0.5 else along >= cut
        piece = np.zeros_like(mask)
        piece[ys[keep], xs[keep]] = 255
        piece = _largest_part(piece)
        share = cv2.countNonZero(piece) / len(xs)
        if 0.2 <= share <= 0.5 and not _upright_stroke(piece) and not _has_loop(piece):
            return glyphs.crop_to_ink(piece)
    return glyphs.draw_text("-", rng)  # practically never reached


def _largest_part(mask: np.ndarray) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count <= 2:
        return mask
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return np.where(labels == k, 255, 0).astype(np.uint8)


# MNIST's 1s lean from -21 to +44 degrees (top to the right; 0.5th-99.5th percentile of
# their ink's main axis) and are straight: the smaller spread of their ink is under 0.08
# of the larger for 95% of them.
ONE_LEAN = (-25.0, 48.0)
ONE_STRAIGHTNESS = 0.08


def _upright_stroke(mask: np.ndarray) -> bool:
    """A straight stroke leaning as a written 1 may: what a 1 is."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 3:
        return True
    cov = np.cov(np.stack([xs, -ys]).astype(np.float64))
    values, vectors = np.linalg.eigh(cov)
    dx, dy = vectors[:, 1] * (1 if vectors[1, 1] >= 0 else -1)  # pointing up
    lean = math.degrees(math.atan2(dx, dy))
    straight = values[0] < ONE_STRAIGHTNESS * values[1]
    return bool(straight and ONE_LEAN[0] <= lean <= ONE_LEAN[1])


def _has_loop(mask: np.ndarray, area: float = 0.02) -> bool:
    """Whether the ink closes a hole of more than `area` x its box."""
    h, w = mask.shape
    return any(hole > area * h * w for hole in _hole_areas(mask))


# --- Clutter: what the candidate stage finds where there is no digit ------------------------


@functools.lru_cache(maxsize=1)
def skimage_photos() -> tuple[np.ndarray, ...]:
    """scikit-image's sample photos in SKIMAGE_PHOTOS, gray (empty without skimage)."""
    photos = [skimage_sample(name, cv2.IMREAD_GRAYSCALE) for name in SKIMAGE_PHOTOS]
    return tuple(p for p in photos if p is not None)


@functools.lru_cache(maxsize=32)
def skimage_sample(filename: str, flags: int = cv2.IMREAD_COLOR) -> np.ndarray | None:
    """One sample photo file of the installed scikit-image, read with cv2.imread's
    `flags` (read once; do not change it), or None without scikit-image."""
    folder = skimage_data_folder()
    return None if folder is None else cv2.imread(str(folder / filename), flags)


def skimage_data_folder() -> Path | None:
    """The folder of sample photos inside the installed scikit-image wheel, if any."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if folder.is_dir() else None


def made_texture(name: str, rng: np.random.Generator, size: int = 480) -> np.ndarray:
    """A gray texture a desk or a wall may show (see MADE_TEXTURES)."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    noise = cv2.resize(rng.standard_normal((size // 16, size // 16)).astype(np.float32),
                       (size, size), interpolation=cv2.INTER_CUBIC)
    if name == "wood":  # rings around a far centre, bent by noise
        cx, cy = rng.uniform(-2, 3) * size, rng.uniform(-2, 3) * size
        r = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2) / rng.uniform(6, 20)
        image = 128 + 60 * np.sin(r + 3 * noise) + 20 * noise
    elif name == "weave":
        period = rng.uniform(6, 18)
        image = (128 + 50 * np.sin(xs / period * 2 * np.pi) * np.sin(ys / period * 2 * np.pi)
                 + 30 * noise)
    elif name == "speckle":
        fine = rng.standard_normal((size, size)).astype(np.float32)
        image = 128 + 40 * cv2.GaussianBlur(fine, (0, 0), rng.uniform(1, 4)) * 4 + 30 * noise
    elif name == "hatching":
        angle = rng.uniform(0, np.pi)
        period = rng.uniform(5, 15)
        along = xs * math.cos(angle) + ys * math.sin(angle)
        image = 128 + 60 * np.sign(np.sin(along / period * 2 * np.pi + 2 * noise)) + 20 * noise
    elif name == "scribbles":
        image = np.full((size, size), 200, np.float32)
        for _ in range(int(rng.integers(4, 12))):
            mark = glyphs.draw_scribble(rng)
            scale = rng.uniform(0.3, 1.2)
            mark = cv2.resize(mark, None, fx=scale, fy=scale)
            y, x = (int(rng.integers(0, max(1, size - s))) for s in mark.shape)
            region = image[y : y + mark.shape[0], x : x + mark.shape[1]]
            region[mark[: region.shape[0], : region.shape[1]] > 127] = 40
    else:
        raise ValueError(f"unknown texture {name!r}")
    return np.clip(image, 0, 255).astype(np.uint8)


def clutter_masks(gray: np.ndarray) -> list[np.ndarray]:
    """Digit-sized blobs the pipeline's candidate stage proposes in `gray`, with its
    first guess of the digits' size and its default limits."""
    digit_height = guess(gray.shape, ScaleSettings()).height
    # The default settings, as the shipped pipeline's (VERSION says when they changed).
    binarized = binarize(gray, "otsu", scale=digit_height)
    limits = CandidateLimits()
    cleaned = close_gaps(binarized.binary, digit_height, limits.close_gaps, limits.loop_width)
    blobs, _ = find_blobs(cleaned, limits)
    return [b.mask for b in blobs if is_digit_sized(b.box, limits, cleaned.shape)]


def _clutter_mask(rng: np.random.Generator) -> np.ndarray:
    """A blob from a random view (crop, scale, turn) of a sample photo or a made texture."""
    photos = skimage_photos()
    for _ in range(20):
        if photos and rng.random() < 0.65:
            source = photos[int(rng.integers(len(photos)))]
        else:
            source = made_texture(str(rng.choice(MADE_TEXTURES)), rng)
        view = _random_view(source, rng)
        # A ring is what a 0 is (a cup's rim, an eye): not for "not a digit".
        masks = [m for m in clutter_masks(view) if not _has_loop(m, 0.1)]
        if masks:
            return masks[int(rng.integers(len(masks)))]
    return glyphs.draw_scribble(rng)


def _random_view(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 240-480 px window of `image` at a random scale and turn, maybe inverted."""
    scale = rng.uniform(0.4, 1.5)
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    side = int(min((*image.shape[:2], int(rng.integers(240, 481)))))
    y = int(rng.integers(0, image.shape[0] - side + 1))
    x = int(rng.integers(0, image.shape[1] - side + 1))
    view = image[y : y + side, x : x + side]
    if rng.random() < 0.5:
        view = np.ascontiguousarray(np.rot90(view, int(rng.integers(1, 4))))
    return 255 - view if rng.random() < 0.3 else view


# --- Leaving out what looks like a digit --------------------------------------------------


class Lookalikes:
    """Tells which crops lie as close to some real digit as real digits lie to each
    other: a "not a digit" example that close would teach the model to refuse digits.

    Distances are Euclidean between 28x28 crops (0-1 pixels). The reference is
    `reference_count` MNIST training digits drawn plain; the limit is the `quantile`
    of the distances from `probe_count` other training digits (drawn in any style) to
    their nearest reference digit: with 0.75, a crop nearer to a digit than three
    quarters of real digits are is taken for a lookalike.
    """

    def __init__(self, digits: np.ndarray, seed: int, reference_count: int = 20000,
                 probe_count: int = 2000, quantile: float = 0.75):
        # A quick run's few digits: a fifth of them probe, the rest are the reference.
        probe_count = min(probe_count, max(1, len(digits) // 5))
        reference_count = min(reference_count, len(digits) - probe_count)
        reference = digits[:reference_count]
        probes = digits[reference_count : reference_count + probe_count]
        self.reference = _as_vectors(camera_digits(reference, seed, "plain"))
        self._norms = (self.reference ** 2).sum(axis=1)
        self.limit = float(np.quantile(self.distances(camera_digits(probes, seed + 1)),
                                       quantile))

    def distances(self, crops: np.ndarray) -> np.ndarray:
        """(N,): each crop's distance to its nearest reference digit."""
        vectors = _as_vectors(crops)
        out = np.empty(len(vectors), np.float32)
        for start in range(0, len(vectors), 1000):
            chunk = vectors[start : start + 1000]
            squared = ((chunk ** 2).sum(axis=1)[:, None] + self._norms[None, :]
                       - 2 * chunk @ self.reference.T)
            out[start : start + 1000] = np.sqrt(np.maximum(squared.min(axis=1), 0))
        return out

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        """(N,) bool: which crops look like a digit."""
        return self.distances(crops) < self.limit


def _as_vectors(crops: np.ndarray) -> np.ndarray:
    return np.asarray(crops, np.float32).reshape(len(crops), -1) / 255.0


# --- Whole sets -----------------------------------------------------------------------------


# Kinds whose examples are drawn at random shapes and so may happen to look like a digit:
# those are checked against Lookalikes. Letters and symbols are chosen not to.
CHECKED_KINDS = ("pieces", "pairs", "clutter")


def negatives(kind: str, count: int, rng: np.random.Generator, donors: np.ndarray,
              lookalikes: Lookalikes | None = None, progress=None) -> np.ndarray:
    """`count` crops of one kind, none of which looks like a digit (with `lookalikes`)."""
    kept: list[np.ndarray] = []
    checked = lookalikes is not None and kind in CHECKED_KINDS
    while len(kept) < count:
        need = count - len(kept)
        # Some of a checked batch will be left out: draw a few more.
        batch = np.stack([negative_crop(kind, rng, donors)
                          for _ in range(max(8, round(1.3 * need)) if checked else need)])
        if checked:
            batch = batch[~lookalikes(batch)]
        batch = batch[: count - len(kept)]
        kept += list(batch)
        if progress is not None:
            progress.update(len(batch))
    return np.stack(kept) if kept else np.zeros((0, 28, 28), np.uint8)


@dataclass(frozen=True)
class ExampleSettings:
    """What the trainer adds to MNIST's digits (the defaults make the shipped model)."""

    camera_share: float = 0.4
    """Share of the digit images replaced by the same digit drawn as a camera sees it
    (camera_digit, a random style); the rest stay MNIST's own images."""
    negative_share: float = 0.45
    """"Not a digit" examples, as a share of the number of digit images, split among
    NEGATIVE_KINDS by `negative_weights`."""
    negative_weights: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(NEGATIVE_KINDS, 1.0))
    """Each kind's share of the "not a digit" examples, relative to the others (the
    weights are normalized)."""

    @property
    def weights(self) -> dict[str, float]:
        """Every kind's weight, in NEGATIVE_KINDS order (1 for a kind not named)."""
        return {kind: self.negative_weights.get(kind, 1.0) for kind in NEGATIVE_KINDS}

    def per_kind(self, digit_count: int) -> dict[str, int]:
        """How many "not a digit" crops of each kind go with `digit_count` digits."""
        weights = self.weights
        total = sum(weights.values())
        return {kind: round(self.negative_share * digit_count * weight / total)
                for kind, weight in weights.items()}

    def describe(self) -> dict:
        weights = self.weights
        # An even split is what every search before the weights drew: it is left out,
        # so those searches still resume.
        even = len(set(weights.values())) == 1
        return {"camera_share": self.camera_share, "negative_share": self.negative_share,
                **({} if even else {"negative_weights": weights}),
                "digit_styles": list(DIGIT_STYLES), "negative_kinds": list(NEGATIVE_KINDS),
                "letters": glyphs.LETTERS, "symbols": glyphs.SYMBOLS,
                "skimage_photos": list(SKIMAGE_PHOTOS), "made_textures": list(MADE_TEXTURES),
                "lookalike_check": list(CHECKED_KINDS)}


@dataclass
class ExampleSet:
    """Crops and labels (0-9, NOT_A_DIGIT) with what each crop is."""

    x: np.ndarray  # uint8 (N, 28, 28)
    y: np.ndarray  # uint8 (N,)
    kind: np.ndarray  # (N,) str: "mnist", "camera" or a NEGATIVE_KINDS name

    def counts(self) -> dict[str, int]:
        names, counts = np.unique(self.kind, return_counts=True)
        return {str(n): int(c) for n, c in zip(names, counts, strict=True)}


def build_examples(x: np.ndarray, y: np.ndarray, seed: int, settings: ExampleSettings,
                   lookalikes: Lookalikes | None, stream: int = 0,
                   progress: bool = True) -> ExampleSet:
    """MNIST images `x`, `y` with camera-drawn digits and "not a digit" crops added,
    shuffled. `stream` separates the random draws of sets made with one seed
    (training 0, validation 1)."""
    from tqdm import tqdm

    rng = np.random.default_rng([seed, stream, 0])
    camera = rng.random(len(x)) < settings.camera_share
    digits = x.copy()
    for i in np.flatnonzero(camera):
        digits[i] = camera_digit(x[i], rng)
    per_kind = settings.per_kind(len(x))
    parts, kinds = [digits], [np.where(camera, "camera", "mnist")]
    with tqdm(total=sum(per_kind.values()), desc="not-a-digit examples",
              unit="crop", disable=not progress, mininterval=5) as bar:
        for k, kind in enumerate(NEGATIVE_KINDS):
            kind_rng = np.random.default_rng([seed, stream, 1 + k])
            parts.append(negatives(kind, per_kind[kind], kind_rng, x, lookalikes, bar))
            kinds.append(np.full(per_kind[kind], kind))
    labels = np.concatenate([y.astype(np.uint8)]
                            + [np.full(per_kind[kind], NOT_A_DIGIT, np.uint8)
                               for kind in NEGATIVE_KINDS])
    images, kind = np.concatenate(parts), np.concatenate(kinds)
    order = rng.permutation(len(images))
    return ExampleSet(images[order], labels[order], kind[order])


# Held-out sets for scoring a model: streams no training set uses (see build_examples),
# and pieces and pairs cut from MNIST *test* digits.
HELD_OUT_STREAM = 9


def held_out_negatives(test_digits: np.ndarray, count: int, seed: int,
                       lookalikes: Lookalikes | None, kinds=NEGATIVE_KINDS,
                       stream: int = HELD_OUT_STREAM) -> dict[str, np.ndarray]:
    """`count` crops of each of `kinds`, never used for training; with `lookalikes`,
    none that looks like a digit (as in training)."""
    return {kind: negatives(kind, count,
                            np.random.default_rng([seed, stream, NEGATIVE_KINDS.index(kind)]),
                            test_digits, lookalikes)
            for kind in kinds}


def styled_digits(images: np.ndarray, style: str, seed: int) -> np.ndarray:
    """Each image drawn in `style` (thick, thin, broken, blurred...) for scoring."""
    return camera_digits(images, seed + 1000 * DIGIT_STYLES.index(style), style)
