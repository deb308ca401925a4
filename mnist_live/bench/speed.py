"""`python -m mnist_live.bench speed`: milliseconds per frame, ours against the reference.

What is measured, on one video of camera-like pages (640x480, about ten MNIST test
digits per frame, fresh sensor noise, exposure drift and shake in every frame, so no two
frames are identical), each row in a process of its own:

  (a) decoding the video alone (the same VideoSource the live script reads with);
  (b) the reference pipeline on every frame: `reference.ReferenceReader` (global Otsu,
      5x5 close, contours, square pad) with reference_mnist.tflite, one invoke per crop,
      called the way the reference script called it (set_tensor, invoke, get_tensor);
  (c) our live script as users run it:
      `mnist_tflite_live_detection.py --source VIDEO --headless --json`;
  (d) the same with --every-frame: every frame read in full. By default (c) reads a
      frame in full only when the page changed since its last full read, or every
      ChangeSettings.reread_every frames (change.py); (d) shows what a full read costs.
      The video holds each page for only FRAMES_PER_SCENE frames, far shorter than a
      page is held in front of a camera, so (c)'s figure is a cautious one;
  (e) for scale: the reference's steps (b) with our model, all crops of a frame in one
      invoke. No pipeline that reads every frame with our model can be much faster.

Each process times itself from the end of its first frame (model loaded, first invoke
done) to the end of its last: for (c) that is the "time" field of the first and the last
JSON line, so start-up is left out. The median of decoding (a) is subtracted from (b) and
(c), and the ratio (b)/(c) is the speed-up. The time from launching (c) to its first
JSON line on stdout is the start-up a user waits for. Rows run interleaved, a, b, c, a,
b, c, ..., after one untimed warm-up round, so a load change on a shared machine hits
all three alike; medians and min-max over the rounds are reported, with the load average.

The video is made once and cached (--video-dir, default: a folder in the system's temp).

Examples:
  python -m mnist_live.bench speed
  python -m mnist_live.bench speed --frames 300 --repeats 7 --model int8.tflite --threads 1
  python -m mnist_live.bench speed --json speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from .. import atomic, cli, config, scenes
from ..capture import VideoSource
from ..classifier import ClassifierOptions, DigitClassifier
from ..errors import UserError
from .reference import ReferenceReader, reference_model_path

HELP = "ms per frame of the reference pipeline and our live script on the same video"

LIVE_SCRIPT = config.PROJECT_ROOT / "mnist_tflite_live_detection.py"
VIDEO_VERSION = 1  # bump when the video's content changes, so caches are remade
SCENE_CATEGORY = "clean"  # 6-14 digits per page, 10 on average
FRAMES_PER_SCENE = 25  # each page is filmed this long, then the next one starts
VIDEO_FPS = 30.0
TARGET_SPEEDUP = 3.0
TARGET_FIRST_FRAME_S = 1.0
ROWS = {"decode": "(a) decode only", "reference": "(b) reference pipeline",
        "ours": "(c) our live script", "every_frame": "(d) ours, --every-frame",
        "floor": "(e) (b)'s steps, our model"}
OURS = ("ours", "every_frame")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frames", type=int, default=300, metavar="N",
                        help="frames in the video; each run reads all of them "
                             "(default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=5, metavar="N",
                        help="timed rounds of a, b, c (default: %(default)s)")
    parser.add_argument("--model", type=cli.model_file, metavar="PATH",
                        help="our model, passed to the live script as --model (default: "
                             "the shipped mnist.tflite)")
    parser.add_argument("--threads", type=cli.thread_count, default=config.DEFAULT_NUM_THREADS,
                        metavar="N", help="interpreter threads, for (b) and (c) alike "
                                          "(default: %(default)s)")
    parser.add_argument("--video-dir", type=cli.writable_folder, metavar="DIR",
                        help="where the video is made and cached (default: "
                             f"{default_video_dir()})")
    parser.add_argument("--seed", type=cli.seed_value, default=0,
                        help="scene seed of the video (default: %(default)s)")
    parser.add_argument("--json", type=cli.writable_file, metavar="FILE",
                        help="also write every run's numbers to FILE as JSON")
    # One timed run of (a) or (b), in a process of its own; the bench launches these.
    parser.add_argument("--worker", choices=("decode", "reference", "floor"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--video", type=cli.given_path, help=argparse.SUPPRESS)


# --- The video ------------------------------------------------------------------------


def default_video_dir() -> Path:
    return Path(tempfile.gettempdir()) / "mnist_live_bench"


def video_path(folder: Path, frames: int, seed: int) -> Path:
    return folder / f"pages_{SCENE_CATEGORY}_{frames}f_seed{seed}_v{VIDEO_VERSION}.avi"


def render_frames(frames: int, seed: int = 0):
    """Yield (BGR frame, digits on it) `frames` times: `SCENE_CATEGORY` pages, a new one
    every FRAMES_PER_SCENE frames, each filmed with fresh noise, drift and shake."""
    page = 0
    while frames > 0:
        scene = scenes.make_scene(SCENE_CATEGORY, seed * 1000 + page)
        count = min(FRAMES_PER_SCENE, frames)
        for frame in scenes.render_video_frames(scene, count, seed=seed * 1000 + page):
            yield frame.image, len(frame.digits)
        frames -= count
        page += 1


def make_video(path: Path, frames: int, seed: int = 0) -> Path:
    """Write the benchmark's video (Motion JPEG .avi) unless it is already there."""
    if path.is_file():
        return path
    writer = None
    with atomic.atomic_path(path) as temp:
        for image, _ in tqdm(render_frames(frames, seed), total=frames, desc="making video",
                             unit="frame", file=sys.stderr, leave=False):
            if writer is None:
                height, width = image.shape[:2]
                writer = cv2.VideoWriter(str(temp), cv2.VideoWriter_fourcc(*"MJPG"),
                                         VIDEO_FPS, (width, height))
                if not writer.isOpened():
                    raise RuntimeError(f"OpenCV cannot write Motion JPEG to {temp}")
            writer.write(image)
        if writer is not None:
            writer.release()
    return path


