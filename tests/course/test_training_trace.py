"""course.training_trace: the epoch table's observations, the ASCII loss chart, the curves."""
import numpy as np
import pytest

from course import reference_epochs
from course.training_trace import (CONTINUED, EPOCH_HEADERS, curves_figure, epoch_cells, epoch_table,
                                   loss_chart, observe)

LOSSES = reference_epochs.column("loss")
ACCURACIES = reference_epochs.column("accuracy")
#: The reference table's observation column.
OBSERVATIONS = [
    "Model starts learning, loss is high, accuracy is low",
    "Loss decreases, accuracy improves",
    "Model continues to learn well",
    "Loss decreases steadily, accuracy increases",
    "Good convergence, model is improving",
]


def test_observations_reproduce_the_reference_table():
    assert observe(LOSSES, ACCURACIES) == OBSERVATIONS


def test_observations_respond_to_the_history():
    rising = observe([0.6, 0.5, 0.7, 0.8], [0.6, 0.7, 0.6, 0.55])
    assert rising[2].startswith("Loss went up") and rising[3].startswith("Loss went up")
    assert rising[0] == "Model starts learning, loss is high, accuracy is low"
    plateau = observe([0.6, 0.5, 0.499, 0.4985])
    assert "plateau" in plateau[2]
    assert plateau[3].startswith("Good convergence, loss is levelling off")
    assert observe([0.5]) == ["Model starts learning"]
    assert "not a number" in observe([0.5, float("nan")])[1]
    assert observe([0.5, 0.4]) == ["Model starts learning, loss is high",
                                   "Good convergence, model is improving"]
    assert observe(LOSSES, ACCURACIES, continued=True)[0] == CONTINUED


def test_ascii_chart_matches_the_reference_layout():
    assert loss_chart(LOSSES) == "\n".join([
        "Loss",
        "0.7 | *",
        "0.6 |",
        "0.5 |   *",
        "0.4 |     *",
        "0.3 |       * *",
        "      1 2 3 4 5  Epochs",
    ])
    many = loss_chart([1.0 / n for n in range(1, 13)])
    assert many.splitlines()[-1].rstrip().endswith("12  Epochs")
    assert loss_chart([0.5, 0.5]).count("*") == 2
    assert "no loss values" in loss_chart([float("nan")])


def test_epoch_table_reads_any_accuracy_key_and_exports_nan_as_none():
    rows = epoch_table({"loss": [0.7, float("nan")], "binary_accuracy": [0.5, 0.4]})
    assert [(row.epoch, row.accuracy) for row in rows] == [(1, 0.5), (2, 0.4)]
    assert rows[1].loss is None
    assert epoch_cells(rows, decimals=2)[1][:3] == ["2", "-", "0.40"]
    assert epoch_table({"loss": [0.7]})[0].accuracy is None
    assert len(EPOCH_HEADERS) == len(epoch_cells(rows)[0])


@pytest.mark.parametrize("values, accuracy_text", [
    (None, "Training has not been run yet"),
    ({"loss": [0.7, 0.6]}, "No accuracy recorded"),
])
def test_curves_say_what_is_missing(values, accuracy_text):
    figure = curves_figure(values, "t")
    loss_axes, accuracy_axes = figure.get_axes()
    assert accuracy_text in accuracy_axes.texts[0].get_text()
    assert bool(loss_axes.lines) == (values is not None)


def test_curves_draw_loss_and_accuracy():
    figure = curves_figure({"loss": LOSSES, "accuracy": ACCURACIES}, "Training trace - m")
    loss_axes, accuracy_axes = figure.get_axes()
    assert [loss_axes.get_title(), accuracy_axes.get_title()] == ["Loss", "Accuracy"]
    assert np.allclose(loss_axes.lines[0].get_ydata(), LOSSES)
    assert np.allclose(accuracy_axes.lines[0].get_ydata(), ACCURACIES)
