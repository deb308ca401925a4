"""Shared fixtures: the data folder, MNIST test digits, the shipped model, tiny pages.

The data folder is ../shared/data beside the project (MNIST_LIVE_DATA overrides it).
A missing data folder fails the tests that need it with a clear message; it never
silently skips them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from mnist_live import config
from mnist_live.bench.sets import TEST_JPG_TRUTH
from mnist_live.boxes import iou  # noqa: F401  (for the tests that import it from here)
from mnist_live.classifier import ClassifierOptions, DigitClassifier

PROJECT_ROOT = config.PROJECT_ROOT
TESTS = Path(__file__).resolve().parent
TEST_MODELS = TESTS / "models"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    folder = config.data_dir()
    if not (folder / "mnist.npz").is_file():
        pytest.fail(f"shared data not found in {folder}; set {config.DATA_DIR_ENV}")
    return folder


@pytest.fixture(scope="session")
def mnist_test(data_dir) -> tuple[np.ndarray, np.ndarray]:
    with np.load(data_dir / "mnist.npz") as data:
        return data["x_test"], data["y_test"]


@pytest.fixture(scope="session")
def classifier() -> DigitClassifier:
    """The shipped model, as the scripts load it by default."""
    return DigitClassifier(ClassifierOptions())


@pytest.fixture(scope="session")
def test_jpg(data_dir) -> Path:
    return data_dir / "test.jpg"


@pytest.fixture(scope="session")
def test_jpg_truth() -> list[dict]:
    """The ten digits of test.jpg and their boxes (the benchmark's truth file)."""
    return json.loads(TEST_JPG_TRUTH.read_text())["test.jpg"]["digits"]


def paste_digit(page: np.ndarray, digit_image: np.ndarray, x: int, y: int, height: int,
                ink: int = 30) -> tuple[int, int, int, int]:
    """Draw a white-on-black MNIST digit as dark ink on `page`; return its ink box."""
    ys, xs = np.nonzero(digit_image > 40)
    tight = digit_image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    scale = height / tight.shape[0]
    size = (max(1, round(tight.shape[1] * scale)), height)
    alpha = cv2.resize(tight, size, interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    alpha = np.clip(alpha, 0, 1)
    region = page[y : y + size[1], x : x + size[0]].astype(np.float32)
    if region.ndim == 3:
        alpha = alpha[..., None]
    page[y : y + size[1], x : x + size[0]] = (region * (1 - alpha) + ink * alpha).astype(
        np.uint8
    )
    ys, xs = np.nonzero(alpha.squeeze() > 0.3)
    return (x + int(xs.min()), y + int(ys.min()), int(np.ptp(xs) + 1), int(np.ptp(ys) + 1))


def run_script(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run one of the three scripts as a user would, from a different folder."""
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / script), *args],
        capture_output=True, text=True, timeout=timeout, cwd=TESTS,
    )
