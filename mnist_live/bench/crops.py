"""`python -m mnist_live.bench crops`: what the model sees, before and after.

For real photos the reference pipeline misread (or missed) and ours read, draws one row
per digit: the digit as photographed, the reference's 28x28 crop with its answer, and
ours with its answer. This is the picture in the README: the bridge from camera to
28x28 is where digits are won or lost.

Example:
  python -m mnist_live.bench crops --out docs/images/before_after_crops.png --rows 8
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from .. import atomic, cli
from ..confidence import confidence_text
from ..errors import UserError
from . import sets
from .readers import our_reader, reference_reader
from .scoring import MIN_IOU, iou

HELP = "a before/after sheet of the 28x28 crops for digits only our pipeline reads"

CELL = 112  # pixels per picture in the sheet


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=cli.writable_picture, required=True, metavar="PNG",
                        help="where to write the sheet")
    parser.add_argument("--rows", type=int, default=8, metavar="N",
                        help="digits shown (default: %(default)s)")
    parser.add_argument("--model", type=cli.model_file, metavar="PATH",
                        help="our model (default: the shipped mnist.tflite)")


def _matching(truth_box, boxes) -> int | None:
    scores = [iou(truth_box, box) for box in boxes]
    if not scores or max(scores) < MIN_IOU:
        return None
    return int(np.argmax(scores))


def _cell(image: np.ndarray, caption: str, colour) -> np.ndarray:
    """A picture scaled into a CELL x CELL square with a caption under it."""
    image = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    h, w = image.shape[:2]
    scale = CELL / max(h, w)
    interpolation = cv2.INTER_NEAREST if scale > 1 else cv2.INTER_AREA
    resized = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=interpolation)
    cell = np.full((CELL + 26, CELL, 3), 255, np.uint8)
    y, x = (CELL - resized.shape[0]) // 2, (CELL - resized.shape[1]) // 2
    cell[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
    cv2.putText(cell, caption, (4, CELL + 19), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1,
                cv2.LINE_AA)
    return cell


def run(args: argparse.Namespace) -> int:
    ours = our_reader(args.model).reader
    reference = reference_reader().reader
    misread, missed = [], []  # rows where the reference read wrong / found nothing
    for item in sets.photos():
        image, truth = item.load()
        ours_reading = ours.read(image, keep_steps=True)
        ours_boxes = [d.box for d in ours_reading.classified]
        ref_candidates = reference.candidates(image)
        ref_binary = reference.binarize(image)
        for digit in truth:
            k = _matching(digit.box, ours_boxes)
            if k is None or ours_reading.classified[k].digit != digit.digit:
                continue
            ours_result = ours_reading.classified[k]
            if ours_result.confidence < ours.settings.min_confidence:
                continue
            x, y, w, h = digit.box
            pad = max(w, h) // 4
            region = (slice(max(0, y - pad), y + h + pad), slice(max(0, x - pad), x + w + pad))
            r = _matching(digit.box, [c.box for c in ref_candidates])
            if r is None:
                # What the reference's binarization made of this place.
                ref_crop, ref_caption, rows = ref_binary[region], "not found", missed
            else:
                result = reference.classifier.classify(ref_candidates[r].crop[None])[0]
                if result.digit == digit.digit and result.confidence >= reference.min_confidence:
                    continue  # the reference read it too: not interesting here
                ref_crop = ref_candidates[r].crop
                shown = confidence_text(result.confidence, reference.classifier.output_step)
                ref_caption = f"{result.digit} ({shown})"
                rows = misread
            photo = image[region]
            ours_shown = confidence_text(ours_result.confidence, ours.classifier.output_step)
            rows.append(np.hstack([
                _cell(photo, f"true {digit.digit}", (0, 0, 0)),
                _cell(ref_crop, f"ref: {ref_caption}", (0, 0, 200)),
                _cell(ours_reading.crops[k], f"ours: {ours_result.digit} ({ours_shown})",
                      (0, 140, 0)),
            ]))
    if not misread and not missed:
        print("no digit that only our pipeline reads")
        return 1
    # Misreads first (the crop is the difference), then misses; a spread of photos.
    def spread(rows: list, count: int) -> list:
        picks = np.linspace(0, len(rows) - 1, min(count, len(rows))).round().astype(int)
        return [rows[i] for i in sorted(set(picks))] if rows else []

    chosen = spread(misread, (args.rows + 1) // 2)
    chosen += spread(missed, args.rows - len(chosen))
    header = np.full((30, CELL * 3, 3), 255, np.uint8)
    for i, title in enumerate(["photo", "reference crop", "our crop"]):
        cv2.putText(header, title, (i * CELL + 6, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (0, 0, 0), 1, cv2.LINE_AA)
    sheet = np.vstack([header, *chosen])
    with atomic.atomic_path(args.out) as temp:
        if not cv2.imwrite(str(temp), sheet):
            raise UserError(f"cannot write {args.out}")
    found = len(misread) + len(missed)
    print(f"{cli.counted(found, 'digit')} read only by our pipeline "
          f"({len(misread)} misread and {len(missed)} missed by the reference); "
          f"{len(chosen)} drawn in {args.out}")
    return 0

