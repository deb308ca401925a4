"""`python -m mnist_live.bench profile`: where the live loop's milliseconds go.

Runs the live loop (`live.run_live`, headless, tracking, numbers, JSON lines written to
/dev/null) over the speed benchmark's video twice in this process: once plainly, for
the true ms/frame, then under cProfile. It prints the time per frame of each pipeline
stage it knows (decode, the unchanged-page test, to_gray, binarize, ruled lines,
close_gaps, blobs, hypotheses, mnist_crop, the classifier, tracking, numbers, JSON),
then the functions that take the most time of their own. By default most frames of
the video's still pages are not read in full (change.py); --every-frame profiles full
reads only. cProfile slows Python code more than OpenCV or LiteRT calls, so the
stages add up to more than the plain run: compare stages with each other, and
re-measure a fix with `speed`.

Examples:
  python -m mnist_live.bench profile
  python -m mnist_live.bench profile --model int8.tflite --threads 1 --save live.prof
  (then e.g. `python -m pstats live.prof` or snakeviz)
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import time
from pathlib import Path

from .. import atomic, cli, config
from ..capture import VideoSource
from ..classifier import ClassifierOptions, DigitClassifier
from ..live import LiveOptions, run_live
from ..pipeline import DigitReader
from . import speed

HELP = "cProfile of the live loop on the speed video: ms/frame per stage and function"

# (label, file name, function name): cumulative time of that function, per frame.
STAGES = [
    ("decode (VideoSource.read)", "capture.py", "read"),
    ("live reader (SteadyReader.read)", "live.py", "read"),
    ("  unchanged? (needs_reading)", "change.py", "needs_reading"),
    ("  tracker.repeat (unchanged frames)", "tracking.py", "repeat"),
    ("pipeline (DigitReader.read)", "pipeline.py", "read"),
    ("  to_gray", "binarize.py", "to_gray"),
    ("  working_image", "pipeline.py", "working_image"),
    ("  binarize", "binarize.py", "binarize"),
    ("    ink_is_dark", "binarize.py", "ink_is_dark"),
    ("    ink_image", "binarize.py", "ink_image"),
    ("  remove_ruled_lines", "candidates.py", "remove_ruled_lines"),
    ("  close_gaps", "candidates.py", "close_gaps"),
    ("  find_blobs", "candidates.py", "find_blobs"),
    ("  measure the scale", "scale.py", "measure"),
    ("  page texture", "page.py", "__init__"),
    ("  hypotheses (choose)", "hypotheses.py", "choose"),
    ("    propose", "hypotheses.py", "propose"),
    ("    merge (joined pieces)", "candidates.py", "merge"),
    ("    page evidence", "page.py", "evidence"),
    ("    best_cover", "hypotheses.py", "best_cover"),
    ("  mnist_crop (all crops)", "normalize.py", "mnist_crop"),
    ("    stroke_width", "normalize.py", "stroke_width"),
    ("  classifier.probabilities", "classifier.py", "probabilities"),
    ("    interpreter invoke", "", ".Invoke>"),  # a built-in: matched by name
    ("  group_numbers", "numbers.py", "group_numbers"),
    ("tracking (DigitTracker.update)", "tracking.py", "update"),
    ("JSON (json_line)", "live.py", "json_line"),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frames", type=int, default=300, metavar="N",
                        help="frames of the speed video (default: %(default)s)")
    parser.add_argument("--model", type=cli.model_file, metavar="PATH",
                        help="our model (default: the shipped mnist.tflite)")
    parser.add_argument("--threads", type=cli.thread_count, default=config.DEFAULT_NUM_THREADS,
                        metavar="N", help="interpreter threads (default: %(default)s)")
    parser.add_argument("--top", type=int, default=20, metavar="N",
                        help="functions to list by own time (default: %(default)s)")
    parser.add_argument("--every-frame", action="store_true",
                        help="read every frame in full, as the live script's --every-frame "
                             "does (by default a still page's frames reuse its last full "
                             "read)")
    parser.add_argument("--video-dir", type=cli.writable_folder, metavar="DIR",
                        help=f"where the video is cached (default: {speed.default_video_dir()})")
    parser.add_argument("--save", type=cli.writable_file, metavar="FILE",
                        help="also save the raw profile (pstats format) to FILE")


def live_run(reader: DigitReader, video: Path, every_frame: bool = False) -> float:
    """Seconds the live loop takes over the whole video, JSON lines to /dev/null."""
    options = LiveOptions(headless=True, json_lines=True, reuse=not every_frame)
    start = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        run_live(reader, VideoSource(str(video), None, None, live=False), options)
    return time.perf_counter() - start


def stage_times(stats: pstats.Stats, frames: int) -> list[tuple[str, float, int]]:
    """(label, cumulative ms per frame, calls per frame) of each stage found."""
    rows = []
    for label, file_name, function in STAGES:
        found = [(value[3], value[1]) for (path, _, name), value in stats.stats.items()
                 if (name == function and path.endswith(file_name) if file_name
                     else name.endswith(function))]
        if found:
            rows.append((label, 1000 * sum(t for t, _ in found) / frames,
                         round(sum(n for _, n in found) / frames)))
    return rows


def run(args: argparse.Namespace) -> int:
    model = args.model or config.DEFAULT_MODEL_PATH
    folder = args.video_dir or speed.default_video_dir()
    video = speed.make_video(speed.video_path(folder, args.frames, 0), args.frames)
    reader = DigitReader(DigitClassifier(ClassifierOptions(model, num_threads=args.threads)))

    live_run(reader, video, args.every_frame)  # warm-up: first invoke, caches
    plain = live_run(reader, video, args.every_frame)
    profiler = cProfile.Profile()
    profiler.enable()
    profiled = live_run(reader, video, args.every_frame)
    profiler.disable()
    stats = pstats.Stats(profiler)

    n = args.frames
    print(f"profile: live loop over {n} frames of {video.name}, model {model.name}, "
          f"{args.threads} thread(s), load {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"plain run: {1000 * plain / n:.2f} ms/frame; under cProfile: "
          f"{1000 * profiled / n:.2f} ms/frame\n")
    print(f"{'stage (cumulative, under cProfile)':40} {'ms/frame':>9} {'calls/frame':>12}")
    for label, ms, calls in stage_times(stats, n):
        print(f"{label:40} {ms:9.3f} {calls:12d}")
    print(f"\nfunctions by own time (ms/frame, under cProfile), top {args.top}:")
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)
    for (path, line, name), (_, calls, own, cumulative, _) in rows[: args.top]:
        where = f"{Path(path).name}:{line}" if line else "built-in"
        print(f"{1000 * own / n:8.3f} own {1000 * cumulative / n:8.3f} cum "
              f"{calls / n:7.1f} calls/frame  {name} ({where})")
    if args.save:
        with atomic.atomic_path(args.save) as temp:
            stats.dump_stats(str(temp))
    return 0
