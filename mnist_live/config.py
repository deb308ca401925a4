"""One home for the toolkit's paths and default settings.

Every script, test and benchmark takes its defaults from here, so a setting is
changed in one place. Paths that depend on the machine can be overridden with
environment variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

# The folder that holds the three scripts and the shipped model.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The model we ship, produced by mnist_tflite_trainer.py; the scripts use it by default
# wherever they are run from.
DEFAULT_MODEL_PATH = PROJECT_ROOT / "mnist.tflite"

# Data for development, tests and benchmarks (MNIST, photos, USPS). It is read where it
# lies, never copied into the repository. MNIST_LIVE_DATA overrides the location.
DATA_DIR_ENV = "MNIST_LIVE_DATA"


def user_path(text: str | os.PathLike) -> Path:
    """A path as a user wrote it: "~" and "~user" expanded, a "~name" that names no
    user left as it is (a file may be called that; Path.expanduser raises)."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


def data_dir() -> Path:
    """The shared data folder: $MNIST_LIVE_DATA, else ../shared/data beside the project."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return user_path(override).resolve()
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

# The MNIST box: ink fitted into 20x20, centred by centre of mass in 28x28.
MNIST_SIZE = 28
MNIST_INK_BOX = 20

# --- The reading pipeline's settings, one tree ------------------------------------------
# Sizes are in digit heights (the page's digits, measured in each frame: see scale.py)
# or stroke widths, so one setting holds for a 20-px digit and a 400-px one. Frame
# fractions are used only where the frame itself is the measure (its border).


@dataclass(frozen=True)
class ScaleSettings:
    """How the digits' size is found in each frame (scale.py)."""

    first_guess: float = 0.1
    """The digits' height before anything is measured, as a fraction of the frame's
    shorter side: a page held at arm's length."""
    remeasure: float = 1.8
    """When the height measured on the first binary image differs from the guess by
    more than this factor, the frame is binarized again with its windows sized from
    the measurement (a digit filling the frame, or tiny ones); and when the digits
    measured once ruled lines are out are more than this many times smaller than the
    height the gaps in strokes were closed for, the gaps are closed again for theirs."""
    vouching_digits: int = 3
    """When at least this many digits are read surely, their own median height is the
    page's digit height (and their stroke its pen's: PageSettings.thin_half) ..."""
    vouched_remeasure: float = 1.3
    """... and when the height measured on the blobs is more than this factor off it,
    the hypotheses are searched again with it."""
    small_digit: float = 24.0
    """Digits measured smaller than this (pixels, at the size the frame was read at) are
    read again with more pixels: at the frame's own resolution when it was scaled down
    to the working size, and, still this small there, on the frame enlarged (enlarge);
    never with a longer side than full_resolution_side."""
    full_resolution_side: int = 2048
    """The longest side a frame is read at when its digits are small (pixels)."""
    enlarge: float = 2.0
    """How many times a frame is enlarged (interpolated) when its digits are small at
    its own resolution: at 18 px a pen's stroke is 2-3 px, and the 3-px closing that
    mends breaks would shut a 4's open top. About 4 times the pixels to read, once."""
    min_enlarge: float = 1.25
    """A frame is enlarged only when full_resolution_side lets it grow more than this
    many times: a 1920x1080 frame would gain 7% for another read."""
    stack_overlap: float = 0.25
    """Measuring the height: blobs overlapping sideways by at least this share of the
    narrower one's width, ..."""
    stack_gap: float = 0.15
    """... at most this share of the taller one's height apart, ..."""
    stack_share: float = 0.5
    """... and sharing at most this share of the shorter one's height lie one above the
    other: pieces of a digit broken across its strokes, measured as one
    (scale.typical_height). A blob whose box holds another's is not its piece."""
    height_quantile: float = 90.0
    """A whole digit's height is this percentile of the heights of the stacks holding a
    blob the size of a digit: the digits, not their pieces nor the few tall blobs."""


