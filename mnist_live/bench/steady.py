"""`python -m mnist_live.bench steady`: do labels stay put on a still page?

Films generated pages (MNIST test digits, see scenes.py) as a hand-held camera would:
fresh sensor noise every frame, exposure drifting, the page shaking by 1-2 px. Then runs
the live view's reader (SteadyReader: pipeline + tracking, a still page read in full
only when it changes, see change.py), the same reading every frame in full
(--every-frame) and, for comparison, the raw per-frame pipeline, and prints per pipeline:

  right      share of digit-frames where the true digit is shown with the right label
             (a shown box with IoU >= 0.4 with the digit's box); goal >= 97%
  >=97%      share of digits shown right in at least 97% of their frames
  changes    share of digit-frames whose shown label (or absence) differs from the
             previous frame's; goal <= 0.2%
  numbers    share of number-frames where a multi-digit number is reported whole: a
             reported number with the same text whose box has IoU >= 0.4; goal >= 95%
  ms/frame   time per frame, for scale
  read       share of frames read in full

--pan PX makes the page drift as well, as one held in a hand does.

Examples:
  python -m mnist_live.bench steady --pages 8 --frames 150
  python -m mnist_live.bench steady --category crowded --pan 1
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import dataclass, field

from tqdm import tqdm

from .. import cli, config, scenes
from ..live import SteadyReader
from ..pipeline import DigitReader, PipelineSettings
from .readers import our_reader
from .scoring import MIN_IOU, iou, whole_numbers

HELP = "label stability and whole numbers on filmed still pages (live view vs raw)"

GOALS = {"right": 0.97, "changes": 0.002, "numbers": 0.95}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=cli.model_file, metavar="PATH",
                        help="the model (default: the shipped mnist.tflite)")
    parser.add_argument("--pages", type=int, default=8, metavar="N",
                        help="pages filmed (default: %(default)s)")
    parser.add_argument("--frames", type=int, default=150, metavar="N",
                        help="frames per page (default: %(default)s)")
    parser.add_argument("--category", default="clean", choices=scenes.CATEGORIES,
                        help="kind of page (default: %(default)s)")
    parser.add_argument("--seed", type=cli.seed_value, default=0,
                        help="page and filming seed (default: %(default)s)")
    parser.add_argument("--pan", type=cli.non_negative, default=0.0, metavar="PX",
                        help="the page also drifts by up to PX pixels a frame, as a page "
                             "held in a hand does (a random walk; default: still)")
    parser.add_argument("--threads", type=cli.thread_count, default=config.DEFAULT_NUM_THREADS,
                        metavar="N", help="interpreter threads (default: %(default)s)")


@dataclass
class Stability:
    """Counts for one pipeline over all pages."""

    digit_frames: int = 0
    right: int = 0
    changes: int = 0
    transitions: int = 0
    number_frames: int = 0
    numbers_whole: int = 0
    per_digit_right: list[float] = field(default_factory=list)
    seconds: float = 0.0
    frames: int = 0
    full_reads: int = 0  # frames read in full (the live view skips unchanged ones)

    def row(self) -> dict[str, float]:
        return {
            "right": self.right / max(1, self.digit_frames),
            ">=97%": sum(r >= GOALS["right"] for r in self.per_digit_right)
            / max(1, len(self.per_digit_right)),
            "changes": self.changes / max(1, self.transitions),
            "numbers": self.numbers_whole / max(1, self.number_frames),
            "ms/frame": 1000 * self.seconds / max(1, self.frames),
            "read": self.full_reads / max(1, self.frames),
        }


def shown_label(truth_box, shown) -> int | None:
    """The label shown on a true digit's box this frame, or None if nothing is shown."""
    best, label = MIN_IOU, None
    for digit in shown:
        overlap = iou(truth_box, digit.box)
        if overlap >= best:
            best, label = overlap, digit.digit
    return label


def film_page(read, page: scenes.Scene, frames: int, seed: int, tally: Stability,
              pan: float = 0.0) -> None:
    """Run `read(frame) -> (digits, numbers)` over one filmed page and count."""
    history: list[list[int | None]] = [[] for _ in page.digits]
    for video_frame in scenes.render_video_frames(page, frames, seed, pan=pan):
        start = time.perf_counter()
        digits, numbers = read(video_frame.image)
        tally.seconds += time.perf_counter() - start
        tally.frames += 1
        for k, truth in enumerate(video_frame.digits):
            history[k].append(shown_label(truth.box, digits))
        true, whole = whole_numbers(video_frame.numbers, numbers)
        tally.number_frames += true
        tally.numbers_whole += whole
    for truth, labels in zip(page.digits, history, strict=True):
        right = sum(label == truth.digit for label in labels)
        tally.right += right
        tally.digit_frames += len(labels)
        tally.per_digit_right.append(right / len(labels))
        tally.changes += sum(a != b for a, b in itertools.pairwise(labels))
        tally.transitions += len(labels) - 1


def run(args: argparse.Namespace) -> int:
    named = our_reader(args.model, args.threads)
    for note in named.notes:
        print(f"note: {note}")
    classifier = named.reader.classifier
    pages = scenes.make_scenes(args.category, args.pages, args.seed)
    results = {"live view (tracked)": Stability(), "live, --every-frame": Stability(),
               "raw per frame": Stability()}
    for index, page in enumerate(tqdm(pages, desc="pages", unit="page")):
        steady = SteadyReader(DigitReader(classifier, PipelineSettings()))
        every = SteadyReader(DigitReader(classifier, PipelineSettings()), reuse=False)
        raw = DigitReader(classifier, PipelineSettings())

        def read_steady(frame, steady=steady):
            live = steady.read(frame)
            return live.digits, live.numbers

        def read_every(frame, every=every):
            live = every.read(frame)
            return live.digits, live.numbers

        def read_raw(frame, raw=raw):
            reading = raw.read(frame)
            return reading.digits, reading.numbers

        live_view, every_frame = results["live view (tracked)"], results["live, --every-frame"]
        film_page(read_steady, page, args.frames, args.seed + index, live_view, args.pan)
        film_page(read_every, page, args.frames, args.seed + index, every_frame, args.pan)
        film_page(read_raw, page, args.frames, args.seed + index, results["raw per frame"],
                  args.pan)
        live_view.full_reads += steady.full_reads
        every_frame.full_reads += every.full_reads
        results["raw per frame"].full_reads += args.frames

    digits = sum(len(p.digits) for p in pages)
    numbers = sum(len(n.text) > 1 for p in pages for n in p.numbers)
    motion = f", drifting up to {args.pan:g} px a frame" if args.pan else ""
    print(f"\n{args.pages} {args.category} pages x {args.frames} frames{motion}: {digits} "
          f"digits, {numbers} multi-digit numbers; model {named.model_path.name}")
    columns = ["right", ">=97%", "changes", "numbers", "ms/frame", "read"]
    print(f"{'':22s}" + "".join(f"{c:>10s}" for c in columns))
    for name, tally in results.items():
        row = tally.row()
        cells = [f"{row[c]:10.2%}" if c == "changes" else f"{row[c]:10.1f}"
                 if c == "ms/frame" else f"{row[c]:10.1%}" for c in columns]
        print(f"{name:22s}" + "".join(cells))
    print(f"{'goal':22s}{GOALS['right']:10.0%}{'':>10s}{GOALS['changes']:10.1%}"
          f"{GOALS['numbers']:10.0%}")
    print("read: share of frames read in full (the live view shows the last full read "
          "again on frames where the page has not changed)")
    return 0
