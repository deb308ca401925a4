"""The filmed page: true numbers, and true boxes that follow the picture through the
hand-held camera's homography (geometry, not scores)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mnist_live.bench import film, sets
from mnist_live.boxes import iou
from mnist_live.scenes import TrueDigit

FRAME = (640, 480)


def texts(sheet: film.Sheet) -> list[str]:
    return ["".join(str(sheet.digits[i].digit) for i in number) for number in sheet.numbers]


# --- True numbers ---------------------------------------------------------------------


def test_digits_of_a_line_are_one_number_until_a_clearly_wider_gap():
    # Height 40: gaps of 20-30 px (0.5-0.75 digit heights) keep a number together; a
    # gap of 90 px (over twice the median gap and half a digit height) is a space.
    boxes = [(0, 0, 25, 40), (45, 2, 25, 40), (100, 0, 25, 40), (215, 1, 25, 40),
             (265, 0, 25, 40)]
    assert film.true_numbers(boxes) == [[0, 1, 2], [3, 4]]


def test_numbers_never_span_two_lines_and_come_top_line_first():
    boxes = [(0, 100, 20, 40), (30, 102, 20, 40),  # lower line
             (0, 0, 20, 40), (28, 5, 20, 40)]  # upper line, read first
    assert film.true_numbers(boxes) == [[2, 3], [0, 1]]


def test_a_lone_digit_is_a_number_of_its_own():
    assert film.true_numbers([(10, 10, 20, 40)]) == [[0]]


def test_the_filmed_photos_are_grouped_as_they_read_by_eye():
    assert texts(film.load_sheet(film.PAGES["photo_1"][0])) == ["05221859"]
    assert texts(film.load_sheet(film.PAGES["photo_2"][0])) == [
        "12345", "6879", "88888", "66666", "77777"]
    assert texts(film.load_sheet(film.PAGES["numbers1"][0])) == ["135790"]
    assert [texts(film.load_sheet(p)) for p in film.PAGES["two_sheets"]] == [
        ["13540"], ["1354"]]


def test_a_sheet_is_cut_around_its_digits_and_keeps_their_boxes(data_dir):
    name = film.PAGES["photo_1"][0]
    photo = cv2.imread(str(data_dir / "photos" / name))
    truth = sets.read_truth(data_dir / "photos" / "truth.json")[name]["digits"]
    sheet = film.load_sheet(name)
    assert sheet.image.shape[0] < photo.shape[0]  # cut
    dx, dy = (t - s for t, s in zip(truth[0].box[:2], sheet.digits[0].box[:2], strict=True))
    for true, moved in zip(truth, sheet.digits, strict=True):
        x, y, w, h = moved.box
        assert moved.digit == true.digit and true.box == (x + dx, y + dy, w, h)
        # The same pixels under the moved box as under the photo's own.
        np.testing.assert_array_equal(sheet.image[y : y + h, x : x + w],
                                      photo[y + dy : y + dy + h, x + dx : x + dx + w])


# --- Geometry ---------------------------------------------------------------------------


def blocks_sheet() -> film.Sheet:
    """White paper with a black block where each 'digit' is: its ink is its box."""
    image = np.full((200, 400, 3), 255, np.uint8)
    digits = []
    for k, box in enumerate([(40, 60, 30, 50), (90, 60, 28, 52), (140, 62, 30, 48),
                             (260, 50, 34, 56), (300, 120, 20, 40)]):
        x, y, w, h = box
        image[y : y + h, x : x + w] = 0
        digits.append(sets.TrueBox(k, box))
    return film.Sheet(image, digits, film.true_numbers([d.box for d in digits]))


def ink_boxes(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    dark = (gray < 0.5 * np.median(gray)).astype(np.uint8)  # at least half covered
    count, _, stats, _ = cv2.connectedComponentsWithStats(dark)
    return [tuple(int(v) for v in stats[i, :4]) for i in range(1, count)
            if stats[i, cv2.CC_STAT_AREA] > 20]


def test_true_boxes_land_on_the_ink_in_every_frame():
    wall = film.lay_sheets([blocks_sheet()], np.full((300, 300, 3), 240, np.uint8), FRAME)
    turned = 0
    for frame in film.film(wall, 12, seed=5):
        found = ink_boxes(frame.image)
        assert len(found) == len(frame.digits)
        for true in frame.digits:
            # A turned block's bound is the bound of its moved corners: each edge within
            # a pixel of the ink's (the true box takes in every pixel the ink touches).
            box = max(found, key=lambda b, true=true: iou(true.box, b))
            edges = [box[0] - true.box[0], box[1] - true.box[1],
                     box[0] + box[2] - true.box[0] - true.box[2],
                     box[1] + box[3] - true.box[1] - true.box[3]]
            assert max(map(abs, edges)) <= 1, (true, box)
        angle = np.degrees(np.arctan2(frame.homography[1, 0], frame.homography[0, 0]))
        turned += abs(angle) > 1
    assert turned  # the camera did turn, so the test saw more than shifts


def test_numbers_follow_their_digits():
    wall = film.lay_sheets([blocks_sheet()], np.full((300, 300, 3), 240, np.uint8), FRAME)
    frame = next(film.film(wall, 1, seed=0))
    assert [n.text for n in frame.numbers] == ["012", "3", "4"]
    first = frame.numbers[0].box
    assert first[0] == frame.digits[0].box[0]
    assert first[0] + first[2] == frame.digits[2].box[0] + frame.digits[2].box[2]


@pytest.mark.parametrize("page", list(film.PAGES))
def test_every_page_stays_in_view_and_its_digits_keep_their_size(page):
    sheets = [film.load_sheet(p) for p in film.PAGES[page]]
    wall = film.lay_sheets(sheets, sets.skimage_photo("gravel"), FRAME)
    border = 0.02 * min(FRAME)  # where our reader ignores ink
    heights = []
    for homography in film.camera_path(FRAME, 150, seed=11):
        digits, numbers = film.frame_truth(wall, homography)
        for x, y, w, h in [d.box for d in digits]:
            assert x >= border and y >= border
            assert x + w <= FRAME[0] - border and y + h <= FRAME[1] - border
        heights.append(np.median([d.box[3] for d in digits]))
        assert len(numbers) == sum(len(s.numbers) for s in sheets)
    assert min(heights) >= 14 and max(heights) <= 0.2 * FRAME[1]
    assert max(heights) > 1.3 * min(heights)  # the hand zoomed in and out


def test_a_real_page_shows_ink_in_every_true_box():
    sheets = [film.load_sheet(p) for p in film.PAGES["two_sheets"]]
    wall = film.lay_sheets(sheets, sets.skimage_photo("brick"), FRAME)
    for frame in film.film(wall, 3, seed=2):
        gray = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY).astype(int)
        for digit in frame.digits:
            x, y, w, h = digit.box
            paper = np.median(gray[y - 4 : y + h + 4, x - 4 : x + w + 4])
            assert gray[y : y + h, x : x + w].min() < paper - 60, digit


def test_a_perfect_reader_scores_perfectly():
    wall = film.lay_sheets([blocks_sheet()], np.full((300, 300, 3), 240, np.uint8), FRAME)
    score = film.ClipScore()
    for frame in film.film(wall, 4, seed=0):
        film._count(score, frame, frame.digits, frame.numbers)
    cells = score.cells(has_numbers=True)
    assert cells[:3] == ["0.00", "100.0%", "100.0%"]
    # A digit where there is none is one false digit per frame; a wrong label is not.
    score = film.ClipScore()
    for frame in film.film(wall, 4, seed=0):
        shown = [TrueDigit(9, frame.digits[0].box, -1), TrueDigit(1, (5, 5, 10, 20), -1)]
        film._count(score, frame, shown, [])
    assert score.digits.stray_per_image == 1.0 and score.digits.read == 0
