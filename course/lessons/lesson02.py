"""Lesson 2 · Normalization: a layer that learns each feature's mean and variance."""
from __future__ import annotations

import numpy as np

from course.data import Dataset, generate, load_data
from course.exercise import Exercise, Notebook, call_student
from course.model_checks import check_normalizer, check_output_kind
from course.model_facts import is_adapted

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready


def _make_normalizer(problems, make_normalizer, normalizer, data: Dataset | None = None,
                     samples: int | None = None, seed: int | None = None):
    if samples:
        data = generate(samples, seed=seed)
    if data is not None:  # hidden test: the function must work on any features
        fresh = call_student(q1.title, make_normalizer, data.x)
        check_normalizer(fresh, problems, data.x)
        return None
    x = load_data().x
    check_normalizer(normalizer, problems, x)
    if not problems and callable(make_normalizer):  # the function adapts on what it is given
        other = x[: len(x) // 2] * 2
        fresh = call_student(q1.title, make_normalizer, other)
        mean = np.asarray(getattr(fresh, "mean", None) if fresh is not None else None, dtype=float).reshape(-1)
        if type(fresh).__name__ == "Normalization" and not is_adapted(fresh):
            problems.add("make_normalizer returns a layer that is not adapted: `normalizer` was adapted "
                         "outside the function, but make_normalizer(features) itself must adapt the layer "
                         "on `features` before returning it.")
        elif mean.shape == (x.shape[1],) and not np.allclose(mean, other.mean(axis=0), rtol=1e-2, atol=1e-3):
            problems.add("make_normalizer adapts the layer on the notebook's x whatever features it is "
                         "given: inside the function, adapt on its parameter `features`, not on x.")
    return "It learned 20 means and 20 variances from x."


def _normalized(problems, x_normalized, atol: float | None = None):
    x = load_data().x
    if not check_output_kind(x_normalized, problems, "x_normalized", "normalizer", "x"):
        if x_normalized is None:
            problems.add("adapt() returns nothing: it only teaches the layer the statistics; the "
                         "normalized data is what calling the layer returns, normalizer(x).")
        return None
    values = np.asarray(x_normalized)
    if values.shape in ((20,), (1, 20)):
        problems.add(f"`x_normalized` has shape {values.shape}, one sample: normalize all of x, "
                     "normalizer(x), shape (1000, 20).")
        return None
    if values.shape != x.shape:
        problems.add(f"`x_normalized` has shape {values.shape}; normalization keeps the shape {x.shape}.")
        return None
    if np.allclose(values, x):
        problems.add("`x_normalized` equals the raw x: pass the data through the layer, "
                     "`normalizer(x)`, after adapting it.")
        return None
    if np.allclose(np.linalg.norm(values, axis=1), 1, atol=1e-3):
        problems.add("`x_normalized` has every row (sample) scaled to length 1, as "
                     "keras.utils.normalize does; this stage gives each feature (column) mean 0 and "
                     "variance 1: call the adapted layer, normalizer(x).")
        return None
    once = (x - x.mean(axis=0)) / x.std(axis=0)
    twice = (once - x.mean(axis=0)) / x.std(axis=0)
    if np.allclose(values, twice, rtol=1e-3, atol=1e-3):
        problems.add("`x_normalized` was normalized twice: the layer was called on data it had already "
                     "normalized. Call it once, on the raw x: normalizer(x).")
        return None
    if np.allclose(values, (x - x.mean()) / x.std(), atol=1e-3):
        problems.add("`x_normalized` was scaled with one mean and one spread for the whole table; "
                     "each feature needs its own (what the adapted layer does): normalizer(x).")
        return None
    mean, variance = values.mean(axis=0), values.var(axis=0)
    problems.expect(np.abs(mean).max() < 0.01,
                    f"feature means should be 0 after normalization; the largest is {np.abs(mean).max():.3f}.")
    problems.expect(np.abs(variance - 1).max() < 0.01,
                    f"feature variances should be 1; one is {variance[np.abs(variance - 1).argmax()]:.3f}.")
    if atol is not None and not problems:  # hidden test: value by value, not only the statistics
        problems.expect(np.allclose(values, (x - x.mean(axis=0)) / x.std(axis=0), atol=atol),
                        "`x_normalized` is not (x - mean) / std of each feature, value by value.")
    return "Every feature now has mean 0 and variance 1."


q1 = Exercise(notebook, "Exercise 1 · Adapt a Normalization layer",
              ["make_normalizer", "normalizer"], _make_normalizer, [
                  "A Normalization layer learns its statistics from data with .adapt(...).",
                  "Three steps in the function: create a keras.layers.Normalization layer, call its "
                  "adapt method on the features it was given, return the layer.",
              ])
q2 = Exercise(notebook, "Exercise 2 · Normalize the features", ["x_normalized"], _normalized, [
    "A Keras layer is called like a function on data.",
    "Call the adapted layer on x; np.asarray turns the tensor it returns into a NumPy array.",
])
