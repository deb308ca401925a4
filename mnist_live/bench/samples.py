"""`python -m mnist_live.bench scenes`: write generated scenes to look at.

Writes each scene as a PNG, the same scene with its true digit boxes (green), number
boxes and texts (red) and, on clutter pages, the boxes of the marks that are not digits
(orange: letters, symbols, words, scribbles, printed words; a reader must not read them)
drawn on it, and a truth.json in photos/truth.json's format (plus "numbers" and
"marks"), so what the benchmark reads can be seen and reused.

Example:
  python -m mnist_live.bench scenes --out scenes_preview --per-category 3
  python -m mnist_live.bench scenes --out look --categories clutter,broken_skip
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2

from .. import atomic, cli, scenes
from . import sets

HELP = "write generated scenes, annotated copies and their truth.json to a folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=cli.writable_folder, required=True, metavar="DIR",
                        help="folder to write into")
    parser.add_argument("--per-category", type=int, default=2, metavar="N",
                        help="scenes per category (default: %(default)s)")
    parser.add_argument("--seed", type=cli.seed_value, default=0,
                        help="the benchmark's scene seed (default: %(default)s)")
    parser.add_argument("--categories", type=sets.parse_categories,
                        default=scenes.CATEGORIES, metavar="LIST",
                        help="comma-separated categories (default: all)")


def run(args: argparse.Namespace) -> int:
    categories = args.categories
    truth = {}
    for category in categories:
        for i in range(args.per_category):
            scene = scenes.make_scene(category, args.seed * 1000 + i)
            name = f"{category}_{scene.seed:04d}"
            _write_png(args.out / f"{name}.png", scene.image)
            _write_png(args.out / "annotated" / f"{name}.png", annotate(scene))
            truth[f"{name}.png"] = scenes.scene_truth(scene)
    atomic.write_text(args.out / "truth.json", json.dumps(truth, indent=1) + "\n")
    print(f"wrote {len(truth)} scenes to {args.out}/")
    return 0


def annotate(scene: scenes.Scene):
    """The scene with digit boxes in green, number boxes with their text in red and the
    boxes of marks that are not digits in orange."""
    canvas = scene.image.copy()
    for mark in scene.marks:
        x, y, w, h = mark.box
        cv2.rectangle(canvas, (x - 1, y - 1), (x + w, y + h), (0, 140, 255), 1)
    for digit in scene.digits:
        x, y, w, h = digit.box
        cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), (0, 170, 0), 1)
    for number in scene.numbers:
        x, y, w, h = number.box
        cv2.rectangle(canvas, (x - 3, y - 3), (x + w + 2, y + h + 2), (0, 0, 230), 1)
        cv2.putText(canvas, number.text, (x, y - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 230), 1, cv2.LINE_AA)
    return canvas


def _write_png(path: Path, image) -> None:
    atomic.write_bytes(path, cv2.imencode(".png", image)[1].tobytes())
