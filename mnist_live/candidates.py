"""Find the blobs of ink that may each be one digit.

Binary image (ink = 255) -> long, thin straight lines taken out -> morphological close
-> contours (outlines, and what lies in the holes of a blob thrown out) -> boxes, with
the ones that cannot be a readable digit removed: touching the frame's border, too
small, too large, a sheet's surround, or shaped like a line or a speck. The limits are
in digit heights or shares of the frame (with a least height in pixels that any
readable digit has), so the same settings work on a 640x480 webcam frame and a
4000x3000 phone photo.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import cv2
import numpy as np

from .boxes import Box, union_box
from .config import CandidateLimits, HypothesisSettings
from .normalize import stroke_width

# Why a blob is not read as a digit (the step pictures label rejected boxes with these).
AT_BORDER = "at the border"
TOO_SMALL = "too small"
TOO_LARGE = "too large"
HAIRLINE = "hairline"  # too little ink for its box: a thin curve, a scratch
HOLDS_WRITING = "holds writing"  # a sheet's surround: its hole holds digits
LINE_SHAPED = "line-shaped"  # much wider than tall: an underline, a dash
PIECE = "piece of a digit"  # joined to a digit beside it, or left as a piece of one

# How blobs are joined when a caller gives no settings (the training crops, tests).
DEFAULT_JOINS = HypothesisSettings()


@dataclass(frozen=True)
class Rejected:
    """A box thrown out before classification, and why."""

    box: Box
    reason: str


@dataclass
class Candidate:
    """A blob of ink: its box and the mask of the ink inside the box."""

    box: Box
    mask: np.ndarray  # uint8 0/255, shape (h, w): this blob's ink only
    _ends: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @functools.cached_property
    def outline(self) -> np.ndarray:
        """Up to ~80 points of the ink's outer edge, in the mask's coordinates."""
        contours, _ = cv2.findContours(self.mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        if not contours:
            return np.zeros((1, 2), np.float32)
        points = np.concatenate([c.reshape(-1, 2) for c in contours])
        return points[:: max(1, len(points) // 80)].astype(np.float32)

    @functools.cached_property
    def stroke(self) -> float:
        """Stroke width in pixels (see normalize.stroke_width)."""
        return stroke_width(self.mask)

    def ends(self, look_back: float) -> list[tuple[np.ndarray, np.ndarray]]:
        """Where its lines end, and the way each was heading, measured `look_back`
        stroke widths back along the line (at least 3 px; see stroke_ends). Kept for
        the next call with the same `look_back`.

        Thinning costs about the cube of the blob's size (a 400-px blob: 0.1 s), so a
        blob larger than SKELETON_SIDE is thinned on a copy scaled down to that size,
        which still holds a digit's strokes, and the ends are scaled back.
        """
        if look_back in self._ends:
            return self._ends[look_back]
        height, width = self.mask.shape
        scale = min(1.0, SKELETON_SIDE / max(height, width))
        mask = self.mask
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            mask = cv2.resize(self.mask, size, interpolation=cv2.INTER_AREA)
        back = max(3, round(look_back * self.stroke * scale))
        self._ends[look_back] = [(point / scale, direction)
                                 for point, direction in stroke_ends(skeleton(mask), back)]
        return self._ends[look_back]


def remove_ruled_lines(binary: np.ndarray, digit_height: float,
                       length: float = CandidateLimits.ruled_line,
                       mend: int = CandidateLimits.ruled_line_mend,
                       thickest: float = CandidateLimits.ruled_line_thickest) -> np.ndarray:
    """Erase straight lines much longer than a digit: ruled paper, margins, table rules.

    A line that crosses a digit would join it to its neighbours and to the frame's edge.
    Opening with a long, thin kernel keeps only such lines (a digit's own strokes are
    far shorter), and they are taken out and the strokes they cut mended.
    A line is thin, too: what the long opening keeps that is `thickest` digit heights
    across or more (and at least `mend` px) is a solid area, a dark silhouette, a desk
    or a sleeve, each of whose rows passes the long opening; erased, it would leave its
    ragged edges as upright bars, a column of 1s. It stays.
    (When no digit could be measured, the height is the guess: a rule thicker than
    the mend that joins every digit to the frame's edge is then kept as a solid area,
    and its digits are lost. Taking out every long line while the height is a guess
    brought back the false 1s of carved dark areas: negatives/ 0.22 -> 0.35 a photo.)
    Most pages have no such lines, so a quick look at a quarter-size copy comes first.
    `length`: how many digit heights a line is at least; `mend`: how many pixels across
    a line a stroke crossing it is mended (a line thicker than that is taken out, and
    the strokes it cut are left to the joins of pieces).
    """
    length = int(length * digit_height)
    if not _has_long_lines(binary, length):
        return binary
    # Odd (OpenCV's opening with an even kernel is shifted by a pixel, and would eat
    # a solid area's top row), and no thicker than the limit.
    solid = max(mend, (round(thickest * digit_height) - 1) | 1)
    cleaned = binary
    for along, across, wide in (((1, length), (mend, 1), (solid, 1)),
                                ((length, 1), (1, mend), (1, solid))):
        lines = cv2.morphologyEx(binary, cv2.MORPH_OPEN, np.ones(along, np.uint8))
        if not lines.any():  # most pages: no line this way, and no solid area to keep
            continue
        lines = cv2.subtract(lines, cv2.morphologyEx(lines, cv2.MORPH_OPEN,
                                                     np.ones(wide, np.uint8)))
        if not lines.any():
            continue
        cleaned = cv2.subtract(cleaned, lines)
        # A stroke crossing the line, or lying on it (the base of a 2 on ruled paper),
        # has ink on both sides of it: close across the line, and keep what that puts
        # back inside the line's own pixels.
        mended = cv2.morphologyEx(cleaned, cv2.MORPH_CLOSE, np.ones(across, np.uint8))
        cleaned = cleaned | (mended & lines)
    return cleaned


def _has_long_lines(binary: np.ndarray, length: int, step: int = 4) -> bool:
    """Whether `binary` may hold a straight line `length` long (checked at 1/step size)."""
    height, width = binary.shape[:2]
    if min(height, width) < 4 * step:
        return False
    small = cv2.resize(binary, (width // step, height // step), interpolation=cv2.INTER_AREA)
    small = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY)[1]  # any ink in the cell
    short = max(1, length // step - 2)  # a little shorter: a tilted line steps across cells
    return bool(
        cv2.morphologyEx(small, cv2.MORPH_OPEN, np.ones((1, short), np.uint8)).any()
        or cv2.morphologyEx(small, cv2.MORPH_OPEN, np.ones((short, 1), np.uint8)).any()
    )


# The closing's kernel at its smallest, in pixels: what a closing this small leaves
# enclosed is a loop, not a gap between pieces of ink.
SMALLEST_GAP_KERNEL = 3
_SMALLEST_CLOSING = cv2.getStructuringElement(
    cv2.MORPH_ELLIPSE, (SMALLEST_GAP_KERNEL, SMALLEST_GAP_KERNEL))


def close_gaps(binary: np.ndarray, digit_height: float,
               size: float = CandidateLimits.close_gaps,
               loop_width: float = CandidateLimits.loop_width) -> np.ndarray:
    """Close small gaps in strokes; the kernel is `size` digit heights (at least 3 px).

    A loop is not a gap: one the kernel fills (the narrow loop of a slanted 9, a small
    0 among tall digits) is opened again, up to `loop_width` kernels wide (see
    _reopen_loops and CandidateLimits.loop_width). Beyond the frame lies paper: OpenCV's
    own border would let the closing's erosion keep whatever its dilation carried to
    the frame's edge, and a big digit near the edge would grow a spur to it (and be
    thrown out as "at the border")."""
    size = gap_kernel(digit_height, size)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    pad = size // 2 + 1
    padded = cv2.copyMakeBorder(binary, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    closed = cv2.morphologyEx(padded, cv2.MORPH_CLOSE, kernel)
    if size > SMALLEST_GAP_KERNEL:
        closed = _reopen_loops(padded, closed, loop_width * size)
    return closed[pad:-pad, pad:-pad]


def gap_kernel(digit_height: float, size: float = CandidateLimits.close_gaps) -> int:
    """The side of close_gaps' kernel for digits `digit_height` tall: odd, >= 3 px."""
    return int(max(SMALLEST_GAP_KERNEL, round(digit_height * size)) | 1)


