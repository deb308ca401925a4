"""Step 2: the AutoKeras search space and the search itself.

Two search spaces:

    convblock (default)  ImageInput -> Normalization -> ImageAugmentation (shift and
                         rotation, no flips) -> PenAugmentation (zoom, stroke width,
                         softness; off by default) -> ConvBlock (tuned, with batch
                         norm) -> SpatialReduction (tuned) -> DenseBlock (0 or 1 hidden
                         layer, tuned) -> ClassificationHead (tuned dropout).
                         Every model it can produce has at most MAX_PARAMS parameters
                         (int8 .tflite <= 150 KB) and trains on a 2-core CPU in minutes.
    imageclassifier      `ak.ImageClassifier`, the reference's search. Its trial 2 is a
                         ResNet50 at 224 px and trial 3 downloads EfficientNet weights,
                         and its augmentation flips digits: for GPUs and online use.

The optimizer is fixed (Adam, cosine-decayed learning rate) rather than tuned: the few
trials a CPU can afford are better spent on the architecture.

Keras, TensorFlow and AutoKeras are imported inside the functions (and in `augment`),
so importing this module is cheap.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError

SEARCHES = ("convblock", "imageclassifier")
PROJECT_NAME = "mnist"
MAX_PARAMS = 140_000  # int8 .tflite of about 150 KB

# The tuned part of the default search. Names are AutoKeras' hyperparameter names.
CONV_BLOCK = {
    "kernel_size": [3],  # ConvBlock pools by kernel_size - 1: 5 or 7 would pool 4x, 6x
    "num_blocks": [2, 3],
    "num_layers": [1, 2],
    "filters": [16, 32, 48],  # chosen per layer; 3 blocks x 2 layers x 48 = 107k params
    "max_pooling": [True],
    "separable": [False],
    "batch_norm": [True],  # see blocks.py; not tuned
    "dropout": [0.0, 0.1, 0.25],
}
HIDDEN = {  # an optional Dense layer between the reduction and the head
    "num_layers": [0, 1],
    "num_units": [32, 64],  # 64 x 768 (2 blocks, flatten) still fits MAX_PARAMS
    "dropout": [0.25, 0.5],
}
HEAD = {
    "reduction_type": ["flatten", "global_avg"],
    "dropout": [0.0, 0.25, 0.5],
}
# The first trial: the largest VGG-style net of the space (3 blocks of two 3x3
# convolutions, 48 filters, batch norm, flatten). In 20 epochs it reached 99.55% on the
# validation split, where the 2-block net (32-32/48-48, with or without batch norm)
# stayed at 99.3% after 15 or 30 epochs. Later trials change one group of choices.
FIRST_TRIAL = {
    "conv_block/kernel_size": 3,
    "conv_block/num_blocks": 3,
    "conv_block/num_layers": 2,
    **{f"conv_block/filters_{i}_{j}": 48 for i in range(3) for j in range(2)},
    "conv_block/dropout": 0.1,
    "hidden/num_layers": 0,
    "reduction/reduction_type": "flatten",
    "classification_head/dropout": 0.25,
}
# Augmentation, fixed rather than tuned: the validation split is MNIST, so a search
# would always pick the weakest augmentation whatever it does for other writers.
# Shift and rotation buy +0.2 validation and +0.7 USPS points. The pen augmentation
# (zoom, stroke width, softness; see `augment`) cost 0.1-0.25 validation points and
# bought nothing on USPS in 15-epoch runs, so it is off (0) by default.
AUGMENT = {
    "translation_factor": 0.1,  # up to +-2.8 px
    "rotation_factor": 0.03,  # up to +-11 degrees
    "zoom": 0.0,  # e.g. 0.1: 90%-110%
    "thinnest": 0.0,  # e.g. -0.5: half-way to a 3x3 erosion
    "thickest": 0.0,  # e.g. 1.0: a full 3x3 dilation
    "softness": 0.0,  # e.g. 0.5: half-way to a 3x3 box blur
}
# --pen-augmentation: the settings that were measured (camera crops, markers, pencils).
PEN_AUGMENT = {"zoom": 0.1, "thinnest": -0.5, "thickest": 1.0, "softness": 0.5}
OPTIMIZER = {"optimizer": "adam", "learning_rate": 2e-3, "schedule": "cosine to 1%"}


@dataclass
class SearchSettings:
    search: str = "convblock"
    # With the "not a digit" crops and camera-drawn digits an epoch holds ~78k crops
    # (54k before): 2 trials x 16 epochs and the refit fit 90 minutes on 2 CPU cores.
    # --max-trials may grow or shrink a search and still resume it.
    max_trials: int = 2
    epochs: int = 16
    batch_size: int = 128
    patience: int = 4  # early stopping on val_loss
    learning_rate: float = OPTIMIZER["learning_rate"]
    seed: int = 42
    project_dir: Path = Path("autokeras_search")
    overwrite: bool = False
    verbose: int = 1
    augment: dict = field(default_factory=lambda: dict(AUGMENT))
    first_trial: dict = field(default_factory=lambda: dict(FIRST_TRIAL))

    def describe(self) -> dict:
        """What defines the search (for the card and for the resume check)."""
        if self.search == "imageclassifier":
            return {"search": "imageclassifier (ak.ImageClassifier defaults)"}
        return {
            "search": self.search,
            "pipeline": "ImageInput -> Normalization -> ImageAugmentation -> "
            "PenAugmentation -> ConvBlock (+ batch norm) -> SpatialReduction -> "
            "DenseBlock (0 or 1 layer) -> ClassificationHead",
            "conv_block": CONV_BLOCK,
            "hidden": HIDDEN,
            "classification_head": HEAD,
            "augmentation": self.augment,
            "first_trial": self.first_trial,
            "optimizer": {**OPTIMIZER, "learning_rate": self.learning_rate},
            "max_params": MAX_PARAMS,
            "tuner": "greedy",
            "objective": "val_loss",
        }


def build_auto_model(settings: SearchSettings):
    """Make the AutoKeras AutoModel for `settings.search` (not trained yet)."""
    import autokeras as ak
    import keras_tuner

    from . import augment, blocks, tuner

    common = dict(
        max_trials=settings.max_trials,
        directory=str(settings.project_dir),
        project_name=PROJECT_NAME,
        overwrite=settings.overwrite,
        seed=settings.seed,
    )
    if settings.search == "imageclassifier":
        return ak.ImageClassifier(tuner=tuner.ImageClassifierTunerWithHistory, **common)
    if settings.search != "convblock":
        raise UserError(f"unknown search {settings.search!r}; choose one of {SEARCHES}")
    choice = keras_tuner.engine.hyperparameters.Choice
    a = settings.augment
    inputs = ak.ImageInput()
    x = ak.Normalization()(inputs)
    x = ak.ImageAugmentation(
        translation_factor=a["translation_factor"],
        rotation_factor=a["rotation_factor"],
        zoom_factor=0.0,  # done by PenAugmentation (AutoKeras 3.0.0 skips zoom)
        contrast_factor=0.0,
        horizontal_flip=False,
        vertical_flip=False,
    )(x)
    x = augment.PenAugmentation(
        zoom=a["zoom"], thinnest=a["thinnest"], thickest=a["thickest"],
        softness=a["softness"],
    )(x)
    x = blocks.ConvBlock(
        name="conv_block",
        batch_norm=CONV_BLOCK["batch_norm"][0],
        kernel_size=choice("kernel_size", CONV_BLOCK["kernel_size"]),
        num_blocks=choice("num_blocks", CONV_BLOCK["num_blocks"], default=2),
        num_layers=choice("num_layers", CONV_BLOCK["num_layers"], default=2),
        filters=choice("filters", CONV_BLOCK["filters"], default=32),
        max_pooling=CONV_BLOCK["max_pooling"][0],
        separable=CONV_BLOCK["separable"][0],
        dropout=choice("dropout", CONV_BLOCK["dropout"], default=0.1),
    )(x)
    x = ak.SpatialReduction(name="reduction")(x)  # tuned below; the head then has none
    x = ak.DenseBlock(
        name="hidden",
        num_layers=choice("num_layers", HIDDEN["num_layers"], default=0),
        num_units=choice("num_units", HIDDEN["num_units"], default=64),
        use_batchnorm=False,
        dropout=choice("dropout", HIDDEN["dropout"], default=0.5),
    )(x)
    outputs = ak.ClassificationHead(name="classification_head")(x)

    # Fix the optimizer: AutoKeras would tune it (adam / sgd / adamw, 1e-1 ... 1e-5).
    # Its "adam_weight_decay" schedule is sized by the whole array length (one
    # "step" per epoch), so decay is done by a callback here instead.
    hp = keras_tuner.HyperParameters()
    hp.Fixed("optimizer", OPTIMIZER["optimizer"])
    hp.Fixed("learning_rate", settings.learning_rate)
    # The reduction's and the head's dropout choices are fixed lists in AutoKeras;
    # registering them first narrows them.
    hp.Choice("reduction/reduction_type", HEAD["reduction_type"],
              default=settings.first_trial["reduction/reduction_type"])
    hp.Choice("classification_head/dropout", HEAD["dropout"],
              default=settings.first_trial["classification_head/dropout"])
    return ak.AutoModel(
        inputs=inputs,
        outputs=outputs,
        tuner=tuner.GreedyWithHistory,  # AutoKeras' "greedy", keeping epoch histories
        objective="val_loss",
        hyperparameters=hp,
        tune_new_entries=True,
        initial_hps=[settings.first_trial],
        max_model_size=MAX_PARAMS,
        **common,
    )


def cosine_schedule(epochs: int, start: float, end_fraction: float = 0.01):
    """Learning rate per epoch: cosine from `start` down to `start * end_fraction`."""

    def rate(epoch: int, _current: float) -> float:
        progress = min(epoch / max(1, epochs - 1), 1.0)
        cosine = 0.5 * (1 + math.cos(math.pi * progress))  # 1 -> 0
        return start * (end_fraction + (1 - end_fraction) * cosine)

    return rate


def check_resume(settings: SearchSettings, fingerprint: dict) -> None:
    """Refuse to resume a search that was started with other settings."""
    project = Path(settings.project_dir) / PROJECT_NAME
    record = project / "mnist_live_settings.json"
    if settings.overwrite or not record.is_file():
        return
    previous = json.loads(record.read_text())
    if previous != fingerprint:
        changed = sorted(k for k in set(previous) | set(fingerprint)
                         if previous.get(k) != fingerprint.get(k))
        raise UserError(
            f"{project} holds a search made with other settings ({', '.join(changed)} "
            "differ); pass --overwrite to start over or --project-dir for a new one"
        )


def record_settings(settings: SearchSettings, fingerprint: dict) -> None:
    from ..atomic import write_text

    record = Path(settings.project_dir) / PROJECT_NAME / "mnist_live_settings.json"
    write_text(record, json.dumps(fingerprint, indent=2, sort_keys=True) + "\n")


def _learning_rate_callbacks(settings: SearchSettings) -> list:
    """The search's learning-rate schedule (cosine over `settings.epochs`), if any."""
    import keras

    if settings.search != "convblock":
        return []
    return [keras.callbacks.LearningRateScheduler(
        cosine_schedule(settings.epochs, settings.learning_rate))]


