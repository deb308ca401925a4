"""`python -m mnist_live.bench soak`: does memory stay flat over a long live run?

Runs the live loop itself (`live.run_live`, headless, with tracking, numbers and one
JSON line per frame, written to /dev/null) over --frames frames of the speed
benchmark's video, played in a loop (the video is closed and opened again each time it
ends), in this process. Every --every frames it samples the process's resident memory
(RSS, psutil). The first --warmup frames fill caches and pools and are not judged: the
RSS after them is the start. It prints the start, the end, the growth (end - start), the
largest sample and the trend (least-squares slope, MB per 1000 frames), and exits with
status 1 when the growth reaches --limit MB (issue 6: under 10 MB over 10,000 frames).

Examples:
  python -m mnist_live.bench soak
  python -m mnist_live.bench soak --frames 2000 --model int8.tflite --json soak.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import psutil
from tqdm import tqdm

from .. import atomic, cli, config
from ..capture import VideoSource
from ..classifier import ClassifierOptions, DigitClassifier
from ..live import LiveOptions, run_live
from ..pipeline import DigitReader
from . import speed

HELP = "RSS of the live loop over a long run (10,000 frames): is memory flat?"

MB = 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frames", type=int, default=10_000, metavar="N",
                        help="frames to process (default: %(default)s)")
    parser.add_argument("--every", type=int, default=100, metavar="N",
                        help="sample the RSS every N frames (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=500, metavar="N",
                        help="frames before the starting sample (default: %(default)s)")
    parser.add_argument("--limit", type=cli.non_negative, default=10.0, metavar="MB",
                        help="largest allowed growth after warm-up (default: %(default)s)")
    parser.add_argument("--video-frames", type=int, default=300, metavar="N",
                        help="length of the looped video (default: %(default)s, the speed "
                             "benchmark's video)")
    parser.add_argument("--model", type=cli.model_file, metavar="PATH",
                        help="our model (default: the shipped mnist.tflite)")
    parser.add_argument("--threads", type=cli.thread_count, default=config.DEFAULT_NUM_THREADS,
                        metavar="N", help="interpreter threads (default: %(default)s)")
    parser.add_argument("--every-frame", action="store_true",
                        help="read every frame in full, as the live script's --every-frame "
                             "does (by default a still page's frames reuse its last full "
                             "read)")
    parser.add_argument("--video-dir", type=cli.writable_folder, metavar="DIR",
                        help=f"where the video is cached (default: {speed.default_video_dir()})")
    parser.add_argument("--json", type=cli.writable_file, metavar="FILE",
                        help="also write every RSS sample to FILE as JSON")


class LoopingVideo:
    """A video file played again and again, as a frame source for `run_live`.

    `on_frame(n)` is called before the n-th frame (0-based) is handed out.
    """

    still = False
    live = False
    fps = speed.VIDEO_FPS

    def __init__(self, path: Path, on_frame=None):
        self.path = path
        self.on_frame = on_frame
        self.description = f"video {path.name} in a loop"
        self.count = 0
        self.loops = 0
        self._source = VideoSource(str(path), None, None, live=False)

    def read(self) -> np.ndarray | None:
        frame = self._source.read()
        if frame is None:  # the end: open it again, as a new run would
            self._source.close()
            self._source = VideoSource(str(self.path), None, None, live=False)
            self.loops += 1
            frame = self._source.read()
            if frame is None:
                return None
        if self.on_frame is not None:
            self.on_frame(self.count)
        self.count += 1
        return frame

    def close(self) -> None:
        self._source.close()


@dataclass(frozen=True)
class SoakResult:
    samples: list[tuple[int, float]]  # (frames processed, RSS in MB)
    warmup: int
    start_mb: float
    end_mb: float
    growth_mb: float
    max_mb: float
    slope_mb_per_1000: float


def summarize(samples: list[tuple[int, float]], warmup: int) -> SoakResult:
    """Start (first sample at or after `warmup`), end, growth, max and trend."""
    judged = [(n, rss) for n, rss in samples if n >= warmup] or samples[-1:]
    frames = np.array([n for n, _ in judged], float)
    rss = np.array([r for _, r in judged], float)
    slope = float(np.polyfit(frames, rss, 1)[0]) * 1000 if len(judged) > 1 else 0.0
    return SoakResult(samples, warmup, float(rss[0]), float(rss[-1]),
                      float(rss[-1] - rss[0]), float(rss.max()), slope)


def soak(reader: DigitReader, video: Path, frames: int, every: int = 100,
         warmup: int = 500, progress: bool = True, every_frame: bool = False) -> SoakResult:
    """Run the live loop over `frames` frames of `video` (looped); sample RSS."""
    process = psutil.Process()
    samples: list[tuple[int, float]] = []
    bar = tqdm(total=frames, desc="soak", unit="frame", file=sys.stderr,
               disable=not progress, mininterval=1.0)

    def on_frame(n: int) -> None:  # before frame n: n frames are done
        if n % every == 0 or n == warmup:
            samples.append((n, process.memory_info().rss / MB))
        bar.update()

    source = LoopingVideo(video, on_frame)
    options = LiveOptions(headless=True, max_frames=frames, json_lines=True,
                          reuse=not every_frame)
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        status = run_live(reader, source, options)
    samples.append((frames, process.memory_info().rss / MB))
    bar.close()
    if status != 0:
        raise RuntimeError(f"the live loop ended with status {status}")
    return summarize(samples, warmup)


def run(args: argparse.Namespace) -> int:
    model = args.model or config.DEFAULT_MODEL_PATH
    folder = args.video_dir or speed.default_video_dir()
    video = speed.make_video(speed.video_path(folder, args.video_frames, 0),
                             args.video_frames)
    reader = DigitReader(DigitClassifier(ClassifierOptions(model, num_threads=args.threads)))
    result = soak(reader, video, args.frames, args.every, args.warmup,
                  every_frame=args.every_frame)

    ok = result.growth_mb < args.limit
    print(f"soak: {args.frames} frames of {video.name} (looped), model {model.name}, "
          f"{args.threads} thread(s); RSS sampled every {args.every} frames"
          + ("; every frame read in full" if args.every_frame else ""))
    print(f"RSS after {args.warmup} warm-up frames: {result.start_mb:8.1f} MB")
    print(f"RSS at the end:                {result.end_mb:8.1f} MB")
    print(f"growth:                        {result.growth_mb:8.1f} MB   "
          f"limit < {args.limit:.0f} MB: {'met' if ok else 'NOT met'}")
    print(f"largest sample:                {result.max_mb:8.1f} MB")
    print(f"trend:                         {result.slope_mb_per_1000:8.3f} MB per 1000 frames")
    print(f"first sample (frame 0):        {result.samples[0][1]:8.1f} MB")
    if args.json:
        report = {"frames": args.frames, "video": str(video), "model": str(model),
                  "threads": args.threads, "limit_mb": args.limit, **asdict(result)}
        atomic.write_text(args.json, json.dumps(report, indent=1) + "\n")
    return 0 if ok else 1
