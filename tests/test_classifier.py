"""DigitClassifier: interpreter fallback order, input conventions, batching, bad models."""

from __future__ import annotations

import importlib
import sys
import types

import numpy as np
import pytest
from conftest import TEST_MODELS

from mnist_live import classifier as classifier_module
from mnist_live.classifier import ClassifierOptions, DigitClassifier, load_interpreter_class
from mnist_live.errors import ModelError, RuntimeNotAvailable

# The same logistic regression exported five ways (tests/models/make_test_models.py).
CONVENTIONS = ["float_unit", "uint8_raw", "int8_quant", "uint8_quant", "float_logits",
               "fixed_batch"]


def tiny(name: str) -> ClassifierOptions:
    return ClassifierOptions(model_path=TEST_MODELS / f"{name}.tflite")


@pytest.mark.parametrize("name", CONVENTIONS)
def test_every_input_convention_is_fed_correctly(name, mnist_test):
    x, y = mnist_test
    probs = DigitClassifier(tiny(name)).probabilities(x[:500])
    assert probs.shape == (500, 10)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=0.02)
    # ~85% for this tiny model; a wrong scale (0-1 vs 0-255) or dtype gives ~10-20%.
    assert (probs.argmax(axis=1) == y[:500]).mean() > 0.75


def test_conventions_agree_with_each_other(mnist_test):
    x, _ = mnist_test
    answers = {name: DigitClassifier(tiny(name)).probabilities(x[:300]).argmax(axis=1)
               for name in CONVENTIONS}
    reference = answers["float_unit"]
    for name, answer in answers.items():
        assert (answer == reference).mean() > 0.95, name


def test_input_spec_is_read_from_the_model():
    raw = DigitClassifier(tiny("uint8_raw")).input_spec
    assert raw.dtype == np.uint8 and raw.scale == 0 and not raw.has_channel_axis
    assert raw.pixel_range == 255.0
    quant = DigitClassifier(tiny("int8_quant")).input_spec
    assert quant.dtype == np.int8 and quant.scale > 0 and quant.has_channel_axis
    assert quant.pixel_range == 1.0


@pytest.mark.parametrize("name", ["uint8_raw", "int8_quant", "fixed_batch"])
def test_one_batch_equals_crop_by_crop(name, mnist_test):
    x, _ = mnist_test
    model = DigitClassifier(tiny(name))
    batch = model.probabilities(x[:7])
    single = np.concatenate([model.probabilities(x[i : i + 1]) for i in range(7)])
    np.testing.assert_allclose(batch, single, atol=1e-5)
    # Batch sizes change from frame to frame: growing and shrinking must both work.
    np.testing.assert_allclose(model.probabilities(x[:3]), batch[:3], atol=1e-5)
    assert model.probabilities(x[:0]).shape == (0, 10)


def test_all_crops_of_a_frame_go_in_one_invoke(mnist_test, monkeypatch):
    model = DigitClassifier(tiny("uint8_raw"))
    calls = []
    original = model._interpreter.invoke
    monkeypatch.setattr(model._interpreter, "invoke", lambda: calls.append(1) or original())
    model.classify(mnist_test[0][:12])
    assert len(calls) == 1


def test_classify_returns_digit_and_confidence(mnist_test):
    x, y = mnist_test
    results = DigitClassifier(tiny("uint8_raw")).classify(x[:20])
    assert len(results) == 20
    assert all(0 <= r.digit <= 9 and 0.0 <= r.confidence <= 1.0 for r in results)
    assert sum(r.digit == label for r, label in zip(results, y[:20], strict=True)) >= 15


# --- 11 outputs: the digits and "not a digit" -----------------------------------------


@pytest.fixture(scope="module")
def letters_and_symbols(mnist_test):
    from mnist_live.training import examples

    rng = np.random.default_rng(123)  # the test models learnt from seed 0
    return np.stack([examples.negative_crop(("letters", "symbols")[i % 2], rng,
                                            mnist_test[0]) for i in range(200)])


