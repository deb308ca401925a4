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
to about 0.11); on texture 0.1-1. It becomes
soft evidence, a factor from 1 (plain paper) falling through one half at
`texture_half`:

    evidence = 1 / (1 + (texture / texture_half) ** texture_steepness)

The digits of one page are also of one size: a candidate several times taller than
the page's measured digit height (a sheet's shadowed edge, a streak of texture) is
less likely one of them, by a second factor of the same form (when the page's height
was guessed, not measured, it is weighed after the search instead, against the height
of the digits read surely: `size_evidence`). And they are written
with one pen: once the search has chosen, a reading whose stroke is far thinner than
the stroke of the digits read surely (a sheet edge's hairline, a letter of small
print) is less likely one of them, by a third (`stroke_evidence`). And a pen's stroke
is a line on paper, with paper on both its sides: a straight stroke with paper on one
side and something as dark as ink on the other is less likely a digit (it is likely
the dark side of an object's edge: a table, a door, a brick), by a fourth
(`sides_evidence`). And an upright bar is a 1 to the model, while a camera's scenes are
full of bars: a reading of a 1 is weighed by the odds that it is one (`bar_evidence`).
The evidence multiplies the model's probabilities: the texture and size evidence before
the hypothesis search chooses, the stroke, sides and bar evidence after it, before the
confidence threshold. A digit in texture, of another size or pen, or beside an edge is
less likely, never impossible.

The texture is summed over integral images made once per frame at half size, so a
candidate costs a few array lookups; the sides are looked at only for the readings of
a 1 sure enough to be shown that are one straight stroke (two small dilations each).
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from .boxes import Box
from .candidates import Candidate
from .config import PageSettings

# The sides of a reading are compared only when its ink is one straight stroke (a 1, a
# bar): at least this many times longer than wide (the spread of its pixels along its
# long axis against across it). Then its halves lie just across the stroke from each
# other, in the same light; the halves of a 7 or an 8 lie a digit's width apart, where
# a shadow's edge across the page may light them differently.
LINE_ELONGATION = 3.0

# Edges are measured on a copy SHRINK times smaller: texture shows as well, at a quarter
# of the cost. The surroundings' on the ink averaged down (INTER_AREA) and blurred by
# AROUND_BLUR, so paper grain does not count; the ink's own on the ink max-pooled (the
# strongest ink of each SHRINK x SHRINK block: the blocks INTER_AREA averages when the
# frame's sides are even, within a pixel of them when odd) and blurred only by
# OWN_BLUR, so a fine pen's stroke, a pixel wide, keeps its full contrast and its edges
# (averaged down and blurred, it kept half of them, and its page looked like texture).
# On filmed pages (bench film) this parts the page's digits from texture's false
# digits about five times better: of 816 readings of texture the model was sure of, 69
# against 355 fall below the texture of 98% of the true digits (66 with the own edges
# at full size, which cost a full read about 4.5 ms more in the live loop).
SHRINK = 2
AROUND_BLUR = 1.0
OWN_BLUR = 0.5


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
        edges = _edge_strength(cv2.resize(ink, size, interpolation=cv2.INTER_AREA), AROUND_BLUR)
        strongest = cv2.dilate(ink, np.ones((SHRINK, SHRINK), np.uint8), anchor=(0, 0))
        own_edges = _edge_strength(
            cv2.resize(strongest, size, interpolation=cv2.INTER_NEAREST), OWN_BLUR)
        # Ink, and the pixels next to it (its own edges), count as ink.
        ink_mask = cv2.resize(binary, size, interpolation=cv2.INTER_AREA) > 0
        near_ink = cv2.dilate(ink_mask.astype(np.uint8), np.ones((3, 3), np.uint8))
        # 64-bit sums: on a 2048-px frame of texture 32-bit ones lose whole percents.
        self._edges = cv2.integral(edges, sdepth=cv2.CV_64F)
        self._ink_edges = cv2.integral(edges * near_ink, sdepth=cv2.CV_64F)
        self._own_edges = cv2.integral(own_edges * near_ink, sdepth=cv2.CV_64F)
        self._ink = cv2.integral(near_ink, sdepth=cv2.CV_32S)

    def texture(self, box: Box, digit_height: float) -> float:
        """Edges around the box away from ink, relative to the edges of the ink in it."""
        x, y, w, h = (v / SHRINK for v in box)
        reach = self.settings.ring * max(digit_height, box[3]) / SHRINK
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
        around = (_box_sum(self._edges, *outer) - _box_sum(self._ink_edges, *outer)) / background
        own = _box_sum(self._own_edges, *inner) / ink_in
        return around / own if own > 0 else 0.0

    def plain(self, box: Box, digit_height: float) -> float:
        """How plainly this box sits on a page: 1 on plain paper, towards 0 in texture."""
        texture = self.texture(box, digit_height) / self.settings.texture_half
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


def sides_evidence(gray: np.ndarray, dark_ink: bool, binary: np.ndarray,
                   candidate: Candidate, settings: PageSettings) -> float:
    """How likely this reading is a pen's stroke by the paper on both its sides.

    A stroke of ink is a line on paper: just outside it, the paper is as light on one
    side as on the other. The ink that the dark side of an object's edge leaves (a
    table's or a door's edge, a brick, a sleeve) has the paper on one side only: on
    the other, the object, as dark as the ink. So when the reading's ink is one
    straight stroke (a 1, a bar: LINE_ELONGATION), the ring just outside it (from
    half a stroke to about one and a half strokes out, at least 2 px wide; other ink
    left out) is split in two along its long axis, and

        sides = |darkness of one half - of the other| / (darkness of the ink - of the
                lighter half)

    is about 0 for a stroke on paper, and 0.7 or more for the dark side of an edge (a
    shadow's edge along a stroke, as dark as a shadow is, gives about 0.5). The
    evidence is one half at `sides_half` (1 below about half of it)."""
    darkness = sides_darkness(gray, dark_ink, binary, candidate) / settings.sides_half
    return certain(1.0 / (1.0 + darkness ** settings.sides_steepness))


def sides_darkness(gray: np.ndarray, dark_ink: bool, binary: np.ndarray,
                   candidate: Candidate) -> float:
    """The `sides` measure of sides_evidence; `gray` is the working image, `binary`
    its ink (255). 0 (no evidence) when the ink is not one straight stroke, has fewer
    than 3 pixels, or a side has fewer than 3 pixels of paper to look at (other ink all
    round it, or the frame's edge; near the edge the two halves may cover different
    lengths of the stroke)."""
    moments = cv2.moments(candidate.mask, binaryImage=True)
    if moments["m00"] < 3:
        return 0.0
    # The spread of the ink along its long axis and across it (the principal second
    # moments), and the long axis's direction, through the ink's centre.
    mu20, mu02, mu11 = moments["mu20"], moments["mu02"], moments["mu11"]
    half_gap = np.hypot((mu20 - mu02) / 2, mu11)
    along, across = (mu20 + mu02) / 2 + half_gap, (mu20 + mu02) / 2 - half_gap
    if along < LINE_ELONGATION**2 * max(across, 1e-6):
        return 0.0  # not one straight stroke: its halves lie apart, in other light
    angle = 0.5 * np.arctan2(2 * mu11, mu20 - mu02)
    ax, ay = np.cos(angle), np.sin(angle)
    cx, cy = moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]

    x, y, w, h = candidate.box
    stroke = max(1.0, candidate.stroke)
    inner = max(1, round(stroke / 2))  # the ink's own blurred edge is not paper
    outer = inner + max(2, round(stroke))
    rows, cols = gray.shape[:2]
    x0, y0 = max(0, x - outer - 1), max(0, y - outer - 1)
    x1, y1 = min(cols, x + w + outer + 1), min(rows, y + h + outer + 1)
    own = np.zeros((y1 - y0, x1 - x0), np.uint8)
    own[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = candidate.mask
    near_ink = cv2.dilate(cv2.bitwise_or(own, binary[y0:y1, x0:x1]), _disc(inner))
    ring_ys, ring_xs = np.nonzero((cv2.dilate(own, _disc(outer)) > 0) & (near_ink == 0))
    # Which side of the long axis each ring pixel lies on (the mask's coordinates).
    side = (ring_xs + x0 - x - cx) * ay - (ring_ys + y0 - y - cy) * ax
    region = gray[y0:y1, x0:x1].astype(np.float32)
    darkness = (255.0 - region) if dark_ink else region
    one = darkness[ring_ys[side > 0], ring_xs[side > 0]]
    other = darkness[ring_ys[side < 0], ring_xs[side < 0]]
    if len(one) < 3 or len(other) < 3:
        return 0.0
    # Means, not medians: a shadow's edge across the stroke lights half of each side,
    # and a median would jump between the two lights.
    one_side, other_side = float(one.mean()), float(other.mean())
    paper = min(one_side, other_side)
    ink = float(np.median(darkness[own > 0]))
    # 8 gray levels at least: faint ink on paper must not make noise a large share.
    return abs(one_side - other_side) / max(8.0, ink - paper)


@functools.lru_cache(maxsize=32)
def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def certain(evidence: float) -> float:
    """Within a percent of certain is certain: a digit on plain paper, of the page's
    size and pen, keeps the model's own probability (and its ">99%"; a 1 less, by
    `bar_evidence`)."""
    return 1.0 if evidence >= 0.99 else evidence
