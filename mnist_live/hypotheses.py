"""Which blobs are digits: readings proposed, the model asked once, the best chosen.

A blob of ink may be a digit, a piece of one (a pen skip broke it), two digits that
touch, or no digit at all (a letter, a sign, texture). Rather than rules deciding which,
every plausible reading is proposed and the model says how likely each is:

    single   a blob the size of a digit, as it is
    join     a few blobs near each other, together the size of one digit, bridged
             where the pen skipped (candidates.merge)
    split    a blob wider than tall, cut at its thinnest column into two

All crops go to the classifier in ONE invoke. A crop's worth is the probability that it
is a digit at all and this one (an 11-output model refuses letters, pieces, pairs and
clutter itself), times the evidence that it is written on a page (page.py), times how
much its box looks like one digit's (with the "shape" rule: a piece is shorter than the
page's digits, two touching digits wider than tall), times the ink it explains. The set
of readings that do not share a blob and explain the most worth wins: a digit made of
three pieces beats one piece read alone, and two neighbouring digits read surely beat
one unsure blend of both.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import config
from .candidates import (
    Candidate,
    PairGeometry,
    attached_pieces,
    fits_one_digit,
    fragment_groups,
    is_digit_sized,
    merge,
    piece_pairs,
    skip_pairs,
    split_touching,
)
from .classifier import DigitClassifier
from .config import CandidateLimits, HypothesisSettings
from .normalize import mnist_crop
from .page import PageTexture, certain, size_evidence


@dataclass
class Hypothesis:
    """One reading of some blobs: which blobs it explains, as which candidates."""

    blobs: frozenset[int]
    candidates: list[Candidate]
    probabilities: list[np.ndarray] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # its crops' rows in the batch
    value: float = 0.0


@dataclass
class Choice:
    """What the search chose: each candidate read, with its probabilities (already
    weighed by the page evidence, when there is a page; pipeline._in_line may lift
    the texture's part of it afterwards), and the blobs left unexplained."""

    read: list[tuple[Candidate, np.ndarray]]
    unused: list[int]  # indices into the blobs
    crops: np.ndarray  # the read candidates' 28x28 crops, in the order of `read`
    # Each read's probabilities with the page's size evidence but not the texture around
    # it weighed in (pipeline._in_line may lift the texture's); empty without a page.
    untextured: list[np.ndarray] = field(default_factory=list)


def choose(blobs: list[Candidate], classifier: DigitClassifier, limits: CandidateLimits,
           shape: tuple[int, ...], height: float, settings: HypothesisSettings,
           page: PageTexture | None = None, geometry: PairGeometry | None = None,
           sized: bool = True) -> Choice:
    """Propose readings of `blobs`, classify them in one invoke and choose the best
    (see the module's docstring). `height` is the page's digit height; `sized`
    whether it was measured (else a guess, and size is no evidence)."""
    hypotheses = propose(blobs, limits, shape, height, settings, geometry)
    batch = [c for h in hypotheses for c in h.candidates]
    crops = _crops(batch)
    probabilities = classifier.probabilities(crops)
    untextured = None
    if page is not None and "page" in settings.rules:
        evidence = np.array([page.evidence(c.box, height, sized) for c in batch],
                            np.float32)
        sizes = np.array([certain(size_evidence(c.box[3], height, page.settings))
                          if sized else 1.0 for c in batch], np.float32)
        untextured = probabilities * sizes[:, None]
        probabilities = probabilities * evidence[:, None]
    ink = {i: cv2.countNonZero(blobs[i].mask)
           for i in set().union(*(h.blobs for h in hypotheses))}
    rows = iter(range(len(batch)))
    for h in hypotheses:
        h.rows = [next(rows) for _ in h.candidates]
        h.probabilities = [probabilities[r] for r in h.rows]
        # Only the page's own ink counts as explained, not the strokes drawn in to
        # bridge a gap: a join must win by being read more surely.
        inks = ([sum(ink[i] for i in h.blobs)] if len(h.candidates) == 1
                else [cv2.countNonZero(c.mask) for c in h.candidates])
        h.value = sum(p.max() * _shape_weight(c.box, height, settings) * n
                      for c, p, n in zip(h.candidates, h.probabilities, inks, strict=True))
    chosen = best_cover(hypotheses, settings.exhaustive_limit)
    used = set().union(*(h.blobs for h in chosen))
    # A blob the model refused outright (every digit's probability rounded to 0) is
    # worth nothing, so no reading explains it: it is still given, as itself, with the
    # model's answer (read, unsure), not left over as a "piece of a digit".
    for h in hypotheses:
        if (len(h.blobs) == 1 and len(h.candidates) == 1 and h.blobs.isdisjoint(used)
                and not h.probabilities[0].any()):
            chosen.append(h)
            used |= h.blobs
    read = [pair for h in chosen for pair in zip(h.candidates, h.probabilities, strict=True)]
    rows = [row for h in chosen for row in h.rows]
    return Choice(read, [i for i in range(len(blobs)) if i not in used], crops[rows],
                  [] if untextured is None else [untextured[row] for row in rows])


def propose(blobs: list[Candidate], limits: CandidateLimits, shape: tuple[int, ...],
            height: float, settings: HypothesisSettings,
            geometry: PairGeometry | None = None) -> list[Hypothesis]:
    """Every reading worth asking the model about: singles, joins and splits.
    `geometry`: the blobs' PairGeometry if already made."""
    boxes = [b.box for b in blobs]
    digit_sized = np.array([is_digit_sized(box, limits, shape) for box in boxes], bool)
    attached: set[int] = set()
    joins: list[frozenset[int]] = []
    reach = 0.0
    if 1 < len(blobs) <= limits.max_blobs_to_repair:
        geometry = geometry or PairGeometry(boxes)
        if "stacked" in settings.rules:
            near = piece_pairs(geometry, height, settings)
        else:
            near = ((geometry.gap <= settings.join_reach * height)
                    & fits_one_digit(geometry.union_w, geometry.union_h, height, settings))
            np.fill_diagonal(near, False)
        if "attached" in settings.rules:
            attached = attached_pieces(geometry, near, settings.piece_share)
        if "skips" in settings.rules:
            # A pen's skips: side-by-side blobs joined where a stroke ends heading at
            # the other, and every join bridged along its strokes' headings (merge).
            reach = settings.skip_reach * height
            near = near | skip_pairs(blobs, geometry, near, height, reach, settings)
        joins = fragment_groups(boxes, near, height, settings)
    singles = [i for i in range(len(blobs)) if digit_sized[i] and i not in attached]
    splits = {i: pair for i in singles
              if (pair := split_touching(blobs[i], settings.split_valley)) is not None}
    return ([Hypothesis(frozenset([i]), [blobs[i]]) for i in singles]
            + [Hypothesis(group, [merge([blobs[i] for i in sorted(group)], reach, settings)])
               for group in joins]
            + [Hypothesis(frozenset([i]), list(pair)) for i, pair in splits.items()])


def _shape_weight(box, height: float, settings: HypothesisSettings) -> float:
    """With the "shape" rule: how much a box looks like one digit's, 0-1 (a piece is
    shorter than the page's digits, two touching digits are wider than tall)."""
    if "shape" not in settings.rules:
        return 1.0
    _, _, w, h = box
    return (min(1.0, h / (settings.shape_height * height))
            * min(1.0, settings.shape_width * h / max(w, 1)))


def best_cover(hypotheses: list[Hypothesis],
               exhaustive_limit: int = HypothesisSettings.exhaustive_limit) -> list[Hypothesis]:
    """Non-overlapping hypotheses with the largest total value.

    Hypotheses that share blobs form small clusters (a broken digit, a crowded number);
    each cluster is searched exhaustively, or greedily if it has many blobs.
    """
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

    @functools.cache
    def search(position: int, used: frozenset[int]) -> tuple[float, tuple[Hypothesis, ...]]:
        while position < len(blob_ids) and blob_ids[position] in used:
            position += 1
        if position == len(blob_ids):
            return 0.0, ()
        # Leave this blob unexplained, or explain it with a hypothesis starting at it.
        best = search(position + 1, used)
        for h in by_blob[blob_ids[position]]:
            if used.isdisjoint(h.blobs):
                value, rest = search(position + 1, used | h.blobs)
                if value + h.value > best[0]:
                    best = (value + h.value, (h, *rest))
        return best

    return list(search(0, frozenset())[1])


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
    # c.stroke is cached: the joins and the scale's measure may have measured it already.
    return np.stack([mnist_crop(c.mask, c.stroke) for c in candidates])
