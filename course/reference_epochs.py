"""The reference pipeline's epoch table: loss and accuracy after each of its 5 epochs, and the
bands a training run is checked in.

This is the one place these numbers live. The training checks grade the final epoch in
:func:`band`, quiz question 7 quotes the table, the instructor's calibration test holds the
dataset to it, and a test keeps the lessons' text and the README in step with it.
Training is seeded, but results differ a little across CPUs and TensorFlow builds: every
check uses a band, never an exact number.
"""
from __future__ import annotations

from course.data import N_SAMPLES

#: (loss, accuracy) at the end of each epoch, as the reference table shows them.
EPOCH_TABLE = ((0.65, 0.60), (0.50, 0.75), (0.40, 0.82), (0.35, 0.86), (0.30, 0.89))
EPOCHS = len(EPOCH_TABLE)
#: How far a run may be from the table, by (epoch index, metric); -1 is the last epoch.
TOLERANCES = {(0, "loss"): 0.07, (0, "accuracy"): 0.08, (-1, "loss"): 0.06, (-1, "accuracy"): 0.04}
#: The reference pipeline's training settings: Adam at its default learning rate, batches of 32.
OPTIMIZER = "adam"
LEARNING_RATE = 0.001
BATCH_SIZE = 32
#: Batches per epoch when fit sees the whole training set (1000 samples in batches of 32: 32).
STEPS_PER_EPOCH = -(-N_SAMPLES // BATCH_SIZE)
#: A learning rate more than this many times larger or smaller than LEARNING_RATE is named as a mistake.
LEARNING_RATE_FACTOR = 3.0

_COLUMNS = {"loss": 0, "accuracy": 1}


def column(metric: str) -> list[float]:
    """The table's ``"loss"`` or ``"accuracy"`` column, epoch 1 first."""
    return [row[_COLUMNS[metric]] for row in EPOCH_TABLE]


def band(epoch: int, metric: str) -> tuple[float, float]:
    """(target, tolerance) of ``metric`` at ``epoch`` (an index: 0 is the first, -1 the last)."""
    return column(metric)[epoch], TOLERANCES[(epoch, metric)]


def in_band(value: float, epoch: int, metric: str) -> bool:
    target, tolerance = band(epoch, metric)
    return abs(value - target) <= tolerance


def trend() -> str:
    """The table in one sentence: "Loss falls 0.65 → 0.30 while accuracy rises 0.60 → 0.89 over 5 epochs"."""
    loss, accuracy = column("loss"), column("accuracy")
    return (f"Loss falls {loss[0]:.2f} → {loss[-1]:.2f} while accuracy rises "
            f"{accuracy[0]:.2f} → {accuracy[-1]:.2f} over {EPOCHS} epochs")
