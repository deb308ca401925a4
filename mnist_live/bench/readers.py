"""The two pipelines a benchmark compares: ours, and the reference's.

Both are objects with `.read(frame_bgr) -> reading`, where `reading.digits` lists
objects with `.digit`, `.confidence` and `.box`. "Ours" is `mnist_live.pipeline`'s
DigitReader with its default settings and our shipped model (or the one given).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import cli, config
from ..classifier import ClassifierOptions, DigitClassifier
from ..errors import UserError
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
    model_path: Path | None = None, num_threads: int = config.DEFAULT_NUM_THREADS,
    without: frozenset[str] = frozenset(),
) -> NamedReader:
    """Our pipeline with `model_path` (default: the shipped mnist.tflite), less the
    hypothesis rules named in `without` (see HypothesisSettings.rules)."""
    model_path = model_path or config.DEFAULT_MODEL_PATH
    classifier = DigitClassifier(
        ClassifierOptions(model_path=model_path, num_threads=num_threads)
    )
    settings = PipelineSettings().without(without)
    notes = []
    if without:
        notes.append(f"ours without the rules {', '.join(sorted(without))}")
    return NamedReader("ours", DigitReader(classifier, settings), model_path, notes)


# Run inside another checkout: its mnist_live and ours share a name, so it reads in a
# process of its own. Frames come in as .npy bytes after their length; each frame's
# digits go out as one JSON line.
_RELEASE_SERVER = """
import io, json, struct, sys
import numpy as np
from mnist_live.classifier import ClassifierOptions, DigitClassifier
from mnist_live.pipeline import DigitReader
reader = DigitReader(DigitClassifier(ClassifierOptions()))
while len(head := sys.stdin.buffer.read(8)) == 8:
    frame = np.load(io.BytesIO(sys.stdin.buffer.read(struct.unpack("<Q", head)[0])))
    digits = [[d.digit, float(d.confidence), [int(v) for v in d.box]]
              for d in reader.read(frame).digits]
    print(json.dumps(digits), flush=True)
"""


@dataclass(frozen=True)
class _Reported:
    digit: int
    confidence: float
    box: tuple[int, int, int, int]


@dataclass
class _Reading:
    digits: list[_Reported]


class ReleaseReader:
    """Another release's pipeline with its own model, e.g. a checkout made with
    `git worktree add /tmp/before v1.0`, read in its own Python process."""

    def __init__(self, root: Path):
        if not (root / "mnist_live" / "pipeline.py").is_file():
            raise UserError(f"{root} is not a checkout of this project "
                            "(no mnist_live/pipeline.py)")
        self.process = subprocess.Popen(
            [sys.executable, "-c", _RELEASE_SERVER], cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, frame: np.ndarray) -> _Reading:
        data = io.BytesIO()
        np.save(data, frame)
        self.process.stdin.write(struct.pack("<Q", data.tell()) + data.getvalue())
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise UserError("the release's pipeline stopped (its error is above)")
        return _Reading([_Reported(d, c, tuple(b)) for d, c, b in json.loads(line)])


def release_reader(root: Path) -> NamedReader:
    """The pipeline and model of the checkout at `root`, named "release"."""
    root = root.resolve()
    return NamedReader("release", ReleaseReader(root), root / "mnist.tflite",
                       [f"release: the pipeline and model of {root}"])


RULES = config.HypothesisSettings().rules


def rule_names(text: str) -> frozenset[str]:
    """Parse --without: comma-separated names of HypothesisSettings.rules."""
    names = frozenset(n.strip() for n in text.split(",") if n.strip())
    unknown = names - RULES
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown rule {', '.join(sorted(unknown))}; choose from {', '.join(sorted(RULES))}")
    return names


def add_reader_arguments(parser: argparse.ArgumentParser) -> None:
    """--model, --no-reference and --threads: which pipelines a benchmark compares."""
    parser.add_argument("--model", type=cli.model_file, metavar="PATH",
                        help="our model (default: the shipped mnist.tflite)")
    parser.add_argument("--no-reference", action="store_true",
                        help="run only our pipeline (faster while iterating on it)")
    parser.add_argument("--threads", type=cli.thread_count, default=config.DEFAULT_NUM_THREADS,
                        metavar="N", help="interpreter threads per model (default: %(default)s)")
    parser.add_argument("--without", type=rule_names, default=frozenset(), metavar="RULES",
                        help="read with our pipeline less these hypothesis rules, to "
                        "measure what each earns (comma-separated, of: "
                        f"{', '.join(sorted(RULES))})")


def chosen_readers(args: argparse.Namespace) -> list[NamedReader]:
    """Ours, then the reference's unless --no-reference; their notes go to stderr."""
    readers = [our_reader(args.model, args.threads, args.without)]
    if not args.no_reference:
        readers.append(reference_reader(args.threads))
    for reader in readers:
        for note in reader.notes:
            print(f"note: {note}", file=sys.stderr)
    return readers
