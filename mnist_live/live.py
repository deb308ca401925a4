"""The live loop: frames in, steady digits and numbers on a window (or JSON lines) out.

Per frame: take the newest frame; unless the page is unchanged since the last full read
(change.py), run the pipeline and feed the tracker (steady labels); group the digits
into numbers, then draw, record, print and react to keys:

    q or Esc   quit
    space      save a snapshot of the annotated frame
    b          toggle the binary view (what the pipeline sees)
    t          cycle the threshold mode: otsu -> adaptive -> manual -> otsu
    h          show or hide the keys over the frame
    trackbar   moving "threshold" switches to a manual level

The window fits the screen: a frame larger than the screen is shown scaled down (boxes
in JSON stay in the frame's pixels, the recording and snapshots keep its full size),
and the user can resize the window; the frame keeps its shape.

With --serve, the annotated frames and the readings are also served to browsers
(serve.py): the loop hands each frame over and goes on, whoever watches.

Ctrl+C (or SIGTERM, SIGHUP), the end of the input, q and errors all end the same way: the
recording is closed and moved into place, the camera released, the window and the
server closed.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import signal
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from . import config, draw
from .atomic import atomic_path
from .binarize import to_gray
from .boxes import Box
from .capture import LatestFrameReader
from .change import ChangeDetector
from .cli import counted
from .errors import SourceError, UserError
from .numbers import NumberReading, in_reading_order
from .pipeline import DigitReader, FrameReading
from .record import Recorder
from .screen import fit_within, screen_size
from .serve import LiveServer, ServeOptions
from .tracking import DigitTracker, TrackedDigit

log = logging.getLogger(__name__)

WINDOW = "MNIST live detection"
TRACKBAR = "threshold"
KEY_ESC = 27


@dataclass(frozen=True)
class LiveOptions:
    headless: bool = False
    max_frames: int | None = None
    json_lines: bool = False
    snapshot_dir: Path = config.DEFAULT_SNAPSHOT_DIR
    record: Path | None = None
    steady: bool = True  # track digits and smooth their labels across frames
    reuse: bool = True  # a still page's last full read stands until the page changes
    serve: ServeOptions | None = None  # also show the live view to browsers (serve.py)


@dataclass
class LiveFrame:
    """One processed frame: the raw reading and the steady digits and numbers.

    `fresh` is False when the frame was not read in full because the page had not
    changed since the last full read (change.py); `reading` is then that read's.
    """

    reading: FrameReading
    digits: list[TrackedDigit]
    numbers: list[NumberReading]
    fresh: bool = True

    def to_json(self, index: int, seconds: float) -> dict:
        return {
            "frame": index,
            "time": round(seconds, 3),
            "fresh": self.fresh,
            "digits": [d.to_json() for d in self.digits],
            "numbers": [n.to_json() for n in self.numbers],
        }

    def json_line(self, index: int, seconds: float) -> str:
        """json.dumps(self.to_json(index, seconds)), with the digits and numbers
        serialized once per LiveFrame: a still page shows the same ones many times."""
        # A finite float's repr is its JSON; the clock is finite.
        return (f'{{"frame": {index}, "time": {float(round(seconds, 3))!r}, '
                f'"fresh": {"true" if self.fresh else "false"}, {self._json_body}}}')

    @functools.cached_property
    def _json_body(self) -> str:
        body = {"digits": [d.to_json() for d in self.digits],
                "numbers": [n.to_json() for n in self.numbers]}
        return json.dumps(body)[1:-1]


class SteadyReader:
    """DigitReader plus a tracker: what the live view and its benchmark use.

    With `reuse` (the default), a frame of a page that has not changed since the last
    full read is not read again: that read's digits are shown (see change.py).
    `reuse=False` reads every frame in full.
    """

    def __init__(self, reader: DigitReader, steady: bool = True, reuse: bool = True):
        self.reader = reader
        self.steady = steady
        self.tracker = DigitTracker(reader.settings.min_confidence, reader.settings.tracker)
        self.change = ChangeDetector(reader.settings.change) if reuse else None
        self.full_reads = 0
        self._dark_ink: bool | None = None
        # The digits' height as the last full read measured it: the next read's guess.
        self._digit_height: float | None = None
        self._last: LiveFrame | None = None
        self._last_settings = None
        self._settled = False  # the tracker agrees with the last full read
        self._moved: dict[tuple[int, int], LiveFrame] = {}  # _last, shifted by (dx, dy)

    def read(self, frame: np.ndarray, keep_steps: bool = False) -> LiveFrame:
        gray = to_gray(frame)
        if self._last is not None and self._still(gray, keep_steps):
            if self.steady:
                self._repeat()
            # The same page shaking: the same few shifts come back again and again.
            shift = (round(self.change.shift[0]), round(self.change.shift[1]))
            if shift not in self._moved:
                self._moved[shift] = moved(self._last, shift, gray.shape)
            return self._moved[shift]
        # The ink's polarity (paper or board) is found again every few full reads, and
        # at once when the light jumped (the camera turned from paper to a board, say).
        known = self._dark_ink
        if (self.full_reads % config.POLARITY_EVERY_FRAMES == 0
                or (self.change is not None and self.change.light_jumped)):
            known = None
        reading = self.reader.read(gray, keep_steps=keep_steps, dark_ink=known,
                                   group=False,  # grouped below, from the steady digits
                                   digit_height=self._digit_height)
        self._dark_ink = reading.dark_ink
        self._digit_height = reading.digit_height or None  # 0.0: unknown, guess again
        self.full_reads += 1
        if self.steady:
            self.tracker.min_confidence = self.reader.settings.min_confidence
            digits = self.tracker.update(reading.classified)
        else:
            digits = [TrackedDigit(d.digit, d.confidence, d.box, None) for d in reading.digits]
        digits, numbers = in_reading_order(digits, self.reader.settings.numbers)
        self._last = LiveFrame(reading, digits, numbers)
        self._moved.clear()
        self._last_settings = self.reader.settings
        self._settled = self.tracker.settled()
        if self.change is not None:
            self.change.remember(gray)
        return self._last

    def _repeat(self) -> None:
        """Tell the tracker it saw the last full read again, as reading this unchanged
        frame would have told it: after a new page, the old page's tracks must age out
        and labels averaged with the old page's must catch up, as when every frame is
        read. Once the tracker has settled (nothing shown would change any more) this
        only counts hits, in a few microseconds."""
        if self._settled:
            self.tracker.repeat(smooth=False)
            return
        self.tracker.repeat()
        self._last = LiveFrame(self._last.reading, *in_reading_order(
            self.tracker.shown(), self.reader.settings.numbers))
        self._moved.clear()
        self._settled = self.tracker.settled()

    def _still(self, gray: np.ndarray, keep_steps: bool) -> bool:
        """True when the last full read holds for this frame too. The binary view
        (keep_steps) and new settings (trackbar, `t`) always read in full."""
        if self.change is None or keep_steps:
            return False
        if self.reader.settings != self._last_settings:
            self.change.forget()
        return not self.change.needs_reading(gray)


def moved(live: LiveFrame, shift: tuple[int, int], shape) -> LiveFrame:
    """`live` (a full read) shown on a later frame of the same page: its boxes follow
    the page's small shift (dx, dy) since, so they stay on the digits of a shaking page."""
    dx, dy = shift
    if dx == 0 and dy == 0:
        return replace(live, fresh=False)
    height, width = shape[:2]

    def box(b: Box) -> Box:  # moved, and cut to the frame
        x0, y0 = min(max(0, b[0] + dx), width - 1), min(max(0, b[1] + dy), height - 1)
        x1, y1 = min(width, b[0] + dx + b[2]), min(height, b[1] + dy + b[3])
        return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))

    # Built directly: dataclasses.replace costs a few microseconds a digit, and this
    # runs on every frame of a still page.
    return LiveFrame(
        live.reading,
        [TrackedDigit(d.digit, d.confidence, box(d.box), d.track) for d in live.digits],
        [NumberReading(n.text, box(n.box), n.members) for n in live.numbers],
        fresh=False,
    )


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