@dataclass(frozen=True)
class CandidateLimits:
    """What a blob must look like to be sent to the classifier (candidates.py)."""

    border_fraction: float = DEFAULT_BORDER_FRACTION
    """Blobs closer than this fraction of the frame's shorter side to its edge are
    ignored: a digit cut by the edge cannot be read."""
    min_height_px: float = 10
    """Below this height (pixels) a digit has too few pixels to read."""
    min_height_fraction: float = 0.01
    """... nor is a blob shorter than this fraction of the frame's shorter side a digit:
    on a big photo, specks of grain."""
    max_height_fraction: float = 0.95
    """A blob taller than this fraction of the frame is the page's edge or a shadow."""
    max_width_to_height: float = 2.5
    """Wider blobs are lines or underlines."""
    writing_inside: int = 2
    """A blob with a hole that holds this many blobs or more, each as tall as a digit
    can be (min_height_px, min_height_fraction), is a sheet's surround (dark ground
    between coins all around a sheet), not a digit: what its hole holds is read. One
    such blob may be a speck in a big digit's loop; a number's digits are several.
    (Two specks that tall in one loop of a big digit lose it: rare, and not seen on
    the benchmarks.)"""
    min_ink_fraction: float = 0.04
    """Ink pixels / box area: thinner is a hairline (a ruled line's curve, a scratch)."""
    piece_height: float = 0.4
    """Blobs smaller than this both ways (x the smallest digit height: neither as tall
    nor as wide) are specks, not even a piece of a digit."""
    close_gaps: float = 1 / 16
    """The closing that mends tiny breaks in strokes, in digit heights."""
    loop_width: float = 2.0
    """The closing leaves loops open: a hole in the ink (that the smallest closing, 3 px,
    leaves) narrower than this many times the closing's kernel is a loop, kept as it was.
    Its width is taken as 4 x area / perimeter: a round hole's diameter, twice a long
    slit's width; so round loops up to twice the kernel wide are kept, slits up to the
    kernel. A sheet's paper amid a darker surround is a hole too, a wide one."""
    ruled_line: float = 3.0
    """Straight lines longer than this (digit heights) are ruled lines, not strokes."""
    ruled_line_mend: int = 7
    """A stroke crossing a ruled line is mended across this many pixels (odd): lines up
    to 5-6 px thick. In pixels, not digit heights: a line's thickness follows the
    camera, not the writing (0.15 digit heights, at least 7 px, added 4 false digits to
    seed 0's clutter pages and changed nothing else)."""
    ruled_line_thickest: float = 0.15
    """A ruled line is also thinner than this (digit heights, as the odd number of
    pixels not above it; never under the mend): what the long opening keeps that is
    thicker across is a solid area (a dark silhouette, a desk), left whole, not carved
    into upright bars read as 1s."""
    max_blobs_to_repair: int = 200
    """A frame with more blobs than this (a page of print, gravel) is read blob by blob:
    no joins of pieces, which would cost more than the frame is worth."""


