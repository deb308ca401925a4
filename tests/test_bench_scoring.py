"""Scoring rules of the benchmark: IoU, one-to-one matching, recall/precision/F1."""

import math
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnist_live.bench.scoring import MIN_IOU, Tally, iou, score_image


@dataclass(frozen=True)
class D:
    digit: int
    box: tuple


# --- IoU ---------------------------------------------------------------------------


def test_iou_of_a_box_with_itself_is_one():
    assert iou((3, 4, 10, 20), (3, 4, 10, 20)) == 1.0


def test_iou_of_disjoint_and_edge_touching_boxes_is_zero():
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    # (x, y, w, h) covers columns x .. x+w-1: these two share an edge, not a pixel.
    assert iou((0, 0, 10, 10), (10, 0, 10, 10)) == 0.0
    assert iou((0, 0, 10, 10), (0, 10, 10, 10)) == 0.0


def test_iou_partial_overlap_and_containment():
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (0, 0, 5, 10)) == pytest.approx(0.5)
    assert iou((0, 0, 10, 10), (2, 2, 5, 5)) == pytest.approx(25 / 100)


def test_iou_is_symmetric():
    a, b = (1, 2, 13, 7), (5, 0, 9, 12)
    assert iou(a, b) == iou(b, a)


def test_iou_with_an_empty_box_is_zero():
    assert iou((0, 0, 0, 10), (0, 0, 10, 10)) == 0.0
    assert iou((0, 0, 10, 10), (0, 0, 10, 0)) == 0.0


# --- Matching ------------------------------------------------------------------------


def test_iou_of_exactly_the_limit_counts():
    true = [D(4, (0, 0, 10, 10))]
    assert iou((0, 0, 10, 10), (0, 0, 4, 10)) == pytest.approx(MIN_IOU)
    assert score_image(true, [D(4, (0, 0, 4, 10))]).read == 1
    assert score_image(true, [D(4, (0, 0, 3, 10))]).read == 0


def test_a_right_report_on_each_digit_reads_everything():
    true = [D(1, (0, 0, 10, 20)), D(7, (30, 0, 10, 20))]
    reported = [D(7, (31, 1, 10, 20)), D(1, (0, 0, 11, 20))]
    score = score_image(true, reported)
    assert score.read == 2
    assert score.reads == [(0, 1), (1, 0)]
    assert score.perfect
    assert score.missed == [] and score.extra == []


def test_a_wrong_digit_is_both_a_miss_and_a_false_positive():
    true = [D(3, (0, 0, 10, 20))]
    score = score_image(true, [D(8, (0, 0, 10, 20))])
    assert score.read == 0
    assert score.missed == [0]
    assert score.extra == [0]
    assert score.wrong == [(0, 0)]  # the box was found, the label was not
    tally = Tally()
    tally.add(score)
    assert tally.recall == 0.0 and tally.precision == 0.0 and tally.f1 == 0.0


def test_a_digit_reported_twice_is_read_once():
    true = [D(5, (0, 0, 10, 20))]
    reported = [D(5, (0, 0, 10, 20)), D(5, (1, 1, 10, 20))]
    score = score_image(true, reported)
    assert score.read == 1
    assert score.reads == [(0, 0)]  # the better overlap wins
    assert score.extra == [1]


def test_one_report_cannot_read_two_digits():
    # Two true digits, both overlapping one big report enough.
    true = [D(2, (0, 0, 10, 10)), D(2, (4, 0, 10, 10))]
    score = score_image(true, [D(2, (2, 0, 10, 10))])
    assert score.read == 1
    assert len(score.missed) == 1


