"""Pictures that explain themselves: confidences shown no finer than the model can tell,
rejected boxes labelled with the reason, labels that cover no other digit, step
pictures of one size with captions, and the crop sheet numbered as the terminal lines."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
from conftest import iou, paste_digit, run_script

from mnist_live import candidates, draw
from mnist_live.candidates import find_blobs
from mnist_live.classifier import ClassifierOptions, DigitClassifier
from mnist_live.confidence import confidence_text, json_confidence
from mnist_live.config import CandidateLimits
from mnist_live.pipeline import DigitReader, PipelineSettings

INT8_STEP = 1 / 256


# --- confidence -------------------------------------------------------------------------

@pytest.mark.parametrize("probability,step,text", [
    (255 / 256, INT8_STEP, ">99%"),  # an int8 model's top level: not "100%", not "99.609%"
    (254 / 256, INT8_STEP, "99%"),
    (0.995, INT8_STEP, "99%"),  # between two levels (a tracker's average): floored
    (0.7421875, INT8_STEP, "74%"),
    (0.0, INT8_STEP, "0%"),
    (0.99997, None, ">99.8%"),  # a float model: a tenth of a percent at most
    (0.9984, None, "99.8%"),
    (0.5, None, "50.0%"),
    (0.995, 0.01, ">98%"),  # a coarser model: its own top level
])
def test_confidence_is_shown_no_finer_than_the_model_can_tell(probability, step, text):
    assert confidence_text(probability, step) == text


def test_json_keeps_the_number_rounded():
    assert json_confidence(255 / 256) == 0.996
    assert json_confidence(np.float32(0.5)) == 0.5


def test_the_output_step_comes_from_the_model(classifier):
    from conftest import TEST_MODELS

    # The shipped int8 model ends in a float output dequantized from an int8 softmax.
    assert classifier.output_step == pytest.approx(INT8_STEP)
    assert DigitClassifier(ClassifierOptions(
        model_path=TEST_MODELS / "uint8_quant.tflite")).output_step == pytest.approx(INT8_STEP)
    assert DigitClassifier(ClassifierOptions(
        model_path=TEST_MODELS / "float_unit.tflite")).output_step is None


# --- reasons ----------------------------------------------------------------------------

def page_with_one_blob_of_each_kind(mnist_test) -> tuple[np.ndarray, dict]:
    """A drawn page: a 7 to read, a star the model is unsure of, and a blob of each
    kind the pipeline throws out; returns the page and where each one is."""
    page = np.full((480, 640), 225, np.uint8)
    where = {"digit": paste_digit(page, mnist_test[0][0], 330, 200, 90)}  # a 7
    where["at the border"] = paste_digit(page, mnist_test[0][1], 580, 300, 60)  # cut off
    cv2.circle(page, (600, 200), 2, 30, -1)
    where["too small"] = (598, 198, 5, 5)  # a speck
    cv2.line(page, (400, 330), (520, 440), 30, 2)
    where["hairline"] = (400, 330, 120, 110)  # a thin stroke across a large box
    cv2.line(page, (440, 220), (560, 220), 30, 16)
    where["line-shaped"] = (432, 212, 136, 16)  # a dash: far wider than tall
    star = np.array([[470, 50], [485, 130], [430, 80], [510, 80], [455, 130]])
    cv2.polylines(page, [star], True, 30, 5)
    where["unsure"] = (427, 47, 87, 87)
    return page, where


def test_rejected_boxes_are_labelled_with_the_reason(classifier, mnist_test):
    page, where = page_with_one_blob_of_each_kind(mnist_test)
    # Sure digits only: a clean 7 is read at the model's top level, a star is not.
    reader = DigitReader(classifier, PipelineSettings(
        min_confidence=0.99, limits=CandidateLimits(border_fraction=0.01)))
    reading = reader.read(page)
    tags = draw.candidate_tags(reading, classifier.output_step)
    labels = {}
    for kind, box in where.items():
        near = [t for t in tags if iou(t.box, box) >= 0.5]
        assert len(near) == 1, (kind, box, [(t.box, t.parts) for t in tags])
        labels[kind] = (near[0].parts[0][0], near[0].color)
    assert labels["digit"] == ("7 >99%", draw.GREEN)
    assert re.fullmatch(r"not a digit \((unsure: \d \d+%|refused)\)", labels["unsure"][0])
    assert labels["unsure"][1] == draw.GRAY
    for reason in ("at the border", "too small", "hairline", "line-shaped"):
        assert labels[reason] == (reason, draw.RED)
    assert len(tags) == len(where)  # nothing else on the page


def test_a_reading_the_page_doubts_says_why(classifier):
    """A bar the model reads as a 1: with the bar evidence made strict, it is not
    shown, and the picture says it is as likely a bar of texture."""
    from dataclasses import replace

    from mnist_live.pipeline import LIKE_A_BAR

    page = np.full((480, 640), 210, np.uint8)
    cv2.rectangle(page, (318, 200), (323, 280), 30, -1)
    plain = DigitReader(classifier)
    assert [d.digit for d in plain.read(page).digits] == [1]
    strict = DigitReader(classifier, replace(
        plain.settings, page=replace(plain.settings.page, bar_odds=0.001)))
    reading = strict.read(page)
    assert reading.digits == []
    assert [d.doubt for d in reading.unsure] == [LIKE_A_BAR]
    labels = [t.parts[0][0] for t in draw.candidate_tags(reading, classifier.output_step)]
    assert any(label.startswith(LIKE_A_BAR + " (1 ") for label in labels), labels


def test_a_blob_taller_than_the_frame_allows_is_too_large():
    binary = np.zeros((240, 320), np.uint8)
    cv2.ellipse(binary, (160, 120), (110, 116), 0, 90, 270, 255, 6)  # 233 px of 240
    cv2.circle(binary, (250, 120), 25, 255, 5)
    blobs, rejected = find_blobs(binary, CandidateLimits(border_fraction=0.0))
    assert [r.reason for r in rejected] == [candidates.TOO_LARGE]
    assert len(blobs) == 1


# --- labels -----------------------------------------------------------------------------

def test_labels_cover_no_neighbouring_digit():
    # Two lines of digits close together: a label above a digit of the second line
    # would sit on the first line's digits.
    boxes = [(40 + 45 * i, 40, 30, 40) for i in range(6)]
    boxes += [(40 + 45 * i, 92, 30, 40) for i in range(6)]
    sizes = [(44, 16)] * len(boxes)
    corners = draw.place_tags(sizes, boxes, boxes, (300, 400))
    tags = [(x, y, w, h) for (x, y), (w, h) in zip(corners, sizes, strict=True)]
    for i, tag in enumerate(tags):
        for j, box in enumerate(boxes):
            assert i == j or iou(tag, box) == 0, (i, j, tag, box)
        for other in tags[:i]:
            assert iou(tag, other) == 0
        x, y, w, h = tag
        assert x >= 0 and y >= 0 and x + w <= 400 and y + h <= 300


# --- step pictures ----------------------------------------------------------------------

@pytest.mark.slow
def test_step_pictures_of_a_large_photo_are_of_one_size_with_captions(tmp_path, test_jpg):
    # test.jpg at 2.5x: read scaled down, so every picture shows the working size.
    big = cv2.resize(cv2.imread(str(test_jpg)), (1600, 1200), interpolation=cv2.INTER_CUBIC)
    photo = tmp_path / "big.png"
    cv2.imwrite(str(photo), big)
    result = run_script("opencv_preprocessing_test.py", str(photo), "--no-show",
                        "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "out" / "big"
    shapes = {p.stem: cv2.imread(str(p)).shape for p in folder.glob("*.png")}
    assert len(shapes) == 7
    frame_like = {name: shape for name, shape in shapes.items() if name != "6_crops"}
    assert len(set(frame_like.values())) == 1, shapes
    height, width, _ = next(iter(frame_like.values()))
    assert width == 1280 and height > 960  # the working size, under a caption bar
    # The caption bar: a dark band above the picture, with light text in it.
    result_picture = cv2.imread(str(folder / "7_result.png"))
    bar = result_picture[: height - 960]
    assert (bar < 60).mean() > 0.7 and (bar > 200).any()
    # The terminal lines number the crops as the sheet does, in reading order.
    lines = [line for line in result.stdout.splitlines()
             if line.startswith("Detected digit")]
    assert [int(line.rsplit("crop ", 1)[1]) for line in lines] == list(range(1, 11))
    assert [int(re.search(r"\[(\d)\]", line).group(1)) for line in lines] == list(range(10))


def test_a_1_of_a_read_like_texture_says_why(classifier):
    """Bars alone look like texture: the picture labels each 1 with the reason, not as
    a crop the model refused."""
    from mnist_live.pipeline import LIKE_TEXTURE

    page = np.full((480, 640), 200, np.uint8)
    for x in range(40, 640, 70):
        cv2.line(page, (x, 150), (x + 3, 210), 60, 4)
    reading = DigitReader(classifier).read(page)
    assert reading.digits == []
    labels = [t.parts[0][0] for t in draw.candidate_tags(reading, classifier.output_step)]
    assert sum(label.startswith(LIKE_TEXTURE + " (1 ") for label in labels) == 9, labels
