"""The benchmark commands run end to end and measure what they claim."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from mnist_live import atomic
from mnist_live.bench import sets
from mnist_live.bench.__main__ import COMMANDS, main
from mnist_live.bench.scale import SIZES, heights_for, sample_digits
from mnist_live.bench.steady import Stability, film_page, shown_label
from mnist_live.errors import UserError
from mnist_live.live import SteadyReader
from mnist_live.pipeline import DigitReader
from mnist_live.scenes import make_scene, mnist_test_digits, render_video_frames
from mnist_live.tracking import TrackedDigit


@pytest.mark.parametrize("command", [None, *sorted(COMMANDS)])
def test_every_command_explains_itself(command, capsys):
    """--help prints and exits 0, the list of commands too (a "%" in a command's HELP
    once made argparse crash there only)."""
    with pytest.raises(SystemExit) as done:
        main([command, "--help"] if command else ["--help"])
    assert done.value.code == 0
    assert "usage:" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["read", "--json", "{blocked}/report.json"],
                                  ["scenes", "--out", "{blocked}/scenes"],
                                  ["read", "--json", "{folder}"],
                                  ["read", "--threads", "0"], ["steady", "--pan", "nan"],
                                  ["crops", "--out", "{folder}/sheet.txt"],
                                  ["crops", "--out", "{folder}/.png"],
                                  ["read", "--categories", " , "],
                                  ["read", "--categories", "clean,bogus"],
                                  ["scenes", "--categories", "x", "--out", "{folder}/s"]])
def test_bad_options_and_unwritable_outputs_are_refused_before_any_work(args, tmp_path,
                                                                        capsys):
    blocked = tmp_path / "a file"  # a file where a folder should be: no one can write there
    blocked.write_text("")
    args = [arg.format(blocked=blocked, folder=tmp_path) for arg in args]
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 2
    assert f"error: argument {args[1]}" in capsys.readouterr().err


def test_checking_an_output_makes_nothing_before_the_options_pass(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["read", "--json", str(tmp_path / "new" / "dir" / "r.json"), "--threads", "0"])
    assert "--threads" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_a_full_disk_under_a_report_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(UserError, match=r"cannot write .*r\.json: No space left on device"):
        atomic.write_text(tmp_path / "r.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_data_folder_is_named_with_the_setting_that_moves_it(tmp_path,
                                                                       monkeypatch, capsys):
    monkeypatch.setenv("MNIST_LIVE_DATA", str(tmp_path / "nowhere"))
    assert main(["read", "--no-reference", "--only", "photos"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no data folder at" in err and "set MNIST_LIVE_DATA" in err
    # A file missing elsewhere is no matter of the data folder.
    assert main(["steady", "--model", str(tmp_path / "nowhere.tflite")]) == 1
    assert "MNIST_LIVE_DATA" not in capsys.readouterr().err


def test_steady_prints_both_pipelines_and_the_goals(capsys):
    assert main(["steady", "--pages", "1", "--frames", "6"]) == 0
    out = capsys.readouterr().out
    for row in ("live view (tracked)", "live, --every-frame", "raw per frame", "goal"):
        assert row in out
    for column in ("right", "changes", "numbers", "ms/frame"):
        assert column in out


def test_shown_label_takes_the_best_overlap():
    shown = [TrackedDigit(3, 0.9, (0, 0, 10, 10), 1), TrackedDigit(8, 0.9, (2, 0, 10, 10), 2)]
    assert shown_label((2, 0, 10, 10), shown) == 8
    assert shown_label((50, 50, 10, 10), shown) is None


def test_a_perfect_reader_scores_everything_right():
    page, frames, tally = make_scene("clean", 5), 5, Stability()
    truth = iter(render_video_frames(page, frames, 0))

    def read(frame):  # an oracle: reads exactly what the filmed page holds
        video_frame = next(truth)
        digits = [TrackedDigit(d.digit, 1.0, d.box, k) for k, d in enumerate(video_frame.digits)]
        return digits, video_frame.numbers

    film_page(read, page, frames, 0, tally)
    row = tally.row()
    assert row["right"] == 1.0 and row["changes"] == 0.0 and row["numbers"] == 1.0


def test_steady_reader_holds_labels_on_a_filmed_page(classifier):
    page = make_scene("clean", 1)
    steady, tally = SteadyReader(DigitReader(classifier)), Stability()

    def read(frame):
        live = steady.read(frame)
        return live.digits, live.numbers

    film_page(read, page, 20, 0, tally)
    assert tally.row()["changes"] <= 0.01


def test_crops_sheet_is_written(tmp_path):
    out = tmp_path / "sheet.png"
    assert main(["crops", "--out", str(out), "--rows", "2"]) == 0
    sheet = cv2.imread(str(out))
    assert sheet is not None and sheet.shape[1] == 3 * 112


def test_read_counts_every_report_on_the_negatives_as_false(tmp_path, capsys):
    out = tmp_path / "read.json"
    assert main(["read", "--only", "negatives", "--only", "equations",
                 "--json", str(out)]) == 0
    table = capsys.readouterr().out
    for row in ("negatives ", sets.SKIMAGE_GROUP, "equations", "stray"):
        assert row in table
    rows = json.loads(out.read_text())["rows"]
    assert rows["negatives"]["ours"]["images"] == 23
    assert rows[sets.SKIMAGE_GROUP]["ours"]["images"] == len(sets.SKIMAGE_NEGATIVES)
    for reader in ("ours", "reference"):
        for row in ("negatives", sets.SKIMAGE_GROUP):  # no digits: every report is stray
            counts = rows[row][reader]
            assert counts["true"] == 0 and counts["stray"] == counts["reported"]
            assert counts["stray_per_image"] == round(counts["stray"] / counts["images"], 4)
        equations = rows["equations"][reader]
        assert equations["images"] == 8 and equations["true"] == 47
        # A stray report reads nothing.
        assert equations["stray"] <= equations["reported"] - equations["read"]


def test_read_compares_with_another_release_read_in_its_own_process(tmp_path, capsys):
    # This checkout as the "release": both columns must agree image for image.
    from pathlib import Path

    import mnist_live

    root = Path(mnist_live.__file__).parents[1]
    out = tmp_path / "read.json"
    assert main(["read", "--no-reference", "--only", "testjpg", "--only", "equations",
                 "--release", str(root), "--json", str(out)]) == 0
    assert "RELEASE" in capsys.readouterr().out
    for image in json.loads(out.read_text())["images"]:
        assert image["ours"] == image["release"]
    assert main(["read", "--only", "testjpg", "--release", str(tmp_path)]) == 1


def test_skimage_samples_come_as_bgr():
    astronaut = sets.skimage_photo("astronaut")  # an orange suit: red over blue
    assert astronaut.dtype == np.uint8 and astronaut.shape == (512, 512, 3)
    suit = astronaut[380:480, 60:120].reshape(-1, 3).mean(axis=0)
    assert suit[2] > suit[0] + 50
    horse = sets.skimage_photo("horse")  # a black silhouette on white
    assert horse.shape[2] == 3 and set(np.unique(horse)) == {0, 255}


def test_scale_sweep_prints_a_row_per_size_and_a_column_per_frame_size(tmp_path, capsys):
    out = tmp_path / "scale.json"
    assert main(["scale", "--digits", "2", "--sizes", "30,60,500", "--resolutions",
                 "320x240,400x300", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    rows = [line.split("|")[0].strip() for line in table.splitlines() if " px |" in line]
    # 500 px does not fit either frame; each ends at 90% of its height.
    assert rows == ["30 px", "60 px", "216 px", "270 px"]
    assert "320x240" in table and "400x300" in table and "ours" in table and "ref" in table
    cells = json.loads(out.read_text())["cells"]
    assert {(c["size"], c["height"]) for c in cells} == {
        ("320x240", 30), ("320x240", 60), ("320x240", 216),
        ("400x300", 30), ("400x300", 60), ("400x300", 270)}
    assert all(c["frames"] == 2 and 0 <= c["right_alone"] <= 2 for c in cells)
    assert len({c["reader"] for c in cells}) == 2


def test_scale_sweep_draws_the_same_balanced_digits_at_every_size():
    _, labels = mnist_test_digits()
    indices = sample_digits(20, seed=0)
    assert [labels[i] for i in indices] == [k % 10 for k in range(20)]
    assert sample_digits(20, seed=0) == indices != sample_digits(20, seed=1)
    assert heights_for(480, SIZES) == [18, 30, 50, 80, 120, 180, 260, 400, 432]


def test_film_prints_a_row_per_clip_and_the_goals(capsys):
    assert main(["film", "--pages", "photo_1", "--backgrounds", "brick,grass",
                 "--frames", "3"]) == 0
    table = capsys.readouterr().out
    for row in ("photo_1 on brick", "photo_1 on grass", "all", "goal"):
        assert row in table
    for column in ("false/fr", "recall", "whole", "OURS", "REFERENCE"):
        assert column in table
    assert "05221859" in table  # the page's number, as the truth groups it