def _quiet_autokeras_warnings() -> None:
    import warnings

    # Two harmless warnings on every trial: AutoKeras feeds the model a bare array
    # where Keras expects a list of one, and the reloaded best model has no optimizer
    # state (it is only used for inference).
    warnings.filterwarnings("ignore", "The structure of `inputs` doesn't match")
    warnings.filterwarnings("ignore", "Skipping variable loading for optimizer")


def run_search(auto_model, settings: SearchSettings, train, validation):
    """Fit the AutoModel: every trial on `train`, judged on `validation`.

    Returns the best trial's best checkpoint as a Keras model (with AutoKeras' cast
    and normalization layers, so it takes raw uint8 pixels [N, 28, 28]); it was
    trained on `train` only. `refit_best` trains the same model on all the data.
    """
    import keras

    _quiet_autokeras_warnings()
    callbacks = [keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=settings.patience, min_delta=1e-4)]
    callbacks += _learning_rate_callbacks(settings)
    # Passing validation_data (not validation_split) and our own EarlyStopping means
    # AutoKeras 3.0.0 does no final training of its own: export_model() returns the
    # best trial's checkpoint, trained without the validation images.
    auto_model.fit(
        train[0], train[1],
        validation_data=validation,
        epochs=settings.epochs,
        batch_size=settings.batch_size,
        callbacks=callbacks,
        verbose=settings.verbose,
    )
    return auto_model.export_model()


