"""The whole reading pipeline, frame in, digits and numbers out.

    frame -> gray -> working size -> the ink's polarity -> binarize (windows sized by a
          guess of the digits' height) -> blobs -> measure the digits' height on them
          (scale.py) -> ruled lines out -> hypotheses: singles, joins of pieces, splits
          of touching digits (hypotheses.py), their 28x28 crops in one classifier
          invoke, weighed by how plainly each sits on the page (page.py), the best set
          chosen -> each reading weighed by its stroke against the sure digits' (the
          page's pen, page.stroke_evidence), by its height against theirs when the
          page's was guessed (page.size_evidence), a 1 by the odds that it is a bar of
          texture (page.bar_evidence), and by what the model made of its neighbours on its
          line (a letter among refused letters, words.word_evidence), after the texture
          evidence is lifted from a reading in line with a digit shown, on plain paper
          just around it (_in_line: a digit near its sheet's edge); the 1s of a read
          whose digits look like texture's (looks_like_a_page) left out -> confident
          digits -> numbers

When something is unsure, the frame is read more than once and the read whose digits
explain the most ink, standing out from the paper, wins: both polarities when the vote
says light ink (there the read whose digits look like a page's, not texture's mostly
1s, wins first: looks_like_a_page); the guessed and the measured height when they are
far apart. And the blobs' height and the height of the digits read surely when those
differ: there the read whose sure digits are of the height it was read at wins first.

Each stage lives in its own module; this one only chains them and maps boxes back to
the frame's own pixels. `DigitReader.read(frame, keep_steps=True)` also returns the
intermediate pictures that opencv_preprocessing_test.py saves.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from . import hypotheses
from . import scale as scale_step
from .binarize import Binarized, binarize, ink_is_dark, to_gray
from .candidates import (
    Box,
    Candidate,
    PairGeometry,
    Rejected,
    close_gaps,
    find_blobs,
    gap_kernel,
    is_digit_sized,
    remove_ruled_lines,
    unused_reason,
)
from .classifier import DigitClassifier
from .confidence import FLOAT_STEP, json_confidence
from .config import CandidateLimits, PipelineSettings, PolaritySettings
from .numbers import NumberReading, beside_a_digit, in_reading_order
from .page import PageTexture, bar_evidence, certain, size_evidence, stroke_evidence
from .scale import Scale
from .words import word_evidence

# Why the evidence after the search doubted a reading the model was sure of.
THINNER_THAN_THE_PAGE = "thinner than the page's pen"
TALLER_THAN_THE_PAGE = "far taller than the page's digits"
LIKE_A_BAR = "a 1, as likely a bar of texture"
IN_A_WORD = "a letter in a word"
LIKE_TEXTURE = "a 1 of a read that looks like texture"


@dataclass(frozen=True)
class DigitDetection:
    """One digit read in a frame; `box` is (x, y, w, h) in the frame's pixels."""

    digit: int
    confidence: float
    box: Box
    probabilities: np.ndarray = field(repr=False, compare=False)
    # Why a reading the model was sure of is not shown: the evidence after the search
    # doubted it (THINNER_THAN_THE_PAGE, TALLER_THAN_THE_PAGE, LIKE_A_BAR, IN_A_WORD,
    # LIKE_TEXTURE); "" otherwise.
    doubt: str = ""
    # A doubted reading's confidence before that evidence weighed it (what the search
    # chose it with), so a user sees how sure it was; None when not doubted.
    before_doubt: float | None = None

    @property
    def refused(self) -> bool:
        """The model gave every digit nothing (an int8 model rounds it to 0) and the
        page doubted nothing: no digit at all, not an unsure one."""
        return not self.doubt and float(self.probabilities.max()) <= 0.0

    def to_json(self) -> dict:
        return {"digit": self.digit, "confidence": json_confidence(self.confidence),
                "box": list(self.box)}


