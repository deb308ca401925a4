"""The scene generator: repeatable, with true boxes that hold exactly the ink drawn;
and the reference pipeline's re-implementation, run on scenes and on test.jpg."""

import itertools
import json

import cv2
import numpy as np
import pytest

from mnist_live import config, scenes
from mnist_live.bench import sets
from mnist_live.bench.__main__ import main as bench_main
from mnist_live.bench.reference import ReferenceReader, reference_model_path
from mnist_live.bench.scoring import score_image
from mnist_live.boxes import iou

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
        assert a.marks == b.marks, category
        c = scenes.make_scene(category, 6)
        assert not np.array_equal(a.image, c.image), category


def test_categories_differ_for_one_seed():
    first = scenes.make_scene(scenes.CATEGORIES[0], 0)
    for category in scenes.CATEGORIES[1:]:
        assert scenes.make_scene(category, 0).digits != first.digits


def test_image_is_a_bgr_frame_of_the_category_size(category_scenes):
    for scene in category_scenes:
        width, height = (1280, 720) if scene.category == "hd" else (640, 480)
        assert (width, height) == scenes.STYLES[scene.category].size
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


def test_the_first_ten_categories_draw_the_pages_they_always_drew():
    # Published figures are quoted against these pages: new categories go at the end
    # of CATEGORIES (a page's seed takes its category's index) and draw nothing from
    # the old categories' streams.
    assert scenes.CATEGORIES[:10] == ("clean", "uneven_light", "small_thin", "broken",
                                      "chalk", "lined", "rough", "tilted", "crowded", "hd")
    clean = scenes.make_scene("clean", 0)
    assert [d.mnist_index for d in clean.digits] == [2773, 4032, 8403, 6727, 5715, 792, 6231,
                                                     5803, 9453, 6202, 147, 3838, 8223]
    assert clean.digits[0].box == (54, 88, 70, 68)
    broken = scenes.make_scene("broken", 1)  # its cuts draw as many numbers as they need
    assert [d.digit for d in broken.digits] == [0, 1, 1, 5, 2, 1, 8, 4, 6]
    assert all(scene.marks == [] and scene.page is None for scene in (clean, broken))


# --- More ways to break a stroke -----------------------------------------------------

NEW_BROKEN = ("broken_narrow", "broken_wide", "broken_slanted", "broken_along",
              "broken_many", "broken_skip")


def _cut_and_whole(category: str, count: int = 30, gaps: int | None = None):
    """The first MNIST test digits drawn as `category` breaks them (with as many cuts
    as it makes at most, or `gaps`) and whole, with the same random draws: (cut, whole)
    ink masks."""
    style = scenes.STYLES[category]
    images, _ = scenes.mnist_test_digits()
    pairs = []
    for k in range(count):
        whole = scenes.render_digit(images[k], 50, np.random.default_rng(k), stroke_cut=0.45)
        cut = scenes.render_digit(images[k], 50, np.random.default_rng(k), stroke_cut=0.45,
                                  gaps=style.gaps[1] if gaps is None else gaps,
                                  gap_width=style.gap_width,
                                  gap_turn=style.gap_turn, skips=style.skips[1],
                                  one_stroke=style.cut_one_stroke)
        pairs.append((cut >= scenes.INK_LEVEL, whole >= scenes.INK_LEVEL))
    return pairs


def _pieces(mask: np.ndarray) -> int:
    return cv2.connectedComponents(mask.astype(np.uint8))[0] - 1


def _pieces_less_loops(mask: np.ndarray) -> int:
    """Pieces minus closed loops: a cut through a stroke raises it, by splitting the
    stroke or by opening a loop (a 0 cut once is still one piece)."""
    _, hierarchy = cv2.findContours(mask.astype(np.uint8), cv2.RETR_CCOMP,
                                    cv2.CHAIN_APPROX_SIMPLE)
    loops = 0 if hierarchy is None else int((hierarchy[0][:, 3] >= 0).sum())
    return _pieces(mask) - loops


