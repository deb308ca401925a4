"""Record the annotated frames to a video file, one video frame per processed frame.

The file is written under a temporary name beside the destination and renamed into
place when the recording is closed, whatever ended it (q, Ctrl+C, the end of the input,
an error): the destination is never a half-written file. The codec follows the
extension: .mp4 uses MPEG-4 Part 2 ("mp4v"), .avi uses Motion JPEG; both play
everywhere and both work with the OpenCV wheels from PyPI (H.264 does not).
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from . import config
from .atomic import AtomicFile
from .errors import UserError

log = logging.getLogger(__name__)

CODECS = {".mp4": "mp4v", ".avi": "MJPG"}


def check_record_path(text: str) -> Path:
    """Validate a --record value: a .mp4 or .avi file in a folder that exists."""
    path = config.user_path(text)
    if path.suffix.lower() not in CODECS:
        raise ValueError(f"recording must end in {' or '.join(CODECS)}, not {path.name!r}")
    if path.parent.exists() and not path.parent.is_dir():
        raise ValueError(f"{str(path.parent)!r} is a file, not a folder")
    if not path.parent.is_dir():
        raise ValueError(f"folder {str(path.parent)!r} does not exist")
    return path


class Recorder:
    """Write frames to `path`; the file appears there when `close()` is called."""

    def __init__(self, path: Path, fps: float):
        self.path = Path(path)
        self.fps = fps if fps and 1 <= fps <= 120 else 15.0
        self.frames = 0
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, int] | None = None
        self._file: AtomicFile | None = AtomicFile(self.path)

    def write(self, frame: np.ndarray) -> None:
        height, width = frame.shape[:2]
        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*CODECS[self.path.suffix.lower()])
            self._size = (width, height)
            self._writer = cv2.VideoWriter(str(self._file.temp), fourcc, self.fps, self._size)
            if not self._writer.isOpened():
                self.close(keep=False)
                raise UserError(f"cannot record to {self.path}: no video encoder for it")
        if (width, height) != self._size:
            frame = cv2.resize(frame, self._size)
        self._writer.write(frame)
        self.frames += 1

    def close(self, keep: bool = True) -> None:
        """Finish the file and move it into place (or discard it if `keep` is False)."""
        if self._file is None:
            return
        file, self._file = self._file, None
        if self._writer is not None:
            self._writer.release()
        if keep and self.frames > 0:
            file.commit()
            log.info("Recorded %d frames to %s", self.frames, self.path)
        else:
            file.discard()
