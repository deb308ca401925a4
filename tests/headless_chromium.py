"""A real browser for tests: Debian's headless Chromium, driven over the DevTools
protocol through a pipe (--remote-debugging-pipe), with the standard library only.

    with Chromium() as browser:
        browser.open("http://127.0.0.1:8080/")
        browser.evaluate("document.title")
        png = browser.screenshot()

`chromium --screenshot` alone cannot wait for a page whose streams never end (it waits
for the network to go quiet), so the tests ask the page what it shows, as often as
they need, and take the screenshot when it is ready.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

# Without the background-networking flags Chromium hangs on a network with no way out.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio"]


# Copied above 10 first, so that one pipe already on 3 or 4 is not overwritten.
PUT_PIPES_ON_3_AND_4 = (
    "import fcntl, os, sys; "
    "r, w = (fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]); "
    "os.dup2(r, 3); os.dup2(w, 4); os.execv(sys.argv[3], sys.argv[3:])")


def chromium_or_skip() -> str:
    """Chromium's path; CI installs it (.ci/run), elsewhere the test is skipped."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI (.ci/run installs the chromium package)")
        pytest.skip("chromium is not installed (Debian: apt install chromium)")
    return path


class Chromium:
    """One headless Chromium with one tab, for `with` blocks."""

    def __init__(self, width: int = 480, height: int = 900, timeout: float = 30.0):
        self.width, self.height = width, height
        self.timeout = timeout
        chromium = chromium_or_skip()
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-",
                                                    ignore_cleanup_errors=True)
        self._log = Path(self._profile.name, "output.log")  # shown if Chromium fails
        to_browser, self._send = os.pipe()
        self._receive, from_browser = os.pipe()
        # Chromium reads the protocol from fd 3 and writes it to fd 4: a small Python
        # puts the pipes there and becomes Chromium (no preexec_fn: threads run here).
        with open(self._log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", PUT_PIPES_ON_3_AND_4, str(to_browser),
                 str(from_browser), chromium, *FLAGS,
                 f"--user-data-dir={self._profile.name}", f"--window-size={width},{height}",
                 "--remote-debugging-pipe", "about:blank"],
                pass_fds=(to_browser, from_browser), stdout=log, stderr=log)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next_id = 0
        self.session = None
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target,
                                     flatten=True)["sessionId"]
            self.call("Page.enable")
            self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                      deviceScaleFactor=1, mobile=False)
        except BaseException:
            self.close()
            raise

    def call(self, method: str, **params) -> dict:
        """Send one command (to the tab once attached) and return its result."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if self.session is not None:
            message["sessionId"] = self.session
        try:
            os.write(self._send, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError(f"Chromium ended: {self.messages()}") from None
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._receive], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._receive, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium ended: {self.messages()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def messages(self) -> str:
        """The end of what Chromium wrote on stdout and stderr."""
        return self._log.read_text(errors="replace")[-3000:]

    def open(self, url: str) -> None:
        """Go to `url` and wait until the page has loaded."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + self.timeout
        while self.evaluate("[location.href, document.readyState]") != [url, "complete"]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not load")
            time.sleep(0.05)

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the tab."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        """The tab as PNG bytes."""
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def close(self) -> None:
        if self.process.poll() is None:
            # Asked to close, Chromium ends its helper processes too; terminated, some
            # (crashpad) may still write into the profile for a moment.
            try:
                os.write(self._send, json.dumps(
                    {"id": self._next_id + 1, "method": "Browser.close"}).encode() + b"\0")
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        for fd in (self._send, self._receive):
            os.close(fd)
        for _ in range(50):  # a helper still finishing its last write: try again
            try:
                shutil.rmtree(self._profile.name)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)
        self._profile.cleanup()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