@dataclass
class FrameReading:
    """What the pipeline read in one frame."""

    width: int
    height: int
    digits: list[DigitDetection]
    numbers: list[NumberReading]
    # The global threshold level used (Otsu's or the manual one); NaN for adaptive.
    level: float = float("nan")
    dark_ink: bool = True  # the ink's polarity: dark on light, or light on dark
    # The digits' height in this frame's pixels: of the digits read, else as measured
    # on its blobs; 0.0 when unknown. And the digits' stroke width: of the readings sure
    # before the stroke evidence weighed them (0.0: none read).
    digit_height: float = 0.0
    stroke: float = 0.0
    # Readings below --min-confidence: the model was not sure, or the page's evidence
    # after the search doubted them (DigitDetection.doubt says which).
    unsure: list[DigitDetection] = field(default_factory=list)
    # Every classified candidate, in the order of `crops`.
    classified: list[DigitDetection] = field(default_factory=list)
    # Boxes thrown out before classification, with the reason (border, size, shape).
    rejected: list[Rejected] = field(default_factory=list)
    # With keep_steps: name -> picture, and the 28x28 crops of all candidates.
    steps: dict[str, np.ndarray] = field(default_factory=dict)
    crops: np.ndarray | None = None

    def to_json(self) -> dict:
        return {
            "digits": [d.to_json() for d in self.digits],
            "numbers": [n.to_json() for n in self.numbers],
        }