# --- One timed run, each in its own process -------------------------------------------


class InterpreterClassifier:
    """The reference script's way of calling the model: set_tensor, invoke, argmax.

    `ReferenceReader` calls `classify(crop[None])[0]`; going through our DigitClassifier
    instead would add its input checks and output conversion (~0.02 ms a crop) to the
    baseline and flatter our ratio.
    """

    def __init__(self, model_path: Path, num_threads: int):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(model_path), num_threads=num_threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]

    def classify(self, crops: np.ndarray) -> list:
        self.interpreter.set_tensor(self.input, crops)
        self.interpreter.invoke()
        scores = self.interpreter.get_tensor(self.output)[0]
        digit = int(np.argmax(scores))
        return [_Result(digit, float(scores[digit]))]


@dataclass(frozen=True)
class _Result:
    digit: int
    confidence: float


def timed_run(kind: str, video: Path, threads: int, model: Path | None = None) -> dict:
    """Read the whole video (decode only, decode + reference, or decode + the reference's
    steps with our model in one invoke a frame); time frames 2..N."""
    source = VideoSource(str(video), None, None, live=False)
    read = None
    if kind == "reference":
        reader = ReferenceReader(InterpreterClassifier(reference_model_path(), threads))

        def read(frame):
            return len(reader.read(frame).digits)
    elif kind == "floor":
        steps = ReferenceReader(InterpreterClassifier(reference_model_path(), threads))
        ours = DigitClassifier(ClassifierOptions(model or config.DEFAULT_MODEL_PATH,
                                                 num_threads=threads))

        def read(frame):
            crops = [c.crop for c in steps.candidates(frame)]
            if not crops:
                return 0
            probs = ours.probabilities(np.stack(crops))
            return int((probs.max(axis=1) >= config.DEFAULT_MIN_CONFIDENCE).sum())
    frames = digits = 0
    first = last = time.perf_counter()
    while (frame := source.read()) is not None:
        if read is not None:
            digits += read(frame)
        frames += 1
        last = time.perf_counter()
        if frames == 1:
            first = last
    source.close()
    return {"frames": frames, "digits": digits,
            "ms_per_frame": 1000 * (last - first) / max(1, frames - 1)}


