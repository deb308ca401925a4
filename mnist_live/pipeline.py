"""The whole reading pipeline, frame in, digits and numbers out.

    frame -> gray -> working size -> binarize -> close -> candidates
          -> 28x28 MNIST crops -> classifier (one invoke) -> confident digits -> numbers

Each stage lives in its own module; this one only chains them and maps boxes back to
the frame's own pixels. `DigitReader.read(frame, keep_steps=True)` also returns the
intermediate pictures that opencv_preprocessing_test.py saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from . import config
from .binarize import binarize, to_gray
from .candidates import (
    Box,
    Candidate,
    CandidateLimits,
    PairGeometry,
    Rejected,
    attached_pieces,
    close_gaps,
    find_blobs,
    fragment_groups,
    is_digit_sized,
    merge,
    piece_pairs,
    pieces_beside_digits,
    remove_ruled_lines,
    skip_pairs,
    split_touching,
    typical_height,
    unused_reason,
)
from .classifier import DigitClassifier
from .confidence import json_confidence
from .normalize import mnist_crop
from .numbers import NumberReading, in_reading_order


@dataclass(frozen=True)
class PipelineSettings:
    """Every knob of the pipeline, with the defaults the scripts use."""

    threshold: str | int = config.DEFAULT_THRESHOLD
    min_confidence: float = config.DEFAULT_MIN_CONFIDENCE
    border_fraction: float = config.DEFAULT_BORDER_FRACTION
    max_working_side: int = config.MAX_WORKING_SIDE


@dataclass(frozen=True)
class DigitDetection:
    """One digit read in a frame; `box` is (x, y, w, h) in the frame's pixels."""

    digit: int
    confidence: float
    box: Box
    probabilities: np.ndarray = field(repr=False, compare=False)

    def to_json(self) -> dict:
        return {"digit": self.digit, "confidence": json_confidence(self.confidence),
                "box": list(self.box)}


@dataclass
class FrameReading:
    """What the pipeline read in one frame."""

    width: int
    height: int
    digits: list[DigitDetection]
    numbers: list[NumberReading]
    # The global threshold level used (Otsu's or the manual one); NaN for adaptive.
    level: float = float("nan")
    dark_ink: bool = True  # the ink's polarity: dark on light, or light on dark
    # Candidates the classifier was not sure about (below --min-confidence).
    unsure: list[DigitDetection] = field(default_factory=list)
    # Every classified candidate, in the order of `crops`.
    classified: list[DigitDetection] = field(default_factory=list)
    # Boxes thrown out before classification, with the reason (border, size, shape).
    rejected: list[Rejected] = field(default_factory=list)
    # With keep_steps: name -> picture, and the 28x28 crops of all candidates.
    steps: dict[str, np.ndarray] = field(default_factory=dict)
    crops: np.ndarray | None = None

    def to_json(self) -> dict:
        return {
            "digits": [d.to_json() for d in self.digits],
            "numbers": [n.to_json() for n in self.numbers],
        }


