"""Make the tiny .tflite models the classifier tests use (needs TensorFlow).

    python tests/models/make_test_models.py

Each model is the same small logistic regression on MNIST (~90% accurate) exported with
a different input/output convention, so a test can check that DigitClassifier feeds and
reads every kind correctly: if it fed 0-255 where 0-1 is expected (or the reverse), the
accuracy would collapse. Two more models have the wrong input or output shape, and one
has its batch size fixed at 1. Two have an 11th output, "not a digit", learnt from
letters and symbols (mnist_live.training.examples): `eleven_int8` as the trainer exports
(uint8 pixels in, int8 inside), `eleven_logits` ending in logits. The files are small
and committed next to this script.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from mnist_live import config  # noqa: E402
from mnist_live.atomic import write_bytes  # noqa: E402


def main() -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    data = np.load(config.data_dir() / "mnist.npz")
    x = data["x_train"][:12000]
    y = data["y_train"][:12000]

    # The shared weights: logistic regression on 0-1 pixels.
    unit = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(10, activation="softmax")])
    unit.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    unit.fit(x[..., None] / 255.0, y, epochs=2, batch_size=128, verbose=2)
    dense = unit.layers[-1]

    def convert(model, **quantization) -> bytes:
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        if quantization:
            def representative():
                for image in x[:200]:
                    yield [image[None, ..., None].astype(np.float32) / 255.0]
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = representative
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = quantization["io"]
            converter.inference_output_type = quantization["io"]
        return converter.convert()

    models = {}
    # float32 [N,28,28,1], 0-1 pixels, softmax probabilities.
    models["float_unit"] = convert(unit)
    # uint8 [N,28,28] raw 0-255 pixels cast inside, like the AutoKeras export.
    raw_in = keras.Input((28, 28), dtype="uint8")
    scaled = keras.layers.Rescaling(1 / 255.0)(keras.ops.cast(raw_in, "float32"))
    flat = keras.layers.Flatten()(scaled)
    raw_out = keras.layers.Dense(10, activation="softmax")(flat)
    raw = keras.Model(raw_in, raw_out)
    raw.layers[-1].set_weights(dense.get_weights())
    models["uint8_raw"] = convert(raw)
    # Full-integer quantized, int8 and uint8 input and output.
    models["int8_quant"] = convert(unit, io=tf.int8)
    models["uint8_quant"] = convert(unit, io=tf.uint8)
    # Logits instead of probabilities.
    logits = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                               keras.layers.Dense(10)])
    logits.layers[-1].set_weights(dense.get_weights())
    models["float_logits"] = convert(logits)
    # Wrong shapes: a colour 32x32 input, and 5 classes.
    models["wrong_input"] = convert(keras.Sequential(
        [keras.Input((32, 32, 3)), keras.layers.GlobalAveragePooling2D(),
         keras.layers.Dense(10)]))
    models["wrong_output"] = convert(keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(5)]))

    # An 11th output, "not a digit": digits against letters and symbols.
    from mnist_live.training import examples

    rng = np.random.default_rng(0)
    others = np.stack([examples.negative_crop(("letters", "symbols")[i % 2], rng, x)
                       for i in range(4000)])
    x11 = np.concatenate([x, others])
    y11 = np.concatenate([y, np.full(len(others), examples.NOT_A_DIGIT, y.dtype)])
    eleven_in = keras.Input((28, 28), dtype="uint8")
    eleven_scaled = keras.layers.Rescaling(1 / 255.0)(keras.ops.cast(eleven_in, "float32"))
    eleven_logits = keras.layers.Dense(11)(keras.layers.Flatten()(eleven_scaled))
    eleven = keras.Model(eleven_in, keras.layers.Softmax()(eleven_logits))
    eleven.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    eleven.fit(x11, y11, epochs=4, batch_size=128, verbose=2, shuffle=True)

    def int8_from_uint8(model) -> bytes:
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([image[None]] for image in x11[::60])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        return converter.convert()

    models["eleven_int8"] = int8_from_uint8(eleven)
    models["eleven_logits"] = convert(keras.Model(eleven_in, eleven_logits))

    # Batch fixed at 1 by a hard-coded reshape.
    kernel, bias = (tf.constant(w) for w in dense.get_weights())

    @tf.function(input_signature=[tf.TensorSpec([1, 28, 28, 1], tf.float32)])
    def fixed(images):
        return tf.nn.softmax(tf.reshape(images, [1, 784]) @ kernel + bias)

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [fixed.get_concrete_function()], fixed)
    models["fixed_batch"] = converter.convert()

    for name, content in models.items():
        write_bytes(HERE / f"{name}.tflite", content)
        print(f"{name}.tflite: {len(content)} bytes")


if __name__ == "__main__":
    main()
