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

from .candidates import Box
from .pipeline import DigitDetection


@dataclass(frozen=True)
class TrackerSettings:
    smoothing: float = 0.6  # weight of the past in the moving average of probabilities
    switch_margin: float = 0.15  # a new label must beat the current one by this much
    max_missed: int = 3  # frames a track survives without a detection
    established_hits: int = 2  # hits before a track may survive a missed frame
    min_iou: float = 0.3  # overlap for matching a detection to a track
    # A digit on show stays on show until its smoothed confidence falls below this
    # fraction of --min-confidence: one doubtful frame must not make it blink.
    keep_fraction: float = 0.7


@dataclass
class Track:
    id: int
    box: Box
    probabilities: np.ndarray
    label: int
    hits: int = 1
    missed: int = 0
    shown: bool = False

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.label])


@dataclass(frozen=True)
class TrackedDigit:
    """A digit as the live view shows it: smoothed label and a stable track id."""

    digit: int
    confidence: float
    box: Box
    track: int

    def to_json(self) -> dict:
        return {"digit": self.digit, "confidence": round(self.confidence, 4),
                "box": list(self.box), "track": self.track}


def box_iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _match_score(track_box: Box, box: Box, min_iou: float) -> float:
    """How well a detection continues a track: IoU, or a small score for a near centre."""
    overlap = box_iou(track_box, box)
    if overlap >= min_iou:
        return overlap
    tcx, tcy = track_box[0] + track_box[2] / 2, track_box[1] + track_box[3] / 2
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    size = max(track_box[3], box[3], 1)
    distance = np.hypot(tcx - cx, tcy - cy) / size
    return 0.1 * (1 - distance / 0.5) if distance < 0.5 else 0.0


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
        pairs = sorted(
            (
                (score, t, d)
                for t, track in enumerate(self.tracks)
                for d, detection in enumerate(detections)
                if (score := _match_score(track.box, detection.box, settings.min_iou)) > 0
            ),
            reverse=True,
        )
        matched_tracks: set[int] = set()
        matched_detections: set[int] = set()
        for _, t, d in pairs:
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
        self.tracks = survivors
        keep_level = settings.keep_fraction * self.min_confidence
        for track in self.tracks:
            track.shown = track.confidence >= (keep_level if track.shown
                                               else self.min_confidence)
        return [
            TrackedDigit(track.label, track.confidence, track.box, track.id)
            for track in self.tracks
            if track.shown
        ]

    def _start(self, detection: DigitDetection) -> Track:
        track = Track(self._next_id, detection.box,
                      np.asarray(detection.probabilities, np.float32).copy(), detection.digit)
        self._next_id += 1
        return track

    def _continue(self, track: Track, detection: DigitDetection) -> None:
        alpha = self.settings.smoothing
        track.probabilities = alpha * track.probabilities + (1 - alpha) * np.asarray(
            detection.probabilities, np.float32)
        track.box = detection.box
        track.hits += 1
        track.missed = 0
        best = int(track.probabilities.argmax())
        if best != track.label and (
            track.probabilities[best] - track.probabilities[track.label]
            > self.settings.switch_margin
        ):
            track.label = best