def save_snapshot(image: np.ndarray, folder: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S_%f")[:-3]
    path = folder / f"snapshot_{stamp}.png"
    with atomic_path(path) as temp:
        if not cv2.imwrite(str(temp), image):
            raise UserError(f"cannot write the snapshot {path}")
    return path


def threshold_label(threshold: str | int, level: float) -> str:
    if isinstance(threshold, int):
        return f"manual {threshold}"
    return f"{threshold} {level:.0f}" if threshold == "otsu" else threshold


def status_lines(frame: LiveFrame, reader: DigitReader, fps: float, dropped: int) -> list[str]:
    mode = threshold_label(reader.settings.threshold, frame.reading.level)
    line = f"{mode} | {fps:4.1f} FPS | {reader.classifier.runtime}"
    if dropped:
        line += f" | skipped {dropped}"
    numbers = " ".join(n.text for n in frame.numbers) or "-"
    return [f"{line} | h: keys", f"read: {numbers}"]


# What the `h` overlay shows (the keys of Window.handle_keys): (key, what it does).
KEY_HELP = [
    ("q, Esc", "quit"),
    ("space", "save a snapshot"),
    ("b", "binary view: what digits are found in"),
    ("t", "threshold: otsu, adaptive, manual"),
    ("h", "show or hide these keys"),
    ("trackbar", "the manual threshold level"),
    ("window", "drag a corner to resize"),
]


class Window:
    """The OpenCV window with its threshold trackbar and keys."""

    def __init__(self, reader: DigitReader, screen: tuple[int, int] | None = None):
        self.reader = reader
        self.show_binary = False
        self.show_help = False
        self.screen = screen or screen_size()
        self._size: tuple[int, int] | None = None  # the size frames are shown at
        self._ready = False  # trackbar callbacks during setup are not the user's
        # Resizable, keeping the frame's shape. It opens at a size Qt picks, so it is
        # given the frame's size (fitted to the screen) once the first frame is shown:
        # resizing it before that sometimes leaves it blank under Xvfb.
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO
                        | cv2.WINDOW_GUI_NORMAL)
        start = reader.settings.threshold
        cv2.createTrackbar(TRACKBAR, WINDOW, start if isinstance(start, int)
                           else config.DEFAULT_MANUAL_LEVEL, 255, self._on_trackbar)
        self._ready = True

    def _on_trackbar(self, level: int) -> None:
        if self._ready:
            self.set_threshold(int(level))

    def set_threshold(self, threshold: str | int) -> None:
        self.reader.settings = replace(self.reader.settings, threshold=threshold)
        log.info("Threshold: %s", threshold)

    def cycle_threshold(self) -> None:
        current = self.reader.settings.threshold
        if current == "otsu":
            self.set_threshold("adaptive")
        elif current == "adaptive":
            self.set_threshold(int(cv2.getTrackbarPos(TRACKBAR, WINDOW)))
        else:
            self.set_threshold("otsu")

    def show(self, image: np.ndarray) -> None:
        """Show a frame, scaled down to fit the screen (a user's resize then scales it
        further), with the keys' help over it while `h` has it on."""
        height, width = image.shape[:2]
        size = fit_within(width, height, self.screen)
        if size != (width, height):
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        if self.show_help:
            image = image.copy() if size == (width, height) else image
            draw.draw_help(image, KEY_HELP)
        cv2.imshow(WINDOW, image)
        if size != self._size:  # the first frame, or a source that changed its size
            if self._size is None:
                cv2.waitKey(1)  # let the window appear before it is resized
            log.log(logging.INFO if size != (width, height) else logging.DEBUG,
                    "Frames of %dx%d are shown at %dx%d to fit the %dx%d screen (the "
                    "window can be resized)", width, height, *size, *self.screen)
            cv2.resizeWindow(WINDOW, *size)
            # The size given is the window's, trackbar included: make the frame's part
            # of it the frame's size.
            cv2.waitKey(1)
            _, _, shown_w, shown_h = cv2.getWindowImageRect(WINDOW)
            if 0 < shown_h < size[1]:
                cv2.resizeWindow(WINDOW, size[0] + max(0, size[0] - shown_w),
                                 2 * size[1] - shown_h)
            self._size = size

    def handle_keys(self, annotated: np.ndarray, snapshot_dir: Path) -> bool:
        """React to a key press; False when the user wants to quit."""
        key = cv2.waitKey(1) & 0xFF
        if key in (ord("q"), KEY_ESC):
            return False
        if key == ord(" "):
            try:
                log.info("Snapshot saved: %s", save_snapshot(annotated, snapshot_dir))
            except UserError as exc:  # a full disk must not end the session
                log.warning("Snapshot not saved: %s", exc)
        elif key == ord("b"):
            self.show_binary = not self.show_binary
        elif key == ord("t"):
            self.cycle_threshold()
        elif key == ord("h"):
            self.show_help = not self.show_help
        # The user closed the window with its close button.
        return cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) >= 1

    def close(self) -> None:
        cv2.destroyWindow(WINDOW)
        cv2.waitKey(1)