def working_image(gray: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Scale `gray` down so its longer side is at most `max_side`; return (image, scale)."""
    longer = max(gray.shape[:2])
    if longer <= max_side:
        return gray, 1.0
    scale = max_side / longer
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), scale


def _to_frame_box(box: Box, scale: float, frame_w: int, frame_h: int) -> Box:
    if scale == 1.0:
        return box
    x, y, w, h = (v / scale for v in box)
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(frame_w, int(np.ceil(x + w))), min(frame_h, int(np.ceil(y + h)))
    return (x0, y0, x1 - x0, y1 - y0)


class DigitReader:
    """Reads digits and numbers in frames with one classifier and one set of settings."""

    def __init__(self, classifier: DigitClassifier, settings: PipelineSettings | None = None):
        self.classifier = classifier
        self.settings = settings or PipelineSettings()

    def read(self, frame: np.ndarray, keep_steps: bool = False,
             dark_ink: bool | None = None, group: bool = True,
             digit_height: float | None = None) -> FrameReading:
        """Read one frame.

        `dark_ink`: the ink's polarity if the caller knows it (the live loop remembers it
        between frames); None finds it out. `digit_height`: the digits' height in the
        frame's pixels if the caller has an idea (the last frame's), else it is guessed;
        it is measured either way. `group=False` leaves `numbers` empty and the digits
        unordered, for a caller that groups digits itself.
        """
        settings = self.settings
        if frame.size == 0:
            raise ValueError(f"cannot read an empty frame (shape {frame.shape})")
        frame_h, frame_w = frame.shape[:2]
        gray_full = to_gray(frame)
        gray, shrink = working_image(gray_full, settings.max_working_side)
        hint = digit_height * shrink if digit_height else None
        guessed = scale_step.guess(gray.shape, settings.scale, hint)
        polarities = [dark_ink]
        if dark_ink is None:
            # Dark ink is read as voted. Light ink is never taken on the vote alone (a
            # brick wall's light mortar beside a page of dark ink votes for it as surely
            # as chalk on a board does), nor against it: a photo's highlights (a cup's
            # rim, a mast against the sky) are as thin and as light as chalk.
            polarities = ([True] if ink_is_dark(gray, guessed.height, settings.ink)
                          else [False, True])
        attempts = [self._attempt(gray_full, gray, shrink, guessed, polarity)
                    for polarity in polarities]
        best = _the_pages_read(attempts)
        page, choice, shrink = best.page, best.choice, best.shrink
        rejected = page.rejected + [
            Rejected(page.blobs[i].box, unused_reason(page.blobs[i].box, page.limits,
                                                      page.cleaned.shape))
            for i in choice.unused]

        def to_detection(candidate: Candidate, probs: np.ndarray,
                         evidence: dict[str, float]) -> DigitDetection:
            box = _to_frame_box(candidate.box, shrink, frame_w, frame_h)
            weighed = _weighed(probs, evidence)
            doubt, before = "", None
            # Why a reading the model was sure of is not shown; and a reading the
            # evidence left at nothing (texture's 1s) always says why.
            if (probs.max() >= settings.min_confidence > weighed.max()
                    or min(evidence.values(), default=1.0) == 0.0):
                doubt = min(evidence, key=evidence.get)  # the strongest doubt
                before = float(probs.max())
            return DigitDetection(int(probs.argmax()), float(weighed.max()), box,
                                  weighed, doubt, before)

        # A reading of a 1 is weighed twice more. An upright bar of texture is a 1 to
        # the model (page.bar_evidence), unless it stands in a number: beside a digit
        # other than a 1 that is shown (numbers.beside_a_digit). And when the sure
        # digits of the read chosen look like texture's, not a page's
        # (looks_like_a_page), its 1s are texture's: not shown (its other digits are:
        # a faint page's amid a brick wall's mortar).
        rules = settings.hypotheses.rules
        if "line" in rules and page.texture is not None:
            choice = _in_line(choice, page.texture, page.scale.height, settings)
        texture_ones = "texture" in rules and not best.writing
        bars = "bars" in rules
        evidence = [{THINNER_THAN_THE_PAGE: stroke, TALLER_THAN_THE_PAGE: size, IN_A_WORD: word}
                    for stroke, size, word in zip(best.stroke_evidence, best.size_evidence,
                                                  _word_evidence(choice, settings),
                                                  strict=True)]
        ones = [p.argmax() == 1 for _, p in choice.read]
        in_a_number = [False] * len(ones)
        if bars and not texture_ones and any(ones):
            shown = [not one and _weighed(p, e).max() >= settings.min_confidence
                     for one, (_, p), e in zip(ones, choice.read, evidence, strict=True)]
            in_a_number = beside_a_digit([c.box for c, _ in choice.read], shown,
                                         settings.page.number_reach, asked=ones)
        for one, (_, p), e, numbered in zip(ones, choice.read, evidence, in_a_number,
                                            strict=True):
            if one:
                e[LIKE_A_BAR] = (bar_evidence(float(p.max()), settings.page)
                                 if bars and not numbered else 1.0)
                e[LIKE_TEXTURE] = 0.0 if texture_ones else 1.0
        classified = [to_detection(c, p, e)
                      for (c, p), e in zip(choice.read, evidence, strict=True)]
        digits = [d for d in classified if d.confidence >= settings.min_confidence]
        # The digits' height as this frame shows it: of the digits read, when there are
        # any (the model vouches for them); else as measured on the blobs; else unknown.
        if digits:
            digit_height = float(np.median([d.box[3] for d in digits]))
        else:
            digit_height = page.scale.height / shrink if page.scale.measured else 0.0
        numbers = []
        if group:
            digits, numbers = in_reading_order(digits, settings.numbers)
        reading = FrameReading(
            width=frame_w, height=frame_h, digits=digits, numbers=numbers,
            level=page.binarized.level, dark_ink=page.binarized.dark_ink,
            digit_height=digit_height,
            stroke=best.page_stroke / shrink,
            unsure=[d for d in classified if d.confidence < settings.min_confidence],
            classified=classified,
            rejected=[Rejected(_to_frame_box(r.box, shrink, frame_w, frame_h), r.reason)
                      for r in rejected],
        )
        if keep_steps:
            reading.steps = {
                "gray": gray_full,
                "ink": page.binarized.ink,
                "binary": page.binarized.binary,
                "cleaned": page.cleaned,
            }
            reading.crops = choice.crops
        return reading

    def _attempt(self, gray_full: np.ndarray, gray: np.ndarray, shrink: float,
                 guessed: Scale, dark_ink: bool) -> _Attempt:
        """Read the working image with this polarity: binarize, measure the digits'
        size, and, when the digits are small, read again with more pixels: at the
        frame's own resolution when it was scaled down, then, when they are small
        there too, on the frame enlarged (ScaleSettings.enlarge)."""
        settings = self.settings
        best = self._best_read(gray, guessed, dark_ink, shrink)
        sizes = settings.scale
        largest = sizes.full_resolution_side / max(gray_full.shape[:2])
        # Each step only when the digits are still small, and worth its pixels: the
        # frame's own resolution (up to full_resolution_side), then the frame enlarged.
        for factor, gain in ((min(1.0, largest), 1.0),
                             (min(sizes.enlarge, largest), sizes.min_enlarge)):
            scale = best.page.scale
            if (not scale.measured or scale.height >= sizes.small_digit
                    or factor <= gain * shrink):
                continue
            if factor <= 1:
                larger, factor = working_image(gray_full, sizes.full_resolution_side)
            else:
                larger = cv2.resize(gray_full, None, fx=factor, fy=factor,
                                    interpolation=cv2.INTER_CUBIC)
            hint = Scale(scale.height * factor / shrink, False)
            best = self._best_read(larger, hint, dark_ink, factor)
            shrink = factor
        return best

    def _best_read(self, gray: np.ndarray, guessed: Scale, dark_ink: bool,
                   shrink: float) -> _Attempt:
        """Binarize with windows sized by `guessed` and measure the digits' size; when
        the measure is far from the guess, binarize again with it. The blobs that look
        like digits decided that measure, so a texture around the page can mislead it:
        when there are two pages, the hypothesis search reads both and the read whose
        digits explain more ink wins."""
        settings = self.settings
        first = self._page(gray, guessed, dark_ink, shrink)
        pages = [first]
        if scale_step.far_off(first.scale, guessed, settings.scale.remeasure):
            pages = [self._page(gray, first.scale, dark_ink, shrink),
                     replace(first, scale=guessed)]
        attempts = [self._choose(page, shrink) for page in pages]
        return max(attempts, key=lambda a: a.worth) if len(attempts) > 1 else attempts[0]

    def _choose(self, page: _Page, shrink: float) -> _Attempt:
        """The hypothesis search on one page. Its digit height came from the blobs; when
        the digits the model is sure of are of another height (blobs of a brick wall or
        grass around a small sheet set it), the search is run again with theirs: joins,
        and the page evidence's sizes, follow the digits. The second read wins when its
        sure digits agree with the height it was read at (the first read's do not, or
        it would not have been made); otherwise the one that explains more ink."""
        settings = self.settings

        def search(page: _Page) -> _Attempt:
            choice = hypotheses.choose(page.blobs, self.classifier, page.limits,
                                       page.cleaned.shape, page.scale.height,
                                       settings.hypotheses, page.texture, page.geometry,
                                       sized=page.scale.measured)
            return _Attempt(page, choice, shrink, settings)

        attempt = search(page)
        vouched = attempt.vouched
        if vouched is not None and scale_step.far_off(vouched, page.scale,
                                                      settings.scale.vouched_remeasure):
            again = search(replace(page, scale=vouched))
            # The first read was made at a height its own sure digits deny (joins of a
            # size no digit of it has, a sheet's edge not doubted as too tall).
            if self._agrees(again):
                return again
            attempt = max(attempt, again, key=lambda a: a.worth)
        return attempt

    def _agrees(self, attempt: _Attempt) -> bool:
        """Whether the read's sure digits vouch for the height it was read at."""
        vouched = attempt.vouched
        return vouched is not None and not scale_step.far_off(
            vouched, attempt.page.scale, self.settings.scale.vouched_remeasure)

    def _page(self, gray: np.ndarray, guessed: Scale, dark_ink: bool,
              shrink: float = 1.0) -> _Page:
        """Binarize with windows sized by `guessed`, find the blobs (ruled lines out)
        and measure the digits' size from those that sit plainly on a page. `shrink`:
        the working image's size against the frame's; on a frame enlarged, a digit
        still needs as many of the frame's own pixels (CandidateLimits.min_height_px)."""
        settings = self.settings
        limits = settings.limits
        if shrink > 1:
            limits = replace(limits, min_height_px=limits.min_height_px * shrink)
        binarized = binarize(gray, settings.threshold, scale=guessed.height, dark_ink=dark_ink,
                             settings=settings.ink)
        cleaned, blobs, rejected, geometry = _blobs(binarized.binary, guessed.height, limits)
        texture = self._texture(binarized, blobs)
        measured = self._measure(blobs, geometry, cleaned.shape, guessed, texture, limits)
        lined = remove_ruled_lines(binarized.binary, measured.height, limits.ruled_line,
                                   limits.ruled_line_mend, limits.ruled_line_thickest)
        if lined is not binarized.binary:  # lines were found and taken out
            cleaned, blobs, rejected, geometry = _blobs(lined, measured.height, limits)
            # The lines joined the digits into one blob with the frame's edges: only
            # now can they be measured, and weighed on the page.
            texture = texture or self._texture(binarized, blobs)
            again = self._measure(blobs, geometry, cleaned.shape, measured, texture, limits)
            if again.measured and again.height * settings.scale.remeasure < measured.height:
                # The gaps were closed for the height measured with the lines in (a
                # brick wall's mortar measured as digits 80 px tall closes the loops of
                # 25-px digits on a sheet into blobs): close them for the digits'. Not
                # the other way: gaps left open are mended by the joins (closing again
                # for larger digits too lost photo_1 and photo_2 3-4 points of recall
                # on filmed brick, measured when the closing still filled loops). The
                # height stays as measured (a filled loop keeps its digit's box), and
                # so do the lines taken out (those longer than ruled_line times the
                # larger height: the fewer, never a digit's own stroke).
                cleaned, blobs, rejected, geometry = _blobs(lined, again.height, limits)
            measured = again if again.measured else measured
        elif (not guessed.hinted
              and not scale_step.far_off(measured, guessed, settings.scale.remeasure)
              and gap_kernel(measured.height, limits.close_gaps)
              > gap_kernel(guessed.height, limits.close_gaps)):
            # The digits measure taller than guessed, but not so far off that the frame
            # is binarized again (_best_read, which also keeps this page as read at the
            # guess): their pen's skips are as much wider, so the gaps are closed again
            # for the height measured (a pen that skips along a stroke leaves a dashed
            # stretch that the closing for the guess left apart). Not when the caller
            # gave the height (Scale.hinted: the live view's, of the digits it read in
            # the frame before): the blobs of a brick wall around the page measure
            # taller, and closed for them a sheet's digits grow into its edge (bench
            # film: numbers1 on brick lost 30 points of recall).
            cleaned, blobs, rejected, geometry = _blobs(binarized.binary, measured.height,
                                                        limits)
        return _Page(binarized, cleaned, blobs, rejected, measured, texture, geometry,
                     limits)

    def _texture(self, binarized: Binarized, blobs: list[Candidate]) -> PageTexture | None:
        """The page evidence around any box, when the rule is on and there is a blob to
        weigh (its edges cost about a millisecond a frame)."""
        if not blobs or "page" not in self.settings.hypotheses.rules:
            return None
        return PageTexture(binarized.ink, binarized.binary, self.settings.page)

    def _measure(self, blobs: list[Candidate], geometry: PairGeometry | None, shape,
                 fallback: Scale, texture: PageTexture | None,
                 limits: CandidateLimits) -> Scale:
        """The digits' size from the blobs the size of a digit that sit plainly on a
        page: wood grain or gravel around a sheet must not set the scale."""
        if geometry is None:  # no blobs, or texture or print: nothing to learn
            return fallback
        digit_sized = np.array([is_digit_sized(b.box, limits, shape) for b in blobs], bool)
        if texture is not None:
            for i in np.flatnonzero(digit_sized):
                digit_sized[i] = texture.plain(blobs[i].box, fallback.height) >= 0.5
        return scale_step.measure(geometry, digit_sized, fallback, self.settings.scale)


