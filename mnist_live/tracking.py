"""Steady labels: follow each digit from frame to frame and smooth what it is read as.

A single frame's answer flickers: sensor noise, exposure drift and a shaking hand move a
few pixels, and a 4 that is 0.6 "4" and 0.4 "9" may flip. So each digit becomes a track:

- matched to the previous frame's tracks by box overlap (or, for small fast moves,
  centre distance), so it keeps its id while it stays in view;
- its class probabilities are averaged over recent frames (an exponential moving
  average), and its label only changes when another digit has clearly overtaken it
  (hysteresis);
- a confident new digit shows at once; an established digit survives a frame or two in
  which it was not found, and then disappears.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boxes import Box, iou
from .confidence import json_confidence
from .config import TrackerSettings
from .pipeline import DigitDetection


@dataclass
class Track:
    id: int
    box: Box
    probabilities: np.ndarray
    label: int
    hits: int = 1
    missed: int = 0
    shown: bool = False
    # The probabilities of the detection it was last seen as (what repeat() averages in).
    seen: np.ndarray | None = None

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.label])


@dataclass(frozen=True)
class TrackedDigit:
    """A digit as the live view shows it: smoothed label and a stable track id."""

    digit: int
    confidence: float
    box: Box
    track: int | None  # None when tracking is off

    def to_json(self) -> dict:
        return {"digit": self.digit, "confidence": json_confidence(self.confidence),
                "box": list(self.box), "track": self.track}


def match_scores(track_boxes: np.ndarray, boxes: np.ndarray,
                 settings: TrackerSettings) -> np.ndarray:
    """How well each detection continues each track, as a (tracks, detections) array.

    The IoU of the boxes where it reaches `settings.min_iou`; otherwise a small score
    (at most `near_score`) for a centre within `near_reach` digit heights (a quick
    move), else 0.
    """
    t = track_boxes[:, None, :].astype(np.float32)
    d = boxes[None, :, :].astype(np.float32)
    ix = np.clip(np.minimum(t[..., 0] + t[..., 2], d[..., 0] + d[..., 2])
                 - np.maximum(t[..., 0], d[..., 0]), 0, None)
    iy = np.clip(np.minimum(t[..., 1] + t[..., 3], d[..., 1] + d[..., 3])
                 - np.maximum(t[..., 1], d[..., 1]), 0, None)
    inter = ix * iy
    union = t[..., 2] * t[..., 3] + d[..., 2] * d[..., 3] - inter
    overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    distance = np.hypot((t[..., 0] + t[..., 2] / 2) - (d[..., 0] + d[..., 2] / 2),
                        (t[..., 1] + t[..., 3] / 2) - (d[..., 1] + d[..., 3] / 2))
    distance /= np.maximum(np.maximum(t[..., 3], d[..., 3]), 1)
    reach = settings.near_reach
    nearby = np.where(distance < reach, settings.near_score * (1 - distance / reach), 0.0)
    return np.where(overlap >= settings.min_iou, overlap, nearby)


class DigitTracker:
    """Turns each frame's detections into steady, identified digits."""

    def __init__(self, min_confidence: float, settings: TrackerSettings | None = None):
        self.min_confidence = min_confidence
        self.settings = settings or TrackerSettings()
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(self, detections: list[DigitDetection]) -> list[TrackedDigit]:
        """Feed one frame's classified candidates (confident or not); get what to show."""
        settings = self.settings
        track_boxes = np.array([t.box for t in self.tracks], np.float32).reshape(-1, 4)
        boxes = np.array([d.box for d in detections], np.float32).reshape(-1, 4)
        # Where the tracks should be now: moved by how the whole page moved (a pan).
        track_boxes[:, :2] += self._page_shift(track_boxes, boxes, detections)
        scores = match_scores(track_boxes, boxes, settings)
        if scores.size:
            # A track continues best with a detection read as the same digit.
            track_probs = np.array([t.probabilities for t in self.tracks])
            probs = np.array([np.asarray(d.probabilities, np.float32) for d in detections])
            norms = np.outer(np.linalg.norm(track_probs, axis=1), np.linalg.norm(probs, axis=1))
            agreement = (track_probs @ probs.T) / np.maximum(norms, 1e-6)
            weight = settings.same_digit_weight
            scores = scores * (1 - weight + weight * agreement)
        rows, columns = np.nonzero(scores > 0)
        order = np.argsort(-scores[rows, columns], kind="stable")
        pairs = [(int(rows[k]), int(columns[k])) for k in order]
        matched_tracks: set[int] = set()
        matched_detections: set[int] = set()
        for t, d in pairs:
            if t in matched_tracks or d in matched_detections:
                continue
            matched_tracks.add(t)
            matched_detections.add(d)
            self._continue(self.tracks[t], detections[d])

        survivors = []
        for t, track in enumerate(self.tracks):
            if t not in matched_tracks:
                track.missed += 1
                # A track seen once was probably noise: it goes at once.
                if track.hits < settings.established_hits or track.missed > settings.max_missed:
                    continue
            survivors.append(track)
        for d, detection in enumerate(detections):
            if d not in matched_detections:
                survivors.append(self._start(detection))
        # A track kept through a missed frame is stale if something seen now covers it.
        seen_now = [t.box for t in survivors if t.missed == 0]
        self.tracks = [
            t for t in survivors
            if t.missed == 0
            or not any(iou(t.box, box) > settings.stale_overlap for box in seen_now)
        ]
        self._update_shown()
        return self.shown()

    def _update_shown(self) -> None:
        keep_level = self.settings.keep_fraction * self.min_confidence
        for track in self.tracks:
            track.shown = track.confidence >= (keep_level if track.shown
                                               else self.min_confidence)

    def shown(self) -> list[TrackedDigit]:
        """The digits on show."""
        return [
            TrackedDigit(track.label, track.confidence, track.box, track.id)
            for track in self.tracks
            if track.shown
        ]

    def repeat(self, smooth: bool = True) -> None:
        """The last frame once more: the live reader found the page unchanged and did
        not read it again. Each track changes as update() with that frame's detections
        would change it: one seen in it is averaged with the same detection again and
        gains a hit (so it counts as established), one missed in it is missed once more
        and goes after `max_missed`. `smooth=False` only counts the hit (for a settled
        tracker, where averaging again would change nothing shown)."""
        kept = []
        for track in self.tracks:
            if track.missed == 0:
                if smooth:
                    self._smooth(track, track.seen)
                track.hits += 1
                kept.append(track)
            else:
                track.missed += 1
                if track.missed <= self.settings.max_missed:
                    kept.append(track)
        self.tracks = kept
        self._update_shown()

    def settled(self) -> bool:
        """True when repeat() would change nothing shown, however often: no track waits
        to go, and each track's label and shown state already agree with the detection
        its average moves towards (the average moves steadily, so it crosses no
        threshold on the way)."""
        keep_level = self.settings.keep_fraction * self.min_confidence
        for track in self.tracks:
            if track.missed:
                return False
            final = track.seen[track.label]
            if track.seen.max() - final > self.settings.switch_margin:
                return False  # the label will switch
            if final < keep_level if track.shown else final >= self.min_confidence:
                return False  # it will hide, or show
        return True

    def _page_shift(self, track_boxes: np.ndarray, boxes: np.ndarray,
                    detections: list[DigitDetection]) -> np.ndarray:
        """The page's move since the last frame: the median shift from each track to the
        nearest detection read as the same digit (0 when nothing pairs up)."""
        if not len(track_boxes) or not len(boxes):
            return np.zeros(2, np.float32)
        moves = boxes[None, :, :2] - track_boxes[:, None, :2]  # (tracks, detections, 2)
        distance = np.hypot(moves[..., 0], moves[..., 1])
        same = (np.array([t.label for t in self.tracks])[:, None]
                == np.array([d.digit for d in detections])[None, :])
        distance = np.where(same, distance, np.inf)
        nearest = distance.argmin(axis=1)
        rows = np.arange(len(track_boxes))
        reach = self.settings.pan_reach * np.maximum(track_boxes[:, 3], 1)
        near_enough = distance[rows, nearest] < reach
        if not near_enough.any():
            return np.zeros(2, np.float32)
        return np.median(moves[rows, nearest][near_enough], axis=0)

    def _start(self, detection: DigitDetection) -> Track:
        seen = np.asarray(detection.probabilities, np.float32)
        track = Track(self._next_id, detection.box, seen.copy(), detection.digit, seen=seen)
        self._next_id += 1
        return track

    def _continue(self, track: Track, detection: DigitDetection) -> None:
        self._smooth(track, np.asarray(detection.probabilities, np.float32))
        track.box = detection.box
        track.hits += 1
        track.missed = 0

    def _smooth(self, track: Track, seen: np.ndarray) -> None:
        """Average `seen` into the track's probabilities; switch its label when another
        digit has clearly overtaken it."""
        alpha = self.settings.smoothing
        track.probabilities = alpha * track.probabilities + (1 - alpha) * seen
        track.seen = seen
        best = int(track.probabilities.argmax())
        if best != track.label and (
            track.probabilities[best] - track.probabilities[track.label]
            > self.settings.switch_margin
        ):
            track.label = best