def working_image(gray: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Scale `gray` down so its longer side is at most `max_side`; return (image, scale)."""
    longer = max(gray.shape[:2])
    if longer <= max_side:
        return gray, 1.0
    scale = max_side / longer
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), scale


def _to_frame_box(box: Box, scale: float, frame_w: int, frame_h: int) -> Box:
    if scale == 1.0:
        return box
    x, y, w, h = (v / scale for v in box)
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(frame_w, int(np.ceil(x + w))), min(frame_h, int(np.ceil(y + h)))
    return (x0, y0, x1 - x0, y1 - y0)


class DigitReader:
    """Reads digits and numbers in frames with one classifier and one set of settings."""

    def __init__(self, classifier: DigitClassifier, settings: PipelineSettings | None = None):
        self.classifier = classifier
        self.settings = settings or PipelineSettings()

    def read(self, frame: np.ndarray, keep_steps: bool = False,
             dark_ink: bool | None = None, group: bool = True) -> FrameReading:
        """Read one frame.

        `dark_ink`: the ink's polarity if the caller knows it (the live loop remembers it
        between frames); None finds it out. `group=False` leaves `numbers` empty and the
        digits unordered, for a caller that groups digits itself.
        """
        settings = self.settings
        frame_h, frame_w = frame.shape[:2]
        gray_full = to_gray(frame)
        gray, scale = working_image(gray_full, settings.max_working_side)

        # A first guess of the digits' height sets the size of every window below.
        digit_height = min(gray.shape[:2]) / 10
        binarized = binarize(gray, settings.threshold, scale=digit_height, dark_ink=dark_ink)
        cleaned = close_gaps(remove_ruled_lines(binarized.binary, digit_height), digit_height)
        limits = CandidateLimits(border_fraction=settings.border_fraction)
        blobs, rejected = find_blobs(cleaned, limits)
        candidates, pieces, crops = self._segment(blobs, limits, cleaned.shape, digit_height)
        rejected += pieces

        def to_detection(candidate: Candidate, probs: np.ndarray) -> DigitDetection:
            box = _to_frame_box(candidate.box, scale, frame_w, frame_h)
            return DigitDetection(int(probs.argmax()), float(probs.max()), box, probs)

        classified = [to_detection(c, p) for c, p in candidates]
        digits = [d for d in classified if d.confidence >= settings.min_confidence]
        numbers = []
        if group:
            digits, numbers = in_reading_order(digits)
        reading = FrameReading(
            width=frame_w, height=frame_h, digits=digits, numbers=numbers,
            level=binarized.level, dark_ink=binarized.dark_ink,
            unsure=[d for d in classified if d.confidence < settings.min_confidence],
            classified=classified,
            rejected=[Rejected(_to_frame_box(r.box, scale, frame_w, frame_h), r.reason)
                      for r in rejected],
        )
        if keep_steps:
            reading.steps = {
                "gray": gray_full,
                "ink": binarized.ink,
                "binary": binarized.binary,
                "cleaned": cleaned,
            }
            reading.crops = crops
        return reading

    def _segment(self, blobs: list[Candidate], limits: CandidateLimits, shape,
                 fallback_height: float) -> tuple[list[tuple[Candidate, np.ndarray]], list,
                                                  np.ndarray]:
        """Decide which blobs are digits, which pieces join, which touching pairs split.

        Hypotheses: each blob the size of a digit; each set of nearby pieces joined into
        one; both halves of each blob that may be two touching digits. All their crops go
        to the classifier in ONE batch. Then the set of non-overlapping hypotheses that
        explains the most ink, weighted by the classifier's confidence, wins: a whole
        digit made of three pieces beats one piece read on its own, and two neighbouring
        digits read surely beat one unsure blend of both.
        """
        boxes = [b.box for b in blobs]
        digit_sized = np.array([is_digit_sized(box, limits, shape) for box in boxes], bool)
        if len(blobs) <= config.MAX_BLOBS_TO_REPAIR:
            geometry = PairGeometry(boxes)
            height = typical_height(geometry, digit_sized, fallback_height)
            pieces = piece_pairs(geometry, height)
            attached = attached_pieces(geometry, pieces)
            reach = config.SKIP_REACH * height
            pieces = pieces | skip_pairs(blobs, geometry, pieces, height, reach)
            groups = fragment_groups(boxes, pieces, height)
        else:  # a page of print or a textured surface: read each blob as it is
            height, attached, groups, reach = fallback_height, set(), [], 0.0
        singles = [i for i in range(len(blobs)) if digit_sized[i] and i not in attached]
        splits = {i: pair for i in singles if (pair := split_touching(blobs[i])) is not None}
        hypotheses = (
            [Hypothesis(frozenset([i]), [blobs[i]]) for i in singles]
            + [Hypothesis(group, [merge([blobs[i] for i in sorted(group)], reach)])
               for group in groups]
            + [Hypothesis(frozenset([i]), list(pair)) for i, pair in splits.items()]
        )
        ink = {i: cv2.countNonZero(blobs[i].mask)
               for i in set().union(*(h.blobs for h in hypotheses))}
        batch = [c for h in hypotheses for c in h.candidates]
        crops = _crops(batch)
        probs = iter(self.classifier.probabilities(crops))
        rows = iter(range(len(batch)))
        for h in hypotheses:
            h.probabilities = [next(probs) for _ in h.candidates]
            h.rows = [next(rows) for _ in h.candidates]
            # Only the page's own ink counts as explained, not the strokes drawn in
            # to bridge a gap: a join must win by being read more surely.
            inks = ([sum(ink[i] for i in h.blobs)] if len(h.candidates) == 1
                    else [cv2.countNonZero(c.mask) for c in h.candidates])
            h.value = sum(p.max() * shape_prior(c.box, height) * n
                          for c, p, n in zip(h.candidates, h.probabilities, inks,
                                             strict=True))
        chosen = best_cover(hypotheses)
        if len(blobs) <= config.MAX_BLOBS_TO_REPAIR:
            chosen = self._without_stray_pieces(chosen, height)
        used = set().union(*(h.blobs for h in chosen))
        pieces = [Rejected(b.box, unused_reason(b.box, limits, shape))
                  for i, b in enumerate(blobs) if i not in used]
        pairs = [pair for h in chosen for pair in zip(h.candidates, h.probabilities,
                                                      strict=True)]
        return pairs, pieces, crops[[row for h in chosen for row in h.rows]]

    def _without_stray_pieces(self, chosen: list[Hypothesis], height: float
                              ) -> list[Hypothesis]:
        """`chosen` less the single blobs read as digits that are a piece of a digit
        beside them (see pieces_beside_digits): they are left unexplained."""
        singles = [h for h in chosen if len(h.candidates) == 1]
        sure = np.array([h.probabilities[0].max() >= self.settings.min_confidence
                         for h in singles], bool)
        stray = pieces_beside_digits([h.candidates[0] for h in singles], sure, height)
        dropped = {id(singles[i]) for i in stray}
        return [h for h in chosen if id(h) not in dropped]


def shape_prior(box: Box, height: float) -> float:
    """How much a box looks like one digit's, 0-1: a digit is about as tall as the page's
    digits (a piece is shorter) and rarely wider than tall (two touching digits are)."""
    _, _, w, h = box
    return min(1.0, h / (0.8 * height)) * min(1.0, 1.1 * h / max(w, 1))


@dataclass
class Hypothesis:
    """One reading of some blobs: which blobs it explains, as which candidates."""

    blobs: frozenset[int]
    candidates: list[Candidate]
    probabilities: list[np.ndarray] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # its crops' rows in the batch
    value: float = 0.0


def best_cover(hypotheses: list[Hypothesis], exhaustive_limit: int = 10) -> list[Hypothesis]:
    """Non-overlapping hypotheses with the largest total value.

    Hypotheses that share blobs form small clusters (a broken digit, a crowded number);
    each cluster is searched exhaustively, or greedily if it has many blobs.
    """
    # Clusters: blobs linked by any hypothesis that covers both.
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        parent.setdefault(i, i)
        while parent[i] != i:
            i = parent[i]
        return i

    for h in hypotheses:
        first, *rest = sorted(h.blobs)
        for other in rest:
            parent[root(other)] = root(first)
    clusters: dict[int, list[Hypothesis]] = {}
    for h in hypotheses:
        clusters.setdefault(root(min(h.blobs)), []).append(h)

    chosen: list[Hypothesis] = []
    for members in clusters.values():
        blob_ids = sorted(set().union(*(h.blobs for h in members)))
        if len(blob_ids) <= exhaustive_limit:
            chosen += _best_exact(members, blob_ids)
        else:
            chosen += _best_greedy(members)
    return chosen


def _best_exact(members: list[Hypothesis], blob_ids: list[int]) -> list[Hypothesis]:
    by_blob = {i: [h for h in members if min(h.blobs) == i] for i in blob_ids}

    def search(position: int, used: frozenset[int]) -> tuple[float, list[Hypothesis]]:
        while position < len(blob_ids) and blob_ids[position] in used:
            position += 1
        if position == len(blob_ids):
            return 0.0, []
        # Leave this blob unexplained, or explain it with a hypothesis starting at it.
        best = search(position + 1, used)
        for h in by_blob[blob_ids[position]]:
            if used.isdisjoint(h.blobs):
                value, rest = search(position + 1, used | h.blobs)
                if value + h.value > best[0]:
                    best = (value + h.value, [h, *rest])
        return best

    return search(0, frozenset())[1]


def _best_greedy(members: list[Hypothesis]) -> list[Hypothesis]:
    chosen, used = [], set()
    for h in sorted(members, key=lambda h: h.value, reverse=True):
        if used.isdisjoint(h.blobs):
            chosen.append(h)
            used |= h.blobs
    return chosen


def _crops(candidates: list[Candidate]) -> np.ndarray:
    if not candidates:
        return np.zeros((0, config.MNIST_SIZE, config.MNIST_SIZE), np.uint8)
    # c.stroke is cached: the joins and the stub rule may have measured it already.
    return np.stack([mnist_crop(c.mask, c.stroke) for c in candidates])


__all__ = [
    "DigitDetection",
    "DigitReader",
    "FrameReading",
    "NumberReading",
    "PipelineSettings",
]
