"""The three scripts as users run them: test.jpg end to end, the JSON contract, --help,
the live loop on an image, a video file and the synthetic camera, and clean errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import PROJECT_ROOT, iou, run_script

from mnist_live.synth import SynthCamera

STILL = "opencv_preprocessing_test.py"
LIVE = "mnist_tflite_live_detection.py"


def assert_reads_test_jpg(reading: dict, truth: list[dict]) -> None:
    """Exactly the ten digits 0-9, each at its place, and nothing else."""
    digits = reading["digits"]
    assert len(digits) == 10, digits
    unmatched = list(truth)
    for found in digits:
        match = next((t for t in unmatched if iou(found["box"], t["box"]) >= 0.4), None)
        assert match is not None, f"{found} is not at any digit's place"
        assert found["digit"] == match["digit"], (found, match)
        unmatched.remove(match)
    assert not unmatched


def check_digit_json(digit: dict, width: int, height: int, live: bool = False) -> None:
    assert set(digit) == ({"digit", "confidence", "box", "track"} if live
                          else {"digit", "confidence", "box"})
    if live:
        assert isinstance(digit["track"], int) and digit["track"] > 0
    assert isinstance(digit["digit"], int) and 0 <= digit["digit"] <= 9
    assert isinstance(digit["confidence"], float) and 0.0 <= digit["confidence"] <= 1.0
    x, y, w, h = digit["box"]
    assert all(isinstance(v, int) for v in digit["box"])
    assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= width and y + h <= height


def check_number_json(number: dict) -> None:
    assert set(number) == {"text", "box"}
    assert re.fullmatch(r"[0-9]+", number["text"])
    assert len(number["box"]) == 4


@pytest.mark.slow
def test_still_script_reads_test_jpg(test_jpg, test_jpg_truth, tmp_path):
    result = run_script(STILL, str(test_jpg), "--json", "--no-show",
                        "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1  # stdout holds only the JSON object
    reading = json.loads(lines[0])
    assert set(reading) == {"image", "width", "height", "digits", "numbers"}
    assert (reading["image"], reading["width"], reading["height"]) == (str(test_jpg), 640, 480)
    assert_reads_test_jpg(reading, test_jpg_truth)
    for digit in reading["digits"]:
        check_digit_json(digit, 640, 480)
    for number in reading["numbers"]:
        check_number_json(number)
    # Every step was saved as a picture, and the human lines went to stderr.
    saved = sorted(p.name for p in (tmp_path / "test").iterdir())
    assert saved == ["1_gray.png", "2_ink.png", "3_binary.png", "4_cleaned.png",
                     "5_candidates.png", "6_crops.png", "7_result.png"]
    height, width, _ = cv2.imread(str(tmp_path / "test" / "7_result.png")).shape
    assert width == 640 and 480 < height < 600  # the photo under its caption
    assert re.search(r"Detected digit: \[7\] at x=\d+, y=\d+, w=\d+, h=\d+ \(>?\d+%\), "
                     r"crop \d+", result.stderr)


def test_still_script_prints_detection_lines_without_json(test_jpg, tmp_path):
    result = run_script(STILL, str(test_jpg), "--no-show", "--no-save",
                        "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("Detected digit")]
    assert len(lines) == 10
    assert not list(tmp_path.iterdir())


def test_still_script_reports_images_in_order_and_goes_on_after_a_bad_one(
        test_jpg, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    missing = tmp_path / "missing.png"
    result = run_script(STILL, str(test_jpg), str(bad), str(missing), str(test_jpg),
                        "--json", "--no-show", "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 1
    readings = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["image"] for r in readings] == [str(test_jpg)] * 2
    assert f"error: {bad}: not an image" in result.stderr
    assert f"error: {missing}: no such file" in result.stderr
    assert "Traceback" not in result.stderr
    # Two readings of images with the same name go to two folders.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["test", "test-2"]


@pytest.mark.slow
def test_live_script_reads_test_jpg(test_jpg, test_jpg_truth):
    result = run_script(LIVE, "--source", str(test_jpg), "--headless", "--json",
                        "--max-frames", "3")
    assert result.returncode == 0, result.stderr
    frames = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [f["frame"] for f in frames] == [0, 1, 2]
    for frame in frames:
        assert set(frame) == {"frame", "time", "fresh", "digits", "numbers"}
        assert isinstance(frame["time"], float) and frame["time"] >= 0
        assert_reads_test_jpg(frame, test_jpg_truth)
        for digit in frame["digits"]:
            check_digit_json(digit, 640, 480, live=True)
    # A still page: every digit keeps its track from frame to frame.
    tracks = [sorted(d["track"] for d in f["digits"]) for f in frames]
    assert tracks[0] == tracks[1] == tracks[2]
    assert frames[0]["time"] <= frames[1]["time"] <= frames[2]["time"]
    # The same picture again: read in full once, then that read stands.
    assert [f["fresh"] for f in frames] == [True, False, False]


def write_synth_video(path, frames: int) -> list[list]:
    """A short video of the synthetic page; returns each frame's true digits."""
    camera = SynthCamera(320, 240, seed=3)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    truths = []
    for index in range(frames):
        truths.append(camera.truth(index))
        writer.write(camera.read())
    writer.release()
    return truths


