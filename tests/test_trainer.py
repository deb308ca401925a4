"""Tests for the trainer (mnist_tflite_trainer.py and mnist_live.training).

Data checks use tiny .npz and IDX files made in tmp_path. The end-to-end tests run a
real search on a few hundred MNIST images from the shared data folder
(mnist_live.config.data_dir()) and are marked slow; they are skipped when the data is
not there.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnist_live import config
from mnist_live.errors import DataError, UserError
from mnist_live.training import data

# -- tiny data files -----------------------------------------------------------------


def tiny_arrays(n_train=30, n_test=20, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }


def write_npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, data.IDX_UBYTE, array.ndim])
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_folder(folder: Path, arrays: dict, gz: bool = False, dotted: bool = False):
    folder.mkdir(parents=True, exist_ok=True)
    for name, key in zip(data.IDX_NAMES, data.NPZ_KEYS, strict=True):
        if dotted:
            name = name[: name.rindex("-")] + "." + name[name.rindex("-") + 1 :]
        blob = idx_bytes(arrays[key])
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(blob))
        else:
            (folder / name).write_bytes(blob)
    return folder


# -- data: what loads ------------------------------------------------------------------


def test_npz_with_keras_keys_loads(tmp_path):
    arrays = tiny_arrays()
    loaded = data.load_mnist(write_npz(tmp_path / "m.npz", **arrays))
    for key in data.NPZ_KEYS:
        np.testing.assert_array_equal(getattr(loaded, key), arrays[key])
    assert loaded.x_train.dtype == np.uint8 and loaded.y_train.dtype == np.uint8
    assert len(loaded.sha256) == 64


def test_channel_axis_and_int64_labels_are_accepted(tmp_path):
    arrays = tiny_arrays()
    arrays["x_train"] = arrays["x_train"][..., None]
    arrays["y_test"] = arrays["y_test"].astype(np.int64)
    loaded = data.load_mnist(write_npz(tmp_path / "m.npz", **arrays))
    assert loaded.x_train.shape == (30, 28, 28)
    assert loaded.y_test.dtype == np.uint8


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dotted", [False, True])
def test_idx_folder_loads_plain_or_gzip(tmp_path, gz, dotted):
    arrays = tiny_arrays()
    loaded = data.load_mnist(write_idx_folder(tmp_path / "idx", arrays, gz=gz, dotted=dotted))
    for key in data.NPZ_KEYS:
        np.testing.assert_array_equal(getattr(loaded, key), arrays[key])


# -- data: what is refused, and how it is said -----------------------------------------


def expect_data_error(path, *words):
    with pytest.raises(DataError) as caught:
        data.load_mnist(path)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    return message


def test_missing_path(tmp_path):
    expect_data_error(tmp_path / "nope.npz", "not found", "nope.npz")


def test_npz_missing_key(tmp_path):
    arrays = tiny_arrays()
    del arrays["y_test"]
    expect_data_error(write_npz(tmp_path / "m.npz", **arrays), "missing key", "y_test")


def test_npz_float_images(tmp_path):
    arrays = tiny_arrays()
    arrays["x_train"] = arrays["x_train"] / 255.0
    expect_data_error(write_npz(tmp_path / "m.npz", **arrays), "x_train", "float64", "uint8")


def test_npz_wrong_image_shape(tmp_path):
    arrays = tiny_arrays()
    arrays["x_test"] = np.zeros((20, 32, 32), np.uint8)
    expect_data_error(write_npz(tmp_path / "m.npz", **arrays), "x_test", "(20, 32, 32)")


def test_labels_outside_0_to_9(tmp_path):
    arrays = tiny_arrays()
    arrays["y_train"][3] = 10
    expect_data_error(write_npz(tmp_path / "m.npz", **arrays), "y_train", "outside 0-9", "10")


def test_one_hot_labels(tmp_path):
    arrays = tiny_arrays()
    arrays["y_train"] = np.eye(10, dtype=np.uint8)[arrays["y_train"]]
    expect_data_error(write_npz(tmp_path / "m.npz", **arrays), "y_train", "one-hot")


def test_float_labels(tmp_path):
    arrays = tiny_arrays()
    arrays["y_test"] = arrays["y_test"].astype(np.float32)
    expect_data_error(write_npz(tmp_path / "m.npz", **arrays), "y_test", "float32")


def test_image_and_label_counts_differ(tmp_path):
    arrays = tiny_arrays()
    arrays["y_train"] = arrays["y_train"][:-1]
    expect_data_error(write_npz(tmp_path / "m.npz", **arrays), "30", "29", "train")


def test_empty_split(tmp_path):
    arrays = tiny_arrays()
    arrays["x_test"], arrays["y_test"] = arrays["x_test"][:0], arrays["y_test"][:0]
    expect_data_error(write_npz(tmp_path / "m.npz", **arrays), "test", "empty")


def test_corrupt_npz(tmp_path):
    path = tmp_path / "m.npz"
    write_npz(path, **tiny_arrays())
    path.write_bytes(path.read_bytes()[:200])  # cut short
    expect_data_error(path, "m.npz", "not a readable .npz")


def test_text_file_as_npz(tmp_path):
    path = tmp_path / "m.npz"
    path.write_text("hello")
    expect_data_error(path, "not an .npz file (not a zip archive)")


def test_idx_folder_missing_file(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", tiny_arrays())
    (folder / "t10k-labels-idx1-ubyte").unlink()
    expect_data_error(folder, "t10k-labels-idx1-ubyte")


def test_idx_truncated(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", tiny_arrays())
    target = folder / "train-images-idx3-ubyte"
    target.write_bytes(target.read_bytes()[:-5])
    expect_data_error(folder, "train-images-idx3-ubyte", "truncated")


def test_idx_bad_magic(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", tiny_arrays())
    target = folder / "train-labels-idx1-ubyte"
    target.write_bytes(b"\x12\x34" + target.read_bytes()[2:])
    expect_data_error(folder, "train-labels-idx1-ubyte", "magic")


def test_idx_corrupt_gzip(tmp_path):
    folder = write_idx_folder(tmp_path / "idx", tiny_arrays(), gz=True)
    target = folder / "t10k-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:30])
    expect_data_error(folder, "t10k-images-idx3-ubyte.gz", "decompress")


def test_idx_images_with_wrong_size(tmp_path):
    arrays = tiny_arrays()
    arrays["x_train"] = np.zeros((30, 20, 20), np.uint8)
    expect_data_error(write_idx_folder(tmp_path / "idx", arrays), "x_train", "(30, 20, 20)")


# -- splits ----------------------------------------------------------------------------


def test_validation_comes_from_training_split_only(tmp_path):
    loaded = data.load_mnist(write_npz(tmp_path / "m.npz", **tiny_arrays(100, 20)))
    (x_tr, y_tr), (x_val, y_val) = data.split_validation(
        loaded.x_train, loaded.y_train, 0.1, seed=3)
    assert len(x_val) == 10 and len(x_tr) == 90
    # Together they are exactly the training images, each once, with its own label.
    def pairs(x, y):
        return sorted((bytes(image), int(label)) for image, label in zip(x, y, strict=True))

    split = pairs(np.concatenate([x_tr, x_val]), np.concatenate([y_tr, y_val]))
    assert split == pairs(loaded.x_train, loaded.y_train)
    again = data.split_validation(loaded.x_train, loaded.y_train, 0.1, seed=3)
    np.testing.assert_array_equal(again[1][0], x_val)  # same seed, same split


def test_subset(tmp_path):
    loaded = data.load_mnist(write_npz(tmp_path / "m.npz", **tiny_arrays(100, 50)))
    small = data.take_subset(loaded, 40, seed=1)
    assert len(small.x_train) == 40 and len(small.y_train) == 40
    assert len(small.x_test) == 40
    with pytest.raises(DataError):
        data.take_subset(loaded, 5, seed=1)


# -- the command line --------------------------------------------------------------------


def test_help_and_usage_errors(capsys):
    import mnist_tflite_trainer

    with pytest.raises(SystemExit) as caught:
        mnist_tflite_trainer.parse_args(["--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for option in ("--data", "--subset", "--search", "--max-trials", "--epochs", "--seed",
                   "--project-dir", "--overwrite", "--no-refit", "--output-dir"):
        assert option in text
    with pytest.raises(SystemExit) as caught:
        mnist_tflite_trainer.parse_args(["--epochs", "0"])
    assert caught.value.code == 2


@pytest.mark.parametrize("args", [["--max-int8-loss", "nan"], ["--max-int8-loss", "-1"],
                                  ["--camera-share", "nan"],
                                  ["--output-dir", "{blocked}/out"],
                                  ["--project-dir", "{blocked}/search"],
                                  ["--output-dir", ""], ["--data", ""],
                                  ["--seed", "-1"], ["--seed", "4294967296"],
                                  ["--subset", "19"]])
def test_bad_options_and_an_unwritable_output_are_refused_before_any_work(args, tmp_path,
                                                                          capsys):
    import mnist_tflite_trainer

    blocked = tmp_path / "a file"  # a file where a folder should be
    blocked.write_text("")
    with pytest.raises(SystemExit) as caught:
        mnist_tflite_trainer.parse_args([arg.format(blocked=blocked) for arg in args])
    assert caught.value.code == 2
    assert f"error: argument {args[0]}" in capsys.readouterr().err


def test_negative_weights_need_kind_equals_weight(capsys):
    import mnist_tflite_trainer

    with pytest.raises(SystemExit) as caught:
        mnist_tflite_trainer.parse_args(["--negative-weights", "symbols"])
    assert caught.value.code == 2
    assert "expected KIND=WEIGHT" in capsys.readouterr().err


def test_a_subset_lacking_a_digit_stops_before_any_drawing(data_dir, tmp_path):
    # 20 training images (18 after the validation split) lack some digit with this seed.
    result = subprocess.run(
        [sys.executable, str(config.PROJECT_ROOT / "mnist_tflite_trainer.py"), "--subset", "20",
         "--data", str(data_dir / "mnist.npz"), "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "--subset 20 is too small" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "autokeras_search").exists()


def test_a_training_set_lacking_a_class_is_refused():
    # AutoKeras numbers its outputs by the labels it sees: without a 5, the 6 would
    # become the 5th output, silently (a --subset of 50 did that).
    from mnist_live.errors import DataError
    from mnist_live.training.trainer import _check_every_class

    _check_every_class(np.arange(11), None)
    with pytest.raises(DataError, match=r"no 5: --subset 50 is too small"):
        _check_every_class(np.array([0, 1, 2, 3, 4, 6, 7, 8, 9, 10]), 50)
    with pytest.raises(DataError, match="no \"not a digit\" crops were drawn"):
        _check_every_class(np.arange(10), None)


def test_bad_data_is_one_line_and_exit_1(tmp_path):
    result = subprocess.run(
        [sys.executable, str(config.PROJECT_ROOT / "mnist_tflite_trainer.py"),
         "--data", str(tmp_path / "missing.npz"), "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: data not found: {tmp_path / 'missing.npz'}"]
    assert not (tmp_path / "mnist.tflite").exists()


# -- end to end: a tiny real search, refit and export ------------------------------------

MNIST_NPZ = config.data_dir() / "mnist.npz"
needs_mnist = pytest.mark.skipif(not MNIST_NPZ.is_file(), reason=f"no {MNIST_NPZ}")
SUBSET = 1000


def tiny_run_args(out: Path) -> list[str]:
    """A quick try as the trainer's usage shows it: --output-dir, no --project-dir."""
    return [
        "--data", str(MNIST_NPZ), "--subset", str(SUBSET), "--max-trials", "1",
        "--epochs", "1", "--batch-size", "16", "--verbose", "0", "--output-dir", str(out),
    ]