@dataclass(frozen=True)
class HypothesisSettings:
    """Which readings of the blobs are proposed to the model, and how one is chosen
    (hypotheses.py)."""

    join_reach: float = 0.2
    """Blobs at most this far apart (digit heights; with the "stacked" rule, or a
    quarter of the taller blob when that is more) may be pieces of one digit: they
    are proposed joined, and the model says whether they are. (0.25 digit heights
    took negatives/ from 0.61 to 0.43 false digits a photo, but scikit-image's
    samples from 0.29 to 0.43, 8 more false digits on seeds 2-3 of the scenes and
    0.3 points of the film's numbers whole.)"""
    join_size: float = 1.3
    """A join must fit one digit: at most this many digit heights tall and wide, ..."""
    join_widest: float = 1.3
    """... and at most this many times as wide as tall (candidates.fits_one_digit)."""
    piece_gap: float = 0.25
    """With the "stacked" rule, blobs at most this share of the taller one's height apart
    are near enough to be pieces of one digit too (join_reach digit heights when that
    is more), when one lies above the other: ..."""
    stacked_overlap: float = 0.25
    """... overlapping sideways by at least this share of the narrower one's width, ..."""
    stacked_share: float = 0.3
    """... or sharing at most this share of the shorter one's height (the two halves of
    a slanted 1 cut in two); see also piece_share (candidates.piece_pairs)."""
    piece_share: float = 0.6
    """A blob less than this share of the height of a blob it is stacked against is a
    piece of that digit (its top bar, its tail): proposed joined to it, and, with the
    "attached" rule, never read alone."""
    max_pieces: int = 5
    """Pieces in one join at most."""
    max_joins: int = 64
    """Joins proposed in one frame at most, smallest first."""
    skip_reach: float = 0.2
    """With the "skips" rule, a pen skip is bridged along the stroke's heading when the
    stroke ends pointing at ink at most this far away (digit heights); else (and
    without the rule) pieces are bridged where closest."""
    skip_facing: float = 0.7
    """A stroke's end heads at ink when the cosine between its heading and the way to
    that ink is at least this (about 45 degrees either side; candidates.skip_bridges)."""
    skip_look_back: float = 1.5
    """A stroke's heading at its end is taken from this many stroke widths back along
    its skeleton (at least 3 pixels): far enough that the pen's round tip does not
    turn it, near enough that a 6's curving loop still heads at its stem."""
    split_valley: float = 0.35
    """A blob wider than tall is cut in two where a column holds less than this share of
    the median column's ink (two touching digits)."""
    exhaustive_limit: int = 10
    """Blobs in a cluster of competing readings searched exhaustively; larger clusters
    are searched greedily."""
    shape_height: float = 0.8
    """With the "shape" rule, a reading shorter than this many digit heights is worth
    proportionally less (a piece is shorter than a digit) ..."""
    shape_width: float = 1.1
    """... and one wider than this many times its height (two digits touching)."""
    rules: frozenset[str] = frozenset({"stacked", "attached", "skips", "shape", "page",
                                       "stroke", "size", "bars", "words", "texture",
                                       "line"})
    """The rules of the search (most kept from before the model could refuse
    non-digits), each measured with and without (python -m mnist_live.bench read
    --without RULE): "stacked" joins only blobs lying one above the other (else any near
    blobs), "attached" never reads a small blob stacked on a bigger one alone, "skips"
    also joins side-by-side blobs where a stroke ends heading at the other and bridges
    joins along their strokes' headings (skip_reach), "shape"
    weighs readings by shape_height and shape_width, "page" by the page evidence
    (page.py), "stroke" by their stroke against the sure digits' (page.stroke_evidence),
    "size" by their height against the sure digits' when the page's was guessed
    (page.size_evidence), "bars" the 1s by the odds that an upright bar is texture's
    (page.bar_evidence; not a 1 beside a digit shown, in its number:
    PageSettings.number_reach), "words" by the model's verdict on the readings beside
    them (words.word_evidence), "texture" leaves out the 1s of a read whose digits look
    like texture's (mostly 1s), not a page's (pipeline.looks_like_a_page), "line"
    lifts the texture evidence from a reading beside a digit shown, on its line, with
    plain paper just around it (pipeline._in_line, PageSettings.line_ring). Retired:
    "sides" (a 1 with paper on one side only, the dark side of an object's edge),
    without which every benchmark read the same once the page evidence measured a fine
    pen's ink sharply."""


