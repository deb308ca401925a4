"""Bad inputs end in one clear line, never a traceback; odd but valid inputs just work.

Also property-based tests: random images and random shapes through the whole pipeline.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from conftest import TEST_MODELS, run_script
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mnist_live.capture import read_image
from mnist_live.errors import ImageError
from mnist_live.pipeline import DigitReader, PipelineSettings

STILL = "opencv_preprocessing_test.py"


def odd_images(folder, test_jpg) -> dict[str, object]:
    """Valid images in every layout a user may have, each holding test.jpg's digits."""
    page = cv2.imread(str(test_jpg))
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    files = {
        "gray.png": gray,
        "alpha.png": np.dstack([page, np.full(gray.shape, 255, np.uint8)]),
        "deep.png": gray.astype(np.uint16) * 257,
        "deep_colour.tiff": page.astype(np.uint16) * 257,
    }
    paths = {}
    for name, image in files.items():
        path = folder / name
        assert cv2.imwrite(str(path), image)
        paths[name] = path
    return paths


def test_odd_but_valid_images_are_all_read(tmp_path, test_jpg):
    paths = odd_images(tmp_path, test_jpg)
    result = run_script(STILL, *map(str, paths.values()), "--json", "--no-show", "--no-save")
    assert result.returncode == 0, result.stderr
    readings = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["image"] for r in readings] == [str(p) for p in paths.values()]
    for reading in readings:
        assert sorted(d["digit"] for d in reading["digits"]) == list(range(10)), reading


def test_transparent_pixels_are_paper_not_ink(tmp_path):
    image = np.zeros((200, 200, 4), np.uint8)  # fully transparent black
    cv2.circle(image, (100, 100), 50, (0, 0, 0, 255), 8)  # an opaque black ring
    path = tmp_path / "ring.png"
    cv2.imwrite(str(path), image)
    decoded = read_image(path)
    assert decoded[5, 5].tolist() == [255, 255, 255]
    assert decoded[100, 150].tolist() == [0, 0, 0]


@pytest.mark.parametrize("name,content,reason", [
    ("empty.jpg", b"", "the file is empty"),
    ("text.jpg", b"just some notes\n" * 20, "not an image"),
    ("truncated.jpg", None, "truncated JPEG"),
    ("truncated.png", None, "truncated PNG"),
])
def test_unreadable_images_are_named_with_the_reason(tmp_path, test_jpg, name, content,
                                                     reason):
    path = tmp_path / name
    if content is None:
        _, encoded = cv2.imencode(path.suffix, cv2.imread(str(test_jpg)))
        content = encoded.tobytes()[: len(encoded) // 2]
    path.write_bytes(content)
    with pytest.raises(ImageError, match=reason):
        read_image(path)


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageError, match="is a folder"):
        read_image(tmp_path)


def test_some_bad_images_among_good_ones(tmp_path, test_jpg):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    result = run_script(STILL, str(empty), str(test_jpg), str(tmp_path / "gone.jpg"),
                        "--json", "--no-show", "--no-save")
    assert result.returncode == 1
    assert [json.loads(line)["image"] for line in result.stdout.splitlines()] == [
        str(test_jpg)]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {empty}: the file is empty",
                      f"error: {tmp_path / 'gone.jpg'}: no such file"]
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_huge_photo_is_read_with_boxes_in_its_own_pixels(tmp_path, test_jpg):
    page = cv2.imread(str(test_jpg))
    big = cv2.resize(page, (8000, 6000), interpolation=cv2.INTER_CUBIC)
    path = tmp_path / "huge.jpg"
    cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
    result = run_script(STILL, str(path), "--json", "--no-show", "--out-dir",
                        str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    reading = json.loads(result.stdout)
    assert (reading["width"], reading["height"]) == (8000, 6000)
    assert sorted(d["digit"] for d in reading["digits"]) == list(range(10))
    zero = next(d for d in reading["digits"] if d["digit"] == 0)
    # test.jpg's 0 is at (79, 125, 56, 56); scaled by 12.5.
    assert abs(zero["box"][0] - 79 * 12.5) < 40 and abs(zero["box"][2] - 56 * 12.5) < 40
    # The step pictures are saved at a size a person can open.
    result_picture = cv2.imread(str(tmp_path / "out" / "huge" / "7_result.png"))
    assert max(result_picture.shape[:2]) <= 1600


@pytest.mark.parametrize("image", [
    np.full((1, 1, 3), 128, np.uint8),
    np.full((480, 640, 3), 255, np.uint8),  # a blank page
    np.zeros((480, 640, 3), np.uint8),  # a black frame (lens cap on)
    np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8),  # noise
    np.random.default_rng(1).integers(0, 256, (3, 5000), dtype=np.uint8),  # a sliver
], ids=["1x1", "blank", "black", "noise", "sliver"])
def test_degenerate_frames_give_few_or_no_digits(image, request):
    reader = DigitReader(request.getfixturevalue("classifier"))
    reading = reader.read(image, keep_steps=True)
    assert len(reading.digits) <= 3  # noise may look like a digit here and there
    for name, picture in reading.steps.items():
        assert picture.size > 0, name


# --- property-based ------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_reader():
    from mnist_live.classifier import ClassifierOptions, DigitClassifier

    classifier = DigitClassifier(ClassifierOptions(model_path=TEST_MODELS / "uint8_raw.tflite"))
    return lambda threshold: DigitReader(classifier, PipelineSettings(threshold=threshold))


def check_reading(reading, height: int, width: int) -> None:
    assert (reading.height, reading.width) == (height, width)
    for detection in [*reading.digits, *reading.unsure]:
        x, y, w, h = detection.box
        assert x >= 0 and y >= 0 and w > 0 and h > 0
        assert x + w <= width and y + h <= height
        assert 0.0 <= detection.confidence <= 1.0
        assert 0 <= detection.digit <= 9
    for number in reading.numbers:
        assert len(number.text) == len(number.members)


thresholds = st.one_of(st.sampled_from(["otsu", "adaptive"]), st.integers(0, 255))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image=arrays(np.uint8, st.tuples(st.integers(1, 160), st.integers(1, 160),
                                        st.sampled_from([1, 3, 4]))),
       threshold=thresholds)
def test_random_images_never_break_the_pipeline(tiny_reader, image, threshold):
    if image.shape[2] == 1:
        image = image[:, :, 0]
    check_reading(tiny_reader(threshold).read(image), image.shape[0], image.shape[1])


shapes = st.lists(
    st.tuples(st.sampled_from(["line", "circle", "rectangle", "polygon"]),
              st.lists(st.integers(-20, 340), min_size=6, max_size=6),
              st.integers(1, 12), st.integers(0, 255)),
    max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawing=shapes, paper=st.integers(0, 255), threshold=thresholds)
def test_random_shapes_never_break_the_pipeline(tiny_reader, drawing, paper, threshold):
    page = np.full((240, 320), paper, np.uint8)
    for kind, (a, b, c, d, e, f), thickness, ink in drawing:
        if kind == "line":
            cv2.line(page, (a, b), (c, d), ink, thickness)
        elif kind == "circle":
            cv2.circle(page, (a, b), abs(c) // 4 + 1, ink, thickness)
        elif kind == "rectangle":
            cv2.rectangle(page, (a, b), (c, d), ink, -1 if thickness > 10 else thickness)
        else:
            cv2.fillPoly(page, [np.array([(a, b), (c, d), (e, f)], np.int32)], ink)
    check_reading(tiny_reader(threshold).read(page, keep_steps=True), 240, 320)
