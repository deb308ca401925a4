"""The scene generator: repeatable, with true boxes that hold exactly the ink drawn;
and the reference pipeline's re-implementation, run on scenes and on test.jpg."""

import itertools

import cv2
import numpy as np
import pytest

from mnist_live import config, scenes
from mnist_live.bench import sets
from mnist_live.bench.__main__ import main as bench_main
from mnist_live.bench.reference import ReferenceReader, reference_model_path
from mnist_live.bench.scoring import score_image

DATA = config.data_dir()


@pytest.fixture(scope="module", autouse=True)
def shared_data():
    """Fail, never skip, when the shared data is missing: a skipped test proves nothing."""
    for name in ("mnist.npz", "test.jpg", "reference_mnist.tflite"):
        if not (DATA / name).is_file():
            pytest.fail(f"{name} not found in {DATA}; set {config.DATA_DIR_ENV}")

SEEDS = (0, 1)
WARPED = {"rough"}  # boxes follow a perspective warp: allow rounding


@pytest.fixture(scope="module", params=scenes.CATEGORIES)
def category_scenes(request):
    return [scenes.make_scene(request.param, seed) for seed in SEEDS]


def test_same_seed_same_scene_other_seed_other_scene():
    for category in scenes.CATEGORIES:
        a, b = scenes.make_scene(category, 5), scenes.make_scene(category, 5)
        assert np.array_equal(a.image, b.image), category
        assert a.digits == b.digits and a.numbers == b.numbers, category
        c = scenes.make_scene(category, 6)
        assert not np.array_equal(a.image, c.image), category


def test_categories_differ_for_one_seed():
    first = scenes.make_scene(scenes.CATEGORIES[0], 0)
    for category in scenes.CATEGORIES[1:]:
        assert scenes.make_scene(category, 0).digits != first.digits


def test_image_is_a_bgr_frame_of_the_category_size(category_scenes):
    for scene in category_scenes:
        width, height = (1280, 720) if scene.category == "hd" else (640, 480)
        assert scene.image.shape == (height, width, 3)
        assert scene.image.dtype == np.uint8
        assert scene.ink.shape == (height, width)


def test_boxes_lie_inside_the_frame(category_scenes):
    for scene in category_scenes:
        height, width = scene.image.shape[:2]
        assert scene.digits
        for digit in scene.digits:
            x, y, w, h = digit.box
            assert x >= 0 and y >= 0 and w > 0 and h > 0
            assert x + w <= width and y + h <= height


def test_boxes_are_tight_around_the_drawn_ink(category_scenes):
    for scene in category_scenes:
        slack = 2 if scene.category in WARPED else 0
        covered = np.zeros(scene.ink.shape, bool)
        for digit in scene.digits:
            x, y, w, h = digit.box
            inside = scene.ink[y : y + h, x : x + w]
            # Each edge of the box touches ink (alpha >= 0.5 is 128 in the uint8 map)...
            edges = [inside[: slack + 1], inside[-slack - 1 :],
                     inside[:, : slack + 1], inside[:, -slack - 1 :]]
            for edge in edges:
                assert (edge >= 128).any(), (scene.category, scene.seed, digit)
            grown = (max(0, x - slack), max(0, y - slack), x + w + slack, y + h + slack)
            covered[grown[1] : grown[3], grown[0] : grown[2]] = True
        # ...and no ink lies outside every box.
        assert not ((scene.ink >= 129) & ~covered).any(), (scene.category, scene.seed)


def test_digits_do_not_overlap(category_scenes):
    for scene in category_scenes:
        if scene.category in WARPED:
            continue
        for a, b in itertools.combinations(scene.digits, 2):
            ax, ay, aw, ah = a.box
            bx, by, bw, bh = b.box
            apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
            assert apart, (scene.category, scene.seed, a, b)


def test_only_mnist_test_digits_are_drawn(category_scenes):
    _, labels = scenes.mnist_test_digits()
    for scene in category_scenes:
        for digit in scene.digits:
            assert 0 <= digit.mnist_index < len(labels)
            assert digit.digit == labels[digit.mnist_index]