def _the_pages_read(attempts: list[_Attempt]) -> _Attempt:
    """Of the reads of one frame (two when the vote says light ink: light first, then
    dark): the read whose digits look like a page's wins, then the one the model
    vouches for more (_Attempt.belief), each counting only the places it reads best.
    Where a sure reading of one lies inside one of the other (the loop of a big 9,
    read against its polarity, is a 0 as sure as the 9; the paper around a digit an
    8), both read the same marks: the one explaining more ink there has the place
    (_Attempt.explained; a blob around several digits against all of them), the
    other's readings are left out of its read's belief. Equals are parted by all the
    ink they explain. A read of texture (a brick wall's mortar, cracks) is mostly 1s;
    a read of nothing on the side the vote chose beats a read of texture on the other,
    not the other way round (a board of chalk 1s is chosen; DigitReader.read leaves its
    1s out when they look like texture: looks_like_a_page).

    Not the ink explained over the whole frame: a sheet laid on a glazed cup and
    saucer, read as light ink, gave the saucer's highlights, big bright blobs read as 1s
    and 7s at 0.7-0.9, ten times the ink of the sheet's six thin digits read at 1.0 as
    dark ink; and a sheet on coins, two big blobs of the coins' texture against 24
    digits, one of them inside a blob."""
    if len(attempts) == 1:
        return attempts[0]
    voted = attempts[0]
    places = [[(_frame_box(c.box, a.shrink), ink) for (c, _), ink in zip(
        a.sure, a.explained, strict=True)] for a in attempts]

    def places_read(i: int) -> list[bool]:
        """Which sure readings of attempt i have their place: not around readings of
        another read that together explain more ink, nor inside one that explains
        more ink than all of attempt i's readings inside it."""
        mine = places[i]
        others = [place for j, theirs in enumerate(places) if j != i for place in theirs]

        def ink_inside(box, readings) -> float:
            return sum(ink for inner, ink in readings if _inside(inner, box))

        return [ink_inside(box, others) <= ink
                and not any(_inside(box, outer) and more > ink_inside(outer, mine)
                            for outer, more in others)
                for box, ink in mine]

    def rank(i: int) -> tuple[bool, float, float]:
        attempt = attempts[i]
        return (attempt.writing and (bool(attempt.sure) or attempt is voted),
                attempt.belief(places_read(i)), attempt.worth)

    return attempts[max(range(len(attempts)), key=rank)]


