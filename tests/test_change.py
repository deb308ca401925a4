"""change.py and the live reader's shortcut: a still page is not read again each frame,
and anything that changes the page is read at once."""

from __future__ import annotations

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest

from mnist_live.bench import speed
from mnist_live.binarize import to_gray
from mnist_live.change import ChangeDetector, profile_shift
from mnist_live.config import ChangeSettings
from mnist_live.live import SteadyReader
from mnist_live.pipeline import DigitDetection, DigitReader
from mnist_live.scenes import make_scene, render_video_frames
from mnist_live.tracking import DigitTracker


def filmed(category: str, seed: int, count: int) -> list[np.ndarray]:
    scene = make_scene(category, seed)
    return [to_gray(f.image) for f in render_video_frames(scene, count, seed=seed)]


@pytest.mark.parametrize("category", ["clean", "small_thin", "chalk", "uneven_light"])
def test_noise_drift_and_shake_are_not_changes(category):
    frames = filmed(category, 3, 12)
    detector = ChangeDetector(ChangeSettings(reread_every=100))
    detector.remember(frames[0])
    assert [detector.needs_reading(f) for f in frames[1:]] == [False] * 11


def test_a_still_page_is_read_again_every_n_frames():
    frames = filmed("clean", 4, 10)
    detector = ChangeDetector(ChangeSettings(reread_every=4))
    decisions = []
    for frame in frames:
        decisions.append(detector.needs_reading(frame))
        if decisions[-1]:
            detector.remember(frame)
    assert decisions == [True, False, False, False, True, False, False, False, True, False]


@pytest.mark.parametrize("width", [2, 4])
@pytest.mark.parametrize("move", [0, 5])
def test_a_new_stroke_is_a_change(width, move):
    frames = filmed("clean", 5, 2)
    detector = ChangeDetector(ChangeSettings(reread_every=100))
    detector.remember(frames[0])
    assert not detector.needs_reading(frames[1])
    # The page moved a little (that alone is no change), and a short stroke as dark as
    # the page's ink was drawn on its paper.
    page = cv2.warpAffine(frames[1], np.float32([[1, 0, move], [0, 1, 0]]),
                          frames[1].shape[::-1], borderMode=cv2.BORDER_REPLICATE)
    assert not detector.needs_reading(page)
    ink = int(np.percentile(frames[0], 0.5))
    cv2.line(page, (40, 40), (46, 60), ink, width)
    assert detector.needs_reading(page)


@pytest.mark.parametrize("move", [(6, 0), (-5, 3), (0, -7), (3, 3)])
def test_a_small_move_is_followed_not_a_change(move):
    frames = filmed("clean", 13, 2)
    detector = ChangeDetector(ChangeSettings(reread_every=100))
    detector.remember(frames[0])
    assert not detector.needs_reading(frames[1])
    moved = cv2.warpAffine(frames[0], np.float32([[1, 0, move[0]], [0, 1, move[1]]]),
                           frames[0].shape[::-1], borderMode=cv2.BORDER_REPLICATE)
    assert not detector.needs_reading(moved)
    assert detector.shift == pytest.approx(move, abs=0.5)


def test_a_moved_page_a_new_page_and_a_new_size_are_changes():
    frames = filmed("clean", 6, 2)
    detector = ChangeDetector(ChangeSettings(reread_every=100))
    detector.remember(frames[0])
    moved = np.roll(frames[0], 12, axis=1)  # a pan of 12 px: beyond a shake
    assert detector.needs_reading(moved)
    assert detector.needs_reading(filmed("clean", 7, 1)[0])
    assert detector.needs_reading(cv2.resize(frames[1], (320, 240)))
    detector.forget()
    assert detector.needs_reading(frames[1])


@pytest.fixture
def reader(classifier):
    return DigitReader(classifier)


def test_steady_reader_reads_a_still_page_once_and_a_new_page_at_once(reader):
    page_a = [f.image for f in render_video_frames(make_scene("clean", 8), 6, seed=8)]
    page_b = [f.image for f in render_video_frames(make_scene("clean", 9), 6, seed=9)]
    steady = SteadyReader(reader)
    frames = [steady.read(f) for f in page_a + page_b]
    assert [f.fresh for f in frames] == [True] + [False] * 5 + [True] + [False] * 5
    assert steady.full_reads == 2
    # A frame that was not read shows the last full read, whole.
    assert ([(d.digit, d.confidence, d.track) for d in frames[3].digits]
            == [(d.digit, d.confidence, d.track) for d in frames[0].digits])
    assert [n.text for n in frames[3].numbers] == [n.text for n in frames[0].numbers]
    # Page B is read on its very first frame.
    assert [d.box for d in frames[6].digits] != [d.box for d in frames[5].digits]
    # Tracks age as if every frame had been read: page A's count every frame they were
    # shown in, and those page B does not cover go after the same number of frames.
    every = SteadyReader(reader, reuse=False)
    steady = SteadyReader(reader)
    for i, f in enumerate(page_a + page_b):
        expected, got = every.read(f), steady.read(f)
        if i == len(page_a) - 1:
            assert ({t.id: t.hits for t in steady.tracker.tracks}
                    == {t.id: t.hits for t in every.tracker.tracks})
        assert len(got.digits) == len(expected.digits), i
    assert every.full_reads == 12 and steady.full_reads == 2


