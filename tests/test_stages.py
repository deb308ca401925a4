"""Each pipeline stage on small pictures made here, where the right answer is known."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import iou, paste_digit
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mnist_live.binarize import (
    _median_of,
    _otsu_level,
    binarize,
    faint_writing,
    ink_is_dark,
    parse_threshold,
    to_gray,
)
from mnist_live.candidates import (
    CandidateLimits,
    Rejected,
    close_gaps,
    find_blobs,
    gap_kernel,
    is_digit_sized,
    unused_reason,
)
from mnist_live.config import InkSettings
from mnist_live.normalize import mnist_crop, stroke_width
from mnist_live.numbers import beside_a_digit, group_lines, group_numbers

RING = ((120, 100), 30)  # centre and radius of a drawn "0"


def ring_page(paper: int = 220, ink: int = 40, size=(240, 320)) -> np.ndarray:
    page = np.full(size, paper, np.uint8)
    cv2.circle(page, RING[0], RING[1], ink, 6)
    return page


# --- binarize -------------------------------------------------------------------------

@pytest.mark.parametrize("threshold", ["otsu", "adaptive", 128])
def test_dark_ink_becomes_white_on_black(threshold):
    result = binarize(ring_page(), threshold, scale=60)
    (cx, cy), r = RING
    assert result.dark_ink
    assert result.binary[cy, cx + r] == 255  # on the stroke
    assert result.binary[cy, cx] == 0  # inside the ring: paper
    assert result.binary[10, 10] == 0  # far away: paper


@pytest.mark.parametrize("threshold", ["otsu", "adaptive", 128])
def test_chalk_on_a_board_becomes_white_on_black(threshold):
    result = binarize(ring_page(paper=40, ink=210), threshold, scale=60)
    (cx, cy), r = RING
    assert not result.dark_ink
    assert result.binary[cy, cx + r] == 255 and result.binary[cy, cx] == 0


def test_otsu_survives_a_strong_lighting_gradient():
    # The left of the page is darker than the ink on the right: no single level of the
    # raw gray image separates them, but flattening the lighting does.
    page = ring_page(paper=230, ink=120).astype(np.float32)
    page *= np.linspace(0.35, 1.0, page.shape[1])[None, :]
    page = page.astype(np.uint8)
    cv2.circle(page, (60, 180), 20, 30, 5)  # a second ring in the dark part
    result = binarize(page, "otsu", scale=60)
    assert result.binary[100, 150] == 255 and result.binary[180, 80] == 255
    # Little paper is mistaken for ink anywhere.
    stroke_pixels = np.count_nonzero(result.binary)
    assert stroke_pixels < 0.1 * page.size


def test_manual_level_matches_the_reference_hint():
    page = ring_page()
    result = binarize(page, 160, scale=60)
    _, expected = cv2.threshold(page, 160, 255, cv2.THRESH_BINARY_INV)
    np.testing.assert_array_equal(result.binary, expected)

def sheet_on_texture(stroke: int, rng: np.random.Generator, ruled: bool = False,
                     noise: float = 3.0) -> tuple[np.ndarray, tuple[int, int, int]]:
    """A small sheet (paper 200, sensor noise) on grass (dark blades, dense), with a
    thin ring of gray `stroke` on it (and a faint ruled line across it); the ring's
    centre and radius."""
    frame = np.full((480, 640), 150, np.float32)
    for _ in range(1500):
        x, y = rng.uniform(0, 640), rng.uniform(0, 480)
        angle, length = rng.uniform(0, np.pi), rng.uniform(20, 60)
        end = (round(x + length * np.cos(angle)), round(y + length * np.sin(angle)))
        cv2.line(frame, (round(x), round(y)), end, float(rng.uniform(70, 120)), 2)
    frame[120:360, 120:520] = 200
    centre, radius = (320, 240), 24
    cv2.circle(frame, centre, radius, stroke, 2)
    if ruled:
        cv2.line(frame, (125, 300), (515, 300), stroke, 2)
    frame += rng.normal(0, noise, frame.shape)
    return np.clip(frame, 0, 255).astype(np.uint8), (*centre, radius)


def test_a_faint_pencil_on_a_sheet_amid_texture_is_ink():
    # The texture around the sheet sets the frame's level above the pencil: the
    # fainter level on the sheet's plain paper still inks it, on sheets amid twenty
    # different grasses (on the 13th, texture at the sheet's edge, had it been counted
    # as paper, would have set the level above the pencil), and leaves the paper's
    # grain as it was.
    inked, inked_without, grain = [], [], []
    for seed in range(20):
        frame, (cx, cy, r) = sheet_on_texture(170, np.random.default_rng(seed))
        without = binarize(frame, "otsu", scale=48, dark_ink=True,
                           settings=InkSettings(faint_busy=0.0))
        result = binarize(frame, "otsu", scale=48, dark_ink=True)
        ring = np.zeros(frame.shape, np.uint8)
        cv2.circle(ring, (cx, cy), r, 255, 2)
        on_ring = ring > 0
        inked.append(np.count_nonzero(result.binary[on_ring]) / np.count_nonzero(on_ring))
        inked_without.append(np.count_nonzero(without.binary[on_ring])
                             / np.count_nonzero(on_ring))
        sheet = np.zeros(frame.shape, bool)
        sheet[125:355, 125:515] = True
        off_ring = sheet & (cv2.dilate(ring, np.ones((5, 5))) == 0)
        grain.append(np.count_nonzero(result.binary[off_ring]))
    assert max(inked_without) < 0.5
    assert min(inked) > 0.8
    assert max(grain) < 20


def test_a_faint_ruled_line_is_left_out():
    # A faint line across the sheet is no writing, nor is a digit joined to it: both
    # stay as the frame's level drew them, while the ring apart from them is inked.
    frame, (cx, cy, r) = sheet_on_texture(170, np.random.default_rng(2), ruled=True)
    cv2.circle(frame, (420, 300 - 20), 20, 170, 2)  # a faint 0 sitting on the line
    result = binarize(frame, "otsu", scale=48, dark_ink=True)
    ring = np.zeros(frame.shape, np.uint8)
    cv2.circle(ring, (cx, cy), r, 255, 2)
    assert np.count_nonzero(result.binary[ring > 0]) > 0.8 * np.count_nonzero(ring)
    band = result.binary[297:304, 125:515]
    _, _, stats, _ = cv2.connectedComponentsWithStats(band)
    # At most the specks the noise leaves of it, none a digit's stroke long.
    assert stats[1:, cv2.CC_STAT_WIDTH].max(initial=0) < 12
    assert np.count_nonzero(band) < 0.2 * band.shape[1]
    joined = np.zeros(frame.shape, np.uint8)
    cv2.circle(joined, (420, 280), 20, 255, 2)
    assert np.count_nonzero(result.binary[joined > 0]) < 0.2 * np.count_nonzero(joined)


def test_grain_of_the_paper_is_never_ink():
    # A blank sheet of grainy paper amid grass: the fainter level on it stays above the
    # grain's own spread (Otsu's level alone would split the grain).
    frame, _ = sheet_on_texture(200, np.random.default_rng(4), noise=8.0)
    sheet = np.zeros(frame.shape, bool)
    sheet[125:355, 125:515] = True
    careless = binarize(frame, "otsu", scale=48, dark_ink=True,
                        settings=InkSettings(faint_noise=0.0))
    assert np.count_nonzero(careless.binary[sheet]) > 0.01 * np.count_nonzero(sheet)
    result = binarize(frame, "otsu", scale=48, dark_ink=True)
    assert np.count_nonzero(result.binary[sheet]) < 0.001 * np.count_nonzero(sheet)


def test_a_grey_level_or_two_in_the_dark_is_not_ink():
    # A photo's black border (a fundus camera's, a night sky): a ring two grey levels
    # darker than its black is as dark against it, relatively, as a pen on paper; it is
    # not ink once the ink is measured against a share of white at least
    # (InkSettings.darkest_paper). A pen on the page beside it still is.
    frame = np.full((240, 320), 200, np.uint8)
    frame[:, 160:] = 2
    pen, noise = np.zeros(frame.shape, np.uint8), np.zeros(frame.shape, np.uint8)
    cv2.circle(pen, (80, 120), 20, 255, 3)
    cv2.circle(noise, (240, 120), 20, 255, 3)
    frame[pen > 0] = 40
    frame[noise > 0] = 0
    for ink, noise_is_ink in ((InkSettings(darkest_paper=0.0), True), (InkSettings(), False)):
        binary = binarize(frame, "otsu", scale=48, dark_ink=True, settings=ink).binary
        assert np.count_nonzero(binary[pen > 0]) > 0.9 * np.count_nonzero(pen)
        inked = np.count_nonzero(binary[noise > 0]) > 0.5 * np.count_nonzero(noise)
        assert inked == noise_is_ink


def test_a_page_and_little_else_keeps_its_own_level():
    # Filling the frame, a sheet sets the level itself: no fainter one is looked for
    # (on such frames it found letters' and scribbles' faint edges more than digits),
    # so a faint 0 beside dark ones stays as that level drew it.
    rng = np.random.default_rng(5)
    page = np.full((240, 400), 200, np.float32)
    for x in (60, 340):
        cv2.circle(page, (x, 120), 24, 40, 12)  # a marker
    cv2.circle(page, (200, 120), 24, 170, 2)
    page = np.clip(page + rng.normal(0, 3, page.shape), 0, 255).astype(np.uint8)
    result = binarize(page, "otsu", scale=48, dark_ink=True)
    faint = np.zeros(page.shape, np.uint8)
    cv2.circle(faint, (200, 120), 24, 255, 2)
    assert np.count_nonzero(result.binary[faint > 0]) < 0.5 * np.count_nonzero(faint)
    # Looked for all the same, the fainter level would have inked it.
    smooth = cv2.GaussianBlur(result.ink, (3, 3), 0)
    fainter = faint_writing(smooth, result.level, 48, InkSettings())
    assert fainter is not None
    assert np.count_nonzero(fainter[faint > 0]) > 0.8 * np.count_nonzero(faint)


def between_class_variance(pixels: np.ndarray, level: float) -> float:
    """Otsu's measure of a split: the pixels above `level` against the rest."""
    above = pixels > level
    if above.all() or not above.any():
        return 0.0
    share = above.mean()
    return share * (1 - share) * (pixels[above].mean() - pixels[~above].mean()) ** 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 255), min_size=1, max_size=400))