def _frame_box(box: Box, shrink: float) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in the frame's pixels of a box read at `shrink` times its size."""
    x, y, w, h = box
    return x / shrink, y / shrink, (x + w) / shrink, (y + h) / shrink


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    """Whether (x0, y0, x1, y1) box `inner` lies inside box `outer`."""
    return (inner[0] >= outer[0] and inner[1] >= outer[1]
            and inner[2] <= outer[2] and inner[3] <= outer[3])


def looks_like_a_page(labels: list[int], settings: PolaritySettings) -> bool:
    """Whether these digits, as a set of labels, are likelier read on a page than in
    texture. On a page each digit is about as likely as another, among a share of
    readings of its surroundings (`settings.strays`); texture is read mostly as 1s
    (`settings.texture_ones`). So each 1 is evidence for texture, each other digit for
    a page, against the page's prior odds: with the defaults four 1s or more alone are
    texture, "111" is a page, and no digit at all is a page."""
    texture_one = settings.texture_ones
    texture_other = (1 - texture_one) / 9
    page_one = (1 - settings.strays) * 0.1 + settings.strays * texture_one
    page_other = (1 - settings.strays) * 0.1 + settings.strays * texture_other
    ones = labels.count(1)
    evidence = (ones * math.log(page_one / texture_one)
                + (len(labels) - ones) * math.log(page_other / texture_other))
    return evidence + settings.page_odds >= 0


