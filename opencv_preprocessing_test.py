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
    Detected digit: [7] at x=267, y=282, w=37, h=52 (>99%), crop 8
in reading order; "crop 8" is its number on the 6_crops picture. The confidence is
shown no finer than the model can tell (see mnist_live/confidence.py): ">99%" is the
int8 model's top level. With -v, the other candidates follow, numbered on as on 6_crops:
those the model was unsure of ("Not a digit (unsure: ...)"), refused outright ("Not a
digit (refused)") or that the page doubted ("Doubted (...)").
With --json, stdout carries one JSON object per image read, in the order given:
    {"image": PATH, "width": W, "height": H,
     "digits": [{"digit": 7, "confidence": 0.996, "box": [x, y, w, h]}, ...],
     "numbers": [{"text": "407", "box": [x, y, w, h]}, ...]}

Pictures go to --out-dir/<image name>/ (default preprocessing_output/), all of one size
(the size the pipeline worked at, scaled down to at most 1600 px), each under a caption
that says what it shows; on 5_candidates every box thrown out is labelled with the
reason (too small, at the border, hairline, line-shaped, too large, holds writing (a
sheet's surround), piece of a digit, or not a digit: the model was unsure). Windows
show the steps unless --no-show is given or there is no display; then press any key
for the next image, q or Esc to stop.

Exit status: 0 all images read, 1 some could not be read or their pictures saved (each
named on stderr; an image's pictures are saved all or none), 2 bad options, 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import cv2

from mnist_live import cli, config, draw
from mnist_live.atomic import AtomicFile
from mnist_live.capture import read_image
from mnist_live.confidence import confidence_text, doubted_text
from mnist_live.errors import UserError
from mnist_live.live import threshold_label
from mnist_live.numbers import in_reading_order
from mnist_live.pipeline import DigitReader, FrameReading

log = cli.log


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Read handwritten digits in still images and save each preprocessing "
                    "step as a picture.",
        epilog="Exit status: 0 all images read, 1 some could not be read, 2 bad options, "
               "130 Ctrl+C.",
    )
    parser.add_argument("images", nargs="+", type=cli.given_path, metavar="IMAGE",
                        help="image files to read (jpg, png, bmp, tiff, webp...)")
    output = parser.add_argument_group("output")
    output.add_argument(
        "--out-dir", type=cli.given_path, default=config.DEFAULT_PREPROCESSING_DIR,
        metavar="DIR",
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


def detection_line(detection, number: int, step: float | None = None) -> str:
    """The reference's line, with how sure the model is (see mnist_live/confidence.py)
    and the number of the digit's crop on 6_crops."""
    x, y, w, h = detection.box
    return (f"Detected digit: [{detection.digit}] at x={x}, y={y}, w={w}, h={h} "
            f"({confidence_text(detection.confidence, step)}), crop {number}")


def unsure_line(detection, number: int, step: float | None = None) -> str:
    """A candidate below --min-confidence: why the page doubted it (a reading the model
    was sure of), or how unsure the model was."""
    x, y, w, h = detection.box
    where = f"at x={x}, y={y}, w={w}, h={h}, crop {number}"
    if detection.refused:  # as on 5_candidates
        return f"Not a digit (refused) {where}"
    if detection.doubt:  # how sure it was, and what the page's doubt left of it
        shown = doubted_text(detection.before_doubt, detection.confidence, step)
        return f"Doubted ({detection.doubt}: [{detection.digit}] {shown}) {where}"
    return (f"Not a digit (unsure: [{detection.digit}] "
            f"{confidence_text(detection.confidence, step)}) {where}")


def sheet_order(reading: FrameReading) -> list:
    """The classified candidates as the terminal lists them and the crop sheet numbers
    them: the digits read, in reading order, then the unsure ones, in reading order."""
    unsure, _ = in_reading_order(reading.unsure)
    return [*reading.digits, *unsure]


def picture_size(reading: FrameReading) -> tuple[int, int]:
    """(width, height) of every step picture: the size the pipeline worked at (a large
    photo is read scaled down, a frame of tiny digits enlarged), at most
    PICTURE_MAX_SIDE."""
    height, width = reading.steps["cleaned"].shape[:2]
    scale = min(1.0, config.PICTURE_MAX_SIDE / max(height, width))
    return max(1, round(width * scale)), max(1, round(height * scale))


def step_pictures(image, reading: FrameReading, threshold: str | int,
                  step: float | None = None) -> dict[str, object]:
    """The pictures to save and show, in pipeline order, all of one size (the crop
    sheet aside), each with a caption that says what it shows."""
    steps = reading.steps
    size = picture_size(reading)
    scale = size[0] / reading.width  # frame pixels -> picture pixels

    def sized(picture, binary: bool = False):
        if picture.shape[1] == size[0] and picture.shape[0] == size[1]:
            return picture
        smaller = picture.shape[1] > size[0]
        method = (cv2.INTER_NEAREST if binary and not smaller
                  else cv2.INTER_AREA if smaller else cv2.INTER_LINEAR)
        return cv2.resize(picture, size, interpolation=method)

    shown_at = "" if size[0] == reading.width else (
        f" (a {reading.width}x{reading.height} image, shown at {size[0]}x{size[1]})")
    mode = threshold_label(threshold, reading.level)
    order = sheet_order(reading)
    row = {id(d): i for i, d in enumerate(reading.classified)}
    crops = (reading.crops[[row[id(d)] for d in order]] if order
             else reading.crops[:0])
    labels = [f"{d.digit} {confidence_text(d.confidence, step)}" for d in order]
    colors = [draw.GREEN] * len(reading.digits) + [draw.GRAY] * (len(order) - len(reading.digits))
    numbers = " ".join(n.text for n in reading.numbers) or "none"
    tags = draw.candidate_tags(reading, step)
    rejected = len(reading.rejected)
    pictures = {
        "1_gray": (sized(steps["gray"]), f"1 gray: the image in gray{shown_at}"),
        "2_ink": (sized(steps["ink"]), "2 ink: the paper's own light divided out, "
                  "so uneven light and shadows are gone; ink is bright"),
        "3_binary": (sized(steps["binary"], True),
                     f"3 binary: ink white on black, threshold {mode}"),
        "4_cleaned": (sized(steps["cleaned"], True),
                      "4 cleaned: ruled lines taken out, small gaps in strokes closed"),
        "5_candidates": (
            draw.draw_candidates(sized(steps["cleaned"], True), tags, scale),
            f"5 candidates: green read as a digit ({len(reading.digits)}), gray not a "
            f"digit: the model was unsure ({len(reading.unsure)}), red thrown out before "
            f"the model ({rejected}), labelled with the reason"
            + (f" (the {draw.MAX_REASON_LABELS} largest)"
               if len(tags) > draw.MAX_REASON_LABELS else "")),
        "6_crops": (draw.crop_sheet(crops, labels, colors=colors, numbered=True),
                    "6 crops: the 28x28 crops the model saw, numbered as the terminal "
                    "lines: digits in reading order (green), then unsure ones (gray)"),
        "7_result": (draw.draw_reading(sized(image), scaled_reading(reading, scale),
                                       show_unsure=True, step=step),
                     f"7 result: {cli.counted(len(reading.digits), 'digit')}, numbers: {numbers}"),
    }
    # One caption height for the pictures of one size (the crop sheet has its own).
    lines = max(len(draw.caption_lines(caption, size[0]))
                for name, (_, caption) in pictures.items() if name != "6_crops")
    return {name: draw.with_caption(picture, caption,
                                    min_lines=1 if name == "6_crops" else lines)
            for name, (picture, caption) in pictures.items()}


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
    """Save the step pictures: each is written under a temporary name beside its place,
    and all are moved there only once every one is written, so a write that fails (a
    full disk) leaves none of them, nor the folder if it made it."""
    made = not folder.exists()
    files: list[AtomicFile] = []
    try:
        for name, picture in pictures.items():
            files.append(AtomicFile(folder / f"{name}.png"))
            if not cv2.imwrite(str(files[-1].temp), picture):
                raise UserError(f"cannot write {folder / name}.png")
        for file in files:
            file.commit()
    except BaseException:
        for file in files:
            file.discard()
        if made and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise


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
        log.warning("No display available: not showing windows%s.",
                    "" if args.no_save else f" (pictures are saved in {args.out_dir})")
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
        print(f"{path}: {cli.counted(len(reading.digits), 'digit')}", file=human)
        step = reader.classifier.output_step
        for number, detection in enumerate(sheet_order(reading), 1):
            if number <= len(reading.digits):
                print(detection_line(detection, number, step), file=human)
            elif args.verbose:  # what 6_crops shows after the digits, numbered on
                print(unsure_line(detection, number, step), file=human)
        for number in reading.numbers:
            if len(number.members) > 1:
                x, y, w, h = number.box
                print(f"Detected number: {number.text} at x={x}, y={y}, w={w}, h={h}",
                      file=human)
        if not make_pictures:
            continue
        pictures = step_pictures(image, reading, reader.settings.threshold, step)
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
