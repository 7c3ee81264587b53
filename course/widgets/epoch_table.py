"""The seed page's epoch table, built from a training history.

    Epoch  Loss ↓  Accuracy ↑  Observation
    1      0.65    0.60        Model starts learning
    2      0.50    0.75        Loss decreases, accuracy improves
    ...

The observations describe what the numbers did from one epoch to the next;
they are computed from the history, never stored answers.
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Changes smaller than this (in loss or accuracy) count as "holds steady".
STEADY = 0.005


@dataclass(frozen=True)
class EpochRow:
    """One line of the table: the epoch (from 1), its loss and metric, and an observation."""

    epoch: int
    loss: float
    metric: float | None
    observation: str


def metric_key(keys: Iterable[str], metric: str | None = None) -> str | None:
    """The history key to show next to the loss: ``metric`` if given, else the first
    training metric that is not the loss (e.g. "accuracy", "acc", "binary_accuracy")."""
    keys = list(keys)
    if metric is not None:
        return metric if metric in keys else None
    return next((k for k in keys if k != "loss" and not k.startswith("val_")
                 and k != "learning_rate"), None)


def epoch_rows(history: Any, metric: str | None = None, observations: bool = True) -> list[EpochRow]:
    """Rows of the epoch table from ``model.fit``'s History (or its ``.history`` dict)."""
    logs: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    key = metric_key(logs.keys(), metric)
    losses = [float(v) for v in logs.get("loss", [])]
    metrics = [float(v) for v in logs[key]] if key else [None] * len(losses)
    rows = []
    for index, (loss, value) in enumerate(zip(losses, metrics)):
        note = ""
        if observations:
            note = _observation(index, losses, metrics, metric_label(key))
        rows.append(EpochRow(epoch=index + 1, loss=loss, metric=value, observation=note))
    return rows


def metric_label(key: str | None) -> str:
    """"accuracy" -> "Accuracy", "binary_accuracy" -> "Binary accuracy"."""
    return (key or "metric").replace("_", " ").capitalize()


def _observation(index: int, losses: list[float], metrics: list[float | None], label: str) -> str:
    if index == 0:
        return "Model starts learning"
    loss_change = losses[index] - losses[index - 1]
    if abs(loss_change) < STEADY:
        loss_text = "Loss holds steady"
    else:
        loss_text = "Loss decreases" if loss_change < 0 else "Loss increases"
    if metrics[index] is None:
        return loss_text
    metric_change = metrics[index] - metrics[index - 1]
    name = label.lower()
    if abs(metric_change) < STEADY:
        metric_text = f"{name} holds steady"
    else:
        metric_text = f"{name} improves" if metric_change > 0 else f"{name} drops"
    return f"{loss_text}, {metric_text}"


def table_text(rows: Sequence[EpochRow], label: str = "Accuracy") -> str:
    """The table as aligned plain text (for scripts and graded feedback)."""
    lines = [f"{'Epoch':<6}{'Loss ↓':<8}{label + ' ↑':<{len(label) + 4}}Observation"]
    for row in rows:
        metric = "" if row.metric is None else f"{row.metric:.2f}"
        lines.append(f"{row.epoch:<6}{row.loss:<8.2f}{metric:<{len(label) + 4}}{row.observation}")
    return "\n".join(lines)


def table_html(rows: Sequence[EpochRow], label: str = "Accuracy") -> str:
    """The table as HTML, styled like the seed page's."""
    head = "".join(f"<th style='text-align:left;padding-right:1em'>{html.escape(h)}</th>"
                   for h in ("Epoch", "Loss ↓", f"{label} ↑", "Observation"))
    body = "".join(
        "<tr>" + "".join(f"<td style='padding-right:1em'>{html.escape(cell)}</td>" for cell in (
            str(row.epoch), f"{row.loss:.2f}", "" if row.metric is None else f"{row.metric:.2f}",
            row.observation)) + "</tr>"
        for row in rows)
    return f"<table class='course-epoch-table'><tr>{head}</tr>{body}</table>"


def table_bundle(rows: Sequence[EpochRow], label: str = "Accuracy") -> dict[str, str]:
    """HTML and plain-text forms together, for :func:`course.widgets.frontend.show`."""
    return {"text/html": table_html(rows, label), "text/plain": table_text(rows, label)}
