"""`python -m mnist_live.bench read`: how many digits each pipeline reads right.

Runs our pipeline and a faithful re-implementation of the reference's on test.jpg, the
real photos (overall and per source), generated scenes (overall and per category), the
photos with no digit (negatives/, and scikit-image's sample photos in a row of their
own) and the photos of handwritten sums (equations/), and prints recall, precision and
F1 for both, side by side. A reported digit is read when its box has IoU >= 0.4 with a
true digit's box and its label is right. `stray` counts the reports whose box overlaps
no true digit at all (a plus sign, a letter, wall texture read as a digit), in total
and per image: on the negatives every report is stray, so `/img` is the number of
false digits per photo.

  --dump-failures DIR  writes, for each pipeline and each image it did not read
  perfectly, the image with true boxes in green, right reads in blue and wrong or extra
  reports in red: DIR/ours/scenes/tilted/tilted_0003.jpg and so on. A scene's name is its
  category and seed: `python -m mnist_live.bench scenes` draws it again.

Examples:
  python -m mnist_live.bench read --scenes-per-category 20 --dump-failures failures
  python -m mnist_live.bench read --only negatives --only equations
  git worktree add /tmp/before 8670ec8 && python -m mnist_live.bench read --release /tmp/before
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict

import cv2
import numpy as np
from tqdm import tqdm

from .. import atomic, cli, scenes
from . import sets
from .readers import NamedReader, add_reader_arguments, chosen_readers, release_reader
from .scoring import MIN_IOU, ImageScore, Tally, score_image

HELP = "recall, precision and F1 of our pipeline and the reference's, per image set"

GREEN, BLUE, RED = (0, 170, 0), (230, 90, 0), (0, 0, 230)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_reader_arguments(parser)
    parser.add_argument(
        "--scenes-per-category", type=int, default=10, metavar="N",
        help="generated scenes per category (default: %(default)s)",
    )
    parser.add_argument(
        "--seed", type=cli.seed_value, default=0,
        help="scene seed; the same seed gives the same scenes (default: %(default)s)",
    )
    parser.add_argument(
        "--only", choices=sets.SETS, action="append", metavar="SET",
        help=f"read only this image set, one of {', '.join(sets.SETS)} (repeatable)",
    )
    parser.add_argument(
        "--categories", type=sets.parse_categories, default=scenes.CATEGORIES,
        metavar="LIST",
        help=f"comma-separated scene categories (default: all: {','.join(scenes.CATEGORIES)})",
    )
    parser.add_argument(
        "--dump-failures", type=cli.writable_folder, metavar="DIR",
        help="write an annotated picture of every image not read perfectly into DIR",
    )
    parser.add_argument(
        "--release", type=cli.given_path, metavar="DIR",
        help="also read with another release's pipeline and model: a checkout of this "
        "project (e.g. git worktree add /tmp/before COMMIT), run in its own process",
    )
    parser.add_argument(
        "--json", type=cli.writable_file, metavar="FILE",
        help="also write every row and every image's counts to FILE as JSON",
    )


def run(args: argparse.Namespace) -> int:
    images = _collect_images(args)
    readers = chosen_readers(args)
    if args.release:
        readers.append(release_reader(args.release))

    tallies = {reader.name: defaultdict(Tally) for reader in readers}
    seconds = dict.fromkeys(tallies, 0.0)
    records = []
    for item in tqdm(images, desc="reading", unit="image", file=sys.stderr):
        image, truth = item.load()
        record = {"name": item.name, "group": item.group, "true": len(truth)}
        for reader in readers:
            start = time.perf_counter()
            reading = reader.reader.read(image)
            seconds[reader.name] += time.perf_counter() - start
            score = score_image(truth, reading.digits)
            for row in _rows_of(item.group):
                tallies[reader.name][row].add(score)
            record[reader.name] = _score_record(score, reading.digits)
            if args.dump_failures and not score.perfect:
                picture = draw_score(image, truth, reading.digits, score, reader.name)
                path = args.dump_failures / reader.name / item.group / f"{item.name}.jpg"
                jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 92])[1]
                atomic.write_bytes(path, jpeg.tobytes())
        records.append(record)

    rows = _ordered_rows(tallies[readers[0].name])
    print(format_table(rows, readers, tallies))
    print()
    for reader in readers:
        mean_ms = 1000 * seconds[reader.name] / max(1, len(images))
        print(f"{reader.name}: {reader.model_path.name}, {mean_ms:.1f} ms per image"
              + "".join(f"; {note}" for note in reader.notes))
    if any(item.group.startswith("scenes/") for item in images):
        print(f"scenes: {args.scenes_per_category} per category, seed {args.seed}")
    print(f"read = box IoU >= {MIN_IOU} with a true digit and the right label; "
          f"stray = a report with IoU < {MIN_IOU} with every true digit")
    if any(item.group == "negatives" for item in images):
        print("negatives: photos with no digit, so every report is a false digit; "
              f"{len(sets.SKIMAGE_NEGATIVES)} scikit-image samples in a row of their own "
              "(we may train on those)")
    if any(item.group == "equations" for item in images):
        print(f"equations: besides the digits, {sets.equation_marks()} handwritten marks "
              "(+ - x = ( ) / ...) that are not digits")
    if args.dump_failures:
        print(f"failure pictures: {args.dump_failures}/")
    if args.json:
        report = {
            "settings": {"scenes_per_category": args.scenes_per_category, "seed": args.seed,
                         "min_iou": MIN_IOU},
            "readers": {r.name: {"model": str(r.model_path), "notes": r.notes} for r in readers},
            "rows": {row: {name: tallies[name][row].as_dict() for name in tallies}
                     for row in rows},
            "images": records,
        }
        atomic.write_text(args.json, json.dumps(report, indent=1) + "\n")
    return 0


def _collect_images(args: argparse.Namespace) -> list[sets.LabeledImage]:
    chosen = args.only or list(sets.SETS)
    categories = args.categories
    images = []
    if "testjpg" in chosen:
        images += sets.test_jpg()
    if "photos" in chosen:
        images += sets.photos()
    if "scenes" in chosen:
        images += sets.generated_scenes(args.scenes_per_category, args.seed, categories)
    if "negatives" in chosen:
        images += sets.negatives() + sets.skimage_negatives()
    if "equations" in chosen:
        images += sets.equations()
    return images


def _rows_of(group: str) -> list[str]:
    """An image counts in its own row and in its set's overall row."""
    head, _, _ = group.partition("/")
    return [f"{head} (all)", group] if "/" in group else [group]


