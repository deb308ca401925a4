"""`python -m mnist_live.bench model`: the model alone, on 28x28 crops, against its targets.

Scores one or more .tflite models through DigitClassifier (the pipeline's own class):

    MNIST test        all 10,000 test images; an answer "not a digit" counts as wrong
    refused digits    share of MNIST test digits answered "not a digit"
    USPS              2,007 digits by other writers (usps_test_28x28.npz); also the
                      share answered "not a digit", and the accuracy when the model is
                      asked only which digit (its 11th output set aside): what its
                      refusals cost against its confusions among digits
    thick ... narrow  the MNIST test images drawn as ink in that style and cut to 28x28
                      by the pipeline's mnist_crop (mnist_live.training.examples);
                      tall, narrow writing has no target
    not a digit       held-out crops of each kind (letters, symbols, pieces of digits,
                      touching pairs, clutter), drawn from random streams no training
                      set uses, pieces and pairs from MNIST *test* digits: the share
                      answered "not a digit". As in training, crops that lie as close
                      to an MNIST digit as digits lie to each other are left out of
                      pieces, pairs and clutter; "lookalikes kept in" rows score them
                      with those left in (no target: many of those are digits to
                      anyone). Held-out clutter comes from the same sample photos and
                      made textures as training (other crops, scales and turns).

A 10-output model (the reference's, or our older ones) never answers "not a digit":
its refusal rates are 0%. Needs scikit-image for the clutter crops (training install).

Example:
  python -m mnist_live.bench model --model mnist.tflite \\
      --model ../shared/data/reference_mnist.tflite
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .. import atomic, cli, config
from ..errors import UserError
from ..training import data as data_step
from ..training.evaluate import (
    SCORED_STYLES,
    TARGETED_STYLES,
    HeldOutSets,
    ModelScores,
    score_model,
)
from ..training.examples import NEGATIVE_KINDS
from ..training.search import SearchSettings

HELP = "the model on 28x28 crops: MNIST, USPS, drawn digits, held-out non-digits"

# The targets (percent; size in KB), printed beside the figures.
TARGETS = {
    "mnist_test_accuracy": (">=", 99.6),
    "mnist_test_refused": ("<=", 0.3),
    "usps_accuracy": (">=", 98.5),
    "size_kb": ("<=", 150.0),
    "styled": (">=", 98.0),
    "negatives_refused": (">=", 98.0),
    "negatives_by_kind": (">=", 95.0),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", type=cli.model_file, action="append", metavar="PATH",
        help="a .tflite model to score (repeatable; default: the shipped mnist.tflite)")
    parser.add_argument(
        "--negatives-per-kind", type=int, default=1000, metavar="N",
        help="held-out \"not a digit\" crops of each kind (default: %(default)s)")
    parser.add_argument(
        "--seed", type=cli.seed_value, default=SearchSettings().seed,
        help="seed of the held-out draws (default: %(default)s, the trainer's)")
    parser.add_argument(
        "--json", type=cli.writable_file, metavar="FILE",
        help="also write the figures to FILE as JSON")


def run(args: argparse.Namespace) -> int:
    models = args.model or [config.DEFAULT_MODEL_PATH]
    for path in models:
        if not Path(path).is_file():
            raise UserError(f"model not found: {path}")
    mnist = data_step.load_mnist(config.data_dir() / "mnist.npz")
    usps_path = config.data_dir() / "usps_test_28x28.npz"
    usps = data_step.load_labelled_npz(usps_path) if usps_path.is_file() else None
    print(f"Drawing held-out sets (seed {args.seed}): MNIST test digits "
          f"{', '.join(SCORED_STYLES)}; {args.negatives_per_kind} crops of each kind of "
          f"\"not a digit\" ({', '.join(NEGATIVE_KINDS)}) ...", flush=True)
    held_out = HeldOutSets.make(mnist.x_test, mnist.y_test, mnist.x_train, args.seed,
                                args.negatives_per_kind, usps)
    results = {}
    for path in models:
        scores = score_model(path, mnist.x_test, mnist.y_test, held_out)
        results[str(path)] = scores.summary()
        print(f"\n{path}: {scores.outputs} outputs, {scores.size_bytes / 1024:.1f} KB")
        print(table(scores))
    if args.json:
        atomic.write_text(args.json, json.dumps(results, indent=2) + "\n")
    return 0


def table(scores: ModelScores) -> str:
    figures = scores.summary()
    rows = [("MNIST test accuracy (\"not a digit\" = wrong)", figures["mnist_test_accuracy"],
             "mnist_test_accuracy"),
            ("MNIST test digits refused", figures["mnist_test_refused"], "mnist_test_refused"),
            ("USPS accuracy", figures["usps_accuracy"], "usps_accuracy"),
            ("  USPS digits refused", figures["usps_refused"], None),
            ("  USPS asked only which digit", figures["usps_digits_alone_accuracy"], None)]
    rows += [(f"MNIST test drawn {style}", value,
              "styled" if style in TARGETED_STYLES else None)
             for style, value in figures["styled_accuracy"].items()]
    rows.append(("\"not a digit\" refused, all kinds", figures["negatives_refused"],
                 "negatives_refused"))
    rows += [(f"  {kind}", value, "negatives_by_kind")
             for kind, value in figures["negatives_refused_by_kind"].items()]
    rows += [(f"  {kind}, lookalikes kept in", value, None)
             for kind, value in figures["unfiltered_refused_by_kind"].items()]
    lines = [f"| {'figure':<46} | {'%':>7} | {'target':<8} | met |",
             f"|{'-' * 48}|{'-' * 9}|{'-' * 10}|{'-' * 5}|"]
    for name, value, target in rows:
        lines.append(_row(name, value, target))
    lines.append(_row("size (KB)", figures["size_kb"], "size_kb"))
    return "\n".join(lines)


def _row(name: str, value, target: str | None) -> str:
    if target is None:  # a figure to read beside the others, with no target of its own
        shown = "-" if value is None else f"{value:.2f}"
        return f"| {name:<46} | {shown:>7} | {'':<8} |     |"
    sign, limit = TARGETS[target]
    goal = f"{sign} {limit:g}"
    if value is None:
        return f"| {name:<46} | {'-':>7} | {goal:<8} |  -  |"
    met = value >= limit if sign == ">=" else value <= limit
    return f"| {name:<46} | {value:>7.2f} | {goal:<8} | {'yes' if met else 'NO ':>3} |"
