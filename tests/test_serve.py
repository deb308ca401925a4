"""Watching the live view from a browser (--serve): the page in a real headless
Chromium, the MJPEG stream, /readings and /events, many viewers, a stalled one, one
that leaves, bad requests, a port in use, Ctrl+C and the end of the input."""

from __future__ import annotations

import http.client
import importlib.util
import itertools
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import PROJECT_ROOT
from headless_chromium import Chromium, chromium_or_skip
from test_live import count_frames, processed_frames, virtual_display  # noqa: F401

from mnist_live.cli import parse_address
from mnist_live.draw import GREEN
from mnist_live.errors import UserError
from mnist_live.serve import LiveServer, ServeOptions

LIVE = str(PROJECT_ROOT / "mnist_tflite_live_detection.py")
LOCAL = "127.0.0.1"


# --- clients --------------------------------------------------------------------------

def request(port: int, path: str = "/", method: str = "GET", body: bytes | None = None
            ) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request."""
    connection = http.client.HTTPConnection(LOCAL, port, timeout=10)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw_request(port: int, data: bytes) -> bytes:
    """Send `data` as it is and return everything the server answers."""
    with socket.create_connection((LOCAL, port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


class Viewer:
    """A client of /stream.mjpg or /events that reads as told (or not at all)."""

    def __init__(self, port: int, path: str, receive_buffer: int | None = None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:  # a small window: a viewer that stops reading stalls at once
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(10)
        self.sock.connect((LOCAL, port))
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: pi\r\n\r\n".encode())
        self.file = self.sock.makefile("rb")

    def headers(self) -> tuple[str, dict]:
        status = self.file.readline().decode().strip()
        headers = {}
        while (line := self.file.readline().decode().strip()):
            name, _, value = line.partition(":")
            headers[name.lower()] = value.strip()
        return status, headers

    def jpeg(self) -> bytes | None:
        """The next frame of an MJPEG stream, or None when the stream has ended."""
        length = None
        while line := self.file.readline():
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif line.strip() == b"" and length is not None:
                return self.file.read(length)
        return None

    def event(self) -> tuple[str, str] | None:
        """The next Server-Sent Event as (type, data), or None when the stream ended."""
        kind, data = "message", None
        while line := self.file.readline():
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and data is not None:
                return kind, data
        return None

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def wait_for(condition, seconds: float = 10.0, step=None) -> bool:
    """Poll `condition` (calling `step` between tries) until true or time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        (step or (lambda: time.sleep(0.02)))()
    return condition()


def picture(value: int, size=(120, 160)) -> np.ndarray:
    return np.full((*size, 3), value, np.uint8)


@pytest.fixture
def server():
    with LiveServer(ServeOptions(port=0)) as live:
        yield live


# --- the address ------------------------------------------------------------------------

@pytest.mark.parametrize("text,address", [
    ("8080", ("127.0.0.1", 8080)),
    ("0", ("127.0.0.1", 0)),
    (":8081", ("127.0.0.1", 8081)),
    ("0.0.0.0:8080", ("0.0.0.0", 8080)),
    ("raspberrypi.local:80", ("raspberrypi.local", 80)),
    ("[::1]:8080", ("::1", 8080)),
])
def test_serve_addresses(text, address):
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["", "http", "localhost", "8080:", "65536", "-1", "８０",
                                  "::1:8080", "host:port", "1.2.3.4:80:80"])
def test_bad_serve_addresses_are_refused(text):
    with pytest.raises(ValueError):
        parse_address(text)


def test_serve_alone_is_this_machine_on_port_8080():
    spec = importlib.util.spec_from_file_location("live_script", LIVE)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    parser = script.build_parser()
    assert parser.parse_args(["--serve"]).serve == ("127.0.0.1", 8080)
    assert parser.parse_args(["--serve", "0.0.0.0:80"]).serve == ("0.0.0.0", 80)
    assert parser.parse_args([]).serve is None


