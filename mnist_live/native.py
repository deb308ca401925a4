"""What native code prints on the process's stderr, held back: LiteRT's C++ when a
model loads ("INFO: Created TensorFlow Lite XNNPACK delegate" on every start), FFmpeg
inside OpenCV when a source opens ("[tcp @ 0x55...] Connection ... refused" above our
own one-line error). Python's sys.stderr never sees it: it is caught at the file
descriptor, and the caller says what becomes of it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def stderr_held(lines: list[str]) -> Iterator[None]:
    """While the block runs, what is written to the process's stderr is appended to
    `lines` instead (each non-empty line, stripped), even when the block fails. Without
    a real stderr (none at all, or pytest's capture) nothing is held back."""
    try:
        stderr_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved_fd = os.dup(stderr_fd)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), stderr_fd)
        try:
            yield
        finally:
            os.dup2(saved_fd, stderr_fd)
            os.close(saved_fd)
            held.seek(0)
            lines += [line.strip() for line in held.read().decode("utf-8", "replace")
                      .splitlines() if line.strip()]
