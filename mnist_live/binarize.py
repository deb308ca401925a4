"""Turn a camera frame into white ink on a black background.

MNIST digits are white strokes on black, so every mode ends with ink = 255. Three modes:

- "otsu" (default): flatten the lighting first (divide by a blurred estimate of the
  paper), then one Otsu level for the whole frame. Flattening is what lets a single
  level work under a lamp's gradient or a shadow band, where plain Otsu fails.
- "adaptive": OpenCV's Gaussian adaptive threshold, its window a share of a digit's
  height (InkSettings.adaptive_window).
- a number 0-255: a manual level on the gray frame, as in the reference's hint
  `cv2.threshold(gray, 160, 255, cv2.THRESH_BINARY_INV)`.

Polarity is automatic: dark ink on light paper or chalk on a dark board are both turned
into white-on-black before thresholding.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from .capture import to_bgr8
from .config import InkSettings, ScaleSettings

THRESHOLD_MODES = ("otsu", "adaptive")


def parse_threshold(text: str) -> str | int:
    """Parse a --threshold value: "otsu", "adaptive" or an integer level 0-255."""
    value = str(text).strip().lower()
    if value in THRESHOLD_MODES:
        return value
    try:
        level = int(value)
    except ValueError:
        raise ValueError(
            f"threshold must be otsu, adaptive or a level 0-255, not {text!r}"
        ) from None
    if not 0 <= level <= 255:
        raise ValueError(f"threshold level must be 0-255, not {level}")
    return level


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Any frame (gray, BGR, BGRA; 8-bit, 16-bit or float) -> 8-bit gray."""
    if frame.dtype != np.uint8 or (frame.ndim == 3 and frame.shape[2] != 3):
        frame = to_bgr8(frame)
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def ink_is_dark(gray: np.ndarray, scale: float | None = None,
                settings: InkSettings | None = None) -> bool:
    """True for dark ink on light paper, False for light ink (chalk) on a dark board.

    Ink is strokes: thin lines darker (or lighter) than what is around them. A black-hat
    (the closing minus the image) keeps exactly the dark details narrower than its
    window, a top-hat the light ones; wide areas (a white sheet on a dark desk, a
    shadow, a lamp's gradient) are in neither. So the polarity is the side with more
    strong thin details. The window is a third of a digit's height (`scale`; when
    unknown, ScaleSettings' default first guess): wider than any stroke of those
    digits.
    A brick wall's mortar is thin and light too: beside a page of dark ink it often wins
    the vote, as clearly as chalk on a board does (so the pipeline never takes light ink
    on the vote alone).

    On a page with few strokes, or digits filling the frame (vote_big of its shorter
    side or more: then the paper all around them is most of the frame), each pixel is
    compared with the median of its neighbourhood instead (an eighth of the frame or
    vote_median_window digits wide, whichever is wider), and the side with more far-off pixels wins.
    About 1-2 ms for any frame size; the live loop checks it every few frames only.
    (The vote_ fields of `settings`; the defaults when None.)
    """
    s = settings or InkSettings()
    step = max(1, max(gray.shape[:2]) // 240)  # a 240-px image shows the ink well enough
    sample = np.ascontiguousarray(gray[::step, ::step])
    height = scale or ScaleSettings.first_guess * min(gray.shape[:2])
    # Far = well beyond the noise (its robust spread), and at least a few gray levels.
    noise = np.median(cv2.absdiff(sample, cv2.medianBlur(sample, 3))[::3, ::3])
    far = max(s.vote_least_far, s.vote_far * float(noise))
    if height < s.vote_big * min(gray.shape[:2]):
        size = max(3, round(height * s.vote_detail / step) | 1)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        # A stroke thinner than `step` would fall between the samples: each side is
        # looked for in a copy that keeps it (the darkest, the lightest of each cell).
        cell = np.ones((step, step), np.uint8)
        darkest = cv2.erode(gray, cell)[::step, ::step]
        lightest = cv2.dilate(gray, cell)[::step, ::step]
        dark = (cv2.morphologyEx(darkest, cv2.MORPH_BLACKHAT, kernel) > far).astype(np.float32)
        light = (cv2.morphologyEx(lightest, cv2.MORPH_TOPHAT, kernel) > far).astype(np.float32)
        # Long straight lines are no writing (a brick wall's mortar, ruled lines, the
        # edge of a sheet): they do not vote, nor does what lies on them (where a
        # margin crosses a ruled line, the line's gap is a light detail).
        length = max(3, round(s.vote_line * height / step))
        on_lines = np.zeros_like(dark)
        for votes in (dark, light):
            on_lines = np.maximum(on_lines, np.maximum(
                cv2.morphologyEx(votes, cv2.MORPH_OPEN, np.ones((1, length), np.uint8)),
                cv2.morphologyEx(votes, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8))))
        on_lines = cv2.dilate(on_lines, np.ones((3, 3), np.uint8))
        dark *= 1 - on_lines
        light *= 1 - on_lines
        # Writing is one-sided: around dark ink on paper there are no light details.
        # Texture (grass, gravel, a face) has both: each detail counts by how much of
        # what is around it is of its own side.
        around = (2 * size + 1, 2 * size + 1)
        near_dark, near_light = cv2.blur(dark, around), cv2.blur(light, around)
        own = near_dark / np.maximum(near_dark + near_light, 1e-6)
        dark_votes = float((dark * own).sum())
        light_votes = float((light * (1 - own)).sum())
        if max(dark.sum(), light.sum()) >= s.vote_least_share * sample.size:
            return dark_votes >= light_votes
    window = max(min(sample.shape[:2]) // 8, round(s.vote_median_window * height / step))
    local = cv2.medianBlur(sample, max(3, min(window, min(sample.shape[:2]), 255) | 1))
    darker = cv2.subtract(local, sample)
    brighter = cv2.subtract(sample, local)
    return bool(np.count_nonzero(darker > far) >= np.count_nonzero(brighter > far))


@dataclass
class Binarized:
    """The steps of binarization, kept for pictures and for making crops."""

    binary: np.ndarray  # uint8 0/255, ink = 255
    level: float  # the global level used (Otsu's or the manual one); NaN for adaptive
    dark_ink: bool
    gray: np.ndarray = field(repr=False)
    scale: float = 40.0
    settings: InkSettings = field(default_factory=InkSettings)

    @functools.cached_property
    def ink(self) -> np.ndarray:
        """uint8, ink bright: lighting flattened, polarity fixed (0-255).

        Otsu thresholds this image; the adaptive and manual modes threshold the gray
        frame instead, and make this one only when something asks for it (the page
        evidence's edges, a picture of the steps).
        """
        return ink_image(self.gray, self.dark_ink, self.scale, self.settings)


def ink_image(gray: np.ndarray, dark_ink: bool, scale: float,
              settings: InkSettings | None = None) -> np.ndarray:
    """Gray frame -> ink intensity (ink bright, paper ~0) with the lighting flattened.

    The paper's brightness is estimated with a closing (for dark ink: the ink is removed
    by taking the local maximum) wider than any stroke, then blurred; the ink is how far
    each pixel falls below that estimate, relative to it, or to `darkest_paper` times
    white where the paper is darker (InkSettings). `scale` is the expected digit height
    in pixels: the window is `paper_window` of it.
    """
    settings = settings or InkSettings()
    signal = gray if dark_ink else cv2.bitwise_not(gray)
    radius = max(3, round(scale * settings.paper_window))
    # The paper's light changes slowly, so it is estimated on a smaller image: a local
    # maximum over each step x step cell (which keeps paper, not ink), then the closing.
    step = max(1, radius // 3)
    small = signal
    if step > 1:
        small = cv2.dilate(signal, np.ones((step, step), np.uint8))[::step, ::step]
    small_radius = max(1, round(radius / step))
    size = 2 * small_radius + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    paper = cv2.blur(paper, (size, size))
    if step > 1:
        paper = cv2.resize(paper, (gray.shape[1], gray.shape[0]),
                           interpolation=cv2.INTER_LINEAR)
    # How far each pixel falls below the paper, relative to the paper (or to the least
    # paper counted): 0 paper, 255 black.
    return cv2.divide(cv2.subtract(paper, signal),
                      cv2.max(paper, 255 * settings.darkest_paper), scale=255)


def _level_on_plain_ground(ink: np.ndarray, scale: float, settings: InkSettings
                           ) -> tuple[float, np.ndarray | None, float]:
    """Otsu's level of `ink`, found where the ink sits on plain ground.

    Otsu's level over the whole frame sorts the pixels into ink and ground. Where,
    within a digit's height, `busy` of the pixels or more are that inked, the ground is
    no page (grass, gravel, a brick wall), and a faint pencil on a sheet laid on it
    would fall below the level those set: the level is found again over the plain
    ground only, when there is some (`least_plain` of the frame) and it is not all a
    page (`all_plain`), and never higher. Returns the level, the binary image when
    that is the frame's own Otsu level (made on the way), and the share of the frame
    that is plain ground at the frame's own level.
    """
    level, binary = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    plain, share = _plain_ground(ink, level, scale, settings.busy, settings.least_plain,
                                 settings.all_plain)
    if plain is None:
        return float(level), binary, share
    on_plain, _ = cv2.threshold(ink[plain > 0].reshape(1, -1), 0, 255,
                                cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if on_plain >= level:
        return float(level), binary, share
    return float(on_plain), None, share


def _plain_ground(ink: np.ndarray, level: float, scale: float, busy: float,
                  least: float, most: float = 1.0) -> tuple[np.ndarray | None, float]:
    """Where, within a digit's height, under `busy` of the pixels are inked at `level`
    (uint8 0/1, the size of `ink`; None unless that is some of the frame, from `least`
    to `most` of it), and the share of the frame that is. (Judged on a copy a few
    pixels to the cell; a level is then found on every pixel there, thin strokes
    included.)"""
    step = max(1, round(scale / 6))
    small = ink[step // 2 :: step, step // 2 :: step]
    if small.size == 0:  # a frame smaller than a cell
        return None, 0.0
    window = max(3, round(scale / step) | 1)
    inked = cv2.blur((small > level).astype(np.float32), (window, window))
    plain = (inked < busy).astype(np.uint8)
    share = np.count_nonzero(plain) / plain.size
    if share <= 0 or share < least or share > most:
        return None, share
    plain = cv2.resize(plain, (ink.shape[1], ink.shape[0]), interpolation=cv2.INTER_NEAREST)
    return plain, share


def faint_writing(ink: np.ndarray, level: float, scale: float,
                  settings: InkSettings) -> np.ndarray | None:
    """A pen fainter than the frame's `level`, on plain paper: its ink (0/255), or None.

    A pencil on a small sheet laid on grass or gravel is fainter than the texture
    around it, which sets the level. On the plainest ground (under `faint_busy` inked)
    Otsu's level is found again among what the frame's level left as paper, no lower
    than `min_contrast` and kept above the paper's own grain (`faint_noise`; a spread
    of at least one gray level). What it inks there is added where it is
    writing-sized (`faint_size`: a faint ruled line, or a digit joined to one, is
    left as the frame's level drew it) and mostly fainter than the level
    (`faint_strong`: the rim of a darker stroke is not added).
    binarize looks for it only on frames that are not all page (`all_plain`); when the
    frame's level is `min_contrast` already, there is nothing fainter.
    """
    if not math.isfinite(level):
        return None
    plain, _ = _plain_ground(ink, level, scale, settings.faint_busy, settings.least_plain)
    if plain is None:
        return None
    # Levels, median and spread from the paper's histogram: a few microseconds,
    # where sorting the paper's pixels took milliseconds a frame.
    paper = cv2.calcHist([ink], [0], plain, [256], [0, 256]).ravel().astype(np.float64)
    # Only what the frame's level left as paper: texture at the sheet's edge, or a
    # darker digit, would set Otsu's split between itself and the paper.
    paper[math.floor(level) + 1 :] = 0  # what cv2.threshold's "> level" keeps as ink
    if not paper.any():
        return None
    middle = _median_of(np.arange(256.0), paper)
    spread = _median_of(np.abs(np.arange(256.0) - middle), paper)
    faint_level = max(_otsu_level(paper), 255 * settings.min_contrast,
                      middle + settings.faint_noise * max(spread, 1.0))
    if faint_level >= level:
        return None
    inked = cv2.bitwise_and(cv2.threshold(ink, faint_level, 1, cv2.THRESH_BINARY)[1], plain)
    strong = ink > level
    # Most pages have nothing fainter but the rims of their strokes (kept out below,
    # as mostly strong). When nothing lies two pixels clear of a strong stroke, all of
    # it is taken for rims (a faint speck that close, not touching, is left out too)
    # and the components (a millisecond a frame) are not labelled.
    near_strong = cv2.dilate(strong.astype(np.uint8), np.ones((5, 5), np.uint8))
    if not cv2.countNonZero(cv2.subtract(inked, near_strong)):
        return None
    count, labels, stats, _ = cv2.connectedComponentsWithStats(inked, connectivity=8)
    strong_pixels = np.bincount(labels[strong], minlength=count)
    width, height, area = (stats[:, i] for i in (cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT,
                                                 cv2.CC_STAT_AREA))
    largest = settings.faint_size * scale
    keep = ((width <= largest) & (height <= largest) & (width <= 3 * height)
            & (strong_pixels <= settings.faint_strong * area))
    keep[0] = False  # the ground
    if not keep.any():
        return None
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def _otsu_level(hist: np.ndarray) -> int:
    """Otsu's level from a 256-bin histogram: the level that best splits it in two, by
    the variance between the two parts (as cv2.threshold's THRESH_OTSU finds it; where
    two levels split it equally well, the lower, where OpenCV's rounding may pick the
    other)."""
    below = np.cumsum(hist)
    above = below[-1] - below
    weighted = np.cumsum(hist * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = below * above * (weighted / below - (weighted[-1] - weighted) / above) ** 2
    return int(np.argmax(np.nan_to_num(between, nan=-1.0)))


def _median_of(values: np.ndarray, counts: np.ndarray) -> float:
    """The median (as np.median gives it) of `values`, each counted `counts` times."""
    order = np.argsort(values, kind="stable")
    ends = np.cumsum(counts[order])
    n = int(ends[-1])
    low, high = (values[order][np.searchsorted(ends, k, side="right")]
                 for k in ((n - 1) // 2, n // 2))
    return float(low + high) / 2


def binarize(gray: np.ndarray, threshold: str | int = "otsu", scale: float = 40.0,
             dark_ink: bool | None = None, settings: InkSettings | None = None
             ) -> Binarized:
    """Binarize a gray frame; `scale` is a typical digit height in pixels.

    `dark_ink` is the ink's polarity if already known (None: find it out); `settings`
    how the ink is found (None: the defaults; most are the "otsu" mode's, see
    InkSettings).
    """
    if settings is None:
        settings = InkSettings()
    if dark_ink is None:
        dark_ink = ink_is_dark(gray, scale, settings)
    if threshold == "otsu":
        ink = ink_image(gray, dark_ink, scale, settings)
        # Light denoising so paper grain does not become specks.
        smooth = cv2.GaussianBlur(ink, (3, 3), 0)
        # Otsu's level is found where the ink sits on plain ground: grass or gravel
        # around a sheet, far darker than a pencil, would set it above the writing.
        # Otsu on a nearly empty page splits paper grain; insist on real contrast.
        min_level = 255 * settings.min_contrast
        level, binary, plain_share = _level_on_plain_ground(smooth, scale, settings)
        if level < min_level or binary is None:
            level = max(min_level, level)
            _, binary = cv2.threshold(smooth, level, 255, cv2.THRESH_BINARY)
        # A pencil fainter still, on a sheet amid texture. (On a frame that is a page
        # and little else, the level was found on that page: measured, looking for a
        # fainter pen there too only traded digits for false ones.)
        if plain_share <= settings.all_plain:
            fainter = faint_writing(smooth, level, scale, settings)
            if fainter is not None:
                binary = cv2.bitwise_or(binary, fainter)
    elif threshold == "adaptive":
        block = int(max(3, round(scale * settings.adaptive_window)) | 1)
        mode = cv2.THRESH_BINARY_INV if dark_ink else cv2.THRESH_BINARY
        offset = settings.adaptive_offset
        binary = cv2.adaptiveThreshold(
            cv2.GaussianBlur(gray, (3, 3), 0), 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C,
            mode, block, offset if dark_ink else -offset,
        )
        level = float("nan")
    else:
        level = float(threshold)
        mode = cv2.THRESH_BINARY_INV if dark_ink else cv2.THRESH_BINARY
        _, binary = cv2.threshold(gray, level, 255, mode)
    result = Binarized(binary=binary, level=float(level), dark_ink=dark_ink, gray=gray,
                       scale=scale, settings=settings)
    if threshold == "otsu":
        result.ink = ink  # already made: the cached property's value
    return result