@dataclass(frozen=True)
class PageSettings:
    """Where ink sits (page.py): digits are written on plain paper or board, not inside
    texture."""

    ring: float = 0.5
    """How far around a candidate (digit heights) its surroundings are looked at."""
    least_reach: float = 3.0
    """... and at least this far (pixels of the half-size copy the edges are measured
    on), whatever the ring: the ink counts a pixel around it as its own, and a narrower
    ring around a small digit would hold no paper at all, which reads as plain paper."""
    around_blur: float = 1.0
    """The surroundings' edges are measured on the ink averaged down to half size and
    blurred this much (Gaussian sigma, half-size pixels), so paper grain does not
    count ..."""
    own_blur: float = 0.5
    """... and the ink's own edges on the ink max-pooled to half size and blurred only
    this much, so a fine pen's stroke, a pixel wide, keeps its full contrast and its
    edges (averaged down and blurred, it kept half of them, and its page looked like
    texture)."""
    line_ring: float = 0.15
    """With the "line" rule, a reading held back only by its surroundings' texture,
    beside a digit shown on its line (not a 1; number_reach), has that evidence lifted
    when its texture within this many digit heights is at most texture_half: a digit
    near its sheet's edge (the evidence after the search still weighs it).
    Set on filmed pages (bench film), where numbers1's faint, thin 1 stands 16-18 px
    from its sheet's edge: 0.15 read 0.08 false digits a frame, 99.2% recall, 95.0%
    numbers whole (0.07, 98.8%, 92.7% without the rule); 0.1: 0.07, 99.0%, 94.1%;
    0.25: 0.08, 99.1%, 94.3%; with no look at the paper around it: 0.46, 99.4%, 84.7%
    (grass beside a sheet's last digits). The stills read the same (bench read). That
    sweep was made before the surroundings' floor of 3 half-size pixels
    (least_reach): on the film's 34-41 px digits 0.15 now reaches those 6 px, as
    0.1 does (the film read the same with the floor)."""
    texture_half: float = 0.12
    """The texture ratio (edges in the surroundings / edges of the candidate's own ink)
    at which the evidence that it is written on a page falls to one half. Measured on
    the readings the model was sure of (seed 0): 98% of the true digits of each scene
    category lie below 0.11 (ruled paper's highest at 0.115: evidence 0.58), of the real
    photos at most 0.08, of filmed pages below 0.1 (98%); texture's readings at 0.18
    (median; the clutter scenes), 0.22 (scikit-image's photos) and 0.23 (filmed walls).
    Set on filmed pages: 0.13 read 0.10 false digits a frame there, 0.12 read 0.05."""
    texture_steepness: float = 8.0
    """How fast the evidence falls around texture_half: with 8, 0.95 at 0.083, 0.79 at
    0.102, 0.19 at 0.144 and 0.04 at 0.18."""
    size_half: float = 2.5
    """The digits of one page are of a size: a candidate this many times taller than
    the page's digit height (a sheet's shadowed edge, a streak of texture) is half as
    likely to be one of them (smaller ones are not doubted: a small 0 beside tall
    digits is a digit) ..."""
    size_steepness: float = 6.0
    """... and the evidence falls this fast around size_half."""
    thin_half: float = 0.35
    """The digits of one page are written with one pen: a reading whose stroke is this
    thin, as a share of the stroke of the digits read surely (the page edge's hairline,
    small print), is half as likely to be one of them (thicker ones are not doubted: a
    big digit's stroke is thicker) ..."""
    thin_steepness: float = 6.0
    """... and the evidence falls this fast around thin_half."""
    bar_odds: float = 0.12
    """The odds that a reading of a 1 is a digit are this times the model's: a straight
    upright stroke is a 1 to the model (it is never taught as "not a digit"), and a
    camera's scenes are full of them (mortar, the edges of a door or a sheet, a mast's
    lattice). On filmed pages true 1s are read at 0.95 or more in 96% of their frames
    and texture's at 0.87 (median); at these odds a 1 needs just over 0.951 to reach 0.7
    (--min-confidence; 0.953, the int8 model's step), 0.99 becomes 0.92, and the int8
    model's top step 0.968. About
    what a page's digits being 1s a tenth of the time and texture's false digits 89% of
    the time (PolaritySettings.texture_ones) give, 0.1 / 0.89 = 0.11: that, used
    instead, read the same film and lost a digit of equations/ and one or two of the
    scenes of seeds 1-3. Not for a 1 in a number (number_reach) ..."""
    number_reach: float = 1.0
    """... that is, one at most this many digit heights (the taller one's) from a digit
    other than a 1 that is shown beside it on its line (side by side, sharing half the
    shorter one's height, at least half as tall): a 1 of that number, as the model
    reads it. Set on filmed pages (bench film), where numbers1's thin-pen 1 stands
    0.6-0.9 heights from its 3 and was left out in 95% of the frames: at 0.6 nothing
    changed; at 1.0 recall 97.5 -> 98.3%, numbers whole 88.5 -> 92.5%, false digits
    0.05 -> 0.06 a frame."""


@dataclass(frozen=True)
class WordSettings:
    """Letters in words (words.py): a reading whose neighbours on its line the model
    refuses is likely a letter among letters (an `s` in "Desk" read as a 5)."""

    letter_gap: float = 0.15
    """Readings at most this far apart (the taller one's heights) are neighbours in a
    word: letters of print or of one handwritten word; the digits of a number and the
    signs of a sum are written wider apart."""
    letter_height: float = 0.5
    """Neighbours shorter than this share of the reading's height, or taller than its
    inverse, are not counted: a `-`, `=` or `.` beside a digit says nothing of a word,
    nor does a sheet's edge around it (a lower-case letter beside a capital does)."""
    letters_refused: float = 0.7
    """The share of a word's letters the model refuses (the rest look like digits: s,
    l, o, b); measured 0.71-0.74 beside the false digits of the clutter scenes ..."""
    digits_refused: float = 0.1
    """... and the share of the readings beside a number's digits it refuses (a
    broken stroke's piece, a sign): 0.02 on the scenes, 0.12-0.16 on clutter pages and
    the real photos."""
    number_odds: float = 3.0
    """How much likelier (log odds) a reading is a number's digit than a word's letter
    before its neighbours are counted: one refused neighbour alone (a sign of a sum
    written tight, a piece of a broken digit) leaves a sure digit shown (evidence
    0.78), two take it out (0.3)."""


