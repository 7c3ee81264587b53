"""Check what a student passes to the pipeline trace or a widget, and say what to fix.

``check_model``, ``check_data`` and ``history_values`` turn a wrong model, data table or
History into one sentence that names the problem and the fix (a :class:`TraceError`),
instead of a traceback from deep inside Keras. The trace and every widget use them, so
the course words each problem the same way. Nothing here changes the model.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from course import model_facts
from course.data import Dataset


class TraceError(ValueError):
    """What was passed to the trace cannot be traced; the message says how to fix it."""


class TraceTypeError(TraceError, TypeError):
    """The model, data or history is not the kind of object the trace expects."""


def _example_input(sample_shape: Sequence[int] | None) -> str:
    shape = tuple(sample_shape) if sample_shape else (20,)
    return f"keras.Input(shape={shape})"


def check_model(model: Any, sample_shape: Sequence[int] | None = None,
                tool: str = "The pipeline trace") -> tuple[int | None, ...]:
    """The shape of one input sample, e.g. ``(20,)``, or a :class:`TraceError` saying what is missing.

    ``sample_shape`` (one row of the student's data) makes the examples in messages fit;
    ``tool`` names who asks ("The pipeline trace", "ActivationInspector")."""
    example = _example_input(sample_shape)
    if not model_facts.is_sequential(model):
        what = f"a {type(model).__name__} model" if model_facts.is_model(model) \
            else f"a {type(model).__name__}, not a Keras model"
        raise TraceTypeError(
            f"{tool} needs a keras.Sequential model, but it got {what}. "
            f"Build the model with keras.Sequential([{example}, ...]) and pass it first.")
    if not model.layers:
        raise TraceError(
            "The model has no layers yet. Add them, e.g. "
            f"keras.Sequential([{example}, keras.layers.Dense(...), ...]).")
    shape = model_facts.input_shape(model)
    if shape is None:
        raise TraceError(
            "The model is not built yet, so it does not know its input shape and its "
            f"layers have no weights. Start the model with {example}, e.g. "
            f"keras.Sequential([{example}, ...]), or call the model once on your data: model(x[:1]).")
    return shape[1:]


def row_shape(x: Any) -> tuple[int, ...] | None:
    """The shape of one row of ``x`` if it looks like a table, to put in error messages."""
    shape = np.shape(x.x if isinstance(x, Dataset) else x)
    return tuple(shape[1:]) if len(shape) >= 2 else None


def _fits(expected: Sequence[int | None], got: Sequence[int]) -> bool:
    return len(expected) == len(got) and all(e is None or e == g for e, g in zip(expected, got))


def check_data(x: Any, expected: Sequence[int | None]) -> np.ndarray:
    """``x`` as a NumPy array with one row per sample that fits the model's input."""
    if isinstance(x, Dataset):
        x = x.x
    try:
        data = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise TraceTypeError(f"x should be an array of numbers, such as x from x, y = load_data(): {error}")  # noqa: B904
    if data.dtype.kind not in "biuf":
        raise TraceTypeError(f"x should be an array of numbers, such as x from x, y = load_data(); "
                             f"it holds {data.dtype} values.")
    if data.ndim < 2 or len(data) == 0:
        raise TraceError(f"x should have one row per sample, like shape (1000, 20), but its shape is "
                         f"{data.shape}. For a single sample use x.reshape(1, -1).")
    if not _fits(expected, data.shape[1:]):
        if len(expected) == 1 and data.ndim == 2:
            raise TraceError(
                f"The model expects {expected[0]} features per row (it starts with "
                f"keras.Input(shape=({expected[0]},))), but x has {data.shape[1]} columns "
                f"(shape {data.shape}).")
        raise TraceError(f"The model expects samples of shape {tuple(expected)}, but x has "
                         f"samples of shape {data.shape[1:]} (shape {data.shape}).")
    return data


def history_values(history: Any) -> dict[str, list[float]] | None:
    """The per-epoch values of a Keras History or a dict of lists; None when there is no history."""
    if history is None:
        return None
    values = model_facts.history_dict(history)
    if values is None:
        raise TraceTypeError(
            "history should be what model.fit returns (history = model.fit(...)) or a dict of "
            f"lists like {{'loss': [...], 'accuracy': [...]}}, not a {type(history).__name__}.")
    values = {str(key): [float(v) for v in np.ravel(series)] for key, series in values.items()}
    if not any(values.values()):
        raise TraceError("The history has no epochs: the model has not been trained yet. "
                         "Call model.fit first and keep what it returns: history = model.fit(...).")
    if not values.get("loss"):
        found = ", ".join(repr(k) for k in values) or "none"
        raise TraceError(f"The history has no 'loss' values (keys found: {found}). Pass the "
                         "History that model.fit returns, or a dict with a 'loss' list.")
    return values
