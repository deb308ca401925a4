#!/usr/bin/env python3
"""Read handwritten digits live from a webcam (or a video, an image, a stream).

Every frame is turned black and white, each blob of ink that may be a digit is made into
a 28x28 MNIST-style crop, and the TensorFlow Lite model reads all of them at once. The
window shows a box and the digit on each one, whole numbers ("2024") framed together,
and a status line with the threshold mode, frames per second and interpreter.

Usage:
    python mnist_tflite_live_detection.py [--source SOURCE] [options]

Sources (--source):
    0, 1, ...        a camera by index (default 0)
    video.mp4        a video file
    photo.jpg        an image, read again every frame (--headless: read once,
                     unless --max-frames says otherwise)
    rtsp://... http://...   a network stream
    synth            a built-in moving page of digits: try it without a webcam
    picamera         the Raspberry Pi camera module (needs Picamera2)

Keys in the window:
    q or Esc   quit
    space      save a snapshot of the window to snapshots/
    b          toggle the binary view (what the pipeline sees)
    t          cycle the threshold mode: otsu, adaptive, manual
    h          show or hide the keys over the frame
    the "threshold" trackbar sets a manual level (like --threshold 160)
The window fits the screen (a larger frame is shown scaled down) and can be resized.

Examples:
    python mnist_tflite_live_detection.py
    python mnist_tflite_live_detection.py --source synth
    python mnist_tflite_live_detection.py --source 1 --width 1280 --height 720
    python mnist_tflite_live_detection.py --source page.jpg --headless --json --max-frames 3
    python mnist_tflite_live_detection.py --source synth --record demo.mp4 --max-frames 300
    python mnist_tflite_live_detection.py --source picamera --headless --serve 0.0.0.0:8080

A digit that stays in view keeps its label and its track id from frame to frame (its
probabilities are averaged over recent frames); --no-tracking shows raw readings.
A page that has not changed since its last full read (noise, exposure drift, a move of
up to 8 px) is not read again in every frame: the last read stands, its boxes moved
with the page, and a still page is read again every 30 frames; --every-frame reads
every frame in full.

With --json, stdout carries one JSON object per frame ("fresh": false when the frame
showed the last full read again):
    {"frame": I, "time": SECONDS, "fresh": true, "digits": [{"digit": 7, "confidence": 0.996,
     "box": [x, y, w, h], "track": 3}, ...], "numbers": [{"text": "407",
     "box": [x, y, w, h]}, ...]}

--record OUT.mp4 saves what the window shows, one video frame per processed frame.

--serve [HOST:]PORT shows the live view in a browser too, with or without the window:
open http://127.0.0.1:8080/ (the address is printed) for a page with the annotated
frames and the numbers read, large; /stream.mjpg (MJPEG), /readings (the --json line
of the latest frame) and /events (the same as Server-Sent Events) are for programs.
Only this machine can watch, unless HOST is 0.0.0.0: then anyone on the network can,
without a password. Viewers never slow the reading: a slow one misses frames.

Exit status: 0 done, 1 the source or model could not be used, 2 bad options,
130 stopped with Ctrl+C, 143 by SIGTERM (kill), 129 by SIGHUP (the terminal closed), each
after closing the recording and the camera.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mnist_live import cli, config
from mnist_live.capture import open_source
from mnist_live.live import LiveOptions, run_live
from mnist_live.pipeline import DigitReader
from mnist_live.record import check_record_path
from mnist_live.serve import ServeOptions

log = cli.log


def record_path(text: str) -> Path:
    """A --record value: a .mp4 or .avi in a folder that exists and can be written."""
    try:
        check_record_path(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return cli.writable_file(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Read handwritten digits live from a camera, video, image or stream "
                    "with a TensorFlow Lite MNIST model.",
        epilog="Keys: q/Esc quit, space snapshot, b binary view, t threshold mode, "
               "h keys. "
               "Exit status: 0 done, 1 source or model unusable, 2 bad options, 130 Ctrl+C, "
               "143 SIGTERM, 129 SIGHUP.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_argument_group("input")
    source.add_argument(
        "--source", type=cli.source, default=str(config.DEFAULT_CAMERA), metavar="SOURCE",
        help="camera index (0, 1...), video file, image file, stream URL, synth for a "
             "built-in moving page of digits, or picamera for the Raspberry Pi camera "
             "(default: %(default)s)",
    )
    source.add_argument("--width", type=cli.frame_side, metavar="PX",
                        help="ask the camera for this frame width (synth: page width)")
    source.add_argument("--height", type=cli.frame_side, metavar="PX",
                        help="ask the camera for this frame height (synth: page height)")
    source.add_argument("--max-frames", type=cli.positive_int, metavar="N",
                        help="stop after N frames (default: run until the source ends or "
                             "you quit; a still image with neither window nor --serve is read "
                             "once)")
    output = parser.add_argument_group("output")
    output.add_argument("--headless", action="store_true",
                        help="no window: for servers, scripts and tests (add --json to "
                             "see the readings; an image source is then read once)")
    output.add_argument("--json", action="store_true",
                        help="print one JSON object per frame on stdout, messages on stderr")
    output.add_argument(
        "--record", type=record_path, metavar="OUT.mp4|OUT.avi",
        help="save the annotated frames as a video, one video frame per processed frame; "
             ".mp4 (MPEG-4) or .avi (Motion JPEG). The file appears when the run ends, "
             "however it ends",
    )
    output.add_argument(
        "--serve", type=cli.serve_address, nargs="?", metavar="[HOST:]PORT",
        const=(config.DEFAULT_SERVE_HOST, config.DEFAULT_SERVE_PORT),
        help="also show the live view in a browser at http://HOST:PORT/ (the page, "
             "/stream.mjpg, /readings, /events); HOST defaults to "
             f"{config.DEFAULT_SERVE_HOST}, this machine only; 0.0.0.0 lets every machine "
             "on the network watch, with no password; PORT 0 picks a free one "
             f"(--serve alone: port {config.DEFAULT_SERVE_PORT})",
    )
    output.add_argument("--no-tracking", action="store_true",
                        help="show each frame's raw reading, without steady labels "
                             "(no tracking or smoothing across frames)")
    output.add_argument("--every-frame", action="store_true",
                        help="read every frame in full; by default a frame of a page "
                             "that has not changed since the last full read (noise, "
                             "exposure drift, a move of up to 8 px) shows that read "
                             "again, boxes moved along, and a still page is read in full "
                             f"every {config.ChangeSettings.reread_every} frames")
    output.add_argument(
        "--snapshot-dir", type=cli.given_path, default=config.DEFAULT_SNAPSHOT_DIR,
        metavar="DIR",
        help="where the space key saves snapshots (default: %(default)s)",
    )
    cli.add_pipeline_options(parser)
    cli.add_model_options(parser)
    cli.add_logging_options(parser)
    return parser


def main() -> int:
    args = build_parser().parse_args()
    cli.setup_logging(args)
    headless = args.headless
    if not headless and not cli.display_available():
        log.warning("No display available: running headless (add --headless to silence "
                    "this, --json to see the readings).")
        headless = True
    elif headless and not args.json and not args.record and not args.serve:
        log.warning("--headless alone shows no readings: add --json to print them, or "
                    "--record OUT.mp4 to save the annotated frames.")
    reader = DigitReader(cli.load_classifier(args), cli.pipeline_settings(args))
    source = open_source(args.source, args.width, args.height)
    log.info("Reading from %s", source.description)
    options = LiveOptions(headless=headless, max_frames=args.max_frames,
                          json_lines=args.json, snapshot_dir=args.snapshot_dir,
                          record=args.record, steady=not args.no_tracking,
                          reuse=not args.every_frame,
                          serve=ServeOptions(*args.serve) if args.serve else None)
    return run_live(reader, source, options)


if __name__ == "__main__":
    cli.run(main)