def launch_worker(kind: str, video: Path, threads: int, model: Path | None = None) -> dict:
    command = [sys.executable, "-m", "mnist_live.bench", "speed", "--worker", kind,
               "--video", str(video), "--threads", str(threads),
               *(["--model", str(model)] if model else [])]
    done = subprocess.run(command, capture_output=True, text=True,
                          cwd=config.PROJECT_ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} run failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def launch_live_script(video: Path, model: Path, threads: int, *options: str) -> dict:
    """Run our live script headless on the video, as a user would; time it by its JSON."""
    command = [sys.executable, str(LIVE_SCRIPT), "--source", str(video), "--headless",
               "--json", "--quiet", "--model", str(model), "--threads", str(threads),
               *options]
    launched = time.perf_counter()
    first_line = None
    times, digits, fresh = [], 0, 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, cwd=tempfile.gettempdir()) as process:
        for line in process.stdout:
            if first_line is None:
                first_line = time.perf_counter() - launched
            record = json.loads(line)
            times.append(record["time"])
            digits += len(record["digits"])
            fresh += record["fresh"]
        errors = process.stderr.read()
    if process.returncode != 0 or len(times) < 2:
        raise RuntimeError(f"live script failed ({process.returncode}):\n{errors}")
    return {"frames": len(times), "digits": digits, "fresh": fresh,
            "first_frame_s": first_line,
            "ms_per_frame": 1000 * (times[-1] - times[0]) / (len(times) - 1)}


# --- Statistics and the table ---------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> Summary:
        return cls(statistics.median(values), min(values), max(values))


def net_times(runs: list[float], decode: list[float]) -> list[float]:
    """Per-frame times with decoding subtracted: its median over all rounds, not the same
    round's, so one slow decoding run on a busy machine does not skew one round."""
    base = statistics.median(decode)
    return [run - base for run in runs]


def speedups(reference: list[float], ours: list[float]) -> list[float]:
    """Round-by-round ratio reference / ours of net times."""
    return [ref / max(mine, 1e-9) for ref, mine in zip(reference, ours, strict=True)]


def summarize(results: dict[str, list[dict]]) -> dict:
    """The numbers of the table, from each row's list of runs (one per round)."""
    raw = {row: [run["ms_per_frame"] for run in runs] for row, runs in results.items()}
    rows = [row for row in ("reference", *OURS, "floor") if row in raw]
    net = {row: net_times(raw[row], raw["decode"]) for row in rows}
    reference = statistics.median(net["reference"])
    return {
        "raw": {row: Summary.of(values) for row, values in raw.items()},
        "net": {row: Summary.of(values) for row, values in net.items()},
        "speedup": {row: reference / max(statistics.median(net[row]), 1e-9)
                    for row in OURS if row in net},
        "speedup_rounds": {row: Summary.of(speedups(net["reference"], net[row]))
                           for row in OURS if row in net},
        "fresh_share": {row: statistics.mean(run["fresh"] / run["frames"] for run in runs)
                        for row, runs in results.items() if row in OURS},
        "first_frame_s": Summary.of([run["first_frame_s"] for run in results["ours"]]),
        "digits_per_frame": {row: statistics.mean(run["digits"] / run["frames"]
                                                  for run in runs)
                             for row, runs in results.items() if row != "decode"},
    }


