"""The training trace: the epoch table (loss, accuracy, one observation per epoch), its ASCII
loss chart, and the loss and accuracy curves.

``epoch_table(history_values)`` gives one :class:`EpochRow` per epoch with an observation that
follows the numbers: learning, levelling off, stuck on a plateau, overshooting or exploding, no
better than guessing. :func:`assess` owns those rules (the pipeline trace and the live training
curves both read it); a run like the reference pipeline's reads as the reference table does
("Model starts learning, loss is high, accuracy is low", ..., "Good convergence, model is
improving"). ``loss_chart`` draws the losses in ASCII; ``curves_figure`` draws both curves with
matplotlib.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from course.model_facts import accuracy_key

#: A relative change of loss smaller than this counts as a plateau.
FLAT = 0.01
#: A relative drop of loss at least this big counts as learning well.
BIG_DROP = 0.15
#: Binary cross-entropy of a model that answers 0.5 for every sample (ln 2): guessing, in loss.
CHANCE_LOSS = math.log(2)
#: A loss this many times the guessing loss (or more) has exploded: the steps are far too big.
EXPLODED = 10.0
#: A loss above this many times the guessing loss is still worse than guessing.
ABOVE_GUESS = 1.1
#: Accuracy of guessing on two classes, and how far above it still counts as guessing
#: (the course data is 53.5 % ones: always answering 1 scores 0.535).
CHANCE_ACCURACY, CHANCE_MARGIN = 0.5, 0.06
#: A final accuracy from which a run that still improves has converged well.
GOOD_ACCURACY = 0.8
#: Without an accuracy, a final loss under this has converged well.
GOOD_LOSS = 0.5
#: The epoch table's column headings in HTML (the plain-text table keeps to ASCII).
EPOCH_HEADERS = ("Epoch", "Loss \u2193", "Accuracy \u2191", "Observation")
#: What the first epoch's observation says when the model was trained before this fit.
CONTINUED = "Continues an earlier fit: the model was already trained (re-build it to start over)"
NOT_TRAINED = "Training has not been run yet: call model.fit first."

#: The kinds of epoch :func:`assess` tells apart.
STARTING, CONTINUING = "starting", "continuing"
IMPROVING, CONVERGED, PLATEAU = "improving", "converged", "plateau"
DIVERGING, BROKEN, CHANCE, ABOVE_GUESSING = "diverging", "broken", "chance", "above guessing"
KINDS = (STARTING, CONTINUING, IMPROVING, CONVERGED, PLATEAU, DIVERGING, BROKEN, CHANCE, ABOVE_GUESSING)


@dataclass(frozen=True)
class EpochRow:
    """One row of the epoch table."""

    epoch: int
    loss: float | None
    accuracy: float | None
    observation: str


@dataclass(frozen=True)
class Observation:
    """What one epoch shows: its ``kind`` (one of :data:`KINDS`) and the sentence a student reads."""

    kind: str
    text: str


def observe(losses: Sequence[float], accuracies: Sequence[float] | None = None,
            continued: bool = False) -> list[str]:
    """One short observation per epoch (the sentences of :func:`assess`)."""
    return [found.text for found in assess(losses, accuracies, continued)]


def assess(losses: Sequence[float], accuracies: Sequence[float] | None = None,
           continued: bool = False) -> list[Observation]:
    """What each epoch shows, from its loss and accuracy and the epochs before it.

    The rules, in order: a loss that is not a number broke training; a loss that went up, or
    is ten times what guessing gives, means overshooting (``diverging``); an accuracy within
    a few points of 0.5 is no better than guessing (``chance``); a loss above guessing's
    (ln 2 = 0.69) is worse than guessing (``above guessing``); a loss that changed by less
    than 1 % is a ``plateau`` (``converged`` on the last epoch of a run that ends well);
    a falling loss is learning (``improving``; ``converged`` on the last epoch when the
    accuracy reached 0.8). ``continued``: the model was trained before this ``fit``, so
    epoch 1 continues that training instead of starting it.
    """
    accuracies = list(accuracies) if accuracies else None
    return [_assess_epoch(list(losses), accuracies, i, continued) for i in range(len(losses))]


def _accuracy(accuracies: Sequence[float] | None, i: int) -> float | None:
    if not accuracies or i >= len(accuracies) or not math.isfinite(accuracies[i]):
        return None
    return float(accuracies[i])


def _accuracy_words(accuracies: Sequence[float] | None, i: int, rising: str) -> str:
    now, before = _accuracy(accuracies, i), _accuracy(accuracies, i - 1)
    if now is None or before is None:
        return ""
    if now > before:
        return f", accuracy {rising}"
    if now < before:
        return ", but accuracy dipped"
    return ", accuracy holds"


def _at_chance(accuracy: float | None) -> bool:
    return accuracy is not None and accuracy <= CHANCE_ACCURACY + CHANCE_MARGIN


def _ends_well(loss: float, accuracy: float | None) -> bool:
    return accuracy >= GOOD_ACCURACY if accuracy is not None else loss < GOOD_LOSS


def _assess_epoch(losses: list[float], accuracies: list[float] | None, i: int,
                  continued: bool) -> Observation:
    loss, last = losses[i], i == len(losses) - 1
    accuracy = _accuracy(accuracies, i)
    guess = f"{CHANCE_LOSS:.2f}"
    if not math.isfinite(loss):
        return Observation(BROKEN, "Loss is not a number: training broke down (try a smaller learning rate)")
    if i == 0 and continued:
        return Observation(CONTINUING, CONTINUED)
    if loss >= EXPLODED * CHANCE_LOSS:
        return Observation(DIVERGING, f"Loss exploded to {loss:.3g} (guessing gives {guess}): the steps are "
                                      "far too big (normalize the features, or try a smaller learning rate)")
    if i > 0:
        previous = losses[i - 1]
        if not math.isfinite(previous):
            return Observation(BROKEN, "Loss is back to a number after a breakdown")
        change = (loss - previous) / abs(previous) if previous else loss - previous
        if change > FLAT:
            return Observation(DIVERGING, "Loss went up: the model overshot (try a smaller learning rate)")
    if _at_chance(accuracy):
        if i == 0:
            return Observation(CHANCE, f"Accuracy {accuracy:.2f} is at chance level: the model is no "
                                       "better than guessing yet")
        if change < -FLAT:
            return Observation(CHANCE, f"Loss decreases, but accuracy {accuracy:.2f} is still at chance "
                                       "level (no better than guessing)")
        return Observation(CHANCE, f"Accuracy {accuracy:.2f} is at chance level and the loss is flat: "
                                   "the model is not learning")
    if loss > ABOVE_GUESS * CHANCE_LOSS:
        when = "starts" if i == 0 else "is still"
        return Observation(ABOVE_GUESSING, f"Loss {when} above what guessing gives ({guess}): the model is "
                                           "worse than answering 0.5 for every sample")
    if i == 0:
        if len(losses) > 1 and min(losses[1:]) < loss:
            if accuracy is not None and accuracy >= GOOD_ACCURACY:
                return Observation(STARTING, f"Model starts learning, accuracy already {accuracy:.2f}")
            return Observation(STARTING, "Model starts learning, loss is high"
                                         + (", accuracy is low" if accuracy is not None else ""))
        return Observation(STARTING, "Model starts learning")
    improved = loss < losses[0]
    if change >= -FLAT:
        if last and improved and _ends_well(loss, accuracy):
            return Observation(CONVERGED, "Good convergence, loss is levelling off")
        return Observation(PLATEAU, "Loss is on a plateau: learning has slowed down")
    if last:
        if improved and _ends_well(loss, accuracy):
            return Observation(CONVERGED, "Good convergence, model is improving")
        shown = f", accuracy {accuracy:.2f}" if accuracy is not None else ""
        return Observation(IMPROVING, f"Loss still falls{shown}: more epochs would help")
    if i == 1:
        return Observation(IMPROVING, "Loss decreases" + _accuracy_words(accuracies, i, "improves"))
    if -change >= BIG_DROP and not (accuracy is not None and accuracy < (_accuracy(accuracies, i - 1) or 0)):
        return Observation(IMPROVING, "Model continues to learn well")
    return Observation(IMPROVING, "Loss decreases steadily" + _accuracy_words(accuracies, i, "increases"))


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
