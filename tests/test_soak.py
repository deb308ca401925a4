"""Issue 7's soak, short: the live loop's memory stays flat over 1,500 frames.

`python -m mnist_live.bench soak` runs the full 10,000 frames; this runs the same loop
(run_live with tracking, numbers and JSON lines) over a short looped video, so a leak
of a few kilobytes a frame shows as megabytes. Behaviour, not timing.
"""

from __future__ import annotations

import pytest

from mnist_live.bench import soak, speed
from mnist_live.pipeline import DigitReader

FRAMES = 1500
WARMUP = 300
LIMIT_MB = 10.0


@pytest.mark.slow
def test_live_loop_memory_stays_flat(classifier, data_dir, tmp_path):
    video = speed.make_video(speed.video_path(tmp_path, 50, 0), 50)
    result = soak.soak(DigitReader(classifier), video, FRAMES, every=50, warmup=WARMUP,
                       progress=False)
    assert result.samples[-1][0] == FRAMES
    trend = (f"RSS {result.start_mb:.1f} MB after warm-up, {result.end_mb:.1f} MB at the "
             f"end, max {result.max_mb:.1f} MB, {result.slope_mb_per_1000:.2f} MB/1000 frames")
    assert result.growth_mb < LIMIT_MB, trend
    assert result.max_mb - result.start_mb < LIMIT_MB, trend
