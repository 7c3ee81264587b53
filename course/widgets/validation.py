"""Check a widget's model and data first, and say what to fix in the student's terms.

Without these checks a wrong argument surfaces as a traceback from deep inside
Keras. With them, the student reads one sentence that names the problem and the
fix, e.g. "The model expects 20 features per row ..., but x has 19 columns".
The checks are the pipeline trace's (:func:`course.trace.check_model`,
:func:`course.trace.check_data`), so every tool in the course words a problem
the same way; errors are :class:`course.trace.TraceError` (a ``ValueError``)
or :class:`course.trace.TraceTypeError` (also a ``TypeError``). Nothing here
changes the model: no building, no calling, no compiling.
"""
from __future__ import annotations

from typing import Any

import keras
import numpy as np

from course.data import Dataset
from course.trace import TraceError, TraceTypeError, check_data, check_model, row_shape


def model_data_labels(model: Any, x: Any, y: Any, widget: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Features as float32 (one row per sample) and labels (or None), checked against ``model``.

    ``x`` may be the course :class:`~course.data.Dataset`, whose labels are
    used when ``y`` is not given.
    """
    if isinstance(x, Dataset):
        x, y = x.x, (x.y if y is None else y)
    if not isinstance(model, keras.Sequential):
        what = f"a {type(model).__name__} model" if isinstance(model, keras.Model) \
            else f"a {type(model).__name__}, not a Keras model"
        raise TraceTypeError(
            f"{widget} shows a keras.Sequential model stage by stage, but it got {what}. "
            "Build the model with keras.Sequential([keras.Input(shape=(20,)), ...]) and pass it first.")
    features = check_data(x, check_model(model, row_shape(x))).astype("float32")
    if y is None:
        return features, None
    labels = np.asarray(y).reshape(-1)
    if len(labels) != len(features):
        raise TraceError(f"{widget}: there are {len(features)} samples in x but {len(labels)} labels "
                         "in y; pass the y that belongs to x (x, y = load_data()).")
    return features, labels
