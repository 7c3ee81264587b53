"""Check a widget's model and data first, and say what to fix in the student's terms.

Without these checks a wrong argument surfaces as a traceback from deep inside
Keras. With them, the student reads one sentence that names the problem and the
fix, e.g. "The model expects 20 features per row ..., but x has 19 columns".
The checks are the pipeline trace's (:mod:`course.arguments`), so every tool in the
course words a problem the same way; errors are :class:`~course.arguments.TraceError`
(a ``ValueError``) or :class:`~course.arguments.TraceTypeError` (also a ``TypeError``).
Nothing here changes the model: no building, no calling, no compiling.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from course.arguments import TraceError, check_data, check_model, row_shape
from course.data import Dataset


def model_data_labels(model: Any, x: Any, y: Any, widget: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Features as float32 (one row per sample) and labels (or None), checked against ``model``.

    ``x`` may be the course :class:`~course.data.Dataset`, whose labels are
    used when ``y`` is not given.
    """
    if isinstance(x, Dataset):
        x, y = x.x, (x.y if y is None else y)
    features = check_data(x, check_model(model, row_shape(x), tool=widget)).astype("float32")
    if y is None:
        return features, None
    labels = np.asarray(y).reshape(-1)
    if len(labels) != len(features):
        raise TraceError(f"{widget}: there are {len(features)} samples in x but {len(labels)} labels "
                         "in y; pass the y that belongs to x (x, y = load_data()).")
    return features, labels
