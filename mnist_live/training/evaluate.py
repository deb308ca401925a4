"""Step 5: score an exported .tflite file the way the live script will run it.

The model is loaded with `DigitClassifier`, the same class the detection pipeline uses,
so the accuracy measured here is the accuracy of the file we ship, input conversion and
quantization included. A model with an 11th output may answer "not a digit"
(NOT_A_DIGIT): on a digit, that answer counts as an error.

`score_model` gives every figure the model card and `python -m mnist_live.bench model`
report: MNIST test, USPS, MNIST test digits drawn thick, thin, broken and blurred, and
the share of held-out "not a digit" crops of each kind that the model refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..classifier import NOT_A_DIGIT, NUM_CLASSES, ClassifierOptions, DigitClassifier

BATCH = 1000  # crops per invoke; memory stays small
CLASS_NAMES = [str(d) for d in range(NUM_CLASSES)] + ["not a digit"]

# The styles MNIST test digits are scored in besides their own (see examples.DIGIT_STYLES):
# those the issue sets a target for (TARGETED_STYLES), and tall, narrow writing.
TARGETED_STYLES = ("thick", "thin", "broken", "blurred")
SCORED_STYLES = (*TARGETED_STYLES, "narrow")


@dataclass
class Evaluation:
    """Predictions of one model on one labelled set (labels 0-9, or NOT_A_DIGIT)."""

    labels: np.ndarray  # (N,) true class
    predictions: np.ndarray  # (N,) predicted class, NOT_A_DIGIT for "not a digit"
    confidences: np.ndarray  # (N,) probability of the predicted class
    not_digit: np.ndarray | None = None  # (N,) probability of "not a digit" (11 outputs)
    # (N,) the likeliest of the ten digits, whatever the "not a digit" output says
    # (NOT_A_DIGIT where every digit got nothing)
    digit_answers: np.ndarray | None = None

    @property
    def accuracy(self) -> float:
        return float((self.predictions == self.labels).mean()) if len(self.labels) else 0.0

    @property
    def errors(self) -> int:
        return int((self.predictions != self.labels).sum())

    @property
    def digits_alone_accuracy(self) -> float:
        """Accuracy when the model is asked only which digit (its 11th output set
        aside): what its refusals cost, against the confusions among digits."""
        if self.digit_answers is None or not len(self.labels):
            return self.accuracy
        return float((self.digit_answers == self.labels).mean())

    @property
    def refused(self) -> float:
        """Share answered "not a digit"."""
        return float((self.predictions == NOT_A_DIGIT).mean()) if len(self.labels) else 0.0

    def confusion(self) -> np.ndarray:
        """(11, 11) counts; row = true class, column = predicted class (10: not a digit)."""
        size = NUM_CLASSES + 1
        matrix = np.zeros((size, size), np.int64)
        np.add.at(matrix, (self.labels.astype(int), self.predictions.astype(int)), 1)
        return matrix

    def per_class(self) -> dict[str, dict[str, float]]:
        """Precision, recall and support of each class present."""
        matrix = self.confusion()
        result = {}
        for k, name in enumerate(CLASS_NAMES):
            hits = matrix[k, k]
            predicted, actual = matrix[:, k].sum(), matrix[k, :].sum()
            if not predicted and not actual:
                continue
            result[name] = {
                "precision": round(float(hits / predicted), 5) if predicted else None,
                "recall": round(float(hits / actual), 5) if actual else None,
                "support": int(actual),
            }
        return result


def evaluate(classifier: DigitClassifier, images: np.ndarray, labels) -> Evaluation:
    """Classify every image and compare with `labels`."""
    if len(images) == 0:
        empty = np.zeros(0, np.int64)
        return Evaluation(empty, empty, np.zeros(0, np.float32), np.zeros(0, np.float32),
                          empty)
    probabilities = np.concatenate([
        classifier.all_probabilities(images[start:start + BATCH])
        for start in range(0, len(images), BATCH)
    ])
    predictions = probabilities.argmax(axis=1)
    return Evaluation(
        labels=np.broadcast_to(np.asarray(labels), len(images)).astype(np.int64),
        predictions=predictions,
        confidences=probabilities[np.arange(len(predictions)), predictions],
        not_digit=(probabilities[:, NOT_A_DIGIT] if probabilities.shape[1] > NOT_A_DIGIT
                   else np.zeros(len(predictions), np.float32)),
        digit_answers=_digit_answers(probabilities),
    )


def _digit_answers(probabilities: np.ndarray) -> np.ndarray:
    """The likeliest of the ten digits for each crop; NOT_A_DIGIT where the model gave
    every digit nothing (an int8 model rounds them to 0), as the pipeline counts it."""
    digits = probabilities[:, :NOT_A_DIGIT]
    return np.where(digits.max(axis=1) > 0, digits.argmax(axis=1), NOT_A_DIGIT)


@dataclass
class HeldOutSets:
    """What a model is scored on besides MNIST's own test images (see score_model)."""

    styled: dict[str, np.ndarray]  # style -> MNIST test digits drawn in it, labels y_test
    negatives: dict[str, np.ndarray]  # kind -> held-out "not a digit" crops
    usps: tuple[np.ndarray, np.ndarray] | None = None
    # The kinds drawn at random shapes (examples.CHECKED_KINDS), also with the crops
    # that look like a digit left in: what the filter keeps out of the score.
    unfiltered: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def make(cls, x_test, y_test, x_train, seed: int, negatives_per_kind: int = 1000,
             usps=None, lookalikes=None) -> HeldOutSets:
        """Draw the sets: styles from the test digits, negatives from streams and
        digits no training set uses (examples.HELD_OUT_STREAM, the test split)."""
        from . import examples

        if lookalikes is None:
            lookalikes = examples.Lookalikes(x_train, seed)
        styled = {style: examples.styled_digits(x_test, style, seed)
                  for style in SCORED_STYLES}
        negatives = examples.held_out_negatives(x_test, negatives_per_kind, seed, lookalikes)
        unfiltered = examples.held_out_negatives(
            x_test, negatives_per_kind, seed, None, examples.CHECKED_KINDS,
            examples.HELD_OUT_STREAM + 1)
        return cls(styled, negatives, usps, unfiltered)


