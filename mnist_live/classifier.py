"""Classify 28x28 MNIST-style crops with a TensorFlow Lite (LiteRT) model.

`DigitClassifier` hides the model's details from callers: which interpreter runs it,
whether it wants `[N,28,28]` or `[N,28,28,1]`, raw uint8 pixels, quantized int8/uint8
or float32, and whether its outputs are quantized or logits. Callers hand it white-on-
black uint8 crops and get probabilities back, for all crops of a frame in one invoke.

Two kinds of model, one contract:

- 10 outputs (the reference's model, older ones of ours): the digits 0-9. Every crop
  is taken to be a digit.
- 11 outputs (ours since it learned to refuse): the digits 0-9 and an 11th, "not a
  digit" (a letter, a symbol, a piece of a digit, two touching digits, texture).

`probabilities()` gives, for both, the probability of each digit *and* of the crop
being a digit at all: an 11-output model's first ten outputs, which sum to less than
one by the probability of "not a digit". So `probabilities().max()` is a confidence
that already counts the chance that the crop is no digit, and code written for
10-output models keeps working. `digit_probability()` is that chance on its own (1.0
for a 10-output model).

Interpreters are tried in this order (the first that imports wins with `runtime="auto"`):
LiteRT (`ai_edge_litert`), `tflite_runtime`, then `tensorflow.lite`. TensorFlow is only
imported when the lighter ones are missing, because importing it takes seconds.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config
from .errors import ModelError, RuntimeNotAvailable
from .native import stderr_held

log = logging.getLogger(__name__)

NUM_CLASSES = 10  # digits 0-9
# An 11th output, when a model has one, is "not a digit".
NOT_A_DIGIT = 10
OUTPUT_SIZES = (NUM_CLASSES, NUM_CLASSES + 1)

# name -> (module to import, attribute path to the Interpreter class), in fallback order.
# TensorFlow's is reached as tf.lite.Interpreter: `import tensorflow.lite` finds a
# different, internal package.
RUNTIMES: dict[str, tuple[str, str]] = {
    "litert": ("ai_edge_litert.interpreter", "Interpreter"),
    "tflite-runtime": ("tflite_runtime.interpreter", "Interpreter"),
    "tensorflow": ("tensorflow", "lite.Interpreter"),
}
RUNTIME_CHOICES = ("auto", *RUNTIMES)


def load_interpreter_class(runtime: str = "auto") -> tuple[str, type]:
    """Import an Interpreter class; return (runtime name, class).

    `runtime` is "auto" (first importable in RUNTIMES order) or one RUNTIMES key.
    """
    if runtime != "auto" and runtime not in RUNTIMES:
        raise RuntimeNotAvailable(
            f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIME_CHOICES)}"
        )
    names = list(RUNTIMES) if runtime == "auto" else [runtime]
    failures = []
    for name in names:
        module_name, attribute = RUNTIMES[name]
        try:
            found = importlib.import_module(module_name)
            for part in attribute.split("."):
                found = getattr(found, part)
            return name, found
        except Exception as exc:  # ImportError, or a broken install (e.g. numpy ABI)
            failures.append(f"{name}: {type(exc).__name__}: {exc}".splitlines()[0])
            log.debug("runtime %s unavailable: %s", name, exc)
    hint = "pip install ai-edge-litert" if runtime in ("auto", "litert") else ""
    raise RuntimeNotAvailable(
        "no TFLite interpreter could be imported ("
        + "; ".join(failures)
        + (f"); try: {hint}" if hint else ")")
    )


@dataclass(frozen=True)
class ClassifierOptions:
    """How to load and run the model."""

    model_path: Path = config.DEFAULT_MODEL_PATH
    runtime: str = "auto"
    num_threads: int = config.DEFAULT_NUM_THREADS


@dataclass(frozen=True)
class Classification:
    """The model's answer for one crop."""

    digit: int  # the most probable digit
    confidence: float  # probability that the crop is this digit (and a digit at all)
    is_digit: float = 1.0  # probability that the crop is any digit (1.0: 10-output model)


@dataclass(frozen=True)
class InputSpec:
    """What the model's input tensor wants, read from the model."""

    dtype: type
    has_channel_axis: bool  # [N,28,28,1] rather than [N,28,28]
    scale: float  # quantization scale; 0.0 when the input is not quantized
    zero_point: int
    pixel_range: float  # 255.0 if the model takes 0-255 pixel values, 1.0 if 0-1


