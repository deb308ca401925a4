"""Step 1: load MNIST and check that it is what the trainer expects.

Three sources, all giving uint8 images (N, 28, 28), white digit on black, and integer
labels 0-9:

    keras       `keras.datasets.mnist.load_data()` (downloads once; needs internet)
    .npz        a file with Keras' keys x_train, y_train, x_test, y_test
    folder      the four official IDX files (train-images-idx3-ubyte[.gz] ...)

Every problem (missing file, corrupt file, wrong keys, dtype, shape or labels) is
reported as a one-line `DataError`. Only this module reads the data, and the test split
it returns is used for the final evaluation alone.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from ..config import MNIST_SIZE
from ..errors import DataError

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

# The official file names, in the order x_train, y_train, x_test, y_test. Some mirrors
# write `train-images.idx3-ubyte` (a dot instead of the last hyphen); both are accepted.
IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
IDX_UBYTE = 0x08  # the only element type MNIST uses


@dataclass(frozen=True)
class MnistData:
    """The train and test splits plus where they came from."""

    x_train: np.ndarray  # uint8 (N, 28, 28)
    y_train: np.ndarray  # uint8 (N,), 0-9
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # "keras" or the path that was read
    sha256: str  # of the file, or of the four IDX files in order; "" if unknown

    def summary(self) -> str:
        return (
            f"{len(self.x_train)} training and {len(self.x_test)} test images "
            f"{self.x_train.shape[1]}x{self.x_train.shape[2]} from {self.source}"
        )


def load_mnist(path: str | Path | None = None) -> MnistData:
    """Load MNIST from Keras (path None), an .npz file or a folder of IDX files."""
    if path is None:
        arrays, source, digest = _load_keras()
    else:
        path = config.user_path(path)
        if not path.exists():
            raise DataError(f"data not found: {path}")
        if path.is_dir():
            arrays, digest = _load_idx_folder(path)
        else:
            arrays, digest = _load_npz(path)
        source = str(path)
    x_train, y_train, x_test, y_test = (
        _check_images(arrays[0], "x_train", source),
        _check_labels(arrays[1], "y_train", source),
        _check_images(arrays[2], "x_test", source),
        _check_labels(arrays[3], "y_test", source),
    )
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if len(x) != len(y):
            raise DataError(
                f"{source}: {len(x)} {split} images but {len(y)} {split} labels"
            )
        if len(x) == 0:
            raise DataError(f"{source}: the {split} split is empty")
    return MnistData(x_train, y_train, x_test, y_test, source, digest)


def take_subset(data: MnistData, n: int, seed: int) -> MnistData:
    """A quick-run copy: n random training images and the first n test images."""
    if n < 20:
        raise DataError(f"--subset must be at least 20 images, got {n}")
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.permutation(len(data.x_train))[:n])
    return MnistData(
        data.x_train[pick], data.y_train[pick], data.x_test[:n], data.y_test[:n],
        data.source, data.sha256,
    )


def split_validation(
    x: np.ndarray, y: np.ndarray, fraction: float, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split the TRAINING data into (train, validation), shuffled with `seed`."""
    if not 0.0 < fraction < 1.0:
        raise DataError(f"the validation fraction must be between 0 and 1, got {fraction}")
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, round(len(x) * fraction))
    train, val = order[n_val:], order[:n_val]
    return (x[train], y[train]), (x[val], y[val])


def load_labelled_npz(path: str | Path, x_key: str = "x", y_key: str = "y"):
    """Load an extra test set (e.g. USPS in MNIST form): uint8 (N,28,28) and labels."""
    path = config.user_path(path)
    if not path.is_file():
        raise DataError(f"data not found: {path}")
    arrays, _ = _load_npz(path, keys=(x_key, y_key))
    x = _check_images(arrays[0], x_key, str(path))
    y = _check_labels(arrays[1], y_key, str(path))
    if len(x) != len(y):
        raise DataError(f"{path}: {len(x)} images but {len(y)} labels")
    return x, y


def file_sha256(*paths: Path) -> str:
    """sha256 of the files' bytes, read one after the other."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


# -- the three sources -------------------------------------------------------------------


def _load_keras():
    import keras  # lazy: importing Keras (and TensorFlow) takes seconds

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:
        raise DataError(
            f"cannot get MNIST from keras.datasets ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); "
            "offline? pass --data PATH to an mnist.npz or a folder of IDX files"
        ) from None
    # Where load_data() keeps its download (Keras' cache folder), for the data hash.
    cached = Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser()
    cached = cached / "datasets" / "mnist.npz"
    digest = file_sha256(cached) if cached.is_file() else ""
    return (x_train, y_train, x_test, y_test), "keras.datasets.mnist", digest


# How a zip archive starts: a file's header, or (no file in it) the archive's end.
ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")


def _load_npz(path: Path, keys=NPZ_KEYS):
    try:
        # An .npz is a zip archive. Anything else np.load takes for a pickle, and says
        # so ("contains pickled (object) data"), which misleads.
        if Path(path).is_file():
            with open(path, "rb") as file:
                start = file.read(4)
            if start not in ZIP_STARTS:
                raise DataError(f"{path}: not an .npz file (not a zip archive)")
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise DataError(
                    f"{path}: missing key(s) {', '.join(missing)}; expected "
                    f"{', '.join(keys)} (found {', '.join(npz.files) or 'none'})"
                )
            arrays = tuple(npz[k] for k in keys)
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(
            f"{path}: not a readable .npz file ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no details'})"
        ) from None
    return arrays, file_sha256(path)


def _find_idx_file(folder: Path, name: str) -> Path:
    dotted = name[: name.rindex("-")] + "." + name[name.rindex("-") + 1 :]
    for stem in (name, dotted):
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                return candidate
    raise DataError(f"{folder}: no {name} or {name}.gz in this folder")


def _load_idx_folder(folder: Path):
    paths = [_find_idx_file(folder, name) for name in IDX_NAMES]
    arrays = tuple(read_idx(p) for p in paths)
    return arrays, file_sha256(*paths)


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (plain or gzip), checking its header against its size."""
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read or decompress ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{path}: not an IDX file (bad magic number)")
    if raw[2] != IDX_UBYTE:
        raise DataError(f"{path}: IDX element type 0x{raw[2]:02x}; MNIST files are ubyte")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: header says shape {shape} ({expected} bytes) but the file has "
            f"{len(raw) - header} data bytes (truncated or corrupt)"
        )
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


# -- checks ------------------------------------------------------------------------------


def _check_images(x: np.ndarray, name: str, source: str) -> np.ndarray:
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (MNIST_SIZE, MNIST_SIZE):
        raise DataError(
            f"{source}: {name} has shape {x.shape}; expected (N, {MNIST_SIZE}, {MNIST_SIZE})"
        )
    if x.dtype != np.uint8:
        raise DataError(
            f"{source}: {name} has dtype {x.dtype}; expected uint8 pixels 0-255 "
            "(white digit on black)"
        )
    return x


def _check_labels(y: np.ndarray, name: str, source: str) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(
            f"{source}: {name} has shape {y.shape}; expected (N,) integer labels "
            "(not one-hot)"
        )
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{source}: {name} has dtype {y.dtype}; expected integer labels 0-9")
    if len(y) and (y.min() < 0 or y.max() > 9):
        bad = sorted({int(v) for v in y[(y < 0) | (y > 9)]})[:5]
        raise DataError(f"{source}: {name} has labels outside 0-9 (e.g. {bad})")
    return y.astype(np.uint8)