def _in_line(choice: hypotheses.Choice, texture: PageTexture, height: float,
             settings: PipelineSettings) -> hypotheses.Choice:
    """`choice` with the texture evidence lifted from each reading it alone held back
    (the model and the size evidence would show it) that stands in line with a digit
    shown, other than a 1 (as for the bar evidence), beside it on its line
    (numbers.beside_a_digit, PageSettings.number_reach), and on plain paper just around
    its ink (PageSettings.line_ring): a digit near its sheet's edge, whose wider
    surroundings take in the wall beyond the sheet. A blade of grass beside a sheet's
    last digit stands in line too, but in grass. A lifted reading still meets the
    evidence after the search (stroke, size, bars, words)."""
    read, untextured = choice.read, choice.untextured
    if not untextured:
        return choice
    shown = [p.max() >= settings.min_confidence and p.argmax() != 1 for _, p in read]
    held = [p.max() < settings.min_confidence <= u.max()
            and texture.plain(c.box, height, settings.page.line_ring) >= 0.5
            for u, (c, p) in zip(untextured, read, strict=True)]
    if not any(held) or not any(shown):
        return choice
    lifted = beside_a_digit([c.box for c, _ in read], shown, settings.page.number_reach,
                            asked=held)
    return replace(choice, read=[(c, u if lift else p) for (c, p), u, lift
                                 in zip(read, untextured, lifted, strict=True)])