@pytest.mark.parametrize("name", ["eleven_int8", "eleven_logits"])
def test_an_eleven_output_model_gives_digit_probabilities_and_refuses_non_digits(
        name, mnist_test, letters_and_symbols):
    x, y = mnist_test
    model = DigitClassifier(tiny(name))
    assert model.knows_non_digits and model.num_outputs == 11
    digits = model.probabilities(x[:300])
    assert digits.shape == (300, 10)
    # The ten digit columns sum to the probability of being a digit at all.
    everything = model.all_probabilities(x[:300])
    assert everything.shape == (300, 11)
    np.testing.assert_allclose(everything.sum(axis=1), 1.0, atol=0.02)
    np.testing.assert_allclose(model.digit_probability(digits), 1 - everything[:, 10],
                               atol=0.02)
    assert (digits.argmax(axis=1) == y[:300]).mean() > 0.75
    # Digits are digits, letters and symbols mostly are not (a linear model refuses
    # about 60% of them).
    assert np.median(model.digit_probability(digits)) > 0.8
    others = model.probabilities(letters_and_symbols)
    assert (model.digit_probability(others) < 0.5).mean() > 0.5
    # A confidence (the top digit's probability) is never above the digit probability.
    assert (digits.max(axis=1) <= model.digit_probability(digits) + 1e-6).all()
    assert model.probabilities(x[:0]).shape == (0, 10)


def test_classify_reports_whether_a_crop_is_a_digit(mnist_test, letters_and_symbols):
    model = DigitClassifier(tiny("eleven_int8"))
    on_digits = model.classify(mnist_test[0][:50])
    on_others = model.classify(letters_and_symbols[:50])
    assert np.mean([r.is_digit for r in on_digits]) > 0.8
    assert np.mean([r.is_digit for r in on_others]) < 0.5
    assert all(r.confidence <= r.is_digit + 1e-6 for r in on_digits + on_others)


def test_a_ten_output_model_takes_every_crop_for_a_digit(letters_and_symbols):
    model = DigitClassifier(tiny("uint8_raw"))
    assert not model.knows_non_digits
    probs = model.probabilities(letters_and_symbols[:20])
    np.testing.assert_allclose(model.digit_probability(probs), 1.0, atol=0.02)
    assert all(r.is_digit > 0.98 for r in model.classify(letters_and_symbols[:5]))


def test_auto_prefers_litert():
    name, interpreter_class = load_interpreter_class("auto")
    assert name == "litert"
    assert interpreter_class.__module__.startswith("ai_edge_litert")


def _fake_import(monkeypatch, missing: set[str], stand_ins: dict[str, types.ModuleType]):
    """Make some interpreter modules unimportable and others stand-ins."""
    real_import = importlib.import_module

    def fake(name, *args):
        if name in missing:
            raise ImportError(f"No module named {name!r}")
        if name in stand_ins:
            return stand_ins[name]
        return real_import(name, *args)

    monkeypatch.setattr(classifier_module.importlib, "import_module", fake)


def test_fallback_to_tflite_runtime_when_litert_is_missing(monkeypatch):
    from ai_edge_litert.interpreter import Interpreter

    stand_in = types.ModuleType("tflite_runtime.interpreter")
    stand_in.Interpreter = Interpreter
    _fake_import(monkeypatch, {"ai_edge_litert.interpreter"},
                 {"tflite_runtime.interpreter": stand_in})
    model = DigitClassifier(tiny("uint8_raw"))
    assert model.runtime == "tflite-runtime"


def test_fallback_to_tensorflow_when_both_are_missing(monkeypatch):
    from ai_edge_litert.interpreter import Interpreter

    stand_in = types.SimpleNamespace(lite=types.SimpleNamespace(Interpreter=Interpreter))
    _fake_import(monkeypatch, {"ai_edge_litert.interpreter", "tflite_runtime.interpreter"},
                 {"tensorflow": stand_in})
    assert DigitClassifier(tiny("uint8_raw")).runtime == "tensorflow"


def test_a_broken_runtime_install_falls_through(monkeypatch):
    # tflite-runtime 2.14 with numpy 2 fails at import with an AttributeError-like error,
    # not ImportError: it must count as unavailable, not crash.
    real_import = importlib.import_module

    def fake(name, *args):
        if name == "ai_edge_litert.interpreter":
            raise AttributeError("_ARRAY_API not found")
        return real_import(name, *args)

    monkeypatch.setattr(classifier_module.importlib, "import_module", fake)
    name, _ = load_interpreter_class("auto")
    assert name in ("tflite-runtime", "tensorflow")


def test_no_runtime_at_all_is_a_clear_error(monkeypatch):
    _fake_import(monkeypatch, {"ai_edge_litert.interpreter", "tflite_runtime.interpreter",
                               "tensorflow"}, {})
    with pytest.raises(RuntimeNotAvailable, match="pip install ai-edge-litert"):
        DigitClassifier(tiny("uint8_raw"))


