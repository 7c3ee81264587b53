"""Check a training History against the reference epoch table, within bands."""
from __future__ import annotations

import math

from course.feedback import Problems

EPOCHS = 5
#: The reference table's final epoch (loss 0.30, accuracy 0.89) with the bands training is graded in.
FINAL_LOSS_BAND = (0.30, 0.06)
FINAL_ACCURACY_BAND = (0.89, 0.04)


def history_dict(history) -> dict | None:
    """The ``{key: [per-epoch values]}`` dict of a keras History, or None."""
    data = getattr(history, "history", history)
    return data if isinstance(data, dict) else None


def check_history(history, problems: Problems, metric: str = "accuracy",
                  epochs: int = EPOCHS, bands: bool = True) -> None:
    """Keys as the lesson asks, ``epochs`` epochs, loss falling, final values in band."""
    data = history_dict(history)
    if data is None:
        problems.add(f"expected the History that model.fit(...) returns; got {type(history).__name__}.")
        return
    if "loss" not in data:
        problems.add("the History has no 'loss' key: was the model compiled and trained with fit()?")
        return
    if metric not in data:
        keys = ", ".join(repr(k) for k in data)
        problems.add(f"the History has no '{metric}' key (it has {keys}): compile with "
                     f"metrics=['{metric}'].")
    losses = list(data["loss"])
    if len(losses) != epochs:
        problems.add(f"the History has {len(losses)} epochs; the reference pipeline trains for {epochs}: "
                     f"fit(..., epochs={epochs}). (Running fit twice continues training.)")
        return
    if any(math.isnan(value) for value in losses):
        problems.add("the loss became NaN: check the data is normalized and the loss is "
                     "binary_crossentropy.")
        return
    if not losses[-1] < losses[0]:
        problems.add(f"the loss did not fall: {losses[0]:.3f} at epoch 1, {losses[-1]:.3f} at "
                     f"epoch {epochs}.")
    if not bands:
        return
    target, width = FINAL_LOSS_BAND
    if abs(losses[-1] - target) > width:
        advice = (" — lower than the reference table's: was the model trained more than once? Re-run the "
                  "cells that build it, then fit once." if losses[-1] < target - width else
                  " — higher than the reference table's: check batch_size=32, the optimizer and normalization.")
        problems.add(f"final loss {losses[-1]:.3f} is outside the reference band {target} ± {width}{advice}")
    if metric in data and len(data[metric]) == epochs:
        target, width = FINAL_ACCURACY_BAND
        final = data[metric][-1]
        if abs(final - target) > width:
            problems.add(f"final {metric} {final:.3f} is outside the reference band {target} ± {width}.")