@dataclass
class ModelScores:
    """Every figure of one model (fractions 0-1)."""

    mnist: Evaluation
    usps: Evaluation | None
    styled: dict[str, Evaluation]
    negatives: dict[str, Evaluation]
    size_bytes: int
    outputs: int
    unfiltered: dict[str, Evaluation] = field(default_factory=dict)

    @property
    def negatives_refused(self) -> float:
        """Share of all held-out negatives answered "not a digit"."""
        total = sum(len(e.labels) for e in self.negatives.values())
        refused = sum(e.refused * len(e.labels) for e in self.negatives.values())
        return refused / total if total else 0.0

    def summary(self) -> dict:
        """The figures as a JSON-ready dict (percentages rounded to 0.01)."""
        def pct(value):
            return None if value is None else round(100 * value, 2)

        return {
            "outputs": self.outputs,
            "size_kb": round(self.size_bytes / 1024, 1),
            "mnist_test_accuracy": pct(self.mnist.accuracy),
            "mnist_test_errors": self.mnist.errors,
            "mnist_test_refused": pct(self.mnist.refused),
            "usps_accuracy": pct(self.usps.accuracy) if self.usps else None,
            "usps_refused": pct(self.usps.refused) if self.usps else None,
            "usps_digits_alone_accuracy": (pct(self.usps.digits_alone_accuracy)
                                           if self.usps else None),
            "styled_accuracy": {s: pct(e.accuracy) for s, e in self.styled.items()},
            "negatives_refused": pct(self.negatives_refused),
            "negatives_refused_by_kind": {k: pct(e.refused) for k, e in self.negatives.items()},
            "unfiltered_refused_by_kind": {k: pct(e.refused)
                                           for k, e in self.unfiltered.items()},
        }


def score_model(model_path: str | Path, x_test, y_test, held_out: HeldOutSets,
                num_threads: int = 2) -> ModelScores:
    """All figures of the model at `model_path` (see ModelScores)."""
    classifier = DigitClassifier(ClassifierOptions(model_path=Path(model_path),
                                                   num_threads=num_threads))
    return ModelScores(
        mnist=evaluate(classifier, x_test, y_test),
        usps=evaluate(classifier, *held_out.usps) if held_out.usps is not None else None,
        styled={s: evaluate(classifier, images, y_test)
                for s, images in held_out.styled.items()},
        negatives={k: evaluate(classifier, crops, NOT_A_DIGIT)
                   for k, crops in held_out.negatives.items()},
        size_bytes=Path(model_path).stat().st_size,
        outputs=classifier.num_outputs,
        unfiltered={k: evaluate(classifier, crops, NOT_A_DIGIT)
                    for k, crops in held_out.unfiltered.items()},
    )