def format_table(summary: dict) -> str:
    def span(s: Summary, unit: str = "") -> str:
        return f"{s.median:8.2f}{unit} [{s.low:.2f}-{s.high:.2f}]"

    lines = [f"{'':26} {'ms/frame [min-max]':>25} {'minus decode':>25} {'digits/frame':>13}"]
    for row, label in ROWS.items():
        if row not in summary["raw"]:
            continue
        net = span(summary["net"][row]) if row in summary["net"] else ""
        read = summary["digits_per_frame"].get(row)
        lines.append(f"{label:26} {span(summary['raw'][row]):>25} {net:>25} "
                     f"{'' if read is None else f'{read:.1f}':>13}")
    for row, letter in zip(OURS, "cd", strict=True):
        if row not in summary["speedup"]:
            continue
        speedup, rounds = summary["speedup"][row], summary["speedup_rounds"][row]
        # The 3x target is the live script's as users run it (c); --every-frame's (d)
        # is to be no slower than the release before, which another run measures.
        target = (f"   target >= {TARGET_SPEEDUP:.0f}x: "
                  f"{'met' if speedup >= TARGET_SPEEDUP else 'NOT met'}"
                  if letter == "c" else "   (target: no slower than the release before)")
        lines.append(
            f"speed-up (b)/({letter}), net: {speedup:.2f}x (rounds {rounds.low:.2f}-"
            f"{rounds.high:.2f}x), frames read in full: {summary['fresh_share'][row]:.0%}"
            f"{target}")
    first = summary["first_frame_s"]
    lines += [
        f"launch to first JSON frame: {first.median:.2f} s [{first.low:.2f}-{first.high:.2f}]"
        f"   target <= {TARGET_FIRST_FRAME_S:.1f} s: "
        f"{'met' if first.median <= TARGET_FIRST_FRAME_S else 'NOT met'}",
    ]
    return "\n".join(lines)


# --- The command ----------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    if args.worker:
        print(json.dumps(timed_run(args.worker, args.video, args.threads, args.model)))
        return 0
    if args.frames < 2 or args.repeats < 1:
        print("error: --frames must be at least 2 and --repeats at least 1", file=sys.stderr)
        return 2
    if not reference_model_path().is_file():
        raise UserError(f"the reference's model is needed for (b) and was not found: "
                        f"{reference_model_path()} (set {config.DATA_DIR_ENV})")
    model = args.model or config.DEFAULT_MODEL_PATH
    if not model.is_file():
        raise UserError(f"model not found: {model}")
    model = model.resolve()
    folder = (args.video_dir or default_video_dir()).resolve()
    video = make_video(video_path(folder, args.frames, args.seed), args.frames, args.seed)
    steps = {
        "decode": lambda: launch_worker("decode", video, args.threads),
        "reference": lambda: launch_worker("reference", video, args.threads),
        "ours": lambda: launch_live_script(video, model, args.threads),
        "every_frame": lambda: launch_live_script(video, model, args.threads,
                                                  "--every-frame"),
        "floor": lambda: launch_worker("floor", video, args.threads, model),
    }
    load_before = os.getloadavg()
    for step in steps.values():  # warm-up round: caches, .pyc files; not counted
        step()
    results: dict[str, list[dict]] = {row: [] for row in steps}
    with tqdm(total=args.repeats * len(steps), desc="timing", unit="run",
              file=sys.stderr) as progress:
        for _ in range(args.repeats):
            for row, step in steps.items():
                results[row].append(step())
                progress.update()
    load_after = os.getloadavg()

    summary = summarize(results)
    print(f"speed: {args.frames} frames of 640x480 pages ({video.name}), {args.repeats} "
          f"rounds, {args.threads} interpreter thread(s), {os.cpu_count()} CPUs")
    print(f"models: (b) {reference_model_path().name}, (c) {model}")
    print(format_table(summary))
    print("load average (1, 5, 15 min): before "
          + " ".join(f"{v:.2f}" for v in load_before) + ", after "
          + " ".join(f"{v:.2f}" for v in load_after))
    if args.json:
        report = {
            "settings": {"frames": args.frames, "repeats": args.repeats,
                         "threads": args.threads, "seed": args.seed, "video": str(video),
                         "reference_model": str(reference_model_path()),
                         "our_model": str(model), "cpus": os.cpu_count()},
            "load_before": load_before, "load_after": load_after,
            "runs": results,
            "summary": json.loads(json.dumps(summary, default=lambda s: s.__dict__)),
        }
        atomic.write_text(args.json, json.dumps(report, indent=1) + "\n")
    return 0
