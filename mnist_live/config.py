"""One home for the toolkit's paths and default settings.

Every script, test and benchmark takes its defaults from here, so a setting is
changed in one place. Paths that depend on the machine can be overridden with
environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path

# The folder that holds the three scripts and the shipped model.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The model we ship, produced by mnist_tflite_trainer.py; the scripts use it by default
# wherever they are run from.
DEFAULT_MODEL_PATH = PROJECT_ROOT / "mnist.tflite"

# Data for development, tests and benchmarks (MNIST, photos, USPS). It is read where it
# lies, never copied into the repository. MNIST_LIVE_DATA overrides the location.
DATA_DIR_ENV = "MNIST_LIVE_DATA"


def data_dir() -> Path:
    """The shared data folder: $MNIST_LIVE_DATA, else ../shared/data beside the project."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return (PROJECT_ROOT.parent / "shared" / "data").resolve()


# --- Reading digits -------------------------------------------------------------------

# Results less sure than this are dropped (as in the reference's DETECT_THRESHOLD).
DEFAULT_MIN_CONFIDENCE = 0.7

# How the frame is turned into black and white: "otsu", "adaptive" or a level 0-255.
DEFAULT_THRESHOLD = "otsu"

# Candidates closer to the frame edge than this fraction of the frame's shorter side are
# ignored: a digit cut by the edge cannot be read, and the edge is where a hand or the
# paper's border shows. The reference used a fixed 40 px on a 640x480 frame (~8%).
DEFAULT_BORDER_FRACTION = 0.02

# Interpreter threads: the interpreter is small, two threads suit a Pi and a laptop.
DEFAULT_NUM_THREADS = 2

# Frames larger than this (longer side) are scaled down before digits are looked for;
# boxes are still reported in the frame's own pixels. 1280 keeps 20-px digits readable.
MAX_WORKING_SIDE = 1280

# Pairs of blobs are compared to join broken digits; a frame with more blobs than this
# (a page of print, graph paper, gravel) is not handwriting to repair, and comparing
# every pair would cost more than the frame is worth.
MAX_BLOBS_TO_REPAIR = 200

# A pen skip is bridged when a stroke ends heading at ink at most this fraction of the
# page's digit height away (a skip is a small gap in the line; the skeleton's end stops
# about half a stroke short of the ink's tip on each side of it).
SKIP_REACH = 0.2

# The MNIST box: ink fitted into 20x20, centred by centre of mass in 28x28.
MNIST_SIZE = 28
MNIST_INK_BOX = 20

# --- Live detection -------------------------------------------------------------------

DEFAULT_CAMERA = 0
DEFAULT_SNAPSHOT_DIR = Path("snapshots")

# The live window is fitted to the screen (screen.py): the frame is shown scaled down
# to leave this much room (width, height in pixels) for the window's title bar and
# trackbar and the desktop's panels. When the screen's size cannot be found, it is
# taken to be FALLBACK_SCREEN, which nearly every screen holds.
WINDOW_MARGIN = (40, 160)
FALLBACK_SCREEN = (1280, 720)

# Where the threshold trackbar starts: the reference README's manual level.
DEFAULT_MANUAL_LEVEL = 160

# The ink's polarity (dark on paper, chalk on a board) is found again every this many
# frames read in full, and whenever the light jumps (change.py); it costs about 1 ms
# and changes only when the camera turns elsewhere.
POLARITY_EVERY_FRAMES = 15

# A still page is not read again in every frame (see change.py): a frame is read in full
# when the picture changed since the last full read, and at least this often (once a
# second at a webcam's 30 fps), so a change too faint to notice shows within a second.
REREAD_EVERY_FRAMES = 30

# --- Watching from a browser (--serve, serve.py) ---------------------------------------

# Only this machine can watch unless the user asks for more (--serve 0.0.0.0:PORT).
DEFAULT_SERVE_HOST = "127.0.0.1"
DEFAULT_SERVE_PORT = 8080

# The stream's JPEG quality: 80 keeps the boxes and labels sharp at about 50 KB a
# 640x480 frame, which a Pi's Wi-Fi carries at 30 fps to a few viewers.
SERVE_JPEG_QUALITY = 80

# A viewer that takes this long to send its request, or to take one frame, is dropped:
# a phone that went to sleep must not hold a connection forever.
SERVE_TIMEOUT = 10.0

# The kernel's send buffer for each viewer. Linux lets it grow to megabytes: seconds of
# frames queued for a slow viewer, who would then watch the past. This (doubled by the
# kernel) holds a few frames, still enough for 30 fps over Wi-Fi.
SERVE_SEND_BUFFER = 128 * 1024

# Pictures have no frame rate of their own; shown in a window or a browser they are
# read again this often (reading them as fast as possible would only burn the CPU and
# flood the browser with identical readings).
STILL_IMAGE_FPS = 30.0

# --- Still images -----------------------------------------------------------------------

DEFAULT_PREPROCESSING_DIR = Path("preprocessing_output")

# Step pictures are all saved at the size the pipeline worked at (MAX_WORKING_SIDE, so a
# huge photo's pictures agree with what was read), and never larger than this (longer
# side): a 48-megapixel PNG would take seconds to write.
PICTURE_MAX_SIDE = 1600
