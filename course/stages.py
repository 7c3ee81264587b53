"""A stage of a pipeline: what it is, what it does, and (once run on data) what comes in and out.

The reference pipeline's five stages (:data:`course.pipeline.STAGES`) and the stages of a
student's model on real data (:func:`run_stages`: the input, then one stage per layer) are the
same kind of object, so the checks compare them, the pipeline trace prints them and the
activation inspector draws them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from course import model_facts
from course.arguments import TraceError
from course.model_facts import activation_name, layer_label, quiet_config

#: What the first stage, the raw input, is.
INPUT_PURPOSE = "Raw numerical features representing samples"
#: How activations are named in descriptions, as the reference trace writes them.
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "relu6": "ReLU6",
                    "elu": "ELU", "selu": "SELU", "gelu": "GELU", "silu": "SiLU"}


def activation_words(name: str) -> str:
    """An activation as a student reads it: "ReLU", "sigmoid", "leaky ReLU"."""
    return ACTIVATION_NAMES.get(name, name)


@dataclass(frozen=True)
class Stage:
    """One stage: its number (the input is 1), name, layer kind, output width, activation and
    purpose in words; for a stage run on data also the model layer's name and the arrays that
    went in and came out (all samples)."""

    number: int
    name: str
    kind: str                 # Keras layer class name, or "Input"
    units: int | None         # output columns
    activation: str | None
    purpose: str
    layer_name: str | None = None
    input: np.ndarray | None = field(default=None, compare=False, repr=False)
    output: np.ndarray | None = field(default=None, compare=False, repr=False)

    def label(self) -> str:
        return layer_label(self.kind, self.units, self.activation)

    @property
    def relu(self) -> bool:
        """Whether a zero means a unit is switched off (the stage's output is a ReLU)."""
        return self.activation == "relu"

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.input))

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.output))

    @cached_property
    def values(self) -> np.ndarray:
        """The output as float32, one row per sample and one column per unit."""
        output = np.asarray(self.output, dtype="float32")
        return output.reshape(len(output), -1)

    @property
    def title(self) -> str:
        """A caption: "3 Dense Layer 1 (64 units, ReLU)", "1 Input Data (20 values)"."""
        noun = "unit" if self.kind == "Dense" else "value"
        size = f"{self.units} {noun}{'s' if self.units != 1 else ''}"
        if self.activation and self.activation != "linear":
            size += ", " + activation_words(self.activation)
        return f"{self.number} {self.name} ({size})"


# --------------------------------------------------------------------------- stages of a model

def _dense_description(config: dict[str, Any], activation: str) -> str:
    units = config.get("units", "?")
    text = f"Fully connected layer with {units} neuron{'s' if units != 1 else ''}"
    if activation == "linear":
        return text + " and no activation (raw scores)"
    text += f" and {activation_words(activation)} activation"
    if activation == "sigmoid" and units == 1:
        text += " for binary classification"
    elif activation == "softmax":
        text += f" for classification into {units} classes"
    return text


def describe_layer(layer) -> str:
    """What a layer does, in a student's words, from its class and ``get_config()``."""
    config = quiet_config(layer)
    kind = type(layer).__name__
    activation = activation_name(layer)
    if kind == "Dense":
        return _dense_description(config, activation or "linear")
    if kind == "Normalization":
        text = "Scale features to have mean 0 and variance 1"
        if not model_facts.is_adapted(layer):
            text += " (not adapted yet, so the data passes through unchanged: call .adapt(x) first)"
        return text
    if kind == "Dropout":
        return (f"Randomly drop {config.get('rate', 0):.0%} of the values while training "
                "(passes data through unchanged when predicting)")
    if kind == "Activation":
        return f"Apply the {activation_words(activation or 'linear')} activation"
    if kind == "Flatten":
        return "Flatten each sample into one long row"
    if kind == "Reshape":
        return f"Reshape each sample to {tuple(config.get('target_shape', ()))}"
    if kind == "BatchNormalization":
        return "Normalize each feature with the statistics learned during training"
    if kind == "Rescaling":
        return f"Multiply by {config.get('scale')} and add {config.get('offset')}"
    parts = [f"{kind} layer"]
    for count in ("units", "filters"):
        if count in config:
            parts.append(f"with {config[count]} {count}")
    if activation and activation != "linear":
        parts.append(f"and {activation_words(activation)} activation")
    return " ".join(parts)


def stage_names(layers) -> list[str]:
    """Names as in the reference trace: "Normalization Layer", "Dense Layer 1", ..., "Output Layer".

    The last layer is the output layer; other layers are named by kind and
    numbered when the model has more than one of that kind before the output.
    """
    kinds = [f"{type(layer).__name__} Layer" for layer in layers[:-1]]
    seen: dict[str, int] = {}
    names = []
    for kind in kinds:
        seen[kind] = seen.get(kind, 0) + 1
        names.append(f"{kind} {seen[kind]}" if kinds.count(kind) > 1 else kind)
    return names + ["Output Layer"]


def is_relu(layer) -> bool:
    """True for layers whose output is a ReLU: Dense(..., activation="relu"), ReLU(), Activation("relu")."""
    if type(layer).__name__ == "ReLU":
        config = layer.get_config()
        return not config.get("negative_slope") and not config.get("threshold") \
            and config.get("max_value") is None
    return activation_name(layer) == "relu"


def run_stages(model, data: np.ndarray) -> list[Stage]:
    """Every stage of a built Sequential ``model`` on ``data`` (checked to fit it): the input as
    stage 1, then one stage per layer, each with what went in and came out for all samples.

    The data goes through ``model.layers`` once (:func:`course.model_facts.layer_outputs`,
    which is what ``model.predict`` does); the model is not changed. A layer that cannot
    process its input raises :class:`~course.arguments.TraceError` naming its stage.
    """
    stages = [Stage(1, "Input Data", "Input", int(np.prod(data.shape[1:])), None, INPUT_PURPOSE,
                    input=data, output=data)]
    outputs = model_facts.layer_outputs(model, data)
    for number, (layer, name) in enumerate(zip(model.layers, stage_names(model.layers)), start=2):
        try:
            output = next(outputs)
        except Exception as error:
            raise TraceError(f"Stage {number} ({layer.name}) could not process the previous "
                             f"stage's output: {error}") from error
        previous = stages[-1].output
        stages.append(Stage(number, name, type(layer).__name__, int(np.prod(output.shape[1:])),
                            "relu" if is_relu(layer) else activation_name(layer),
                            describe_layer(layer), layer_name=layer.name, input=previous, output=output))
    return stages