def quick_try_folder(out: Path) -> Path:
    """The folder the tiny run was started from (its working directory)."""
    return out.parent / f"{out.name}_cwd"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny search, refit, export and report, started as a user's quick try from a
    folder of its own; later tests resume it (fast)."""
    import mnist_tflite_trainer

    out = tmp_path_factory.mktemp("tiny_run")
    started_in = quick_try_folder(out)
    started_in.mkdir()
    previous = Path.cwd()
    os.chdir(started_in)
    try:
        assert mnist_tflite_trainer.main(tiny_run_args(out)) == 0
    finally:
        os.chdir(previous)
    card = json.loads((out / "model" / "model_card.json").read_text())
    return out, card


@pytest.mark.slow
@needs_mnist
def test_tiny_search_exports_two_working_models(tiny_run):
    from mnist_live.classifier import ClassifierOptions, DigitClassifier

    out, card = tiny_run
    mnist = data.load_mnist(MNIST_NPZ)
    x_test, y_test = mnist.x_test[:SUBSET], mnist.y_test[:SUBSET]
    shipped = out / "mnist.tflite"
    other_kind = "float" if card["shipped"] == "int8" else "int8"
    other = out / "model" / f"mnist_{other_kind}.tflite"
    kinds = {card["shipped"]: shipped, other_kind: other}
    for kind, path in kinds.items():
        classifier = DigitClassifier(ClassifierOptions(model_path=path))
        # The contract of both files: raw uint8 pixels [N, 28, 28] in.
        assert classifier.input_spec.dtype == np.uint8
        assert not classifier.input_spec.has_channel_axis
        assert classifier.knows_non_digits  # 11 outputs: the digits and "not a digit"
        answers = classifier.all_probabilities(x_test).argmax(1)
        accuracy = float((answers == y_test).mean())
        assert accuracy > 0.5, (kind, accuracy)  # chance is 0.1
        assert card["test"]["accuracy"][kind] == pytest.approx(accuracy, abs=1e-4)
        assert card["files"][kind]["bytes"] == path.stat().st_size
    # The int8 file really is quantized inside (and so much smaller).
    assert kinds["int8"].stat().st_size < 0.5 * kinds["float"].stat().st_size


@pytest.mark.slow
@needs_mnist
def test_tiny_search_card_and_pictures(tiny_run):
    out, card = tiny_run
    for key in ("model", "shipped", "input", "output", "parameters", "files", "test",
                "styled_test", "negatives", "usps", "data", "search",
                "best_hyperparameters", "trials", "seed", "library_versions",
                "training_time_s", "total_time_s"):
        assert key in card, key
    assert set(card["test"]["accuracy"]) == {"float", "int8"}
    assert card["test"]["images"] == SUBSET
    per_class = card["test"]["per_class"][card["shipped"]]
    assert {str(d) for d in range(10)} <= set(per_class) <= {
        *(str(d) for d in range(10)), "not a digit"}
    # Every kind of "not a digit" crop is in training and is scored, held out.
    kinds = {"letters", "symbols", "pieces", "pairs", "clutter"}
    assert set(card["negatives"]["refused"][card["shipped"]]) == kinds
    assert kinds | {"mnist", "camera"} == set(card["negatives"]["training_examples"])
    assert set(card["styled_test"]["accuracy"]["int8"]) == {"thick", "thin", "broken",
                                                              "blurred", "narrow"}
    assert {"precision", "recall", "support"} <= set(per_class["0"])
    assert card["data"]["sha256"] == data.file_sha256(MNIST_NPZ)
    assert card["data"]["train_images"] + card["data"]["validation_images"] == SUBSET
    # The shipped model was trained again on every training image, validation included,
    # for the best trial's best epoch count, with no validation of its own.
    refit = card["refit"]
    assert refit["done"] is True
    crops = sum(card["negatives"]["training_examples"].values()) + sum(
        card["negatives"]["validation_examples"].values())
    assert refit["images"] == crops > SUBSET
    assert refit["epochs"] == card["best_trial"]["epoch"] == 1
    assert set(refit["history"]) >= {"loss", "accuracy"}
    assert all(len(values) == refit["epochs"] for values in refit["history"].values())
    assert not any(name.startswith("val_") for name in refit["history"])
    assert refit["time_s"] > 0 and card["refit_time_s"] == refit["time_s"]
    assert card["seed"] == 42
    assert 0 < card["parameters"] <= 140_000
    assert "conv_block/num_blocks" in card["best_hyperparameters"]
    assert {"tensorflow-cpu", "keras", "autokeras"} <= set(card["library_versions"]) | {
        "tensorflow-cpu"}
    if (config.data_dir() / "usps_test_28x28.npz").is_file():
        assert set(card["usps"]["accuracy"]) == {"float", "int8"}
    for picture in ("confusion_matrix.png", "misclassified.png", "training_curves.png",
                    "negatives.png", "refused_digits.png"):
        assert (out / "model" / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    leftovers = [p.name for p in out.rglob("*.tmp*")]
    assert not leftovers


@pytest.mark.slow
@needs_mnist
def test_even_a_tiny_run_learns_to_refuse_an_obvious_non_digit(tiny_run, mnist_test):
    """One epoch on a thousand digits: a filled block is refused, and symbols are far
    less digit-like to the model than digits are."""
    from mnist_live import glyphs
    from mnist_live.classifier import NOT_A_DIGIT, ClassifierOptions, DigitClassifier
    from mnist_live.normalize import mnist_crop

    out, _ = tiny_run
    model = DigitClassifier(ClassifierOptions(model_path=out / "mnist.tflite"))
    block = np.zeros((60, 50), np.uint8)
    block[5:55, 5:45] = 255
    assert model.all_probabilities(mnist_crop(block)).argmax() == NOT_A_DIGIT
    rng = np.random.default_rng(0)
    symbols = np.stack([mnist_crop(glyphs.draw_text(c, rng)) for c in "#=+%x*"])
    not_digit = model.all_probabilities(symbols)[:, NOT_A_DIGIT].mean()
    on_digits = model.all_probabilities(mnist_test[0][:300])[:, NOT_A_DIGIT].mean()
    assert not_digit > 5 * on_digits


@pytest.mark.slow
@needs_mnist
def test_failed_conversion_leaves_existing_model_untouched(tiny_run, monkeypatch):
    import mnist_tflite_trainer
    from mnist_live.training import export

    out, _ = tiny_run
    shipped = out / "mnist.tflite"
    before = shipped.read_bytes()
    card_before = (out / "model" / "model_card.json").read_bytes()

    def broken(*_args, **_kwargs):
        raise RuntimeError("converter crashed")

    monkeypatch.setattr(export, "to_int8_tflite", broken)
    with pytest.raises(RuntimeError, match="converter crashed"):
        mnist_tflite_trainer.main(tiny_run_args(out))  # resumes the finished search
    assert shipped.read_bytes() == before
    assert (out / "model" / "model_card.json").read_bytes() == card_before


@pytest.mark.slow
@needs_mnist
def test_failure_while_writing_mnist_tflite_keeps_the_old_file(tiny_run, monkeypatch):
    """The disk fills up half-way through writing the new mnist.tflite."""
    import mnist_tflite_trainer

    out, _ = tiny_run
    shipped = out / "mnist.tflite"
    before = shipped.read_bytes()
    real_write_bytes = Path.write_bytes

    def disk_full(self, blob):
        if self.name.startswith(".mnist.") and self.parent == out:  # atomic temp file
            real_write_bytes(self, blob[: len(blob) // 2])
            raise OSError(28, "No space left on device")
        return real_write_bytes(self, blob)

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    with pytest.raises(UserError, match=r"cannot write .*mnist\.tflite: No space left"):
        mnist_tflite_trainer.main(tiny_run_args(out))
    assert shipped.read_bytes() == before
    assert not [p.name for p in out.iterdir() if ".tmp" in p.name]


@pytest.mark.slow
@needs_mnist
def test_no_refit_resumes_the_same_search_and_ships_the_checkpoint(tiny_run, tmp_path,
                                                                   capsys):
    """--no-refit is not part of the search's identity: the finished search resumes."""
    import mnist_tflite_trainer

    out, card = tiny_run
    args = tiny_run_args(out)
    args[args.index("--output-dir") + 1] = str(tmp_path)
    search_dir = out / "autokeras_search"  # the tiny run's search, by default beside it
    assert mnist_tflite_trainer.main([*args, "--project-dir", str(search_dir),
                                      "--no-refit"]) == 0
    checkpoint = json.loads((tmp_path / "model" / "model_card.json").read_text())
    assert checkpoint["search_resumed"] is True
    assert checkpoint["refit"]["done"] is False
    assert checkpoint["refit"]["images"] == sum(
        card["negatives"]["training_examples"].values()) < card["refit"]["images"]
    assert "read from" in capsys.readouterr().out  # the examples were not drawn again
    assert checkpoint["refit_time_s"] == 0
    assert checkpoint["best_trial"] == card["best_trial"]
    assert checkpoint["parameters"] == card["parameters"]  # the same model, other weights