def test_numbers_are_runs_of_digits_with_their_joint_box(category_scenes):
    for scene in category_scenes:
        assert "".join(n.text for n in scene.numbers) == "".join(
            str(d.digit) for d in scene.digits
        )
        digits = iter(scene.digits)
        for number in scene.numbers:
            members = [next(digits) for _ in number.text]
            assert number.box == scenes.union_box([d.box for d in members])
            # Left to right, and closer to each other than to the next number.
            for left, right in itertools.pairwise(members):
                assert left.box[0] + left.box[2] <= right.box[0] + 2


def test_numbers_are_spaced_wider_than_their_digits():
    for seed in range(3):
        scene = scenes.make_scene("clean", seed)
        inner, between = [], []
        digits = iter(scene.digits)
        rows = []
        for number in scene.numbers:
            members = [next(digits) for _ in number.text]
            inner += [b.box[0] - (a.box[0] + a.box[2]) for a, b in itertools.pairwise(members)]
            rows.append(number.box)
        for a, b in itertools.pairwise(rows):
            if abs(a[1] + a[3] - (b[1] + b[3])) < 10:  # same row
                between.append(b[0] - (a[0] + a[2]))
        assert max(inner) < min(between)


def test_crowded_has_20_to_30_digits():
    for seed in range(6):
        count = len(scenes.make_scene("crowded", seed).digits)
        assert 20 <= count <= 30


def test_small_digits_are_20_to_35_pixels_high():
    for seed in range(3):
        for digit in scenes.make_scene("small_thin", seed).digits:
            # The ink height is 20-35 before the few degrees of rotation every page has.
            assert 19 <= digit.box[3] <= 40, digit


def test_tilted_digits_are_rotated():
    # A rotated digit's box is wider than the upright one: compare with "clean" widths
    # relative to height, over a few pages.
    def mean_aspect(category):
        boxes = [d.box for seed in range(3) for d in scenes.make_scene(category, seed).digits]
        return np.mean([w / h for _, _, w, h in boxes])

    assert mean_aspect("tilted") > mean_aspect("clean") + 0.05


def test_chalk_is_light_ink_on_a_dark_board():
    scene = scenes.make_scene("chalk", 0)
    gray = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY)
    ink = scene.ink >= 200
    assert gray[ink].mean() > gray[scene.ink == 0].mean() + 60


def test_video_frames_shake_by_at_most_two_pixels_and_keep_the_truth():
    scene = scenes.make_scene("clean", 0)
    frames = list(scenes.render_video_frames(scene, 5, seed=1))
    again = list(scenes.render_video_frames(scene, 5, seed=1))
    assert len(frames) == 5
    for frame, repeat in zip(frames, again, strict=True):
        assert np.array_equal(frame.image, repeat.image)
        assert frame.image.shape == scene.image.shape
        dx, dy = frame.shift
        assert abs(dx) <= 2 and abs(dy) <= 2
        for moved, still in zip(frame.digits, scene.digits, strict=True):
            assert moved.digit == still.digit
            assert moved.box == (still.box[0] + dx, still.box[1] + dy, *still.box[2:])
    assert len({f.shift for f in frames}) > 1


def test_scene_truth_has_the_photos_format():
    truth = scenes.scene_truth(scenes.make_scene("clean", 0))
    assert {"tier", "source", "digits", "numbers"} <= truth.keys()
    assert set(truth["digits"][0]) == {"digit", "box"}


# --- The reference pipeline ----------------------------------------------------------


def test_reference_reads_a_small_scene():
    scene = scenes.make_scene("clean", 0)
    reading = ReferenceReader().read(scene.image)
    for detection in reading.digits:
        assert 0 <= detection.digit <= 9
        assert detection.confidence >= 0.7
        assert len(detection.box) == 4
    assert score_image(scene.digits, reading.digits).read > 0


def test_reference_reads_nothing_on_a_chalk_board():
    # Global Otsu with BINARY_INV turns the dark board white: one huge blob.
    scene = scenes.make_scene("chalk", 0)
    reading = ReferenceReader().read(scene.image)
    assert score_image(scene.digits, reading.digits).read == 0


