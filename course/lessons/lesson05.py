"""Lesson 5 · Training for 5 epochs: the History, the epoch table, the curves."""
from __future__ import annotations

import numpy as np

from course.exercise import Exercise, Notebook, call_student
from course.feedback import CheckFailed
from course.training_checks import check_history, history_dict

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready

#: The made-up History the functions get when training above is unfinished.
SAMPLE = {"loss": [0.9, 0.6, 0.45], "accuracy": [0.5, 0.7, 0.8]}


def sample_history(values: dict | None = None):
    """A Keras History holding ``values`` (made-up epochs, for hidden tests)."""
    import keras

    history = keras.callbacks.History()
    history.history = {key: list(column) for key, column in (values or SAMPLE).items()}
    epochs = len(next(iter(history.history.values()), []))
    history.params = {"epochs": epochs, "verbose": 0}
    history.epoch = list(range(epochs))  # as fit sets it: 0, 1, ... (a table may read it)
    return history


def _fit(problems, history, model=None, split: str | None = None):
    if isinstance(history, dict) or isinstance(history, (list, tuple)):
        problems.add(f"`history` is a {type(history).__name__} (part of what fit returns): keep the "
                     "History object itself, `history = model.fit(...)`; the next exercises read "
                     "history.history from it.")
        return None
    check_history(history, problems, model=model)
    data = history_dict(history) or {}
    if split and not problems:  # hidden test: the trained model on held-out data
        if model is None:
            problems.add("`model` is not defined: run the notebook from its first cell.")
            return None
        from course.lessons.lesson04 import held_out_scores

        _, accuracy = held_out_scores(model, split)
        problems.expect(accuracy > 0.75, f"the trained model's accuracy on the {split} data is "
                                         f"{accuracy:.2f}; the reference pipeline reaches more than "
                                         "0.75 after 5 epochs.")
        problems.expect(len(data.get("loss", [])) == 5, "the History should hold 5 epochs.")
    if "loss" in data and len(data["loss"]) == 5:
        return f"loss {data['loss'][0]:.2f} → {data['loss'][-1]:.2f} in 5 epochs."
    return None


def _history_or_sample(history, sample: dict | None = None):
    """The notebook's History; a made-up one for a hidden test or if training above is unfinished."""
    if sample is not None or history is None:
        return sample_history(sample)
    return history


def _table(problems, epoch_table, history=None, sample: dict | None = None):
    history = _history_or_sample(history, sample)
    data = history_dict(history)
    rows = call_student(q2.title, epoch_table, history)
    if isinstance(rows, dict):
        problems.add(f"epoch_table returned a dict (keys {', '.join(repr(k) for k in rows)}), such as "
                     "history.history itself: build a list with one (epoch, loss, accuracy) row per epoch "
                     "from its 'loss' and 'accuracy' lists.")
        return None
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
        problems.add("epochs are numbered from 0; the reference table numbers them 1 to 5: count from 1, "
                     "e.g. enumerate(..., start=1) or range(1, epochs + 1).")
    elif numbers != list(range(1, epochs + 1)):
        problems.add(f"the epoch column is {numbers}; it should count 1, 2, ... {epochs}.")
    if (not np.allclose([row[1] for row in rows], data["loss"])
            and np.allclose([row[1] for row in rows], data["accuracy"])
            and np.allclose([row[2] for row in rows], data["loss"])):
        problems.add("the loss and accuracy columns are swapped: each row is (epoch, loss, accuracy).")
        return None
    for column, key, other in ((1, "loss", "accuracy"), (2, "accuracy", "loss")):
        values = [row[column] for row in rows]
        if _same(values, data[key]):
            continue
        if _same(values, data[other]):
            problems.add(f"the {key} column holds history.history['{other}']: read it from "
                         f"history.history['{key}'].")
        else:
            problems.add(f"the {key} column does not match history.history['{key}'].")
    return None


def _same(values, expected) -> bool:
    """Whether ``values`` are ``expected``'s numbers, one per epoch."""
    try:
        values = np.asarray(values, float)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, float)
    return values.shape == expected.shape and bool(np.allclose(values, expected))


def _curves(problems, plot_curves, history=None, sample: dict | None = None):
    _check_curves(problems, plot_curves, _history_or_sample(history, sample))
    if not problems and sample is None and history is not None:  # also on another History
        other = sample_history()
        epochs = len(SAMPLE["loss"])
        try:
            _check_curves(problems, plot_curves, other)
        except CheckFailed as failure:
            problems.found.extend(failure.problems)
        if problems:
            problems.found[:] = [f"plot_curves works on this History but not on one of {epochs} epochs: "
                                 + "; ".join(problems.found) + " Plot what the History holds, however "
                                 "many epochs it has (no fixed 5)."]
    return None


