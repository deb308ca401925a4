#!/usr/bin/env python3
"""Train the MNIST digit model with AutoKeras and export it as TensorFlow Lite (LiteRT).

The model has 11 outputs: the digits 0-9 and "not a digit", so that the live script
can refuse letters, symbols, pieces of digits, two touching digits and texture instead
of reading them as digits.

What it does:
    1. loads MNIST (Keras' download, an .npz with Keras' keys, or a folder of the four
       IDX files) and checks it; 10% of the training split becomes the validation set;
       both get digits drawn as a camera sees them (thick, thin, broken, blurred,
       small, narrow) and "not a digit" crops the trainer draws itself (letters and
       symbols in Hershey and TrueType fonts, pieces and pairs of training digits,
       blobs from scikit-image's sample photos and made textures), all cut to 28x28
       like the pipeline cuts them
    2. searches a small CNN with AutoKeras (resumable; see --project-dir): the
       validation set picks the model and its number of epochs
    3. refits: trains that model afresh on ALL training images (validation set
       included) for that many epochs (--no-refit skips this)
    4. exports it twice: float32 and full-integer int8, both taking raw
       uint8 pixels [N, 28, 28] like the reference model
    5. scores both files through the same DigitClassifier the live script uses: all
       MNIST test images ("not a digit" counts as wrong), the same drawn thick, thin,
       broken, blurred and narrow, USPS digits (other writers) and held-out "not a digit" crops
    6. writes mnist.tflite (the int8 model unless it loses more than 0.1 points) and,
       in model/, the other model, model_card.json and five pictures

Usage:
    python mnist_tflite_trainer.py --data ../shared/data/mnist.npz     # the shipped model
    python mnist_tflite_trainer.py                                      # MNIST via Keras
    python mnist_tflite_trainer.py --data ../shared/data/mnist.npz --subset 2000 \\
        --max-trials 1 --epochs 2 --output-dir /tmp/quick               # a quick try

A search interrupted with Ctrl+C resumes when the same command is run again;
--overwrite starts over. Resuming a finished search only refits, exports and scores,
and the refit model is kept beside the search too, so a run resumed after it (or one
that trained elsewhere with --fit-only) only exports and scores; --no-refit is not part
of the search's settings, so it never blocks a resume.

Exit status: 0 done, 1 failed (one-line reason), 2 bad options, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
from pathlib import Path

from mnist_live import cli, config
from mnist_live.errors import UserError
from mnist_live.training import examples as examples_step
from mnist_live.training import search
from mnist_live.training.trainer import USPS_FILE, TrainerOptions, train

# What training needs beyond the reading set (import names), all in requirements-train.txt.
TRAINING_MODULES = ("tensorflow", "keras", "autokeras", "keras_tuner", "tensorboard",
                    "matplotlib", "skimage", "tqdm")
TRAINING_REQUIREMENTS = config.PROJECT_ROOT / "requirements-train.txt"


def install_hint() -> str:
    """The pip command that installs the training set, from wherever the user is."""
    path = TRAINING_REQUIREMENTS
    if path.parent == Path.cwd().resolve():
        path = Path(path.name)
    return f"pip install -r {path}"


def check_training_packages(fit_only: bool = False) -> None:
    """Training needs TensorFlow, Keras and AutoKeras, which the quick start's reading
    set leaves out: say in one line what to install, before any work starts. With
    --fit-only, Keras may run on another backend (KERAS_BACKEND) and TensorFlow, which
    only the export needs, may be missing."""
    needed = TRAINING_MODULES
    if fit_only and os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        needed = tuple(name for name in needed if name not in ("tensorflow", "tensorboard"))
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(f"training needs {', '.join(missing)} (not installed): "
                        f"{install_hint()}")


def fraction(text: str) -> float:
    """A share strictly between 0 and 1 (as cli.probability words its refusals)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number between 0 and 1"
                                         ) from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{value} is out of range (between 0 and 1, "
                                         "neither included)")
    return value


