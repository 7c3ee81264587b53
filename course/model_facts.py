"""Read a Keras 3 model's structure (and its training History) through stable APIs, without changing it.

Everything here uses layer classes, ``get_config()``, ``count_params()`` and
real calls on data: never removed attributes such as ``layer.input_shape``,
never ``compile`` or ``build`` on the student's model.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np


def layer_label(kind: str, units: int | None, activation: str | None) -> str:
    """How messages name a layer: "Dense(64, relu)", or the class name ("Normalization")."""
    return f"Dense({units}, {activation})" if kind == "Dense" else kind


@dataclass(frozen=True)
class LayerFacts:
    kind: str                 # class name: "Dense", "Normalization", ...
    name: str
    units: int | None
    activation: str | None
    params: int | None

    def label(self) -> str:
        return layer_label(self.kind, self.units, self.activation)


def quiet_config(layer) -> dict[str, Any]:
    """``layer.get_config()`` without the warnings Keras prints for lambda activations; {} if unusable."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return layer.get_config()
        except Exception:  # noqa: BLE001 - a custom layer without a usable config
            return {}


def activation_name(layer) -> str | None:
    """A layer's activation as Keras names it: 'relu', 'sigmoid', 'linear' ...; 'custom' for a
    lambda; None when the layer has no activation setting. Also takes a layer config dict."""
    config = layer if isinstance(layer, dict) else quiet_config(layer)
    activation = config.get("activation")
    if isinstance(activation, dict):  # a serialized activation object
        inner = activation.get("config") if isinstance(activation.get("config"), dict) else {}
        if activation.get("class_name") == "ReLU" and not inner.get("max_value") and not inner.get(
                "negative_slope") and not inner.get("threshold"):
            return "relu"  # keras.layers.ReLU() as the activation is plain ReLU
        activation = inner.get("name") or activation.get("class_name")
    if isinstance(activation, str):
        return activation.lower()
    function = None if isinstance(layer, dict) else getattr(layer, "activation", None)
    if function is None:
        return None
    name = getattr(function, "__name__", "custom")
    return "custom" if name == "<lambda>" else name


def layer_facts(layer) -> LayerFacts:
    config = quiet_config(layer)
    params = layer.count_params() if getattr(layer, "built", False) else None
    return LayerFacts(kind=type(layer).__name__, name=layer.name, units=config.get("units"),
                      activation=activation_name(config), params=params)


def is_model(obj) -> bool:
    import keras

    return isinstance(obj, keras.Model)


def is_sequential(obj) -> bool:
    import keras

    return isinstance(obj, keras.Sequential)


def input_shape(model) -> tuple | None:
    """One sample's input shape with the batch as None, e.g. (None, 20); None if unbuilt."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    return tuple(inputs[0].shape)


def layer_outputs(model, x) -> Iterator[np.ndarray]:
    """Each layer's output for all of ``x``, calling ``model.layers`` in order (the model is not changed)."""
    import keras

    hidden = keras.ops.convert_to_tensor(x)
    for layer in model.layers:
        hidden = layer(hidden)
        yield keras.ops.convert_to_numpy(hidden)


def stage_outputs(model, x) -> list[np.ndarray]:
    """``layer_outputs`` as a list: one array per layer."""
    return list(layer_outputs(model, x))


def is_adapted(normalizer) -> bool:
    """False for a Normalization layer that was never adapted (it is the identity)."""
    mean = getattr(normalizer, "mean", None)
    variance = getattr(normalizer, "variance", None)
    if mean is None or variance is None:
        config = normalizer.get_config()
        return config.get("mean") is not None
    mean, variance = np.asarray(mean), np.asarray(variance)
    return not (np.allclose(mean, 0.0) and np.allclose(variance, 1.0))


def history_dict(history) -> dict | None:
    """The ``{key: [per-epoch values]}`` dict of a Keras History (or of such a dict), or None."""
    data = getattr(history, "history", history)
    return data if isinstance(data, dict) else None


#: History keys that hold training accuracy, in order of preference.
ACCURACY_KEYS = ("accuracy", "binary_accuracy", "acc",
                 "categorical_accuracy", "sparse_categorical_accuracy")


