"""Has the page changed since it was last read? The live loop's shortcut on still pages.

A camera held over a page sends 30 nearly identical frames a second, and reading one in
full (lighting, pieces, crops, the classifier, tracking) costs a few milliseconds, most
of it for a result the last frame already gave. So the live loop reads a frame in full
only when the picture has changed since its last full read, or when that read is
`ChangeSettings.reread_every` frames old; otherwise it shows the last read's digits again.

"Changed" is judged in about 0.1 ms on a thumbnail a quarter of the frame's size,
smoothed with a 3x3 Gaussian (the 4x4 averaging takes most of the sensor noise away; the
smoothing keeps a thin stroke that a shake moves from one 4x4 block into two from looking
new), compared with the thumbnail of the last full read:

- brightness is matched first (cameras drift in exposure all the time);
- how far the page moved is measured from the thumbnails' row and column profiles, to
  about a fifth of a frame pixel; a move of more than max_move thumbnail pixels (8
  frame pixels) since the last full read is a change, a smaller one (a shaking hand
  or camera) is not: the old thumbnail is moved along before comparing, and the boxes
  shown follow the page (`shift`), since a 1 is only a few pixels wide;
- each new thumbnail pixel may lie anywhere between the darkest and the brightest pixel
  of its 3x3 neighbourhood in the (moved) old one, and each old pixel likewise in the
  new one's (so ink that vanished counts as much as ink that appeared), which absorbs
  what is left of the move;
- beyond that, a pixel change_fraction (a quarter) of its surroundings' contrast darker
  or brighter is a change
  (the range of the old thumbnail in a 9x9 window, about a digit's size; at least
  change_min_level grey levels): a new or wiped digit or stroke (2 px wide or more at
  640x480), in full light or in a shadow, a hand, a page turned over or turned. On the
  speed benchmark's still pages (noise, exposure drift, 2 px shake) no pixel went past
  its margin. A strip of max_move + 1 thumbnail pixels (12 frame pixels) along the edges,
  where a moved page shows what was out of view, is not compared;
- the brightness changing by more than light_jump times (a lamp switched, the camera
  turned from paper to a board) is a change too, and `light_jumped` says so, so the
  reader finds the ink's polarity again.

A missed change costs at most `reread_every` frames of a stale reading; a change
seen where there was none costs one full read. So the test leans towards "changed".
"""

from __future__ import annotations

import cv2
import numpy as np

from .config import ChangeSettings

# The settings (how much is a change, how far a move) are config.ChangeSettings.
# A profile flatter than this (its standard deviation, grey levels) shows no position:
# blank paper, or a page with nothing along that axis.
FLAT_PROFILE = 1.0
# The best offset must correlate this much better than none to count as a move: on a
# smooth gradient every offset correlates almost perfectly.
MIN_GAIN = 0.002
_NEIGHBOURHOOD = np.ones((3, 3), np.uint8)


