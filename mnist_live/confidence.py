"""How sure the model is, shown no finer than the model can tell.

A digit's confidence is the probability the model gives the digit it read: how much of
its belief goes to that digit rather than to the others. The int8 model outputs 256
levels, one every 1/256 (0.39%), and its top level (255/256, 99.6%) stands for
everything from 99.4% up to certainty; a float model's outputs are finer, but a tenth of
a percent is the finest difference worth reading. So a confidence is shown

- floored to whole steps of the model's resolution (int8: whole percent, as "97%");
- as ">99%" at the model's top level (what it stands for, floored): the model cannot
  say more than that, and "100%" would claim a certainty it does not have.

The step comes from the model's output quantization (DigitClassifier.output_step), so
another model, such as one with a "not a digit" class, is shown by its own resolution.
The terminal lines, the crop sheet, the live labels and the step pictures all use
`confidence_text`; JSON keeps the number, rounded to JSON_DECIMALS places.
"""

from __future__ import annotations

import math

# The finest step shown for a model whose outputs are not quantized (a float model).
FLOAT_STEP = 0.001
# Decimal places of "confidence" in JSON: 0.001 is finer than an int8 model's step
# (0.0039) and coarser than any difference that matters.
JSON_DECIMALS = 3


def resolution(step: float | None) -> float:
    """The finest difference in probability worth showing for a model with this
    output `step` (None: a float model)."""
    return max(step or 0.0, FLOAT_STEP)


def confidence_text(probability: float, step: float | None = None) -> str:
    """A probability as a percentage no finer than the model's `step`: "97%", ">99%"."""
    step = resolution(step)
    # Decimals in percent: as many as the step can fill (0.39% -> 0, 0.1% -> 1).
    decimals = max(0, math.floor(-math.log10(step * 100) + 1e-9))
    unit = 10.0 ** -decimals
    if probability >= 1.0 - step - 1e-6:
        # The top level, no different from certainty: it stands for anything from half
        # a step below it (what rounds to it) up to 100%.
        low = math.floor((1.0 - 1.5 * step) * 100 / unit + 1e-9) * unit
        return f">{low:.{decimals}f}%"
    shown = math.floor(max(0.0, probability) * 100 / unit + 1e-9) * unit
    return f"{shown:.{decimals}f}%"


def doubted_text(before: float | None, after: float, step: float | None = None) -> str:
    """A doubted reading's confidence before and after the page's evidence weighed it,
    "97% -> 0%" (only `after` when `before` is unknown)."""
    shown = confidence_text(after, step)
    return shown if before is None else f"{confidence_text(before, step)} -> {shown}"


def json_confidence(probability: float) -> float:
    return round(float(probability), JSON_DECIMALS)