def test_reference_reproduces_its_published_output_on_test_jpg():
    # The reference's README prints these boxes for test.jpg, e.g. "[8] at x=373, y=282,
    # w=42, h=43 (99.861%)": same steps, same model, same result.
    [item] = sets.test_jpg()
    image, truth = item.load()
    reading = ReferenceReader().read(image)
    found = {d.digit: (d.box, d.confidence) for d in reading.digits}
    assert sorted(found) == list(range(10))
    assert {d.digit: d.box for d in truth} == {d: box for d, (box, _) in found.items()}
    assert found[8][1] == pytest.approx(0.99861, abs=5e-5)


# --- The bench command ---------------------------------------------------------------


def test_bench_read_prints_a_table_and_dumps_failures(tmp_path, capsys):
    status = bench_main([
        "read", "--only", "scenes", "--categories", "chalk", "--scenes-per-category", "1",
        "--dump-failures", str(tmp_path / "failures"), "--json", str(tmp_path / "r.json"),
    ])
    assert status == 0
    out = capsys.readouterr().out
    assert "scenes/chalk" in out and "REFERENCE" in out
    assert list((tmp_path / "failures" / "reference" / "scenes" / "chalk").glob("*.jpg"))
    assert (tmp_path / "r.json").is_file()


def test_ours_is_our_pipeline_with_the_given_model():
    from mnist_live.bench import readers
    from mnist_live.pipeline import DigitReader

    ours = readers.our_reader(reference_model_path())
    assert isinstance(ours.reader, DigitReader)
    assert ours.model_path == reference_model_path()


def test_a_panned_page_drifts_within_its_limit_and_keeps_the_truth():
    scene = scenes.make_scene("clean", 0)
    frames = list(scenes.render_video_frames(scene, 60, seed=2, pan=3))
    shifts = np.array([f.shift for f in frames])
    assert np.abs(shifts).max() > 2  # it drifts beyond a shake...
    assert np.abs(shifts).max() <= scenes.PAN_LIMIT + 2  # ...but stays in view
    ink = scene.ink >= 200
    for frame in frames[::10]:
        dx, dy = frame.shift
        gray = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY)
        # The page's ink is where the shift says.
        moved_ink = np.roll(np.roll(ink, dy, axis=0), dx, axis=1)[40:-40, 40:-40]
        paper = np.roll(np.roll(scene.ink == 0, dy, axis=0), dx, axis=1)[40:-40, 40:-40]
        inner = gray[40:-40, 40:-40]
        assert inner[moved_ink].mean() < inner[paper].mean() - 60
        for moved, still in zip(frame.digits, scene.digits, strict=True):
            assert moved.box[:2] == (still.box[0] + dx, still.box[1] + dy)


@pytest.mark.parametrize(("size", "height"), [((640, 480), 18), ((640, 480), 432),
                                                ((320, 240), 120)])
def test_a_lone_digit_is_as_tall_as_asked_near_the_middle(size, height):
    _, labels = scenes.mnist_test_digits()
    scene = scenes.make_lone_digit(size, height, index=7, seed=3)
    assert scene.image.shape == (size[1], size[0], 3)
    [digit] = scene.digits
    assert digit.digit == labels[7] and digit.mnist_index == 7
    x, y, w, h = digit.box
    assert abs(h - height) <= max(2, 0.03 * height)  # the stroke's edge may add a pixel
    assert x >= scenes.GLYPH_PAD and x + w <= size[0] - scenes.GLYPH_PAD
    assert y >= scenes.GLYPH_PAD and y + h <= size[1] - scenes.GLYPH_PAD
    centre_x, centre_y = x + w / 2, y + h / 2
    assert abs(centre_x - size[0] / 2) <= 0.15 * size[0] + 1
    assert abs(centre_y - size[1] / 2) <= 0.15 * size[1] + 1
    # All the ink is the digit's: none outside its box.
    outside = scene.ink.copy()
    outside[y : y + h, x : x + w] = 0
    assert outside.max() < 128 and scene.ink[y : y + h, x : x + w].max() >= 128


def test_a_lone_digit_too_wide_for_the_frame_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        scenes.make_lone_digit((200, 400), 380, index=7)
