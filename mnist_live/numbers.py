"""Group digits that stand side by side on one line into whole numbers.

Digits are put into lines (boxes that share most of their height), lines are read top
to bottom, and digits in a line left to right. Inside a line, a gap wider than a
fraction of the digits' height starts a new number: the digits of "2024" nearly touch,
while two numbers on a page are separated by a space.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from .boxes import Box, union_box

# A gap between two neighbours wider than this * their mean height separates numbers.
NUMBER_GAP = 0.6


@dataclass(frozen=True)
class NumberReading:
    """Digits read together as one number."""

    text: str
    box: Box
    members: tuple[int, ...]  # indices into the digit list, left to right


def group_lines(boxes: Sequence[Box]) -> list[list[int]]:
    """Indices of `boxes` grouped into text lines, top line first, each left to right."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][1] + boxes[i][3] / 2)
    lines: list[list[int]] = []
    centres: list[float] = []  # running mean of each line's vertical centre
    heights: list[float] = []
    for i in order:
        _, y, _, h = boxes[i]
        cy = y + h / 2
        best = None
        for k, (line_cy, line_h) in enumerate(zip(centres, heights, strict=True)):
            if abs(cy - line_cy) < 0.5 * max(h, line_h) and (
                best is None or abs(cy - line_cy) < abs(cy - centres[best])
            ):
                best = k
        if best is None:
            lines.append([i])
            centres.append(cy)
            heights.append(h)
        else:
            line = lines[best]
            line.append(i)
            n = len(line)
            centres[best] += (cy - centres[best]) / n
            heights[best] += (h - heights[best]) / n
    for line in lines:
        line.sort(key=lambda i: boxes[i][0])
    lines.sort(key=lambda line: min(boxes[i][1] for i in line))
    return lines


def group_numbers(digits: Sequence[int], boxes: Sequence[Box]) -> list[NumberReading]:
    """Numbers in reading order from digits and their boxes."""
    numbers = []
    for line in group_lines(boxes):
        run = [line[0]]
        for prev, cur in itertools.pairwise(line):
            gap = boxes[cur][0] - (boxes[prev][0] + boxes[prev][2])
            height = (boxes[prev][3] + boxes[cur][3]) / 2
            if gap > NUMBER_GAP * height:
                numbers.append(_number(run, digits, boxes))
                run = []
            run.append(cur)
        numbers.append(_number(run, digits, boxes))
    return numbers


def _number(run: list[int], digits: Sequence[int], boxes: Sequence[Box]) -> NumberReading:
    return NumberReading(
        text="".join(str(digits[i]) for i in run),
        box=union_box([boxes[i] for i in run]),
        members=tuple(run),
    )


def in_reading_order(digits: Sequence) -> tuple[list, list[NumberReading]]:
    """Digits (anything with .digit and .box) in reading order, and the numbers they form.

    Each number's `members` index into the returned digit list.
    """
    numbers = group_numbers([d.digit for d in digits], [d.box for d in digits])
    order = [i for number in numbers for i in number.members]
    position = {old: new for new, old in enumerate(order)}
    return (
        [digits[i] for i in order],
        [NumberReading(n.text, n.box, tuple(position[i] for i in n.members)) for n in numbers],
    )