def test_matching_finds_the_most_reads_where_greedy_would_not():
    # Report 0 overlaps both true digits, best with digit 0; report 1 overlaps only
    # digit 0. Best-IoU-first greedy pairing reads one; the right pairing reads two.
    true = [D(6, (0, 0, 10, 10)), D(6, (6, 0, 10, 10))]
    reported = [D(6, (2, 0, 10, 10)), D(6, (0, 0, 6, 10))]
    assert iou(true[0].box, reported[0].box) > iou(true[0].box, reported[1].box) >= MIN_IOU
    assert iou(true[1].box, reported[0].box) >= MIN_IOU
    assert iou(true[1].box, reported[1].box) == 0.0
    score = score_image(true, reported)
    assert score.read == 2
    assert score.reads == [(0, 1), (1, 0)]


def test_a_report_far_from_any_digit_is_extra():
    true = [D(0, (0, 0, 10, 10))]
    score = score_image(true, [D(0, (0, 0, 10, 10)), D(1, (100, 100, 10, 10))])
    assert score.read == 1 and score.extra == [1] and score.wrong == []


def test_stray_reports_overlap_no_true_digit():
    true = [D(3, (0, 0, 10, 20))]
    reported = [D(3, (0, 0, 10, 20)),  # read
                D(3, (1, 0, 10, 20)),  # a duplicate: extra, but on a true digit
                D(8, (60, 0, 10, 20)),  # nowhere near a digit: stray
                D(1, (7, 0, 10, 20))]  # overlaps the digit, but IoU < 0.4: stray
    score = score_image(true, reported)
    assert score.extra == [1, 2, 3]
    assert score.stray == [2, 3]
    tally = Tally()
    tally.add(score)
    tally.add(score_image([], [D(1, (0, 0, 5, 5))]))  # no digits: every report is stray
    assert tally.stray == 3 and tally.stray_per_image == 1.5


def test_nothing_true_and_nothing_reported():
    score = score_image([], [])
    assert score.read == 0 and score.perfect


# --- Tallies -------------------------------------------------------------------------


def test_tally_sums_images_and_computes_rates():
    tally = Tally()
    true = [D(1, (0, 0, 10, 10)), D(2, (20, 0, 10, 10)), D(3, (40, 0, 10, 10))]
    tally.add(score_image(true, [D(1, (0, 0, 10, 10)), D(9, (20, 0, 10, 10))]))
    tally.add(score_image([D(4, (0, 0, 10, 10))], [D(4, (0, 0, 10, 10))]))
    assert (tally.images, tally.true, tally.reported, tally.read) == (2, 4, 3, 2)
    assert tally.recall == pytest.approx(2 / 4)
    assert tally.precision == pytest.approx(2 / 3)
    assert tally.f1 == pytest.approx(2 * 2 / (4 + 3))


def test_tally_with_no_reports_has_no_precision_and_zero_f1():
    tally = Tally()
    tally.add(score_image([D(1, (0, 0, 10, 10))], []))
    assert tally.recall == 0.0
    assert math.isnan(tally.precision)
    assert tally.f1 == 0.0
    assert tally.as_dict()["precision"] is None


# --- Properties ----------------------------------------------------------------------

boxes = st.tuples(
    st.integers(-50, 50), st.integers(-50, 50), st.integers(1, 60), st.integers(1, 60)
)


@given(boxes, boxes)
def test_iou_is_a_symmetric_fraction(a, b):
    value = iou(a, b)
    assert 0.0 <= value <= 1.0
    assert value == iou(b, a)
    assert iou(a, a) == 1.0


@given(st.lists(st.tuples(st.integers(0, 9), boxes), max_size=6),
       st.lists(st.tuples(st.integers(0, 9), boxes), max_size=6))
def test_reads_are_one_to_one_and_right(true_pairs, reported_pairs):
    true = [D(d, b) for d, b in true_pairs]
    reported = [D(d, b) for d, b in reported_pairs]
    score = score_image(true, reported)
    assert len({t for t, _ in score.reads}) == score.read
    assert len({r for _, r in score.reads}) == score.read
    for t, r in score.reads:
        assert true[t].digit == reported[r].digit
        assert iou(true[t].box, reported[r].box) >= MIN_IOU
    assert score.read + len(score.missed) == len(true)
    assert score.read + len(score.extra) == len(reported)
    assert set(score.stray) <= set(score.extra)
