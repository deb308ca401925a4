"""AutoKeras' tuners, keeping every trial's per-epoch history.

KerasTuner stores only each trial's best epoch; the training curves need them all.
`KeepHistory` writes `history.json` into each trial's folder as the trial ends, so the
curves survive an interrupted and resumed search. It is mixed into the greedy tuner
that the default search uses and into the one `ak.ImageClassifier` uses.

This module imports AutoKeras at the top: import it from the trainer only.
"""

from __future__ import annotations

import json
from pathlib import Path

import autokeras as ak
from autokeras.tuners import task_specific

from ..atomic import write_text

HISTORY_FILE = "history.json"


class KeepHistory:
    def _build_and_fit_model(self, trial, *args, **kwargs):
        history = super()._build_and_fit_model(trial, *args, **kwargs)
        per_epoch = {name: [float(v) for v in values]
                     for name, values in history.history.items()}
        write_text(Path(self.get_trial_dir(trial.trial_id)) / HISTORY_FILE,
                   json.dumps(per_epoch) + "\n")
        return history


class GreedyWithHistory(KeepHistory, ak.tuners.Greedy):
    """The default search's tuner: AutoKeras' "greedy"."""


class ImageClassifierTunerWithHistory(KeepHistory, task_specific.ImageClassifierTuner):
    """`ak.ImageClassifier`'s own tuner (its first trials are fixed known-good models)."""


def load_history(tuner, trial_id: str) -> dict[str, list[float]]:
    path = Path(tuner.get_trial_dir(trial_id)) / HISTORY_FILE
    return json.loads(path.read_text()) if path.is_file() else {}
