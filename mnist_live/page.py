"""Is this ink written on a page? Digits sit on plain paper or board; a stroke of wood
grain, fur or a brick wall's mortar sits inside more of the same.

A person looks around a mark before reading it: around a written digit the paper is
plain, so nearly all the edges nearby are the edges of the ink itself (and of its
neighbours' ink). Around a stroke of texture, the surroundings are full of edges too
faint or too broken to have become ink. So for each candidate:

    texture = mean edge strength around it, away from any ink
              / mean edge strength along its own ink

(edges: the gradient of the lighting-flattened ink image on a half-size copy; the
surroundings' slightly blurred so paper grain does not count, the ink's own max-pooled
and barely blurred so a pixel-wide stroke keeps its contrast: see SHRINK), measured
within `ring` digit heights of its box. On paper it is mostly 0.02-0.08 (ruled paper up
to about 0.11); on texture 0.1-1. It becomes soft evidence, a factor from 1 (plain
paper) falling through one half at `texture_half`:

    evidence = 1 / (1 + (texture / texture_half) ** texture_steepness)

The digits of one page are also of one size: a candidate several times taller than
the page's measured digit height (a sheet's shadowed edge, a streak of texture) is
less likely one of them, by a second factor of the same form (when the page's height
was guessed, not measured, it is weighed after the search instead, against the height
of the digits read surely: `size_evidence`). And they are written
with one pen: once the search has chosen, a reading whose stroke is far thinner than
the stroke of the digits read surely (a sheet edge's hairline, a letter of small
print) is less likely one of them, by a third (`stroke_evidence`). And an upright bar
is a 1 to the model, while a camera's scenes are full of bars: a reading of a 1 is
weighed by the odds that it is one (`bar_evidence`), unless it stands beside a digit
shown, as a 1 of its number (`PageSettings.number_reach`). The evidence multiplies the
model's probabilities: the texture and size evidence before the hypothesis search
chooses, the stroke and bar evidence after it, before the confidence threshold. A
digit in texture, or of another size or pen, is less likely, never impossible.

The texture is summed over integral images made once per frame at half size, so a
candidate costs a few array lookups.
"""

from __future__ import annotations

import cv2
import numpy as np

from .boxes import Box
from .config import PageSettings

# Edges are measured on a copy SHRINK times smaller: texture shows as well, at a quarter
# of the cost. The surroundings' on the ink averaged down (INTER_AREA) and blurred by
# PageSettings.around_blur, so paper grain does not count; the ink's own on the ink
# max-pooled (the strongest ink of each SHRINK x SHRINK block: the blocks INTER_AREA
# averages when the frame's sides are even, within a pixel of them when odd) and blurred
# only by PageSettings.own_blur, so a fine pen's stroke keeps its edges.
# On filmed pages (bench film) this parts the page's digits from texture's false
# digits about five times better: of 816 readings of texture the model was sure of, 69
# against 355 fall below the texture of 98% of the true digits (66 with the own edges
# at full size, which cost a full read about 4.5 ms more in the live loop).
SHRINK = 2


def _edge_strength(image: np.ndarray, blur: float) -> np.ndarray:
    """The edges' strength (float32) on `image` blurred by `blur`."""
    image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), blur)
    return cv2.magnitude(cv2.Sobel(image, cv2.CV_32F, 1, 0), cv2.Sobel(image, cv2.CV_32F, 0, 1))


def _box_sum(table: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> float:
    """The sum of an integral `table`'s image inside [x0, x1) x [y0, y1)."""
    return float(table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0])


