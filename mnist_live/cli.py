"""Command-line plumbing shared by the scripts: options, logging, errors, display.

The scripts stay thin: each builds its parser from the option groups here, and runs its
`main` through `run`, which turns a UserError, or output that cannot be written (a full
disk), into one line on stderr (no traceback) and Ctrl+C into a quiet exit.

Exit codes: 0 success, 1 some inputs failed, 2 usage error (argparse), 130 Ctrl+C; the
live script also 143 (SIGTERM) and 129 (SIGHUP), see live.StopOnSignal.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2

from . import config
from .atomic import FULL
from .binarize import parse_threshold
from .classifier import RUNTIME_CHOICES, ClassifierOptions, DigitClassifier
from .config import CandidateLimits, PipelineSettings
from .errors import UserError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

log = logging.getLogger("mnist_live")


# --- argparse value types: a bad value is refused by argparse with a message ---------

def _refusing(parse: Callable) -> Callable:
    """An argparse type from a parser that raises ValueError saying what is wrong."""
    def parse_argument(text: str):
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse_argument


def parse_address(text: str) -> tuple[str, int]:
    """A --serve value: 'PORT', 'HOST:PORT' or '[IPv6]:PORT' -> (host, port).

    The host defaults to config.DEFAULT_SERVE_HOST. ValueError says what is wrong.
    """
    host, colon, port = text.strip().rpartition(":")
    if not colon:
        host = ""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError("write an IPv6 address in brackets, then the port, e.g. "
                         "[::1]:8080")
    if not (port.isascii() and port.isdecimal()) or int(port) > 65535:
        raise ValueError(f"{text!r} is not [HOST:]PORT with a port 0-65535, e.g. 8080 or "
                         f"0.0.0.0:8080")
    return host or config.DEFAULT_SERVE_HOST, int(port)


threshold_value = _refusing(parse_threshold)
serve_address = _refusing(parse_address)


def _number_in(kind: type, low: float, high: float | None, what: str) -> Callable:
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {what}") from None
        # Written so that NaN, which no comparison holds for, is out of range too.
        if not (value >= low and (high is None or value <= high)) or value == math.inf:
            limit = f"{low}-{high}" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range ({limit})")
        return value

    return parse


probability = _number_in(float, 0.0, 1.0, "number between 0 and 1")
border_fraction = _number_in(float, 0.0, 0.45, "fraction of the frame, e.g. 0.02")
positive_int = _number_in(int, 1, None, "positive whole number")
frame_side = _number_in(int, 16, 8192, "frame size in pixels")
thread_count = _number_in(int, 1, 64, "number of threads")
non_negative = _number_in(float, 0.0, None, "number, 0 or more")
seed_value = _number_in(int, 0, 2**32 - 1, "whole number 0-4294967295")
subset_size = _number_in(int, 20, None, "number of images, 20 or more")


def counted(number: int, thing: str) -> str:
    """'1 digit', '3 digits': a count in a message."""
    return f"{number} {thing}{'' if number == 1 else 's'}"


def source(text: str) -> str:
    """A --source value: anything but nothing (an empty one would be read as the
    current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "is empty: give a camera index (0), a file, a stream URL, synth or picamera")
    return text