def best_epochs(auto_model) -> int:
    """Epochs the best trial trained for up to its best val_loss (AutoKeras' rule)."""
    best = auto_model.tuner.oracle.get_best_trials(1)[0]
    return int(best.best_step) + 1


def refit_best(auto_model, settings: SearchSettings, x, y, epochs: int):
    """Train the best trial's model once more, from scratch, on (x, y): no validation.

    What AutoKeras' own final fit does (`AutoTuner.final_fit`), which AutoKeras 3.0.0
    skips when the search is given validation data: the best hyperparameters build a
    fresh model through the search's graph, so the same cast, Normalization (adapted
    on `x`), augmentation and layers; it trains for `epochs` epochs with the same
    batch size, optimizer and seed, and the search's learning-rate schedule, so epoch
    k has the learning rate epoch k of the trial had. No early stopping: there is
    nothing to judge it on.

    Call after `run_search` (it sets up AutoKeras' data pipeline). Returns the Keras
    model and its history (loss and accuracy per epoch).
    """
    import keras

    _quiet_autokeras_warnings()
    # The raw arrays in AutoKeras' form, as AutoModel.fit passes them to the tuner.
    (x, y), _ = auto_model._check_and_adapt(x, y, None)
    tuner = auto_model.tuner
    tuner.hypermodel.set_fit_args(0, epochs=epochs)
    keras.utils.set_random_seed(settings.seed)
    _pipeline, model, history = tuner.final_fit(
        x=x, y=y,
        epochs=epochs,
        batch_size=settings.batch_size,
        callbacks=_learning_rate_callbacks(settings),
        verbose=settings.verbose,
    )
    return model, history


