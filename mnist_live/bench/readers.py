"""The two pipelines a benchmark compares: ours, and the reference's.

Both are objects with `.read(frame_bgr) -> reading`, where `reading.digits` lists
objects with `.digit`, `.confidence` and `.box`. "Ours" is `mnist_live.pipeline`'s
DigitReader with its default settings and our shipped model (or the one given).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..classifier import ClassifierOptions, DigitClassifier
from ..pipeline import DigitReader, PipelineSettings
from .reference import ReferenceReader, reference_model_path


@dataclass
class NamedReader:
    """A pipeline ready to read frames, and what it is, in words, for the report."""

    name: str
    reader: object  # has .read(frame) -> reading
    model_path: Path
    notes: list[str] = field(default_factory=list)


def reference_reader(num_threads: int = config.DEFAULT_NUM_THREADS) -> NamedReader:
    """The reference pipeline with the reference's model."""
    model = reference_model_path()
    classifier = DigitClassifier(ClassifierOptions(model_path=model, num_threads=num_threads))
    return NamedReader("reference", ReferenceReader(classifier), model)


def our_reader(
    model_path: Path | None = None, num_threads: int = config.DEFAULT_NUM_THREADS
) -> NamedReader:
    """Our pipeline with `model_path` (default: the shipped mnist.tflite)."""
    model_path = model_path or config.DEFAULT_MODEL_PATH
    classifier = DigitClassifier(
        ClassifierOptions(model_path=model_path, num_threads=num_threads)
    )
    return NamedReader("ours", DigitReader(classifier, PipelineSettings()), model_path)
