"""Lesson 5 · Training for 5 epochs: the History, the epoch table, the curves."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from course.exercise import Exercise, Notebook, call_student
from course.training_checks import check_history, history_dict

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready

#: A made-up History that hidden tests feed to the student's functions.
SAMPLE_HISTORY = SimpleNamespace(history={"loss": [0.9, 0.6, 0.45], "accuracy": [0.5, 0.7, 0.8]})


def _fit(problems, history):
    check_history(history, problems)
    data = history_dict(history) or {}
    if "loss" in data and len(data["loss"]) == 5:
        return f"loss {data['loss'][0]:.2f} → {data['loss'][-1]:.2f} in 5 epochs."
    return None


def _history_or_sample(history):
    """The notebook's History; a made-up one if training above is unfinished."""
    if history is not None:
        return history
    namespace = notebook.namespace or {}
    return namespace.get("history", SAMPLE_HISTORY)


def _table(problems, epoch_table, history=None):
    history = _history_or_sample(history)
    data = history_dict(history)
    rows = call_student(q2.title, epoch_table, history)
    try:
        rows = [tuple(row) for row in rows]
    except TypeError:
        problems.add(f"epoch_table should return a list of (epoch, loss, accuracy) rows; got {type(rows).__name__}.")
        return None
    epochs = len(data["loss"])
    if len(rows) != epochs:
        problems.add(f"epoch_table returned {len(rows)} rows; the History has {epochs} epochs.")
        return None
    for index, row in enumerate(rows):
        if len(row) != 3:
            problems.add(f"row {index} has {len(row)} values; each row is (epoch, loss, accuracy).")
            return None
    numbers = [row[0] for row in rows]
    if numbers == list(range(epochs)):
        problems.add("epochs are numbered from 0; the reference table numbers them 1 to 5.")
    elif numbers != list(range(1, epochs + 1)):
        problems.add(f"the epoch column is {numbers}; it should count 1, 2, ... {epochs}.")
    problems.expect(np.allclose([row[1] for row in rows], data["loss"]),
                    "the loss column does not match history.history['loss'].")
    problems.expect(np.allclose([row[2] for row in rows], data["accuracy"]),
                    "the accuracy column does not match history.history['accuracy'].")
    return None


def _curves(problems, plot_curves, history=None):
    import matplotlib.figure

    history = _history_or_sample(history)
    data = history_dict(history)
    figure = call_student(q3.title, plot_curves, history)
    if not isinstance(figure, matplotlib.figure.Figure):
        problems.add(f"plot_curves should return the matplotlib Figure; it returned {type(figure).__name__}.")
        return None
    drawn = [np.asarray(line.get_ydata(), float) for axes in figure.axes for line in axes.get_lines()]
    for key in ("loss", "accuracy"):
        expected = np.asarray(data[key], float)
        if not any(values.shape == expected.shape and np.allclose(values, expected) for values in drawn):
            problems.add(f"no line in the figure shows history.history['{key}'] "
                         f"({len(expected)} points).")
    problems.expect(len(figure.axes) == 2, f"the figure has {len(figure.axes)} axes; draw loss and "
                                           "accuracy side by side (2 axes).")
    return None


q1 = Exercise(notebook, "Exercise 1 · Train for 5 epochs", ["history"], _fit, [
    "model.fit returns a History object; pass the epochs and batch size the reference pipeline uses (5 epochs, batches of 32).",
    "fit takes the features and labels, then epochs= and batch_size= keywords (verbose=0 keeps it quiet).",
])
q2 = Exercise(notebook, "Exercise 2 · The epoch table", ["epoch_table"], _table, [
    "history.history is a dict of lists: one value per epoch for 'loss' and for 'accuracy'.",
    "zip the two lists together and enumerate them with start=1 to number the epochs.",
])
q3 = Exercise(notebook, "Exercise 3 · Loss and accuracy curves", ["plot_curves"], _curves, [
    "plt.subplots(1, 2) gives a figure with two axes; plot one metric on each.",
    "Plot history.history['loss'] on the first axes and history.history['accuracy'] on the second, "
    "against epochs 1 to 5, and return the figure (not the axes).",
])
