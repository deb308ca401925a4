"""The benchmark's image sets: test.jpg, the real photos, generated scenes, photos with
no digit at all (negatives) and photos of handwritten sums (equations).

Each image comes as a `LabeledImage` that loads its pixels (and, for scenes, draws the
page and its truth) only when asked, so a run over nineteen 2000-px photos and hundreds
of scenes holds one image at a time.
Every benchmark command (read, and later speed or steady) takes its images from here.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config, scenes
from ..capture import read_image, to_bgr8
from ..errors import DataError, UserError

SETS = ("testjpg", "photos", "scenes", "negatives", "equations")
TEST_JPG_TRUTH = Path(__file__).with_name("test_jpg_truth.json")


@dataclass(frozen=True)
class TrueBox:
    """A true digit as read from a truth.json file."""

    digit: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class LabeledImage:
    """One benchmark image: its name, the table row it counts in, how to load it."""

    name: str  # unique and file-name friendly, e.g. "clean_0003" or a photo's stem
    # The table row it counts in: "test.jpg", "photos/bikz05", "scenes/clean". A row
    # with a "/" also counts in its set's overall row ("photos (all)").
    group: str
    # -> (BGR uint8 image, true digits: TrueBox or scenes.TrueDigit, i.e. .digit and .box)
    load: Callable[[], tuple[np.ndarray, list]]


def read_truth(path: Path) -> dict:
    """A truth.json file: {file: {"tier": ..., "digits": [{"digit", "box"}], ...}}."""
    try:
        entries = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"truth file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON: {exc}") from None
    return {
        name: {**entry, "digits": [TrueBox(int(d["digit"]), tuple(d["box"]))
                                   for d in entry["digits"]]}
        for name, entry in entries.items()
    }


def test_jpg(data_dir: Path | None = None) -> list[LabeledImage]:
    """The reference project's own photo, digits 0-9 in two rows."""
    path = (data_dir or config.data_dir()) / "test.jpg"
    truth = read_truth(TEST_JPG_TRUTH)["test.jpg"]["digits"]
    return [LabeledImage("test_jpg", "test.jpg", lambda: (read_image(path), truth))]


def photos(data_dir: Path | None = None) -> list[LabeledImage]:
    """The 19 real photos, grouped by where they come from (truth.json's "tier")."""
    folder = (data_dir or config.data_dir()) / "photos"
    items = []
    for name, entry in sorted(read_truth(folder / "truth.json").items()):
        items.append(LabeledImage(
            Path(name).stem, f"photos/{entry['tier']}",
            lambda path=folder / name, truth=entry["digits"]: (read_image(path), truth),
        ))
    return items


def parse_categories(text: str | None) -> tuple[str, ...]:
    """"clean,tilted" -> ("clean", "tilted"); None or "" -> every category. A --categories
    option's type: an unknown category is a bad option (exit 2)."""
    if not text:
        return scenes.CATEGORIES
    categories = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    if not categories:
        raise argparse.ArgumentTypeError(f"no category in {text!r}")
    unknown = [c for c in categories if c not in scenes.CATEGORIES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown scene categories {', '.join(unknown)}; "
            f"choose from {', '.join(scenes.CATEGORIES)}")
    return categories


def generated_scenes(
    per_category: int, seed: int = 0, categories: Iterable[str] = scenes.CATEGORIES
) -> list[LabeledImage]:
    """`per_category` scenes of each category, drawn when loaded (same seed, same pages)."""
    items = []
    for category in categories:
        for i in range(per_category):
            scene_seed = seed * 1000 + i
            items.append(LabeledImage(
                f"{category}_{scene_seed:04d}", f"scenes/{category}",
                lambda c=category, s=scene_seed: _scene_example(c, s),
            ))
    return items


def _scene_example(category: str, seed: int) -> tuple[np.ndarray, list]:
    scene = scenes.make_scene(category, seed)
    return scene.image, scene.digits


