"""Every stage's output for every sample, computed once per model.

The data goes through ``model.layers`` one layer at a time (``h = layer(h)``),
which is exactly what ``model.predict`` does, and each stage's output is kept:
stage 1 is the input itself, then one stage per layer. For the seed's pipeline
that gives its five stages: input (20), normalization (20), dense 64 ReLU,
dense 32 ReLU, output (1, sigmoid). Widgets read everything from this record,
so moving a slider never calls the model again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course.widgets.validation import WidgetSetupError

#: Histogram bins for a stage's distribution over all samples.
HISTOGRAM_BINS = 40


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline and its output for all samples.

    ``values`` is (samples x units); ``relu`` says whether zeros mean "switched
    off" units; ``dead`` marks units that are zero for every sample;
    ``histogram`` is (counts, bin edges) over all samples, without the exact
    zeros of a ReLU stage.
    """

    number: int
    layer_name: str
    title: str
    values: np.ndarray
    relu: bool
    histogram: tuple[np.ndarray, np.ndarray] = field(repr=False)

    @property
    def units(self) -> int:
        return self.values.shape[1]

    @property
    def dead(self) -> np.ndarray | None:
        """Boolean mask of ReLU units that output 0 for every sample (None if not ReLU)."""
        return np.all(self.values == 0, axis=0) if self.relu else None

    def zero_units(self, sample: int) -> int | None:
        """How many ReLU units output exactly 0 for this sample (None if not ReLU)."""
        return int(np.count_nonzero(self.values[sample] == 0)) if self.relu else None


@dataclass(frozen=True)
class Activations:
    """All stages for all samples, plus the model's prediction for each sample.

    ``probability`` is P(class 1) for a one-unit output and the predicted
    class's probability for several units; ``output_kind`` says which.
    """

    model_name: str
    stages: list[Stage]
    probability: np.ndarray
    predicted_class: np.ndarray
    output_kind: str

    @property
    def samples(self) -> int:
        return self.stages[0].values.shape[0]


def record_activations(model: Any, x: np.ndarray) -> Activations:
    """Run ``x`` through ``model.layers`` once and keep every stage's output.

    ``model`` must already be validated (built Sequential); ``x`` a float32 table.
    Layers run in inference mode (``training=False``), so Dropout and
    BatchNormalization behave as in ``predict`` and no weight changes.
    """
    import keras

    width = x.shape[1]
    stages = [_stage(1, "input", f"1 Input ({width} features)", x, relu=False)]
    h = x
    for number, layer in enumerate(model.layers, start=2):
        try:
            h = layer(h, training=False)
        except Exception as error:  # noqa: BLE001 - re-raised with the stage named
            raise WidgetSetupError(
                f"Stage {number} (layer {layer.name!r}) failed on the data: {error}. "
                "Check that the layers fit together and the data has the right width.") from None
        output = np.asarray(keras.ops.convert_to_numpy(h), dtype="float32")
        values = output.reshape(len(output), -1)
        title = f"{number} {describe_layer(layer)}"
        if number == len(model.layers) + 1:
            title += " (output)"
        stages.append(_stage(number, layer.name, title, values, relu=is_relu(layer)))
    probability, predicted, kind = _predictions(stages[-1].values, activation_name(model.layers[-1]))
    return Activations(model_name=model.name, stages=stages, probability=probability,
                       predicted_class=predicted, output_kind=kind)


def activation_name(layer: Any) -> str | None:
    """The layer's activation as a name ("relu", "sigmoid", ...), or None if it has none."""
    config = layer.get_config()
    name = config.get("activation")
    if isinstance(name, str):
        return name
    if type(layer).__name__ == "ReLU" and not config.get("negative_slope") and not config.get("threshold"):
        return "relu"
    return None


def is_relu(layer: Any) -> bool:
    """True for layers whose output is ReLU: Dense(..., activation="relu"), ReLU(), Activation("relu")."""
    return activation_name(layer) == "relu"


def describe_layer(layer: Any) -> str:
    """How the course names a layer: "Dense 64 ReLU", "Normalization", "Dense 1 sigmoid"."""
    config = layer.get_config()
    parts = [type(layer).__name__]
    if "units" in config:
        parts.append(str(config["units"]))
    activation = activation_name(layer)
    if activation and activation != "linear" and type(layer).__name__ != "ReLU":
        parts.append("ReLU" if activation == "relu" else activation)
    return " ".join(parts)


def _stage(number: int, layer_name: str, title: str, values: np.ndarray, relu: bool) -> Stage:
    """A stage with its histogram; for ReLU stages the exact zeros are left out of it,
    so the spike at 0 does not flatten the rest (the inspector states their share)."""
    finite = values[np.isfinite(values)]
    if relu and np.any(finite != 0):
        finite = finite[finite != 0]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if low == high:
        low, high = low - 0.5, high + 0.5
    histogram = np.histogram(finite, bins=HISTOGRAM_BINS, range=(low, high))
    return Stage(number=number, layer_name=layer_name, title=title, values=values,
                 relu=relu, histogram=histogram)


def _predictions(output: np.ndarray, activation: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """The shown probability, the predicted class, and how the output was read.

    One unit: the sigmoid output (or a logit, passed through a sigmoid) is
    P(class 1), and the class is 1 when it is at least 0.5. Several units: the
    softmax output (or logits, passed through a softmax); the class is the most
    probable unit and the shown probability is that unit's.
    """
    if output.shape[1] == 1:
        p1 = output[:, 0] if activation == "sigmoid" else 1.0 / (1.0 + np.exp(-output[:, 0]))
        predicted = (p1 >= 0.5).astype(int)
        return p1.astype("float32"), predicted, "sigmoid" if activation == "sigmoid" else "logit"
    if activation == "softmax":
        probabilities = output
    else:
        shifted = np.exp(output - output.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
    predicted = probabilities.argmax(axis=1)
    return probabilities.max(axis=1).astype("float32"), predicted, "softmax"