@pytest.mark.slow
def test_live_script_reads_every_frame_of_a_video(tmp_path):
    video = tmp_path / "page.avi"
    truths = write_synth_video(video, 12)
    result = run_script(LIVE, "--source", str(video), "--headless", "--json")
    assert result.returncode == 0, result.stderr
    frames = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [f["frame"] for f in frames] == list(range(12))  # every frame, in order
    for frame, truth in zip(frames, truths, strict=True):
        for digit in frame["digits"]:
            check_digit_json(digit, 320, 240, live=True)
        right = sum(
            any(iou(d["box"], t.box) >= 0.4 and d["digit"] == t.digit for t in truth)
            for d in frame["digits"]
        )
        assert right >= 0.8 * len(truth)


@pytest.mark.slow
def test_live_script_runs_the_synthetic_camera():
    result = run_script(LIVE, "--source", "synth", "--headless", "--json",
                        "--max-frames", "5", "--width", "480", "--height", "360")
    assert result.returncode == 0, result.stderr
    frames = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert len(frames) == 5
    truth = SynthCamera(480, 360).page
    assert any(n["text"] in truth.numbers and len(n["text"]) > 1
               for f in frames for n in f["numbers"])
    assert all(len(f["digits"]) >= 0.8 * len(truth.digits) for f in frames)


def test_live_script_without_a_camera_says_so():
    result = run_script(LIVE, "--source", "7", "--headless")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: camera 7 cannot be opened")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args,message", [
    (["--source", "no_such_video.mp4"], "no such file"),
    (["--model", "no_such_model.tflite"], "model file not found"),
])
def test_live_script_bad_inputs_give_one_line(args, message):
    result = run_script(LIVE, "--headless", *args)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_stream_is_one_line_with_ffmpegs_reason_in_it():
    # Port 9 (discard) refuses at once. FFmpeg's own line ("[tcp @ 0x...] Connection to
    # ... failed") used to come above ours; its reason is now in ours.
    result = run_script(LIVE, "--headless", "--source", "rtsp://127.0.0.1:9/x")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: rtsp://127.0.0.1:9/x: cannot open as a video or stream "
                           "(the decoder says: ")
    assert "refused" in last.lower()
    assert "[tcp @" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full (not Linux)")
@pytest.mark.parametrize("script,args", [(STILL, ["--no-show", "--no-save", "--json"]),
                                         (LIVE, ["--headless", "--json", "--source"])])
