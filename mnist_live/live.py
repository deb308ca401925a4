"""The live loop: frames in, digits drawn on a window (or JSON lines) out.

One frame at a time: read it, run the pipeline, draw the result and a status line, show
it, and react to keys:

    q or Esc   quit
    space      save a snapshot of the annotated frame
    b          toggle the binary view (what the pipeline sees)

With `headless`, no window is opened; with `json_lines`, each frame's reading is printed
on stdout as one JSON object.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from . import config, draw
from .atomic import atomic_path
from .pipeline import DigitReader, FrameReading

log = logging.getLogger(__name__)

WINDOW = "MNIST live detection"
KEY_ESC = 27


@dataclass(frozen=True)
class LiveOptions:
    headless: bool = False
    max_frames: int | None = None
    json_lines: bool = False
    snapshot_dir: Path = config.DEFAULT_SNAPSHOT_DIR


class FpsMeter:
    """Frames per second, averaged over recent frames so the number is readable."""

    def __init__(self, smoothing: float = 0.9):
        self.smoothing = smoothing
        self.seconds_per_frame: float | None = None
        self._last: float | None = None

    def tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            dt = now - self._last
            self.seconds_per_frame = dt if self.seconds_per_frame is None else (
                self.smoothing * self.seconds_per_frame + (1 - self.smoothing) * dt
            )
        self._last = now

    @property
    def fps(self) -> float:
        return 1.0 / self.seconds_per_frame if self.seconds_per_frame else 0.0


def frame_json(index: int, seconds: float, reading: FrameReading) -> str:
    return json.dumps({"frame": index, "time": round(seconds, 3), **reading.to_json()})


def save_snapshot(image: np.ndarray, folder: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S_%f")[:-3]
    path = folder / f"snapshot_{stamp}.png"
    with atomic_path(path) as temp:
        cv2.imwrite(str(temp), image)
    return path


def status_lines(reader: DigitReader, fps: float, reading: FrameReading) -> list[str]:
    threshold = reader.settings.threshold
    mode = f"manual {threshold}" if isinstance(threshold, int) else threshold
    numbers = " ".join(n.text for n in reading.numbers) or "-"
    return [
        f"{mode} | {fps:4.1f} FPS | {reader.classifier.runtime}",
        f"read: {numbers}",
    ]


def run_live(reader: DigitReader, source, options: LiveOptions) -> int:
    """Run until the source ends, --max-frames is reached, or the user quits."""
    max_frames = options.max_frames
    if options.headless and source.still and max_frames is None:
        max_frames = 1  # one picture, no window: reading it once is the whole job
    fps = FpsMeter()
    show_binary = False
    start = time.perf_counter()
    index = 0
    if not options.headless:
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)
    try:
        while max_frames is None or index < max_frames:
            frame = source.read()
            if frame is None:
                log.info("End of %s after %d frames.", source.description, index)
                break
            reading = reader.read(frame, keep_steps=show_binary)
            fps.tick()
            if options.json_lines:
                print(frame_json(index, time.perf_counter() - start, reading), flush=True)
            index += 1
            if options.headless:
                continue
            view = draw.to_bgr(reading.steps["binary"]) if show_binary else frame
            if view.shape[:2] != frame.shape[:2]:
                view = cv2.resize(view, (frame.shape[1], frame.shape[0]))
            annotated = draw.draw_reading(view, reading)
            draw.draw_status(annotated, status_lines(reader, fps.fps, reading))
            cv2.imshow(WINDOW, annotated)
            key = cv2.waitKey(1) & 0xFF
            if key in (ord("q"), KEY_ESC):
                break
            if key == ord(" "):
                log.info("Snapshot saved: %s", save_snapshot(annotated, options.snapshot_dir))
            elif key == ord("b"):
                show_binary = not show_binary
            if cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                break  # the user closed the window
    finally:
        source.close()
        if not options.headless:
            cv2.destroyAllWindows()
    elapsed = time.perf_counter() - start
    log.info("Processed %d frames in %.1f s (%.1f FPS).", index, elapsed,
             index / elapsed if elapsed > 0 else 0.0)
    sys.stdout.flush()
    return 0