def _check_curves(problems, plot_curves, history):
    import matplotlib.figure

    from course.figures import closing_new_figures

    data = history_dict(history)
    with closing_new_figures():  # the answer cell above already drew the student's figure
        figure = call_student(q3.title, plot_curves, history)
    if figure is None:
        problems.add("plot_curves returned None: a function without `return` gives None, and so does "
                     "plt.show(). End it with `return figure`, the Figure that plt.subplots(1, 2) gave.")
        return None
    if not isinstance(figure, matplotlib.figure.Figure):
        problems.add(f"plot_curves should return the matplotlib Figure; it returned {type(figure).__name__}.")
        return None
    drawn = [np.asarray(line.get_ydata(), float) for axes in figure.axes for line in axes.get_lines()]
    for key in ("loss", "accuracy"):
        if not any(_same(values, data[key]) for values in drawn):
            problems.add(_missing_curve(figure, data, key, drawn))
    if not problems.expect(len(figure.axes) == 2, f"the figure has {len(figure.axes)} axes; draw loss "
                                                  "and accuracy side by side (2 axes)."):
        return None
    if not problems:
        shows = [{key for key in ("loss", "accuracy") if _drawn_on(axes, data[key])} for axes in figure.axes]
        if shows == [{"accuracy"}, {"loss"}]:
            problems.add("the curves are on the wrong sides: loss goes on the left (the first axes), "
                         "accuracy on the right (the second), as in the reference pipeline's figure.")
        elif shows[0] != {"loss"} or shows[1] != {"accuracy"}:
            problems.add("each axes should show one curve: loss on the left (the first axes), accuracy "
                         "on the right (the second).")
    return None


def _missing_curve(figure, data: dict, key: str, drawn: list) -> str:
    """Why no line shows history.history[key], as far as the figure shows it; else the symptom."""
    expected = np.asarray(data[key], float)
    other = "accuracy" if key == "loss" else "loss"
    side = "left (the first axes)" if key == "loss" else "right (the second axes)"
    for axes in figure.axes:
        for points in axes.collections:
            offsets = np.asarray(points.get_offsets(), float)
            if offsets.ndim == 2 and offsets.shape[1] == 2 and _same(offsets[:, 1], expected):
                return (f"history.history['{key}'] is drawn as separate points (scatter), not as a line: "
                        "draw it with .plot(epochs, values, marker='o').")
    epochs = np.arange(1, len(expected) + 1, dtype=float)
    if any(_same(values, epochs) for values in drawn):
        return (f"plot() is missing the values to draw: a line shows the epoch numbers 1 to {len(expected)} "
                f"as its values. plot(x, y) takes the epochs first, then history.history['{key}'].")
    if sum(_same(values, data[other]) for values in drawn) >= 2:
        return (f"history.history['{other}'] is drawn twice and history.history['{key}'] never: the "
                f"{side} shows the {key}.")
    empty = [index for index, axes in enumerate(figure.axes) if not axes.get_lines() and not axes.collections]
    if len(figure.axes) == 2 and empty:
        where = "left (the first axes)" if empty[0] == 0 else "right (the second axes)"
        return (f"nothing is drawn on the {where}: plot history.history['{key}'] there, one point "
                "per epoch.")
    return f"no line in the figure shows history.history['{key}'] ({len(expected)} points)."


def _drawn_on(axes, values) -> bool:
    """Whether one of the lines on ``axes`` shows ``values`` (one point per epoch)."""
    return any(_same(line.get_ydata(), values) for line in axes.get_lines())


q1 = Exercise(notebook, "Exercise 1 · Train for 5 epochs", ["history"], _fit, optional=["model"], hints=[
    "model.fit returns a History object; pass the epochs and batch size the reference pipeline uses (5 epochs, batches of 32).",
    "fit takes the features and labels, then epochs= and batch_size= keywords (verbose=0 keeps it quiet).",
])
q2 = Exercise(notebook, "Exercise 2 · The epoch table", ["epoch_table"], _table, optional=["history"], hints=[
    "history.history is a dict of lists: one value per epoch for 'loss' and for 'accuracy'.",
    "zip the two lists together and enumerate them with start=1 to number the epochs.",
])
q3 = Exercise(notebook, "Exercise 3 · Loss and accuracy curves", ["plot_curves"], _curves, optional=["history"], hints=[
    "plt.subplots(1, 2) gives a figure with two axes; plot one metric on each.",
    "Plot history.history['loss'] on the first axes and history.history['accuracy'] on the second, "
    "against epochs 1 to 5, and return the figure (not the axes).",
])