class DigitClassifier:
    """A LiteRT model that maps 28x28 white-on-black crops to digit probabilities."""

    def __init__(self, options: ClassifierOptions | None = None):
        self.options = options or ClassifierOptions()
        model_path = Path(self.options.model_path)
        if not model_path.is_file():
            raise ModelError(f"model file not found: {model_path}")
        self.runtime, interpreter_class = load_interpreter_class(self.options.runtime)
        native_messages: list[str] = []
        try:
            with stderr_held(native_messages):
                self._interpreter = interpreter_class(
                    model_path=str(model_path), num_threads=self.options.num_threads
                )
                self._interpreter.allocate_tensors()
        except Exception as exc:
            detail = (str(exc).strip() or " ".join(native_messages)).splitlines()
            raise ModelError(
                f"cannot load {model_path} as a TFLite model ({type(exc).__name__}"
                f"{': ' + detail[0] if detail else ''})"
            ) from None
        finally:
            # The interpreter's start is noise to a user; real warnings are passed on.
            for line in native_messages:
                level = logging.DEBUG if line.startswith("INFO:") else logging.WARNING
                log.log(level, "interpreter: %s", line)
        self.model_path = model_path
        input_detail = self._interpreter.get_input_details()
        output_detail = self._interpreter.get_output_details()
        if len(input_detail) != 1 or len(output_detail) != 1:
            raise ModelError(
                f"{model_path}: expected a model with one input and one output, found "
                f"{len(input_detail)} inputs and {len(output_detail)} outputs"
            )
        self._input = input_detail[0]
        self._output = output_detail[0]
        self.input_spec = _read_input_spec(self._input, model_path)
        out_shape = tuple(int(d) for d in self._output["shape"])
        if len(out_shape) != 2 or out_shape[-1] not in OUTPUT_SIZES:
            raise ModelError(
                f"{model_path}: expected an output of 10 digit classes [N, 10], or 11 "
                f"with \"not a digit\" [N, 11], found shape {list(out_shape)}"
            )
        self.num_outputs = out_shape[-1]
        # The smallest difference between two probabilities the model can output (see
        # confidence.py): 1/256 for an int8 softmax; None when its outputs are floats.
        self.output_step = _output_step(self._interpreter, self._output)
        self._batch_size = int(self._input["shape"][0])
        self._batch_resizable = True
        log.info(
            "Model %s: interpreter %s, input %s %s, %d threads",
            model_path,
            self.runtime,
            np.dtype(self.input_spec.dtype).name,
            [int(d) for d in self._input["shape"][1:]],
            self.options.num_threads,
        )

    # -- public API ------------------------------------------------------------------

    @property
    def knows_non_digits(self) -> bool:
        """Whether the model has the 11th output, "not a digit"."""
        return self.num_outputs > NUM_CLASSES

    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        """(N, 10) float32: for each of N 28x28 crops, the probability that it is each
        digit. With an 11-output model each row sums to the probability that the crop
        is a digit at all (see the module's docstring); with a 10-output model, to 1."""
        return self.all_probabilities(crops)[:, :NUM_CLASSES]

    def all_probabilities(self, crops: np.ndarray) -> np.ndarray:
        """(N, 10 or 11) float32: every output of the model as a probability; column
        NOT_A_DIGIT, when there is one, is the probability of "not a digit"."""
        crops = np.asarray(crops)
        if crops.ndim == 2:
            crops = crops[None]
        if crops.ndim != 3 or crops.shape[1:] != (config.MNIST_SIZE, config.MNIST_SIZE):
            raise ValueError(f"expected crops of shape (N, 28, 28), got {crops.shape}")
        if len(crops) == 0:
            return np.zeros((0, self.num_outputs), np.float32)
        batch = self._to_model_input(crops)
        if self._batch_resizable and self._set_batch_size(len(batch)):
            outputs = self._invoke(batch)
        else:  # a model with a fixed batch of one: one invoke per crop
            outputs = np.concatenate([self._invoke(sample[None]) for sample in batch])
        return self._to_probabilities(outputs)

    @staticmethod
    def digit_probability(probabilities: np.ndarray) -> np.ndarray:
        """(N,): the probability that each crop is a digit at all, from `probabilities()`
        (1.0 for a 10-output model, which takes every crop for a digit)."""
        return np.clip(np.asarray(probabilities).sum(axis=-1), 0.0, 1.0)

    def classify(self, crops: np.ndarray) -> list[Classification]:
        """Classify N crops in one invoke; the most probable digit of each."""
        probs = self.probabilities(crops)
        digits = probs.argmax(axis=1)
        return [
            Classification(int(d), float(p[d]), float(self.digit_probability(p)))
            for d, p in zip(digits, probs, strict=True)
        ]

    # -- internals -------------------------------------------------------------------

    def _set_batch_size(self, n: int) -> bool:
        """Resize the input's batch dimension to n; False if the model cannot."""
        if n == self._batch_size:
            return True
        shape = list(self._input["shape"])
        shape[0] = n
        try:
            self._interpreter.resize_tensor_input(self._input["index"], shape, strict=False)
            self._interpreter.allocate_tensors()
        except Exception as exc:
            log.info("model cannot take a batch of %d (%s); one invoke per crop", n, exc)
            self._batch_resizable = False
            shape[0] = 1
            self._interpreter.resize_tensor_input(self._input["index"], shape, strict=False)
            self._interpreter.allocate_tensors()
            self._batch_size = 1
            return False
        self._batch_size = n
        return True

    def _invoke(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) != self._batch_size and not self._set_batch_size(len(batch)):
            raise RuntimeError("batch resize failed")  # only reached for len 1 models
        self._interpreter.set_tensor(self._input["index"], batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"]).copy()

    def _to_model_input(self, crops: np.ndarray) -> np.ndarray:
        """uint8 pixels (N,28,28) -> the model's dtype, scale and layout."""
        spec = self.input_spec
        pixels = crops.astype(np.float32, copy=False) if crops.dtype != np.uint8 else crops
        if spec.scale:  # quantized input: real value -> integer code
            real = pixels.astype(np.float32) * (spec.pixel_range / 255.0)
            info = np.iinfo(spec.dtype)
            codes = np.round(real / spec.scale + spec.zero_point)
            batch = np.clip(codes, info.min, info.max).astype(spec.dtype)
        elif spec.dtype == np.uint8:  # raw pixels, like the reference model
            batch = np.clip(pixels, 0, 255).astype(np.uint8, copy=False)
        else:  # float input: Keras' usual MNIST convention of 0-1
            batch = pixels.astype(spec.dtype) * (spec.pixel_range / 255.0)
        if spec.has_channel_axis:
            batch = batch[..., None]
        return np.ascontiguousarray(batch)

    def _to_probabilities(self, outputs: np.ndarray) -> np.ndarray:
        scale, zero_point = self._output["quantization"]
        values = outputs.astype(np.float32)
        if scale:
            values = (values - zero_point) * scale
        values = values.reshape(len(values), self.num_outputs)
        sums = values.sum(axis=1)
        # A model that ends in logits rather than a softmax still yields probabilities.
        if (values < -1e-3).any() or not np.allclose(sums, 1.0, atol=0.05):
            shifted = values - values.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            values = exp / exp.sum(axis=1, keepdims=True)
        return np.clip(values, 0.0, 1.0)


def _output_step(interpreter, output: dict) -> float | None:
    """The step between the model's output probabilities: its output's quantization
    scale, or, for a float output dequantized from a quantized softmax (what a
    full-integer export with float output gives), that softmax's scale. None when the
    probabilities are really floats."""
    scale, _ = output["quantization"]
    if scale:
        return float(scale)
    tensors = {int(t["index"]): t for t in interpreter.get_tensor_details()}
    feeding = []
    with contextlib.suppress(Exception):  # a private call, listed ops where it exists
        feeding = [tensors[int(i)] for op in interpreter._get_ops_details()
                   if output["index"] in op["outputs"] for i in op["inputs"]]
    classes = int(output["shape"][-1])
    for tensor in feeding or tensors.values():  # without the ops: by shape and range
        scale, zero_point = tensor["quantization"]
        if not scale or int(tensor["shape"][-1]) != classes or tensor["dtype"] not in (
                np.int8, np.uint8):
            continue
        top = scale * (np.iinfo(tensor["dtype"]).max - zero_point)
        if abs(top - 1.0) < 0.02:  # probabilities 0-1, not logits
            return float(scale)
    return None


def _read_input_spec(detail: dict, model_path: Path) -> InputSpec:
    shape = [int(d) for d in detail["shape"]]
    size = config.MNIST_SIZE
    if shape[1:] == [size, size]:
        has_channel_axis = False
    elif shape[1:] == [size, size, 1]:
        has_channel_axis = True
    else:
        raise ModelError(
            f"{model_path}: expected an input of one 28x28 gray image ([N, 28, 28] or "
            f"[N, 28, 28, 1]), found shape {shape}"
        )
    dtype = detail["dtype"]
    if dtype not in (np.uint8, np.int8, np.float32):
        raise ModelError(
            f"{model_path}: expected a uint8, int8 or float32 input, found "
            f"{np.dtype(dtype).name}"
        )
    scale, zero_point = detail["quantization"]
    pixel_range = 1.0
    if scale:
        # The quantization tells which real range the model wants: a range reaching
        # well above 1 means 0-255 pixel values, otherwise 0-1.
        info = np.iinfo(dtype)
        top = scale * (info.max - zero_point)
        pixel_range = 255.0 if top > 2.0 else 1.0
    elif dtype == np.uint8:
        pixel_range = 255.0
    return InputSpec(dtype, has_channel_axis, float(scale), int(zero_point), pixel_range)
