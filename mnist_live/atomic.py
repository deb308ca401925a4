"""Write files so that a reader never sees half of one.

Everything the toolkit saves (models, reports, pictures, recordings) is written to a
temporary file beside its destination and renamed into place only when complete, so an
interrupted run leaves the previous file, or none, but never a broken one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import UserError

# What stops any writing: the disk full, the quota reached, a file grown too big.
FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class AtomicFile:
    """A temporary file beside `destination`, moved there by `commit()`.

    The temporary name keeps the destination's suffix, so libraries that choose a
    format by extension (OpenCV, matplotlib) still do the right thing.
    """

    def __init__(self, destination: str | os.PathLike):
        self.destination = Path(destination)
        try:
            self.destination.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(
                prefix=f".{self.destination.stem}.",
                suffix=f".tmp{self.destination.suffix}", dir=self.destination.parent,
            )
        except OSError as exc:
            raise UserError(f"cannot write {self.destination}: {_reason(exc)}") from None
        os.close(fd)
        self.temp = Path(temp_name)
        self.temp.chmod(0o644)  # mkstemp makes 0600; the result is an ordinary file

    def commit(self) -> None:
        try:
            os.replace(self.temp, self.destination)
        except OSError as exc:
            self.discard()
            raise UserError(f"cannot write {self.destination}: {_reason(exc)}") from None

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `destination`; rename it there on success.

    On any error the temporary file is removed and the destination is left as it was.
    """
    file = AtomicFile(destination)
    try:
        yield file.temp
        file.commit()
    except OSError as exc:
        file.discard()
        if exc.errno in FULL:
            raise UserError(f"cannot write {file.destination}: {_reason(exc)}") from None
        raise
    except BaseException:
        file.discard()
        raise


def write_bytes(destination: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `destination` atomically."""
    with atomic_path(destination) as temp_path:
        temp_path.write_bytes(data)


def write_text(destination: str | os.PathLike, text: str) -> None:
    """Write `text` (UTF-8) to `destination` atomically."""
    write_bytes(destination, text.encode("utf-8"))