def negative_weights(text: str) -> dict[str, float]:
    """'symbols=1.5,pieces=2' -> every kind's weight (1 where not named)."""
    weights = dict.fromkeys(examples_step.NEGATIVE_KINDS, 1.0)
    for item in filter(None, text.split(",")):
        kind, equals, value = (part.strip() for part in item.partition("="))
        if not equals:
            raise argparse.ArgumentTypeError(f"{item!r}: expected KIND=WEIGHT, e.g. "
                                             "symbols=1.5")
        if kind not in weights:
            raise argparse.ArgumentTypeError(
                f"unknown kind {kind!r}; kinds: {', '.join(weights)}")
        try:
            weight = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r}: the weight must be a number"
                                             ) from None
        if not (math.isfinite(weight) and weight >= 0):
            raise argparse.ArgumentTypeError(f"{item!r}: the weight must be a finite "
                                             "number, 0 or more")
        weights[kind] = weight
    if not sum(weights.values()) > 0:
        raise argparse.ArgumentTypeError("at least one weight must be above 0")
    return weights


def parse_args(argv=None) -> argparse.Namespace:
    defaults = search.SearchSettings()
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--data", type=cli.given_path, metavar="PATH",
        help="MNIST as an .npz with keys x_train, y_train, x_test, y_test, or a folder "
        "with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
        "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]; "
        "default: keras.datasets.mnist.load_data() (downloads)")
    data.add_argument(
        "--subset", type=cli.subset_size, metavar="N",
        help="quick run: only N random training images and the first N test images "
        "(at least 20; with few, some digit may be missing, which stops the run)")
    data.add_argument(
        "--validation-fraction", type=fraction, default=0.1, metavar="F",
        help="share of the TRAINING split held out to judge trials and pick the "
        "epochs (the refit then trains on it too; the test split is "
        "only used for the final scores; default %(default)s)")
    data.add_argument(
        "--usps", type=cli.given_path, metavar="PATH",
        help="USPS digits in MNIST form (.npz with keys x, y) to score the models on; "
        f"default: {USPS_FILE} in the data folder "
        f"({config.DATA_DIR_ENV} or ../shared/data) when it exists")
    data.add_argument("--no-usps", action="store_true", help="do not score on USPS")
    examples = examples_step.ExampleSettings()
    data.add_argument(
        "--camera-share", type=cli.probability, default=examples.camera_share, metavar="F",
        help="share of the digit images replaced by the same digit drawn as a camera "
        "sees it (thick, thin, broken, blurred, small, narrow; all turned and "
        "slanted a little; default %(default)s)")
    data.add_argument(
        "--negative-share", type=fraction, default=examples.negative_share, metavar="F",
        help="\"not a digit\" crops, as a share of the digit images, split among "
        "letters, symbols, pieces, pairs and clutter by --negative-weights (default "
        "%(default)s)")
    data.add_argument(
        "--negative-weights", type=negative_weights, metavar="KIND=W,...",
        default=examples.negative_weights,
        help="each kind's share of the \"not a digit\" crops relative to the others; kinds "
        "left out weigh 1 (default: "
        + ",".join(f"{k}={w:g}" for k, w in examples.negative_weights.items()) + ")")

    model = parser.add_argument_group("search")
    model.add_argument(
        "--search", choices=search.SEARCHES, default=defaults.search,
        help="convblock: a small CNN search sized for a CPU (ConvBlock, no flips, "
        "int8 <= 150 KB; the default); imageclassifier: ak.ImageClassifier, the "
        "reference's search (ResNet/EfficientNet trials: GPU and internet needed)")
    model.add_argument(
        "--pen-augmentation", action="store_true",
        help="also train on digits zoomed 90-110%%, with thicker or thinner and softer "
        "strokes (off by default: in quick runs it cost 0.1-0.25 validation points and "
        "did not help on USPS; it may help with thick markers or blurry cameras)")
    model.add_argument("--max-trials", type=cli.positive_int, default=defaults.max_trials,
                       metavar="N", help="models to try (default %(default)s)")
    model.add_argument("--epochs", type=cli.positive_int, default=defaults.epochs, metavar="N",
                       help="epochs per trial; the learning rate decays over them "
                       "(default %(default)s)")
    model.add_argument("--batch-size", type=cli.positive_int, default=defaults.batch_size,
                       metavar="N", help="images per training step (default %(default)s)")
    model.add_argument("--patience", type=cli.positive_int, default=defaults.patience,
                       metavar="N",
                       help="early stopping: end a trial after N epochs without a "
                       "better validation loss (default %(default)s)")
    model.add_argument("--seed", type=cli.seed_value, default=defaults.seed,
                       help="random seed: validation split, search, initial weights "
                       "(default %(default)s)")
    model.add_argument(
        "--project-dir", type=cli.writable_folder, metavar="DIR",
        help="where AutoKeras keeps the search; running the same command again resumes "
        f"it (default: {defaults.project_dir} in the --output-dir, beside the run's "
        "outputs, so a quick try elsewhere never blocks another run)")
    model.add_argument("--overwrite", action="store_true",
                       help="start the search over instead of resuming it")
    model.add_argument(
        "--no-refit", action="store_true",
        help="ship the best trial's own checkpoint (trained on the training split less "
        "the validation set) instead of the default: after the search, train the best "
        "model afresh on ALL training images, validation set included, for the epochs "
        "at which its trial had the lowest validation loss, with the same "
        "augmentation, learning-rate schedule and seed (no validation, no early "
        "stopping; the test split is never used)")
    model.add_argument(
        "--fit-only", action="store_true",
        help="search and refit, keep the refit model in the search folder and stop "
        "before the export: for a machine with a GPU, where Keras may run on another "
        "backend (e.g. KERAS_BACKEND=torch) and TensorFlow is not installed. Then run "
        "the same command without --fit-only, with the search folder copied over, on a "
        "machine with TensorFlow: it exports, scores and writes without training again")

    out = parser.add_argument_group("output")
    out.add_argument(
        "--output-dir", type=cli.writable_folder, default=config.PROJECT_ROOT, metavar="DIR",
        help="writes DIR/mnist.tflite and DIR/model/ (the other model, model_card.json, "
        "confusion_matrix.png, misclassified.png, training_curves.png, negatives.png, "
        "refused_digits.png); default: the project folder")
    out.add_argument(
        "--max-int8-loss", type=cli.non_negative, default=0.1, metavar="POINTS",
        help="ship the int8 model unless its test accuracy is more than this many "
        "percentage points below the float model's (default %(default)s)")
    out.add_argument("--verbose", type=int, choices=(0, 1, 2),
                     default=1 if sys.stdout.isatty() else 2,
                     help="Keras output: 0 silent, 1 progress bars, 2 one line per epoch "
                     "(default: 1 on a terminal, 2 in a log)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    check_training_packages(args.fit_only)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's C++ chatter
    settings = search.SearchSettings(
        search=args.search, max_trials=args.max_trials, epochs=args.epochs,
        batch_size=args.batch_size, patience=args.patience, seed=args.seed,
        project_dir=args.project_dir or args.output_dir / search.SearchSettings.project_dir,
        overwrite=args.overwrite, verbose=args.verbose,
    )
    if args.pen_augmentation:
        settings.augment.update(search.PEN_AUGMENT)
    options = TrainerOptions(
        data=args.data, subset=args.subset, validation_fraction=args.validation_fraction,
        output_dir=args.output_dir, usps=args.usps, use_usps=not args.no_usps,
        max_int8_loss=args.max_int8_loss, refit=not args.no_refit, fit_only=args.fit_only,
        search=settings,
        examples=examples_step.ExampleSettings(camera_share=args.camera_share,
                                               negative_share=args.negative_share,
                                               negative_weights=args.negative_weights),
    )
    try:
        train(options)
    except ModuleNotFoundError as exc:  # a training package broken or half-installed
        raise UserError(f"training needs {exc.name} (not installed): {install_hint()}"
                        ) from None
    except KeyboardInterrupt:
        print("\nThe search so far is kept: run the same command again to resume it.",
              file=sys.stderr)
        raise
    return cli.EXIT_OK


if __name__ == "__main__":
    cli.run(main)  # UserError -> one line and exit 1; Ctrl+C -> exit 130
