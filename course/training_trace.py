"""The training trace: the epoch table (loss, accuracy, one observation per epoch), its ASCII
loss chart, and the loss and accuracy curves.

``epoch_table(history_values)`` gives one :class:`EpochRow` per epoch with an observation in the
reference pipeline's words ("Model starts learning, loss is high, accuracy is low", ...,
"Good convergence, model is improving"); ``loss_chart`` draws the losses in ASCII;
``curves_figure`` draws both curves with matplotlib. The pipeline trace and the live
training curves show the same table.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from course.model_facts import accuracy_key

#: A relative change of loss smaller than this counts as a plateau.
PLATEAU = 0.01
#: A relative drop of loss at least this big counts as learning well.
BIG_DROP = 0.15
#: The epoch table's column headings in HTML (the plain-text table keeps to ASCII).
EPOCH_HEADERS = ("Epoch", "Loss \u2193", "Accuracy \u2191", "Observation")
#: What the first epoch's observation says when the model was trained before this fit.
CONTINUED = "Continues an earlier fit: the model was already trained (re-build it to start over)"
NOT_TRAINED = "Training has not been run yet: call model.fit first."


@dataclass(frozen=True)
class EpochRow:
    """One row of the epoch table."""

    epoch: int
    loss: float | None
    accuracy: float | None
    observation: str


def _accuracy_words(accuracies: Sequence[float] | None, i: int, rising: str) -> str:
    if not accuracies or i >= len(accuracies):
        return ""
    if accuracies[i] > accuracies[i - 1]:
        return f", accuracy {rising}"
    if accuracies[i] < accuracies[i - 1]:
        return ", but accuracy dipped"
    return ", accuracy holds"


def observe(losses: Sequence[float], accuracies: Sequence[float] | None = None,
            continued: bool = False) -> list[str]:
    """One short observation per epoch, in the reference pipeline's words.

    "Model starts learning ..." for the first epoch, "Loss decreases, accuracy
    improves" while it learns, "Loss is on a plateau" or "Loss went up" when it
    stalls or overshoots, "Good convergence" when the last epoch ends lower
    than the first. ``continued``: the model was trained before this ``fit``, so
    epoch 1 continues that training instead of starting it.
    """
    return [_observe_epoch(losses, accuracies, i, continued) for i in range(len(losses))]


def _observe_epoch(losses: Sequence[float], accuracies: Sequence[float] | None, i: int,
                   continued: bool = False) -> str:
    loss, last = losses[i], i == len(losses) - 1
    if not math.isfinite(loss):
        return "Loss is not a number: training broke down (try a smaller learning rate)"
    if i == 0 and continued:
        return CONTINUED
    if i == 0:
        if len(losses) > 1 and min(losses[1:]) < loss:
            return "Model starts learning, loss is high" + (", accuracy is low" if accuracies else "")
        return "Model starts learning"
    previous = losses[i - 1]
    change = (loss - previous) / abs(previous) if previous else loss - previous
    if not math.isfinite(change):
        return "Loss is back to a number after a breakdown"
    if change > PLATEAU:
        return "Loss went up: the model overshot (try a smaller learning rate)"
    improved = loss < losses[0]
    if change >= -PLATEAU:
        if last and improved:
            return "Good convergence, loss is levelling off"
        return "Loss is on a plateau: learning has slowed down"
    if last and improved:
        return "Good convergence, model is improving"
    if i == 1:
        return "Loss decreases" + _accuracy_words(accuracies, i, "improves")
    if -change >= BIG_DROP and not (accuracies and accuracies[i] < accuracies[i - 1]):
        return "Model continues to learn well"
    return "Loss decreases steadily" + _accuracy_words(accuracies, i, "increases")


def _nice_step(span: float) -> float:
    """A chart step of 1, 2 or 5 times a power of ten giving about five rows."""
    raw = span / 4 if span > 0 else 0.1
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * 0.999)


def loss_chart(losses: Sequence[float]) -> str:
    """The reference pipeline's ASCII loss chart: loss levels down the side, epochs along the bottom."""
    points = [(epoch, loss) for epoch, loss in enumerate(losses, 1) if math.isfinite(loss)]
    if not points:
        return "Loss\n(no loss values to chart)"
    values = [loss for _, loss in points]
    step = _nice_step(max(values) - min(values))
    decimals = max(0, -math.floor(math.log10(step)))
    level = {epoch: math.floor(loss / step + 0.5) for epoch, loss in points}
    width = len(str(len(losses))) + 1
    labels = {n: f"{n * step:.{decimals}f}" for n in range(min(level.values()), max(level.values()) + 1)}
    label_width = max(len(label) for label in labels.values())
    lines = ["Loss"]
    for n in sorted(labels, reverse=True):
        cells = "".join(("*" if level.get(epoch) == n else " ").rjust(width)
                        for epoch in range(1, len(losses) + 1))
        lines.append(f"{labels[n].rjust(label_width)} |{cells}".rstrip())
    axis = "".join(str(epoch).rjust(width) for epoch in range(1, len(losses) + 1))
    lines.append(" " * (label_width + 2) + axis + "  Epochs")
    return "\n".join(lines)


