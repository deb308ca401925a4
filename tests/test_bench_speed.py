"""The speed, soak and profile benchmarks' helpers: the video they read, the table's
arithmetic, the looping source, and one tiny end-to-end run of `speed`."""

from __future__ import annotations

import argparse
import hashlib
import json

import cv2
import pytest

from mnist_live import config
from mnist_live.bench import profile, soak, speed
from mnist_live.bench.speed import Summary


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory, data_dir):
    folder = tmp_path_factory.mktemp("video")
    return speed.make_video(speed.video_path(folder, 8, 0), 8)


def read_all(path):
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def test_video_has_distinct_640x480_frames(tiny_video):
    frames = read_all(tiny_video)
    assert len(frames) == 8
    assert all(frame.shape == (480, 640, 3) for frame in frames)
    hashes = {hashlib.sha1(frame.tobytes()).hexdigest() for frame in frames}
    assert len(hashes) == len(frames)  # no two frames identical


def test_video_is_made_once_and_reused(tiny_video):
    stamp = tiny_video.stat().st_mtime_ns
    assert speed.make_video(tiny_video, 8) == tiny_video
    assert tiny_video.stat().st_mtime_ns == stamp


def test_video_pages_hold_about_ten_digits(data_dir):
    counts = [digits for _, digits in speed.render_frames(speed.FRAMES_PER_SCENE + 1)]
    assert len(counts) == speed.FRAMES_PER_SCENE + 1
    assert all(6 <= n <= 14 for n in counts)  # the "clean" category's range
    assert counts[-1] != counts[0]  # a new page after FRAMES_PER_SCENE frames


def test_summary_is_median_min_max():
    assert Summary.of([3.0, 1.0, 2.0, 10.0]) == Summary(2.5, 1.0, 10.0)
    assert Summary.of([4.0]) == Summary(4.0, 4.0, 4.0)


def test_the_median_decoding_time_is_subtracted():
    assert speed.net_times([5.0, 6.0, 9.0], [1.0, 7.0, 2.0]) == [3.0, 4.0, 7.0]
    assert speed.speedups([6.0, 9.0], [2.0, 1.5]) == [3.0, 6.0]
    with pytest.raises(ValueError):
        speed.speedups([1.0, 2.0], [1.0])


def fake_results():
    def run(ms, digits=10, first=None, fresh=None):
        return {"ms_per_frame": ms, "frames": 100, "digits": digits * 100,
                **({"first_frame_s": first} if first is not None else {}),
                **({"fresh": fresh} if fresh is not None else {})}

    return {
        "decode": [run(1.0, 0), run(2.0, 0), run(1.0, 0)],
        "reference": [run(7.0), run(8.0), run(10.0)],
        "ours": [run(3.0, 12, 0.4, 5), run(4.0, 12, 0.5, 5), run(2.0, 12, 1.5, 8)],
        "every_frame": [run(15.0, 12, 0.4, 100), run(15.0, 12, 0.5, 100),
                        run(15.0, 12, 0.5, 100)],
    }


def test_summarize_subtracts_decoding_and_takes_medians():
    summary = speed.summarize(fake_results())
    assert summary["raw"]["decode"] == Summary(1.0, 1.0, 2.0)
    assert summary["net"]["reference"] == Summary(7.0, 6.0, 9.0)  # 6, 7, 9
    assert summary["net"]["ours"] == Summary(2.0, 1.0, 3.0)  # 2, 3, 1
    assert summary["net"]["every_frame"] == Summary(14.0, 14.0, 14.0)
    assert summary["speedup"]["ours"] == pytest.approx(3.5)  # median 7 / median 2
    assert summary["speedup"]["every_frame"] == pytest.approx(0.5)  # 7 / 14
    assert summary["speedup_rounds"]["ours"] == Summary(3.0, 7.0 / 3.0, 9.0)  # 3, 7/3, 9
    assert summary["fresh_share"] == {"ours": pytest.approx(0.06), "every_frame": 1.0}
    assert summary["first_frame_s"] == Summary(0.5, 0.4, 1.5)
    assert summary["digits_per_frame"] == {"reference": 10.0, "ours": 12.0,
                                           "every_frame": 12.0}