def _word_evidence(choice: hypotheses.Choice, settings: PipelineSettings) -> list[float]:
    """For each reading sure enough to be shown, a factor for its probabilities: how
    likely it is a digit and not a letter of a word, by the model's verdict on the
    readings beside it on its line (words.word_evidence); 1 for the others."""
    read = choice.read
    if "words" not in settings.hypotheses.rules:
        return [1.0] * len(read)
    return word_evidence([c.box for c, _ in read],
                         np.array([float(p.sum()) for _, p in read]), settings.words,
                         [p.max() >= settings.min_confidence for _, p in read])


def _weighed(probabilities: np.ndarray, evidence: dict[str, float]) -> np.ndarray:
    """A reading's probabilities weighed by the evidence after the search (factors)."""
    return probabilities * math.prod(evidence.values())


def _blobs(binary: np.ndarray, digit_height: float, limits: CandidateLimits):
    """The small gaps in `binary`'s strokes closed for digits `digit_height` tall, and
    the blobs found on it: (cleaned image, blobs, rejected boxes, their geometry)."""
    cleaned = close_gaps(binary, digit_height, limits.close_gaps, limits.loop_width)
    blobs, rejected = find_blobs(cleaned, limits)
    return cleaned, blobs, rejected, _geometry(blobs, limits)


def _geometry(blobs: list[Candidate], limits) -> PairGeometry | None:
    """How each pair of blobs lies (for the scale's measure and the joins), or None
    when there are too many blobs to compare pairs."""
    if not blobs or len(blobs) > limits.max_blobs_to_repair:
        return None
    return PairGeometry([b.box for b in blobs])


