"""Score a reading of an image against its true digits: recall, precision and F1.

The rule (issue 4, and the shared data's README): a reported digit is *read* when its
box overlaps a true digit's box with IoU >= 0.4 AND its label is right. Each true digit
can be read once and each report can read one true digit (one-to-one matching), so a
digit reported twice counts once, and the duplicate is a false positive.

    recall    = read / true digits       (how much of the page we read)
    precision = read / reported digits   (how much of what we said is right)
    F1        = 2 * read / (true + reported)

A report with the wrong label therefore costs twice: its true digit is missed and the
report is a false positive. A *stray* report is one whose box overlaps no true digit's
box (IoU < 0.4 with all of them): a digit where there is none, such as a plus sign, a
letter or wall texture read as a digit. On a photo with no digits every report is stray.

Boxes are (x, y, w, h) pixel boxes like cv2.boundingRect: the box covers columns
x .. x+w-1 and rows y .. y+h-1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..boxes import Box, iou

MIN_IOU = 0.4


class Labeled(Protocol):
    """Anything with a digit and a box: a true digit, or a reported one."""

    digit: int
    box: Box


class Written(Protocol):
    """Anything with a text and a box: a true number, or a reported one."""

    text: str
    box: Box


@dataclass
class ImageScore:
    """How one reading of one image went. Indices refer to the true / reported lists."""

    true: int
    reported: int
    reads: list[tuple[int, int]]  # (true, reported): right label, IoU >= MIN_IOU
    wrong: list[tuple[int, int]]  # (true, reported): box found, label wrong
    missed: list[int]  # true digits not read (those in `wrong` included)
    extra: list[int]  # reports that read nothing (those in `wrong` included)
    # Reports whose box overlaps no true digit's box at all (IoU < min_iou with each):
    # part of `extra`, but not a duplicate or a misread of a true digit.
    stray: list[int] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.reads)

    @property
    def perfect(self) -> bool:
        return not self.missed and not self.extra


def score_image(
    true: Sequence[Labeled], reported: Sequence[Labeled], min_iou: float = MIN_IOU
) -> ImageScore:
    """Match reports to true digits one-to-one and count what was read."""
    overlaps = [[iou(t.box, r.box) for r in reported] for t in true]
    # Pairs that would be a read; the matching takes as many as possible at once.
    candidates = [
        [j for j in range(len(reported))
         if overlaps[i][j] >= min_iou and reported[j].digit == true[i].digit]
        for i in range(len(true))
    ]
    reads = _max_matching(candidates, overlaps, len(reported))

    # What is left over: pair boxes that overlap enough, to tell a wrong label (the
    # box was found) from a miss and an extra (it was not).
    read_true = {i for i, _ in reads}
    read_reported = {j for _, j in reads}
    left_pairs = sorted(
        (overlaps[i][j], i, j) for i in range(len(true)) for j in range(len(reported))
        if i not in read_true and j not in read_reported and overlaps[i][j] >= min_iou
    )
    wrong = []
    paired_true, paired_reported = set(), set()
    for _, i, j in reversed(left_pairs):  # best overlap first
        if i not in paired_true and j not in paired_reported:
            wrong.append((i, j))
            paired_true.add(i)
            paired_reported.add(j)
    return ImageScore(
        true=len(true),
        reported=len(reported),
        reads=sorted(reads),
        wrong=sorted(wrong),
        missed=[i for i in range(len(true)) if i not in read_true],
        extra=[j for j in range(len(reported)) if j not in read_reported],
        stray=[j for j in range(len(reported))
               if all(overlaps[i][j] < min_iou for i in range(len(true)))],
    )


def _max_matching(
    candidates: list[list[int]], overlaps: list[list[float]], n_right: int
) -> list[tuple[int, int]]:
    """The largest one-to-one set of (left, right) pairs allowed by `candidates`.

    Kuhn's augmenting paths: tiny graphs, exact. Candidates are tried best IoU first,
    so when there is no conflict each true digit keeps its best-overlapping report.
    """
    owner = [-1] * n_right  # right -> left

    def assign(left: int, seen: set[int]) -> bool:
        for right in sorted(candidates[left], key=lambda j: -overlaps[left][j]):
            if right in seen:
                continue
            seen.add(right)
            if owner[right] == -1 or assign(owner[right], seen):
                owner[right] = left
                return True
        return False

    order = sorted(
        range(len(candidates)),
        key=lambda i: -max((overlaps[i][j] for j in candidates[i]), default=0.0),
    )
    for left in order:
        if candidates[left]:
            assign(left, set())
    return [(left, right) for right, left in enumerate(owner) if left != -1]


def whole_numbers(
    true: Sequence[Written], reported: Sequence[Written], min_iou: float = MIN_IOU
) -> tuple[int, int]:
    """(true numbers of two digits or more, how many of them are reported whole).

    A number is reported whole when a reported number has the same text and a box
    with IoU >= min_iou with the true number's box: "2021" read as "20" and "21", or
    as "2021" with a stray digit beside it, is not.
    """
    long = [t for t in true if len(t.text) > 1]
    whole = sum(any(r.text == t.text and iou(r.box, t.box) >= min_iou for r in reported)
                for t in long)
    return len(long), whole


@dataclass
class Tally:
    """Counts summed over many images: one row of the benchmark's table."""

    images: int = 0
    true: int = 0
    reported: int = 0
    read: int = 0
    stray: int = 0  # reports on no true digit

    def add(self, score: ImageScore) -> None:
        self.images += 1
        self.true += score.true
        self.reported += score.reported
        self.read += score.read
        self.stray += len(score.stray)

    def merge(self, other: Tally) -> None:
        """Add another tally's counts to this one."""
        for name in ("images", "true", "reported", "read", "stray"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def stray_per_image(self) -> float:
        return self.stray / self.images if self.images else math.nan

    @property
    def recall(self) -> float:
        return self.read / self.true if self.true else math.nan

    @property
    def precision(self) -> float:
        return self.read / self.reported if self.reported else math.nan

    @property
    def f1(self) -> float:
        total = self.true + self.reported
        return 2 * self.read / total if total else math.nan

    def as_dict(self) -> dict:
        return {
            "images": self.images,
            "true": self.true,
            "reported": self.reported,
            "read": self.read,
            "stray": self.stray,
            "stray_per_image": _json_number(self.stray_per_image),
            "recall": _json_number(self.recall),
            "precision": _json_number(self.precision),
            "f1": _json_number(self.f1),
        }


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)
