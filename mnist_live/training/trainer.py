"""The whole training run, one step after the other, printing what it does.

    1. data      load and check MNIST; split validation off the training set; add
                 camera-drawn digits and "not a digit" crops to both (examples.py;
                 kept in the search folder, so a resumed run does not draw them again)
    2. search    AutoKeras search (resumable): the best hyperparameters and epoch
    3. refit     the best model trained afresh on ALL training images (training +
                 validation) for the best trial's best epoch count, kept in the search
                 folder (a resumed run reads it back; --fit-only stops here); --no-refit
                 ships the best trial's checkpoint instead (trained without the
                 validation images)
    4. export    float and int8 .tflite, in memory
    5. evaluate  both files through DigitClassifier on all test images, on them drawn
                 thick, thin, broken and blurred, on USPS, and on held-out "not a
                 digit" crops of every kind
    6. write     mnist.tflite (int8 unless it loses too much), the other model, the
                 model card and the pictures, each file atomically

The test split is used in step 5 only: nothing in steps 2-4 looks at it.
The model has 11 outputs: the digits 0-9 and "not a digit".

`mnist_tflite_trainer.py` parses the command line into `TrainerOptions` and calls
`train`.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import cli, config
from ..atomic import write_bytes
from ..errors import DataError
from . import data as data_step
from . import evaluate as evaluate_step
from . import examples as examples_step
from . import export as export_step
from . import report as report_step
from . import search as search_step

MODEL_NAME = "mnist.tflite"  # the shipped model, in the output folder
REPORT_DIR = "model"  # beside it: the other model, the card and the pictures
USPS_FILE = "usps_test_28x28.npz"


@dataclass
class TrainerOptions:
    data: Path | None = None  # None: keras.datasets.mnist
    subset: int | None = None
    validation_fraction: float = 0.1
    output_dir: Path = config.PROJECT_ROOT
    usps: Path | None = None  # None: data_dir()/usps_test_28x28.npz when it exists
    use_usps: bool = True
    max_int8_loss: float = 0.1  # percentage points
    refit: bool = True  # train the best model on all training images before export
    fit_only: bool = False  # stop after the search and the refit (kept in the search folder)
    negatives_per_kind: int = 1000  # held-out "not a digit" crops scored per kind
    examples: examples_step.ExampleSettings = field(
        default_factory=examples_step.ExampleSettings)
    search: search_step.SearchSettings = field(default_factory=search_step.SearchSettings)


def _heading(number: int, text: str) -> None:
    print(f"\n== {number}. {text} ==", flush=True)


def _sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def train(options: TrainerOptions) -> dict:
    """Run every step; return the model card (also written to disk), or {} with
    `fit_only` (nothing is exported)."""
    started = time.perf_counter()
    settings = options.search

    # -- 1. data ---------------------------------------------------------------------
    _heading(1, "data")
    mnist = data_step.load_mnist(options.data)
    print(f"Loaded {mnist.summary()}")
    if options.subset:
        mnist = data_step.take_subset(mnist, options.subset, settings.seed)
        print(f"--subset {options.subset}: using {len(mnist.x_train)} training and "
              f"{len(mnist.x_test)} test images")
    train_split, val_split = data_step.split_validation(
        mnist.x_train, mnist.y_train, options.validation_fraction, settings.seed)
    print(f"Training {len(train_split[0])}, validation {len(val_split[0])} (from the "
          f"training split), test {len(mnist.x_test)} (used only for the final scores)")
    print(f"Images per digit in training: {np.bincount(train_split[1], minlength=10).tolist()}")
    _check_every_class(train_split[1], options.subset, examples_step.NOT_A_DIGIT)
    usps = _load_usps(options)
    # A saved search made with other settings stops the run now, before the examples
    # (minutes of drawing) are drawn and their cache overwritten.
    fingerprint = {
        **settings.describe(), "data_sha256": mnist.sha256, "subset": options.subset,
        "validation_fraction": options.validation_fraction, "epochs": settings.epochs,
        "batch_size": settings.batch_size, "patience": settings.patience,
        "seed": settings.seed,
        "examples": _examples_fingerprint(options, mnist),
    }
    search_step.check_resume(settings, fingerprint)
    lookalikes = examples_step.Lookalikes(mnist.x_train, settings.seed)
    train_set, val_set = _examples(options, mnist, train_split, val_split, lookalikes)
    _check_every_class(train_set.y, options.subset)  # "not a digit" too, now drawn
    print(f"With camera-drawn digits and \"not a digit\" crops (class "
          f"{examples_step.NOT_A_DIGIT}): training {len(train_set.y)} {train_set.counts()}, "
          f"validation {len(val_set.y)}")

    # -- 2. search -------------------------------------------------------------------
    _heading(2, f"search ({settings.search}, up to {cli.counted(settings.max_trials, 'trial')}"
                f" x {cli.counted(settings.epochs, 'epoch')})")
    import keras  # lazy: TensorFlow starts here

    keras.utils.set_random_seed(settings.seed)
    resumed = not settings.overwrite and (
        Path(settings.project_dir) / search_step.PROJECT_NAME / "oracle.json").is_file()
    if resumed:
        print(f"Resuming the search in {settings.project_dir} (--overwrite starts over)")
    auto_model = search_step.build_auto_model(settings)
    search_step.record_settings(settings, fingerprint)
    search_started = time.perf_counter()
    model = search_step.run_search(auto_model, settings, (train_set.x, train_set.y),
                                   (val_set.x, val_set.y))
    search_seconds = time.perf_counter() - search_started
    model.summary()
    trials = search_step.trial_summaries(auto_model)
    best_hps = search_step.best_hyperparameters(auto_model)
    best_trial = auto_model.tuner.oracle.get_best_trials(1)[0]
    print(f"Best trial: #{int(best_trial.trial_id) + 1} of {len(trials)}, val_loss "
          f"{best_trial.score:.4f} at epoch {best_trial.best_step + 1}")
    for name, value in best_hps.items():
        print(f"  {name} = {value}")
    print(f"Search time {search_seconds / 60:.1f} min")

    # -- 3. refit --------------------------------------------------------------------
    if options.refit:
        epochs = search_step.best_epochs(auto_model)
        fit_images = np.concatenate([train_set.x, val_set.x])
        _heading(3, f"refit on all {len(fit_images)} training crops, "
                    f"{cli.counted(epochs, 'epoch')}")
        made_of = {"search": fingerprint, "trial_id": best_trial.trial_id,
                   "hyperparameters": best_hps, "epochs": epochs}
        saved = search_step.load_refit(settings, made_of)
        if saved is not None:
            model, refit = saved
            print(f"Refit trained before ({refit.get('machine', 'here')}), read from "
                  f"{search_step.refit_path(settings)}")
        else:
            model, refit = _refit(auto_model, settings, fit_images,
                                  np.concatenate([train_set.y, val_set.y]), epochs,
                                  best_trial.trial_id)
            search_step.save_refit(model, refit, settings, made_of)
            print(f"Refit time {refit['time_s'] / 60:.1f} min; kept in "
                  f"{search_step.refit_path(settings)}")
    else:
        fit_images = train_set.x
        refit = {
            "done": False,
            "images": len(train_set.x),
            "note": "--no-refit: the best trial's checkpoint (best val_loss epoch), "
                    "trained without the validation images",
        }
        print(f"--no-refit: exporting the best trial's checkpoint (trained on "
              f"{len(train_set.x)} crops)")

    if options.fit_only:
        print("--fit-only: stopping before the export; run the same command without "
              "--fit-only (where TensorFlow is installed) to export, score and write the "
              "models")
        return {}

    # -- 4. export -------------------------------------------------------------------
    _heading(4, "export")
    # Calibration images come from what the exported model was trained on.
    representative = export_step.representative_images(fit_images, settings.seed)
    blobs = {
        "float": export_step.to_float_tflite(model),
        "int8": export_step.to_int8_tflite(model, representative),
    }
    for kind, blob in blobs.items():
        print(f"{kind:5s} model: {len(blob) / 1024:.1f} KB")

    # -- 5. evaluate -----------------------------------------------------------------
    _heading(5, f"evaluate on {len(mnist.x_test)} MNIST test images through DigitClassifier")
    count = min(options.negatives_per_kind, max(20, len(mnist.x_test) // 5))
    print(f"Held out: the test images drawn {', '.join(evaluate_step.SCORED_STYLES)}; "
          f"{count} \"not a digit\" crops of each kind ({', '.join(examples_step.NEGATIVE_KINDS)}"
          ") from random streams no training set uses")
    held_out = evaluate_step.HeldOutSets.make(
        mnist.x_test, mnist.y_test, mnist.x_train, settings.seed, count,
        usps[:2] if usps is not None else None, lookalikes)
    scores: dict[str, evaluate_step.ModelScores] = {}
    with tempfile.TemporaryDirectory(prefix="mnist_live_export_") as scratch:
        for kind, blob in blobs.items():
            path = Path(scratch) / f"{kind}.tflite"
            path.write_bytes(blob)
            scores[kind] = evaluate_step.score_model(path, mnist.x_test, mnist.y_test,
                                                     held_out)
            print(f"{kind:5s} {_score_line(scores[kind])}")
    loss_points = round(100 * (scores["float"].mnist.accuracy
                               - scores["int8"].mnist.accuracy), 6)
    shipped = "int8" if loss_points <= options.max_int8_loss else "float"
    print(f"int8 loses {loss_points:+.3f} points against float (limit "
          f"{options.max_int8_loss}): shipping the {shipped} model")

    # -- 6. write --------------------------------------------------------------------
    _heading(6, "write")
    other = "float" if shipped == "int8" else "int8"
    out = Path(options.output_dir)
    report_dir = out / REPORT_DIR
    paths = {shipped: out / MODEL_NAME, other: report_dir / f"mnist_{other}.tflite"}
    card = {
        "model": MODEL_NAME,
        "shipped": shipped,
        "input": "uint8 [N, 28, 28]: raw pixels 0-255, white digit on black, MNIST form",
        "output": "float32 [N, 11]: probabilities of the digits 0-9 and, last, of "
                  "\"not a digit\"",
        "parameters": int(model.count_params()),
        "files": {
            kind: {"path": str(paths[kind].relative_to(out)), "bytes": len(blobs[kind]),
                   "sha256": _sha256(blobs[kind])}
            for kind in (shipped, other)
        },
        "test": {
            "images": len(mnist.x_test),
            "accuracy": {k: round(v.mnist.accuracy, 5) for k, v in scores.items()},
            "errors": {k: v.mnist.errors for k, v in scores.items()},
            "refused": {k: round(v.mnist.refused, 5) for k, v in scores.items()},
            "note": "an answer \"not a digit\" counts as an error",
            "per_class": {k: v.mnist.per_class() for k, v in scores.items()},
            "measured_with": "mnist_live.classifier.DigitClassifier",
        },
        "styled_test": {
            "images": len(mnist.x_test),
            "how": "each MNIST test image drawn as ink in the style and cut to 28x28 by "
                   "the pipeline's own mnist_crop (mnist_live.training.examples)",
            "accuracy": {k: {s: round(e.accuracy, 5) for s, e in v.styled.items()}
                         for k, v in scores.items()},
        },
        "negatives": {
            "held_out_per_kind": count,
            "how": "drawn from random streams that no training set uses; pieces and "
                   "pairs from MNIST test digits",
            "refused": {k: {kind: round(e.refused, 5) for kind, e in v.negatives.items()}
                        for k, v in scores.items()},
            "refused_overall": {k: round(v.negatives_refused, 5) for k, v in scores.items()},
            "refused_lookalikes_kept_in": {
                k: {kind: round(e.refused, 5) for kind, e in v.unfiltered.items()}
                for k, v in scores.items()},
            "training_examples": train_set.counts(),
            "validation_examples": val_set.counts(),
            "settings": options.examples.describe(),
            "fonts": examples_step.glyphs.font_names(),
            "lookalike_limit": round(lookalikes.limit, 4),
        },
        "usps": (
            {"file": str(options.usps or config.data_dir() / USPS_FILE),
             "images": len(usps[0]), "sha256": usps[2],
             "accuracy": {k: round(v.usps.accuracy, 5) for k, v in scores.items()},
             "note": "other writers and scanner; never used for training or model "
                     "selection (the augmentation strength was chosen with quick runs "
                     "that looked at it)"}
            if usps is not None else None
        ),
        "data": {
            "source": mnist.source, "sha256": mnist.sha256, "subset": options.subset,
            "train_images": len(train_split[0]), "validation_images": len(val_split[0]),
            "validation": f"{options.validation_fraction:.0%} of the training split, "
                          f"seed {settings.seed}",
        },
        "search": settings.describe(),
        "search_settings": {
            "max_trials": settings.max_trials, "epochs": settings.epochs,
            "batch_size": settings.batch_size, "early_stopping_patience": settings.patience,
            "project_dir": str(settings.project_dir),
        },
        "best_trial": {"trial_id": best_trial.trial_id, "val_loss": float(best_trial.score),
                       "epoch": int(best_trial.best_step) + 1},
        "best_hyperparameters": best_hps,
        "refit": refit,
        "trials": trials,
        "seed": settings.seed,
        "training_time_s": round(search_seconds, 1),
        "search_resumed": resumed,  # if so, training_time_s counts only the last part
        "refit_time_s": refit.get("time_s", 0.0),  # 0: --no-refit
        "total_time_s": None,  # filled in below
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": sys.platform},
        "library_versions": report_step.library_versions(),
    }
    # Pictures first and the models last: an interrupted run leaves the old model.
    title = f"{shipped} model, MNIST test"
    best = scores[shipped]
    report_step.plot_confusion(best.mnist, report_dir / "confusion_matrix.png",
                               f"{title}: {100 * best.mnist.accuracy:.2f}%")
    report_step.plot_misclassified(mnist.x_test, best.mnist,
                                   report_dir / "misclassified.png", title)
    report_step.plot_training_curves(trials, report_dir / "training_curves.png",
                                     best_trial.trial_id,
                                     refit.get("history"), len(fit_images))
    report_step.plot_negatives(held_out.negatives, best.negatives,
                               report_dir / "negatives.png")
    report_step.plot_refused_digits(mnist.x_test, best.mnist, report_dir / "refused_digits.png",
                                    title)
    card["total_time_s"] = round(time.perf_counter() - started, 1)
    report_step.write_card(report_dir / "model_card.json", card)
    write_bytes(paths[other], blobs[other])
    write_bytes(paths[shipped], blobs[shipped])
    for path in (paths[shipped], paths[other], report_dir / "model_card.json"):
        print(f"Wrote {path}")
    print(f"Pictures in {report_dir}")
    print(f"Prediction accuracy: {100 * scores[shipped].mnist.accuracy:.3f}% "
          f"({shipped}, {len(blobs[shipped]) / 1024:.1f} KB, {model.count_params()} "
          f"parameters, {card['total_time_s'] / 60:.1f} min)")
    return card


def _refit(auto_model, settings: search_step.SearchSettings, images: np.ndarray,
           labels: np.ndarray, epochs: int, trial_id: str) -> tuple[object, dict]:
    """Train the best trial's model afresh on all training crops; (model, the card's
    record of it)."""
    print(f"The best trial's model again, from scratch, on training + validation "
          f"images; {cli.counted(epochs, 'epoch')} (its best epoch), learning rate as in "
          "the trial, "
          f"batch {settings.batch_size}, seed {settings.seed}; no validation, no early "
          "stopping")
    started = time.perf_counter()
    model, history = search_step.refit_best(auto_model, settings, images, labels, epochs)
    seconds = time.perf_counter() - started
    schedule = "the best trial's, constant (no schedule)"
    if settings.search == "convblock":
        schedule = (f"the search's ({search_step.OPTIMIZER['schedule']} over "
                    f"{settings.epochs} epochs): its first {epochs} epochs")
    return model, {
        "done": True,
        "images": len(images),
        "epochs": epochs,
        "epochs_from": f"trial #{int(trial_id) + 1}'s best epoch (lowest val_loss)",
        "learning_rate": schedule,
        "batch_size": settings.batch_size,
        "seed": settings.seed,
        "validation": "none (all training images are trained on); no early stopping",
        "history": {name: [round(float(v), 6) for v in values]
                    for name, values in history.history.items()
                    if name in ("loss", "accuracy", "learning_rate")},
        "time_s": round(seconds, 1),
        "machine": search_step.machine_description(),
    }


def _score_line(scores: evaluate_step.ModelScores) -> str:
    figures = scores.summary()
    line = (f"Prediction accuracy: {figures['mnist_test_accuracy']:.2f}% "
            f"({scores.mnist.errors} errors, {figures['mnist_test_refused']:.2f}% called "
            "\"not a digit\")")
    if figures["usps_accuracy"] is not None:
        line += f"   USPS: {figures['usps_accuracy']:.2f}%"
    styled = ", ".join(f"{s} {v:.2f}%" for s, v in figures["styled_accuracy"].items())
    kinds = ", ".join(f"{k} {v:.1f}%" for k, v in figures["negatives_refused_by_kind"].items())
    return (f"{line}\n      drawn: {styled}\n      \"not a digit\" held out refused: "
            f"{figures['negatives_refused']:.2f}% ({kinds})")


def _check_every_class(labels: np.ndarray, subset: int | None,
                       classes: int = examples_step.NOT_A_DIGIT + 1) -> None:
    """Refuse a training set without one of the first `classes` classes: AutoKeras
    numbers its outputs by the labels it sees, so the model would have fewer outputs,
    or the digits after a missing one shifted (a small --subset can lack a digit)."""
    missing = sorted(set(range(classes)) - set(np.unique(labels).tolist()))
    digits = [str(c) for c in missing if c != examples_step.NOT_A_DIGIT]
    if digits:
        hint = f": --subset {subset} is too small, try 200 or more" if subset else ""
        raise DataError(f"the training images have no {', '.join(digits)}{hint}")
    if missing:
        raise DataError("no \"not a digit\" crops were drawn: raise --negative-share "
                        "or a --negative-weights weight")


def _examples_fingerprint(options: TrainerOptions, mnist) -> dict:
    return {**options.examples.describe(), "version": examples_step.VERSION,
            "data_sha256": mnist.sha256, "subset": options.subset,
            "validation_fraction": options.validation_fraction,
            "seed": options.search.seed}


def _examples(options: TrainerOptions, mnist, train_split, val_split, lookalikes):
    """The training and validation crops, drawn once and kept beside the search (with
    the settings they were drawn with, in the same file: a run cut short between two
    files cannot pair new crops with old settings)."""
    import json

    from ..atomic import atomic_path

    settings = options.search
    folder = Path(settings.project_dir)
    cache = folder / "examples.npz"
    fingerprint = json.dumps(_examples_fingerprint(options, mnist), sort_keys=True)
    if not settings.overwrite and cache.is_file():
        with np.load(cache, allow_pickle=False) as saved:
            if "fingerprint" in saved.files and str(saved["fingerprint"]) == fingerprint:
                sets = [examples_step.ExampleSet(saved[f"{n}_x"], saved[f"{n}_y"],
                                                 saved[f"{n}_kind"]) for n in ("train", "val")]
                print(f"Examples drawn before, read from {cache}")
                return sets
    started = time.perf_counter()
    sets = [examples_step.build_examples(x, y, settings.seed, options.examples, lookalikes,
                                         stream=stream)
            for stream, (x, y) in enumerate((train_split, val_split))]
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(cache) as temp, open(temp, "wb") as f:
        np.savez(f, fingerprint=np.array(fingerprint),
                 **{f"{n}_{key}": getattr(s, key) for n, s in zip(("train", "val"), sets,
                                                                  strict=True)
                    for key in ("x", "y", "kind")})
    print(f"Examples drawn in {time.perf_counter() - started:.0f} s, kept in {cache}")
    return sets


def _load_usps(options: TrainerOptions):
    """(images, labels, sha256) of the USPS test set, or None to skip it."""
    if not options.use_usps:
        return None
    path = options.usps or config.data_dir() / USPS_FILE
    if options.usps is None and not path.is_file():
        print(f"(no {path}: skipping the USPS score)")
        return None
    try:
        x, y = data_step.load_labelled_npz(path)
    except DataError as exc:
        raise DataError(f"USPS test set: {exc}") from None
    print(f"USPS test set: {len(x)} images from {path} (scored only, never trained on)")
    return x, y, data_step.file_sha256(path)