def epoch_table(values: Mapping[str, Sequence[float]], continued: bool = False) -> list[EpochRow]:
    """The epoch table: epoch, loss, accuracy (when recorded) and an observation
    (``continued``: the model was trained before this ``fit``; see :func:`observe`)."""
    losses = list(values["loss"])
    key = accuracy_key(values)
    accuracies = list(values[key]) if key else None
    notes = observe(losses, accuracies, continued)
    return [EpochRow(epoch=i + 1, loss=_finite(loss),
                     accuracy=_finite(accuracies[i]) if accuracies and i < len(accuracies) else None,
                     observation=note)
            for i, (loss, note) in enumerate(zip(losses, notes))]


def _finite(value: float) -> float | None:
    """JSON has no NaN: a diverged loss is exported as None."""
    return value if math.isfinite(value) else None


def _cell(value: float | None, decimals: int = 4) -> str:
    """A loss or accuracy in the epoch table; "-" for a missing or diverged value."""
    return "-" if value is None else f"{value:.{decimals}f}"


def epoch_cells(rows: Sequence[EpochRow], decimals: int = 4) -> list[list[str]]:
    """The epoch table's cells as text, one list per epoch, in :data:`EPOCH_HEADERS` order."""
    return [[str(row.epoch), _cell(row.loss, decimals), _cell(row.accuracy, decimals), row.observation]
            for row in rows]


def curves_figure(values: Mapping[str, Sequence[float]] | None, title: str):
    """A matplotlib Figure with the loss curve (left) and the accuracy curve (right) of a
    history's ``values`` (None: not trained yet, which both panels say).

    The figure is closed in pyplot, so it shows once when it is a cell's last value and
    never piles up in memory.
    """
    import matplotlib.pyplot as plt

    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
    plt.close(figure)
    untrained = NOT_TRAINED.replace(": ", ":\n").rstrip(".")
    key = accuracy_key(values) if values else None
    _plot_curve(loss_axes, "Loss", values and values["loss"], untrained)
    _plot_curve(accuracy_axes, "Accuracy", values and key and values[key],
                untrained if not values else "No accuracy recorded:\ncompile with metrics=['accuracy']")
    figure.suptitle(title)
    return figure


def _plot_curve(axes, title: str, values: Sequence[float] | None, missing: str) -> None:
    axes.set_title(title)
    axes.set_xlabel("Epoch")
    if not values:
        axes.text(0.5, 0.5, missing, ha="center", va="center", transform=axes.transAxes)
        return
    epochs = list(range(1, len(values) + 1))
    axes.plot(epochs, values, marker="o")
    axes.set_xticks(epochs)
    axes.grid(alpha=0.3)