def test_new_settings_and_the_binary_view_read_in_full(reader):
    frames = [f.image for f in render_video_frames(make_scene("clean", 10), 4, seed=10)]
    steady = SteadyReader(reader)
    assert steady.read(frames[0]).fresh
    assert not steady.read(frames[1]).fresh
    reader.settings = replace(reader.settings, threshold=150)  # the trackbar moved
    assert steady.read(frames[2]).fresh
    assert steady.read(frames[3], keep_steps=True).fresh  # the binary view needs steps


def test_shown_boxes_follow_a_shaking_page(reader):
    filmed_frames = list(render_video_frames(make_scene("clean", 11), 8, seed=11))
    steady = SteadyReader(reader)
    first = steady.read(filmed_frames[0].image)
    start = np.array(filmed_frames[0].shift)
    for frame in filmed_frames[1:]:
        live = steady.read(frame.image)
        assert not live.fresh
        dx, dy = np.array(frame.shift) - start  # the page's true move since the read
        for before, now in zip(first.digits, live.digits, strict=True):
            assert abs(now.box[0] - (before.box[0] + dx)) <= 1
            assert abs(now.box[1] - (before.box[1] + dy)) <= 1
            assert now.box[2:] == before.box[2:] and now.digit == before.digit


@pytest.mark.parametrize("shift", [-2, -1.5, -1, -0.5, 0, 0.25, 0.5, 1, 1.5, 2])
def test_profile_shift_finds_whole_and_fractional_moves(shift):
    rng = np.random.default_rng(0)
    old = cv2.GaussianBlur(rng.uniform(0, 255, (1, 200)).astype(np.float32), (15, 1), 0)[0]
    positions = np.arange(len(old), dtype=np.float32)
    new = np.interp(positions - shift, positions, old).astype(np.float32)
    assert profile_shift(old[None], new[None]) == pytest.approx(shift, abs=0.15)
    # Exposure drift: a gain and an offset do not move the page.
    assert profile_shift(old[None], 0.8 * new[None] + 20) == pytest.approx(shift, abs=0.15)


def test_after_a_new_page_the_shortcut_shows_what_reading_every_frame_shows(reader):
    # The speed benchmark's video: a new page every 25 frames. Right after a page
    # changes, the tracker still holds the old page's digits and labels smoothed
    # towards them; reading every frame clears them in a few frames, and so must the
    # shortcut, though it reads the new page only once.
    every, steady = SteadyReader(reader, reuse=False), SteadyReader(reader)
    for index, (image, _) in enumerate(speed.render_frames(100, seed=0)):
        expected, got = every.read(image), steady.read(image)
        if index % speed.FRAMES_PER_SCENE >= 5:
            assert got.digits, index
            assert sorted(d.digit for d in got.digits) == sorted(
                d.digit for d in expected.digits), index
    assert steady.full_reads == 4