def _contrast(gray: np.ndarray, candidate: Candidate, dark_ink: bool, pad: int) -> float:
    """How much darker (dark ink) or lighter the candidate's ink is than the paper just
    outside it (within `pad` pixels), in gray levels; 0 if it is not."""
    x, y, w, h = candidate.box
    x0, y0 = max(0, x - pad), max(0, y - pad)
    region = gray[y0 : y + h + pad, x0 : x + w + pad]
    filled = np.zeros(region.shape, np.uint8)
    # The ink with its loops filled: what lies in a loop is not "outside".
    contours, _ = cv2.findContours(candidate.mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(filled, contours, -1, 255, cv2.FILLED, offset=(x - x0, y - y0))
    ring = cv2.subtract(cv2.dilate(filled, np.ones((2 * pad + 1,) * 2, np.uint8)), filled)
    ink = np.zeros(region.shape, np.uint8)
    ink[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = candidate.mask
    difference = cv2.mean(region, mask=ring)[0] - cv2.mean(region, mask=ink)[0]
    return max(0.0, difference if dark_ink else -difference)


@dataclass
class _Attempt:
    """One read of a frame with one polarity."""

    page: _Page
    choice: hypotheses.Choice
    shrink: float
    settings: PipelineSettings

    @functools.cached_property
    def sure(self) -> list[tuple[Candidate, np.ndarray]]:
        """The readings the model is sure enough of to be shown, before the evidence
        after the search weighs them: (candidate, probabilities)."""
        return [(c, p) for c, p in self.choice.read
                if p.max() >= self.settings.min_confidence]

    @functools.cached_property
    def page_stroke(self) -> float:
        """The stroke width of the readings sure enough to be shown (the page's pen)."""
        return scale_step.stroke_of([c for c, _ in self.sure])

    @functools.cached_property
    def stroke_evidence(self) -> list[float]:
        """For each reading, a factor for its probabilities: how likely it is one of the
        page's digits by its stroke, against the stroke of the digits read surely
        (page.stroke_evidence); all 1 with fewer sure digits than the scale trusts."""
        settings = self.settings
        if ("stroke" not in settings.hypotheses.rules
                or len(self.sure) < settings.scale.vouching_digits):
            return [1.0] * len(self.choice.read)
        return [stroke_evidence(c.stroke, self.page_stroke, settings.page)
                for c, _ in self.choice.read]

    @functools.cached_property
    def vouched(self) -> Scale | None:
        """The digits' height as the digits read surely show it, when enough are."""
        sure = [c.box[3] for c, _ in self.sure]
        if len(sure) < self.settings.scale.vouching_digits:
            return None
        return Scale(float(np.median(sure)), True)

    @functools.cached_property
    def size_evidence(self) -> list[float]:
        """For each reading, a factor for its probabilities: how likely it is one of the
        page's digits by its height, against the height of the digits read surely
        (page.size_evidence), when the search could not weigh sizes itself: the page
        was read at a guessed height (a sheet amid bricks its blobs cannot measure);
        all 1 with fewer sure digits than the scale trusts."""
        settings = self.settings
        if ("size" not in settings.hypotheses.rules or self.page.scale.measured
                or self.vouched is None):
            return [1.0] * len(self.choice.read)
        return [certain(size_evidence(c.box[3], self.vouched.height, settings.page))
                for c, _ in self.choice.read]

    @property
    def writing(self) -> bool:
        """Whether its sure digits look like a page's, not texture's (looks_like_a_page)."""
        return looks_like_a_page([int(p.argmax()) for _, p in self.sure],
                                 self.settings.polarity)

    def belief(self, counted: list[bool]) -> float:
        """How much the model vouches for the readings sure enough to be shown, those
        flagged in `counted`: the sum of their log-odds (each probability kept a tenth
        of a percent, the finest difference worth reading, from 0 and 1). Whatever
        their size: a digit is one digit, however much ink it has."""
        least = FLOAT_STEP
        # Never less than nothing: with --min-confidence under 0.5 a reading shown at
        # 0.3 has negative log-odds, and would count against its read.
        odds = [max(0.0, math.log(q / (1 - q)))
                for q in (min(max(float(p.max()), least), 1 - least) for _, p in self.sure)]
        return sum(o for o, count in zip(odds, counted, strict=True) if count)

    @functools.cached_property
    def explained(self) -> list[float]:
        """For each sure reading, the ink it explains, weighed by how sure it is and by
        how much the ink stands out from the paper just outside it (read with the wrong
        polarity, the "ink" is the paper's halo around the strokes, as light as the
        paper beyond it); counted in the frame's own pixels, whatever size it was read
        at."""
        binarized = self.page.binarized
        return [float(p.max()) * cv2.countNonZero(c.mask)
                * _contrast(binarized.gray, c, binarized.dark_ink,
                            self.settings.polarity.contrast_ring) / self.shrink ** 2
                for c, p in self.sure]

    @functools.cached_property
    def worth(self) -> float:
        """What the hypothesis search maximizes, over the digits that would be shown:
        all the ink they explain (see explained)."""
        return sum(self.explained)


@dataclass
class _Page:
    """One binarization of a frame and what was found in it."""

    binarized: Binarized  # and the working image it was made from (.gray)
    cleaned: np.ndarray
    blobs: list[Candidate]
    rejected: list[Rejected]
    scale: Scale
    texture: PageTexture | None  # the page evidence around any box (page.py)
    geometry: PairGeometry | None  # how each pair of blobs lies (None: too many blobs)
    limits: CandidateLimits  # as they apply at this image's size


__all__ = [
    "DigitDetection",
    "DigitReader",
    "FrameReading",
    "NumberReading",
    "PipelineSettings",
]