def test_output_to_a_full_disk_is_one_line_and_exit_1(script, args, test_jpg):
    with open("/dev/full", "w") as full:  # every write fails: "No space left on device"
        result = subprocess.run([sys.executable, str(PROJECT_ROOT / script), *args,
                                 str(test_jpg)], stdout=full, stderr=subprocess.PIPE,
                                text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: cannot write the output: No space left on device")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("script", [STILL, LIVE])
@pytest.mark.parametrize("option", ["--threshold=300", "--min-confidence=2",
                                    "--border=-0.1", "--threads=0", "--border=nan",
                                    "--min-confidence=nan"])
def test_out_of_range_options_are_refused_by_argparse(script, option, test_jpg):
    args = [str(test_jpg)] if script == STILL else []
    result = run_script(script, *args, option)
    assert result.returncode == 2
    assert "error: argument" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("script,args,message", [
    (STILL, [""], "argument IMAGE: is empty"),
    (STILL, ["--out-dir", "", "{image}"], "argument --out-dir: is empty"),
    (STILL, ["--model", "{folder}", "{image}"], "is a folder, not a .tflite model"),
    (LIVE, ["--snapshot-dir", ""], "argument --snapshot-dir: is empty"),
    (LIVE, ["--record", "/proc/x.mp4"], "argument --record: cannot write in /proc"),
])
def test_empty_paths_and_folders_are_bad_options(script, args, message, test_jpg,
                                                 tmp_path):
    """An empty path once meant the current folder (pictures written there, a model
    named '.'), a folder given as the model was 'not found'."""
    args = [a.format(image=test_jpg, folder=tmp_path) for a in args]
    result = run_script(script, *args, *(["--headless"] if script == LIVE else []))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_an_empty_source_is_a_bad_option():
    """--source '' once tried to open the current folder as a video."""
    result = run_script(LIVE, "--source", "", "--headless")
    assert result.returncode == 2
    assert "error: argument --source: is empty" in result.stderr


def help_entries(text: str) -> dict[str, str]:
    """argparse --help output -> {option: its help text, without the option's names}."""
    entries: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if line.startswith("  -"):
            names, _, rest = stripped.partition("  ")
            current = [n.split()[0] for n in names.split(", ")][-1]
            entries[current] = rest.strip()
        elif current and line.startswith(" " * 6) and stripped:
            entries[current] += " " + stripped
        else:
            current = None
    return entries


@pytest.mark.parametrize("script,options", [
    (STILL, ["--out-dir", "--no-save", "--no-show", "--json", "--threshold",
             "--min-confidence", "--border", "--model", "--runtime", "--threads",
             "--verbose", "--quiet"]),
    (LIVE, ["--source", "--width", "--height", "--max-frames", "--headless", "--json",
            "--record", "--serve", "--no-tracking", "--snapshot-dir", "--threshold",
            "--min-confidence", "--border", "--model", "--runtime", "--threads", "--verbose",
            "--quiet"]),
])
def test_help_explains_every_option(script, options):
    result = run_script(script, "--help")
    assert result.returncode == 0
    entries = help_entries(result.stdout)
    for option in options:
        assert option in entries, option
        assert len(entries[option].split()) >= 4, (option, entries[option])
    assert "otsu" in entries["--threshold"] and "adaptive" in entries["--threshold"]


def test_scripts_find_the_bundled_model_from_any_folder(tmp_path, test_jpg):
    # run_script runs from tests/, not the project root.
    result = run_script(STILL, str(test_jpg), "--no-show", "--no-save", "-v")
    assert result.returncode == 0
    assert "mnist.tflite" in result.stderr


def test_no_display_means_no_window_and_no_crash(test_jpg, tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = run_script(STILL, str(test_jpg), "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "No display available" in result.stderr
    assert np.array(cv2.imread(str(tmp_path / "test" / "7_result.png"))).size > 0


@pytest.mark.parametrize("model,message", [
    ("wrong_input.tflite", "expected an input of one 28x28 gray image"),
    ("wrong_output.tflite", "expected an output of 10 digit classes"),
])
def test_a_model_from_another_project_is_refused_in_one_line(model, message, test_jpg):
    from conftest import TEST_MODELS

    result = run_script(STILL, str(test_jpg), "--no-show", "--no-save",
                        "--model", str(TEST_MODELS / model))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and message in last
    assert "Traceback" not in result.stderr


def test_live_json_without_tracking_has_no_track_ids(test_jpg):
    result = run_script(LIVE, "--source", str(test_jpg), "--headless", "--json",
                        "--max-frames", "2", "--no-tracking")
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        digits = json.loads(line)["digits"]
        assert len(digits) == 10 and all(d["track"] is None for d in digits)


def test_an_out_dir_that_is_a_file_is_one_line(test_jpg, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    result = run_script(STILL, str(test_jpg), "--no-show", "--out-dir", str(blocker))
    assert result.returncode == 1
    assert "error: cannot write" in result.stderr and "Traceback" not in result.stderr


def test_a_closed_pipe_ends_quietly(test_jpg):
    script = PROJECT_ROOT / STILL
    result = subprocess.run(
        f"{sys.executable} {script} {' '.join([str(test_jpg)] * 60)} --no-show --no-save "
        "| head -1",
        shell=True, capture_output=True, text=True, timeout=60)
    assert result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_an_images_step_pictures_are_saved_all_or_none(tmp_path, monkeypatch):
    import opencv_preprocessing_test as still
    from mnist_live.errors import UserError

    pictures = {f"{k}_step": np.zeros((8, 8), np.uint8) for k in range(4)}
    folder = tmp_path / "photo"
    written = []
    imwrite = cv2.imwrite

    def fails_on_the_third(path, picture):  # a disk that fills up on the way
        written.append(path)
        return len(written) < 3 and imwrite(path, picture)

    monkeypatch.setattr(still.cv2, "imwrite", fails_on_the_third)
    with pytest.raises(UserError, match="cannot write"):
        still.save_pictures(pictures, folder)
    assert len(written) == 3 and not folder.exists()  # nor the folder it made
    monkeypatch.setattr(still.cv2, "imwrite", imwrite)
    still.save_pictures(pictures, folder)
    assert sorted(path.name for path in folder.iterdir()) == [f"{k}_step.png" for k in range(4)]


def test_verbose_lines_tell_refused_from_unsure_from_doubted():
    """-v lists every other candidate as 5_candidates labels it: a crop the model gave
    every digit nothing is refused, not "unsure at 0%"."""
    import opencv_preprocessing_test as still
    from mnist_live.pipeline import DigitDetection

    def line(probabilities, doubt=""):
        p = np.asarray(probabilities, np.float32)
        return still.unsure_line(DigitDetection(int(p.argmax()), float(p.max()), (1, 2, 3, 4),
                                                p, doubt), 7)

    assert line(np.zeros(10)) == "Not a digit (refused) at x=1, y=2, w=3, h=4, crop 7"
    unsure = np.eye(10)[6] * 0.4
    assert line(unsure).startswith("Not a digit (unsure: [6] 40")
    assert line(unsure, "a letter in a word").startswith("Doubted (a letter in a word: [6]")
    # A doubted reading says how sure it was before the doubt, not only what was left.
    doubted = still.unsure_line(DigitDetection(1, 0.0, (1, 2, 3, 4), np.zeros(10, np.float32),
                                               "a 1, as likely a bar of texture", 0.97), 8, 1 / 256)
    assert doubted.startswith("Doubted (a 1, as likely a bar of texture: [1] 97% -> 0%)")