def test_table_says_whether_the_targets_are_met():
    table = speed.format_table(speed.summarize(fake_results()))
    assert "(b)/(c), net: 3.50x" in table and "frames read in full: 6%" in table
    assert "(b)/(d), net: 0.50x" in table and "frames read in full: 100%" in table
    assert "target >= 3x: met" in table
    # --every-frame (d) is 0.5x the reference here: its target is another comparison.
    every_frame = next(line for line in table.splitlines() if "(b)/(d)" in line)
    assert "NOT met" not in every_frame and "no slower than the release before" in every_frame
    assert "target <= 1.0 s: met" in table
    slow = fake_results()
    slow["ours"] = [{**run, "ms_per_frame": run["ms_per_frame"] + 3} for run in slow["ours"]]
    assert "3x: met" not in speed.format_table(speed.summarize(slow))


def test_decode_worker_times_frames_after_the_first(tiny_video):
    result = speed.timed_run("decode", tiny_video, threads=1)
    assert result["frames"] == 8
    assert result["digits"] == 0
    assert 0 < result["ms_per_frame"] < 1000


def test_floor_worker_reads_the_reference_boxes_with_our_model(tiny_video):
    result = speed.timed_run("floor", tiny_video, threads=1)
    reference = speed.timed_run("reference", tiny_video, threads=1)
    assert result["frames"] == reference["frames"] == 8
    assert result["digits"] > 0 and 0 < result["ms_per_frame"] < 1000


def test_looping_video_starts_again_at_its_end(tiny_video):
    seen = []
    source = soak.LoopingVideo(tiny_video, on_frame=seen.append)
    frames = [source.read() for _ in range(20)]
    source.close()
    assert all(frame is not None and frame.shape == (480, 640, 3) for frame in frames)
    assert seen == list(range(20))
    assert source.loops == 2
    assert (frames[0] == frames[8]).all()  # the same video again


def test_soak_summary_judges_only_after_warm_up():
    samples = [(0, 100.0), (100, 130.0), (200, 131.0), (300, 131.5), (400, 133.0)]
    result = soak.summarize(samples, warmup=200)
    assert result.start_mb == 131.0
    assert result.end_mb == 133.0
    assert result.growth_mb == pytest.approx(2.0)
    assert result.max_mb == 133.0
    assert result.slope_mb_per_1000 == pytest.approx(10.0)  # 2 MB over 200 frames


def test_profile_stage_rows_sum_known_functions():
    fake = argparse.Namespace(stats={  # pstats: (file, line, name) -> (cc, calls, tt, ct, _)
            ("/x/mnist_live/binarize.py", 10, "binarize"): (2, 2, 0.001, 0.004, {}),
            ("/x/mnist_live/normalize.py", 5, "mnist_crop"): (20, 20, 0.01, 0.02, {}),
            ("~", 0, "<built-in method x._wrapper.Invoke>"): (2, 2, 0.003, 0.003, {}),
            ("/x/other.py", 1, "binarize"): (1, 1, 5.0, 5.0, {}),
    })

    rows = {label.strip(): (ms, calls) for label, ms, calls in
            profile.stage_times(fake, frames=2)}
    assert rows["binarize"] == (pytest.approx(2.0), 1)
    assert rows["mnist_crop (all crops)"] == (pytest.approx(10.0), 10)
    assert rows["interpreter invoke"] == (pytest.approx(1.5), 1)
    assert "find_blobs" not in rows  # no such call in the fake profile


@pytest.mark.slow
def test_speed_command_end_to_end(tiny_video, tmp_path, capsys):
    args = argparse.Namespace(
        worker=None, video=None, frames=8, repeats=1, model=config.DEFAULT_MODEL_PATH,
        threads=1, video_dir=tiny_video.parent, seed=0, json=tmp_path / "speed.json",
    )
    assert speed.run(args) == 0
    table = capsys.readouterr().out
    for label in speed.ROWS.values():
        assert label in table
    assert "launch to first JSON frame" in table
    report = json.loads(args.json.read_text())
    assert {len(runs) for runs in report["runs"].values()} == {1}
    ours = report["runs"]["ours"][0]
    assert ours["frames"] == 8 and ours["digits"] > 0 and ours["first_frame_s"] > 0
    assert report["runs"]["every_frame"][0]["fresh"] == 8
