"""The benchmark's image sets: test.jpg, the real photos and generated scenes.

Each image comes as a `LabeledImage` that loads its pixels (and, for scenes, draws the
page and its truth) only when asked, so a run over nineteen 2000-px photos and hundreds
of scenes holds one image at a time.
Every benchmark command (read, and later speed or steady) takes its images from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config, scenes
from ..capture import read_image
from ..errors import DataError, UserError

SETS = ("testjpg", "photos", "scenes")
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
    group: str  # the table row it counts in: "test.jpg", "photos/bikz05", "scenes/clean"
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
    """"clean,tilted" -> ("clean", "tilted"); None or "" -> every category."""
    if not text:
        return scenes.CATEGORIES
    categories = tuple(c.strip() for c in text.split(",") if c.strip())
    unknown = [c for c in categories if c not in scenes.CATEGORIES]
    if unknown:
        raise UserError(f"unknown scene categories {', '.join(unknown)}; "
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
