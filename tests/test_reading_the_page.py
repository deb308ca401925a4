"""Reading the page (issue 12): the digits' size measured, the ink's polarity from its
strokes, the page evidence, numbers grouped by the line's own spacing, blobs found
inside loops.

Behaviour over many held-out seeds, with floors: a rule that holds on one hand-picked
page proves little.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mnist_live import config, scenes
from mnist_live.bench import film, sets
from mnist_live.binarize import binarize, ink_is_dark, to_gray
from mnist_live.boxes import iou
from mnist_live.candidates import find_blobs
from mnist_live.numbers import group_numbers
from mnist_live.page import PageTexture
from mnist_live.pipeline import DigitReader
from mnist_live.training.examples import made_texture, skimage_photos

# Seeds no benchmark table quotes and nothing was tuned on.
SEEDS = range(700, 712)


@pytest.mark.parametrize("size,heights", [
    ((640, 480), (30, 120, 400)),
    ((1600, 1200), (24, 300, 1000)),
])
def test_the_digits_height_is_measured_from_tiny_to_filling_the_frame(classifier, size,
                                                                      heights):
    reader = DigitReader(classifier)
    within = []
    for height in heights:
        for k, seed in enumerate(SEEDS[:8]):
            scene = scenes.make_lone_digit(size, height, index=k, seed=seed)
            measured = reader.read(scene.image).digit_height
            within.append(abs(measured - scene.digits[0].box[3]) <= 0.25 * height)
    assert np.mean(within) >= 0.9, within


def test_a_lone_digit_18_px_tall_is_read(classifier):
    """Read at the frame's own resolution, the 3-px closing on an 18-px digit shut its
    shapes (a 4's open top): 37 of these 40 digits, on pages never tuned on, were read
    right and alone; on the frame enlarged 2x, 40."""
    reader = DigitReader(classifier)
    right = 0
    for k, seed in enumerate(range(700, 740)):
        scene = scenes.make_lone_digit((640, 480), 18, index=100 + k, seed=seed)
        digits = reader.read(scene.image).digits
        right += (len(digits) == 1 and digits[0].digit == scene.digits[0].digit
                  and iou(digits[0].box, scene.digits[0].box) >= 0.5)  # in the frame's pixels
    assert right >= 39, right


@pytest.mark.parametrize("size,sizes_read", [
    ((640, 480), [1.0, 2.0]),  # its own resolution, then enlarged 2x, once
    ((1280, 720), [1.0, 1.6]),  # enlarged up to 2048 px a side
    ((1600, 1200), [0.8, 1.0, 1.28]),  # scaled down to 1280, its own, enlarged
    ((1920, 1080), [2 / 3, 1.0]),  # 2048 px would be 7% more: not enlarged
])
def test_tiny_digits_are_read_with_more_pixels_once(classifier, size, sizes_read,
                                                    monkeypatch):
    reader = DigitReader(classifier)
    seen = []
    best_read = DigitReader._best_read

    def recorded(self, gray, guessed, dark_ink, shrink):
        seen.append(round(shrink, 3))
        return best_read(self, gray, guessed, dark_ink, shrink)

    monkeypatch.setattr(DigitReader, "_best_read", recorded)
    # A digit its first read, at the guess, reads surely enough is not read again
    # (index 3: once close_gaps kept its 0's loop open at 1920x1080): this one is.
    scene = scenes.make_lone_digit(size, 18, index=4, seed=700)
    reading = reader.read(scene.image, dark_ink=True)
    assert seen == [round(s, 3) for s in sizes_read]
    # Boxes and sizes come back in the frame's own pixels.
    assert reading.digit_height == pytest.approx(18, abs=4)
    assert [d.digit for d in reading.digits] == [scene.digits[0].digit]
    assert iou(reading.digits[0].box, scene.digits[0].box) >= 0.6


def test_the_inks_polarity_is_found_on_every_kind_of_page():
    right, boards_lost = [], 0
    for category in scenes.CATEGORIES:
        for seed in SEEDS[:4]:
            dark = ink_is_dark(to_gray(scenes.make_scene(category, seed).image))
            right.append(dark == (category != "chalk"))
            boards_lost += dark and category == "chalk"
    # A page voted light is read both ways; a board voted dark is read as dark ink only.
    assert boards_lost == 0
    assert np.mean(right) >= 0.95


def test_digits_on_paper_sit_plainly_on_a_page_and_texture_does_not():
    page_settings = config.PageSettings()
    reading = config.PipelineSettings()
    on_paper = []
    for category in ("clean", "uneven_light", "rough", "lined", "crowded"):
        for seed in SEEDS[:3]:
            scene = scenes.make_scene(category, seed)
            height = float(np.median([d.box[3] for d in scene.digits]))
            # The ink as the reader binarizes it (lighting flattened at the digits' size);
            # a global Otsu, as here before, inked the shadowed half of the uneven_light
            # pages whole, and their digits' surroundings with it (evidence 0 for 8 of 30).
            ink = binarize(to_gray(scene.image), reading.threshold, scale=height,
                           dark_ink=True, settings=reading.ink)
            texture = PageTexture(ink.ink, ink.binary, page_settings)
            on_paper += [texture.evidence(d.box, height) for d in scene.digits]
    assert np.mean(np.array(on_paper) >= 0.9) >= 0.95

    rng = np.random.default_rng(SEEDS[0])
    in_texture = []
    surfaces = [made_texture(name, rng) for name in ("wood", "speckle")]
    surfaces += [p for p in skimage_photos()[:6]]
    for gray in surfaces:
        ink = cv2.subtract(255, gray)
        binary = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]
        texture = PageTexture(ink, binary, page_settings)
        blobs, _ = find_blobs(binary, config.CandidateLimits())
        tall = [b for b in blobs if 15 <= b.box[3] <= 120]
        in_texture += [texture.evidence(b.box, b.box[3]) for b in tall]
    assert len(in_texture) > 50
    assert np.median(in_texture) < 0.5


@pytest.mark.usefixtures("data_dir")
def test_a_page_written_with_a_fine_pen_sits_plainly_on_it(classifier):
    # photos/ numbers1 ("135790", a pen's stroke a pixel or two wide once filmed) laid on
    # scikit-image's walls and filmed as bench film films it (the page and walls
    # texture_half was set on: a guard against going back, not a held-out check; 30
    # frames, another path than the benchmark's): its digits' own edges are faint.
    # Measured on the ink averaged down to half size, as they were before (with the
    # settings of then: texture_half 0.25, steepness 6), only 77% of them sat on the
    # page by the evidence (at least one half); on the ink max-pooled, 93%.
    reader = DigitReader(classifier)
    sheets = [film.load_sheet(name) for name in film.PAGES["numbers1"]]
    evidence = []
    for wall in ("grass", "gravel", "brick"):
        filmed = film.film(film.lay_sheets(sheets, sets.skimage_photo(wall), (640, 480)),
                           30, seed=7)
        for frame in itertools.islice(filmed, 0, None, 3):
            steps = reader.read(frame.image, keep_steps=True).steps
            scale = steps["ink"].shape[0] / frame.image.shape[0]
            texture = PageTexture(steps["ink"], steps["binary"], config.PageSettings())
            height = scale * float(np.median([d.box[3] for d in frame.digits]))
            evidence += [texture.evidence(tuple(v * scale for v in d.box), height)
                         for d in frame.digits]
    assert len(evidence) == 180
    assert np.mean(np.array(evidence) >= 0.5) >= 0.85


def test_digits_on_a_sheet_that_texture_encloses_are_found_and_specks_in_loops_are_not():
    binary = np.zeros((200, 300), np.uint8)
    binary[:, :30] = binary[:, 270:] = binary[:20, :] = binary[180:, :] = 255  # a desk
    cv2.line(binary, (100, 60), (100, 140), 255, 6)  # a 1 on the sheet
    cv2.circle(binary, (200, 100), 35, 255, 6)  # a 0 ...
    cv2.circle(binary, (200, 100), 4, 255, -1)  # ... with a speck of dirt in its loop
    blobs, rejected = find_blobs(binary, config.CandidateLimits())
    count, labels = cv2.connectedComponents(binary)
    assert count - 1 == 4 and [r.reason for r in rejected] == ["at the border"]
    assert sorted(b.box[2] for b in blobs) == [7, 77]  # the 1 and the 0, not the speck
    # Each blob's mask is exactly its own component: the 0's holds no part of the speck.
    for blob in blobs:
        x, y, _, h = blob.box
        component = labels[y + h // 2, x]
        assert np.count_nonzero(blob.mask) == np.count_nonzero(labels == component)


def test_a_sheet_enclosed_by_ground_inside_the_frame_is_read_and_a_big_loop_is_a_digit():
    # Dark ground between coins, not reaching the frame's edge, all around a sheet:
    # not too large for a digit, nor at the border, but it holds writing, so its
    # sheet's digits are looked at and it is no digit itself.
    binary = np.zeros((300, 400), np.uint8)
    cv2.rectangle(binary, (40, 40), (360, 260), 255, -1)
    cv2.rectangle(binary, (100, 100), (300, 200), 0, -1)  # the sheet
    for x in (130, 170, 210, 250):
        cv2.line(binary, (x, 120), (x + 8, 180), 255, 5)  # 1111 on it
    blobs, rejected = find_blobs(binary, config.CandidateLimits())
    assert [r.reason for r in rejected] == ["holds writing"]
    assert len(blobs) == 4 and all(b.box[3] >= 55 for b in blobs)
    # A big 0 with one tall speck in its loop stays a digit (the speck is not looked at).
    binary = np.zeros((300, 400), np.uint8)
    cv2.circle(binary, (200, 150), 110, 255, 12)
    cv2.line(binary, (200, 140), (200, 160), 255, 3)
    blobs, rejected = find_blobs(binary, config.CandidateLimits())
    assert not rejected and [b.box[3] for b in blobs] == [233]


def _line(runs: list[int], gap_in: float, space: float, width: int = 30,
          height: int = 50) -> list[tuple[int, int, int, int]]:
    """Boxes of numbers of `runs` digits, `gap_in` digit widths apart inside a number
    and `space` widths between numbers."""
    boxes, x = [], 10.0
    for n, length in enumerate(runs):
        if n:
            x += space * width - gap_in * width
        for _ in range(length):
            boxes.append((round(x), 40, width, height))
            x += width + gap_in * width
    return boxes


@settings(max_examples=60, deadline=None)
@given(length=st.integers(2, 6), gap=st.floats(0.0, 1.0))
def test_a_number_written_with_even_gaps_up_to_a_digit_wide_is_one_number(length, gap):
    # Up to max_digit_gap whatever the line; wider, when the line is evenly spaced.
    boxes = _line([length], gap, 0)
    assert [len(n.text) for n in group_numbers([2] * length, boxes)] == [length]


@settings(max_examples=60, deadline=None)
@given(runs=st.lists(st.integers(1, 5), min_size=2, max_size=4),
       gap=st.floats(0.0, 0.35), space=st.floats(1.3, 3.0))
def test_numbers_a_word_apart_stay_apart(runs, gap, space):
    # Four or more lone digits spaced evenly up to even_digit_gap apart are how people
    # write "2 0 2 1" with wide gaps: one number (tested below), not a word apart.
    # (_line rounds boxes to whole pixels: a thirtieth of a digit width either way.)
    assume(not (set(runs) == {1} and len(runs) >= 4
                and space <= config.NumberSettings().even_digit_gap + 0.05))
    boxes = _line(runs, gap, space)
    numbers = group_numbers([7] * len(boxes), boxes)
    assert [len(n.text) for n in numbers] == runs


def test_a_sum_written_with_spaces_is_three_numbers_and_an_even_wide_line_one():
    # "3 + 4 = 7": the signs are no digits, so the digits stand 1.75 widths apart.
    boxes = [(10, 40, 40, 50), (120, 40, 40, 50), (230, 40, 40, 50)]
    assert [n.text for n in group_numbers([3, 4, 7], boxes)] == ["3", "4", "7"]
    # "2 0 2 1" written with gaps of 1.7 widths, evenly: one number.
    boxes = [(10 + 108 * i, 40, 40, 50) for i in range(4)]
    assert [n.text for n in group_numbers([2, 0, 2, 1], boxes)] == ["2021"]


def test_a_thin_1_does_not_open_a_space_around_it():
    # The boxes read on photos/bikz05 photo_1 ("05221859"): the 1 is 7 px wide and 54
    # tall; measured from its box's edge the gap on its left is 1.3 digit widths, wider
    # than any other; measured from the room it takes (half its height), 1.1.
    boxes = [(62, 262, 59, 57), (147, 265, 51, 59), (247, 267, 42, 53), (324, 260, 43, 64),
             (424, 261, 7, 54), (473, 256, 38, 69), (558, 257, 49, 65), (644, 256, 33, 58)]
    digits = [0, 5, 2, 2, 1, 8, 5, 9]
    assert [n.text for n in group_numbers(digits, boxes)] == ["05221859"]


def test_a_line_written_with_gaps_that_vary_twofold_is_one_number():
    # The first line read on photos/HYPJUDY 5_A4, "6 4 1 9 3 7 9 6", the line's only
    # number: gaps of 1.0 to 1.6 digit widths about a median of 1.23.
    boxes = [(83, 115, 14, 30), (116, 117, 18, 26), (157, 122, 5, 21), (184, 112, 13, 38),
             (227, 120, 11, 28), (261, 117, 12, 30), (299, 112, 12, 37), (336, 114, 14, 35)]
    digits = [6, 4, 1, 9, 3, 7, 9, 6]
    assert [n.text for n in group_numbers(digits, boxes)] == ["64193796"]


@pytest.mark.parametrize("gap", [12, 15, 18, 21, 24])
def test_numbers_with_thin_1s_side_by_side_stay_whole(gap):
    # The rooms of two thin 1s overlap; the writer's spacing is still read from the ink.
    def line(digits):
        boxes, x = [], 10
        for digit in digits:
            width = 6 if digit == 1 else 30
            boxes.append((x, 40, width, 50))
            x += width + gap
        return [n.text for n in group_numbers(digits, boxes)]

    assert line([2, 0, 1, 1]) == ["2011"]
    assert line([1, 1, 2, 3]) == ["1123"]


def test_a_line_whose_gaps_widen_steadily_is_one_number():
    # The boxes of photos/bikz05 photo_2's fourth line, "6 6 6 6 6": gaps of 0.81, 1.17,
    # 1.81 and 1.94 digit widths, far from their median (1.49) but never far from the
    # gaps beside them.
    boxes = [(72, 435, 36, 66), (137, 431, 45, 77), (224, 440, 34, 60), (323, 433, 33, 61),
             (426, 432, 40, 66)]
    assert [n.text for n in group_numbers([6] * 5, boxes)] == ["66666"]


@settings(max_examples=60, deadline=None)
@given(length=st.integers(5, 9), first=st.floats(0.6, 1.0), growth=st.floats(1.0, 2.4),
       widening=st.booleans())
def test_gaps_that_widen_steadily_along_a_line_keep_it_one_number(length, first, growth,
                                                                   widening):
    # A page filmed at a slant, or a hand that drifts: gaps growing steadily from
    # `first` digit widths to `growth` times as wide (never past even_digit_gap), along
    # the line or against it.
    last = min(first * growth, config.NumberSettings().even_digit_gap - 0.1)
    gaps = list(np.linspace(first, last, length - 1))
    if not widening:
        gaps.reverse()
    boxes, x = [], 10.0
    for gap in [*gaps, 0.0]:
        boxes.append((round(x), 40, 30, 50))
        x += 30 * (1 + gap)
    assert [len(n.text) for n in group_numbers([8] * length, boxes)] == [length]


@pytest.mark.parametrize("gaps,texts", [
    ([0.8, 0.8, 0.8, 1.8, 1.8], ["2024", "7", "9"]),
    ([1.9, 1.9, 0.8, 0.8, 0.8], ["7", "9", "2024"]),
    ([0.7, 0.7, 0.7, 1.6, 1.6], ["2024", "7", "9"]),
    ([0.9, 0.9, 1.9, 1.9, 0.9, 0.9], ["202", "4", "791"]),
])
def test_a_space_beside_narrow_gaps_is_a_space_however_even_either_side(gaps, texts):
    # A number and lone digits a space apart: the gaps on either side of the jump are
    # even, the jump is not a step of steady widening.
    boxes, x = [], 10.0
    for gap in [*gaps, 0.0]:
        boxes.append((round(x), 40, 30, 50))
        x += 30 * (1 + gap)
    digits = [int(c) for c in "".join(texts)]
    assert [n.text for n in group_numbers(digits, boxes)] == texts


def test_numbers_a_space_twice_their_gaps_apart_stay_apart():
    # "12 34 56": gaps of 0.7-0.9 digit widths inside the numbers, 1.4-1.6 between: not
    # an evenly spaced line, so the spaces are spaces.
    gaps = [21, 42, 24, 48, 27]
    boxes, x = [], 10
    for k in range(6):
        boxes.append((x, 40, 30, 50))
        x += 30 + (gaps[k] if k < 5 else 0)
    assert [n.text for n in group_numbers([1, 2, 3, 4, 5, 6], boxes)] == ["12", "34", "56"]


def test_a_digit_filling_the_frame_is_read_as_one_digit(classifier):
    reader = DigitReader(classifier)
    right = 0
    for k, seed in enumerate(SEEDS[:10]):
        scene = scenes.make_lone_digit((640, 480), 432, index=k, seed=seed)
        digits = reader.read(scene.image).digits
        right += len(digits) == 1 and digits[0].digit == scene.digits[0].digit
    assert right >= 9


def test_a_pencil_on_a_sheet_laid_on_grass_is_binarized(mnist_test):
    # Dark, busy ground all around a small sheet sets the frame's own Otsu level far
    # above a faint pencil; the level found on the plain ground does not.
    from conftest import paste_digit

    from mnist_live.binarize import binarize

    rng = np.random.default_rng(SEEDS[0])
    noise = rng.standard_normal((240, 320)).astype(np.float32)  # blades a few px wide
    ground = cv2.resize(noise, (640, 480), interpolation=cv2.INTER_CUBIC)
    frame = np.clip(120 + 60 * np.sign(ground), 0, 255).astype(np.uint8)
    frame[180:300, 220:420] = 215  # the sheet
    box = paste_digit(frame, mnist_test[0][0], 300, 205, 60, ink=150)  # a pencil 7
    global_level = cv2.threshold(255 - frame, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
    binarized = binarize(frame, "otsu", scale=48, dark_ink=True)
    x, y, w, h = box
    assert np.count_nonzero(binarized.binary[y : y + h, x : x + w]) > 0.05 * w * h
    assert binarized.level < global_level


def test_a_page_of_dark_ink_amid_a_grid_of_light_mortar_is_read(classifier):
    page = np.full((480, 640), 90, np.uint8)  # bricks
    for y in range(0, 480, 40):
        page[y : y + 6, :] = 200  # mortar, light and long
    for x in range(0, 640, 110):
        page[:, x : x + 6] = 200
    page[150:330, 200:460] = 215  # a sheet
    for k in range(4):
        cv2.putText(page, str(k + 2), (215 + 60 * k, 270), cv2.FONT_HERSHEY_SIMPLEX, 2.0,
                    40, 4)
    reading = DigitReader(classifier).read(page)
    assert reading.dark_ink
    assert [d.digit for d in reading.digits] == [2, 3, 4, 5]


def test_small_digits_on_a_sheet_amid_mortar_keep_their_loops_open(classifier):
    # Two small sheets (digits 20-30 px tall) laid on a brick wall, filmed as bench film
    # films them, read with the digits' height given as the live view gives it: the
    # mortar's blobs first measure 80 px or more, and its lines are taken out as ruled
    # lines. Gaps closed for that height filled the 3s and 4s into blobs that the model
    # refuses (238 of these 270 digits were read); they are closed for the digits'
    # (all 270 read).
    reader = DigitReader(classifier)
    read = total = 0
    for frame in _filmed("two_sheets", "brick", SEEDS[:3], every=6):
        digits = _read_as_live(reader, frame)
        total += len(frame.digits)
        read += sum(any(d.digit == t.digit and iou(d.box, t.box) >= 0.4 for d in digits)
                    for t in frame.digits)
    assert read / total >= 0.97


def _filmed(page: str, surface: str, seeds, every: int) -> list:
    """Every `every`-th of 60 frames of a bench film page laid on a scikit-image
    surface, filmed on each of `seeds`."""
    sheets = [film.load_sheet(name) for name in film.PAGES[page]]
    wall = film.lay_sheets(sheets, sets.skimage_photo(surface), (640, 480))
    return [frame for seed in seeds
            for frame in itertools.islice(film.film(wall, 60, seed), 0, None, every)]


def _read_as_live(reader: DigitReader, frame) -> list:
    """The digits read in a filmed frame with the digits' height given, as the live
    view gives the one it read in the frame before."""
    height = float(np.median([t.box[3] for t in frame.digits]))
    return reader.read(frame.image, digit_height=height).digits


def _scored_as_live(reader: DigitReader, frames) -> tuple[int, int, int]:
    """(true digits read with the right label, true digits, digits read on no true
    digit) over filmed frames read as the live view reads them (box IoU 0.4)."""
    right = total = false = 0
    for frame in frames:
        digits = _read_as_live(reader, frame)
        right += sum(any(d.digit == t.digit and iou(d.box, t.box) >= 0.4 for d in digits)
                     for t in frame.digits)
        total += len(frame.digits)
        false += sum(max(iou(d.box, t.box) for t in frame.digits) < 0.4 for d in digits)
    return right, total, false


def test_a_pen_that_skips_along_a_stroke_is_read_on_held_out_pages(classifier):
    # broken_skip pages (a dashed stretch in each digit: gaps of 3-6% of its height)
    # on seeds no setting was chosen by. The digits are taller than the first guess, and
    # the gaps closed for the guess left the dashes apart (182 of 223 read, 18 false
    # digits); closed again for the height measured, 191 and 12.
    reader = DigitReader(classifier)
    read = total = false = 0
    for seed in range(700, 724):
        scene = scenes.make_scene("broken_skip", seed)
        digits = reader.read(scene.image).digits
        total += len(scene.digits)
        read += sum(any(d.digit == t.digit and iou(d.box, t.box) >= 0.4 for d in digits)
                    for t in scene.digits)
        false += sum(all(iou(d.box, t.box) < 0.4 for t in scene.digits) for d in digits)
    assert read / total >= 0.84
    assert false <= 14


def test_gaps_are_closed_again_for_digits_taller_than_guessed_but_not_hinted(classifier):
    # Bars 80 px tall whose tops a pen skipping left dashed (gaps 3 px long): the first
    # guess, a tenth of 480 px, closes 2-px gaps, the height measured 4-px ones. A
    # height the caller gave (the live view's, from the digits it read) is kept: blobs
    # around a page (a brick wall's) measure taller than its digits.
    from mnist_live.candidates import gap_kernel
    from mnist_live.scale import Scale, guess

    gray = np.full((480, 640), 235, np.uint8)
    for x in range(100, 600, 100):
        cv2.line(gray, (x, 200), (x, 280), 30, 9)
        for y in (203, 211, 219):
            gray[y : y + 3, x - 8 : x + 9] = 235
    reader = DigitReader(classifier)
    guessed = guess(gray.shape, reader.settings.scale)
    assert guessed == Scale(48.0, False)
    page = reader._page(gray, guessed, dark_ink=True)
    assert gap_kernel(page.scale.height) > gap_kernel(48.0) and len(page.blobs) == 5
    hinted = guess(gray.shape, reader.settings.scale, hint=48.0)
    assert hinted.hinted
    assert len(reader._page(gray, hinted, dark_ink=True).blobs) > 5


def test_a_thin_1_beside_the_digits_of_its_number_is_no_bar_of_texture(classifier):
    # numbers1 ("135790", a thin pen) on a sheet amid grass, filmed on seeds bench film
    # does not use, read with the digits' height given as the live view gives it. Its
    # 1 is read at 0.7-0.9, and the bar evidence (a 1 needs 0.95) left it out in most
    # frames; beside its 3, shown, it is a 1 of the number (where the page evidence,
    # its sheet's edge near, leaves it enough).
    from dataclasses import replace

    frames = _filmed("numbers1", "grass", SEEDS[:2], every=4)

    def ones_read(reader: DigitReader) -> int:
        read = 0
        for frame in frames:
            digits = _read_as_live(reader, frame)
            read += sum(any(d.digit == 1 and iou(d.box, t.box) >= 0.4 for d in digits)
                        for t in frame.digits if t.digit == 1)
        return read

    settings = config.PipelineSettings()
    alone = replace(settings, page=replace(settings.page, number_reach=0.0))
    # 25 of these 30 frames read it (17 without the "line" rule); without the number
    # around it, 1.
    assert ones_read(DigitReader(classifier)) >= 0.45 * len(frames)
    assert ones_read(DigitReader(classifier, alone)) <= 0.15 * len(frames)


def test_a_faint_1_near_its_sheets_edge_is_read_in_line_with_its_number(classifier):
    # numbers1's faint, thin 1 stands 16-18 px from its sheet's edge, so the page
    # evidence's ring takes in the gravel or grass beyond it and holds it back; in line
    # with its 3, on plain paper just around it, it is read ("line" rule). Seeds bench
    # film does not use: 48 of these 60 frames read it, 29 without the rule, and the
    # texture beyond the sheet is not read for it (1 false digit either way).
    frames = (_filmed("numbers1", "gravel", SEEDS[:2], every=4)
              + _filmed("numbers1", "grass", SEEDS[:2], every=4))

    def read(settings: config.PipelineSettings) -> tuple[int, int]:
        reader, ones, false = DigitReader(classifier, settings), 0, 0
        for frame in frames:
            digits = _read_as_live(reader, frame)
            ones += sum(any(d.digit == 1 and iou(d.box, t.box) >= 0.4 for d in digits)
                        for t in frame.digits if t.digit == 1)
            false += sum(max(iou(d.box, t.box) for t in frame.digits) < 0.4
                         for d in digits)
        return ones, false

    ones, false = read(config.PipelineSettings())
    ones_without, false_without = read(config.PipelineSettings().without({"line"}))
    assert ones >= 0.7 * len(frames) and ones_without <= 0.55 * len(frames)
    assert false <= false_without + 2


def test_a_sheet_on_a_glazed_cup_is_read_not_the_saucers_highlights(classifier):
    # A sheet of dark writing laid on scikit-image's coffee cup: the frame votes for
    # light ink (the cup's rim, the saucer's highlights), so both polarities are read.
    # The light read's big bright blobs, 1s and 7s at 0.7-0.9, hold ten times the ink
    # of the sheet's thin digits read at 1.0; the read the model vouches for more wins
    # (_Attempt.belief). On seeds bench film does not use: 403 of 420 digits read and
    # 15 false digits in 60 frames; 276 and 48 when the read explaining more ink won.
    frames = (_filmed("numbers1", "coffee", SEEDS[:2], every=4)
              + _filmed("photo_1", "coffee", SEEDS[:2], every=4))
    right, total, false = _scored_as_live(DigitReader(classifier), frames)
    assert right >= 0.9 * total
    assert false <= 0.5 * len(frames)


def test_a_digit_inside_a_blob_of_the_other_read_costs_only_its_own_place(classifier):
    # Sheets laid on scikit-image's coins, voted light: the light read holds two big
    # blobs of the coins' texture, one around a digit of the sheet, the dark read the
    # sheet's digits. The blob has that digit's place (it explains more ink there), and
    # the model's belief over the rest chooses the dark read. Seeds bench film does not
    # use: 960 of 960 digits read, no false digit; 816 and 7 when any reading inside
    # another let the ink of the whole frame decide.
    frames = (_filmed("photo_1", "coins", SEEDS[:2], every=4)
              + _filmed("photo_2", "coins", SEEDS[:2], every=4))
    right, total, false = _scored_as_live(DigitReader(classifier), frames)
    assert right >= 0.97 * total
    assert false <= 3


def test_a_digit_filling_the_frame_is_not_read_as_its_loops(classifier):
    # A thick digit 90% of the frame tall may vote for light ink; read as light ink,
    # its loops are 0s as sure as the digit itself (an 8's two), and the paper around
    # it an 8. Where readings of the two reads lie one inside the other, the one that
    # explains more ink has the place, and the other's is not counted for its read.
    # Scale-sweep digits of seeds bench scale does not use: 78 of 80 read right and
    # alone; 75 when every sure reading counted.
    from mnist_live.bench.scale import sample_digits

    reader, right, total = DigitReader(classifier), 0, 0
    for seed in (3, 5):
        for index in sample_digits(20, seed):
            for size, height in (((640, 480), 432), ((1280, 720), 648)):
                scene = scenes.make_lone_digit(size, height, index, seed)
                digits = reader.read(scene.image).digits
                right += len(digits) == 1 and digits[0].digit == scene.digits[0].digit
                total += 1
    assert right >= 0.95 * total


def test_rules_are_switched_off_by_name_and_unknown_ones_refused():
    import argparse

    from mnist_live.bench.readers import our_reader, rule_names

    assert rule_names("shape, page") == frozenset({"shape", "page"})
    with pytest.raises(argparse.ArgumentTypeError, match="unknown rule bogus"):
        rule_names("shape,bogus")
    reader = our_reader(without=frozenset({"page"})).reader
    assert "page" not in reader.settings.hypotheses.rules
    assert "stacked" in reader.settings.hypotheses.rules


def test_digits_found_only_once_ruled_lines_are_out_are_weighed_on_the_page(classifier):
    # Full-width lines join every digit to the frame's edges: the blobs appear only
    # after the lines are taken out, and the page evidence must weigh them then.
    from mnist_live.scale import Scale

    gray = np.full((480, 640), 235, np.uint8)
    for y in range(40, 480, 50):
        cv2.line(gray, (0, y), (639, y), 120, 2)
    for i, digit in enumerate("3141592"):
        cv2.putText(gray, digit, (40 + 80 * i, 300), cv2.FONT_HERSHEY_SIMPLEX, 3, 20, 6)
    page = DigitReader(classifier)._page(gray, Scale(48.0, False), dark_ink=True)
    assert len(page.blobs) == 7 and page.texture is not None


def test_ruled_paper_is_read_as_dark_ink():
    # A margin crossing ruled lines leaves light gaps in them: on the lines, they vote
    # for no polarity. Seeds not looked at while fixing it (16 of 20 before).
    right = sum(ink_is_dark(to_gray(scenes.make_scene("lined", 5000 + k).image))
                for k in range(20))
    assert right >= 19


def test_stroke_evidence_doubts_only_strokes_far_thinner_than_the_pages():
    from mnist_live.page import stroke_evidence

    settings = config.PageSettings()
    page = 6.0
    assert stroke_evidence(6.0, page, settings) == 1.0
    assert stroke_evidence(20.0, page, settings) == 1.0  # thicker: a bigger digit
    assert stroke_evidence(0.5 * page, page, settings) > 0.85  # half as thick: barely
    assert stroke_evidence(0.8 * page, page, settings) == 1.0
    assert stroke_evidence(settings.thin_half * page, page, settings) == pytest.approx(0.5)
    assert stroke_evidence(1.0, page, settings) < 0.05  # a hairline beside 6-px strokes
    assert stroke_evidence(1.0, 0.0, settings) == 1.0  # no page stroke: no evidence


def _strays_and_reads(reader: DigitReader, seeds) -> tuple[int, int]:
    strays = right = 0
    for seed in seeds:
        scene = scenes.make_scene("clutter", seed)
        truth = [(d.box, d.digit) for d in scene.digits]
        for found in reader.read(scene.image).digits:
            x, y, w, h = found.box
            over = [(label, max(0, min(x + w, bx + bw) - max(x, bx))
                     * max(0, min(y + h, by + bh) - max(y, by)) / (w * h))
                    for (bx, by, bw, bh), label in truth]
            best = max(over, key=lambda o: o[1], default=(None, 0.0))
            strays += best[1] < 0.3
            right += best[1] >= 0.3 and best[0] == found.digit
    return strays, right


def test_the_page_is_read_at_the_height_its_sure_digits_vouch_for(classifier):
    """Clutter around a sheet can make the blobs measure the digits twice as tall as
    they are; the search at that height joins letters into digits of its own size.
    When the sure digits show another height, the read at theirs wins."""
    from mnist_live.scale import guess

    reader = DigitReader(classifier)
    agree = []
    for seed in range(700, 760):
        scene = scenes.make_scene("clutter", seed)
        gray = to_gray(scene.image)
        guessed = guess(gray.shape, reader.settings.scale)
        attempt = reader._attempt(gray, gray, 1.0, guessed, ink_is_dark(gray, guessed.height))
        chosen = attempt.page.scale.height / attempt.shrink  # in the frame's pixels
        true = float(np.median([d.box[3] for d in scene.digits]))
        agree.append(max(chosen, true) / min(chosen, true) <= 1.3)
    # 54 of these 60 pages agree; choosing by the ink explained alone gave 50.
    assert np.mean(agree) >= 52 / 60, agree


def _bar(x: int, y: int, w: int, h: int):
    """A one-stroke candidate: the ink of a w x h bar at (x, y)."""
    from mnist_live.candidates import Candidate

    return Candidate((x, y, w, h), np.full((h, w), 255, np.uint8))


_CLUTTER_SEEDS = range(700, 760)  # clutter pages never tuned on
_clutter_counts: dict[tuple[str, frozenset[str]], tuple[int, int]] = {}


def _clutter_without(classifier, rules: frozenset[str]) -> tuple[int, int]:
    """(strays, digits read right) on the held-out clutter pages, less `rules` (each
    counted once for the tests that compare with the whole reader)."""
    key = (str(classifier.options.model_path), rules)
    if key not in _clutter_counts:
        reader = DigitReader(classifier, config.PipelineSettings().without(rules))
        _clutter_counts[key] = _strays_and_reads(reader, _CLUTTER_SEEDS)
    return _clutter_counts[key]


# Measured with every rule on: 49 strays and 386 digits read; without `words` 105 and
# 386; without `bars` 60 and 386; without `stroke` (the pen: hairlines of a sheet's
# edge, letters of small print) 53 and 386. Before ruled lines were thin (9e0f721), a
# dark area beside a sheet was carved into bars: 59 strays, 83 without `bars`. (`sides`,
# retired, took out 2 here before `bars` and none since.)
@pytest.mark.parametrize("rule,fewer,lost", [("words", 40, 0), ("bars", 8, 1),
                                             ("stroke", 3, 1)])
def test_the_evidence_after_the_search_takes_out_strays(classifier, rule, fewer, lost):
    """Clutter pages never tuned on: fewer false digits with the rule than without, and
    at most `lost` digits fewer read (the evidence only lowers probabilities after the
    search, so it can lose digits but never gain any)."""
    strays, right = _clutter_without(classifier, frozenset())
    strays_without, right_without = _clutter_without(classifier, frozenset({rule}))
    assert strays <= strays_without - fewer, (strays, strays_without)
    assert right >= right_without - lost, (right, right_without)


def test_word_evidence_counts_the_models_verdict_on_a_readings_line():
    from mnist_live.words import lines, word_evidence

    settings = config.WordSettings()
    # Readings 20 px tall, 2 px apart (a word's spacing), and one far to the right.
    boxes = [(0, 0, 10, 20), (12, 0, 10, 20), (24, 0, 10, 20), (100, 0, 10, 20)]
    line = lines(boxes, settings)  # each from the one before it
    assert line[0] == line[1] == line[2] != line[3]
    digit = np.array([1.0, 0.0, 0.0, 1.0])  # the model refused readings 1 and 2
    evidence = word_evidence(boxes, digit, settings)
    assert evidence[0] < 0.4  # a letter among letters
    assert evidence[3] == 1.0  # alone: no evidence
    assert word_evidence(boxes, digit, settings, [False, True, True, True])[0] == 1.0
    assert word_evidence(boxes, np.ones(4), settings) == [1.0] * 4  # a number
    one_refused = np.array([1.0, 0.0, 1.0, 1.0])
    assert word_evidence(boxes[:2], one_refused[:2], settings)[0] > 0.75  # a sign
    assert word_evidence(boxes, one_refused, settings)[0] > 0.9  # ... and a digit
    # A short mark (a "-" of a sum) is no letter, nor is a reading a word's gap away,
    # nor a sheet's edge around the reading.
    for line in ([(0, 0, 10, 20), (12, 8, 8, 4), (22, 0, 10, 20)],
                 [(0, 0, 10, 20), (16, 0, 10, 20), (28, 0, 10, 20)],
                 [(0, 0, 10, 20), (-5, -5, 200, 30), (-5, -5, 30, 200)]):
        assert word_evidence(line, np.array([1.0, 0.0, 0.0]), settings)[0] == 1.0


def _printed(*lines: str) -> np.ndarray:
    image = np.full((120 * len(lines), 760, 3), 235, np.uint8)
    for row, text in enumerate(lines):
        cv2.putText(image, text, (30, 90 + 120 * row), cv2.FONT_HERSHEY_SIMPLEX, 2.0,
                    (30, 30, 30), 5)
    return image


def test_letters_the_model_reads_as_digits_are_doubted_in_their_word(classifier):
    """In "Desk" the model reads the D as a 0 and the s as a 5; the e and the k it
    refuses, so the line is a word. A number's digits and a sum written tight stay."""
    with_rule = DigitReader(classifier)
    without = DigitReader(classifier, with_rule.settings.without({"words"}))
    page = _printed("2021  Desk", "12+34=46")
    assert [d.digit for d in without.read(page).digits] == [2, 0, 2, 1, 0, 5,
                                                             1, 2, 3, 4, 4, 6]
    reading = with_rule.read(page)
    assert [d.digit for d in reading.digits] == [2, 0, 2, 1, 1, 2, 3, 4, 4, 6]
    from mnist_live.pipeline import IN_A_WORD
    assert sorted(d.digit for d in reading.unsure if d.doubt == IN_A_WORD) == [0, 5]


def test_a_page_is_told_from_texture_by_its_digits_as_a_set():
    from mnist_live.pipeline import looks_like_a_page

    settings = config.PolaritySettings()
    assert looks_like_a_page([], settings)  # nothing read beats texture
    assert looks_like_a_page([1], settings)  # a lone 1, "111": still a page
    assert looks_like_a_page([1, 1, 1], settings)
    assert not looks_like_a_page([1, 1, 1, 1], settings)  # four 1s alone: texture
    assert looks_like_a_page([0, 5, 2, 2, 1, 8, 5, 9], settings)
    assert looks_like_a_page([1, 1, 7, 7, 5, 1, 1], settings)  # a page and some strays
    assert not looks_like_a_page([1] * 19 + [7], settings)  # a brick wall's mortar
    assert not looks_like_a_page([1] * 17 + [9, 3], settings)  # cracks


def test_a_page_on_a_brick_wall_is_read_as_dark_ink(classifier):
    """The wall's light mortar outvotes the page's dark ink among thin details, as chalk
    on a board would; the page's read wins by its digits (all 15 frames; before, the
    mortar's 1s won 7 of them)."""
    from mnist_live.bench import film
    from mnist_live.bench.sets import skimage_photo

    reader = DigitReader(classifier)
    wall = film.lay_sheets([film.load_sheet(name) for name in film.PAGES["photo_1"]],
                           skimage_photo("brick"), (640, 480))
    dark = [reader.read(frame.image).dark_ink
            for k, frame in enumerate(film.film(wall, 150, seed=7)) if k % 10 == 0]
    assert sum(dark) >= 14, dark


@pytest.mark.parametrize("text,shown", [("1", "1"), ("111", "111"), ("1 1 1 7", "1117"),
                                        ("1111", ""), ("1 1 1 1 1 4", "4")])
def test_a_board_of_chalk_ones_is_read_unless_it_looks_like_texture(classifier, text,
                                                                     shown):
    """A lone 1 or three, and three beside another digit, are a page's; four alone, or
    five beside one other digit, look like texture: their 1s are doubted, not shown."""
    from mnist_live.pipeline import LIKE_TEXTURE

    board = np.full((480, 640), 40, np.uint8)
    cv2.putText(board, text, (40, 280), cv2.FONT_HERSHEY_SIMPLEX, 2.5, 220, 8)
    reading = DigitReader(classifier).read(board)
    assert "".join(str(d.digit) for d in reading.digits) == shown
    assert reading.dark_ink is False
    doubted = [d.digit for d in reading.unsure if d.doubt == LIKE_TEXTURE]
    assert doubted == ([] if "1" in shown else [1] * text.count("1"))


def _fence(ground: int, ink: int, posts: int) -> np.ndarray:
    """Evenly spaced short bars on a grainy ground: what a fence, mortar, the
    lattice of a mast are read as (1s)."""
    rng = np.random.default_rng(0)
    gray = np.full((480, 640), ground, np.float32) + rng.normal(0, 6, (480, 640))
    gray = gray.clip(0, 255).astype(np.uint8)
    for k in range(posts):
        x = 40 + 70 * k
        cv2.line(gray, (x, 150), (x + 3, 210), ink, 4)
    return gray


def test_the_1s_of_a_read_that_looks_like_texture_are_not_shown(classifier):
    """Nine bars alone look like texture, not a page (looks_like_a_page): none is
    shown, each doubted as texture's 1 (so is "1111" written alone); beside four other
    digits they are a page's 1s. Without the "texture" rule the bars alone are shown."""
    from mnist_live.pipeline import LIKE_TEXTURE

    reader = DigitReader(classifier)
    fence = _fence(200, 60, posts=9)
    reading = reader.read(fence)
    assert reading.digits == []
    assert [(d.digit, d.doubt) for d in reading.unsure] == [(1, LIKE_TEXTURE)] * 9
    without = DigitReader(classifier, reader.settings.without({"texture"}))
    assert [d.digit for d in without.read(fence).digits] == [1] * 9
    # Beside one other digit they still look like texture: only the 1s are left out.
    with_7 = fence.copy()
    cv2.putText(with_7, "7", (300, 350), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 60, 5)
    reading = reader.read(with_7)
    assert [d.digit for d in reading.digits] == [7]
    assert [(d.digit, d.doubt) for d in reading.unsure] == [(1, LIKE_TEXTURE)] * 9
    for k, digit in enumerate("2345"):
        cv2.putText(fence, digit, (120 + 90 * k, 350), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 60, 5)
    assert sorted(d.digit for d in reader.read(fence).digits) == [1] * 9 + [2, 3, 4, 5]


@pytest.mark.parametrize("dark,read", [(True, [True]), (False, [False, True])])
def test_light_ink_is_read_only_when_the_frame_votes_for_it(classifier, monkeypatch,
                                                            dark, read):
    """Dark ink is read as voted; light ink, never on the vote alone, and never
    against it (a photo's highlights are as thin and light as chalk)."""
    import mnist_live.pipeline as pipeline

    reader = DigitReader(classifier)
    polarities = []
    attempt = reader._attempt

    def spy(gray_full, gray, shrink, guessed, dark_ink):
        polarities.append(dark_ink)
        return attempt(gray_full, gray, shrink, guessed, dark_ink)

    monkeypatch.setattr(pipeline, "ink_is_dark", lambda gray, scale=None, settings=None: dark)
    monkeypatch.setattr(reader, "_attempt", spy)
    reader.read(_fence(200, 60, posts=3))
    assert polarities == read


def test_size_evidence_doubts_only_readings_far_taller_than_the_pages_digits():
    from mnist_live.page import size_evidence

    settings = config.PageSettings()
    assert size_evidence(30.0, 30.0, settings) == pytest.approx(1.0, abs=0.01)
    assert size_evidence(10.0, 30.0, settings) == size_evidence(30.0, 30.0, settings)
    assert size_evidence(75.0, 30.0, settings) == pytest.approx(0.5)  # size_half
    assert size_evidence(120.0, 30.0, settings) < 0.1


@pytest.mark.parametrize("measured,rules,doubted", [
    (False, None, True),  # read at a guessed height: weighed after the search
    (True, None, False),  # measured: the search weighed sizes itself
    (False, {"size"}, False),  # the rule switched off
])
def test_a_read_at_a_guessed_height_weighs_sizes_against_its_sure_digits(measured, rules,
                                                                         doubted):
    """A sheet amid bricks: the blobs cannot measure the digits, the search reads at a
    guess and cannot weigh sizes, and a brick four digits tall is read as a 1. After
    the search it is weighed against the height of the digits read surely."""
    from types import SimpleNamespace

    from mnist_live.pipeline import _Attempt
    from mnist_live.scale import Scale

    settings = config.PipelineSettings()
    if rules:
        settings = settings.without(rules)
    sure = np.eye(10)[3]  # a 3, surely
    read = [(_bar(60 * k, 100, 20, 30), sure) for k in range(4)]
    read.append((_bar(300, 40, 12, 120), np.eye(10)[1]))  # a brick's edge, "1"
    page = SimpleNamespace(scale=Scale(48.0, measured))
    attempt = _Attempt(page, SimpleNamespace(read=read), 1.0, settings)
    evidence = attempt.size_evidence
    assert evidence[:4] == [1.0] * 4  # their own height: certain
    assert (evidence[4] < 0.1) == doubted
    assert doubted or evidence[4] == 1.0
    # Fewer sure digits than the scale trusts (the bar among them) vouch for no height.
    few = read[: settings.scale.vouching_digits - 2] + read[4:]
    attempt = _Attempt(page, SimpleNamespace(read=few), 1.0, settings)
    assert attempt.size_evidence == [1.0] * len(few)


def test_bar_evidence_asks_a_1_for_the_surety_texture_s_bars_seldom_reach():
    from dataclasses import replace

    from mnist_live.page import bar_evidence

    settings = config.PageSettings()
    assert 0.95 * bar_evidence(0.95, settings) == pytest.approx(0.7, abs=0.01)
    assert 0.87 * bar_evidence(0.87, settings) < 0.5  # texture's median 1 on film
    assert 0.996 * bar_evidence(0.996, settings) > 0.95  # the int8 model's top step
    assert bar_evidence(0.9, replace(settings, bar_odds=1.0)) == pytest.approx(1.0)


def test_only_1s_are_weighed_as_bars(classifier):
    # The 1 stands alone, far more than a digit's height from the 7 (beside it, it
    # would be a 1 of their number: number_reach).
    page = np.full((480, 640), 230, np.uint8)
    cv2.putText(page, "1", (80, 280), cv2.FONT_HERSHEY_SIMPLEX, 3, 30, 8)
    cv2.putText(page, "7 4", (330, 280), cv2.FONT_HERSHEY_SIMPLEX, 3, 30, 8)
    reader = DigitReader(classifier)
    without = DigitReader(classifier, reader.settings.without({"bars"}))
    weighed = {d.digit: d.confidence for d in reader.read(page).classified}
    raw = {d.digit: d.confidence for d in without.read(page).classified}
    assert sorted(weighed) == sorted(raw) == [1, 4, 7]
    assert weighed[1] < raw[1] and weighed[1] >= 0.7
    assert weighed[7] == raw[7] and weighed[4] == raw[4]


def test_a_1_the_texture_rule_zeroes_always_says_why(classifier, monkeypatch):
    """A 1 the model was not sure of, in a read that looks like texture: its confidence
    is 0, and it says why rather than passing for a crop the model refused."""
    from dataclasses import replace

    import mnist_live.pipeline as pipeline
    from mnist_live.pipeline import LIKE_TEXTURE

    reader = DigitReader(classifier, replace(config.PipelineSettings(), min_confidence=0.999))
    monkeypatch.setattr(pipeline._Attempt, "writing", property(lambda self: False))
    reading = reader.read(_fence(200, 60, posts=3))
    ones = [d for d in reading.unsure if d.digit == 1]
    assert ones and all(d.confidence == 0.0 and d.doubt == LIKE_TEXTURE for d in ones)


@pytest.mark.parametrize("level", [1, 3, 5])
def test_a_frame_all_but_black_reads_no_digit(classifier, level):
    # A covered lens or a dark room: sensor noise a grey level or two about a dark
    # ground, as a webcam's JPEG gives it. Measured against such a ground itself, a dip
    # of 1 in 2 is as dark as a pen on paper (InkSettings.darkest_paper): before, 0.5-4.4
    # false digits a frame.
    reader = DigitReader(classifier)
    rng = np.random.default_rng(level)
    shown = 0
    for _ in range(4):
        frame = np.clip(rng.normal(level, 2, (480, 640, 3)), 0, 255).astype(np.uint8)
        frame = cv2.GaussianBlur(frame, (3, 3), 0)
        _, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
        shown += len(reader.read(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)).digits)
    assert shown == 0