def annotate(frame: np.ndarray, live: LiveFrame, binary_view: bool,
             step: float | None = None) -> np.ndarray:
    """The frame (or the binary view) with the digits and numbers read; `step` is the
    model's output step, for the confidences (see confidence.py)."""
    view = frame
    if binary_view:
        view = cv2.resize(live.reading.steps["cleaned"], (frame.shape[1], frame.shape[0]),
                          interpolation=cv2.INTER_NEAREST)
    return draw.draw_reading(view, live, step=step)


def render(frame: np.ndarray, live: LiveFrame, binary_view: bool, status: list[str],
           step: float | None = None) -> np.ndarray:
    """The picture the window shows: the annotated frame with its status lines
    (`step`: the model's confidence step, see annotate)."""
    annotated = annotate(frame, live, binary_view, step)
    draw.draw_status(annotated, status)
    return annotated


class StopOnSignal:
    """The first Ctrl+C asks the loop to finish its frame and stop; a second one forces.
    A polite request to end (SIGTERM: `kill`, `timeout`, `systemctl stop`; SIGHUP: the
    terminal or SSH session closed) stops it the same way.

    Stopping between frames is what makes every ending clean: the frame being drawn is
    recorded whole, the recording is closed and the camera released. From the cleaning
    up (`cleaning_up`) on, these signals are ignored, so it cannot be cut short. A signal
    ignored when the loop starts stays ignored (`nohup`, a background job's Ctrl+C).
    `signal` is the one that asked (None: none did).
    """

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                    if hasattr(signal, name))  # Windows has no SIGHUP

    def __init__(self):
        self.signal: int | None = None
        self._previous: dict[int, object] = {}
        self._installed = threading.current_thread() is threading.main_thread()

    @property
    def requested(self) -> bool:
        return self.signal is not None

    def __enter__(self):
        if self._installed:
            for number in self.SIGNALS:
                if signal.getsignal(number) != signal.SIG_IGN:
                    # None: a handler installed from C, which Python cannot put back.
                    previous = signal.signal(number, self._handle)
                    self._previous[number] = signal.SIG_DFL if previous is None else previous
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.signal = signum

    @contextlib.contextmanager
    def cleaning_up(self):
        for number in self._previous:
            signal.signal(number, signal.SIG_IGN)
        yield

    def __exit__(self, *exc):
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous = {}
        return False

    def raise_if_requested(self) -> None:
        """After the cleaning up: Ctrl+C -> KeyboardInterrupt (exit 130); another
        signal -> SystemExit with the shell's code for it (128 + its number)."""
        if self.signal == signal.SIGINT:
            raise KeyboardInterrupt
        if self.signal is not None:
            log.info("Stopped by %s.", signal.Signals(self.signal).name)
            raise SystemExit(128 + self.signal)


