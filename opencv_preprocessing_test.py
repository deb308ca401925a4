#!/usr/bin/env python3
"""Read the digits in still images and save every step of the pipeline as a picture.

The same pipeline as the live script, on photos, so a person can see why a digit was or
was not read: the gray image, the ink with the lighting evened out, the binary image,
the cleaned binary image, the candidates found (kept in green, rejected in red), the
28x28 crops the model saw (with its answers), and the result.

Usage:
    python opencv_preprocessing_test.py IMAGE [IMAGE ...] [options]

Examples:
    python opencv_preprocessing_test.py ../shared/data/test.jpg
    python opencv_preprocessing_test.py photo.jpg --threshold 160 --no-show
    python opencv_preprocessing_test.py *.jpg --json --no-show > readings.jsonl

Each digit found is printed as a line like
    Detected digit: [7] at x=267, y=282, w=36, h=52 (99.974%)
With --json, stdout carries one JSON object per image read, in the order given:
    {"image": PATH, "width": W, "height": H,
     "digits": [{"digit": 7, "confidence": 0.998, "box": [x, y, w, h]}, ...],
     "numbers": [{"text": "407", "box": [x, y, w, h]}, ...]}

Pictures go to --out-dir/<image name>/ (default preprocessing_output/). Windows show the
steps unless --no-show is given or there is no display; then press any key for the next
image, q or Esc to stop.

Exit status: 0 all images read, 1 some could not be read or their pictures saved (each
named on stderr), 2 bad options, 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import cv2

from mnist_live import cli, config, draw
from mnist_live.atomic import atomic_path
from mnist_live.capture import read_image
from mnist_live.errors import UserError
from mnist_live.pipeline import DigitReader, FrameReading

log = cli.log


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Read handwritten digits in still images and save each preprocessing "
                    "step as a picture.",
        epilog="Exit status: 0 all images read, 1 some could not be read, 2 bad options, "
               "130 Ctrl+C.",
    )
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE",
                        help="image files to read (jpg, png, bmp, tiff, webp...)")
    output = parser.add_argument_group("output")
    output.add_argument(
        "--out-dir", type=Path, default=config.DEFAULT_PREPROCESSING_DIR, metavar="DIR",
        help="save the step pictures in DIR/<image name>/ (default: %(default)s)",
    )
    output.add_argument("--no-save", action="store_true", help="do not save the pictures")
    output.add_argument("--no-show", action="store_true",
                        help="do not open windows (they never open without a display)")
    output.add_argument("--json", action="store_true",
                        help="print one JSON object per image on stdout, messages on stderr")
    cli.add_pipeline_options(parser)
    cli.add_model_options(parser)
    cli.add_logging_options(parser)
    return parser


def detection_line(detection) -> str:
    x, y, w, h = detection.box
    return (f"Detected digit: [{detection.digit}] at x={x}, y={y}, w={w}, h={h} "
            f"({detection.confidence * 100:.3f}%)")


def fit(picture, max_side: int = config.PICTURE_MAX_SIDE):
    longer = max(picture.shape[:2])
    if longer <= max_side:
        return picture
    scale = max_side / longer
    return cv2.resize(picture, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def step_pictures(image, reading: FrameReading) -> dict[str, object]:
    """The pictures to save and show, in pipeline order, at most PICTURE_MAX_SIDE wide."""
    steps = reading.steps
    labels = [f"{d.digit} {d.confidence:.0%}" for d in reading.classified]
    # Candidate boxes are in the image's pixels: draw them on the cleaned binary at the
    # picture's size, never on a full-size copy of a 48-megapixel photo.
    cleaned = fit(steps["cleaned"])
    scale = cleaned.shape[1] / reading.width

    def scaled(boxes):
        return [tuple(round(v * scale) for v in box) for box in boxes]

    result = fit(image)
    result_scale = result.shape[1] / reading.width

    pictures = {
        "1_gray": steps["gray"],
        "2_ink": steps["ink"],
        "3_binary": steps["binary"],
        "4_cleaned": steps["cleaned"],
        "5_candidates": draw.draw_candidates(
            cleaned, scaled([d.box for d in reading.classified]), scaled(reading.rejected)),
        "6_crops": draw.crop_sheet(reading.crops, labels),
        "7_result": draw.draw_reading(result, scaled_reading(reading, result_scale),
                                      show_unsure=True),
    }
    return {name: fit(picture) for name, picture in pictures.items()}


def scaled_reading(reading: FrameReading, scale: float) -> FrameReading:
    """The reading with its boxes scaled, to draw on a resized picture."""
    if scale == 1.0:
        return reading

    def box(b):
        return tuple(round(v * scale) for v in b)

    return dataclasses.replace(
        reading,
        digits=[dataclasses.replace(d, box=box(d.box)) for d in reading.digits],
        unsure=[dataclasses.replace(d, box=box(d.box)) for d in reading.unsure],
        numbers=[dataclasses.replace(n, box=box(n.box)) for n in reading.numbers],
    )


def save_pictures(pictures: dict[str, object], folder: Path) -> None:
    for name, picture in pictures.items():
        with atomic_path(folder / f"{name}.png") as temp:
            if not cv2.imwrite(str(temp), picture):
                raise UserError(f"cannot write {folder / name}.png")


def show_pictures(pictures: dict[str, object], title: str) -> bool:
    """Show the steps; False if the user pressed q or Esc (or closed the result)."""
    for name in ("3_binary", "5_candidates", "6_crops", "7_result"):
        cv2.imshow(name, pictures[name])
    cv2.setWindowTitle("7_result", f"{title} - any key: next, q: quit")
    while True:  # short waits, so Ctrl+C and the window's close button work
        key = cv2.waitKey(100)
        if key != -1:
            return (key & 0xFF) not in (ord("q"), 27)
        if cv2.getWindowProperty("7_result", cv2.WND_PROP_VISIBLE) < 1:
            return False


def out_folder(base: Path, image: Path, used: set[str]) -> Path:
    """A folder per image, named after it; repeated names get -2, -3..."""
    name, n = image.stem, 1
    while name in used:
        n += 1
        name = f"{image.stem}-{n}"
    used.add(name)
    return base / name


def main() -> int:
    args = build_parser().parse_args()
    cli.setup_logging(args)
    show = not args.no_show
    if show and not cli.display_available():
        log.warning("No display available: not showing windows (pictures are still saved).")
        show = False

    reader = DigitReader(cli.load_classifier(args), cli.pipeline_settings(args))
    human = sys.stderr if args.json else sys.stdout
    failed, used_names = 0, set()
    for path in args.images:
        try:
            image = read_image(path)
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        make_pictures = show or not args.no_save
        reading = reader.read(image, keep_steps=make_pictures)
        if args.json:
            print(json.dumps({"image": str(path), "width": reading.width,
                              "height": reading.height, **reading.to_json()}), flush=True)
        print(f"{path}: {len(reading.digits)} digits", file=human)
        for detection in reading.digits:
            print(detection_line(detection), file=human)
        for number in reading.numbers:
            if len(number.members) > 1:
                x, y, w, h = number.box
                print(f"Detected number: {number.text} at x={x}, y={y}, w={w}, h={h}",
                      file=human)
        if not make_pictures:
            continue
        pictures = step_pictures(image, reading)
        if not args.no_save:
            folder = out_folder(args.out_dir, path, used_names)
            try:
                save_pictures(pictures, folder)
                log.info("Saved %d step pictures in %s", len(pictures), folder)
            except UserError as exc:  # e.g. a full disk: say so, go on with the rest
                print(f"error: {exc}", file=sys.stderr)
                failed += 1
        if show and not show_pictures(pictures, path.name):
            break
    if show:
        cv2.destroyAllWindows()
    if failed:
        print(f"{failed} of {len(args.images)} images could not be read or saved",
              file=sys.stderr)
    return cli.EXIT_FAILED if failed else cli.EXIT_OK


if __name__ == "__main__":
    cli.run(main)
