"""Turn any `--source` into frames: camera, video, image, stream, `synth` or `picamera`.

Like OpenCV's `video.create_capture`, one function, `open_source`, accepts every kind
of source and returns an object with the same small interface:

    source.read() -> BGR frame, or None when the source has ended
    source.close()
    source.description, source.still (a single picture), source.live (a camera/stream)

Images are decoded with all their quirks handled (16-bit, alpha, gray) by `read_image`,
which the still-image script uses too.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from pathlib import Path

import cv2
import numpy as np

from . import config
from .errors import ImageError, SourceError
from .native import stderr_held
from .synth import SynthCamera

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {
    ".bmp", ".dib", ".jpg", ".jpeg", ".jpe", ".jp2", ".png", ".webp", ".pbm", ".pgm",
    ".ppm", ".pxm", ".pnm", ".sr", ".ras", ".tif", ".tiff", ".exr", ".hdr", ".pic", ".avif",
}
STREAM_PREFIXES = ("rtsp://", "rtmp://", "http://", "https://", "udp://", "tcp://")


def read_image(path: str | Path) -> np.ndarray:
    """Decode an image file into an 8-bit BGR array, or raise ImageError saying why."""
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if path.is_dir():
        raise ImageError(f"{path}: is a folder, not an image")
    try:
        data = np.fromfile(path, dtype=np.uint8)  # unlike imread, handles any file name
    except OSError as exc:
        raise ImageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if data.size == 0:
        raise ImageError(f"{path}: the file is empty")
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise ImageError(f"{path}: {why_undecodable(data.tobytes())}")
    return to_bgr8(image)


def why_undecodable(data: bytes) -> str:
    """A reason for a file OpenCV could not decode: truncated, or not an image at all."""
    if data.startswith(b"\xff\xd8") and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return "truncated JPEG (the file ends before the image does)"
    if data.startswith(b"\x89PNG") and b"IEND" not in data[-32:]:
        return "truncated PNG (the file ends before the image does)"
    return "not an image OpenCV can decode (corrupt, or an unknown format)"


def to_bgr8(image: np.ndarray) -> np.ndarray:
    """Any decoded image (gray, BGR, BGRA; 8/16-bit or float) -> 8-bit BGR."""
    if image.dtype == np.uint16:
        image = cv2.convertScaleAbs(image, alpha=1 / 257)  # 65535 -> 255, no float copy
    elif image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        # Transparent pixels become white paper, not black ink.
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        bgr = image[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return bgr.round().astype(np.uint8)
    if image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return image


class ImageSource:
    """One picture, returned for every frame (the live script's --max-frames ends it)."""

    still = True
    live = False
    fps = None

    def __init__(self, path: Path):
        self.image = read_image(path)
        self.description = f"image {path}"

    def read(self) -> np.ndarray | None:
        return self.image  # nothing downstream writes into frames

    def close(self) -> None:
        pass


class SynthSource:
    """The built-in synthetic camera (see synth.py)."""

    still = False
    live = False
    fps = 30.0

    def __init__(self, width: int | None, height: int | None):
        self.camera = SynthCamera(width or 640, height or 480)
        self.description = f"synthetic page {self.camera.width}x{self.camera.height}"

    def read(self) -> np.ndarray | None:
        return self.camera.read()

    def close(self) -> None:
        pass


class VideoSource:
    """A camera, a video file or a stream, through cv2.VideoCapture."""

    still = False

    def __init__(self, target: int | str, width: int | None, height: int | None,
                 live: bool):
        self.live = live  # a camera or stream (frames come whether we read them or not)
        said: list[str] = []  # FFmpeg's lines: a reason for ours, or warnings
        with stderr_held(said):
            self.capture = cv2.VideoCapture(target)
            opened = self.capture.isOpened()
        if not opened:
            self.capture.release()
            if isinstance(target, int):
                raise SourceError(
                    f"camera {target} cannot be opened (not plugged in, busy, or no "
                    f"permission); try another index or --source synth"
                )
            why = _without_prefix(said[-1]) if said else ""
            raise SourceError(f"{target}: cannot open as a video or stream"
                              + (f" (the decoder says: {why})" if why else ""))
        for line in said:  # a source that opened: its warnings are the user's to see
            print(line, file=sys.stderr)
        if width:
            self.capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self.capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        kind = "camera" if isinstance(target, int) else "stream" if self.live else "video"
        w = int(self.capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self.capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.description = f"{kind} {target} ({w}x{h})"
        # Drivers report nonsense at times (0, or 90000 for RTSP's clock): keep sane ones.
        fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 1 <= fps <= 120 else None

    def read(self) -> np.ndarray | None:
        ok, frame = self.capture.read()
        if not ok or frame is None:
            return None
        return to_bgr8(frame)

    def close(self) -> None:
        self.capture.release()


def _without_prefix(line: str) -> str:
    """A line of FFmpeg or OpenCV without its "[tcp @ 0x55...]" or "[ WARN:0@0.010]"
    prefix: e.g. "Connection to tcp://host:9 failed: Connection refused"."""
    return re.sub(r"^(\[[^\]]*\]\s*)+", "", line)


class PicameraSource:
    """The Raspberry Pi camera module through Picamera2 (libcamera)."""

    still = False
    live = True
    fps = 30.0

    def __init__(self, width: int | None, height: int | None):
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise SourceError(
                "--source picamera needs Picamera2: on Raspberry Pi OS run "
                "'sudo apt install python3-picamera2' (and create the virtual environment "
                "with --system-site-packages), or use a USB camera with --source 0"
            ) from None
        size = (width or 640, height or 480)
        try:
            self.camera = Picamera2()
            # "RGB888" is stored B, G, R in memory: the order OpenCV expects.
            config = self.camera.create_preview_configuration(
                main={"size": size, "format": "RGB888"})
            self.camera.configure(config)
            self.camera.start()
        except Exception as exc:
            raise SourceError(f"the Pi camera cannot be started ({exc})") from None
        self.description = f"Pi camera {size[0]}x{size[1]}"

    def read(self) -> np.ndarray | None:
        return self.camera.capture_array()

    def close(self) -> None:
        self.camera.stop()
        self.camera.close()


def open_source(source: str | int, width: int | None = None, height: int | None = None):
    """Open a frame source from a --source value; raise SourceError/ImageError if not."""
    text = str(source).strip()
    if text.lower() == "synth":
        return SynthSource(width, height)
    if text.lower() == "picamera":
        return PicameraSource(width, height)
    if text.isascii() and text.isdecimal():
        return VideoSource(int(text), width, height, live=True)
    if text.lower().startswith(STREAM_PREFIXES):
        return VideoSource(text, width, height, live=True)
    path = config.user_path(text)
    if not path.exists():
        raise SourceError(
            f"{text}: no such file (use a camera index like 0, a video or image file, "
            f"a stream URL, synth or picamera)"
        )
    if path.is_dir():
        raise SourceError(f"{text}: is a folder, not a video or image file")
    if width or height:
        log.warning("--width/--height ask a camera for a frame size: %s is read at its "
                    "own size", text)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    return VideoSource(str(path), width, height, live=False)


class LatestFrameReader:
    """Read a live source on a background thread; `read()` returns the newest frame.

    A camera keeps producing frames whether or not we are ready; if the pipeline is slower
    than the camera, reading in the same thread would hand us ever older frames from the
    driver's queue. Here a thread drains the camera continuously and keeps only the latest
    frame, so processing always works on what is in front of the camera now. Frames that
    were replaced before being processed are counted in `dropped`.

    A source that stops delivering (a camera pulled out, a stream that stalls) is retried
    `retries` times, `retry_delay` seconds apart, before the reader reports the end.
    """

    def __init__(self, source, retries: int = 5, retry_delay: float = 0.2):
        self.source = source
        self.description = source.description
        self.still = source.still
        self.live = source.live
        self.fps = source.fps
        self.retries = retries
        self.retry_delay = retry_delay
        self.dropped = 0
        self._frame: np.ndarray | None = None
        self._fresh = False
        self._ended = False
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="frame-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        failures = 0
        try:
            while not self._stop.is_set():
                try:
                    frame = self.source.read()
                except Exception as exc:  # a driver error is a lost frame, not a crash
                    log.warning("reading %s failed: %s", self.description, exc)
                    frame = None
                if frame is None:
                    failures += 1
                    if failures > self.retries:
                        log.warning("%s stopped delivering frames.", self.description)
                        break
                    self._stop.wait(self.retry_delay)
                    continue
                failures = 0
                with self._changed:
                    if self._fresh:
                        self.dropped += 1
                    self._frame, self._fresh = frame, True
                    self._changed.notify_all()
        finally:
            # The thread that reads the source closes it: never while a read is running.
            self.source.close()
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def read(self, should_stop=None) -> np.ndarray | None:
        """The newest frame not yet returned; None once the source has ended (or as
        soon as `should_stop()` is true, checked a few times a second)."""
        with self._changed:
            while not (self._fresh or self._ended):
                if should_stop is not None and should_stop():
                    return None
                self._changed.wait(timeout=0.2)
            if not self._fresh:
                return None
            self._fresh = False
            return self._frame

    def close(self) -> None:
        """Stop reading; the reader thread releases the source when its read returns."""
        self._stop.set()
        self._thread.join(timeout=2.0)
