"""`python -m mnist_live.bench scale`: is one digit read at every distance?

Draws ONE MNIST test digit alone near the middle of a plain page (scenes.py's paper,
ink, light and noise), its ink from 18 px tall up to 90% of the frame's height, at
several frame sizes, and counts the share of frames where it is read *right and
alone*: exactly one digit reported, with the right label and a box with IoU >= 0.4
with the digit's. A digit split into pieces ("711211" for one big 7), lost, misread or
joined by a false digit beside it is not.

Each size of each frame size shows the same digits (N per size, balanced over the ten
classes and chosen by --seed among those at most 1.2 times as wide as tall, so that
each fits the frame at every size), so the rows differ only in scale. The largest size
of each frame size is 90% of its height (432 px at 640x480).

Examples:
  python -m mnist_live.bench scale
  python -m mnist_live.bench scale --resolutions 640x480 --digits 50 --dump-failures out
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass

import cv2
import numpy as np
from tqdm import tqdm

from .. import atomic, cli, scenes
from ..cli import positive_int
from ..errors import UserError
from .read import draw_score
from .readers import add_reader_arguments, chosen_readers
from .scoring import MIN_IOU, ImageScore, score_image

HELP = "share of lone digits read right and alone, from 18 px to 90%% of the frame height"

SIZES = (18, 30, 50, 80, 120, 180, 260, 400, 600, 900)
RESOLUTIONS = ((640, 480), (1280, 720), (1600, 1200))
LARGEST = 0.9  # of the frame's height: the last size of each frame size
SHORT = {"reference": "ref"}  # column titles
# A digit much wider than tall cannot be drawn 90% of a 4:3 frame's height: the sweep
# leaves out MNIST's few flat ones (wider than 1.2 times their height).
MAX_ASPECT = 1.2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_reader_arguments(parser)
    parser.add_argument("--digits", type=positive_int, default=20, metavar="N",
                        help="digits drawn at each size (default: %(default)s)")
    parser.add_argument("--sizes", type=_sizes, default=SIZES, metavar="LIST",
                        help="digit heights in px, comma-separated; each frame size also "
                             f"gets {LARGEST * 100:.0f}%% of its height, and skips larger ones "
                             f"(default: {','.join(map(str, SIZES))})")
    parser.add_argument("--resolutions", type=_resolutions, default=RESOLUTIONS,
                        metavar="LIST", help="frame sizes WxH, comma-separated (default: "
                        f"{','.join(f'{w}x{h}' for w, h in RESOLUTIONS)})")
    parser.add_argument("--seed", type=cli.seed_value, default=0,
                        help="which digits, where and how they are drawn (default: %(default)s)")
    parser.add_argument("--dump-failures", type=cli.writable_folder, metavar="DIR",
                        help="write a picture of every frame not read right and alone "
                             "into DIR/READER/WxH/")
    parser.add_argument("--json", type=cli.writable_file, metavar="FILE",
                        help="also write every cell and every frame's outcome to FILE")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of heights in px: {text!r}") from None
    if not sizes or sizes[0] < 8:
        raise argparse.ArgumentTypeError("heights must be at least 8 px")
    return tuple(sizes)


def _resolutions(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(frame_size(part) for part in text.split(","))


def frame_size(text: str, smallest: int = 64) -> tuple[int, int]:
    """"640x480" -> (640, 480), for argparse."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a frame size WxH: {text!r}") from None
    if min(width, height) < smallest:
        raise argparse.ArgumentTypeError(f"frame too small: {text!r}")
    return width, height


def heights_for(frame_height: int, sizes: tuple[int, ...]) -> list[int]:
    """The digit heights swept at one frame size: `sizes` up to 90% of the frame's
    height, and that 90% itself."""
    largest = round(LARGEST * frame_height)
    return [s for s in sizes if s < largest] + [largest]


def sample_digits(count: int, seed: int) -> list[int]:
    """`count` MNIST test indices, classes 0-9 in turn, chosen at random by `seed`
    among the digits at most MAX_ASPECT times as wide as tall (96% of them)."""
    images, labels = scenes.mnist_test_digits()
    ink = images >= 0.5 * images.max(axis=(1, 2), keepdims=True)  # as scenes.INK_LEVEL
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    aspect = _extent(cols) / _extent(rows)
    rng = np.random.default_rng(seed)
    return [int(rng.choice(np.flatnonzero((labels == k % 10) & (aspect <= MAX_ASPECT))))
            for k in range(count)]


