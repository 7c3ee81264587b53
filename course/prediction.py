"""The prediction trace: one sample followed through every stage, ending in a probability and a class.

The rule from output to class is the one Keras' accuracy uses: a single output is P(class 1),
class 1 when it is above :data:`THRESHOLD`; several outputs give the most probable unit.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course.formatting import preview_values
from course.stages import Stage, activation_words

#: A single output above this probability is predicted as class 1.
THRESHOLD = 0.5


def classify(output: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """For every row of the last stage's output (samples x units): the probability shown, the
    predicted class, and the rule used ("threshold" for one unit, "argmax" for several)."""
    output = np.asarray(output).reshape(len(output), -1)
    if output.shape[1] == 1:
        return output[:, 0], (output[:, 0] > THRESHOLD).astype(int), "threshold"
    return output.max(axis=1), output.argmax(axis=1), "argmax"


def probabilities_of(model, x) -> np.ndarray:
    """The model's one output per sample, from a plain call (no tf.function to build, nothing in
    the model changes)."""
    return np.asarray(model(x, training=False), dtype=float).reshape(-1)


def scores(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Binary cross-entropy and accuracy (class 1 above :data:`THRESHOLD`) of P(class 1) per sample
    against 0/1 labels, as ``model.evaluate`` reports them."""
    labels = np.asarray(labels, dtype=float).reshape(-1)
    clipped = np.clip(probabilities, 1e-7, 1 - 1e-7)
    loss = float(-np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped)))
    return loss, float(np.mean((probabilities > THRESHOLD) == (labels > THRESHOLD)))


@dataclass(frozen=True)
class TraceStep:
    """One layer of the prediction trace: "Layer 3: Dense Layer 1 (ReLU)" and the sample's values."""

    number: int
    name: str
    values: list[float]

    @property
    def label(self) -> str:
        return f"Layer {self.number}: {self.name}"

    @property
    def summary(self) -> str:
        count = len(self.values)
        return f"{preview_values(self.values)} ({count} value{'s' if count != 1 else ''})"


@dataclass(frozen=True)
class Prediction:
    """The prediction trace: one sample through every layer, then probability and class."""

    sample: int
    steps: list[TraceStep]
    probability: float
    predicted_class: int

    @property
    def verdict(self) -> str:
        if len(self.steps[-1].values) == 1:
            rule = f"probability > {THRESHOLD} means class 1" if self.predicted_class else \
                f"probability <= {THRESHOLD} means class 0"
        else:
            rule = "the class with the highest probability"
        return (f"Probability {self.probability:.4f} -> predicted class "
                f"{self.predicted_class} ({rule})")


def _step_name(stage: Stage) -> str:
    """"Input Layer", "Dense Layer 1 (ReLU)", "Output Layer (Sigmoid)": the prediction trace's names."""
    if stage.kind == "Input":
        return "Input Layer"
    if not stage.activation or stage.activation == "linear":
        return stage.name
    words = activation_words(stage.activation)
    return f"{stage.name} ({words[0].upper()}{words[1:]})"


def predict_sample(stages: Sequence[Stage], sample: int) -> Prediction:
    """Follow row ``sample`` through ``stages`` (from :func:`course.stages.run_stages`)."""
    steps = [TraceStep(stage.number, _step_name(stage),
                       np.asarray(stage.output[sample], dtype="float64").ravel().tolist())
             for stage in stages]
    probability, predicted, _ = classify(np.asarray([steps[-1].values]))
    return Prediction(sample, steps, float(probability[0]), int(predicted[0]))