def refit_path(settings: SearchSettings) -> Path:
    """Where the refit model is kept, beside the search it came from."""
    return Path(settings.project_dir) / PROJECT_NAME / "refit.keras"


def machine_description() -> str:
    """What trained a model: Keras' backend and the device it ran on."""
    import platform

    import keras

    backend = keras.backend.backend()
    device = f"{os.cpu_count()} CPU cores"
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            device = torch.cuda.get_device_name(0)
    elif backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            device = "GPU"
    return f"Keras {keras.__version__} ({backend}), {device}, {platform.machine()}"


def save_refit(model, record: dict, settings: SearchSettings, made_of: dict) -> None:
    """Keep the refit model and what made it (`made_of`: the search's fingerprint, its
    best trial and epochs), so a resumed run (or a run on another machine, see
    --fit-only) exports it without training it again."""
    from ..atomic import atomic_path, write_text

    path = refit_path(settings)
    path.with_suffix(".json").unlink(missing_ok=True)  # never pair a new model with old words
    with atomic_path(path) as temp:  # its name ends in .keras, as Keras insists
        model.save(temp)
    write_text(path.with_suffix(".json"), json.dumps(
        {"made_of": made_of, "refit": record}, indent=2, sort_keys=True) + "\n")


def load_refit(settings: SearchSettings, made_of: dict):
    """(model, record) of a refit kept by `save_refit` from the same search, best trial
    and epochs (`made_of`), or None: none kept, another one, or one that cannot be read
    (then it is trained again)."""
    import keras

    from . import augment, blocks  # noqa: F401  (registers the custom layers)

    path = refit_path(settings)
    record_path = path.with_suffix(".json")
    if settings.overwrite or not path.is_file() or not record_path.is_file():
        return None
    try:
        saved = json.loads(record_path.read_text())
        if saved.get("made_of") != json.loads(json.dumps(made_of)):
            return None
        return keras.models.load_model(path, compile=False), saved["refit"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"(the refit kept in {path} cannot be read, {type(exc).__name__}: "
              f"{str(exc)[:100]}; training it again)")
        return None