def run_live(reader: DigitReader, source, options: LiveOptions) -> int:
    """Run until the source ends, --max-frames is reached, the user quits or presses
    Ctrl+C (then KeyboardInterrupt is raised, after everything is closed), or the
    process is asked to end (SIGTERM, SIGHUP: SystemExit, after the same; StopOnSignal).

    A source that ends before its first frame (a camera that opens but delivers
    nothing, a video with no readable frame) is a SourceError, and so is a camera or
    stream that stops delivering frames (only a video file ends).
    """
    max_frames = options.max_frames
    if options.headless and source.still and max_frames is None and options.serve is None:
        max_frames = 1  # one picture, no window: reading it once is the whole job
    loop = None
    ended = False
    with StopOnSignal() as stop:
        try:
            loop = LiveLoop(reader, source, options)
            while (max_frames is None or loop.index < max_frames) and not stop.requested:
                frame = loop.read_frame(stop=lambda: stop.requested)
                if frame is None:
                    ended = not stop.requested
                    break
                if not loop.process(frame):
                    break
        except OSError:
            # Asked to stop, the frame's output may find its reader gone (a closed
            # terminal: EIO; a closed pipe): the stop, not the error, ends the run.
            if not stop.requested:
                raise
        finally:
            with stop.cleaning_up():
                if loop is not None:
                    loop.close()
                else:
                    source.close()
    stop.raise_if_requested()
    if ended and loop.index == 0:
        raise SourceError(f"{source.description} delivered no frames")
    if ended and source.live:
        # A camera or stream has no end of its own: it was unplugged, or its server
        # went away. A script or service watching the exit status must see a failure.
        raise SourceError(f"{source.description} stopped delivering frames after "
                          f"{counted(loop.index, 'frame')}")
    if ended:
        log.info("End of %s after %s.", source.description, counted(loop.index, "frame"))
    return 0