class PageTexture:
    """The texture around any box of one frame (see the module's docstring)."""

    def __init__(self, ink: np.ndarray, binary: np.ndarray, settings: PageSettings):
        self.settings = settings
        height, width = ink.shape[:2]
        size = (max(1, width // SHRINK), max(1, height // SHRINK))
        edges = _edge_strength(cv2.resize(ink, size, interpolation=cv2.INTER_AREA),
                               settings.around_blur)
        strongest = cv2.dilate(ink, np.ones((SHRINK, SHRINK), np.uint8), anchor=(0, 0))
        own_edges = _edge_strength(
            cv2.resize(strongest, size, interpolation=cv2.INTER_NEAREST), settings.own_blur)
        # Ink, and the pixels next to it (its own edges), count as ink.
        ink_mask = cv2.resize(binary, size, interpolation=cv2.INTER_AREA) > 0
        near_ink = cv2.dilate(ink_mask.astype(np.uint8), np.ones((3, 3), np.uint8))
        # 64-bit sums: on a 2048-px frame of texture 32-bit ones lose whole percents.
        self._paper_edges = cv2.integral(edges * (1 - near_ink), sdepth=cv2.CV_64F)
        self._own_edges = cv2.integral(own_edges * near_ink, sdepth=cv2.CV_64F)
        self._ink = cv2.integral(near_ink, sdepth=cv2.CV_32S)

    def texture(self, box: Box, digit_height: float, ring: float | None = None) -> float:
        """Edges around the box away from ink, relative to the edges of the ink in it,
        within `ring` digit heights of it (PageSettings.ring when None)."""
        x, y, w, h = (v / SHRINK for v in box)
        ring = self.settings.ring if ring is None else ring
        reach = max(ring * max(digit_height, box[3]) / SHRINK, self.settings.least_reach)
        rows, cols = self._ink.shape[0] - 1, self._ink.shape[1] - 1
        inner = (max(0, int(x)), max(0, int(y)), min(cols, int(np.ceil(x + w))),
                 min(rows, int(np.ceil(y + h))))
        outer = (max(0, int(x - reach)), max(0, int(y - reach)),
                 min(cols, int(np.ceil(x + w + reach))), min(rows, int(np.ceil(y + h + reach))))
        if inner[2] <= inner[0] or inner[3] <= inner[1]:
            return 0.0
        ink_in = _box_sum(self._ink, *inner)
        background = ((outer[2] - outer[0]) * (outer[3] - outer[1])
                      - _box_sum(self._ink, *outer))
        if ink_in <= 0 or background <= 0:
            return 0.0
        around = _box_sum(self._paper_edges, *outer) / background
        own = _box_sum(self._own_edges, *inner) / ink_in
        return around / own if own > 0 else 0.0

    def plain(self, box: Box, digit_height: float, ring: float | None = None) -> float:
        """How plainly this box sits on a page: 1 on plain paper, towards 0 in texture
        (its surroundings within `ring` digit heights; PageSettings.ring when None)."""
        texture = self.texture(box, digit_height, ring) / self.settings.texture_half
        return 1.0 / (1.0 + texture ** self.settings.texture_steepness)

    def evidence(self, box: Box, digit_height: float, sized: bool = True) -> float:
        """How likely this box is one of the page's digits, leaving aside what it looks
        like: plainly on the page (see plain), and not much taller than its digits
        (when `digit_height` was measured, `sized`)."""
        settings = self.settings
        evidence = self.plain(box, digit_height)
        if sized:
            evidence *= size_evidence(box[3], digit_height, settings)
        return certain(evidence)


def size_evidence(height: float, digit_height: float, settings: PageSettings) -> float:
    """How likely a reading this tall is one of the page's digits, `digit_height` tall:
    one half at `size_half` times their height, 0.996 for any as tall or shorter (a
    small 0 beside tall digits is a digit); `certain` rounds that to 1."""
    taller = max(1.0, height / digit_height) / settings.size_half
    return 1.0 / (1.0 + taller ** settings.size_steepness)


def stroke_evidence(stroke: float, page_stroke: float, settings: PageSettings) -> float:
    """How likely a reading of this `stroke` width is one of the page's digits, written
    with the pen of its digits read surely (`page_stroke`): one half at `thin_half` times
    the page's stroke, nearer 1 the thicker (with the defaults: 1 from 0.8 times the
    page's stroke up, 0.9 at half of it); thicker strokes than the page's are never
    doubted."""
    if page_stroke <= 0 or stroke <= 0:
        return 1.0
    thin = (page_stroke / stroke) * settings.thin_half
    return certain(1.0 / (1.0 + thin ** settings.thin_steepness))


def bar_evidence(probability: float, settings: PageSettings) -> float:
    """The factor that turns the model's `probability` of a 1 into the probability
    that it is a digit in a camera's scene, where upright bars of texture abound: its
    odds times `bar_odds`."""
    odds = settings.bar_odds
    return odds / (odds * probability + 1.0 - probability)


def certain(evidence: float) -> float:
    """Within a percent of certain is certain: a digit on plain paper, of the page's
    size and pen, keeps the model's own probability (and its ">99%"; a 1 less, by
    `bar_evidence`)."""
    return 1.0 if evidence >= 0.99 else evidence