@dataclass(frozen=True)
class InkSettings:
    """How the ink is found (binarize.py). The ink image (paper_window, darkest_paper)
    is made in every mode, for the page evidence and the pictures; the levels, on it
    (0 paper, 255 black), are the "otsu" mode's; adaptive_ fields the adaptive mode's.
    Window sizes in digit heights."""

    paper_window: float = 0.25
    """The paper's light is estimated over this many digit heights (the radius of a
    closing, then a blur): wider than a stroke, so strokes vanish from the estimate, and
    narrow enough to follow a shadow's edge."""
    adaptive_window: float = 0.75
    """--threshold adaptive: OpenCV's window, this many digit heights wide ..."""
    adaptive_offset: int = 10
    """... and how many grey levels darker than its window's weighted mean a pixel must
    be to be ink."""
    darkest_paper: float = 0.05
    """The ink image measures ink against the paper's light, but never against less
    than this share of white (255): in a black border or a night sky, or a frame all
    but black (a covered lens, a dark room), a grey level or two of sensor noise would
    be as "dark" against its ground (1 of 1) as a pen on paper. On scikit-image's
    sample photos the retina's black corners gave 5 false digits, read from grey levels
    0-2; frames of noise about grey level 1-5 gave 0.5-4.4 a frame."""

    min_contrast: float = 0.12
    """No level below this share of the paper's light: Otsu on a nearly empty page
    would split the paper's grain."""
    busy: float = 1 / 3
    """Where this share of the pixels within a digit's height or more are inked at
    the frame's level, the ground is no page (grass, gravel, a brick wall): the level
    is found again over the plainer ground only (never higher) ..."""
    least_plain: float = 0.02
    """... when at least this share of the frame is plain ..."""
    all_plain: float = 0.9
    """... and at most this share (more is a page and little else: its own level is
    kept, and no fainter pen is looked for on it)."""
    faint_busy: float = 0.15
    """On a frame not all page, ground with under this share inked (within a digit's
    height) is paper: a pen fainter than the frame's level is looked for there ..."""
    faint_noise: float = 4.0
    """... with a level at least this many times the paper's own spread (median
    absolute deviation) above its median, so the paper's grain is never ink ..."""
    faint_size: float = 2.0
    """... keeping only what is no larger than this (digit heights, both ways), no
    flatter than a third as tall as wide (a faint ruled line, or a digit joined to
    one, stays as the frame's level drew it) ..."""
    faint_strong: float = 0.25
    """... and holds at most this share of ink at the frame's level (a darker digit
    is not made fatter by its faint rim)."""
    vote_detail: float = 1 / 3
    """The ink's polarity (binarize.ink_is_dark) is voted by the details darker or
    lighter than what is around them and narrower than this many digit heights: the
    strokes, wider than any stroke of those digits ..."""
    vote_far: float = 6.0
    """... this many times the noise's robust spread darker or lighter ..."""
    vote_least_far: float = 10.0
    """... and at least this many grey levels ..."""
    vote_line: float = 2.0
    """... and not on a straight line this many digit heights long (a brick wall's
    mortar, ruled lines, a sheet's edge: no writing)."""
    vote_least_share: float = 0.002
    """With fewer details than this share of the (about 240-px) sample voting, or ...
    """
    vote_big: float = 0.3
    """... with digits this share of the frame's shorter side tall or taller (the paper
    around them is most of the frame), each pixel is compared with the median of its
    neighbourhood instead ..."""
    vote_median_window: float = 1.5
    """... this many digit heights wide (an eighth of the frame at least), and the side
    with more pixels far off it wins."""