def test_explicit_runtime_is_used_and_reported(monkeypatch):
    _fake_import(monkeypatch, {"tflite_runtime.interpreter"}, {})
    with pytest.raises(RuntimeNotAvailable, match="tflite-runtime"):
        DigitClassifier(ClassifierOptions(model_path=TEST_MODELS / "uint8_raw.tflite",
                                          runtime="tflite-runtime"))


@pytest.mark.skipif("tensorflow" not in sys.modules and importlib.util.find_spec(
    "tensorflow") is None, reason="TensorFlow is not installed (runtime-only install)")
def test_tensorflow_runtime_really_runs(mnist_test):
    x, y = mnist_test
    model = DigitClassifier(ClassifierOptions(model_path=TEST_MODELS / "uint8_raw.tflite",
                                              runtime="tensorflow"))
    assert model.runtime == "tensorflow"
    assert (model.probabilities(x[:200]).argmax(axis=1) == y[:200]).mean() > 0.75


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        DigitClassifier(ClassifierOptions(model_path=tmp_path / "nope.tflite"))


def test_corrupt_model_file(tmp_path):
    path = tmp_path / "corrupt.tflite"
    path.write_bytes(b"this is not a flatbuffer" * 10)
    with pytest.raises(ModelError, match=r"cannot load .* as a TFLite model"):
        DigitClassifier(ClassifierOptions(model_path=path))


def test_truncated_model_file(tmp_path):
    path = tmp_path / "truncated.tflite"
    path.write_bytes((TEST_MODELS / "uint8_raw.tflite").read_bytes()[:2000])
    with pytest.raises(ModelError):
        DigitClassifier(ClassifierOptions(model_path=path))


def test_model_with_wrong_input_says_what_it_expected():
    with pytest.raises(ModelError, match=r"28x28 gray image.*found shape \[1, 32, 32, 3\]"):
        DigitClassifier(tiny("wrong_input"))


def test_model_with_wrong_output_says_what_it_expected():
    with pytest.raises(ModelError, match=r"10 digit classes.*11.*found shape \[1, 5\]"):
        DigitClassifier(tiny("wrong_output"))


def test_crops_of_the_wrong_shape_are_refused():
    model = DigitClassifier(tiny("uint8_raw"))
    with pytest.raises(ValueError, match="28, 28"):
        model.probabilities(np.zeros((2, 32, 32), np.uint8))


def test_held_out_scores_come_with_and_without_the_lookalikes(mnist_test):
    from mnist_live.training.evaluate import HeldOutSets, score_model
    from mnist_live.training.examples import CHECKED_KINDS, NEGATIVE_KINDS

    x, y = mnist_test
    held = HeldOutSets.make(x[:50], y[:50], x[50:400], seed=3, negatives_per_kind=10)
    assert set(held.negatives) == set(NEGATIVE_KINDS)
    assert set(held.unfiltered) == set(CHECKED_KINDS)
    figures = score_model(TEST_MODELS / "eleven_int8.tflite", x[:50], y[:50],
                          held).summary()
    assert set(figures["unfiltered_refused_by_kind"]) == set(CHECKED_KINDS)
    assert 0 <= figures["negatives_refused"] <= 100


def test_what_refusals_cost_is_told_apart_from_confusions():
    """USPS's figures as `bench model` prints them: the accuracy, the share refused, and
    the accuracy with the 11th output set aside (a refused digit whose likeliest digit
    is right counts as right there); a missing USPS set prints '-' in those rows."""
    from mnist_live.bench.model import _row
    from mnist_live.training.evaluate import evaluate

    class Answers:  # a model's answers, as DigitClassifier.all_probabilities gives them
        def all_probabilities(self, crops):
            rows = np.zeros((4, 11), np.float32)
            rows[0, 1] = 1.0  # a 1, read
            rows[1, [2, 10]] = 0.4, 0.6  # a 2, refused, the 2 its likeliest digit
            rows[2, 10] = 1.0  # a 0, refused with nothing for any digit (int8)
            rows[3, 5] = 1.0  # a 4, read as a 5
            return rows[: len(crops)]

    usps = evaluate(Answers(), np.zeros((4, 28, 28), np.uint8), np.array([1, 2, 0, 4]))
    assert usps.accuracy == 0.25
    assert usps.refused == 0.5
    # Asked only which digit: the 2 is right; the 0 no more than before (argmax of
    # all-zero digits would say 0).
    assert usps.digits_alone_accuracy == 0.5
    assert "|       - |" in _row("  USPS digits refused", None, None)
