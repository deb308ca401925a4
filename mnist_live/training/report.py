"""Step 5: the model card (JSON) and five pictures next to the model.

    model_card.json         what the model is, how well it does, how it was made
    confusion_matrix.png    true digit x predicted class on the MNIST test set
    misclassified.png       the test digits the shipped model gets wrong
    training_curves.png     loss and accuracy per epoch, every trial (and the refit)
    negatives.png           held-out "not a digit" crops of each kind, refused or not
    refused_digits.png      the test digits the model finds least like a digit

Every file is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
import platform
from importlib import metadata
from pathlib import Path

import numpy as np

from ..atomic import atomic_path, write_text
from ..classifier import NOT_A_DIGIT
from .evaluate import CLASS_NAMES, Evaluation

LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "autokeras", "keras-tuner",
             "ai-edge-litert", "numpy")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def write_card(path: Path, card: dict) -> None:
    write_text(path, json.dumps(card, indent=2) + "\n")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    plt = _pyplot()
    with atomic_path(path) as temp:
        fig.savefig(temp, dpi=100, bbox_inches="tight")
    plt.close(fig)


def plot_confusion(evaluation: Evaluation, path: Path, title: str) -> None:
    plt = _pyplot()
    matrix = evaluation.confusion()[:10]  # test images are all digits: no 11th row
    fig, ax = plt.subplots(figsize=(7.0, 5.6))
    # Log colours: the diagonal (about 1000) would otherwise hide the few errors.
    image = ax.imshow(np.log10(matrix + 1), cmap="Blues")
    for true in range(matrix.shape[0]):
        for pred in range(matrix.shape[1]):
            count = matrix[true, pred]
            if count:
                ax.text(pred, true, str(count), ha="center", va="center", fontsize=8,
                        color="white" if true == pred else "black")
    ax.set_xticks(range(matrix.shape[1]), [*CLASS_NAMES[:10], "not\na digit"])
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true digit")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="log10(count + 1)")
    _save(fig, path)


def _label(k: int) -> str:
    return "no" if k == NOT_A_DIGIT else str(k)


def plot_misclassified(images: np.ndarray, evaluation: Evaluation, path: Path,
                       title: str, limit: int = 60) -> None:
    """A grid of wrongly classified digits, each captioned `true -> predicted (p)`."""
    wrong = np.flatnonzero(evaluation.predictions != evaluation.labels)[:limit]
    fig, axes = _digit_grid(images, wrong, (1.2, 1.45))
    for ax, index in zip(axes.flat, wrong, strict=False):
        ax.set_title(
            f"{evaluation.labels[index]}→{_label(evaluation.predictions[index])} "
            f"({evaluation.confidences[index]:.2f})\n#{index}", fontsize=7,
        )
    total = evaluation.errors
    shown = f"all {total}" if total <= limit else f"first {limit} of {total}"
    fig.suptitle(f"{title}: {shown} errors (true→predicted (probability), test index; "
                 "\"no\": not a digit)", fontsize=9)
    _save(fig, path)


def _digit_grid(images: np.ndarray, indices: np.ndarray, cell: tuple[float, float]):
    """A figure of `images[indices]`, ten to a row, each in a `cell` (inches) without
    axes; the caller captions them. -> (figure, axes)"""
    plt = _pyplot()
    columns = 10
    rows = max(1, -(-len(indices) // columns))
    fig, axes = plt.subplots(rows, columns, squeeze=False,
                             figsize=(columns * cell[0], rows * cell[1] + 0.6))
    for ax in axes.flat:
        ax.axis("off")
    for ax, index in zip(axes.flat, indices, strict=False):
        ax.imshow(images[index], cmap="gray", vmin=0, vmax=255)
    return fig, axes


def plot_negatives(crops: dict[str, np.ndarray], evaluations: dict[str, Evaluation],
                   path: Path, per_kind: int = 20) -> None:
    """Held-out "not a digit" crops, a row of each kind: the first ones, then the ones
    taken for a digit, each captioned with the model's answer."""
    plt = _pyplot()
    kinds = list(crops)
    fig, axes = plt.subplots(len(kinds), per_kind, figsize=(per_kind * 0.75,
                                                             len(kinds) * 0.95 + 0.6),
                             squeeze=False)
    for row, kind in zip(axes, kinds, strict=True):
        evaluation = evaluations[kind]
        missed = np.flatnonzero(evaluation.predictions != NOT_A_DIGIT)
        show = list(missed[: per_kind // 2])
        show += [i for i in range(len(crops[kind])) if i not in set(show)][
            : per_kind - len(show)]
        for ax in row:
            ax.axis("off")
        for ax, index in zip(row, show, strict=False):
            ax.imshow(crops[kind][index], cmap="gray", vmin=0, vmax=255)
            answer = evaluation.predictions[index]
            ax.set_title(_label(answer), fontsize=7,
                         color="black" if answer == NOT_A_DIGIT else "red")
        row[0].text(-0.3, 0.5, f"{kind}\n{100 * evaluation.refused:.1f}%",
                    transform=row[0].transAxes, ha="right", va="center", fontsize=8)
    fig.suptitle("Held-out \"not a digit\" crops and the model's answers (\"no\": refused;"
                 " red: taken for that digit, shown first); % refused per kind", fontsize=9)
    _save(fig, path)


def plot_refused_digits(images: np.ndarray, evaluation: Evaluation, path: Path, title: str,
                        limit: int = 40) -> None:
    """The test digits the model finds least like a digit (highest probability of "not
    a digit"), captioned with their true digit; the ones it refused in red."""
    not_digit = (evaluation.not_digit if evaluation.not_digit is not None
                 else np.zeros(len(evaluation.labels)))
    worst = np.argsort(-not_digit, kind="stable")[:limit]
    fig, axes = _digit_grid(images, worst, (1.1, 1.3))
    for ax, index in zip(axes.flat, worst, strict=False):
        refused = evaluation.predictions[index] == NOT_A_DIGIT
        ax.set_title(f"{evaluation.labels[index]} ({not_digit[index]:.2f})\n#{index}",
                     fontsize=7, color="red" if refused else "black")
    total = int((evaluation.predictions == NOT_A_DIGIT).sum())
    fig.suptitle(f"{title}: the {len(worst)} test digits most like \"not a digit\" (true "
                 f"digit (its probability), test index); {total} answered \"not a digit\" "
                 "(red)", fontsize=9)
    _save(fig, path)


def plot_training_curves(trials: list[dict], path: Path, best_trial: str | None,
                         refit: dict | None = None, refit_images: int = 0) -> None:
    """Loss and accuracy per epoch, train (dashed) and validation (solid), every trial.

    `refit` (loss and accuracy per epoch of the final training on all the training
    images, which has no validation) is drawn dotted in black.
    """
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    lowest = 100.0
    for trial in trials:
        history = trial["history"]
        if not history.get("val_loss"):
            continue
        best = trial["trial_id"] == best_trial
        # Numbered from 1 like the search's log ("Running Trial #1"); ids start at 0.
        label = f"trial #{int(trial['trial_id']) + 1}" + (" (best)" if best else "")
        width = 2.0 if best else 1.0
        epochs = np.arange(1, len(history["val_loss"]) + 1)
        line, = ax_loss.plot(epochs, history["val_loss"], lw=width, label=label)
        if history.get("loss"):
            ax_loss.plot(epochs, history["loss"][: len(epochs)], "--", lw=width * 0.7,
                         color=line.get_color())
        if history.get("val_accuracy"):
            lowest = min(lowest, 100 * min(history["val_accuracy"]))
            ax_acc.plot(epochs, 100 * np.array(history["val_accuracy"]), lw=width,
                        color=line.get_color(), label=label)
        if history.get("accuracy"):
            ax_acc.plot(epochs, 100 * np.array(history["accuracy"][: len(epochs)]), "--",
                        lw=width * 0.7, color=line.get_color())
    if refit and refit.get("loss"):
        label = f"refit on all {refit_images} (training, augmented)"
        epochs = np.arange(1, len(refit["loss"]) + 1)
        ax_loss.plot(epochs, refit["loss"], ":", color="black", lw=1.8, label=label)
        if refit.get("accuracy"):
            ax_acc.plot(epochs, 100 * np.array(refit["accuracy"]), ":", color="black",
                        lw=1.8, label=label)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss (log)")
    ax_loss.set_title("loss")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    # Zoom on the last points that matter, unless a quick run never got there.
    ax_acc.set_ylim(min(95.0, np.floor(lowest)), 100)
    ax_acc.set_title("accuracy")
    fig.suptitle("validation split: solid lines; training split (augmented): dashed",
                 fontsize=10)
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc.legend(fontsize=8, loc="lower right")
    _save(fig, path)
