"""Turn any `--source` into frames: camera index, video file, image, stream URL, `synth`.

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
from pathlib import Path

import cv2
import numpy as np

from .errors import ImageError, SourceError
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
        raise ImageError(f"{path}: not an image OpenCV can decode (corrupt or unknown format)")
    return to_bgr8(image)


def to_bgr8(image: np.ndarray) -> np.ndarray:
    """Any decoded image (gray, BGR, BGRA; 8/16-bit or float) -> 8-bit BGR."""
    if image.dtype == np.uint16:
        image = (image / 257.0).round().astype(np.uint8)
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

    def __init__(self, path: Path):
        self.image = read_image(path)
        self.description = f"image {path}"

    def read(self) -> np.ndarray | None:
        return self.image.copy()

    def close(self) -> None:
        pass


class SynthSource:
    """The built-in synthetic camera (see synth.py)."""

    still = False
    live = False

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

    def __init__(self, target: int | str, width: int | None, height: int | None):
        self.live = isinstance(target, int) or str(target).startswith(STREAM_PREFIXES)
        self.capture = cv2.VideoCapture(target)
        if not self.capture.isOpened():
            self.capture.release()
            if isinstance(target, int):
                raise SourceError(
                    f"camera {target} cannot be opened (not plugged in, busy, or no "
                    f"permission); try another index or --source synth"
                )
            raise SourceError(f"{target}: cannot open as a video or stream")
        if width:
            self.capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self.capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        kind = "camera" if isinstance(target, int) else "stream" if self.live else "video"
        w = int(self.capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self.capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.description = f"{kind} {target} ({w}x{h})"

    def read(self) -> np.ndarray | None:
        ok, frame = self.capture.read()
        if not ok or frame is None:
            return None
        return to_bgr8(frame)

    def close(self) -> None:
        self.capture.release()


def open_source(source: str | int, width: int | None = None, height: int | None = None):
    """Open a frame source from a --source value; raise SourceError/ImageError if not."""
    text = str(source).strip()
    if text.lower() == "synth":
        return SynthSource(width, height)
    if text.isdigit():
        return VideoSource(int(text), width, height)
    if text.lower().startswith(STREAM_PREFIXES):
        return VideoSource(text, width, height)
    path = Path(text).expanduser()
    if not path.exists():
        raise SourceError(
            f"{text}: no such file (use a camera index like 0, a video or image file, "
            f"a stream URL, or synth)"
        )
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    return VideoSource(str(path), width, height)