def test_a_bad_serve_value_is_refused_by_argparse():
    result = subprocess.run([sys.executable, LIVE, "--serve", "localhost:http"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "argument --serve: 'localhost:http' is not [HOST:]PORT" in result.stderr


# --- the endpoints ----------------------------------------------------------------------

def test_the_page_links_every_endpoint_and_needs_nothing_from_elsewhere(server):
    status, headers, body = request(server.port, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode()
    links = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert {"/stream.mjpg", "/readings", "/events"} <= set(links)
    assert all(link.startswith("/") for link in links)  # no CDN: a Pi may be offline
    assert "http" not in page.replace("http-equiv", "")
    assert request(server.port, "/?from=phone")[0] == 200  # a query string is fine


def test_readings_are_the_newest_json_line(server):
    status, headers, body = request(server.port, "/readings")
    assert status == 503 and headers["Retry-After"] == "1"  # no frame read yet
    for frame in range(3):
        server.publish(f'{{"frame": {frame}}}', picture(frame))
    status, headers, body = request(server.port, "/readings")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body == b'{"frame": 2}\n'
    status, headers, body = request(server.port, "/readings", "HEAD")
    assert status == 200 and body == b"" and headers["Content-Length"] == "13"


def test_events_one_per_frame_and_the_status_when_it_changes(server):
    viewer = Viewer(server.port, "/events")
    status, headers = viewer.headers()
    assert status.endswith("200 OK") and headers["content-type"].startswith(
        "text/event-stream")
    assert wait_for(lambda: server.viewers == 1)
    received = []
    for frame, status_line in enumerate(["otsu 97 | 30.0 FPS", "otsu 97 | 30.0 FPS",
                                         "otsu 98 | 29.5 FPS"]):
        server.publish(f'{{"frame": {frame}}}', picture(frame), status_line)
        received.append(viewer.event())
        if frame != 1:  # a status event comes before the reading, when it changed
            received.append(viewer.event())
    viewer.close()
    assert received == [
        ("status", "otsu 97 | 30.0 FPS"), ("message", '{"frame": 0}'),
        ("message", '{"frame": 1}'),
        ("status", "otsu 98 | 29.5 FPS"), ("message", '{"frame": 2}'),
    ]


def test_the_stream_is_each_new_frame_as_a_jpeg(server):
    viewer = Viewer(server.port, "/stream.mjpg")
    status, headers = viewer.headers()
    assert status.endswith("200 OK")
    assert headers["content-type"] == "multipart/x-mixed-replace; boundary=frame"
    assert wait_for(lambda: server.viewers == 1)
    for value in (40, 200, 120):
        server.publish("{}", picture(value))
        image = cv2.imdecode(np.frombuffer(viewer.jpeg(), np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (120, 160, 3) and abs(int(image.mean()) - value) <= 2
    viewer.close()


def test_frames_nobody_watches_are_never_drawn(server):
    drawn = []

    def draw():
        drawn.append(1)
        return picture(0)

    for _ in range(20):
        server.publish("{}", draw)
    assert request(server.port, "/readings")[0] == 200
    assert request(server.port, "/events", "HEAD")[0] == 200
    assert drawn == [] and server.encoded == 0


@pytest.mark.parametrize("path", ["/nope", "/index.html", "/favicon.ico", "/../etc/passwd",
                                  "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/readings/",
                                  "/stream.mjpg/../../mnist.tflite", "/mnist_live/serve.py"])
def test_other_paths_are_not_found(server, path):
    server.publish("{}", picture(0))
    status, _, body = request(server.port, path)
    assert status == 404
    assert b"Only /, /stream.mjpg, /readings and /events" in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_other_methods_are_not_allowed(server, method):
    status, headers, _ = request(server.port, "/readings", method, body=b'{"frame": 9}')
    assert status == 405 and headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("data,status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/1.1 and more\r\n\r\n", 400),
    (b"GET / HTPP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\n\r\n", 505),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64), 400),  # https:// by mistake
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"FOO / HTTP/1.1\r\n\r\n", 501),  # a method HTTP does not define
])
def test_malformed_requests_get_an_error_and_the_server_goes_on(server, data, status):
    server.publish('{"frame": 0}', picture(0))
    answer = raw_request(server.port, data)
    assert answer.startswith(f"HTTP/1.0 {status} ".encode()), answer[:80]
    assert request(server.port, "/readings")[2] == b'{"frame": 0}\n'


# --- viewers ----------------------------------------------------------------------------