def profiles(small: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean of each column and of each row of `small`, as float32 arrays."""
    columns = cv2.reduce(small, 0, cv2.REDUCE_AVG, dtype=cv2.CV_32F)
    rows = cv2.reduce(small, 1, cv2.REDUCE_AVG, dtype=cv2.CV_32F).reshape(1, -1)
    return columns, rows


def profile_shift(old: np.ndarray, new: np.ndarray, reach: int = 3) -> float:
    """How far profile `new` is profile `old` moved (new[i] ~ old[i - d]), to a fraction
    of an element: the offset where they correlate best (normalized, so exposure drift
    does not matter), refined by a parabola through it and its neighbours. Both are
    1 x n float32 arrays; offsets up to `reach` elements each way are tried. A profile
    that no offset fits clearly better than none has not moved: 0. (A flat one, with
    nothing to tell a move by, is the caller's to spot: see ChangeDetector.)
    """
    n = old.shape[1]
    if n <= 4 * reach:
        return 0.0
    # scores[j]: new's middle laid on old at j, i.e. d = reach - j.
    scores = cv2.matchTemplate(old, new[:, reach: n - reach],
                               cv2.TM_CCOEFF_NORMED).ravel().tolist()
    best = max(range(len(scores)), key=scores.__getitem__)
    if scores[best] - scores[reach] < MIN_GAIN:
        best = reach
    offset = float(reach - best)
    if 0 < best < len(scores) - 1:
        left, middle, right = scores[best - 1: best + 2]
        curvature = left - 2 * middle + right
        if curvature < 0:
            offset -= min(1.0, max(-1.0, 0.5 * (left - right) / curvature))
    return offset


def thumbnail(gray: np.ndarray) -> np.ndarray:
    """`gray` a quarter of its size, each pixel the mean of a 4x4 block, then smoothed.

    Two halvings with INTER_LINEAR average exact 2x2 blocks (within one grey level of
    INTER_AREA's 4x4 means) in a sixth of INTER_AREA's time at 640x480.
    """
    height, width = gray.shape[:2]
    half = cv2.resize(gray, (max(1, width // 2), max(1, height // 2)),
                      interpolation=cv2.INTER_LINEAR)
    small = cv2.resize(half, (max(1, width // 4), max(1, height // 4)),
                       interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(small, (3, 3), 0)


class ChangeDetector:
    """Remembers the frame of the last full read; tells whether a new frame differs."""

    def __init__(self, settings: ChangeSettings | None = None):
        self.settings = settings = settings or ChangeSettings()
        # Thumbnail pixels, one more than the largest move: the profiles are compared
        # over that many offsets each way, so a move just short of the largest is
        # measured to a fraction of a pixel too, and the strip along the edges left out
        # is that wide (the move plus the 3x3 neighbourhood's reach).
        self._reach = settings.max_move + 1
        self._contrast_window = np.ones((settings.contrast_window,) * 2, np.uint8)
        self._darkest: np.ndarray | None = None  # 3x3 minimum of the old thumbnail
        self._brightest: np.ndarray | None = None  # 3x3 maximum
        self._mean = 0.0
        self._old: np.ndarray | None = None
        self._margin: np.ndarray | None = None  # per thumbnail pixel
        self.light_jumped = False  # the last needs_reading saw the light change a lot
        self._profiles: tuple[np.ndarray, np.ndarray] | None = None
        self._flat = (False, False)  # a profile with nothing to tell a move by
        self._shape: tuple[int, ...] = ()
        self.frames_since_read = 0
        # How far the page moved since the last full read, in frame pixels (x, y), as
        # last measured by needs_reading.
        self.shift = (0.0, 0.0)

    @property
    def reread_every(self) -> int:
        """A frame this many frames after the last full read is read in full anyway."""
        return self.settings.reread_every

    def remember(self, gray: np.ndarray) -> None:
        """`gray` was just read in full: later frames are compared with it."""
        small = thumbnail(gray)
        self._old = small
        self._darkest = cv2.erode(small, _NEIGHBOURHOOD)
        self._brightest = cv2.dilate(small, _NEIGHBOURHOOD)
        self._mean = max(cv2.mean(small)[0], 1.0)
        contrast = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, self._contrast_window)
        self._margin = cv2.max(
            cv2.convertScaleAbs(contrast, alpha=self.settings.change_fraction),
            self.settings.change_min_level)
        self._profiles = profiles(small)
        self._flat = tuple(float(p.std()) < FLAT_PROFILE for p in self._profiles)
        self._shape = gray.shape
        self.frames_since_read = 0
        self.shift = (0.0, 0.0)
        self.light_jumped = False

    def forget(self) -> None:
        """The next frame must be read in full (the settings changed, say)."""
        self._darkest = self._brightest = None

    def needs_reading(self, gray: np.ndarray) -> bool:
        """True when `gray` must be read in full; False when the last read still holds."""
        if (self._darkest is None or gray.shape != self._shape
                or self.frames_since_read + 1 >= self.reread_every):
            return True
        small = thumbnail(gray)
        height, width = small.shape
        if min(height, width) <= 4 * self._reach:
            return True  # a frame this small is read in no time anyway
        # Match the brightness of the old thumbnail (exposure drift); a jump beyond
        # drift is a change of light.
        gain = self._mean / max(cv2.mean(small)[0], 1.0)
        jump = self.settings.light_jump
        self.light_jumped = not 1 / jump <= gain <= jump
        if self.light_jumped:
            return True
        small = cv2.convertScaleAbs(small, alpha=gain)
        columns, rows = profiles(small)
        reach = self._reach
        dx = 0.0 if self._flat[0] else profile_shift(self._profiles[0], columns, reach)
        dy = 0.0 if self._flat[1] else profile_shift(self._profiles[1], rows, reach)
        mx, my = round(dx), round(dy)
        if max(abs(mx), abs(my)) > self.settings.max_move:
            return True
        # The old thumbnail moved by (mx, my): new[y, x] ~ old[y - my, x - mx]. How far
        # each new pixel lies outside its old neighbourhood's range (ink that appeared),
        # and each old pixel outside its new neighbourhood's (ink that vanished).
        b = self._reach
        here = (slice(b, height - b), slice(b, width - b))
        there = (slice(b - my, height - b - my), slice(b - mx, width - b - mx))
        now, then = small[here], self._old[there]
        appeared = cv2.max(cv2.subtract(now, self._brightest[there]),
                           cv2.subtract(self._darkest[there], now))
        vanished = cv2.max(cv2.subtract(then, cv2.dilate(small, _NEIGHBOURHOOD)[here]),
                           cv2.subtract(cv2.erode(small, _NEIGHBOURHOOD)[here], then))
        beyond = cv2.subtract(cv2.max(appeared, vanished), self._margin[there])
        if cv2.minMaxLoc(beyond)[1] > 0:
            return True
        self.shift = (dx * gray.shape[1] / width, dy * gray.shape[0] / height)
        self.frames_since_read += 1
        return False
