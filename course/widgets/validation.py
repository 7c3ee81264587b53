"""Check a widget's model and data first, and say what to fix in the student's terms.

Without these checks a wrong argument surfaces as a traceback from deep inside
Keras. With them, the student reads one sentence that names the problem and the
fix, e.g. "the data has 19 columns but the model expects 20 features". Nothing
here changes the model: no building, no calling, no compiling.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class WidgetSetupError(ValueError):
    """A widget was given a model or data it cannot show; the message says what to fix."""


def require_sequential_model(model: Any, widget: str) -> None:
    """Raise :class:`WidgetSetupError` unless ``model`` is a built ``keras.Sequential`` with layers."""
    import keras

    if not isinstance(model, keras.Model):
        raise WidgetSetupError(
            f"{widget} needs a Keras model as its first argument, but got "
            f"{_describe(model)}. Pass the model you built with keras.Sequential([...]).")
    if not isinstance(model, keras.Sequential):
        raise WidgetSetupError(
            f"{widget} shows a keras.Sequential model stage by stage, but "
            f"{model.name!r} is a {type(model).__name__} model. Build the same layers "
            "with keras.Sequential([keras.Input(shape=(20,)), ...]) and pass that.")
    if not model.layers:
        raise WidgetSetupError(
            f"{widget}: the model {model.name!r} has no layers yet. Add them, e.g. "
            "keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(64, activation='relu'), ...]).")
    if not model.built:
        raise WidgetSetupError(
            f"{widget}: the model {model.name!r} is not built yet, so it does not know how many "
            "input features it takes. Start the layer list with keras.Input(shape=(20,)) "
            "(or call model.build((None, 20))) and create the widget again.")


def expected_width(model: Any) -> int | None:
    """The number of input features a built Sequential model takes (None if unknown)."""
    try:
        shape = model.inputs[0].shape
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    return int(shape[-1]) if len(shape) == 2 and shape[-1] is not None else None


def feature_table(x: Any, model: Any, widget: str) -> np.ndarray:
    """``x`` as a float32 (samples x features) array that fits ``model``, or a clear error."""
    if x is None or isinstance(x, (str, bytes, dict)):
        raise WidgetSetupError(
            f"{widget} needs the feature table as its second argument (for the course data: "
            f"x, y = load_data()), but got {_describe(x)}.")
    try:
        table = np.asarray(x, dtype="float32")
    except (TypeError, ValueError):
        raise WidgetSetupError(
            f"{widget} needs numbers, one row per sample, but {_describe(x)} cannot be read "
            "as a numeric table.") from None
    if table.ndim != 2:
        hint = (" For one sample, use x[None] or x.reshape(1, -1)." if table.ndim == 1 else "")
        raise WidgetSetupError(
            f"{widget} needs a table with one row per sample and one column per feature, "
            f"but the data has shape {table.shape}.{hint}")
    if table.shape[0] == 0:
        raise WidgetSetupError(f"{widget}: the data has no rows; pass at least one sample.")
    width = expected_width(model)
    if width is not None and table.shape[1] != width:
        raise WidgetSetupError(
            f"{widget}: the data has {table.shape[1]} columns but the model {model.name!r} "
            f"expects {width} features per sample (its keras.Input shape). Pass the matching "
            "feature table, e.g. x from x, y = load_data().")
    return table


def _describe(value: Any) -> str:
    """A short, readable description of a wrongly typed argument."""
    if value is None:
        return "None"
    shape = getattr(value, "shape", None)
    kind = type(value).__name__
    return f"a {kind} of shape {tuple(shape)}" if shape is not None else f"a {kind}"