@dataclass(frozen=True)
class PolaritySettings:
    """Whether a read's digits, as a set of labels, look like a page's or texture's
    (pipeline.looks_like_a_page): of two reads of a frame, one per polarity of the ink,
    the page's wins, and the 1s of a read that looks like texture are not shown."""

    texture_ones: float = 0.89
    """Of the false digits texture is read as, this share are 1s (25 of 28 on
    scikit-image's sample photos): a brick wall's mortar, cracks, edges."""
    strays: float = 0.3
    """On a page, up to this share of the readings are of its surroundings, read as
    texture's are (the clutter scenes show about a quarter)."""
    page_odds: float = 3.0
    """How much likelier (log odds) a frame shows a page than texture before its
    digits are counted: a lone 1, or "111", is still a page; four 1s or more alone, five
    beside one other digit, seven beside two, nine beside three are not."""
    contrast_ring: int = 3
    """Where reads are weighed by the ink they explain (two reads of the same place,
    two heights of one frame: pipeline._Attempt.explained), the ink counts by how much
    it stands out from the paper just outside it, measured within this many pixels (of
    the image as read) around the ink: read with the wrong polarity, the "ink" is the
    paper's halo around the strokes, as light as the paper beyond it."""


@dataclass(frozen=True)
class NumberSettings:
    """How digits side by side become numbers (numbers.py). Gaps are measured in the
    line's own digit widths."""

    space_factor: float = 2.5
    """A gap wider than this many times the line's usual gap between digits is a space."""
    min_space: float = 0.5
    """... and never narrower than this (digit widths) ..."""
    max_digit_gap: float = 1.2
    """... and a gap wider than this (digit widths) is always a space, ..."""
    even_digit_gap: float = 2.0
    """... unless the line's digits are spaced evenly (three gaps or more, each within
    even_spread times the line's median gap, or every two side by side within even_step
    times each other): then a number may be written this wide ("2 0 2 1" written with
    wide gaps), and "3 + 4 = 7" stays three numbers."""
    even_spread: float = 1.6
    """How far a gap of an evenly spaced line may stray from the line's median gap
    (times, either way). Real hands stay within it (photos/bikz05 photo_1: 0.6-1.1 digit
    widths about 0.86; HYPJUDY 5_A4: 1.0-1.6 about 1.23), while numbers written a space
    apart ("12 34 56": gaps 0.8 and 1.6) do not. At 1.5, photo_1's narrowest gap (0.59,
    1.47 times under the median) crossed the bound as a hand-held camera moved, and
    "05221859" was split in 16-23% of the frames filmed on grass and gravel (bench film:
    numbers whole 77% and 84%; 97% and 97% at 1.6, nothing else changed but a brick
    clip's false digits, 0.19 -> 0.21 a frame)."""
    even_step: float = 1.7
    """How far apart two gaps side by side may be (times, either way) on a line spaced
    evenly by its steps: a hand drifts and a page filmed at a slant widens its gaps
    steadily, so a line may stray far from its median gap in small steps (photos/bikz05
    photo_2's "66666": gaps 0.81, 1.17, 1.81, 1.94 about a median of 1.49, steps of at
    most 1.55), while a space jumps from the gap beside it ("12 34 56" written with gaps
    0.7, 1.4, 0.8, 1.6, 0.9: steps of 1.75-2; "2024 7 9", gaps 0.8 and spaces 1.8:
    2.25). The cost: a space less than this many times the gaps beside it reads as part
    of the number, though it may be up to space_factor times the line's narrow gaps
    ("2024 7" written with gaps 0.7, 0.7, 1.1 and a space of 1.7 reads "20247": the
    shape of "66666"; gaps and spaces alternating less than this apart, too, as they do
    up to even_spread by the median). On filmed pages (bench film) photo_2 was whole
    in 78-80% of the frames without this test (its "66666" read as "666 6 6"), in
    81-86% at 1.5, 89-92% at 1.6 and 96-97% at 1.7."""


