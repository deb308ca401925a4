"""The two pipelines a benchmark compares: ours, and the reference's.

Both are objects with `.read(frame_bgr) -> reading`, where `reading.digits` lists
objects with `.digit`, `.confidence` and `.box`. "Ours" is `mnist_live.pipeline`'s
DigitReader with its default settings and our shipped model; while either is missing,
a stand-in is used and `notes` says so, so the benchmark still runs end to end.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..classifier import ClassifierOptions, DigitClassifier
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
    """Our pipeline with `model_path` (default: the shipped model).

    Without an explicit model and with no shipped model yet, it falls back to the
    reference's model; without `mnist_live.pipeline` it falls back to the reference
    pipeline. Either way the fallback is written into `notes`.
    """
    notes = []
    if model_path is None:
        model_path = config.DEFAULT_MODEL_PATH
        if not model_path.is_file():
            notes.append(f"{model_path.name} not found: 'ours' uses reference_mnist.tflite")
            model_path = reference_model_path()
    classifier = DigitClassifier(
        ClassifierOptions(model_path=model_path, num_threads=num_threads)
    )
    try:
        pipeline = importlib.import_module("mnist_live.pipeline")
    except ModuleNotFoundError as exc:
        if exc.name != "mnist_live.pipeline":
            raise  # the pipeline exists but something it imports is missing: a real error
        notes.append("mnist_live.pipeline not found: 'ours' runs the reference pipeline")
        reader = ReferenceReader(classifier)
    else:
        reader = pipeline.DigitReader(classifier, pipeline.PipelineSettings())
    return NamedReader("ours", reader, model_path, notes)
