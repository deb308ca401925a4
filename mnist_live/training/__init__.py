"""Train, export and document the shipped model (`mnist_tflite_trainer.py`).

One module per step, in order: `data` (load and check MNIST), `search` (the AutoKeras
search space and search, with `augment` adding pen and camera augmentation), `export`
(float and int8 .tflite), `evaluate` (through DigitClassifier), `report` (model card and
pictures); `trainer` runs them one after the other.

TensorFlow, Keras and AutoKeras are imported only inside the functions that need them,
so importing this package (or running the trainer's --help) is quick, and the detection
side never loads them.
"""