class LiveLoop:
    """What the live loop holds between frames: source, tracker, recorder, window."""

    def __init__(self, reader: DigitReader, source, options: LiveOptions):
        self.options = options
        self.source = source
        # In this order: what may fail (the port, the recording's file, the window)
        # before the camera thread starts, so a failure leaves nothing running.
        self.server = LiveServer(options.serve) if options.serve else None
        self.recorder = Recorder(options.record, source.fps) if options.record else None
        self.window = None if options.headless else Window(reader)
        self.frames = LatestFrameReader(source) if source.live else source
        self.steady = SteadyReader(reader, options.steady, reuse=options.reuse)
        self.fps = FpsMeter()
        # Files and pictures play at their own pace in a window or a browser (no point
        # reading a photo 300 times a second); cameras and streams set their own.
        fps = source.fps or (config.STILL_IMAGE_FPS if source.still else None)
        watched = self.window is not None or self.server is not None
        self.pace = 1.0 / fps if watched and not source.live and fps else 0.0
        self._next_frame_at = 0.0
        self.start = time.perf_counter()
        self.index = 0  # frames fully processed

    def read_frame(self, stop) -> np.ndarray | None:
        if self.pace:
            delay = self._next_frame_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self._next_frame_at = time.perf_counter() + self.pace
        if isinstance(self.frames, LatestFrameReader):
            return self.frames.read(should_stop=stop)
        return self.frames.read()

    def process(self, frame: np.ndarray) -> bool:
        """Read, print, draw, record and show one frame; False when the user quits."""
        window = self.window
        binary_view = window is not None and window.show_binary
        live = self.steady.read(frame, keep_steps=binary_view)
        self.fps.tick()
        line = None
        if self.options.json_lines or self.server is not None:
            line = live.json_line(self.index, time.perf_counter() - self.start)
        if self.options.json_lines:
            print(line, flush=True)
        keep_going = True
        if window is not None or self.recorder is not None or self.server is not None:
            keep_going = self._show(frame, live, line, binary_view)
        self.index += 1
        return keep_going

    def _show(self, frame: np.ndarray, live: LiveFrame, line: str | None,
              binary_view: bool) -> bool:
        """Draw the frame for the window and the recording, and publish it to the
        server (which draws it only when someone watches); False when the user quits."""
        status = status_lines(live, self.steady.reader, self.fps.fps, self.dropped)
        picture = functools.partial(render, frame, live, binary_view, status,
                                    self.steady.reader.classifier.output_step)
        keep_going = True
        if self.window is not None or self.recorder is not None:
            picture = picture()
            if self.recorder is not None:
                self.recorder.write(picture)
            if self.window is not None:
                self.window.show(picture)
                keep_going = self.window.handle_keys(picture, self.options.snapshot_dir)
        if self.server is not None:
            self.server.publish(line, picture, status[0])
        return keep_going

    @property
    def dropped(self) -> int:
        return getattr(self.frames, "dropped", 0)

    def close(self) -> None:
        """Release everything, whatever ended the run."""
        self.frames.close()
        if self.recorder is not None:
            self.recorder.close()
        if self.window is not None:
            self.window.close()
        if self.server is not None:
            self.server.close()
        elapsed = time.perf_counter() - self.start
        log.info("Processed %s in %.1f s (%.1f FPS, %d read in full)%s.",
                 counted(self.index, "frame"), elapsed,
                 self.index / elapsed if elapsed > 0 else 0.0, self.steady.full_reads,
                 f", {self.dropped} older camera frames skipped" if self.dropped else "")
