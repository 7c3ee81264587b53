"""Every stage's output for every sample, computed once per model.

The data goes through ``model.layers`` one layer at a time (``h = layer(h)``),
which is exactly what ``model.predict`` does, and each stage's output is kept:
stage 1 is the input itself, then one stage per layer. For the reference pipeline
that gives its five stages: Input Data (20 values), Normalization Layer
(20 values), Dense Layer 1 (64 units, ReLU), Dense Layer 2 (32 units, ReLU),
Output Layer (1 unit, sigmoid). Widgets read everything from this record,
so moving a slider never calls the model again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from course.model_facts import activation_name
from course.trace import THRESHOLD, layer_outputs, stage_names

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

    @cached_property
    def dead(self) -> np.ndarray | None:
        """Boolean mask of ReLU units that output 0 for every sample (None if not ReLU).

        Computed on first use and kept: the inspector reads it on every interaction."""
        return np.all(self.values == 0, axis=0) if self.relu else None

    def zero_units(self, sample: int) -> int | None:
        """How many ReLU units output exactly 0 for this sample (None if not ReLU)."""
        return int(np.count_nonzero(self.values[sample] == 0)) if self.relu else None


@dataclass(frozen=True)
class Activations:
    """All stages for all samples, plus the model's prediction for each sample.

    ``probability`` is P(class 1) for a one-unit output ("threshold") and the
    predicted class's probability for several units ("argmax"): ``output_kind``.
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

    ``model`` must already be checked (a built Sequential) and ``x`` a float32
    table that fits it. The outputs come from :func:`course.trace.layer_outputs`,
    the same pass the pipeline trace makes, and stages are named as there
    ("Dense Layer 1", "Output Layer").
    """
    names = ["Input Data", *stage_names(model.layers)]
    layers = [None, *model.layers]
    outputs = [x, *layer_outputs(model, x)]
    stages = []
    for number, (name, layer, output) in enumerate(zip(names, layers, outputs), start=1):
        values = np.asarray(output, dtype="float32").reshape(len(output), -1)
        stages.append(_stage(number, "input" if layer is None else layer.name,
                             _title(number, name, layer, values.shape[1]), values,
                             relu=layer is not None and is_relu(layer)))
    probability, predicted, kind = _predictions(stages[-1].values)
    return Activations(model_name=model.name, stages=stages, probability=probability,
                       predicted_class=predicted, output_kind=kind)


def is_relu(layer: Any) -> bool:
    """True for layers whose output is a ReLU: Dense(..., activation="relu"), ReLU(), Activation("relu")."""
    if type(layer).__name__ == "ReLU":
        config = layer.get_config()
        return not config.get("negative_slope") and not config.get("threshold") \
            and config.get("max_value") is None
    return activation_name(layer) == "relu"


def _title(number: int, name: str, layer: Any, units: int) -> str:
    """The stage picker's label: "3 Dense Layer 1 (64 units, ReLU)", "1 Input Data (20 values)"."""
    activation = None if layer is None else activation_name(layer)
    noun = "unit" if getattr(layer, "units", None) is not None else "value"
    size = f"{units} {noun}{'s' if units != 1 else ''}"
    if activation and activation != "linear":
        size += ", " + ("ReLU" if activation == "relu" else activation)
    return f"{number} {name} ({size})"


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


def _predictions(output: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """The shown probability, the predicted class, and which rule made the class.

    The pipeline trace's rule, for all samples at once: one output is P(class 1),
    class 1 when it is above :data:`course.trace.THRESHOLD` (as Keras' accuracy counts it); several outputs
    give the most probable unit and its probability.
    """
    if output.shape[1] == 1:
        return output[:, 0], (output[:, 0] > THRESHOLD).astype(int), "threshold"
    return output.max(axis=1), output.argmax(axis=1), "argmax"
