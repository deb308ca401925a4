"""The size of the screen, so the live window can be fitted to it.

OpenCV cannot tell, so ask what the desktop offers, first answer wins: `xrandr` (the
primary monitor, under X11 and XWayland), `xdpyinfo` (the whole X screen), Windows'
GetSystemMetrics, Tk (macOS, or X11 without those tools). Each is tried only where it
can work, with a short timeout; when none answers, config.FALLBACK_SCREEN.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys

from . import config

log = logging.getLogger(__name__)


def screen_size() -> tuple[int, int]:
    """(width, height) in pixels of the screen windows open on."""
    for probe in (_xrandr, _xdpyinfo, _windows, _tk):
        try:
            size = probe()
        except Exception as exc:  # a tool that fails is only a tool less
            log.debug("screen size from %s failed: %s", probe.__name__, exc)
            continue
        if size and size[0] > 0 and size[1] > 0:
            log.debug("screen size from %s: %dx%d", probe.__name__.strip("_"), *size)
            return size
    return config.FALLBACK_SCREEN


def _run(*command: str) -> str | None:
    if not os.environ.get("DISPLAY") or shutil.which(command[0]) is None:
        return None
    return subprocess.run(command, capture_output=True, text=True, timeout=3,
                          check=True).stdout


def parse_xrandr(text: str) -> tuple[int, int] | None:
    """The primary monitor's size, else the first connected one's, else the screen's."""
    for pattern in (r" connected primary (\d+)x(\d+)\+", r" connected (\d+)x(\d+)\+",
                    r"current (\d+) x (\d+)"):
        found = re.search(pattern, text)
        if found:
            return int(found.group(1)), int(found.group(2))
    return None


def _xrandr() -> tuple[int, int] | None:
    text = _run("xrandr", "--current")
    return parse_xrandr(text) if text else None


def _xdpyinfo() -> tuple[int, int] | None:
    text = _run("xdpyinfo")
    found = re.search(r"dimensions:\s+(\d+)x(\d+) pixels", text or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def _windows() -> tuple[int, int] | None:
    if sys.platform != "win32":
        return None
    import ctypes

    metrics = ctypes.windll.user32.GetSystemMetrics
    return metrics(0), metrics(1)  # SM_CXSCREEN, SM_CYSCREEN


def _tk() -> tuple[int, int] | None:
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        return None
    import tkinter

    root = tkinter.Tk()
    try:
        root.withdraw()
        return root.winfo_screenwidth(), root.winfo_screenheight()
    finally:
        root.destroy()


def fit_within(width: int, height: int, screen: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of a frame shown whole on `screen`: scaled down (never up), its
    shape kept, leaving room for the window's title bar, trackbar and the desktop's
    panels (config.WINDOW_MARGIN)."""
    room_w = max(160, screen[0] - config.WINDOW_MARGIN[0])
    room_h = max(120, screen[1] - config.WINDOW_MARGIN[1])
    scale = min(1.0, room_w / width, room_h / height)
    return max(1, round(width * scale)), max(1, round(height * scale))