def test_many_viewers_at_once_share_one_encoding_per_frame(server):
    """10 streams and 10 event streams: each sees new frames only, in order, at most
    one per frame published, and each frame is drawn and encoded once for all."""
    streams = [Viewer(server.port, "/stream.mjpg") for _ in range(10)]
    events = [Viewer(server.port, "/events") for _ in range(10)]
    for viewer in streams + events:
        viewer.headers()
    assert wait_for(lambda: server.viewers == 20)
    drawn = []
    got: dict[int, list[int]] = {i: [] for i in range(20)}
    stop = threading.Event()

    def watch(index: int, viewer: Viewer) -> None:
        while not stop.is_set():
            if index < 10:  # a stream: the frame's number is in its gray level
                data = viewer.jpeg()
                if data is None:
                    return
                gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
                got[index].append(round((float(gray.mean()) - 10) / 5))
            else:
                event = viewer.event()
                if event is None:
                    return
                if event[0] == "message":
                    got[index].append(json.loads(event[1])["frame"])

    def draw_frame(frame: int) -> np.ndarray:
        drawn.append(frame)
        return picture(5 * frame + 10)

    threads = [threading.Thread(target=watch, args=(i, v), daemon=True)
               for i, v in enumerate(streams + events)]
    for thread in threads:
        thread.start()
    frames = 40
    for frame in range(frames):
        server.publish(f'{{"frame": {frame}}}', lambda f=frame: draw_frame(f))
        time.sleep(0.03)
    assert wait_for(lambda: all(seen and seen[-1] == frames - 1 for seen in got.values()))
    stop.set()
    server.close()  # ends every viewer's response
    for thread in threads:
        thread.join(timeout=10)
    assert len(drawn) == len(set(drawn)) == server.encoded <= frames
    for seen in got.values():
        assert seen == sorted(set(seen))  # newer frames only, never one twice
        assert len(seen) <= frames
    for viewer in streams + events:
        viewer.close()


def test_a_viewer_that_disconnects_is_forgotten(server):
    viewer = Viewer(server.port, "/stream.mjpg")
    viewer.headers()
    server.publish("{}", picture(1))
    assert viewer.jpeg()
    viewer.close()
    frame = itertools.count()
    assert wait_for(lambda: server.viewers == 0,
                    step=lambda: (server.publish("{}", picture(next(frame) % 250)),
                                  time.sleep(0.02)))


def test_a_viewer_that_stops_reading_is_dropped_after_the_timeout():
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), np.uint8)  # big JPEGs
    with LiveServer(ServeOptions(port=0, timeout=0.5)) as live:
        stalled = Viewer(live.port, "/stream.mjpg", receive_buffer=4096)
        assert wait_for(lambda: live.viewers == 1)
        started = time.monotonic()
        assert wait_for(lambda: live.viewers == 0,
                        step=lambda: (live.publish("{}", noise), time.sleep(0.02)))
        assert time.monotonic() - started < 5
        stalled.close()


def test_close_ends_every_response_and_frees_the_port():
    live = LiveServer(ServeOptions(port=0))
    viewers = [Viewer(live.port, path) for path in ("/stream.mjpg", "/events")]
    for viewer in viewers:
        viewer.headers()
    assert wait_for(lambda: live.viewers == 2)
    live.publish("{}", picture(0))
    assert viewers[0].jpeg() and viewers[1].event()
    live.close()
    assert viewers[0].jpeg() is None and viewers[1].event() is None  # ended, not hung
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOCAL, live.port), timeout=5)
    live.close()  # twice is harmless
    for viewer in viewers:
        viewer.close()