def _removed(cut: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """The ink a cut took away (the cut digit may lose a cropped end: compare in place)."""
    if cut.shape != whole.shape:
        return np.zeros((0, 2), np.float32)
    return np.argwhere(whole & ~cut)[:, ::-1].astype(np.float32)


@pytest.mark.parametrize("category", NEW_BROKEN)
def test_new_broken_categories_really_cut_strokes(category):
    pairs = _cut_and_whole(category)
    broken = [_pieces_less_loops(cut) > _pieces_less_loops(whole) for cut, whole in pairs]
    assert np.mean(broken) >= 0.9, category
    # A cut only takes ink away; a digit with no stroke of clear direction (a rare
    # blot) is left whole rather than chipped.
    assert all(cut.sum() <= whole.sum() for cut, whole in pairs), category
    assert np.mean([cut.sum() < whole.sum() for cut, whole in pairs]) >= 0.9, category
    if category == "broken_skip":  # a dashed stretch: 3-5 gaps in a row
        more = [_pieces(cut) - _pieces(whole) for cut, whole in pairs]
        assert np.mean(more) >= 2


def test_gap_width_and_direction_follow_the_category():
    def removed_ink(category):
        return np.median([len(_removed(c, w)) for c, w in _cut_and_whole(category, gaps=1)])

    def cut_length(category):
        # The removed ink's longer side, in stroke widths of the whole digit.
        lengths = []
        for cut, whole in _cut_and_whole(category, gaps=1):
            gone = _removed(cut, whole)
            if len(gone) >= 3:
                stroke = 2 * cv2.distanceTransform(whole.astype(np.uint8), cv2.DIST_L2, 3).max()
                lengths.append(max(cv2.minAreaRect(gone)[1]) / stroke)
        return np.median(lengths)

    assert removed_ink("broken_wide") > 2.5 * removed_ink("broken_narrow")
    across = cut_length("broken_narrow")
    assert across < 1.1  # straight across: no longer than the stroke is wide
    assert cut_length("broken_slanted") > 1.3 * across
    assert cut_length("broken_along") > 2.5 * across  # along: the ends lie side by side


def test_broken_many_cuts_more_than_broken():
    def pieces(category):
        return sum(_pieces(scene.ink >= 128) for scene in
                   (scenes.make_scene(category, seed) for seed in range(3)))

    def digits(category):
        return sum(len(scenes.make_scene(category, seed).digits) for seed in range(3))

    assert pieces("broken_many") / digits("broken_many") > pieces("broken") / digits("broken")


# --- Clutter: marks that are not digits, on a sheet with surroundings ----------------

CLUTTER_SEEDS = range(5)


@pytest.fixture(scope="module")
def clutter_scenes():
    return [scenes.make_scene("clutter", seed) for seed in CLUTTER_SEEDS]


def _grown(box, by):
    x, y, w, h = box
    return max(0, x - by), max(0, y - by), x + w + by, y + h + by


def test_clutter_pages_hold_marks_of_every_kind(clutter_scenes):
    kinds = set()
    for scene in clutter_scenes:
        assert len(scene.marks) >= 4, scene.seed
        kinds |= {m.kind for m in scene.marks}
        gray = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY).astype(float)
        paper = np.median(gray[(scene.page == 255) & (scene.ink == 0) & (scene.mark_ink == 0)])
        assert gray[scene.mark_ink >= 230].mean() < paper - 60  # written dark, like digits
    assert kinds == {"symbol", "letter", "word", "scribble", "printed"}


def test_clutter_truth_holds_exactly_the_digits(clutter_scenes):
    for scene in clutter_scenes:
        # The marks' ink is not the digits' (whose boxes the shared tests check tight)...
        assert not ((scene.ink >= 128) & (scene.mark_ink >= 128)).any()
        # ...and no true box is a mark's.
        for digit in scene.digits:
            for mark in scene.marks:
                assert iou(digit.box, mark.box) == 0, (scene.seed, digit, mark)


def test_clutter_marks_keep_clear_of_the_digits(clutter_scenes):
    for scene in clutter_scenes:
        for digit in scene.digits:
            x0, y0, x1, y1 = _grown(digit.box, 3)
            assert not scene.mark_ink[y0:y1, x0:x1].any(), (scene.seed, digit)


def test_clutter_digits_and_marks_lie_on_the_sheet(clutter_scenes):
    for scene in clutter_scenes:
        for item in [*scene.digits, *scene.marks]:
            x, y, w, h = item.box
            assert (scene.page[y : y + h, x : x + w] == 255).all(), (scene.seed, item)


def test_clutter_surroundings_lie_only_around_the_sheet(clutter_scenes):
    for scene in clutter_scenes:
        off = 1 - scene.page.mean() / 255
        assert 0.1 <= off <= 0.65, scene.seed
        # On the sheet, away from any ink, the picture is plain paper: in every 16 px
        # block, little texture (paper grain and sensor noise only) and no colour.
        ink = cv2.dilate(np.maximum(scene.ink, scene.mark_ink), np.ones((5, 5), np.uint8))
        plain = cv2.erode(((scene.page == 255) & (ink == 0)).astype(np.uint8),
                          np.ones((5, 5), np.uint8))
        image = scene.image.astype(float)
        height, width = plain.shape
        blocks = 0
        for y in range(0, height - 16, 16):
            for x in range(0, width - 16, 16):
                if plain[y : y + 16, x : x + 16].all():
                    block = image[y : y + 16, x : x + 16]
                    assert block.mean(axis=2).std() < 8, (scene.seed, x, y)
                    means = block.reshape(-1, 3).mean(axis=0)
                    assert means.max() - means.min() < 30, (scene.seed, x, y)
                    blocks += 1
        assert blocks > 100


def test_clutter_draws_from_streams_of_its_own():
    # The sheet and its marks come from a child of the page's stream: a plain page of
    # the same style draws the same digits, and no trainer seed ([seed, stream, k])
    # gives that stream.
    import dataclasses

    style = scenes.STYLES["clutter"]
    plain = dataclasses.replace(style, clutter=False)
    a = scenes.render_scene(style, np.random.default_rng([3, 7]))
    b = scenes.render_scene(plain, np.random.default_rng([3, 7]))
    assert [d.mnist_index for d in a.digits] == [d.mnist_index for d in b.digits]
    assert b.marks == [] and b.page is None


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


def test_bench_scenes_writes_new_categories_with_their_marks(tmp_path, capsys):
    status = bench_main(["scenes", "--out", str(tmp_path), "--categories",
                         "clutter,broken_skip", "--per-category", "1"])
    assert status == 0
    assert "wrote 2 scenes" in capsys.readouterr().out
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert set(truth) == {"clutter_0000.png", "broken_skip_0000.png"}
    assert truth["clutter_0000.png"]["marks"] and "marks" not in truth["broken_skip_0000.png"]
    for name in truth:
        assert cv2.imread(str(tmp_path / name)).shape == (480, 640, 3)
        annotated = cv2.imread(str(tmp_path / "annotated" / name))
        assert not np.array_equal(annotated, cv2.imread(str(tmp_path / name)))
    # The marks' boxes are drawn in orange on the annotated clutter page.
    annotated = cv2.imread(str(tmp_path / "annotated" / "clutter_0000.png"))
    assert (annotated == (0, 140, 255)).all(axis=2).sum() > 100


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
