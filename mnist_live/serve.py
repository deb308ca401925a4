"""Watch the live view from a browser: the annotated frames and the readings over HTTP.

    python mnist_tflite_live_detection.py --source picamera --headless --serve 0.0.0.0:8080

serves, while the live loop runs:

    GET /             a page: the live view, the numbers read (large), the status line
    GET /stream.mjpg  the annotated frames as MJPEG (multipart/x-mixed-replace)
    GET /readings     the latest frame's JSON: exactly the line --json prints
    GET /events       the same as Server-Sent Events, one per frame read

and nothing else: no file is ever served, other paths get 404, other methods 405, and
a request that is not HTTP gets 400. HEAD works wherever GET does.

The live loop never waits for a viewer. For each frame it hands the server the frame's
JSON line and its annotated picture (or a function that draws it), and goes on: a lock
taken for a few microseconds. Each viewer has its own thread (the standard library's
ThreadingHTTPServer) that waits for a frame newer than the one it sent last; the first
viewer that needs a frame draws and JPEG-encodes it, once, for everyone. A slow viewer
gets the newest frame whenever it is ready for one (the frames in between are dropped
for it alone); a viewer that stops reading blocks only its own thread, and is dropped
after config.SERVE_TIMEOUT seconds; one that disconnects is forgotten at the next frame.
A frame nobody watches is never drawn or encoded.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import cv2
import numpy as np

from . import config
from .errors import UserError

log = logging.getLogger(__name__)

# The picture of a frame: drawn already, or drawn on demand when a viewer wants it.
Picture = np.ndarray | Callable[[], np.ndarray]

BOUNDARY = b"frame"  # between the JPEGs of /stream.mjpg


@dataclass(frozen=True)
class ServeOptions:
    """Where and how the live view is served (the live script's --serve [HOST:]PORT)."""

    host: str = config.DEFAULT_SERVE_HOST
    """The address to listen on: 127.0.0.1 lets only this machine watch (the default);
    0.0.0.0 lets every machine that can reach this one watch (there is no password)."""

    port: int = config.DEFAULT_SERVE_PORT
    """The TCP port; 0 picks a free one (LiveServer.url says which)."""

    jpeg_quality: int = config.SERVE_JPEG_QUALITY
    """JPEG quality of the stream's frames, 0-100."""

    timeout: float = config.SERVE_TIMEOUT
    """Seconds a viewer may take to send its request, or to take one frame, before it
    is dropped."""


class LiveServer:
    """The live view over HTTP, served by background threads until `close()`.

    The live loop calls `publish()` once per frame; nothing else of it touches the
    server. Binding happens in the constructor, so a port in use is a UserError before
    anything else starts.
    """

    def __init__(self, options: ServeOptions | None = None):
        self.options = options or ServeOptions()
        self.encoded = 0  # frames drawn and JPEG-encoded: each once, however many viewers
        self._changed = threading.Condition()  # guards the fields below up to _closed
        self._published = 0  # frames handed over so far; the newest one's number
        self._line: str | None = None
        self._status = ""
        self._picture: Picture | None = None
        self._viewers: set[socket.socket] = set()  # connections of /stream.mjpg, /events
        self._closed = False
        self._jpeg_lock = threading.Lock()  # one viewer encodes, the others wait for it
        self._jpeg: tuple[int, bytes] = (0, b"")  # (frame number, JPEG) encoded last
        self._httpd = _bind(self)
        host, port = self._httpd.server_address[:2]
        self.port = port
        # The URL this machine can open; 0.0.0.0 and :: are not addresses to visit.
        local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        self.url = f"http://{_url_host(local)}:{port}/"
        # Polling for shutdown 10 times a second: close() takes at most 0.1 s.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.1,),
                                        name="live-server", daemon=True)
        self._thread.start()
        self._announce(host)

    def _announce(self, host: str) -> None:
        if host in ("0.0.0.0", "::"):
            name = socket.gethostname().split(".")[0]  # its mDNS name is NAME.local
            others = [f"http://{name}.local:{self.port}/"]
            address = _lan_address()
            if address:
                others.append(f"http://{address}:{self.port}/")
            log.info("Other machines on the network can open %s", " or ".join(others))
            log.warning("Anyone who can reach this machine can watch the camera (there is "
                        "no password): serve on %s only on a network you trust.", host)
        log.info("Live view: %s (Ctrl+C to stop)", self.url)

    # --- the live loop's side -----------------------------------------------------------

    def publish(self, line: str, picture: Picture, status: str = "") -> None:
        """Hand over the newest frame: its JSON line, its annotated picture (or a
        function that draws it, called only if someone watches) and its status line.
        Returns at once: viewers never hold the loop."""
        with self._changed:
            self._published += 1
            self._line, self._picture, self._status = line, picture, status
            self._changed.notify_all()

    def close(self) -> None:
        """Stop serving: every viewer's response ends and the port is free again."""
        with self._changed:
            if self._closed:
                return
            self._closed = True
            self._changed.notify_all()
            viewers = list(self._viewers)
        for connection in viewers:  # a viewer blocked in a write is woken up by this
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def viewers(self) -> int:
        """Viewers connected to /stream.mjpg or /events now."""
        with self._changed:
            return len(self._viewers)

    # --- the viewers' side (each in its own thread) -----------------------------------

    @contextlib.contextmanager
    def watching(self, connection: socket.socket) -> Iterator[None]:
        with self._changed:
            self._viewers.add(connection)
        try:
            yield
        finally:
            with self._changed:
                self._viewers.discard(connection)

    def wait_newer(self, seen: int) -> bool:
        """Wait for a frame newer than frame number `seen`: True when it has come,
        False once the server is closing."""
        with self._changed:
            while self._published <= seen and not self._closed:
                self._changed.wait()
            return not self._closed

    def latest(self) -> tuple[int, str | None, str]:
        """(frame number, JSON line, status line) of the newest frame."""
        with self._changed:
            return self._published, self._line, self._status

    def jpeg(self) -> tuple[int, bytes]:
        """(frame number, JPEG) of the newest frame: drawn and encoded by the first
        viewer that asks for it, then the same bytes for every other viewer."""
        with self._jpeg_lock:
            with self._changed:
                number, picture = self._published, self._picture
            if self._jpeg[0] != number:
                image = picture() if callable(picture) else picture
                ok, data = cv2.imencode(".jpg", image,
                                        [cv2.IMWRITE_JPEG_QUALITY, self.options.jpeg_quality])
                if not ok:
                    raise RuntimeError(f"JPEG encoding failed for a {image.shape} frame")
                self._jpeg = (number, data.tobytes())
                self.encoded += 1
            return self._jpeg


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a viewer's thread never keeps the script alive
    # Connections waiting to be accepted: the stdlib's 5 makes the sixth of a burst
    # (a page opens three at once; a few phones at once) wait a second for a retry.
    request_queue_size = 64
    # SO_REUSEADDR lets a restarted script take its port back at once on Linux and
    # macOS; on Windows it would let two programs share a port, hiding "in use".
    allow_reuse_address = sys.platform != "win32"

    def __init__(self, live: LiveServer):
        self.live = live
        host = live.options.host
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, live.options.port), _Handler)

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # the viewer went away mid-request
            log.debug("live view: %s: %s", client_address[0], error)
        else:  # a bug: say so in one line, the traceback with -vv
            log.error("live view: a request from %s failed: %r", client_address[0], error)
            log.debug("", exc_info=error)