# --- Photos with no digit, and photos of sums ------------------------------------------

# scikit-image's bundled sample photos (no download) that show no digit and no text,
# each with why it is here: what a camera sees around a page. Left out: text, page and
# logo (letters), clock (a clock face), cat (the same photo as
# chelsea), the synthetic ones (checkerboard, colorwheel, shepp_logan_phantom,
# binary_blobs) and the tiny microaneurysms crop. The astronaut's suit patches carry
# print a few pixels high, far below any digit size. We may train on these photos, so
# they are a row of their own, apart from negatives/.
SKIMAGE_NEGATIVES = {
    "astronaut": "a portrait: face, hair, a flag's stripes and stars, a suit",
    "brick": "a brick wall",
    "camera": "a man with a camera on a tripod, grass, buildings",
    "chelsea": "a cat's face: fur and whiskers",
    "coffee": "a cup on a wooden table",
    "coins": "old coins in rows: round blobs with reliefs (no legible legend)",
    "grass": "a lawn, close up",
    "gravel": "gravel, close up",
    "horse": "a black silhouette on white (pen-like strokes: legs, tail)",
    "hubble_deep_field": "stars and galaxies: specks on black",
    "immunohistochemistry": "stained tissue under a microscope: blobs and rings",
    "moon": "the moon's surface: craters",
    "retina": "a retina: thin branching vessels",
    "rocket": "a rocket on its pad at dusk: towers, struts, lights",
}
SKIMAGE_GROUP = "negatives, skimage samples (may be trained on)"


def negatives(data_dir: Path | None = None) -> list[LabeledImage]:
    """The 23 real photos with no digit (negatives/sources.json): every report is false."""
    folder = (data_dir or config.data_dir()) / "negatives"
    sources = folder / "sources.json"
    try:
        names = sorted(json.loads(sources.read_text()))
    except FileNotFoundError:
        raise DataError(f"list of negatives not found: {sources}") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{sources} is not valid JSON: {exc}") from None
    return [LabeledImage(Path(name).stem, "negatives",
                         lambda path=folder / name: (read_image(path), []))
            for name in names]


def skimage_negatives() -> list[LabeledImage]:
    """scikit-image's sample photos without digits or text (SKIMAGE_NEGATIVES)."""
    return [LabeledImage(f"skimage_{name}", SKIMAGE_GROUP,
                         lambda name=name: (skimage_photo(name), []))
            for name in SKIMAGE_NEGATIVES]


def skimage_photo(name: str) -> np.ndarray:
    """One of scikit-image's bundled sample images as 8-bit BGR."""
    try:
        import skimage.data
    except ImportError:
        raise UserError("scikit-image is needed for its sample photos: "
                        "pip install -r requirements-train.txt") from None
    image = np.asarray(getattr(skimage.data, name)())
    if image.dtype == bool:  # the horse: a silhouette, True on the white ground
        image = image.astype(np.uint8) * 255
    if image.ndim == 3:  # RGB (or RGBA) -> BGR (or BGRA)
        image = image[..., [2, 1, 0, *range(3, image.shape[2])]]
    return np.ascontiguousarray(to_bgr8(image))


def equations(data_dir: Path | None = None) -> list[LabeledImage]:
    """The 8 photos of handwritten sums: digits among + - x = ( ) marks."""
    folder = (data_dir or config.data_dir()) / "equations"
    return [LabeledImage(Path(name).stem, "equations",
                         lambda path=folder / name, truth=entry["digits"]:
                         (read_image(path), truth))
            for name, entry in sorted(read_truth(folder / "truth.json").items())]


def equation_marks(data_dir: Path | None = None) -> int:
    """How many handwritten marks that are not digits the equations show in all."""
    folder = (data_dir or config.data_dir()) / "equations"
    return sum(int(entry.get("non_digit_marks", 0))
               for entry in read_truth(folder / "truth.json").values())
