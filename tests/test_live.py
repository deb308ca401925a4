"""The live experience: steady labels, newest-frame capture, recording, the window under
Xvfb, and Ctrl+C."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from conftest import PROJECT_ROOT
from test_scripts import write_synth_video

from mnist_live.capture import LatestFrameReader
from mnist_live.live import SteadyReader, StopOnSignal
from mnist_live.pipeline import DigitDetection, DigitReader
from mnist_live.record import Recorder, check_record_path
from mnist_live.tracking import DigitTracker

LIVE = str(PROJECT_ROOT / "mnist_tflite_live_detection.py")


def detection(digit: int, box, confidence: float = 0.95, other: int | None = None,
              other_p: float = 0.0) -> DigitDetection:
    probs = np.full(10, (1 - confidence - other_p) / 8, np.float32)
    probs[digit] = confidence
    if other is not None:
        probs[other] = other_p
    return DigitDetection(digit, confidence, box, probs)


# --- tracking -------------------------------------------------------------------------

def test_a_digit_keeps_its_track_while_it_moves_a_little():
    tracker = DigitTracker(min_confidence=0.7)
    ids = set()
    for shift in [0, 2, -1, 3, 1, -2]:
        shown = tracker.update([detection(4, (100 + shift, 50 - shift, 30, 45))])
        assert [d.digit for d in shown] == [4]
        ids.add(shown[0].track)
    assert len(ids) == 1


def test_one_noisy_frame_does_not_flip_the_label():
    tracker = DigitTracker(min_confidence=0.7)
    box = (100, 50, 30, 45)
    for _ in range(5):
        tracker.update([detection(4, box, 0.9)])
    # One frame reads it as a 9 with 0.6 against 0.35 for 4.
    shown = tracker.update([detection(9, box, 0.6, other=4, other_p=0.35)])
    assert [d.digit for d in shown] == [4]


def test_a_real_change_wins_after_a_few_frames():
    tracker = DigitTracker(min_confidence=0.5)
    box = (100, 50, 30, 45)
    for _ in range(5):
        tracker.update([detection(1, box, 0.95)])
    labels = [tracker.update([detection(7, box, 0.95)])[0].digit for _ in range(6)]
    assert labels[0] == 1 and labels[-1] == 7
    assert labels.index(7) <= 3


def test_a_new_confident_digit_shows_at_once_and_a_removed_one_goes():
    tracker = DigitTracker(min_confidence=0.7)
    a, b = (50, 50, 30, 45), (200, 50, 30, 45)
    for _ in range(3):
        tracker.update([detection(2, a)])
    shown = tracker.update([detection(2, a), detection(5, b)])
    assert sorted(d.digit for d in shown) == [2, 5]
    tracker.update([detection(2, a), detection(5, b)])
    # The 5 is taken away: an established digit survives a missed frame or two.
    remaining = [tracker.update([detection(2, a)]) for _ in range(5)]
    assert 5 in [d.digit for d in remaining[0]]
    assert [d.digit for d in remaining[-1]] == [2]


def test_a_one_frame_speck_never_lingers():
    tracker = DigitTracker(min_confidence=0.7)
    tracker.update([detection(1, (10, 10, 12, 20))])
    assert tracker.update([]) == []


def test_unsure_candidates_build_up_to_a_digit():
    tracker = DigitTracker(min_confidence=0.7)
    box = (100, 50, 30, 45)
    shown = [tracker.update([detection(3, box, 0.6)]) for _ in range(2)]
    assert shown == [[], []]  # not sure yet
    for _ in range(4):
        result = tracker.update([detection(3, box, 0.85)])
    assert [d.digit for d in result] == [3]


# --- capture and recording ------------------------------------------------------------

class CountingSource:
    """A fake camera: numbered frames, `fps` of them a second, then `stop` Nones."""

    description = "fake camera"
    still = False
    live = True
    fps = 100.0

    def __init__(self, frames: int):
        self.frames = frames
        self.index = 0
        self.closed = False

    def read(self):
        time.sleep(1 / self.fps)
        if self.index >= self.frames:
            return None
        self.index += 1
        return np.full((4, 4, 3), self.index, np.uint8)

    def close(self):
        self.closed = True


def test_the_reader_hands_out_the_newest_frame_and_counts_dropped_ones():
    reader = LatestFrameReader(CountingSource(60), retries=1, retry_delay=0.01)
    seen = []
    while (frame := reader.read()) is not None:
        seen.append(int(frame[0, 0, 0]))
        time.sleep(0.05)  # a slow pipeline: the camera runs ahead
    reader.close()
    assert seen == sorted(seen)  # never an older frame after a newer one
    assert seen[-1] == 60  # the last frame is not lost
    assert len(seen) < 40 and reader.dropped == 60 - len(seen)


def test_a_camera_that_stops_delivering_ends_the_reader_after_retries():
    source = CountingSource(3)
    reader = LatestFrameReader(source, retries=3, retry_delay=0.01)
    frames = [reader.read() for _ in range(5)]
    reader.close()
    assert frames[-1] is None
    assert source.closed


@pytest.mark.parametrize("suffix", [".mp4", ".avi"])
def test_recorder_writes_one_frame_per_frame_and_only_on_close(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    recorder = Recorder(path, fps=10)
    for i in range(7):
        recorder.write(np.full((120, 160, 3), i * 30, np.uint8))
        assert not path.exists()  # nothing half-written at the destination
    recorder.close()
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == 7
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left


def test_recorder_with_no_frames_leaves_nothing(tmp_path):
    recorder = Recorder(tmp_path / "empty.mp4", fps=10)
    recorder.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["out.mkv", "out", "no_such_folder/out.mp4"])
def test_record_path_is_checked(name, tmp_path):
    with pytest.raises(ValueError):
        check_record_path(str(tmp_path / name) if "/" not in name else name)


def test_the_live_loops_settings_reach_its_change_detector_and_tracker(classifier):
    from dataclasses import replace

    from mnist_live.config import ChangeSettings, PipelineSettings, TrackerSettings

    settings = replace(PipelineSettings(), change=ChangeSettings(reread_every=7),
                       tracker=TrackerSettings(pan_reach=2.0))
    steady = SteadyReader(DigitReader(classifier, settings))
    assert steady.change.reread_every == 7 and steady.change.settings is settings.change
    assert steady.tracker.settings is settings.tracker


def test_a_record_path_under_a_file_says_so(tmp_path):
    (tmp_path / "afile").write_text("")
    with pytest.raises(ValueError, match=r"afile' is a file, not a folder"):
        check_record_path(str(tmp_path / "afile" / "x.mp4"))


def count_frames(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    return count


def processed_frames(stderr: str) -> int:
    return int(re.search(r"Processed (\d+) frames?", stderr).group(1))


@pytest.mark.slow
@pytest.mark.parametrize(("stop", "code", "said"), [
    (signal.SIGINT, 130, "interrupted"),  # Ctrl+C
    (signal.SIGTERM, 143, "Stopped by SIGTERM"),  # kill, timeout, systemctl stop
    (signal.SIGHUP, 129, "Stopped by SIGHUP"),  # the terminal or SSH session closed
])
def test_ctrl_c_or_kill_ends_cleanly_and_closes_the_recording(tmp_path, stop, code, said):
    record = tmp_path / "run.mp4"
    # The script keeps a signal ignored when it starts (nohup: see the next test), and a
    # child inherits what is ignored: a test run under nohup would wait for it forever.
    process = subprocess.Popen(
        [sys.executable, LIVE, "--source", "synth", "--headless", "--json",
         "--record", str(record)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(stop, signal.SIG_DFL))
    for _ in range(5):  # let it process a few frames
        assert json.loads(process.stdout.readline())["frame"] >= 0
    process.send_signal(stop)
    _, err = process.communicate(timeout=30)
    assert process.returncode == code
    assert "Traceback" not in err and said in err
    assert count_frames(record) == processed_frames(err) >= 5
    assert [path.name for path in tmp_path.iterdir()] == ["run.mp4"]  # no temporary left


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP (Windows)")
def test_a_signal_ignored_before_the_loop_stays_ignored():
    # Under nohup SIGHUP is ignored: logging out must not stop a recording. The others
    # are taken over while the loop runs, ignored while it cleans up, then given back.
    before = {number: signal.getsignal(number) for number in StopOnSignal.SIGNALS}
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with StopOnSignal() as stop:
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            signal.raise_signal(signal.SIGHUP)
            assert not stop.requested
            signal.raise_signal(signal.SIGTERM)
            assert stop.signal == signal.SIGTERM
            with stop.cleaning_up():
                assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN  # until the end
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == before[signal.SIGTERM]
        with pytest.raises(SystemExit) as stopped:
            stop.raise_if_requested()
        assert stopped.value.code == 128 + signal.SIGTERM
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


# --- the window, on a virtual screen --------------------------------------------------

def needs_tool(tool: str, package: str) -> None:
    """CI installs the tool (.ci/run); elsewhere a test without it is skipped."""
    if shutil.which(tool) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing on CI (.ci/run installs the {package} package)")
        pytest.skip(f"{tool} is not installed (Debian: apt install {package})")


@contextlib.contextmanager
def xvfb(size: str):
    """A private Xvfb screen of `size` ("WxH"); yields its DISPLAY."""
    needs_tool("Xvfb", "xvfb")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        display = f":{pipe.readline().strip()}"
    try:
        yield display
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def virtual_display():
    with xvfb("800x600") as display:
        yield display


def screenshot(display: str, path) -> np.ndarray:
    """The whole screen, BGR. Taken by a separate Python that loads Pillow's X11 code
    only: this process has loaded OpenCV, whose wheel brings its own X11 libraries."""
    subprocess.run([sys.executable, "-c", "import sys; from PIL import ImageGrab; "
                    "ImageGrab.grab(xdisplay=sys.argv[1]).save(sys.argv[2])",
                    display, str(path)], check=True, timeout=30)
    return cv2.imread(str(path))


def colour_pixels(screen: np.ndarray, bgr) -> int:
    return int(np.all(np.abs(screen.astype(int) - np.array(bgr)) <= 12, axis=2).sum())


@pytest.mark.slow
def test_the_window_shows_boxes_digits_and_numbers(virtual_display, tmp_path):
    from mnist_live.draw import GREEN, ORANGE

    video = tmp_path / "page.avi"
    write_synth_video(video, 1000)
    record = tmp_path / "window.avi"
    env = {**os.environ, "DISPLAY": virtual_display}
    process = subprocess.Popen(
        [sys.executable, LIVE, "--source", str(video), "--record", str(record)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    screen, shot = None, None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
        shot = screenshot(virtual_display, tmp_path / "screen.png")
        if colour_pixels(shot, GREEN) > 200 and colour_pixels(shot, ORANGE) > 100:
            screen = shot
            break
    if shot is not None:
        cv2.imwrite(str(tmp_path / "last_screenshot.png"), shot)  # to look at if it fails
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert screen is not None, f"no boxes or labels seen on the screen; stderr: {err}"
    cv2.imwrite(str(tmp_path / "screen.png"), screen)
    assert process.returncode in (0, 130) and "Traceback" not in err
    # The status line (white text on black) is in the window too.
    assert colour_pixels(screen, (0, 0, 0)) > 500
    assert count_frames(record) == processed_frames(err)


def window_geometry(display: str) -> dict[str, int] | None:
    """The live window's place and size on the screen, and the largest size the window
    manager may give it (xwininfo, xprop); None while it is not there."""
    env = {**os.environ, "DISPLAY": display}
    info = subprocess.run(["xwininfo", "-name", "MNIST live detection"], env=env,
                          capture_output=True, text=True, timeout=10)
    if info.returncode != 0:
        return None
    found = dict(re.findall(r"(Absolute upper-left [XY]|Width|Height):\s+(-?\d+)",
                            info.stdout))
    hints = subprocess.run(["xprop", "-name", "MNIST live detection", "WM_NORMAL_HINTS"],
                           env=env, capture_output=True, text=True, timeout=10).stdout
    largest = re.search(r"maximum size: (\d+) by (\d+)", hints)
    return {"x": int(found["Absolute upper-left X"]), "y": int(found["Absolute upper-left Y"]),
            "width": int(found["Width"]), "height": int(found["Height"]),
            "max_width": int(largest.group(1)) if largest else 1 << 15,
            "max_height": int(largest.group(2)) if largest else 1 << 15}


@pytest.mark.slow
def test_the_window_fits_a_small_screen_and_can_be_resized(tmp_path, test_jpg):
    """A 2400x2000 photo on a 1280x800 screen: the window, trackbar included, fits the
    screen; the user may resize it; JSON boxes stay in the photo's own pixels."""
    needs_tool("xwininfo", "x11-utils")
    photo = tmp_path / "big.png"
    cv2.imwrite(str(photo), cv2.resize(cv2.imread(str(test_jpg)), (2400, 2000)))
    with xvfb("1280x800") as display:
        process = subprocess.Popen(
            [sys.executable, LIVE, "--source", str(photo), "--json"],
            env={**os.environ, "DISPLAY": display},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = process.stdout.readline()  # the window is open by now
        if not line:  # it stopped before its first reading: say why
            _, err = process.communicate(timeout=30)
            pytest.fail(f"the live script printed nothing (exit {process.returncode}); "
                        f"stderr: {err}")
        first = json.loads(line)
        geometry, settled = None, 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and settled < 3:  # the same size 3 times
            time.sleep(0.3)
            now = window_geometry(display)
            settled = settled + 1 if now is not None and now == geometry else 0
            geometry = now
        screenshot(display, tmp_path / "screen.png")  # to look at if it fails
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert geometry is not None, f"no window found; stderr: {err}"
    assert geometry["x"] >= 0 and geometry["y"] >= 0
    assert geometry["x"] + geometry["width"] <= 1280, geometry
    assert geometry["y"] + geometry["height"] <= 800, geometry
    assert geometry["width"] >= 600 and geometry["height"] >= 500, geometry  # not a stamp
    assert geometry["max_width"] > geometry["width"], geometry  # not a fixed size
    assert geometry["max_height"] > geometry["height"], geometry
    assert process.returncode in (0, 130) and "Traceback" not in err
    assert "Frames of 2400x2000 are shown at 768x640 to fit the 1280x800 screen" in err
    assert max(d["box"][0] + d["box"][2] for d in first["digits"]) > 1280  # source pixels


def test_the_window_scales_frames_down_only_to_fit(monkeypatch, classifier):
    import mnist_live.live as live
    from mnist_live.pipeline import DigitReader

    shown, resized = [], []
    monkeypatch.setattr(live.cv2, "namedWindow", lambda *a: None)
    monkeypatch.setattr(live.cv2, "createTrackbar", lambda *a: None)
    monkeypatch.setattr(live.cv2, "imshow", lambda name, image: shown.append(image.shape))
    monkeypatch.setattr(live.cv2, "waitKey", lambda delay: -1)
    monkeypatch.setattr(live.cv2, "resizeWindow", lambda name, w, h: resized.append((w, h)))
    monkeypatch.setattr(live.cv2, "getWindowImageRect", lambda name: (0, 0, 0, 0))
    window = live.Window(DigitReader(classifier), screen=(1280, 800))
    window.show(np.zeros((480, 640, 3), np.uint8))  # fits: shown as it is
    window.show(np.zeros((2000, 2400, 3), np.uint8))  # too large: scaled, shape kept
    window.show(np.zeros((2000, 2400, 3), np.uint8))
    assert shown == [(480, 640, 3), (640, 768, 3), (640, 768, 3)]
    assert resized == [(640, 480), (768, 640)]  # once per frame size
    window.show_help = True
    frame = np.full((2000, 2400, 3), 200, np.uint8)
    window.show(frame)
    assert (frame == 200).all()  # the help is drawn on the shown copy only


def test_the_screen_size_is_found_or_a_safe_default(monkeypatch):
    from mnist_live import config, screen

    assert screen.parse_xrandr(
        "Screen 0: minimum 8 x 8, current 3840 x 1080, maximum 32767 x 32767\n"
        "HDMI-1 connected 1920x1080+1920+0 (normal) 527mm x 296mm\n"
        "eDP-1 connected primary 1920x1080+0+0 (normal) 344mm x 193mm\n") == (1920, 1080)
    assert screen.parse_xrandr("Screen 0: minimum 1 x 1, current 1280 x 800, maximum "
                               "1280 x 800\n") == (1280, 800)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setattr(screen.sys, "platform", "linux")
    assert screen.screen_size() == config.FALLBACK_SCREEN
    assert screen.fit_within(640, 480, (1280, 800)) == (640, 480)
    assert screen.fit_within(2400, 2000, (1280, 800)) == (768, 640)


def test_a_camera_that_stops_mid_run_ends_cleanly_with_a_playable_recording(
        tmp_path, classifier):
    from mnist_live.errors import SourceError
    from mnist_live.live import LiveOptions, run_live
    from mnist_live.pipeline import DigitReader
    from mnist_live.synth import SynthCamera

    class FailingCamera(CountingSource):
        """A camera that delivers 8 frames of a page, then nothing (unplugged)."""

        def __init__(self):
            super().__init__(8)
            self.page = SynthCamera(320, 240)

        def read(self):
            frame = super().read()
            return None if frame is None else self.page.read()

    record = tmp_path / "unplugged.avi"
    with pytest.raises(SourceError, match="stopped delivering frames"):  # exit 1
        run_live(DigitReader(classifier), FailingCamera(),
                 LiveOptions(headless=True, record=record))
    assert 1 <= count_frames(record) <= 8
    assert [p.name for p in tmp_path.iterdir()] == ["unplugged.avi"]


def test_an_unreadable_video_is_one_clear_line(tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_text("not a video at all")
    result = subprocess.run([sys.executable, LIVE, "--source", str(fake), "--headless"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    # with FFmpeg's reason, e.g. "(the decoder says: moov atom not found)"
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"error: {fake}: cannot open as a video or stream")
    assert not any(line.startswith("[") for line in result.stderr.splitlines())  # FFmpeg's


def test_a_pan_of_most_of_a_digit_keeps_every_label():
    tracker = DigitTracker(min_confidence=0.7)
    boxes = {2: (100, 50, 30, 45), 4: (135, 50, 30, 45), 7: (170, 50, 30, 45)}
    for _ in range(4):
        tracker.update([detection(d, b) for d, b in boxes.items()])
    ids = {d.digit: d.track for d in tracker.update([detection(d, b) for d, b in boxes.items()])}
    for step in range(1, 6):  # the page moves 25 px a frame: most of a digit's width
        moved = [detection(d, (b[0] + 25 * step, b[1], b[2], b[3])) for d, b in boxes.items()]
        shown = tracker.update(moved)
        assert sorted(d.digit for d in shown) == [2, 4, 7], step
        assert {d.digit: d.track for d in shown} == ids


def test_a_camera_that_opens_but_delivers_nothing_is_an_error(classifier):
    from mnist_live.errors import SourceError
    from mnist_live.live import LiveOptions, run_live
    from mnist_live.pipeline import DigitReader

    source = CountingSource(0)
    source.description = "camera 0"
    with pytest.raises(SourceError, match="camera 0 delivered no frames"):
        run_live(DigitReader(classifier), source, LiveOptions(headless=True))
    assert source.closed


@pytest.mark.parametrize("text,kind", [
    ("synth", "SynthSource"),
    ("SYNTH", "SynthSource"),
])
def test_open_source_knows_each_kind(text, kind):
    from mnist_live.capture import open_source

    source = open_source(text, 320, 240)
    assert type(source).__name__ == kind
    assert source.read().shape == (240, 320, 3)
    source.close()


def test_open_source_images_videos_and_bad_names(tmp_path, test_jpg):
    from mnist_live.capture import ImageSource, open_source
    from mnist_live.errors import SourceError

    assert isinstance(open_source(str(test_jpg)), ImageSource)
    video = tmp_path / "clip.avi"
    write_synth_video(video, 3)
    clip = open_source(str(video))
    assert not clip.live and clip.read().shape == (240, 320, 3)
    clip.close()
    with pytest.raises(SourceError, match="no such file"):
        open_source("²")  # a superscript two is not a camera index
    with pytest.raises(SourceError, match="Picamera2"):
        open_source("picamera")  # not installed here: a clear message, no traceback


def test_window_keys_and_trackbar(monkeypatch, classifier, tmp_path):
    import mnist_live.live as live
    from mnist_live.pipeline import DigitReader

    calls = {"created": None}
    monkeypatch.setattr(live.cv2, "namedWindow", lambda *a: None)
    monkeypatch.setattr(live.cv2, "createTrackbar",
                        lambda name, win, value, top, callback: calls.update(
                            created=(value, top), callback=callback))
    monkeypatch.setattr(live.cv2, "getTrackbarPos", lambda name, win: 120)
    monkeypatch.setattr(live.cv2, "getWindowProperty", lambda *a: 1.0)
    reader = DigitReader(classifier)
    window = live.Window(reader)
    assert calls["created"] == (160, 255)  # the reference's hint, until the user moves it
    frame = np.zeros((40, 40, 3), np.uint8)

    def press(key):
        monkeypatch.setattr(live.cv2, "waitKey", lambda delay: key)
        return window.handle_keys(frame, tmp_path)

    assert press(ord("t")) and reader.settings.threshold == "adaptive"
    assert press(ord("t")) and reader.settings.threshold == 120  # the trackbar's level
    assert press(ord("t")) and reader.settings.threshold == "otsu"
    calls["callback"](90)  # the user drags the trackbar
    assert reader.settings.threshold == 90
    assert press(ord("b")) and window.show_binary
    assert press(ord("h")) and window.show_help
    assert press(ord("h")) and not window.show_help
    assert press(ord(" ")) and len(list(tmp_path.glob("snapshot_*.png"))) == 1
    assert not press(ord("q")) and not press(27)


def test_a_camera_that_stops_delivering_is_an_error_and_a_video_that_ends_is_not(classifier):
    # A camera or stream has no end of its own: a script watching the exit status must
    # see it unplugged. A video file's end is the end of the job.
    from mnist_live.errors import SourceError
    from mnist_live.live import LiveOptions, run_live
    from mnist_live.pipeline import DigitReader

    camera = CountingSource(3)
    with pytest.raises(SourceError, match="fake camera stopped delivering frames after 3"):
        run_live(DigitReader(classifier), camera, LiveOptions(headless=True))
    assert camera.closed
    video = CountingSource(3)
    video.live = False
    assert run_live(DigitReader(classifier), video, LiveOptions(headless=True)) == 0
