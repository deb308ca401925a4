"""How big the digits are in this frame, and how wide their strokes: measured, not assumed.

Every window of the pipeline is sized from the digits' height: the paper's light is
estimated over a quarter of a digit, ruled lines are lines longer than three digits,
pieces of a broken digit are joined across a fifth of one. Guessing that height from
the frame (a tenth of it: a page at arm's length) fails at both ends: a digit filling
the frame has its own strokes erased as "ruled lines" and its inside taken for shadow,
and a row of tiny digits is smeared by windows made for big ones.

So the pipeline binarizes once with a guess (the last frame's measure in the live view)
and measures the blobs it finds: the height of a whole digit (pieces stacked one above
the other count together: a broken digit falls apart across its strokes). When that
is far from the guess, it binarizes again with windows sized from the measure. The
digits' stroke width is measured on the digits read (their crops measure it anyway).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .candidates import Candidate, PairGeometry
from .config import ScaleSettings


@dataclass(frozen=True)
class Scale:
    """The digits' height in the working image."""

    height: float  # a whole digit's height, pixels
    measured: bool  # False: a guess (nothing digit-like was found)
    # Given by the caller, not guessed or measured here: the live view's hint, the
    # height of the digits read in the frame before. (The heights a frame is read at
    # again, enlarged or binarized anew, come from this frame's measure: not hinted.)
    hinted: bool = False


def guess(shape: tuple[int, ...], settings: ScaleSettings, hint: float | None = None) -> Scale:
    """The scale before measuring: `hint` (a height) if given, else a fraction of the
    frame's shorter side."""
    if hint:
        return Scale(float(hint), False, hinted=True)
    return Scale(float(settings.first_guess * min(shape[:2])), False)


def measure(geometry: PairGeometry | None, digit_sized: np.ndarray, fallback: Scale,
            settings: ScaleSettings) -> Scale:
    """The height of a whole digit, from the blobs flagged in `digit_sized` (their
    `geometry`: None when there are too many to compare); `fallback` when there are
    none. (The stroke width is measured on the digits read, whose crops measure it
    anyway: see stroke_of.)"""
    if geometry is None or not digit_sized.any():
        return fallback
    return Scale(typical_height(geometry, digit_sized, settings), True)


def stroke_of(candidates: list[Candidate]) -> float:
    """The median stroke width of `candidates` (cached on each: the crops measured it),
    0.0 for none."""
    return float(np.median([c.stroke for c in candidates])) if candidates else 0.0


def typical_height(geometry: PairGeometry, among: np.ndarray,
                   settings: ScaleSettings) -> float:
    """The height of a whole digit on this page, from the blobs flagged in `among`.

    A digit broken across its strokes falls apart into pieces stacked one above the
    other, so blobs that overlap sideways and nearly touch are stacked first; the
    height of a whole digit is then a high quantile of the stacks' heights
    (ScaleSettings.stack_overlap, stack_gap, stack_share, height_quantile).
    """
    g = geometry
    # One above the other: overlapping sideways, nearly touching, sharing little of
    # their height (a blob whose box holds another is not its piece).
    stacked = ((g.overlap_x >= settings.stack_overlap * g.narrower)
               & (g.gap <= settings.stack_gap * g.taller)
               & (g.overlap_y <= settings.stack_share * g.shorter))
    # Every blob may be a piece in a stack (a 5's top bar is wider than a digit), but
    # only stacks holding a blob the size of a digit count.
    stack_of = {i: i for i in range(len(g.heights))}

    def root(i: int) -> int:
        while stack_of[i] != i:
            i = stack_of[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(stacked, 1)), strict=True):
        stack_of[root(int(j))] = root(int(i))
    tops: dict[int, float] = {}
    bottoms: dict[int, float] = {}
    counted = {root(int(i)) for i in np.flatnonzero(among)}
    for i in stack_of:
        r = root(i)
        if r not in counted:
            continue
        tops[r] = min(tops.get(r, np.inf), float(g.y0[i]))
        bottoms[r] = max(bottoms.get(r, -np.inf), float(g.y1[i]))
    return float(np.percentile([bottoms[r] - tops[r] for r in tops],
                               settings.height_quantile))


def far_off(measured: Scale, guessed: Scale, factor: float) -> bool:
    """Whether `guessed` is more than `factor` times off `measured` (either way): so
    far off that the frame must be read again."""
    if not measured.measured:
        return False
    ratio = measured.height / max(guessed.height, 1e-6)
    return ratio > factor or ratio < 1 / factor