def _extent(mask: np.ndarray) -> np.ndarray:
    """Per row of `mask`, the distance from its first True to its last, inclusive."""
    first = mask.argmax(axis=1)
    last = mask.shape[1] - 1 - mask[:, ::-1].argmax(axis=1)
    return last - first + 1


def outcome(score: ImageScore) -> str:
    """What happened to a lone digit: read right and alone, or why not."""
    if score.read == 1 and score.reported == 1:
        return "right and alone"
    if score.reported == 0:
        return "nothing"
    if score.read == 1:
        return "extra digits"  # read, but not alone
    if score.reported > 1:
        return "several digits"  # e.g. pieces of it read as digits
    return "wrong label" if score.wrong else "box off"


@dataclass
class Cell:
    """One size at one frame size, for one reader."""

    frames: int = 0
    right_alone: int = 0

    @property
    def share(self) -> float:
        return self.right_alone / self.frames if self.frames else float("nan")


def run(args: argparse.Namespace) -> int:
    readers = chosen_readers(args)
    indices = sample_digits(args.digits, args.seed)
    _, labels = scenes.mnist_test_digits()
    plan = [(size, height) for size in args.resolutions
            for height in heights_for(size[1], args.sizes)]

    cells: dict[tuple, Cell] = {}
    why: dict[str, Counter] = {r.name: Counter() for r in readers}
    records = []
    progress = tqdm(total=len(plan) * len(indices), desc="frames", unit="frame",
                    file=sys.stderr)
    for size, height in plan:
        for k, index in enumerate(indices):
            try:
                page = scenes.make_lone_digit(size, height, index, args.seed)
            except ValueError as exc:  # a wide digit in a narrow frame
                raise UserError(str(exc)) from None
            record = {"size": f"{size[0]}x{size[1]}", "height": height, "mnist_index": index,
                      "digit": int(labels[index])}
            for reader in readers:
                digits = reader.reader.read(page.image).digits
                score = score_image(page.digits, digits)
                result = outcome(score)
                cell = cells.setdefault((reader.name, size, height), Cell())
                cell.frames += 1
                cell.right_alone += result == "right and alone"
                why[reader.name][result] += 1
                record[reader.name] = {"outcome": result,
                                       "reported": [[d.digit, list(d.box)] for d in digits]}
                if args.dump_failures and result != "right and alone":
                    picture = draw_score(page.image, page.digits, digits, score,
                                         f"{reader.name}: {result}")
                    path = (args.dump_failures / reader.name / record["size"]
                            / f"{height:04d}px_{k:02d}_digit{record['digit']}.jpg")
                    jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 90])[1]
                    atomic.write_bytes(path, jpeg.tobytes())
            records.append(record)
            progress.update()
    progress.close()

    names = [r.name for r in readers]
    print(format_table(cells, names, args.resolutions, args.sizes))
    print()
    print(f"{len(indices)} MNIST test digits per cell (seed {args.seed}); read right and "
          f"alone = exactly one digit reported, right label, box IoU >= {MIN_IOU}; the last "
          f"row of each frame size is {LARGEST:.0%} of its height")
    for name in names:
        counts = ", ".join(f"{kind} {n}" for kind, n in why[name].most_common()
                           if kind != "right and alone") or "none"
        print(f"{name}, frames not read right and alone: {counts}")
    if args.json:
        report = {
            "settings": {"digits": len(indices), "seed": args.seed, "min_iou": MIN_IOU},
            "cells": [{"reader": name, "size": f"{w}x{h}", "height": height,
                       "frames": cell.frames, "right_alone": cell.right_alone}
                      for (name, (w, h), height), cell in cells.items()],
            "frames": records,
        }
        atomic.write_text(args.json, json.dumps(report, indent=1) + "\n")
    return 0


def format_table(cells: dict, names: list[str], resolutions, sizes) -> str:
    """Digit heights down, frame sizes across, each reader's share in each."""
    heights = sorted({h for size in resolutions for h in heights_for(size[1], sizes)})
    width = 7 * len(names)
    header1 = f"{'':>9}" + "".join(f" | {f'{w}x{h}':^{width}}" for w, h in resolutions)
    short = "".join(f"{SHORT.get(n, n[:6]):>7}" for n in names)
    header2 = f"{'height':>9}" + f" | {short}" * len(resolutions)
    lines = [header1, header2, "-" * len(header2)]
    for height in heights:
        line = f"{height:>6} px"
        for size in resolutions:
            line += " | " + "".join(
                f"{_share(cells.get((name, size, height))):>7}" for name in names)
        lines.append(line)
    return "\n".join(lines)


def _share(cell: Cell | None) -> str:
    return "-" if cell is None else f"{cell.share:.0%}"
