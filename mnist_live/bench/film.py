"""`python -m mnist_live.bench film`: real pages filmed hand-held over a textured wall.

A real photo of handwritten numbers (photos/, cut around its digits) is laid, as a
sheet of paper, on a textured surface we may train on (scikit-image's brick, grass,
gravel: never the negatives/ photos), and filmed as a hand holds a camera: the view
drifts, turns slowly, zooms in and out and tilts a little, with fresh sensor noise and
drifting exposure in every frame. Each frame goes through the live script's reader as
the live loop runs it (SteadyReader: pipeline, tracking, a still page read in full only
when it changes) and, for comparison, through the reference's pipeline, frame by frame.

Each frame's true digit boxes are the photo's truth.json boxes carried through the
same homography as the picture (the box around the moved corners). Per pipeline:

  false/fr  digits shown where there is no digit (box IoU < 0.4 with every true
            digit), per frame; goal <= 0.1
  recall    share of digit-frames where the true digit is shown with the right label
            (box IoU >= 0.4); goal >= 98%
  whole     share of number-frames where a multi-digit number is shown whole: one
            number with the same text whose box has IoU >= 0.4 with the number's;
            goal >= 95% (the reference has no numbers)
  ms/fr     time per frame, and `full`: share of frames read in full (ours)

photos/truth.json has no numbers, so they are derived from the digit boxes (see
true_numbers): digits whose boxes share at least half of the shorter one's height are
on one line; in a line, a gap is a space between two numbers when it is wider than
twice the line's median gap AND wider than half the line's digit height. On the photos
filmed here, that makes each line of digits one number (checked by eye: --video).

Examples:
  python -m mnist_live.bench film
  python -m mnist_live.bench film --pages photo_1 --backgrounds brick --video clips
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from .. import cli, config
from ..boxes import Box, union_box
from ..capture import read_image
from ..cli import positive_int
from ..errors import UserError
from ..live import SteadyReader
from ..record import Recorder
from ..scenes import TrueDigit, TrueNumber
from . import sets
from .read import _text, draw_score
from .readers import add_reader_arguments, chosen_readers
from .scale import frame_size
from .scoring import MIN_IOU, ImageScore, Tally, score_image, whole_numbers

HELP = "false digits, recall and whole numbers on real pages filmed hand-held on texture"

# Which photos make a page: one sheet, or two sheets side by side (two numbers on one
# line that must stay two, as "2021" and "2019" taped to a wall).
PAGES = {
    "photo_1": ("bikz05__digit-recognition__photo_1.jpg",),  # 05221859, wide gaps
    "photo_2": ("bikz05__digit-recognition__photo_2.jpg",),  # five lines of numbers
    "numbers1": ("vinay0410__Hand-Written-Digit-Recognition__numbers1.jpg",),  # 135790
    "two_sheets": ("vinay0410__Hand-Written-Digit-Recognition__numbers.jpg",  # 13540
                   "JoaoGMSF__digit-recognition__numbers.jpg"),  # 1354
}
# The surfaces: scikit-image's sample photos (we may train on them, unlike negatives/);
# --backgrounds takes any of sets.SKIMAGE_NEGATIVES.
BACKGROUNDS = ("brick", "grass", "gravel")
GOALS = {"false/fr": 0.1, "recall": 0.98, "whole": 0.95}

# The page at zoom 1: its digits this share of the frame height tall, unless the
# sheets would then fill more than PAGE_SHARE of the frame's width or height.
DIGIT_SHARE = 0.075  # 36 px at 480
PAGE_SHARE = 0.62
SHEET_MARGIN = 1.2  # paper kept around the digits, in digit heights
SHEET_GAP = 0.04  # between two sheets, of the frame width
WORLD = 1.6  # the wall and page, in frame sizes: room to zoom out, drift and turn

# The hand: each a slow wave over the clip (one or two cycles), amplitude drawn per clip.
DRIFT = (0.02, 0.05)  # of the frame size, each way
SHAKE = 0.6  # px, fresh every frame
TURN = (3.0, 6.0)  # degrees, on top of a fixed 0-2 degree slant
ZOOM = 1.25  # between 1/ZOOM and ZOOM
TILT = 0.05  # perspective: the far side this much smaller than the near one
GAIN_STEP, GAIN_RANGE = 0.015, (0.85, 1.15)  # auto-exposure hunting
NOISE = 3.0  # sensor noise sigma, gray levels


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_reader_arguments(parser)
    parser.add_argument("--pages", type=_choices(PAGES), default=tuple(PAGES),
                        metavar="LIST", help=f"pages to film, comma-separated "
                        f"(default: all: {','.join(PAGES)})")
    parser.add_argument("--backgrounds", type=_choices(list(sets.SKIMAGE_NEGATIVES)),
                        default=BACKGROUNDS, metavar="LIST",
                        help="scikit-image sample photos to lay them on, of "
                        f"{','.join(sets.SKIMAGE_NEGATIVES)} (default: {','.join(BACKGROUNDS)})")
    parser.add_argument("--frames", type=positive_int, default=150, metavar="N",
                        help="frames per clip (default: %(default)s)")
    parser.add_argument("--size", type=lambda text: frame_size(text, 160),
                        default=(640, 480), metavar="WxH",
                        help="frame size (default: 640x480)")
    parser.add_argument("--seed", type=cli.seed_value, default=0,
                        help="how the hand moves and the noise (default: %(default)s)")
    parser.add_argument("--video", type=cli.writable_folder, metavar="DIR",
                        help="write each clip as DIR/PAGE_on_BACKGROUND.mp4 with the true "
                             "boxes (green), our right digits (blue) and the rest (red)")


def _choices(known: Sequence[str]):
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(n.strip() for n in text.split(",") if n.strip())
        unknown = [n for n in names if n not in known]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(unknown) or 'nothing'}; choose from {', '.join(known)}")
        return names
    return parse


# --- Pages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """A photo cut around its digits, with its true digits and numbers in its pixels."""

    image: np.ndarray  # BGR
    digits: list[sets.TrueBox]
    numbers: list[list[int]]  # indices into `digits`, each number left to right


def true_numbers(boxes: Sequence[Box]) -> list[list[int]]:
    """Digit boxes grouped into numbers, each left to right (indices into `boxes`).

    Lines: boxes sharing at least half of the shorter one's height are on one line
    (and so are boxes linked through others). In a line, a gap is a space between two
    numbers when it is wider than twice the line's median gap and wider than half the
    line's mean digit height.
    """
    line_of = list(range(len(boxes)))

    def root(i: int) -> int:
        while line_of[i] != i:
            i = line_of[i]
        return i

    for i, (_, y0, _, h0) in enumerate(boxes):
        for j in range(i):
            _, y1, _, h1 = boxes[j]
            if min(y0 + h0, y1 + h1) - max(y0, y1) >= 0.5 * min(h0, h1):
                line_of[root(i)] = root(j)
    lines: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        lines.setdefault(root(i), []).append(i)

    numbers = []
    for line in sorted(lines.values(), key=lambda ids: min(boxes[i][1] for i in ids)):
        line.sort(key=lambda i: boxes[i][0])
        gaps = [boxes[b][0] - boxes[a][0] - boxes[a][2] for a, b in itertools.pairwise(line)]
        space = max(2 * statistics.median(gaps) if gaps else 0.0,
                    0.5 * statistics.mean(boxes[i][3] for i in line))
        number = [line[0]]
        for i, gap in zip(line[1:], gaps, strict=True):
            if gap > space:
                numbers.append(number)
                number = []
            number.append(i)
        numbers.append(number)
    return numbers


def load_sheet(name: str, data_dir: Path | None = None) -> Sheet:
    """A photo from photos/ as a sheet: cut to its digits plus SHEET_MARGIN digit
    heights of paper on each side (as far as the photo goes)."""
    folder = (data_dir or config.data_dir()) / "photos"
    truth = sets.read_truth(folder / "truth.json")
    if name not in truth:
        raise UserError(f"{name} is not in {folder / 'truth.json'}")
    image = read_image(folder / name)
    digits = truth[name]["digits"]
    margin = round(SHEET_MARGIN * statistics.median(d.box[3] for d in digits))
    x, y, w, h = union_box([d.box for d in digits])
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(image.shape[1], x + w + margin), min(image.shape[0], y + h + margin)
    moved = [sets.TrueBox(d.digit, (d.box[0] - x0, d.box[1] - y0, d.box[2], d.box[3]))
             for d in digits]
    return Sheet(image[y0:y1, x0:x1].copy(), moved, true_numbers([d.box for d in moved]))


# --- The scene: sheets on a wall -------------------------------------------------------


@dataclass
class Wall:
    """The sheets laid on a textured background: a flat world the camera films.

    At zoom 1 the camera sees the middle `size` of it, one world pixel per frame pixel.
    """

    image: np.ndarray  # float32 BGR, WORLD times the frame size
    size: tuple[int, int]  # the frame's (width, height)
    digit_corners: np.ndarray  # (digits, 4, 2) float32: each true box's corners
    labels: list[int]
    numbers: list[list[int]]  # indices into the digits, each number left to right


def lay_sheets(sheets: Sequence[Sheet], background: np.ndarray,
               size: tuple[int, int]) -> Wall:
    """Lay `sheets` side by side in the middle of `background` (scaled to cover the
    world), sized so their digits are DIGIT_SHARE of the frame height tall, unless they
    would then fill more than PAGE_SHARE of the frame."""
    width, height = size
    world_w, world_h = round(WORLD * width), round(WORLD * height)
    cover = max(world_w / background.shape[1], world_h / background.shape[0])
    wall = cv2.resize(background, None, fx=cover, fy=cover, interpolation=cv2.INTER_CUBIC)
    top, left = (wall.shape[0] - world_h) // 2, (wall.shape[1] - world_w) // 2
    wall = wall[top : top + world_h, left : left + world_w].astype(np.float32)

    digit_height = statistics.median(d.box[3] for s in sheets for d in s.digits)
    gap = SHEET_GAP * width
    total_w = sum(s.image.shape[1] for s in sheets)
    total_h = max(s.image.shape[0] for s in sheets)
    scale = min(DIGIT_SHARE * height / digit_height,
                (PAGE_SHARE * width - gap * (len(sheets) - 1)) / total_w,
                PAGE_SHARE * height / total_h)
    x = round((world_w - (scale * total_w + gap * (len(sheets) - 1))) / 2)
    corners, labels, numbers = [], [], []
    for sheet in sheets:
        sheet_h, sheet_w = sheet.image.shape[:2]
        paper_w, paper_h = round(scale * sheet_w), round(scale * sheet_h)
        y = (world_h - paper_h) // 2
        wall[y : y + paper_h, x : x + paper_w] = cv2.resize(
            sheet.image, (paper_w, paper_h), interpolation=cv2.INTER_AREA)
        first = len(labels)
        for digit in sheet.digits:
            bx, by, bw, bh = digit.box  # pixel edges: columns bx .. bx+bw-1 -> [bx, bx+bw]
            quad = np.float32([[bx, by], [bx + bw, by], [bx + bw, by + bh], [bx, by + bh]])
            corners.append(quad * [paper_w / sheet_w, paper_h / sheet_h] + [x, y])
            labels.append(digit.digit)
        numbers += [[first + i for i in number] for number in sheet.numbers]
        x += paper_w + round(gap)
    return Wall(wall, size, np.float32(corners), labels, numbers)


# --- The hand-held camera --------------------------------------------------------------


def camera_path(size: tuple[int, int], frames: int, seed: int) -> list[np.ndarray]:
    """One world -> frame homography per frame: a hand drifting, turning, zooming in
    and out and tilting the camera a little, plus a fresh shake every frame."""
    width, height = size
    rng = np.random.default_rng(seed)

    def wave(amplitude: float) -> np.ndarray:  # one or two slow cycles over the clip
        cycles, phase = rng.uniform(0.5, 2.0), rng.uniform(0, 2 * math.pi)
        return amplitude * np.sin(2 * math.pi * cycles * np.linspace(0, 1, frames) + phase)

    drift_x = wave(rng.uniform(*DRIFT) * width) + rng.normal(0, SHAKE, frames)
    drift_y = wave(rng.uniform(*DRIFT) * height) + rng.normal(0, SHAKE, frames)
    turn = np.radians(rng.uniform(-2, 2) + wave(rng.uniform(*TURN)))
    zoom = np.exp(wave(math.log(ZOOM)))
    tilt_x, tilt_y = wave(TILT / width), wave(TILT / height)

    centre = np.float64([[1, 0, -WORLD * width / 2], [0, 1, -WORLD * height / 2], [0, 0, 1]])
    path = []
    for t in range(frames):
        cos, sin = math.cos(turn[t]) * zoom[t], math.sin(turn[t]) * zoom[t]
        view = np.float64([[cos, -sin, width / 2 + drift_x[t]],
                           [sin, cos, height / 2 + drift_y[t]],
                           [0, 0, 1]])
        tilt = np.float64([[1, 0, 0], [0, 1, 0], [tilt_x[t], tilt_y[t], 1]])
        path.append(view @ tilt @ centre)
    return path


@dataclass
class FilmFrame:
    """One frame of a clip: the picture, its true digits and numbers, its homography."""

    image: np.ndarray
    digits: list[TrueDigit]
    numbers: list[TrueNumber]
    homography: np.ndarray = field(repr=False)


def frame_truth(wall: Wall, homography: np.ndarray) -> tuple[list[TrueDigit],
                                                              list[TrueNumber]]:
    """The true digits and numbers seen through `homography`: each box the bound of its
    moved corners, cut to the frame."""
    width, height = wall.size
    # Pixel edges -> OpenCV's pixel centres, through the homography, and back.
    centres = wall.digit_corners.reshape(-1, 1, 2) - 0.5
    moved = cv2.perspectiveTransform(centres, homography).reshape(-1, 4, 2) + 0.5
    digits = []
    for label, quad in zip(wall.labels, moved, strict=True):
        x0, y0 = np.clip(np.floor(quad.min(axis=0)), 0, [width, height]).astype(int)
        x1, y1 = np.clip(np.ceil(quad.max(axis=0)), 0, [width, height]).astype(int)
        digits.append(TrueDigit(label, (int(x0), int(y0), int(x1 - x0), int(y1 - y0)), -1))
    numbers = [TrueNumber("".join(str(digits[i].digit) for i in number),
                          union_box([digits[i].box for i in number]))
               for number in wall.numbers]
    return digits, numbers


def film(wall: Wall, frames: int, seed: int) -> Iterator[FilmFrame]:
    """Film `wall` hand-held for `frames` frames (see camera_path), with drifting
    exposure and fresh noise in every frame."""
    width, height = wall.size
    rng = np.random.default_rng([seed, 1])
    gain = 1.0
    for homography in camera_path(wall.size, frames, seed):
        gain = float(np.clip(gain + rng.normal(0, GAIN_STEP), *GAIN_RANGE))
        view = cv2.warpPerspective(wall.image, homography, (width, height),
                                   flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        view = view * gain + rng.standard_normal(view.shape, dtype=np.float32) * NOISE
        image = np.clip(view, 0, 255).astype(np.uint8)
        yield FilmFrame(image, *frame_truth(wall, homography), homography)


# --- Scoring ----------------------------------------------------------------------------


@dataclass
class ClipScore:
    """Counts for one pipeline over one or more clips."""

    digits: Tally = field(default_factory=Tally)  # one "image" per frame
    number_frames: int = 0
    numbers_whole: int = 0
    seconds: float = 0.0
    full_reads: int = 0

    def add(self, other: ClipScore) -> None:
        self.digits.merge(other.digits)
        self.number_frames += other.number_frames
        self.numbers_whole += other.numbers_whole
        self.seconds += other.seconds
        self.full_reads += other.full_reads

    def cells(self, has_numbers: bool) -> list[str]:
        frames = max(1, self.digits.images)
        whole = (f"{self.numbers_whole / self.number_frames:.1%}"
                 if has_numbers and self.number_frames else "-")
        return [f"{self.digits.stray_per_image:.2f}", f"{self.digits.recall:.1%}", whole,
                f"{1000 * self.seconds / frames:.1f}", f"{self.full_reads / frames:.0%}"]


def run(args: argparse.Namespace) -> int:
    ours, *others = chosen_readers(args)
    reference = others[0] if others else None
    sheets = {name: [load_sheet(photo) for photo in PAGES[name]] for name in args.pages}
    backgrounds = {name: sets.skimage_photo(name) for name in args.backgrounds}
    clips = [(page, background) for page in args.pages for background in args.backgrounds]
    names = [reader.name for reader in (ours, *others)]
    scores: dict[tuple[str, str], ClipScore] = {}
    progress = tqdm(total=len(clips) * args.frames, desc="frames", unit="frame",
                    file=sys.stderr)
    for page, background in clips:
        wall = lay_sheets(sheets[page], backgrounds[background], args.size)
        # A clip is the same filmed alone (--pages, --backgrounds) or among all.
        seed = (args.seed * 10_000 + 100 * list(PAGES).index(page)
                + list(sets.SKIMAGE_NEGATIVES).index(background))
        live = SteadyReader(ours.reader)
        clip = {name: ClipScore() for name in names}
        recorder = (Recorder(args.video / f"{page}_on_{background}.mp4", 30)
                    if args.video else None)
        try:
            for frame in film(wall, args.frames, seed):
                start = time.perf_counter()
                shown = live.read(frame.image)
                clip["ours"].seconds += time.perf_counter() - start
                digit_score = _count(clip["ours"], frame, shown.digits, shown.numbers)
                if reference:
                    start = time.perf_counter()
                    found = reference.reader.read(frame.image).digits
                    clip["reference"].seconds += time.perf_counter() - start
                    _count(clip["reference"], frame, found, [])
                if recorder:
                    recorder.write(_picture(frame, shown.digits, shown.numbers, digit_score))
                progress.update()
        finally:
            if recorder:
                recorder.close()
        clip["ours"].full_reads = live.full_reads
        if reference:
            clip["reference"].full_reads = args.frames
        for name in names:
            scores[(f"{page} on {background}", name)] = clip[name]
    progress.close()

    rows = [f"{page} on {background}" for page, background in clips]
    print(format_table(rows, names, scores, sheets, args))
    return 0


def _count(score: ClipScore, frame: FilmFrame, digits, numbers) -> ImageScore:
    """Add one frame's digits and numbers to `score`; the digits' score."""
    digit_score = score_image(frame.digits, digits)
    score.digits.add(digit_score)
    true, whole = whole_numbers(frame.numbers, numbers)
    score.number_frames += true
    score.numbers_whole += whole
    return digit_score


def _picture(frame: FilmFrame, digits, numbers, score: ImageScore) -> np.ndarray:
    """The frame as --video shows it: read.py's picture, plus the numbers read."""
    picture = draw_score(frame.image, frame.digits, digits, score, "ours")
    text = "numbers: " + (" ".join(n.text for n in numbers) or "-")
    _text(picture, text, (5, picture.shape[0] - 10), (0, 0, 0), 0.5, 1, background=True)
    return picture


