"""Write files so that a reader never sees half of one.

Everything the toolkit saves (models, reports, pictures, recordings) is written to a
temporary file beside its destination and renamed into place only when complete, so an
interrupted run leaves the previous file, or none, but never a broken one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `destination`; rename it there on success.

    The temporary name keeps the destination's suffix, so libraries that choose a
    format by extension (OpenCV, matplotlib) still do the right thing. On any error the
    temporary file is removed and the destination is left as it was.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(
        prefix=f".{destination.stem}.", suffix=f".tmp{destination.suffix}",
        dir=destination.parent,
    )
    os.close(fd)
    temp_path = Path(temp_name)
    temp_path.chmod(0o644)  # mkstemp makes 0600; the result is an ordinary file
    try:
        yield temp_path
        os.replace(temp_path, destination)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise


def write_bytes(destination: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `destination` atomically."""
    with atomic_path(destination) as temp_path:
        temp_path.write_bytes(data)


def write_text(destination: str | os.PathLike, text: str) -> None:
    """Write `text` (UTF-8) to `destination` atomically."""
    write_bytes(destination, text.encode("utf-8"))
