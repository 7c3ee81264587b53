"""The reference answers of source/ as plain Python, for testing checks in-process.

Each function mirrors a `### BEGIN SOLUTION` region of a lesson notebook;
tests/test_mistakes.py fills them into the release notebooks and runs every test
cell, hidden tests included, with the same checks the notebooks use.
"""
from __future__ import annotations

import keras
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from course.data import load_data


def make_normalizer(features):
    normalizer = keras.layers.Normalization()
    normalizer.adapt(features)
    return normalizer


def dense_stack(units_and_activations):
    return [keras.layers.Dense(units, activation=activation) for units, activation in units_and_activations]


SEED_DENSE = [(64, "relu"), (32, "relu"), (1, "sigmoid")]


def build_model(normalizer, dense=SEED_DENSE, input_shape=(20,), with_normalizer=True):
    layers = [keras.Input(shape=input_shape)] + ([normalizer] if with_normalizer else [])
    return keras.Sequential(layers + dense_stack(dense))


def compile_model(model, loss="binary_crossentropy", metrics=("accuracy",), optimizer="adam"):
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def epoch_table(history):
    values = history.history
    return [(epoch, loss, accuracy) for epoch, (loss, accuracy)
            in enumerate(zip(values["loss"], values["accuracy"]), start=1)]


def plot_curves(history):
    values = history.history
    epochs = range(1, len(values["loss"]) + 1)
    figure, (left, right) = plt.subplots(1, 2)
    left.plot(epochs, values["loss"])
    right.plot(epochs, values["accuracy"])
    return figure


def make_trace_model(model):
    return keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])


def trace_sample(model, x, index):
    outputs = make_trace_model(model).predict(x[index:index + 1], verbose=0)
    return [x[index]] + [output[0] for output in outputs]


def to_classes(probabilities):
    return (np.asarray(probabilities).reshape(-1) > 0.5).astype(int)


def lesson_namespaces(history=None) -> dict[str, dict]:
    """{lesson module name: the notebook namespace a correct student ends with}."""
    x, y = load_data()
    normalizer = make_normalizer(x)
    x_normalized = np.asarray(normalizer(x))
    dense_1, dense_2 = keras.layers.Dense(64, activation="relu"), keras.layers.Dense(32, activation="relu")
    hidden_1 = np.asarray(dense_1(x_normalized))
    hidden_2 = np.asarray(dense_2(hidden_1))
    output_layer = keras.layers.Dense(1, activation="sigmoid")
    model = compile_model(build_model(normalizer))
    spread = np.std(x, axis=0)
    return {
        "lesson01": dict(x=x, y=y, n_samples=1000, n_features=20,
                         positive_fraction=lambda labels: float(np.mean(labels)),
                         balance=float(np.mean(y)), feature_spread=lambda f: np.std(f, axis=0),
                         scale_ratio=spread.max() / spread.min()),
        "lesson02": dict(x=x, make_normalizer=make_normalizer, normalizer=normalizer,
                         x_normalized=x_normalized),
        "lesson03": dict(dense_1=dense_1, hidden_1=hidden_1, dense_2=dense_2, hidden_2=hidden_2,
                         dense_params=lambda inputs, units: inputs * units + units),
        "lesson04": dict(output_layer=output_layer, probabilities=np.asarray(output_layer(hidden_2)),
                         build_model=build_model, model=model),
        "lesson05": dict(history=history, epoch_table=epoch_table, plot_curves=plot_curves, model=model),
        "lesson06": dict(model=model, make_trace_model=make_trace_model, trace_sample=trace_sample,
                         to_classes=to_classes),
        "lesson07": {f"answer_q{n}": letter for n, letter in
                     zip(range(1, 9), ["C", "B", "D", "B", "C", "A", "C", "B"])},
    }
