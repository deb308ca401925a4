"""Step 4: score an exported .tflite file the way the live script will run it.

The model is loaded with `DigitClassifier`, the same class the detection pipeline uses,
so the accuracy measured here is the accuracy of the file we ship, input conversion and
quantization included.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..classifier import NUM_CLASSES, ClassifierOptions, DigitClassifier

BATCH = 1000  # crops per invoke; memory stays small


@dataclass
class Evaluation:
    """Predictions of one model on one labelled set."""

    labels: np.ndarray  # (N,) true digits
    predictions: np.ndarray  # (N,) predicted digits
    confidences: np.ndarray  # (N,) probability of the predicted digit

    @property
    def accuracy(self) -> float:
        return float((self.predictions == self.labels).mean())

    @property
    def errors(self) -> int:
        return int((self.predictions != self.labels).sum())

    def confusion(self) -> np.ndarray:
        """(10, 10) counts; row = true digit, column = predicted digit."""
        matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
        np.add.at(matrix, (self.labels.astype(int), self.predictions.astype(int)), 1)
        return matrix

    def per_class(self) -> dict[str, dict[str, float]]:
        """Precision, recall and support of each digit."""
        matrix = self.confusion()
        result = {}
        for digit in range(NUM_CLASSES):
            hits = matrix[digit, digit]
            predicted, actual = matrix[:, digit].sum(), matrix[digit, :].sum()
            result[str(digit)] = {
                "precision": round(float(hits / predicted), 5) if predicted else None,
                "recall": round(float(hits / actual), 5) if actual else None,
                "support": int(actual),
            }
        return result


def evaluate_tflite(model_path: str | Path, images: np.ndarray, labels: np.ndarray,
                    num_threads: int = 2) -> Evaluation:
    """Classify every image with DigitClassifier and compare with `labels`."""
    classifier = DigitClassifier(ClassifierOptions(model_path=Path(model_path),
                                                   num_threads=num_threads))
    probabilities = np.concatenate([
        classifier.probabilities(images[start:start + BATCH])
        for start in range(0, len(images), BATCH)
    ])
    predictions = probabilities.argmax(axis=1)
    return Evaluation(
        labels=np.asarray(labels).astype(np.int64),
        predictions=predictions,
        confidences=probabilities[np.arange(len(predictions)), predictions],
    )