def trial_summaries(auto_model) -> list[dict]:
    """Every trial: status, hyperparameters, best score and per-epoch metrics."""
    from . import tuner as tuner_module

    trials = []
    for trial_id, trial in sorted(auto_model.tuner.oracle.trials.items()):
        history = {}
        if isinstance(auto_model.tuner, tuner_module.KeepHistory):
            history = tuner_module.load_history(auto_model.tuner, trial_id)
        trials.append({
            "trial_id": trial_id,
            "status": str(trial.status),
            "score": None if trial.score is None else float(trial.score),
            "best_epoch": None if trial.score is None else int(trial.best_step) + 1,
            "hyperparameters": {k: _plain(v) for k, v in trial.hyperparameters.values.items()},
            "history": {name: [round(v, 5) for v in values]
                        for name, values in history.items()
                        if name in ("loss", "accuracy", "val_loss", "val_accuracy")},
        })
    return trials


def best_hyperparameters(auto_model) -> dict:
    best = auto_model.tuner.oracle.get_best_trials(1)
    if not best:
        return {}
    return {k: _plain(v) for k, v in best[0].hyperparameters.values.items()}


def _plain(value):
    """numpy scalars -> Python scalars, for JSON."""
    return value.item() if hasattr(value, "item") else value


def largest_models(settings: SearchSettings):
    """Yield (description, Keras model) for the largest models the default space allows.

    Parameters grow with every filter count, so the largest model of each shape (blocks,
    layers, reduction) has every filter count at its maximum. Used to check that the
    whole space fits MAX_PARAMS. Builds through AutoKeras' own graph, on a dummy batch.
    """
    import tempfile

    import keras_tuner
    import numpy as np

    x = np.zeros((10, 28, 28), np.uint8)
    y = np.arange(10, dtype=np.uint8)
    widest = max(CONV_BLOCK["filters"])
    with tempfile.TemporaryDirectory() as scratch:
        probe = SearchSettings(**{**settings.__dict__, "project_dir": Path(scratch),
                                  "overwrite": True, "max_trials": 1})
        auto_model = build_auto_model(probe)
        # What AutoModel.fit does before its first trial: learn shapes from the data.
        dataset, _ = auto_model._check_and_adapt(x, y, None)
        auto_model._analyze_data(dataset)
        auto_model._build_hyper_pipeline()
        for blocks in CONV_BLOCK["num_blocks"]:
            for layers in CONV_BLOCK["num_layers"]:
                for reduction in HEAD["reduction_type"]:
                    hp = keras_tuner.HyperParameters()
                    hp.Fixed("conv_block/num_blocks", blocks)
                    hp.Fixed("conv_block/num_layers", layers)
                    hp.Fixed("conv_block/kernel_size", max(CONV_BLOCK["kernel_size"]))
                    for i in range(blocks):
                        for j in range(layers):
                            hp.Fixed(f"conv_block/filters_{i}_{j}", widest)
                    hp.Fixed("reduction/reduction_type", reduction)
                    hp.Fixed("hidden/num_layers", max(HIDDEN["num_layers"]))
                    hp.Fixed("hidden/units_0", max(HIDDEN["num_units"]))
                    auto_model.tuner._prepare_model_build(hp, x=dataset[0], y=dataset[1])
                    model = auto_model.tuner.hypermodel.build(hp)
                    yield f"{blocks} blocks x {layers} layers x {widest}, {reduction}", model