def test_a_port_in_use_is_one_clear_error():
    with socket.socket() as taken:
        taken.bind((LOCAL, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UserError, match=f"port {port} is in use"):
            LiveServer(ServeOptions(port=port))


class FilmedPage:
    """A page filmed for `count` frames, as a frame source for the live loop."""

    description = "filmed page"
    still = False
    live = False
    fps = None

    def __init__(self, count: int):
        from mnist_live.scenes import make_scene, render_video_frames

        self.scene = make_scene("clean", 4)
        self.frames = [f.image for f in render_video_frames(self.scene, count, seed=1)]
        self._next = itertools.cycle(self.frames)

    def read(self) -> np.ndarray:
        return next(self._next)

    def close(self) -> None:
        pass


@pytest.mark.slow
def test_a_stalled_viewer_does_not_slow_the_loop(classifier):
    """Two live loops read the same frames, taking turns frame by frame: one serves a
    viewer that has stopped reading, the other serves nobody. Their own times per frame
    (medians) are within 10%. Taking turns, both see the same load from the rest of the
    machine; a busy machine can still tip one run, so up to three runs."""
    from mnist_live.live import LiveLoop, LiveOptions
    from mnist_live.pipeline import DigitReader

    source = FilmedPage(30)
    options = LiveOptions(headless=True, serve=ServeOptions(port=0))
    watched = LiveLoop(DigitReader(classifier), source, options)
    alone = LiveLoop(DigitReader(classifier), source, options)

    def time_one(loop: LiveLoop, frame: np.ndarray) -> float:
        start = time.perf_counter()
        loop.process(frame)
        return time.perf_counter() - start

    def both(frames: int, first_watched: bool = True) -> tuple[list, list]:
        times = {True: [], False: []}
        for turn in range(frames):
            frame = source.read()
            order = (True, False) if (turn % 2 == 0) == first_watched else (False, True)
            for is_watched in order:
                times[is_watched].append(time_one(watched if is_watched else alone, frame))
        return times[True], times[False]

    viewer = None
    try:
        both(60)  # warm up
        viewer = Viewer(watched.server.port, "/stream.mjpg", receive_buffer=4096)
        # Stalled: it took a frame or more, and now its thread is blocked in a write.
        last = 0
        for _ in range(100):
            both(3)
            time.sleep(0.05)
            if watched.server.encoded == last > 0:
                break
            last = watched.server.encoded
        else:
            pytest.fail("the viewer never stalled")
        ratios = []
        for run in range(3):
            with_viewer, without = both(400, first_watched=run % 2 == 0)
            assert watched.server.viewers == 1 and watched.server.encoded == last
            ratios.append(statistics.median(with_viewer) / statistics.median(without))
            print(f"live loop: {1 / statistics.median(without):.0f} frames/s serving "
                  f"nobody, {1 / statistics.median(with_viewer):.0f} with a stalled viewer")
            if ratios[-1] <= 1.10:
                break
    finally:
        if viewer is not None:
            viewer.close()
        watched.close()
        alone.close()
    assert ratios[-1] <= 1.10, f"time per frame, stalled viewer / none: {ratios}"


def test_a_photo_served_is_read_again_at_a_steady_pace(classifier, test_jpg):
    """Without a window a photo is read once; with --serve it stays on show, read
    STILL_IMAGE_FPS times a second (not as fast as the CPU can)."""
    from mnist_live import config
    from mnist_live.capture import ImageSource
    from mnist_live.live import LiveOptions, run_live
    from mnist_live.pipeline import DigitReader

    started = time.perf_counter()
    assert run_live(DigitReader(classifier), ImageSource(test_jpg),
                    LiveOptions(headless=True, max_frames=6,
                                serve=ServeOptions(port=0))) == 0
    assert time.perf_counter() - started >= 5 / config.STILL_IMAGE_FPS


# --- the live script, end to end --------------------------------------------------------

def write_page_video(path: Path, frames: int, fps: float = 10.0):
    """A video of a filmed still page (mnist_live.scenes); returns the scene."""
    source = FilmedPage(min(frames, 30))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    for _ in range(frames):
        writer.write(source.read())
    writer.release()
    return source.scene


class LiveScript:
    """The live script run as a user would, its output in files, its URL read."""

    def __init__(self, folder: Path, *args: str, env=None):
        self.out, self.err = folder / "stdout.txt", folder / "stderr.txt"
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.process = subprocess.Popen([sys.executable, LIVE, *args], stdout=out,
                                            stderr=err, env=env, cwd=folder)
        self.url = None
        wait_for(self._started, 60)
        assert self.url, f"no URL printed; stderr: {self.err.read_text()}"
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))

    def _started(self) -> bool:
        found = re.search(r"Live view: (http://\S+/)", self.err.read_text())
        self.url = found and found.group(1)
        return bool(self.url) or self.process.poll() is not None

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        self.process.wait(timeout=timeout)
        return self.process.returncode, self.out.read_text(), self.err.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def colour_pixels(image: np.ndarray, bgr, tolerance: int = 40) -> int:
    return int(np.all(np.abs(image.astype(int) - np.array(bgr)) <= tolerance, axis=2).sum())


