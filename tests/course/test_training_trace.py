"""course.training_trace: the epoch table's observations, the ASCII loss chart, the curves."""
import numpy as np
import pytest

from course import reference_epochs
from course import training_trace as tt
from course.training_trace import (
    CONTINUED,
    EPOCH_HEADERS,
    assess,
    curves_figure,
    epoch_cells,
    epoch_table,
    loss_chart,
    observe,
)

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


def kinds(losses, accuracies=None):
    return [found.kind for found in assess(losses, accuracies)]


def test_observations_are_never_cheerful_about_bad_numbers():
    """The runs of the issue: an unnormalised model ending at loss 1.25, accuracy 0.60; an epoch at 0.52."""
    unnormalised = observe([1.6, 1.5, 1.4, 1.3, 1.25], [0.55, 0.56, 0.58, 0.52, 0.60])
    assert not any("Good convergence" in text or "learn well" in text for text in unnormalised), unnormalised
    assert "guessing" in unnormalised[-1] and "chance" in unnormalised[3]
    assert kinds([1.6, 1.5, 1.4, 1.3, 1.25], [0.55, 0.56, 0.58, 0.52, 0.60])[-1] == tt.ABOVE_GUESSING
    # falling fast, but still at chance: never "continues to learn well"
    at_chance = kinds([0.69, 0.55, 0.45, 0.38, 0.33], [0.51, 0.52, 0.52, 0.52, 0.53])
    assert set(at_chance) == {tt.CHANCE}
    # still learning at the end but not there yet: no "Good convergence"
    slow = observe([0.69, 0.66, 0.63, 0.60, 0.57], [0.58, 0.62, 0.66, 0.69, 0.72])
    assert "more epochs" in slow[-1] and "Good convergence" not in " ".join(slow)
    assert kinds([0.6, 5000.0, 0.7]) == [tt.STARTING, tt.DIVERGING, tt.IMPROVING]
    assert kinds([0.5, float("inf"), 0.4]) == [tt.STARTING, tt.BROKEN, tt.BROKEN]
    assert {found.kind for found in assess(LOSSES, ACCURACIES)} <= set(tt.KINDS)


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


# ----------------------------------------------------------------------------- real training runs
#: Real, seeded, short trainings on the course data (about 2 s each), and what each must read as.
RUNS = {
    # the reference pipeline: reads as the reference table does
    "goes well": dict(),
    # logistic regression (no hidden layers) with a large step: reaches its best loss by epoch 4-5
    "plateaus": dict(hidden=False, learning_rate=0.05, epochs=10),
    # Adam with a learning rate 10,000 times the default: the loss explodes in epoch 1
    "diverges": dict(learning_rate=10.0),
    # raw features (0.01 to 1000): the loss explodes, then accuracy stays at chance
    "unnormalised": dict(normalize=False),
    # a learning rate 1,000 times too small: nothing moves from chance
    "stuck at chance": dict(learning_rate=1e-6),
}


def train(normalize=True, hidden=True, learning_rate=1e-3, epochs=5, live_curves=None):
    import keras

    import course
    from course.runtime import seed_everything

    x, y = course.load_data()
    seed_everything()
    layers = [keras.Input(shape=(20,))]
    if normalize:
        normalizer = keras.layers.Normalization()
        normalizer.adapt(x)
        layers.append(normalizer)
    if hidden:
        layers += [keras.layers.Dense(64, activation="relu"), keras.layers.Dense(32, activation="relu")]
    model = keras.Sequential(layers + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=["accuracy"])
    callbacks = [live_curves] if live_curves is not None else []
    return model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=callbacks).history


@pytest.fixture(scope="module")
def runs():
    return {name: train(**settings) for name, settings in RUNS.items()}


def _kinds(history):
    return [found.kind for found in assess(history["loss"], history["accuracy"])]


@pytest.mark.slow
def test_a_run_that_goes_well_reads_like_the_reference_table(runs):
    history = runs["goes well"]
    assert reference_epochs.in_band(history["accuracy"][-1], -1, "accuracy")  # the run is what it claims
    found = _kinds(history)
    assert found[0] == tt.STARTING and set(found[1:-1]) == {tt.IMPROVING} and found[-1] == tt.CONVERGED, found
    texts = observe(history["loss"], history["accuracy"])
    assert texts[0] == OBSERVATIONS[0] and texts[1] == OBSERVATIONS[1] and texts[-1] == OBSERVATIONS[-1]


@pytest.mark.slow
def test_a_run_that_plateaus_says_so(runs):
    history = runs["plateaus"]
    losses = history["loss"]
    assert abs(losses[-1] - losses[-4]) / losses[-4] < 0.01 and history["accuracy"][-1] > 0.8
    found = _kinds(history)
    assert tt.PLATEAU in found[4:-1] and found[-1] == tt.CONVERGED, found
    assert observe(losses, history["accuracy"])[-1] == "Good convergence, loss is levelling off"
    assert tt.IMPROVING in found[1:4]


@pytest.mark.slow
def test_a_diverging_run_is_never_called_learning(runs):
    history = runs["diverges"]
    assert history["loss"][0] > 10 * tt.CHANCE_LOSS  # what a huge learning rate does
    found = _kinds(history)
    assert found[0] == tt.DIVERGING and tt.CONVERGED not in found and tt.IMPROVING not in found, found
    assert "smaller learning rate" in observe(history["loss"], history["accuracy"])[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["unnormalised", "stuck at chance"])
def test_a_run_at_chance_says_chance_to_the_end(runs, name):
    history = runs[name]
    assert max(history["accuracy"][1:]) < 0.57  # no better than always answering 1 (0.535)
    found = _kinds(history)
    assert set(found[1:]) == {tt.CHANCE}, found
    texts = observe(history["loss"], history["accuracy"])
    assert "chance" in texts[-1] and "Good convergence" not in " ".join(texts)


@pytest.mark.slow
def test_live_curves_show_the_same_observations_as_the_trace():
    """LiveCurves' epoch table (headless: the static figure and table) reads the same rules."""
    from course.widgets.live_curves import LiveCurves

    curves = LiveCurves(live=False)
    history = train(normalize=False, live_curves=curves)
    rows = curves.rows()
    assert [row.observation for row in rows] == observe(history["loss"], history["accuracy"])
    assert "chance" in rows[-1].observation and "Good convergence" not in curves.table_html()