def _ordered_rows(tallies: dict[str, Tally]) -> list[str]:
    """Sets in SETS order (test.jpg first); in each, the overall row followed by its
    parts (scenes in CATEGORIES order)."""
    order = {f"scenes/{c}": i for i, c in enumerate(scenes.CATEGORIES)}

    def key(row: str):
        name = row.replace("test.jpg", "testjpg", 1)
        index = next(i for i, s in enumerate(sets.SETS) if name.startswith(s))
        return (index, "/" in row, order.get(row, 0), row)

    return sorted(tallies, key=key)


def format_table(rows: list[str], readers: list[NamedReader], tallies: dict) -> str:
    """One line per row: set, images, true digits, then recall/precision/F1,
    read/reported counts and stray reports (in all, per image) for each pipeline."""
    label_width = max(len("image set"), *(len(_label(r)) for r in rows))
    block = f"{'recall':>7} {'prec':>6} {'F1':>6} {'read/rep':>9} {'stray':>5} {'/img':>5}"
    header1 = " " * (label_width + 13) + "".join(
        f" | {reader.name.upper():^{len(block)}}" for reader in readers
    )
    header2 = f"{'image set':<{label_width}} {'imgs':>5} {'digits':>6}" + (
        f" | {block}" * len(readers)
    )
    lines = [header1, header2, "-" * len(header2)]
    first = readers[0].name
    for row in rows:
        base = tallies[first][row]
        line = f"{_label(row):<{label_width}} {base.images:>5} {base.true:>6}"
        for reader in readers:
            t = tallies[reader.name][row]
            line += (f" | {_number(t.recall):>7} {_number(t.precision):>6} "
                     f"{_number(t.f1):>6} {f'{t.read}/{t.reported}':>9} "
                     f"{t.stray:>5} {_number(t.stray_per_image, 2):>5}")
        lines.append(line)
    return "\n".join(lines)


def _label(row: str) -> str:
    return f"  {row}" if "/" in row else row


def _number(value: float, decimals: int = 3) -> str:
    return "-" if math.isnan(value) else f"{value:.{decimals}f}"


def _score_record(score: ImageScore, reported: list) -> dict:
    return {
        "reported": score.reported,
        "read": score.read,
        "missed": score.missed,
        "wrong": [[t, reported[r].digit] for t, r in score.wrong],
        "extra": [{"digit": reported[r].digit, "box": list(reported[r].box)}
                  for r in score.extra],
        "stray": score.stray,
    }


def draw_score(
    image: np.ndarray, truth: list, reported: list, score: ImageScore, title: str = ""
) -> np.ndarray:
    """The image with true boxes in green, right reads in blue, wrong or extra in red.

    Each report's label is written above its box; a missed true digit's label is
    written in green below its box.
    """
    canvas = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    size = max(canvas.shape[:2])
    thick = max(1, round(size / 640))
    font = max(0.45, size / 1400)
    read_reports = {r for _, r in score.reads}

    for i, true in enumerate(truth):
        x, y, w, h = true.box
        cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), GREEN, thick)
        if i in score.missed:
            _text(canvas, str(true.digit), (x, y + h + round(22 * font)), GREEN, font, thick)
    for j, report in enumerate(reported):
        color = BLUE if j in read_reports else RED
        x, y, w, h = report.box
        pad = 2 * thick  # just outside the green box, so both stay visible
        cv2.rectangle(canvas, (x - pad, y - pad), (x + w - 1 + pad, y + h - 1 + pad), color, thick)
        _text(canvas, str(report.digit), (x, y - pad - 3), color, font, thick)

    summary = (f"{title}: read {score.read}/{score.true}, "
               f"{score.reported - score.read} of {score.reported} reports wrong or extra")
    _text(canvas, summary, (5, round(24 * font)), (0, 0, 0), font, thick, background=True)
    return canvas


def _text(canvas, text, origin, color, scale, thick, background=False) -> None:
    if background:
        (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        x, y = origin
        cv2.rectangle(canvas, (x - 3, y - h - 3), (x + w + 3, y + base + 3), (255, 255, 255), -1)
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thick, cv2.LINE_AA)