def accuracy_key(values) -> str | None:
    """Which key of a history's ``{key: [values]}`` holds training accuracy ('accuracy',
    'binary_accuracy', 'acc', ...); None when none does."""
    for key in ACCURACY_KEYS:
        if values.get(key):
            return key
    return next((key for key in values
                 if not key.startswith("val_") and key.endswith(("accuracy", "acc"))), None)


def optimizer_steps(model) -> int | None:
    """Optimizer steps (batches) ``model`` has been trained for so far; None when it has no
    optimizer that counts them."""
    iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
    if iterations is None:
        return None
    try:
        return int(iterations.numpy() if hasattr(iterations, "numpy") else iterations)
    except (TypeError, ValueError):
        return None


def _snake(name: str) -> str:
    """'BinaryCrossentropy' -> 'binary_crossentropy' (Keras accepts a class name as the string too)."""
    import re

    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _setting_name(setting: Any) -> tuple[str | None, dict]:
    """The name and config of one compile setting as ``get_compile_config()`` keeps it: a string
    ("adam"), a serialized function ({"class_name": "function", "config": "binary_crossentropy"})
    or a serialized object ({"class_name": "BinaryCrossentropy", "config": {...}})."""
    if setting is None:
        return None, {}
    if isinstance(setting, str):
        return setting, {}
    if isinstance(setting, dict):
        config = setting.get("config")
        if isinstance(config, str):  # a function given by reference, e.g. keras.losses.binary_crossentropy
            return config, {}
        config = config if isinstance(config, dict) else {}
        return config.get("name") or setting.get("class_name"), config
    name = getattr(setting, "name", None) or getattr(setting, "__name__", None) or type(setting).__name__
    return str(name), {}


def compile_facts(model) -> dict[str, Any] | None:
    """Loss, optimizer (with its learning rate) and metrics the model was compiled with, whether
    each was given as a name, a function or an object; None if not compiled."""
    if not getattr(model, "compiled", False):
        return None
    raw = getattr(getattr(model, "_compile_config", None), "config", None) or {}
    classes = [(key, value.__name__) for key in ("optimizer", "loss") if isinstance(value := raw.get(key), type)]
    classes += [("metrics", metric.__name__) for metric in (raw.get("metrics") or [])
                if isinstance(raw.get("metrics"), (list, tuple)) and isinstance(metric, type)]
    try:
        config = model.get_compile_config() or {}
    except Exception:  # noqa: BLE001 - e.g. a class given without (): read what compile() was given
        config = {key: (value.__name__ if isinstance(value, type) else value) for key, value in raw.items()}
        if isinstance(config.get("metrics"), (list, tuple)):
            config["metrics"] = [m.__name__ if isinstance(m, type) else m for m in config["metrics"]]
        if config.get("optimizer") is None or not isinstance(config.get("optimizer"), str):
            config["optimizer"] = type(getattr(model, "optimizer", None)).__name__
    loss, loss_config = _setting_name(config.get("loss"))
    from_logits = bool(loss_config.get("from_logits", False))
    raw_optimizer = config.get("optimizer")
    optimizer, optimizer_config = _setting_name(raw_optimizer)
    if isinstance(raw_optimizer, dict) and raw_optimizer.get("class_name"):
        # The class, not the instance name: a second Adam() is named "adam_1".
        optimizer = raw_optimizer["class_name"]
    rate = optimizer_config.get("learning_rate")
    if isinstance(rate, dict):  # a schedule: no single learning rate
        rate = None
    metrics = config.get("metrics") or []
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    metric_names = []
    for metric in metrics:
        if isinstance(metric, dict) and metric.get("class_name") == "Accuracy":
            metric_names.append("keras.metrics.Accuracy()")  # exact-match accuracy, not binary accuracy
            continue
        name, _ = _setting_name(metric)
        metric_names.append(str(name))
    loss_name = _snake(loss) if isinstance(loss, str) else None
    return {"loss": loss_name, "from_logits": from_logits,
            "optimizer": str(optimizer).lower() if optimizer is not None else None,
            "learning_rate": float(rate) if isinstance(rate, (int, float)) else None,
            "metrics": metric_names, "classes": classes}
