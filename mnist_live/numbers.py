"""Group digits that stand side by side on one line into whole numbers.

Digits are put into lines (each digit followed to the next on its right that shares
half of the shorter one's height, so a slanted line stays one), lines are read top to
bottom, and digits in a line left to right. Inside a line, a gap clearly wider than
the gaps between the line's digits starts a new number: the digits of "2024" are
written close, while two numbers are separated by a space. How wide either is depends
on the writer, so gaps are measured in the line's own digit widths (a 1, thin as it
is, takes the room of half its height), and a space against the line's own narrow
gaps: on a crowded page a space may be half a digit wide, on a tidy one a whole digit.
A space is never narrower than half a digit nor wider than max_digit_gap, unless the
line is evenly spaced: then "2 0 2 1" written with gaps of up to even_digit_gap is one
number, while "3 + 4 = 7", read without its signs, has too few gaps to tell and stays
three numbers (see NumberSettings). A line is evenly spaced when every gap lies near
its median gap, or when every two gaps side by side are near each other: a hand
drifts, and a page filmed at a slant widens its gaps steadily along the line
("6 6 6 6 6" written with gaps growing from 0.8 to 1.9 digit widths), while a space
between two numbers jumps from the gap beside it ("12 34 56", "2024 7 9"); a space
that does not jump, after a gap nearly as wide, is read as a gap (NumberSettings).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .boxes import Box, side_by_side, union_box
from .config import NumberSettings


@dataclass(frozen=True)
class NumberReading:
    """Digits read together as one number."""

    text: str
    box: Box
    members: tuple[int, ...]  # indices into the digit list, left to right

    def to_json(self) -> dict:
        return {"text": self.text, "box": list(self.box)}


def group_lines(boxes: Sequence[Box]) -> list[list[int]]:
    """Indices of `boxes` grouped into text lines, top line first, each left to right.

    A line is read as a person follows it: from each digit to the next on its right
    that shares at least half of the shorter one's height, so a line written (or
    filmed) at a slant stays one line however long it is. Where two lines could take a
    digit, the one that heads for it does: each line is carried on along the slope of
    its last two digits (a short line that ended on the left does not take the digits
    of a slanted line rising past its height). Lines are ordered by their first digit."""
    lines: list[list[int]] = []
    for i in sorted(range(len(boxes)), key=lambda i: boxes[i][0]):  # left to right
        x, y, w, h = boxes[i]
        best, best_key = None, (0.0, 0.0)
        for k, line in enumerate(lines):
            _, ly, _, lh = boxes[line[-1]]  # the line's last digit so far
            overlap = min(y + h, ly + lh) - max(y, ly)
            if overlap <= 0 or overlap < 0.5 * min(h, lh):
                continue
            key = (abs(y + h / 2 - _heading(boxes, line, x + w / 2)), -overlap)
            if best is None or key < best_key:
                best, best_key = k, key
        if best is None:
            lines.append([i])
        else:
            lines[best].append(i)
    lines.sort(key=lambda line: boxes[line[0]][1] + boxes[line[0]][3] / 2)
    return lines


def _heading(boxes: Sequence[Box], line: list[int], x: float) -> float:
    """Where `line` would have a digit's vertical centre at `x`: its last digit's,
    carried on along the slope from the digit before it."""
    lx, ly, lw, lh = boxes[line[-1]]
    centre = ly + lh / 2
    if len(line) < 2:
        return centre
    px, py, pw, ph = boxes[line[-2]]
    run = (lx + lw / 2) - (px + pw / 2)
    if run <= 0:
        return centre
    return centre + (centre - (py + ph / 2)) / run * (x - (lx + lw / 2))


def group_numbers(digits: Sequence[int], boxes: Sequence[Box],
                  settings: NumberSettings | None = None) -> list[NumberReading]:
    """Numbers in reading order from digits and their boxes (see the module's docstring)."""
    settings = settings or NumberSettings()
    numbers = []
    for line in group_lines(boxes):
        # A 1 is thin but takes the room of half its height: each digit's room is
        # centred on its box, the line's digit width is their median, and gaps are
        # measured between rooms (a thin 1 does not open a space on either side).
        rooms = [_room(boxes[i]) for i in line]
        unit = statistics.median(right - left for left, right in rooms)
        gaps = [(cur[0] - prev[1]) / unit for prev, cur in itertools.pairwise(rooms)]
        # The writer's usual gap is measured between the inked boxes: the rooms of two
        # 1s side by side overlap, which says nothing of how wide the writer spaces.
        inked = sorted((boxes[cur][0] - (boxes[prev][0] + boxes[prev][2])) / unit
                       for prev, cur in itertools.pairwise(line))
        narrow = inked[len(inked) // 4] if inked else 0.0  # the narrow quarter
        widest = (settings.even_digit_gap if _evenly_spaced(gaps, settings)
                  else settings.max_digit_gap)
        space = min(widest, max(settings.min_space, settings.space_factor * narrow))
        run = [line[0]]
        for cur, gap in zip(line[1:], gaps, strict=True):
            if gap > space:
                numbers.append(_number(run, digits, boxes))
                run = []
            run.append(cur)
        numbers.append(_number(run, digits, boxes))
    return numbers


def _evenly_spaced(gaps: list[float], settings: NumberSettings) -> bool:
    """Whether a line's gaps (three or more: "3 + 4 = 7" read without its signs has two)
    are even: every gap within even_spread times the line's median gap, either way, or
    every two gaps side by side within even_step times each other (gaps that widen or
    narrow steadily along the line pass; a space more than even_step times the gap
    beside it does not). A gap of none or less (touching digits) is never even."""
    if len(gaps) < 3 or min(gaps) <= 0:
        return False
    typical = statistics.median(gaps)
    spread, step = settings.even_spread, settings.even_step
    return (all(typical / spread <= gap <= typical * spread for gap in gaps)
            or all(max(a, b) <= step * min(a, b) for a, b in itertools.pairwise(gaps)))


def beside_a_digit(boxes: Sequence[Box], digits: Sequence[bool], reach: float,
                   asked: Sequence[bool] | None = None) -> np.ndarray:
    """(N,) bool: for each box `asked` (all when None), whether one flagged in `digits`
    (the digits shown) stands beside it on its line: side by side (overlapping
    sideways by at most half the narrower one), sharing half the shorter one's height,
    at least half as tall, and at most `reach` times the taller one's height away
    (PageSettings.number_reach). An upright bar beside a digit shown is a 1 of its
    number, not a bar of the texture around the page (pipeline: the bar evidence is
    left out)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    asked_rows = np.ones(len(b), bool) if asked is None else np.asarray(asked, bool)
    mine, theirs = b[asked_rows], b[np.asarray(digits, bool)]
    beside = np.zeros(len(b), bool)
    if len(mine) and len(theirs):
        beside[asked_rows] = side_by_side(mine, theirs, reach, 0.5).any(axis=1)
    return beside


def _room(box: Box) -> tuple[float, float]:
    """Left and right of the room a digit takes on its line: its box, widened to half
    its height about its centre when it is narrower (a 1)."""
    x, _, w, h = box
    half = max(w, 0.5 * h) / 2
    return x + w / 2 - half, x + w / 2 + half


def _number(run: list[int], digits: Sequence[int], boxes: Sequence[Box]) -> NumberReading:
    return NumberReading(
        text="".join(str(digits[i]) for i in run),
        box=union_box([boxes[i] for i in run]),
        members=tuple(run),
    )


def in_reading_order(digits: Sequence, settings: NumberSettings | None = None
                     ) -> tuple[list, list[NumberReading]]:
    """Digits (anything with .digit and .box) in reading order, and the numbers they form.

    Each number's `members` index into the returned digit list.
    """
    numbers = group_numbers([d.digit for d in digits], [d.box for d in digits], settings)
    order = [i for number in numbers for i in number.members]
    position = {old: new for new, old in enumerate(order)}
    return (
        [digits[i] for i in order],
        [NumberReading(n.text, n.box, tuple(position[i] for i in n.members)) for n in numbers],
    )
