"""Letters in words: a reading is doubted when the model refuses its neighbours.

An `s` is a 5 and an `l` a 1 to any reader of lone glyphs; what tells a person they
are letters is the word around them. So after the search, each reading sure enough to
be shown is looked at with its line (`lines`): the readings beside it, at a letter's
spacing (`WordSettings.letter_gap`) and of its size (a `-` or `.` of a sum is no
letter), and the ones beside those. Each of them the model refused ("not a digit", or
not on a page) is evidence that the line is a word; each it read as a digit, that it
is a number:

    log odds(word) = refused * log(letters_refused / digits_refused)
                   + digits * log((1 - letters_refused) / (1 - digits_refused))
                   - number_odds

with `refused` the sum over the line's other readings of (1 - probability that it is
a digit), `digits` the rest. The evidence multiplied into the reading's probabilities
is P(number | its line) / P(number | nothing beside it): 1 for a digit alone and for a
line of digits, 0.78 for one refused neighbour alone (a sign of a sum written tight, a
piece of a broken stroke: a sure digit stays shown), 0.3 for two refused letters.
"""

from __future__ import annotations

import math

import numpy as np

from .boxes import Box, side_by_side
from .config import WordSettings


def word_evidence(boxes: list[Box], digit_probabilities: np.ndarray,
                  settings: WordSettings, asked: np.ndarray | None = None) -> list[float]:
    """For each reading, the evidence that it is a digit and not a letter of a word,
    from its line's readings: `boxes` (x, y, w, h) of every reading of the frame and
    `digit_probabilities` the probability that each is a digit at all (as weighed by
    the page evidence: the sum of its 10 probabilities). Only the readings `asked`
    (a boolean mask; all when None) are judged, the others get 1."""
    asked = np.ones(len(boxes), bool) if asked is None else np.asarray(asked, bool)
    if len(boxes) < 2 or not asked.any():
        return [1.0] * len(boxes)
    line = lines(boxes, settings)
    not_digit = 1.0 - np.clip(np.asarray(digit_probabilities, np.float64), 0.0, 1.0)
    # Over each reading's line, less the reading itself.
    refused = np.bincount(line, weights=not_digit)[line] - not_digit
    digits = np.bincount(line)[line] - 1 - refused
    letters, others = settings.letters_refused, settings.digits_refused
    word = (refused * math.log(letters / others)
            + digits * math.log((1 - letters) / (1 - others)) - settings.number_odds)
    number = 1.0 / (1.0 + np.exp(np.minimum(word, 50.0)))
    alone = 1.0 / (1.0 + math.exp(-settings.number_odds))
    evidence = np.where(asked, np.minimum(1.0, number / alone), 1.0)
    return [float(e) for e in evidence]


def lines(boxes: list[Box], settings: WordSettings) -> np.ndarray:
    """(N,) int: which line (word) each reading belongs to. Two readings are of one
    when they lie side by side, overlapping in height by half the shorter one, at most
    `settings.letter_gap` of the taller's height apart (a negative gap: overlapping, by
    at most half the narrower one, not one around the other), and of one size (the
    shorter at least `settings.letter_height` of the taller: a capital beside a small
    letter, not a `-` or `.` beside a digit, nor a sheet's edge around it); and a line
    goes on from each of its readings."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    beside = side_by_side(b, b, settings.letter_gap, settings.letter_height)
    # Each reading takes the smallest index within its reach until none changes: a
    # line's readings end with its first one's (as many rounds as its longest chain).
    reach = beside | np.eye(len(b), dtype=bool)
    label = np.arange(len(b))
    while True:
        spread = np.where(reach, label[None, :], len(b)).min(axis=1)
        if np.array_equal(spread, label):
            return label
        label = spread