def given_path(text: str) -> Path:
    """A path option's value: anything but nothing (an empty one would be taken for the
    current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a path")
    return config.user_path(text)


def model_file(text: str) -> Path:
    """A --model value: a path, not a folder (a missing file is reported when the model
    is loaded, with what to do about it)."""
    path = given_path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a .tflite model")
    return path


def writable_file(text: str) -> Path:
    """An output file, checked before any work (a long benchmark must not fail at its
    end): see _check_writable."""
    path = given_path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    _check_writable(path.parent)
    return path


def writable_picture(text: str) -> Path:
    """An output picture: a writable file whose name OpenCV can write (.png, .jpg ...)."""
    path = writable_file(text)
    if not path.suffix or not cv2.haveImageWriter(str(path)):
        raise argparse.ArgumentTypeError(
            f"cannot write a picture named {path.name!r}: end it in .png or .jpg")
    return path


def writable_folder(text: str) -> Path:
    """An output folder, checked before any work: see _check_writable."""
    path = given_path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder")
    _check_writable(path)
    return path


def _check_writable(folder: Path) -> None:
    """Refuse `folder` (ArgumentTypeError) unless it can be written, or made and
    written: a scratch file is written and removed in it, or in the nearest folder
    above it that exists. Nothing is made now: the options may still fail, or ask for
    --help."""
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write in {folder}: {existing} is a file")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise argparse.ArgumentTypeError(
            f"cannot write in {folder}: {exc.strerror or exc}") from None


def add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument(
        "--model", type=model_file, default=config.DEFAULT_MODEL_PATH, metavar="PATH",
        help="the .tflite model: 28x28 gray in; out 10 digit probabilities, or 11 where "
             "the 11th is \"not a digit\" (letters, signs, pieces of digits, texture: "
             "such a model refuses them itself); default: the bundled mnist.tflite, "
             "which has 11",
    )
    group.add_argument(
        "--runtime", choices=RUNTIME_CHOICES, default="auto",
        help="which TFLite interpreter runs the model; auto tries LiteRT (ai_edge_litert), "
             "then tflite_runtime, then tensorflow.lite (default: auto)",
    )
    group.add_argument(
        "--threads", type=thread_count, default=config.DEFAULT_NUM_THREADS, metavar="N",
        help=f"interpreter threads (default: {config.DEFAULT_NUM_THREADS})",
    )


def add_pipeline_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reading digits")
    group.add_argument(
        "--threshold", type=threshold_value, default=config.DEFAULT_THRESHOLD,
        metavar="MODE",
        help="how the frame becomes black and white: otsu (one level after evening out "
             "the lighting), adaptive (a local level everywhere), or a manual level 0-255 "
             "such as 160, the reference's hint (default: otsu)",
    )
    group.add_argument(
        "--min-confidence", type=probability, default=config.DEFAULT_MIN_CONFIDENCE,
        metavar="P",
        help="report only digits at least this probable, 0-1: the model's probability "
             "that the crop is this digit (and a digit at all), times the evidence that "
             "it is written on the page: on plain paper rather than in texture, of the "
             "page's size and pen, not a letter among letters; a 1 also by the odds "
             "that it is a bar of texture, unless it stands beside a digit of its "
             "number, so with the shipped int8 model a 1 alone shows at most 0.968 "
             f"(default: {config.DEFAULT_MIN_CONFIDENCE})",
    )
    group.add_argument(
        "--border", type=border_fraction, default=config.DEFAULT_BORDER_FRACTION,
        metavar="F",
        help="ignore ink closer to the frame's edge than this fraction of its shorter "
             f"side, 0-0.45 (default: {config.DEFAULT_BORDER_FRACTION}, i.e. 10 px on a "
             "480 px frame)",
    )


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("messages")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       help="more messages on stderr (-vv for debugging)")
    group.add_argument("-q", "--quiet", action="store_true",
                       help="only warnings and errors on stderr")


def setup_logging(args: argparse.Namespace) -> None:
    level = logging.WARNING if args.quiet else (
        logging.INFO if args.verbose <= 1 else logging.DEBUG
    )
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    if args.verbose == 0 and not args.quiet:
        # Normal runs: our own progress lines, not the library's details.
        logging.getLogger("mnist_live").setLevel(logging.INFO)
        logging.getLogger().setLevel(logging.WARNING)
    # OpenCV's own log (e.g. each backend failing to open a missing camera) repeats what
    # our one-line errors say; show it only when asked for more.
    import cv2

    cv_log = cv2.utils.logging
    cv_log.setLogLevel({0: cv_log.LOG_LEVEL_SILENT, 1: cv_log.LOG_LEVEL_WARNING}.get(
        args.verbose, cv_log.LOG_LEVEL_DEBUG))


def classifier_options(args: argparse.Namespace) -> ClassifierOptions:
    return ClassifierOptions(model_path=args.model, runtime=args.runtime,
                             num_threads=args.threads)


def pipeline_settings(args: argparse.Namespace) -> PipelineSettings:
    return PipelineSettings(threshold=args.threshold, min_confidence=args.min_confidence,
                            limits=CandidateLimits(border_fraction=args.border))


def load_classifier(args: argparse.Namespace) -> DigitClassifier:
    return DigitClassifier(classifier_options(args))


def display_available() -> bool:
    """True if OpenCV can open windows here.

    opencv-python aborts the whole process (no exception) when imshow runs without a
    display, so check before the first window: OpenCV built without a GUI, or Linux
    with neither X11 nor Wayland, means no windows.
    """
    import cv2

    build = cv2.getBuildInformation()
    gui_line = next((line for line in build.splitlines() if "GUI:" in line), "")
    if "NONE" in gui_line.upper():
        return False
    if sys.platform.startswith("linux"):
        if not (_x_display_reachable() or os.environ.get("WAYLAND_DISPLAY")):
            return False
        _use_system_fonts_for_qt()
    return True


def _x_display_reachable() -> bool:
    """DISPLAY is set and, for a local display (":0"), its X server is there.

    A stale DISPLAY (an SSH session without X forwarding, a closed X server) would make
    Qt abort the process at the first window. Remote displays ("host:10.0", SSH X
    forwarding) cannot be checked this cheaply and are trusted.
    """
    display = os.environ.get("DISPLAY", "")
    if not display:
        return False
    if not display.startswith(":"):
        return True
    number = display[1:].split(".")[0]
    return os.path.exists(f"/tmp/.X11-unix/X{number}")


def _use_system_fonts_for_qt() -> None:
    """Point the Qt in opencv-python's wheel at the system's fonts.

    The wheel sets QT_QPA_FONTDIR to a fonts folder it does not ship, and Qt then prints
    a warning for every window. Qt reads the variable when the first window opens.
    """
    current = os.environ.get("QT_QPA_FONTDIR")
    if current is None or os.path.isdir(current):
        return
    for folder in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype",
                   "/usr/share/fonts"):
        if os.path.isdir(folder):
            os.environ["QT_QPA_FONTDIR"] = folder
            return


def run(main: Callable[[], int]) -> None:
    """Run a script's main: UserError, or output that cannot be written (a full disk),
    -> one line on stderr and exit 1; Ctrl+C -> 130."""
    try:
        code = main()
        sys.stdout.flush()  # a closed pipe shows here, inside the try, not at exit
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): its choice, not a failure.
        # Point stdout at /dev/null so Python's own flush at exit does not complain.
        _drop_stdout()
        code = EXIT_OK
    except OSError as exc:
        if exc.errno not in FULL:
            raise
        if exc.filename is None:  # stdout (--json > file on a full disk): it is lost
            _drop_stdout()
        print(f"error: cannot write {exc.filename or 'the output'}: {exc.strerror}",
              file=sys.stderr)
        code = EXIT_FAILED
    sys.exit(code)


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit, of what could not
    be written, does not complain once more."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