@example([28, 67, 67, 69, 69, 69, 69, 69, 69, 109])  # two splits equally good
def test_levels_from_a_histogram_are_those_of_the_pixels(values):
    # faint_writing reads Otsu's level, the median and the spread of the paper from
    # its histogram: the same numbers cv2.threshold and np.median give on its pixels.
    pixels = np.array(values, np.uint8)
    counts = np.bincount(pixels, minlength=256).astype(np.float64)
    otsu, _ = cv2.threshold(pixels.reshape(1, -1), 0, 255,
                            cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # The same split, or (where two split it equally well) one as good.
    assert between_class_variance(pixels, _otsu_level(counts)) == pytest.approx(
        between_class_variance(pixels, otsu), rel=1e-9, abs=1e-9)
    middle = _median_of(np.arange(256.0), counts)
    assert middle == np.median(pixels)
    spread = _median_of(np.abs(np.arange(256.0) - middle), counts)
    assert spread == np.median(np.abs(pixels.astype(np.float32) - middle))


def test_polarity_detection():
    assert ink_is_dark(ring_page())
    assert not ink_is_dark(ring_page(paper=30, ink=230))


@pytest.mark.parametrize("text,value", [("otsu", "otsu"), ("Adaptive", "adaptive"),
                                        ("160", 160), ("0", 0), ("255", 255)])
def test_parse_threshold(text, value):
    assert parse_threshold(text) == value


@pytest.mark.parametrize("text", ["300", "-1", "bright", ""])
def test_parse_threshold_refuses_bad_values(text):
    with pytest.raises(ValueError):
        parse_threshold(text)


def test_to_gray_accepts_every_layout():
    bgr = np.zeros((4, 5, 3), np.uint8)
    bgra = np.zeros((4, 5, 4), np.uint8)
    deep = np.full((4, 5, 3), 65535, np.uint16)
    for frame in (bgr, bgra, deep, bgr[:, :, 0]):
        gray = to_gray(frame)
        assert gray.shape == (4, 5) and gray.dtype == np.uint8
    assert to_gray(deep).max() == 255


# --- candidates -----------------------------------------------------------------------

def binary_with(shapes) -> np.ndarray:
    image = np.zeros((240, 320), np.uint8)
    for draw in shapes:
        draw(image)
    return image


LIMITS = CandidateLimits(border_fraction=0.05)


def digit_blobs(binary):
    """The blobs the pipeline would consider as whole digits, and all thrown out (with
    the reason the pipeline gives)."""
    blobs, rejected = find_blobs(binary, LIMITS)
    kept = [b for b in blobs if is_digit_sized(b.box, LIMITS, binary.shape)]
    return kept, rejected + [Rejected(b.box, unused_reason(b.box, LIMITS, binary.shape))
                             for b in blobs if b not in kept]


def test_a_digit_gives_one_candidate_with_its_box(mnist_test):
    page = np.full((240, 320), 220, np.uint8)
    box = paste_digit(page, mnist_test[0][0], 100, 60, 80)
    binary = binarize(page, "otsu", scale=80).binary
    kept, _ = digit_blobs(close_gaps(binary, 80))
    assert len(kept) == 1
    x, y, w, h = kept[0].box
    assert abs(x - box[0]) <= 3 and abs(y - box[1]) <= 3
    assert abs(w - box[2]) <= 5 and abs(h - box[3]) <= 5
    assert kept[0].mask.shape == (h, w)


def test_border_small_wide_and_hairline_blobs_are_rejected():
    binary = binary_with([
        lambda im: cv2.rectangle(im, (0, 100), (20, 150), 255, -1),  # touches the edge
        lambda im: cv2.circle(im, (200, 50), 2, 255, -1),  # a speck
        lambda im: cv2.line(im, (40, 200), (280, 200), 255, 3),  # a ruled line
        lambda im: cv2.circle(im, (150, 110), 25, 255, 5),  # the one real candidate
    ])
    kept, rejected = digit_blobs(binary)
    assert [c.box for c in kept] == [(122, 82, 57, 57)]  # radius 25 + half the pen
    assert sorted(r.reason for r in rejected) == ["at the border", "line-shaped", "too small"]


def test_border_scales_with_the_frame():
    # The same blob 30 px from the edge: kept in a small frame with a 5% border (12 px),
    # rejected in a frame four times larger (48 px).
    small = np.zeros((240, 320), np.uint8)
    cv2.circle(small, (60, 120), 25, 255, 5)
    large = np.zeros((960, 1280), np.uint8)
    cv2.circle(large, (60, 480), 25, 255, 5)
    assert len(digit_blobs(small)[0]) == 1
    assert len(digit_blobs(large)[0]) == 0


def test_closing_gaps_leaves_the_frames_edge_alone():
    """A big digit a few pixels short of the frame's edge, closed with a kernel wider
    than that gap: no spur grows from it to the edge (OpenCV's own border did that, and
    the digit was thrown out as "at the border"); ink that touches the edge still does."""
    binary = np.zeros((400, 300), np.uint8)
    cv2.rectangle(binary, (60, 30), (240, 90), 255, -1)  # a thick top stroke, 30 px down
    cv2.rectangle(binary, (0, 380), (40, 399), 255, -1)  # ink cut by the frame's edge
    closed = close_gaps(binary, 1600)  # a kernel of 101 px
    assert not closed[:30].any()
    assert closed[380:, :41].all()
    assert np.count_nonzero(closed) >= np.count_nonzero(binary)  # a closing only adds


def _nine(binary: np.ndarray, x: int, loop_width: int, gap: int = 0) -> None:
    """A thick 9 (pen 8 px, 100 px tall) at column `x`: a loop `loop_width` px wide
    inside, a stem below it cut by a pen skip `gap` px long."""
    cv2.ellipse(binary, (x, 80), (loop_width // 2 + 4, 16), 0, 0, 360, 255, 8)
    cv2.line(binary, (x + loop_width // 2 + 4, 80), (x + loop_width // 2 + 4, 170), 255, 8)
    if gap:
        binary[120 : 120 + gap, x : x + loop_width + 16] = 0  # the stem only


def test_closing_bridges_a_skip_but_keeps_a_narrow_loop_open():
    """A kernel of 7 px (digits 100 px tall) bridges a 5-px pen skip, and would fill a
    loop 4 px wide: the loop is a digit's, not a gap, and is opened again."""
    binary = np.zeros((240, 320), np.uint8)
    _nine(binary, 100, loop_width=4, gap=5)
    assert gap_kernel(100) == 7
    closed = close_gaps(binary, 100)
    assert closed[120:125, 106].all()  # the skip in the stem is bridged (its middle)
    loop = (binary[64:97, 90:111] == 0) & (cv2.floodFill(
        binary.copy(), None, (0, 0), 255)[1][64:97, 90:111] == 0)
    assert loop.sum() > 20  # the drawing has a loop
    # Kept open but for its sharp tips (where a 3-px closing, the smallest, fills it).
    assert np.mean(closed[64:97, 90:111][loop] == 0) > 0.8
    # Without the loops taken back, this kernel fills it.
    filled = cv2.morphologyEx(binary, cv2.MORPH_CLOSE,
                              cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7)))
    assert filled[64:97, 90:111][loop].all()


def test_closing_still_bridges_skips_on_a_sheet_that_texture_encloses():
    """The paper of a sheet amid a darker surround is a hole in the ink too, but far
    larger than a digit: the skips of the digits on it are still bridged."""
    binary = np.zeros((400, 400), np.uint8)
    cv2.rectangle(binary, (10, 10), (389, 389), 255, 12)  # the surround, all around
    _nine(binary, 150, loop_width=20, gap=5)
    enclosed = cv2.floodFill(binary.copy(), None, (0, 0), 255)[1]
    assert enclosed[120, 160] == 0  # the sheet's paper is a hole in the ink
    closed = close_gaps(binary, 100)
    assert closed[120:125, 164].all()
    # Taken for a loop (any width), the sheet's paper would keep the skip open.
    assert not close_gaps(binary, 100, loop_width=1000)[120:125, 164].all()


def test_a_neighbours_stroke_does_not_leak_into_the_mask():
    binary = binary_with([
        lambda im: cv2.circle(im, (150, 110), 30, 255, 5),
        lambda im: cv2.line(im, (195, 70), (195, 150), 255, 5),
    ])
    kept, _ = digit_blobs(binary)
    ring = max(kept, key=lambda c: c.box[2])
    x, _, w, h = ring.box
    assert x + w < 195  # the ring's box does not reach the line
    assert ring.mask[h // 2, w // 2] == 0  # the hole stays empty


# --- normalize ------------------------------------------------------------------------

def test_crop_is_mnist_shaped():
    mask = np.zeros((90, 40), np.uint8)
    cv2.rectangle(mask, (5, 5), (34, 84), 255, 6)  # a tall box: 30 wide, 80 high
    crop = mnist_crop(mask)
    assert crop.shape == (28, 28) and crop.dtype == np.uint8
    ys, xs = np.nonzero(crop > 30)
    assert 19 <= np.ptp(ys) + 1 <= 21  # the longer side fills the 20-px box
    assert np.ptp(xs) + 1 < 12  # and the aspect ratio is kept
    moments = cv2.moments(crop)
    assert abs(moments["m10"] / moments["m00"] - 14) < 0.6
    assert abs(moments["m01"] / moments["m00"] - 14) < 0.6


def test_thin_strokes_are_thickened_to_mnist_width():
    mask = np.zeros((400, 400), np.uint8)
    cv2.circle(mask, (200, 200), 150, 255, 3)  # a 3-px pen on a 300-px digit
    crop = mnist_crop(mask)
    binary = (crop > 127).astype(np.uint8) * 255
    assert 1.5 <= stroke_width(binary) <= 4.5
    assert np.count_nonzero(crop > 127) > 40  # not a faint hairline


def test_an_enlarged_mnist_digit_comes_back_as_itself(mnist_test, classifier):
    x, y = mnist_test
    right = 0
    for image, label in zip(x[:50], y[:50], strict=True):
        big = cv2.resize(image, (112, 112), interpolation=cv2.INTER_CUBIC)
        mask = ((big > 127) * 255).astype(np.uint8)
        right += classifier.classify(mnist_crop(mask))[0].digit == label
    assert right >= 48


def test_empty_mask_gives_an_empty_crop():
    assert not mnist_crop(np.zeros((10, 10), np.uint8)).any()


# --- numbers --------------------------------------------------------------------------

def test_a_bar_beside_a_digit_on_its_line_stands_in_a_number():
    digit = (200, 100, 30, 50)  # a 3 shown
    bars = [(165, 102, 8, 48),  # 0.54 heights to its left: a 1 of its number
            (275, 100, 8, 50),  # 0.9 heights to its right: still
            (290, 100, 8, 50),  # 1.2 heights away: a bar of its own
            (150, 160, 8, 48),  # on the next line
            (240, 110, 4, 20),  # far shorter (a tick, a speck)
            (210, 100, 8, 50)]  # inside the 3's box, not beside it
    boxes = [digit, *bars]
    shown = [True] + [False] * 6
    assert beside_a_digit(boxes, shown, reach=1.0).tolist() == [
        False, True, True, False, False, False, False]
    # Only the boxes asked about are answered; only the digits shown count.
    assert beside_a_digit(boxes, shown, 1.0, asked=[False, False, True] + [False] * 4
                          ).tolist() == [False, False, True] + [False] * 4
    assert not beside_a_digit(boxes, [False] * 7, reach=1.0).any()


def test_digits_side_by_side_form_one_number():
    boxes = [(100, 50, 30, 50), (135, 52, 28, 48), (168, 50, 30, 50), (203, 49, 31, 51)]
    numbers = group_numbers([2, 0, 2, 4], boxes)
    assert [n.text for n in numbers] == ["2024"]
    assert numbers[0].box == (100, 49, 134, 51)


def test_a_space_separates_numbers_and_lines_are_read_top_down():
    boxes = [(300, 200, 30, 50), (50, 50, 30, 50), (85, 50, 30, 50), (200, 52, 30, 50),
             (50, 200, 30, 50)]
    numbers = group_numbers([9, 1, 2, 3, 8], boxes)
    assert [n.text for n in numbers] == ["12", "3", "8", "9"]
    assert group_lines(boxes) == [[1, 2, 3], [4, 0]]


def test_a_slightly_tilted_line_is_still_one_line():
    boxes = [(50 + 40 * i, 100 + 6 * i, 34, 50) for i in range(5)]
    assert [n.text for n in group_numbers([1, 2, 3, 4, 5], boxes)] == ["12345"]


@pytest.mark.parametrize("slope", [-12, -6, 6, 12])  # px down a 40-px step: to 17 degrees
def test_a_long_line_at_a_slant_is_one_line_and_the_next_line_another(slope):
    # Ten digits: the line's ends lie far more than a digit's height apart (a page
    # filmed turned a little); a second line 80 px below.
    first = [(50 + 40 * i, 300 + slope * i, 34, 50) for i in range(10)]
    second = [(x, y + 80, w, h) for x, y, w, h in first]
    numbers = group_numbers([7] * 10 + [3] * 10, first + second)
    assert [n.text for n in numbers] == ["7" * 10, "3" * 10]
    # A short line above a long one: the long line rises (or falls) past the height
    # where the short one ended, and keeps its digits.
    short = first[:2]
    long = [(50 + 40 * i, 380 + slope * i, 34, 50) for i in range(12)]
    numbers = group_numbers([0] * 2 + [1] * 12, short + long)
    assert [n.text for n in numbers] == ["00", "1" * 12]


# --- broken, touching and ruled ---------------------------------------------------------

from mnist_live.candidates import (  # noqa: E402
    Candidate,
    PairGeometry,
    attached_pieces,
    fragment_groups,
    merge,
    piece_pairs,
    remove_ruled_lines,
    skip_pairs,
    split_touching,
)
from mnist_live.pipeline import DigitReader  # noqa: E402
from mnist_live.scenes import make_scene  # noqa: E402


def test_pieces_one_above_the_other_group_and_side_by_side_digits_do_not():
    top, bottom = (100, 50, 12, 30), (101, 84, 12, 28)  # a 1 cut in two
    left, right = (200, 50, 25, 60), (232, 50, 25, 60)  # two digits side by side
    boxes = [top, bottom, left, right]
    geometry = PairGeometry(boxes)
    pieces = piece_pairs(geometry, height=60)
    assert pieces[0, 1] and pieces[1, 0]
    assert not pieces[2, 3]
    assert fragment_groups(boxes, pieces, 60) == [frozenset({0, 1})]


def test_a_small_piece_on_top_of_a_digit_is_never_a_digit_of_its_own():
    body, bar, neighbour = (100, 70, 40, 50), (110, 55, 25, 10), (150, 70, 40, 50)
    geometry = PairGeometry([body, bar, neighbour])
    assert attached_pieces(geometry, piece_pairs(geometry, 55)) == {1}


def test_merge_bridges_the_gap_between_pieces():
    top = Candidate((10, 10, 6, 20), np.full((20, 6), 255, np.uint8))
    bottom = Candidate((10, 36, 6, 20), np.full((20, 6), 255, np.uint8))
    joined = merge([top, bottom])
    assert joined.box == (10, 10, 6, 46)
    assert joined.mask[23, 3] == 255  # inside the gap, now ink


def test_two_touching_digits_split_into_two():
    mask = np.zeros((60, 116), np.uint8)
    cv2.circle(mask, (28, 30), 24, 255, 5)
    cv2.circle(mask, (88, 30), 24, 255, 5)
    cv2.line(mask, (50, 30), (66, 30), 255, 3)  # the pen ran on from one to the next
    halves = split_touching(Candidate((0, 0, 116, 60), mask))
    assert halves is not None
    left, right = halves
    assert left.box[0] + left.box[2] <= 67 and right.box[0] >= 50


def test_one_digit_is_not_split():
    mask = np.zeros((60, 50), np.uint8)
    cv2.circle(mask, (25, 30), 24, 255, 5)
    assert split_touching(Candidate((0, 0, 50, 60), mask)) is None


def test_ruled_lines_go_and_the_digit_stays():
    binary = np.zeros((240, 320), np.uint8)
    cv2.line(binary, (0, 100), (319, 100), 255, 2)  # a ruled line
    cv2.line(binary, (40, 0), (40, 239), 255, 2)  # a margin
    cv2.circle(binary, (160, 100), 25, 255, 5)  # a 0 sitting on the line
    cleaned = remove_ruled_lines(binary, digit_height=50)
    assert cleaned[100, 300] == 0 and cleaned[200, 40] == 0
    assert cleaned[125, 160] == 255 and cleaned[75, 160] == 255
    assert cleaned[100, 135] == 255  # where the ring crosses the line, it is mended
    # A page without long lines is left exactly as it was.
    plain = np.zeros((240, 320), np.uint8)
    cv2.circle(plain, (160, 100), 25, 255, 5)
    assert remove_ruled_lines(plain, 50) is plain


def test_a_solid_area_is_no_ruled_line():
    # A dark silhouette (a sleeve, a black desk, a horse) crossed by a ruled line: each
    # of its rows and columns is as long as a line. Erasing it would leave its ragged
    # edges as bars, each one a 1; it stays whole, and the thin line still goes.
    binary = np.zeros((240, 320), np.uint8)
    shape = np.array([[60, 80], [300, 90], [290, 230], [150, 200], [70, 239]], np.int32)
    cv2.fillPoly(binary, [shape], 255)
    cv2.line(binary, (0, 150), (319, 150), 255, 2)  # the line runs into it and out
    cleaned = remove_ruled_lines(binary, digit_height=30)
    assert cleaned[150, 20] == 0 and cleaned[150, 310] == 0
    inside = cv2.erode(binary, np.ones((9, 9), np.uint8)) > 0
    assert inside[150].any() and cleaned[inside].all()
    count = cv2.connectedComponents(cleaned)[0] - 1
    assert count == 1  # the silhouette, in one piece


def test_a_bold_rule_across_big_digits_is_still_a_line():
    # A rule 9 px thick (thicker than the mend) across digits 80 px tall (a big page, or
    # one close to the camera): thinner than ruled_line_thickest of their height, a
    # line; taken out, the digits stay apart. Thicker than the mend, it leaves each
    # ring in two halves, for the joins of pieces to put together.
    binary = np.zeros((300, 400), np.uint8)
    for x in (70, 200, 330):
        cv2.circle(binary, (x, 150), 38, 255, 8)
    cv2.line(binary, (0, 150), (399, 150), 255, 7)  # drawn 9 rows thick
    cleaned = remove_ruled_lines(binary, digit_height=80)
    assert cleaned[150, 10] == 0 and cleaned[150, 135] == 0
    assert cv2.connectedComponents(cleaned)[0] - 1 == 6


def test_broken_digits_are_read_once_and_their_bits_not_as_digits(classifier):
    # Pages of broken strokes nobody tuned for: few reports on no true digit (a bit
    # cut off a digit read as an extra 1 or 0), and most digits read.
    reader = DigitReader(classifier)
    stray = true = read = 0
    for seed in range(30500, 30512):
        scene = make_scene("broken", seed)
        digits = reader.read(scene.image).digits
        true += len(scene.digits)
        matched = [any(iou(d.box, t.box) >= 0.4 for t in scene.digits) for d in digits]
        stray += matched.count(False)
        read += sum(any(iou(d.box, t.box) >= 0.4 and d.digit == t.digit for d in digits)
                    for t in scene.digits)
    assert stray <= 0.03 * true
    assert read >= 0.9 * true


def test_a_broken_digit_is_read_as_one(mnist_test, classifier):
    x, y = mnist_test
    index = int(np.flatnonzero(y == 1)[0])
    page = np.full((240, 320), 220, np.uint8)
    box = paste_digit(page, x[index], 140, 60, 100)
    page[box[1] + 45 : box[1] + 52, :] = 220  # the pen skipped: a 7-px gap across the 1
    reading = DigitReader(classifier).read(page)
    assert [d.digit for d in reading.digits] == [1]
    found = reading.digits[0].box
    assert abs(found[1] - box[1]) <= 3 and abs(found[3] - box[3]) <= 4


def four_with_its_arm_apart(page: np.ndarray, gap: int) -> None:
    """A 4 drawn in two strokes whose bar stops `gap` px short of the stem."""
    cv2.line(page, (132, 80), (120, 118), 40, 5)  # the arm, down and to the left
    cv2.line(page, (120, 118), (152 - gap, 118), 40, 5)  # the bar, heading at the stem
    cv2.line(page, (152, 76), (152, 140), 40, 5)  # the stem, on its own
    cv2.line(page, (152, 118), (160, 118), 40, 5)  # the bar's end past the stem


def test_a_piece_heading_at_its_neighbour_across_a_pen_skip_joins_it(classifier):
    page = np.full((240, 320), 220, np.uint8)
    four_with_its_arm_apart(page, gap=12)
    reading = DigitReader(classifier).read(page)
    assert [d.digit for d in reading.digits] == [4]
    x, _, w, _ = reading.digits[0].box
    assert x <= 119 and x + w >= 159  # arm and stem in one box


def test_digits_side_by_side_are_not_pen_skips():
    # Upright 1s side by side end pointing up and down, never at each other.
    boxes, blobs = [], []
    for x in (100, 125):
        mask = np.zeros((60, 8), np.uint8)
        mask[:, 1:7] = 255
        blobs.append(Candidate((x, 50, 8, 60), mask))
        boxes.append((x, 50, 8, 60))
    geometry = PairGeometry(boxes)
    pieces = piece_pairs(geometry, 60)
    assert not skip_pairs(blobs, geometry, pieces, 60, reach=12).any()
    # A bar that stops short of the 1 beside it, heading at it, is a pen skip.
    bar = np.zeros((8, 14), np.uint8)
    bar[1:7, :] = 255
    blobs[0] = Candidate((108, 80, 14, 8), bar)
    geometry = PairGeometry([b.box for b in blobs])
    pieces = piece_pairs(geometry, 60)
    assert skip_pairs(blobs, geometry, pieces, 60, reach=12)[0, 1]

def test_digits_on_lined_paper_are_read(mnist_test, classifier):
    x, y = mnist_test
    page = np.full((240, 480), 225, np.uint8)
    truth = []
    for k, index in enumerate([3, 2, 1]):  # MNIST test digits 0, 1, 2... labels below
        paste_digit(page, x[index], 60 + 120 * k, 70, 70)
        truth.append(int(y[index]))
    for row in range(20, 240, 36):
        cv2.line(page, (0, row), (479, row), 150, 2)
    reading = DigitReader(classifier).read(page)
    assert [d.digit for d in reading.digits] == truth


def test_on_a_crowded_line_a_half_digit_space_separates_numbers():
    # Digits 3 px apart inside numbers, numbers 18 px (half a digit) apart.
    xs, boxes = 10, []
    for length in (3, 2, 4):
        for _ in range(length):
            boxes.append((xs, 50, 30, 36))
            xs += 33
        xs += 15
    numbers = group_numbers([1] * len(boxes), boxes)
    assert [n.text for n in numbers] == ["111", "11", "1111"]


def test_digits_spaced_evenly_are_one_number_and_far_apart_are_not():
    boxes = [(10 + 90 * i, 50, 40, 55) for i in range(5)]  # test.jpg's spacing
    assert [n.text for n in group_numbers([0, 1, 2, 3, 4], boxes)] == ["01234"]
    boxes = [(10 + 130 * i, 50, 40, 55) for i in range(3)]  # more than 2 digits apart
    assert len(group_numbers([0, 1, 2], boxes)) == 3


def test_a_grid_of_dashes_proposes_a_bounded_number_of_joins():
    # Graph paper or a page of print: thousands of sets of nearby marks could be
    # "pieces of one digit"; only a bounded number are proposed.
    boxes = [(20 + 14 * i, 20 + 7 * j, 8, 4) for i in range(30) for j in range(30)]
    geometry = PairGeometry(boxes)
    groups = fragment_groups(boxes, piece_pairs(geometry, 30), 30)
    assert 0 < len(groups) <= 64


def _settings_classes(cls, seen=None):
    """The dataclass `cls` and every settings dataclass in its tree of fields."""
    import dataclasses
    import typing

    seen = seen if seen is not None else []
    if cls in seen:
        return seen
    seen.append(cls)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            _settings_classes(hints[f.name], seen)
    return seen


def test_every_reading_setting_lives_in_one_frozen_tree_with_a_docstring():
    """The pipeline's settings are one tree of frozen dataclasses (config.py), and each
    field says what it is in a docstring right below it: a newcomer finds every setting
    in one place, and what it means."""
    import ast
    import dataclasses
    import inspect
    import itertools
    import typing

    from mnist_live import config

    tree = ast.parse(inspect.getsource(config))
    bodies = {node.name: node.body for node in tree.body if isinstance(node, ast.ClassDef)}
    classes = _settings_classes(config.PipelineSettings)
    assert len(classes) >= 10  # scale, limits, hypotheses, ink, page, ... change
    undocumented = []
    for cls in classes:
        assert cls.__dataclass_params__.frozen, cls.__name__
        body = bodies[cls.__name__]
        documented = {
            statement.target.id for statement, after in itertools.pairwise(body)
            if isinstance(statement, ast.AnnAssign) and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)}
        hints = typing.get_type_hints(cls)
        undocumented += [f"{cls.__name__}.{f.name}" for f in dataclasses.fields(cls)
                         if f.name not in documented  # a subtree: its class says
                         and not dataclasses.is_dataclass(hints[f.name])]
    assert not undocumented, undocumented


def _attempt(readings, dark_ink: bool):
    """A read of a frame with these sure readings, (label, probability, box, ink
    explained), for the choice between polarities alone."""
    from types import SimpleNamespace

    from mnist_live import pipeline
    from mnist_live.config import PipelineSettings

    attempt = pipeline._Attempt(SimpleNamespace(binarized=SimpleNamespace(dark_ink=dark_ink)),
                                SimpleNamespace(read=[]), 1.0, PipelineSettings())
    attempt.__dict__["sure"] = [
        (SimpleNamespace(box=box), np.where(np.arange(10) == label, p, (1 - p) / 9))
        for label, p, box, _ in readings]
    attempt.__dict__["explained"] = [ink for *_, ink in readings]
    return attempt


def test_of_two_polarities_each_place_goes_to_the_read_with_more_ink_there():
    from mnist_live.pipeline import _the_pages_read

    digits = [(3, 0.996, (10, 10, 40, 60), 900), (0, 0.996, (60, 10, 40, 60), 900),
              (5, 0.996, (110, 10, 40, 60), 900)]
    # A blob around three digits of the other read, with less ink than the three: the
    # digits have their places, and the read the model vouches for more wins.
    light = _attempt([(7, 0.9, (0, 0, 300, 100), 2000)], dark_ink=False)
    dark = _attempt(digits, dark_ink=True)
    assert _the_pages_read([light, dark]) is dark
    # A big digit whose two loops the other read takes for 0s as sure as it: the
    # loops explain less ink, so the digit keeps its place.
    loops = _attempt([(0, 0.996, (20, 20, 40, 40), 300), (0, 0.996, (20, 70, 40, 40), 300)],
                     dark_ink=False)
    eight = _attempt([(8, 0.98, (0, 0, 80, 120), 5000)], dark_ink=True)
    assert _the_pages_read([loops, eight]) is eight
    # Different places: the read the model vouches for more wins, whatever its ink.
    highlights = _attempt([(1, 0.8, (300, 300, 40, 90), 9000),
                           (7, 0.75, (400, 300, 60, 90), 9000)], dark_ink=False)
    assert _the_pages_read([highlights, dark]) is dark