def _bind(live: LiveServer) -> _Server:
    """The listening server, or a UserError in one line: port in use, no such address."""
    host, port = live.options.host, live.options.port
    try:
        return _Server(live)
    except socket.gaierror:
        raise UserError(f"cannot serve the live view on {host}: no such host name or "
                        f"address") from None
    except OSError as exc:
        reasons = {
            errno.EADDRINUSE: f"port {port} is in use (another program, or this script "
                              f"running already); choose another, e.g. --serve "
                              f"{_url_host(host)}:{port + 1 if port < 65535 else 8080}",
            errno.EADDRNOTAVAIL: f"{host} is not an address of this machine (0.0.0.0 "
                                 f"means all of them)",
            errno.EACCES: f"port {port} needs administrator rights; use a port above "
                          f"1023 such as 8080",
        }
        reason = reasons.get(exc.errno, exc.strerror or str(exc))
        raise UserError(f"cannot serve the live view on {_url_host(host)}:{port}: "
                        f"{reason}") from None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _lan_address() -> str | None:
    """This machine's address on the network its default route leads to, if any.

    Connecting a UDP socket only picks a route; nothing is sent."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1, an address for examples
            return probe.getsockname()[0]
    except OSError:
        return None


class _Handler(BaseHTTPRequestHandler):
    """One request: the page, the stream, the readings or the events; else an error."""

    server: _Server
    server_version = "mnist-live"
    # One request per connection: the two streams never end, and nothing else is big.
    protocol_version = "HTTP/1.0"
    # What a request that cannot be parsed is taken for: the stdlib's HTTP/0.9 would
    # answer it without a status line, where a 400 should be seen.
    default_request_version = "HTTP/1.0"

    def setup(self) -> None:
        self.timeout = self.server.live.options.timeout  # for the request and each write
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF,
                                config.SERVE_SEND_BUFFER)
        super().setup()

    def do_GET(self) -> None:
        routes = {"/": self._page, "/stream.mjpg": self._stream,
                  "/readings": self._readings, "/events": self._events}
        route = routes.get(urlsplit(self.path).path)  # a query string is ignored
        if route is None:
            self.send_error(HTTPStatus.NOT_FOUND, "Not found",
                            "Only /, /stream.mjpg, /readings and /events are served here.")
            return
        try:
            route()
        except OSError as exc:  # the viewer left, stalled past the timeout, or we closed
            log.debug("live view: %s left %s: %s", self.client_address[0], self.path, exc)
            self.close_connection = True

    do_HEAD = do_GET  # the same headers, no body (see _send_body and _start_stream)

    def _not_allowed(self) -> None:
        # Read a small body first: closing with it unread would reset the connection,
        # and the client might never see this answer.
        length = self.headers.get("Content-Length", "0")
        if length.isascii() and length.isdecimal() and int(length) <= 65536:
            self.rfile.read(int(length))
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self._send_body(b"405: only GET (and HEAD) are served here\n", "text/plain")

    # Every method HTTP defines other than GET and HEAD. A made-up method gets the
    # standard library's 501 Not Implemented, as HTTP asks.
    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = (
        _not_allowed)

    def _content_headers(self, content_type: str) -> None:
        """The headers every answer carries: what it is, never cached, never sniffed."""
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")

    def _send_body(self, data: bytes, content_type: str) -> None:
        """The rest of a response whose status line is sent: headers, then `data`."""
        self._content_headers(content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _start_stream(self, content_type: str) -> bool:
        """Send a never-ending response's headers; False if that is all (HEAD)."""
        self.send_response(HTTPStatus.OK)
        self._content_headers(content_type)
        self.end_headers()
        return self.command != "HEAD"

    def _page(self) -> None:
        self.send_response(HTTPStatus.OK)
        self._send_body(PAGE.encode(), "text/html; charset=utf-8")

    def _readings(self) -> None:
        _, line, _ = self.server.live.latest()
        if line is None:
            self.send_response(HTTPStatus.SERVICE_UNAVAILABLE)
            self.send_header("Retry-After", "1")
            self._send_body(b"no frame read yet\n", "text/plain")
            return
        self.send_response(HTTPStatus.OK)
        self._send_body((line + "\n").encode(), "application/json")

    def _stream(self) -> None:
        live = self.server.live
        if not self._start_stream(
                f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}"):
            return
        with live.watching(self.connection):
            # Each part ends with the next boundary, so a browser shows a frame as soon
            # as it has come, not when the next one starts.
            self.wfile.write(b"--%b\r\n" % BOUNDARY)
            sent = 0
            while live.wait_newer(sent):
                sent, jpeg = live.jpeg()
                self.wfile.write(b"Content-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                 b"%b\r\n--%b\r\n" % (len(jpeg), jpeg, BOUNDARY))

    def _events(self) -> None:
        live = self.server.live
        if not self._start_stream("text/event-stream; charset=utf-8"):
            return
        with live.watching(self.connection):
            self.wfile.write(b"retry: 2000\n\n")  # the page reconnects 2 s after a break
            sent, status_sent = 0, None
            while live.wait_newer(sent):
                sent, line, status = live.latest()
                event = f"data: {line}\n\n"
                if status and status != status_sent:  # named: onmessage sees readings only
                    event = f"event: status\ndata: {status}\n\n{event}"
                    status_sent = status
                self.wfile.write(event.encode())

    def version_string(self) -> str:  # not the Python version, to anyone who asks
        return self.server_version

    def log_message(self, format: str, *args) -> None:
        # Every request on stderr would drown the readings; -vv shows them.
        log.debug("live view: %s %s", self.address_string(), format % args)


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MNIST live detection</title>
<style>
  body { margin: 0; background: #111; color: #eee; text-align: center;
         font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
  #numbers { font-size: clamp(3rem, 15vw, 9rem); font-weight: 700; line-height: 1.1;
             margin: 0.15em 0.2em 0; overflow-wrap: anywhere;
             font-variant-numeric: tabular-nums; }
  #digits { color: #8c8; margin: 0 0.5em 0.6em; }
  #live { display: block; max-width: 100%; height: auto; margin: 0 auto; }
  #status { font-family: ui-monospace, "DejaVu Sans Mono", monospace; color: #ccc;
            margin: 0.6em 0.5em; }
  body.stopped #status { color: #f88; }
  nav { margin: 0.6em 0 1em; }
  nav a { color: #8bf; margin: 0 0.6em; }
</style>
</head>
<body>
<div id="numbers">&ndash;</div>
<div id="digits">waiting for the first frame&hellip;</div>
<img id="live" alt="the camera's picture with a box on each digit read">
<div id="status"></div>
<nav>
  <a href="/stream.mjpg">/stream.mjpg</a>
  <a href="/readings">/readings</a>
  <a href="/events">/events</a>
</nav>
<script>
"use strict";
const $ = (id) => document.getElementById(id);

function show(reading) {
  const texts = reading.numbers.map((n) => n.text);
  $("numbers").textContent = texts.length ? texts.join(" ") : "\\u2013";
  const count = reading.digits.length;
  $("digits").textContent = `frame ${reading.frame} \\u00b7 ${count} digit` +
    `${count === 1 ? "" : "s"} \\u00b7 ${reading.fresh ? "read in full" : "page unchanged"}`;
}

const events = new EventSource("/events");
events.onmessage = (event) => {
  document.body.classList.remove("stopped");
  show(JSON.parse(event.data));
};
events.addEventListener("status", (event) => { $("status").textContent = event.data; });
events.onerror = () => {
  document.body.classList.add("stopped");
  $("status").textContent = "not connected: is the live script running?";
};

// The stream never ends: starting it after the page has loaded lets the page finish
// loading. If it breaks (the script restarted), try again every 2 s.
const live = $("live");
live.onerror = () => setTimeout(() => { live.src = "/stream.mjpg?" + Date.now(); }, 2000);
window.addEventListener("load", () => { live.src = "/stream.mjpg"; });
</script>
</body>
</html>
"""
