"""Is this ink written on a page? Digits sit on plain paper or board; a stroke of wood
grain, fur or a brick wall's mortar sits inside more of the same.

A person looks around a mark before reading it: around a written digit the paper is
plain, so nearly all the edges nearby are the edges of the ink itself (and of its
neighbours' ink). Around a stroke of texture, the surroundings are full of edges too
faint or too broken to have become ink. So for each candidate:

    texture = mean edge strength around it, away from any ink
              / mean edge strength along its own ink

(edges: the gradient of the lighting-flattened ink image, slightly blurred so paper
grain does not count), measured within `ring` digit heights of its box. On paper it is
about 0.02-0.1; on texture 0.2-0.7. It becomes soft evidence, a factor from 1 (plain
paper) falling through one half at `texture_half`:

    evidence = 1 / (1 + (texture / texture_half) ** texture_steepness)

The digits of one page are also of one size: a candidate several times taller than
the page's measured digit height (a sheet's shadowed edge, a streak of texture) is
less likely one of them, by a second factor of the same form. And they are written
with one pen: once the search has chosen, a reading whose stroke is far thinner than
the stroke of the digits read surely (a sheet edge's hairline, a letter of small
print) is less likely one of them, by a third (`stroke_evidence`). The evidence multiplies
the model's probabilities: the hypothesis search and the confidence threshold see a
digit in texture, or of another size, as less likely, never as impossible.

Everything is summed over integral images made once per frame at half size, so a
candidate costs a few array lookups.
"""

from __future__ import annotations

import cv2
import numpy as np

from .boxes import Box
from .config import PageSettings

# Edges are measured on a copy this many times smaller: texture shows as well, and it
# is four times cheaper.
SHRINK = 2


class PageTexture:
    """The texture around any box of one frame (see the module's docstring)."""

    def __init__(self, ink: np.ndarray, binary: np.ndarray, settings: PageSettings):
        self.settings = settings
        height, width = ink.shape[:2]
        size = (max(1, width // SHRINK), max(1, height // SHRINK))
        small = cv2.resize(ink, size, interpolation=cv2.INTER_AREA).astype(np.float32)
        small = cv2.GaussianBlur(small, (0, 0), 1.0)
        gx = cv2.Sobel(small, cv2.CV_32F, 1, 0)
        gy = cv2.Sobel(small, cv2.CV_32F, 0, 1)
        edges = cv2.magnitude(gx, gy)
        # Ink, and the pixels next to it (its own edges), count as ink.
        ink_mask = cv2.resize(binary, size, interpolation=cv2.INTER_AREA) > 0
        near_ink = cv2.dilate(ink_mask.astype(np.uint8), np.ones((3, 3), np.uint8))
        # 64-bit sums: on a 2048-px frame of texture 32-bit ones lose whole percents.
        self._edges = cv2.integral(edges, sdepth=cv2.CV_64F)
        self._ink_edges = cv2.integral(edges * near_ink, sdepth=cv2.CV_64F)
        self._ink = cv2.integral(near_ink, sdepth=cv2.CV_32S)
        self._shape = (size[1], size[0])

    def _sums(self, x0: int, y0: int, x1: int, y1: int) -> tuple[float, float, float]:
        """(all edges, ink edges, ink pixels) inside [x0, x1) x [y0, y1), small pixels."""
        out = []
        for table in (self._edges, self._ink_edges, self._ink):
            out.append(float(table[y1, x1] - table[y0, x1] - table[y1, x0] + table[y0, x0]))
        return out[0], out[1], out[2]

    def texture(self, box: Box, digit_height: float) -> float:
        """Edges around the box away from ink, relative to the edges of the ink in it."""
        x, y, w, h = (v / SHRINK for v in box)
        reach = self.settings.ring * max(digit_height, box[3]) / SHRINK
        rows, cols = self._shape
        inner = (max(0, int(x)), max(0, int(y)), min(cols, int(np.ceil(x + w))),
                 min(rows, int(np.ceil(y + h))))
        outer = (max(0, int(x - reach)), max(0, int(y - reach)),
                 min(cols, int(np.ceil(x + w + reach))), min(rows, int(np.ceil(y + h + reach))))
        if inner[2] <= inner[0] or inner[3] <= inner[1]:
            return 0.0
        all_out, ink_edges_out, ink_out = self._sums(*outer)
        _, ink_edges_in, ink_in = self._sums(*inner)
        area = (outer[2] - outer[0]) * (outer[3] - outer[1])
        background = area - ink_out
        if ink_in <= 0 or background <= 0:
            return 0.0
        around = (all_out - ink_edges_out) / background
        own = ink_edges_in / ink_in
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
            taller = max(1.0, box[3] / digit_height) / settings.size_half
            evidence /= 1.0 + taller ** settings.size_steepness
        return _certain(evidence)


def stroke_evidence(stroke: float, page_stroke: float, settings: PageSettings) -> float:
    """How likely a reading of this `stroke` width is one of the page's digits, written
    with the pen of its digits read surely (`page_stroke`): one half at `thin_half` times
    the page's stroke, nearer 1 the thicker (with the defaults: 1 from 0.8 times the
    page's stroke up, 0.9 at half of it); thicker strokes than the page's are never
    doubted."""
    if page_stroke <= 0 or stroke <= 0:
        return 1.0
    thin = (page_stroke / stroke) * settings.thin_half
    return _certain(1.0 / (1.0 + thin ** settings.thin_steepness))


def _certain(evidence: float) -> float:
    """Within a percent of certain is certain: a digit on plain paper, of the page's
    size and pen, keeps the model's own probability (and its ">99%")."""
    return 1.0 if evidence >= 0.99 else evidence