@pytest.mark.slow
@needs_mnist
def test_resume_with_other_settings_is_refused(tiny_run):
    import mnist_tflite_trainer

    out, _ = tiny_run
    args = tiny_run_args(out)
    args[args.index("--batch-size") + 1] = "32"
    with pytest.raises(UserError, match="--overwrite"):
        mnist_tflite_trainer.main(args)


@pytest.mark.slow
def test_every_model_of_the_search_space_fits_the_size_budget():
    from mnist_live.training import search

    sizes = {name: model.count_params()
             for name, model in search.largest_models(search.SearchSettings())}
    assert len(sizes) == 8  # blocks x layers x reduction, each at its widest
    assert max(sizes.values()) <= search.MAX_PARAMS, sizes


@pytest.mark.slow
@needs_mnist
def test_a_quick_try_keeps_its_search_beside_its_outputs_and_blocks_nothing(
        tiny_run, tmp_path, monkeypatch):
    """The quick try (tiny_run: --output-dir, no --project-dir) kept its search in its
    output folder, not where it was started; the README's full command, run from there
    next, passes its argument and resume checks (it would stop with "holds a search made
    with other settings" if it found the quick try's search)."""
    import mnist_tflite_trainer
    from mnist_live.training import search

    out, _ = tiny_run
    assert (out / "autokeras_search" / "mnist" / "oracle.json").is_file()
    started_in = quick_try_folder(out)
    assert list(started_in.iterdir()) == []

    # The full command, with the project folder (its default --output-dir) moved aside:
    # stop it right after its resume check, before any training or writing.
    monkeypatch.chdir(started_in)
    monkeypatch.setattr(config, "PROJECT_ROOT", started_in)
    checked = []

    class ChecksPassed(Exception):
        pass

    def check_then_stop(settings, fingerprint):
        real_check_resume(settings, fingerprint)
        checked.append(Path(settings.project_dir))
        raise ChecksPassed

    real_check_resume = search.check_resume
    monkeypatch.setattr(search, "check_resume", check_then_stop)
    with pytest.raises(ChecksPassed):
        mnist_tflite_trainer.main(["--data", str(MNIST_NPZ), "--verbose", "0"])
    assert checked == [started_in / "autokeras_search"]
    assert not (started_in / "mnist.tflite").exists()