def format_table(rows: list[str], names: list[str], scores: dict, sheets: dict,
                 args: argparse.Namespace) -> str:
    """A row per clip and one for all, each pipeline's columns side by side."""
    columns = ["false/fr", "recall", "whole", "ms/fr", "full"]
    block = "".join(f"{c:>9}" for c in columns)
    label = max(len("clip"), *(len(r) for r in rows))
    header = f"{'clip':<{label}}" + "".join(f" | {n.upper():^{len(block)}}" for n in names)
    lines = [header, f"{'':<{label}}" + f" | {block}" * len(names), "-" * len(header)]
    total = {name: ClipScore() for name in names}
    for row in [*rows, "all"]:
        line = f"{row:<{label}}"
        for name in names:
            score = total[name] if row == "all" else scores[(row, name)]
            if row != "all":
                total[name].add(score)
            line += " | " + "".join(f"{c:>9}" for c in score.cells(name == "ours"))
        lines.append(line)
    goals = [f"{GOALS['false/fr']:.2f}", f"{GOALS['recall']:.0%}", f"{GOALS['whole']:.0%}"]
    lines.append(f"{'goal (ours)':<{label}} | " + "".join(f"{g:>9}" for g in goals))
    pages = "; ".join(
        f"{page}: " + " + ".join(" ".join("".join(str(s.digits[i].digit) for i in number)
                                         for number in s.numbers) for s in sheets[page])
        for page in sheets)
    lines += [
        "",
        f"{len(rows)} clips x {args.frames} frames at {args.size[0]}x{args.size[1]}, seed "
        f"{args.seed}; numbers on the pages: {pages}",
        "ours: the live view (SteadyReader, as the live script); reference: its pipeline "
        "on every frame; full: frames read in full",
        f"false/fr: digits shown on no true digit (box IoU < {MIN_IOU} with each) per frame; "
        "recall: digit-frames shown with the right label; whole: multi-digit number-frames "
        "shown as one number with the right text",
    ]
    return "\n".join(lines)