@pytest.mark.slow
def test_the_page_in_chromium_shows_the_boxes_and_the_readings_then_ctrl_c(tmp_path):
    chromium_or_skip()
    video = tmp_path / "page.avi"
    scene = write_page_video(video, 300)  # 30 s at 10 fps: the run ends with Ctrl+C
    record = tmp_path / "run.mp4"
    script = LiveScript(tmp_path, "--source", str(video), "--headless", "--json",
                        "--serve", f"{LOCAL}:0", "--record", str(record))
    try:
        assert script.url == f"http://{LOCAL}:{script.port}/"
        with Chromium(width=480, height=900) as browser:
            browser.open(script.url)

            def shown():
                return browser.evaluate(
                    "[document.getElementById('numbers').textContent,"
                    " document.getElementById('live').naturalWidth,"
                    " document.getElementById('status').textContent]")

            def page_matches_readings():
                numbers, width, _ = shown()
                readings = json.loads(request(script.port, "/readings")[2])
                return width == 640 and numbers.split() == [
                    n["text"] for n in readings["numbers"]] != []

            assert wait_for(page_matches_readings, 30), (shown(), request(
                script.port, "/readings"))
            shot = cv2.imdecode(np.frombuffer(browser.screenshot(), np.uint8),
                                cv2.IMREAD_COLOR)
            cv2.imwrite(str(tmp_path / "page.png"), shot)  # to look at if it fails
            x, y, w, h = (round(v) for v in browser.evaluate(
                "(r => [r.x, r.y, r.width, r.height])("
                "document.getElementById('live').getBoundingClientRect())"))
            numbers, _, status = shown()
        assert shot.shape[:2] == (900, 480) and w == 480 and h == 360
        view = shot[y : y + h, x : x + w]
        assert colour_pixels(view, GREEN) > 300  # the digits' boxes, in the live image
        assert colour_pixels(shot[: y], GREEN) == 0  # and not elsewhere
        assert "FPS" in status and "litert" in status
        truth = {n.text for n in scene.numbers}
        read = numbers.split()
        assert len(set(read) & truth) >= 0.8 * len(truth), (read, truth)
        # /readings is exactly a line of --json.
        body = request(script.port, "/readings")[2].decode()
        # Ctrl+C: the server and the recording are closed.
        viewer = Viewer(script.port, "/stream.mjpg")
        viewer.headers()
        assert viewer.jpeg()
        script.process.send_signal(signal.SIGINT)
        code, out, err = script.finish()
        assert code == 130 and "interrupted" in err and "Traceback" not in err
        while viewer.jpeg() is not None:  # the frames sent before the end, then the end
            pass
        viewer.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((LOCAL, script.port), timeout=5)
        lines = out.splitlines(keepends=True)
        assert body in lines
        assert count_frames(record) == processed_frames(err) == len(lines)
    finally:
        script.stop()


@pytest.mark.slow
def test_the_end_of_the_input_ends_the_streams_and_the_server(tmp_path):
    video = tmp_path / "short.avi"
    write_page_video(video, 20)  # 2 s at 10 fps
    script = LiveScript(tmp_path, "--source", str(video), "--headless", "--json", "--serve",
                        f"{LOCAL}:0")
    try:
        viewer = Viewer(script.port, "/events")
        viewer.headers()
        events = []
        while (event := viewer.event()) is not None:
            if event[0] == "message":
                events.append(event[1] + "\n")
        viewer.close()
        code, out, err = script.finish()
        assert code == 0 and "Traceback" not in err
        lines = out.splitlines(keepends=True)
        assert len(lines) == 20
        # One event per frame read, from the one it connected at to the last.
        assert len(events) >= 10 and events == lines[-len(events):]
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((LOCAL, script.port), timeout=5)
    finally:
        script.stop()


@pytest.mark.slow
def test_the_live_view_is_served_beside_the_window(virtual_display, tmp_path):  # noqa: F811
    env = {**os.environ, "DISPLAY": virtual_display}
    script = LiveScript(tmp_path, "--source", "synth", "--serve", f"{LOCAL}:0", env=env)
    try:
        viewer = Viewer(script.port, "/stream.mjpg")
        viewer.headers()
        for _ in range(60):  # the first frames may show no digit yet
            image = cv2.imdecode(np.frombuffer(viewer.jpeg(), np.uint8), cv2.IMREAD_COLOR)
            if colour_pixels(image, GREEN) > 300:
                break
        viewer.close()
        assert image.shape == (480, 640, 3) and colour_pixels(image, GREEN) > 300
        assert json.loads(request(script.port, "/readings")[2])["digits"]
        script.process.send_signal(signal.SIGINT)
        code, _, err = script.finish()
        assert code == 130 and "Traceback" not in err
    finally:
        script.stop()


def test_the_script_says_the_port_is_in_use_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind((LOCAL, 0))
        taken.listen()
        port = taken.getsockname()[1]
        record = tmp_path / "never.mp4"
        result = subprocess.run(
            [sys.executable, LIVE, "--source", "synth", "--headless", "--max-frames", "5",
             "--serve", f"{LOCAL}:{port}", "--record", str(record)],
            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: cannot serve the live view on {LOCAL}:{port}: port {port} is in use "
        f"(another program, or this script running already); choose another, e.g. "
        f"--serve {LOCAL}:{port + 1}")
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # no recording started