def run_trainer_without(module: str, *args: str) -> subprocess.CompletedProcess:
    """The trainer with one of its packages hidden, as in a reading-only install."""
    code = (f"import runpy, sys; sys.modules[{module!r}] = None; "
            "sys.path.insert(0, sys.argv[1]); sys.argv = sys.argv[2:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')")
    return subprocess.run(
        [sys.executable, "-c", code, str(config.PROJECT_ROOT),
         str(config.PROJECT_ROOT / "mnist_tflite_trainer.py"), *args],
        capture_output=True, text=True, timeout=120, cwd=config.PROJECT_ROOT)


@pytest.mark.parametrize("module", ["tensorflow", "autokeras"])
def test_missing_training_packages_are_one_line_naming_the_install(module, tmp_path):
    result = run_trainer_without(module, "--data", str(tmp_path / "m.npz"),
                                 "--output-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: training needs {module} (not installed): "
        "pip install -r requirements-train.txt"]
    assert list(tmp_path.iterdir()) == []


def test_the_trainer_help_needs_no_training_packages():
    result = run_trainer_without("tensorflow", "--help")
    assert result.returncode == 0 and "--project-dir" in result.stdout


def requirement_lines(name: str) -> list[str]:
    """The requirement lines of a requirements file, its -r includes followed."""
    lines = []
    for line in (config.PROJECT_ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            lines += requirement_lines(line[3:].strip())
        elif line:
            lines.append(line)
    return lines


def test_the_reading_install_has_no_training_packages_and_dev_has_all():
    def names(file):
        return {line.split(";")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
                for line in requirement_lines(file)}

    training = {"tensorflow", "tensorflow-cpu", "keras", "autokeras", "keras-tuner"}
    for reading in ("requirements.txt", "requirements-pi.txt"):
        assert names(reading) == {"numpy", "opencv-python", "ai-edge-litert"}, reading
    assert training <= names("requirements-train.txt")
    assert names("requirements-train.txt") | {"pytest", "ruff"} <= names(
        "requirements-dev.txt")


@pytest.mark.slow
@needs_mnist
def test_fit_only_keeps_the_refit_and_a_later_run_exports_it_without_training(
        tmp_path, capsys):
    """--fit-only (for a GPU machine, any Keras backend) stops after the refit; the same
    command without it then reads the refit model back and only exports and scores."""
    import mnist_tflite_trainer

    out = tmp_path / "out"
    args = [*tiny_run_args(out), "--project-dir", str(tmp_path / "search")]
    assert mnist_tflite_trainer.main([*args, "--fit-only"]) == 0
    assert not (out / "mnist.tflite").exists() and not (out / "model").exists()
    kept = tmp_path / "search" / "mnist" / "refit.keras"
    assert kept.is_file() and kept.with_suffix(".json").is_file()
    capsys.readouterr()

    assert mnist_tflite_trainer.main(args) == 0
    printed = capsys.readouterr().out
    assert "Refit trained before" in printed and "Refit time" not in printed
    card = json.loads((out / "model" / "model_card.json").read_text())
    assert card["refit"]["done"] is True and card["refit"]["epochs"] == 1
    assert "Keras" in card["refit"]["machine"]
    assert card["refit_time_s"] == card["refit"]["time_s"] > 0
    assert (out / "mnist.tflite").stat().st_size > 10_000


def test_negative_weights_option():
    import mnist_tflite_trainer
    from mnist_live.training.examples import NEGATIVE_KINDS, ExampleSettings

    args = mnist_tflite_trainer.parse_args(["--negative-weights", "symbols=2,pieces=0.5"])
    assert args.negative_weights == {**dict.fromkeys(NEGATIVE_KINDS, 1.0),
                                     "symbols": 2.0, "pieces": 0.5}
    split = ExampleSettings(negative_share=0.5, negative_weights=args.negative_weights
                            ).per_kind(1100)
    assert split == {"letters": 100, "symbols": 200, "pieces": 50, "pairs": 100,
                     "clutter": 100}
    assert sum(ExampleSettings().per_kind(1000).values()) == 450  # the default: even
    for bad in ("nonsense=1", "symbols=x", "symbols=-1", "letters=inf", ",".join(
            f"{k}=0" for k in NEGATIVE_KINDS)):
        with pytest.raises(SystemExit) as caught:
            mnist_tflite_trainer.parse_args(["--negative-weights", bad])
        assert caught.value.code == 2


def test_a_digit_whose_drawing_loses_all_ink_stays_mnists_own(monkeypatch):
    """A faint digit drawn thin and cut can lose every stroke (it happened one digit in
    27000 with --camera-share 0.5): the training example is then MNIST's own image,
    not a crash minutes into drawing the examples."""
    from mnist_live import scenes
    from mnist_live.training import examples

    assert scenes._crop_to_ink(np.zeros((6, 9), np.float32)).shape == (
        6 + 2 * scenes.GLYPH_PAD, 9 + 2 * scenes.GLYPH_PAD)
    digit = np.zeros((28, 28), np.uint8)
    digit[10:18, 13:15] = 255
    monkeypatch.setattr(examples, "digit_mask", lambda *_: np.zeros((1, 1), np.uint8))
    out = examples.camera_digit(digit, np.random.default_rng(0), "thin")
    assert np.array_equal(out, digit) and out is not digit


@needs_mnist
def test_narrow_digits_are_drawn_narrower_and_whole():
    """The "narrow" style writes each digit a third to two thirds as wide as it would be
    otherwise, ink and all: never an empty mask, and its crop still a digit's."""
    from mnist_live.training import examples

    digits = data.load_mnist(MNIST_NPZ).x_train[:40]
    ratios = []
    for k, digit in enumerate(digits):
        plain = examples.digit_mask(digit, np.random.default_rng(k), "plain")
        narrow = examples.digit_mask(digit, np.random.default_rng(k), "narrow")
        assert narrow.any() and examples.mnist_crop(narrow).any()
        ratios.append((narrow.shape[1] / narrow.shape[0]) / (plain.shape[1] / plain.shape[0]))
    assert 0.3 < np.median(ratios) < 0.75


@pytest.mark.slow
def test_a_kept_refit_is_reused_only_for_the_same_trial_and_epochs(tmp_path, capsys):
    """A search grown with --max-trials may find another best trial of the same epochs:
    the refit kept for the old one must not be exported under the new one's name."""
    import keras

    from mnist_live.training import search

    settings = search.SearchSettings(project_dir=tmp_path)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    made_of = {"search": {"seed": 42}, "trial_id": "0", "hyperparameters": {"a": 1},
               "epochs": 3}
    search.save_refit(model, {"epochs": 3, "time_s": 1.0}, settings, made_of)
    loaded, record = search.load_refit(settings, made_of)
    assert record == {"epochs": 3, "time_s": 1.0} and loaded.count_params() == 10
    for other in ({**made_of, "trial_id": "2"}, {**made_of, "epochs": 4},
                  {**made_of, "search": {"seed": 1}}):
        assert search.load_refit(settings, other) is None
    search.refit_path(settings).with_suffix(".json").write_text("{not json")
    assert search.load_refit(settings, made_of) is None  # trained again, no traceback
    assert "cannot be read" in capsys.readouterr().out