def _reopen_loops(binary: np.ndarray, closed: np.ndarray, widest: float) -> np.ndarray:
    """`closed`, a closing of `binary`, with the loops that it filled or narrowed as
    they were.

    A loop is paper that the smallest closing leaves enclosed by ink (it fills the
    paper's own specks), less than `widest` px wide, its width taken as 4 x area /
    perimeter (a round hole's diameter, twice a long slit's width; an island of ink in
    the hole counts in its area). The paper of a sheet that a dark surround encloses
    is a hole too, but a wide one: the gaps on it stay closed."""
    tight = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, _SMALLEST_CLOSING)
    contours, hierarchy = cv2.findContours(tight, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return closed
    # RETR_CCOMP: the contours with a parent are the holes'. Each runs along the ink
    # around its hole, so drawn filled it covers that ink too: only the paper is taken.
    loops = [contours[i] for i in np.flatnonzero(hierarchy[0][:, 3] >= 0)
             if 4 * cv2.contourArea(contours[i]) < widest * cv2.arcLength(contours[i], True)]
    if not loops:
        return closed
    holes = np.zeros_like(closed)
    cv2.drawContours(holes, loops, -1, 255, cv2.FILLED)
    return cv2.subtract(closed, cv2.subtract(holes, tight))


def find_blobs(cleaned: np.ndarray, limits: CandidateLimits
               ) -> tuple[list[Candidate], list[Rejected]]:
    """Every blob that may be a digit or a piece of one, and the boxes thrown out.

    Thrown out: blobs touching the border, taller than the frame allows, specks too small
    to be even a piece of a digit, hairlines (too little ink for their box), and the
    surround of a sheet (a blob whose hole holds writing: _holds_writing).
    """
    frame_h, frame_w = cleaned.shape[:2]
    short_side = min(frame_h, frame_w)
    border = round(limits.border_fraction * short_side)
    min_height = min_digit_height(limits, cleaned.shape)
    min_piece = limits.piece_height * min_height
    max_h = limits.max_height_fraction * frame_h

    # The outer outlines of the components; a component inside a hole of another is
    # looked at only when that other one is thrown out for its size (or for holding
    # writing) or the border: a sheet of paper the texture all around encloses, not a
    # speck in a 0's loop.
    contours, hierarchy = cv2.findContours(cleaned, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    links = hierarchy[0] if hierarchy is not None else np.zeros((0, 4), int)
    blobs: list[Candidate] = []
    rejected: list[Rejected] = []
    outlines = [i for i in range(len(contours)) if links[i][3] < 0]
    while outlines:
        index = outlines.pop()
        contour = contours[index]
        x, y, w, h = (int(v) for v in cv2.boundingRect(contour))
        box = (x, y, w, h)
        touches_border = (
            x < border or y < border or x + w > frame_w - border or y + h > frame_h - border
        )
        reason = (AT_BORDER if touches_border else TOO_SMALL if max(w, h) < min_piece
                  else TOO_LARGE if h > max_h
                  else HOLDS_WRITING if _holds_writing(contours, links, index, min_height,
                                                       limits.writing_inside)
                  else None)
        if reason:
            rejected.append(Rejected(box, reason))
            if reason != TOO_SMALL:
                outlines += [inner for hole in _children(links, index)
                             for inner in _children(links, hole)]
            continue
        # This blob's ink only: a neighbour's stroke inside the box, or whatever lies
        # in its loops, must not leak in.
        mask = np.zeros((h, w), np.uint8)
        cv2.drawContours(mask, [contour], -1, 255, cv2.FILLED, offset=(-x, -y))
        for hole in _children(links, index):
            cv2.drawContours(mask, [contours[hole]], -1, 0, cv2.FILLED, offset=(-x, -y))
            # The hole's own outline pixels are this blob's ink: put them back.
            cv2.drawContours(mask, [contours[hole]], -1, 255, 1, offset=(-x, -y))
        mask = cv2.bitwise_and(mask, cleaned[y : y + h, x : x + w])
        if cv2.countNonZero(mask) < limits.min_ink_fraction * w * h:
            rejected.append(Rejected(box, HAIRLINE))
            continue
        blobs.append(Candidate(box, mask))
    return blobs, rejected


def _holds_writing(contours, links: np.ndarray, index: int, min_height: float,
                   least: int) -> bool:
    """Whether a hole of contour `index` holds `least` blobs or more each as tall as a
    digit can be (`min_height`): that is a sheet of paper which texture around it
    encloses (dark ground between coins, a desk seen through a frame), and its outline
    is no digit (CandidateLimits.writing_inside)."""
    for hole in _children(links, index):
        tall = 0
        for inner in _children(links, hole):
            tall += cv2.boundingRect(contours[inner])[3] >= min_height
            if tall >= least:
                return True
    return False


def _children(links: np.ndarray, index: int) -> list[int]:
    """The contours one level inside contour `index` (findContours' hierarchy)."""
    found, child = [], links[index][2]
    while child >= 0:
        found.append(int(child))
        child = links[child][0]
    return found


def min_digit_height(limits: CandidateLimits, shape: tuple[int, ...]) -> float:
    return max(limits.min_height_px, limits.min_height_fraction * min(shape[:2]))


def is_digit_sized(box: Box, limits: CandidateLimits, shape: tuple[int, ...]) -> bool:
    _, _, w, h = box
    return h >= min_digit_height(limits, shape) and w <= limits.max_width_to_height * h


def unused_reason(box: Box, limits: CandidateLimits, shape: tuple[int, ...]) -> str:
    """Why a blob that find_blobs kept was not read as a digit of its own: too small or
    too wide to be one, else it was a piece of a digit (see hypotheses.choose)."""
    _, _, w, h = box
    if w > limits.max_width_to_height * h:
        return LINE_SHAPED
    return TOO_SMALL if h < min_digit_height(limits, shape) else PIECE


# --- Broken and touching digits --------------------------------------------------------
# A digit written with a skipping pen falls apart into pieces, and two digits written
# close together touch. Both are proposed here by shape alone; the pipeline keeps a
# proposal only if the classifier is surer of it than of the blobs as they were.


class PairGeometry:
    """How each pair of a frame's blobs lies, as n x n arrays (computed once per frame)."""

    def __init__(self, boxes: list[Box]):
        b = np.array(boxes, np.float32).reshape(-1, 4)
        x0, y0, w, h = b.T
        x1, y1 = x0 + w, y0 + h
        self.heights = h
        self.overlap_x = np.minimum.outer(x1, x1) - np.maximum.outer(x0, x0)
        self.overlap_y = np.minimum.outer(y1, y1) - np.maximum.outer(y0, y0)
        self.gap = np.maximum(np.maximum(-self.overlap_x, -self.overlap_y), 0)
        self.taller = np.maximum.outer(h, h)
        self.shorter = np.minimum.outer(h, h)
        self.narrower = np.minimum.outer(w, w)
        self.union_w = np.maximum.outer(x1, x1) - np.minimum.outer(x0, x0)
        self.union_h = np.maximum.outer(y1, y1) - np.minimum.outer(y0, y0)
        self.y0, self.y1 = y0, y1


def piece_pairs(geometry: PairGeometry, height: float,
                settings: HypothesisSettings = DEFAULT_JOINS) -> np.ndarray:
    """n x n: could blobs i and j be pieces of one digit rather than two digits?

    Close together (the gap under `piece_gap` of the taller one, or `join_reach`
    digits), and one above the other: overlapping sideways by `stacked_overlap` of the
    narrower one, or sharing at most `stacked_share` of their height (the two halves of
    a slanted 1 cut in two), or a piece shorter than `piece_share` of the other
    overlapping it sideways at all (the top bar of a 5, the tail of a 9). Two blobs side
    by side with a gap between them are two digits, even a small 0 next to a tall 1.
    Together they must still fit one digit's box. (All of `settings`.)
    """
    g, s = geometry, settings
    close = g.gap <= np.maximum(s.piece_gap * g.taller, s.join_reach * height)
    stacked = ((g.overlap_x >= s.stacked_overlap * g.narrower)
               | (g.overlap_y <= s.stacked_share * g.shorter))
    small_piece = (g.overlap_x > 0) & (g.shorter < s.piece_share * g.taller)
    pieces = close & (stacked | small_piece) & fits_one_digit(g.union_w, g.union_h, height,
                                                              settings)
    np.fill_diagonal(pieces, False)
    return pieces


def fits_one_digit(width, height_of_box, height: float,
                   settings: HypothesisSettings = DEFAULT_JOINS):
    """Whether boxes of this width and height fit one digit of the page's `height`:
    at most `join_size` digit heights tall and wide, and at most `join_widest` times as
    wide as tall."""
    size = settings.join_size * height
    return ((height_of_box <= size) & (width <= size)
            & (width <= settings.join_widest * height_of_box))


def attached_pieces(geometry: PairGeometry, pieces: np.ndarray,
                    piece_share: float = HypothesisSettings.piece_share) -> set[int]:
    """Blobs too small to be a digit beside the blob they sit on.

    Digits are written side by side, not one on top of another: a blob less than
    `piece_share` as tall as a blob it is stacked against is a piece of that digit (its
    top bar, its tail), never a digit of its own. It may join, or be dropped.
    """
    h = geometry.heights
    sits_on_bigger = (pieces & (piece_share * h[None, :] > h[:, None])
                      & (geometry.overlap_x > 0))
    return {int(i) for i in np.flatnonzero(sits_on_bigger.any(axis=1))}


def fragment_groups(boxes: list[Box], pieces: np.ndarray, height: float,
                    settings: HypothesisSettings = DEFAULT_JOINS
                    ) -> list[frozenset[int]]:
    """Sets of 2+ blobs that together could be one digit: pieces of a broken one.

    Grown from the pairs in `pieces` (see piece_pairs) while the set's union still fits
    one digit's box, smallest sets first. Which sets really are one digit is for the
    classifier to say. A page of text or graph paper would make thousands of such
    sets, so at most `max_joins` are proposed (a broken digit needs a handful), of at
    most `max_pieces` blobs each (`settings`).
    """
    max_pieces, max_groups = settings.max_pieces, settings.max_joins
    neighbours = {i: set(np.flatnonzero(row).tolist()) for i, row in enumerate(pieces)}
    pairs = [frozenset((int(i), int(j))) for i, j in zip(*np.nonzero(np.triu(pieces)),
                                                         strict=True)]
    found: list[frozenset[int]] = []
    seen: set[frozenset[int]] = set(pairs)
    layer = pairs
    while layer and len(found) < max_groups:
        found += layer[: max_groups - len(found)]
        bigger_layer = []
        for group in layer:
            if len(group) == max_pieces:
                continue
            for k in set().union(*(neighbours[i] for i in group)) - group:
                bigger = group | {k}
                if bigger in seen:
                    continue
                seen.add(bigger)
                _, _, w, h = union_box([boxes[i] for i in bigger])
                if fits_one_digit(w, h, height, settings):
                    bigger_layer.append(bigger)
        layer = bigger_layer
    return sorted(found, key=sorted)


def merge(blobs: list[Candidate], reach: float = 0.0,
          settings: HypothesisSettings = DEFAULT_JOINS) -> Candidate:
    """One candidate holding the ink of all `blobs`, with the gaps between them bridged.

    Each piece is joined to its nearest neighbour (a minimum spanning tree over the
    pieces) by a stroke as wide as theirs, drawn between their two closest points: the
    pen's skip is filled in, as a reader's eye does. With `reach`, a piece whose line
    ends heading at its neighbour at most `reach` away is joined along that heading
    instead (see skip_bridges; `settings` say how a line heads): the closest points of
    a 6 cut where its loop meets the stem would close the loop's top, and make a 5.
    """
    box = union_box([b.box for b in blobs])
    mask = np.zeros((box[3], box[2]), np.uint8)
    outlines = []
    for b in blobs:
        x, y = b.box[0] - box[0], b.box[1] - box[1]
        region = mask[y : y + b.box[3], x : x + b.box[2]]
        np.maximum(region, b.mask, out=region)
        outlines.append(b.outline + np.array([x, y], np.float32))
    width = max(1, round(float(np.median([b.stroke for b in blobs]))))
    joined = {0}
    while len(joined) < len(blobs):
        best = None
        for i in joined:
            for j in set(range(len(blobs))) - joined:
                d = np.linalg.norm(outlines[i][:, None, :] - outlines[j][None, :, :], axis=2)
                k = np.unravel_index(int(d.argmin()), d.shape)
                if best is None or d[k] < best[0]:
                    best = (d[k], i, j, outlines[i][k[0]], outlines[j][k[1]])
        _, i, j, start, end = best
        lines = [(tuple(int(v) for v in start), tuple(int(v) for v in end))]
        if reach:
            # Where a line of one piece ends heading at the other, the pen went on
            # that way: bridge the skip there rather than at the closest points.
            skips = [((x0 - box[0], y0 - box[1]), (x1 - box[0], y1 - box[1]))
                     for a, b in ((i, j), (j, i))
                     for (x0, y0), (x1, y1) in skip_bridges(blobs[a], blobs[b], reach,
                                                            settings)]
            lines = skips or lines
        for start, end in lines:
            cv2.line(mask, start, end, 255, width)
        joined.add(j)
    return Candidate(box, mask)


def split_touching(candidate: Candidate, valley: float = HypothesisSettings.split_valley
                   ) -> tuple[Candidate, Candidate] | None:
    """Two candidates if this blob looks like two digits side by side, else None.

    A blob wider than tall is cut at the column with the least ink in its middle half,
    when that column has clearly less ink than the strokes around it: under `valley`
    times the median column's.
    """
    x, y, w, h = candidate.box
    if w < h:
        return None
    ink_per_column = np.count_nonzero(candidate.mask, axis=0)
    middle = slice(w // 4, max(w // 4 + 1, 3 * w // 4))
    cut = middle.start + int(np.argmin(ink_per_column[middle]))
    if ink_per_column[cut] > valley * np.median(ink_per_column[ink_per_column > 0]):
        return None
    parts = []
    for x0, x1 in ((0, cut), (cut, w)):
        part = candidate.mask[:, x0:x1]
        ys, xs = np.nonzero(part)
        if ys.size == 0:
            return None
        trimmed = part[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        parts.append(Candidate(
            (x + x0 + int(xs.min()), y + int(ys.min()), trimmed.shape[1], trimmed.shape[0]),
            np.ascontiguousarray(trimmed)))
    return parts[0], parts[1]


# --- Where strokes end ------------------------------------------------------------------
# A digit's own strokes end where the writer lifted the pen, and point nowhere in
# particular; a stroke cut by a pen skip ends short, heading at the ink it should have
# reached (the arm of a 4 at its stem, the loop of a 6 at its stem). The ends are found
# on the ink's skeleton.

SKELETON_SIDE = 96  # px: see Candidate.ends
_NEIGHBOUR_WEIGHTS = np.array([[1, 2, 4], [128, 0, 8], [64, 32, 16]], np.float32)


def _thinning_tables() -> tuple[np.ndarray, np.ndarray]:
    """Zhang-Suen deletion tables, indexed by the 8-neighbour code of a pixel."""
    tables = []
    for step in (0, 1):
        table = np.zeros(256, bool)
        for code in range(256):
            # Neighbours clockwise from the top-left: P9 P2 P3 P4 P5 P6 P7 P8 as bits.
            p9, p2, p3, p4, p5, p6, p7, p8 = ((code >> k) & 1 for k in range(8))
            ring = [p2, p3, p4, p5, p6, p7, p8, p9]
            count = sum(ring)
            changes = sum(ring[k] == 0 and ring[(k + 1) % 8] == 1 for k in range(8))
            if step == 0:
                ok = p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
            else:
                ok = p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
            table[code] = 2 <= count <= 6 and changes == 1 and ok
        tables.append(table)
    return tables[0], tables[1]


_THINNING = _thinning_tables()


def _neighbour_codes(image: np.ndarray) -> np.ndarray:
    codes = cv2.filter2D(image, cv2.CV_32F, _NEIGHBOUR_WEIGHTS,
                         borderType=cv2.BORDER_CONSTANT)
    return codes.astype(np.uint8)


def skeleton(mask: np.ndarray) -> np.ndarray:
    """The mask thinned to 1-pixel-wide lines (Zhang-Suen), as 0/1 uint8."""
    image = (mask > 0).astype(np.uint8)
    while True:
        changed = False
        for table in _THINNING:
            delete = table[_neighbour_codes(image)] & (image > 0)
            if delete.any():
                image[delete] = 0
                changed = True
        if not changed:
            return image


def stroke_ends(thin: np.ndarray, back: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Where the skeleton's lines end: (point, unit direction the line was heading).

    The direction is from the point `back` steps back along the line to the end.
    """
    neighbours = cv2.filter2D(thin, cv2.CV_8U, np.ones((3, 3), np.float32),
                              borderType=cv2.BORDER_CONSTANT)
    ends = []
    height, width = thin.shape
    for y, x in zip(*np.nonzero((thin > 0) & (neighbours == 2)), strict=True):
        seen = {(int(y), int(x))}
        frontier = [(int(y), int(x))]
        for _ in range(back):
            step = [(v, u) for fy, fx in frontier
                    for v in range(max(0, fy - 1), min(height, fy + 2))
                    for u in range(max(0, fx - 1), min(width, fx + 2))
                    if thin[v, u] and (v, u) not in seen]
            if not step:
                break
            seen.update(step)
            frontier = step
        origin = np.mean(frontier, axis=0)
        direction = np.array([y, x], np.float32) - origin
        norm = float(np.linalg.norm(direction))
        if norm >= 2:
            ends.append((np.array([y, x], np.float32), direction / norm))
    return ends


def skip_pairs(blobs: list[Candidate], geometry: PairGeometry, pieces: np.ndarray,
               height: float, reach: float,
               settings: HypothesisSettings = DEFAULT_JOINS) -> np.ndarray:
    """n x n: nearby blobs that piece_pairs left apart (side by side), but where a line
    of one ends heading at the other at most `reach` away: pieces of one digit after all.

    Only pairs that would still fit one digit's box are looked at.
    """
    g = geometry
    near = ((g.gap <= reach) & ~pieces
            & fits_one_digit(g.union_w, g.union_h, height, settings))
    found = np.zeros_like(pieces)
    for i, j in zip(*np.nonzero(np.triu(near, 1)), strict=True):
        if (skip_bridges(blobs[i], blobs[j], reach, settings)
                or skip_bridges(blobs[j], blobs[i], reach, settings)):
            found[i, j] = found[j, i] = True
    return found


def skip_bridges(blob: Candidate, other: Candidate, reach: float,
                 settings: HypothesisSettings = DEFAULT_JOINS
                 ) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Lines from each end of `blob` heading at `other`'s ink (`skip_facing`, its
    heading measured `skip_look_back` strokes back), to the nearest such ink at most
    `reach` away, as ((x, y), (x, y)) pairs in the frame's pixels."""
    facing = settings.skip_facing
    (bx, by, _, _), (ox, oy, ow, oh) = blob.box, other.box
    r = int(np.ceil(reach))
    bridges = []
    for (y, x), direction in blob.ends(settings.skip_look_back):
        # The end and `other`'s ink within `reach` of it, in `other`'s mask.
        ey, ex = int(y) + by - oy, int(x) + bx - ox
        y0, x0 = max(0, ey - r), max(0, ex - r)
        y1, x1 = min(oh, ey + r + 1), min(ow, ex + r + 1)
        if y0 >= y1 or x0 >= x1:
            continue
        ys, xs = np.nonzero(other.mask[y0:y1, x0:x1])
        if ys.size == 0:
            continue
        dy = (ys + (y0 - ey)).astype(np.float32)
        dx = (xs + (x0 - ex)).astype(np.float32)
        distance = np.sqrt(dy * dy + dx * dx)
        heading = (dy * direction[0] + dx * direction[1]) / np.maximum(distance, 1)
        target = (distance <= reach) & (heading >= facing)
        if target.any():
            k = int(np.argmin(np.where(target, distance, np.inf)))
            bridges.append(((int(x) + bx, int(y) + by),
                            (int(xs[k]) + x0 + ox, int(ys[k]) + y0 + oy)))
    return bridges