def detections(seed: int, count: int) -> list[DigitDetection]:
    """Made-up detections: boxes on a grid, peaked or doubtful probabilities."""
    rng = np.random.default_rng(seed)
    found = []
    for k in range(count):
        probs = rng.dirichlet(np.full(10, 0.3)).astype(np.float32)
        box = (40 * (k % 8) + int(rng.integers(0, 3)), 60 * (k // 8), 20, 30)
        found.append(DigitDetection(int(probs.argmax()), float(probs.max()), box, probs))
    return found


@pytest.mark.parametrize("seed", range(8))
def test_repeat_does_what_update_with_the_same_detections_does(seed):
    old_page, new_page = detections(seed, 12), detections(seed + 100, 9)
    by_update, by_repeat = DigitTracker(0.7), DigitTracker(0.7)
    for tracker in (by_update, by_repeat):
        for _ in range(3):
            tracker.update(old_page)
        tracker.update(new_page)
    for _ in range(8):
        expected = by_update.update(new_page)
        by_repeat.repeat()
        # update() matches afresh, and may pair a track with a neighbour's detection
        # where repeat() keeps the last pairs: the same digits, confidences may differ.
        assert ([(d.digit, d.box, d.track) for d in by_repeat.shown()]
                == [(d.digit, d.box, d.track) for d in expected])
    # Once settled, repeating changes nothing shown, however often.
    for _ in range(100):
        if by_repeat.settled():
            break
        by_repeat.repeat()
    assert by_repeat.settled()
    shown = [(d.digit, d.track) for d in by_repeat.shown()]
    for _ in range(20):
        by_repeat.repeat()
    assert [(d.digit, d.track) for d in by_repeat.shown()] == shown


def test_settled_is_false_while_a_label_is_still_catching_up():
    tracker = DigitTracker(0.7)
    four, nine = np.zeros(10, np.float32), np.zeros(10, np.float32)
    four[4], nine[9] = 1.0, 1.0
    for _ in range(5):
        tracker.update([DigitDetection(4, 1.0, (10, 10, 20, 30), four)])
    tracker.update([DigitDetection(9, 1.0, (10, 10, 20, 30), nine)])
    assert tracker.shown()[0].digit == 4  # one frame of 9 is not enough to switch
    assert not tracker.settled()
    while not tracker.settled():
        tracker.repeat()
    assert tracker.shown()[0].digit == 9


@pytest.mark.parametrize("fresh", [True, False])
def test_json_line_is_the_json_of_to_json(reader, fresh):
    live = SteadyReader(reader).read(make_scene("clean", 12).image)
    live.fresh = fresh
    line = live.json_line(7, 1.23456)
    assert json.loads(line) == live.to_json(7, 1.23456)
    assert list(json.loads(line)) == ["frame", "time", "fresh", "digits", "numbers"]
    assert line == json.dumps(live.to_json(7, 1.23456))


@pytest.mark.parametrize("shape", [(1, 1), (9, 15), (479, 641), (120, 16), (720, 1280, 3)])
def test_frames_of_any_size_twice(reader, shape):
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, shape, dtype=np.uint8)
    steady = SteadyReader(reader)
    first, second = steady.read(frame), steady.read(frame.copy())
    assert first.fresh
    tiny = min(shape[:2]) < 52  # a thumbnail too small to compare: always read
    assert second.fresh == tiny
    assert [d.digit for d in second.digits] == [d.digit for d in first.digits]


@pytest.mark.parametrize("category", ["uneven_light", "small_thin", "chalk"])
def test_a_wiped_digit_is_a_change(category):
    # Ink that vanished counts as much as ink that appeared, also thin ink in a shadow.
    scene = make_scene(category, 2)
    before = [to_gray(f.image) for f in render_video_frames(scene, 3, seed=2)]
    for digit in scene.digits[:6]:
        x, y, w, h = digit.box
        region = np.zeros(scene.ink.shape, np.uint8)
        region[max(0, y - 3): y + h + 3, max(0, x - 3): x + w + 3] = 255
        ink = cv2.dilate(((scene.ink > 20) & (region > 0)).astype(np.uint8) * 255,
                         np.ones((5, 5), np.uint8))
        wiped = replace(scene, image=cv2.inpaint(scene.image, ink, 5, cv2.INPAINT_TELEA))
        after = [to_gray(f.image) for f in render_video_frames(wiped, 3, seed=2)]
        detector = ChangeDetector(ChangeSettings(reread_every=100))
        detector.remember(before[0])
        assert not detector.needs_reading(before[1])
        assert detector.needs_reading(after[2]), digit


@pytest.mark.parametrize("light", ["flat", "gradient"])
def test_blank_paper_is_not_read_again(light):
    # Nothing on the page to tell a move by: it has not moved.
    ramp = np.linspace(0.8, 1.1, 640)[None, :, None] if light == "gradient" else 1.0
    blank = (np.full((480, 640, 3), 200.0) * ramp).astype(np.uint8)
    scene = replace(make_scene("clean", 1), image=blank)
    frames = [to_gray(f.image) for f in render_video_frames(scene, 30, seed=1)]
    detector = ChangeDetector(ChangeSettings(reread_every=100))
    detector.remember(frames[0])
    assert not any(detector.needs_reading(f) for f in frames[1:])


def test_a_jump_of_light_is_a_change_and_said():
    frames = filmed("clean", 14, 2)
    detector = ChangeDetector(ChangeSettings(reread_every=100))
    detector.remember(frames[0])
    assert not detector.needs_reading(frames[1]) and not detector.light_jumped
    assert detector.needs_reading(cv2.convertScaleAbs(frames[1], alpha=0.5))
    assert detector.light_jumped


def test_turning_from_paper_to_a_board_reads_the_chalk_at_once(reader):
    paper = [f.image for f in render_video_frames(make_scene("clean", 1), 3, seed=1)]
    board_scene = make_scene("chalk", 2)
    board = [f.image for f in render_video_frames(board_scene, 3, seed=2)]
    steady = SteadyReader(reader)
    for frame in paper:
        steady.read(frame)
    first = steady.read(board[0])
    assert first.fresh and not first.reading.dark_ink
    assert len(first.digits) >= len(board_scene.digits) - 1