@dataclass(frozen=True)
class TrackerSettings:
    """How digits are followed across frames of the live view (tracking.py)."""

    smoothing: float = 0.6
    """Weight of the past in the moving average of probabilities."""
    switch_margin: float = 0.15
    """A new label must beat the current one by this much."""
    max_missed: int = 3
    """Frames a track survives without a detection."""
    established_hits: int = 2
    """Hits before a track may survive a missed frame."""
    min_iou: float = 0.3
    """Overlap for matching a detection to a track."""
    keep_fraction: float = 0.7
    """A digit on show stays on show until its smoothed confidence falls below this
    fraction of --min-confidence: one doubtful frame must not make it blink."""
    near_reach: float = 0.5
    """A detection overlapping a track less than min_iou may still continue it when
    their centres are closer than this (digit heights: a quick move) ..."""
    near_score: float = 0.1
    """... scored at most this, falling to 0 at near_reach: below any overlap that
    counts, so a detection that overlaps wins."""
    same_digit_weight: float = 0.5
    """How much a detection read as the track's digit is preferred: its score is
    multiplied by 1 - this + this x the agreement of their probabilities (cosine)."""
    stale_overlap: float = 0.2
    """A track kept through a missed frame goes when a digit seen now overlaps it by
    more than this (IoU): the page moved and something else stands there."""
    pan_reach: float = 1.5
    """Each track and the nearest detection of its digit, when closer than this (the
    track's heights), show how the page moved; their median move moves every track
    before matching (a pan)."""


@dataclass(frozen=True)
class ChangeSettings:
    """When the live view reads a frame in full, and when it shows the last full read
    again: has the page changed? (change.py; sizes in pixels of its thumbnail, a
    quarter of the frame's.)"""

    reread_every: int = 30
    """A frame is read in full when the picture changed since the last full read, and
    at least this often (once a second at a webcam's 30 fps), so a change too faint to
    notice shows within a second."""
    change_fraction: float = 0.25
    """A thumbnail pixel this share of its surroundings' contrast (the old thumbnail's
    range within contrast_window) darker or brighter than its old neighbourhood is a
    change: a new or wiped stroke 2 px wide or more at 640x480 ..."""
    change_min_level: int = 8
    """... and at least this many grey levels (blank paper has no contrast; a thumbnail
    pixel's noise is a grey level or two)."""
    contrast_window: int = 9
    """The surroundings' side (thumbnail pixels): about a digit."""
    light_jump: float = 1.5
    """The mean brightness changing by more than this factor either way is a change of
    light (a lamp, the camera turned from paper to a board), not exposure drift
    (auto-exposure: about 15%)."""
    max_move: int = 2
    """The page moving more than this (thumbnail pixels, 8 frame pixels) since the
    last full read is a change; a smaller move (a shaking hand) is followed."""


@dataclass(frozen=True)
class PipelineSettings:
    """Every setting of the reading pipeline, with the defaults the scripts use."""

    threshold: str | int = DEFAULT_THRESHOLD
    """How frames become black and white: "otsu", "adaptive" or a level 0-255."""
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    """Digits the model is less sure of (that they are this digit, and a digit at all,
    on a page) are not reported."""
    max_working_side: int = MAX_WORKING_SIDE
    """Larger frames are scaled down to this longer side (pixels) before digits are
    looked for (unless their digits are small, see ScaleSettings)."""
    scale: ScaleSettings = field(default_factory=ScaleSettings)
    limits: CandidateLimits = field(default_factory=CandidateLimits)
    hypotheses: HypothesisSettings = field(default_factory=HypothesisSettings)
    ink: InkSettings = field(default_factory=InkSettings)
    page: PageSettings = field(default_factory=PageSettings)
    polarity: PolaritySettings = field(default_factory=PolaritySettings)
    words: WordSettings = field(default_factory=WordSettings)
    numbers: NumberSettings = field(default_factory=NumberSettings)
    tracker: TrackerSettings = field(default_factory=TrackerSettings)
    change: ChangeSettings = field(default_factory=ChangeSettings)

    def without(self, rules: frozenset[str] | set[str]) -> PipelineSettings:
        """These settings less the hypothesis rules named (HypothesisSettings.rules):
        what each rule earns is measured with and without it."""
        hypotheses = replace(self.hypotheses, rules=self.hypotheses.rules - set(rules))
        return replace(self, hypotheses=hypotheses)


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

# Step pictures are all saved at the size the pipeline worked at (MAX_WORKING_SIDE, or
# up to ScaleSettings.full_resolution_side for small digits, so a huge photo's pictures
# agree with what was read), and never larger than this (longer side): a 48-megapixel
# PNG would take seconds to write.
PICTURE_MAX_SIDE = 1600
