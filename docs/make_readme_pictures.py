"""Draw the README's pictures again from the shared data and the shipped model.

    python docs/make_readme_pictures.py

docs/images/live_view.png   the live view (boxes, digits, numbers, status line) on the
                            reference's test photo and on a real photo of numbers
docs/images/before_after_crops.png
                            what the model sees, reference pipeline vs ours
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mnist_live import config, draw  # noqa: E402
from mnist_live.atomic import atomic_path  # noqa: E402
from mnist_live.capture import read_image  # noqa: E402
from mnist_live.classifier import DigitClassifier  # noqa: E402
from mnist_live.live import SteadyReader, annotate, status_lines  # noqa: E402
from mnist_live.pipeline import DigitReader  # noqa: E402

# The reference's test photo and a real photo of numbers, both read without a mistake
# (photos/truth.json; the _4_A4 photo of the same set has two misread digits).
PHOTOS = ["test.jpg", "photos/HYPJUDY__handwritten-digits-recognition__5_A4.jpg"]


def live_view(path: Path, classifier: DigitClassifier) -> np.ndarray:
    """The live view of a photo, read at its own size."""
    image = read_image(path)
    reader = DigitReader(classifier)
    live = SteadyReader(reader).read(image)
    picture = annotate(image, live, binary_view=False, step=classifier.output_step)
    draw.draw_status(picture, status_lines(live, reader, fps=30.0, dropped=0))
    return picture


def main() -> None:
    classifier = DigitClassifier()
    views = [live_view(config.data_dir() / name, classifier) for name in PHOTOS]
    height = max(v.shape[0] for v in views)
    views = [cv2.copyMakeBorder(v, 0, height - v.shape[0], 0, 8, cv2.BORDER_CONSTANT,
                                value=(255, 255, 255)) for v in views]
    with atomic_path(HERE / "images" / "live_view.png") as temp:
        cv2.imwrite(str(temp), np.hstack(views))
    subprocess.run([sys.executable, "-m", "mnist_live.bench", "crops", "--rows", "6",
                    "--out", str(HERE / "images" / "before_after_crops.png")],
                   check=True, cwd=HERE.parent)


if __name__ == "__main__":
    main()
