"""Training that goes wrong gets its likely cause named first, from real (seeded, short) trainings.

Each case trains the lesson's model for 5 epochs on the course data with one mistake beginners
make; the lesson-5 check must fail and its message must start with that mistake's cause.
Numbers are asserted in bands, never exactly.
"""
from __future__ import annotations

import numpy as np
import pytest

from course.feedback import Problems
from course.training_checks import CHANCE_LOSS, check_history, diagnose, steps_before_fit

pytestmark = pytest.mark.slow


def build(*, normalize: bool = True, adapt: bool = True, optimizer="adam", seed: int = 42):
    import keras

    import course

    x, _ = course.load_data()
    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(20,))]
    if normalize:
        normalizer = keras.layers.Normalization()
        if adapt:
            normalizer.adapt(x)
        layers.append(normalizer)
    layers += [keras.layers.Dense(64, activation="relu"), keras.layers.Dense(32, activation="relu"),
               keras.layers.Dense(1, activation="sigmoid")]
    model = keras.Sequential(layers)
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def train(case: str):
    """(model, history) of the lesson's training with the mistake ``case``."""
    import keras

    import course

    x, y = course.load_data()
    fit = {"epochs": 5, "batch_size": 32, "verbose": 0}
    if case == "reference":
        model = build()
    elif case == "fit run twice":
        model = build()
        model.fit(x, y, **{**fit, "epochs": 3})
    elif case == "labels shuffled":
        model = build()
        y = np.random.default_rng(0).permutation(y)
    elif case == "normalized twice":
        model = build()
        x = (x - x.mean(axis=0)) / x.std(axis=0)
    elif case == "no normalization":
        model = build(normalize=False)
    elif case == "normalizer not adapted":
        model = build(adapt=False)
    elif case == "learning rate 1e-4":
        model = build(optimizer=keras.optimizers.Adam(1e-4))
    elif case == "learning rate 1e-2":
        model = build(optimizer=keras.optimizers.Adam(1e-2))
    elif case == "sgd":
        model = build(optimizer="sgd")
    elif case == "batch size 256":
        model, fit = build(), {**fit, "batch_size": 256}
    elif case == "batch size 8":
        model, fit = build(), {**fit, "batch_size": 8}
    else:
        raise ValueError(case)
    return model, model.fit(x, y, **fit)


_TRAINED: dict = {}


def trained(case: str):
    if case not in _TRAINED:
        _TRAINED[case] = train(case)
    return _TRAINED[case]


def problems_of(history, model=None) -> list[str]:
    problems = Problems("Exercise 1 · Train for 5 epochs")
    check_history(history, problems, model=model)
    return problems.found


def test_the_reference_training_passes():
    model, history = trained("reference")
    assert steps_before_fit(history, model) == 0
    assert problems_of(history, model) == []


def test_a_second_fit_on_the_same_model_is_named_with_what_to_do():
    """The student's case: fit ran, then ran again; 8 epochs in all, the last 5 in band."""
    model, history = trained("fit run twice")
    losses = history.history["loss"]
    assert len(losses) == 5 and 0.15 < losses[0] < 0.45  # looks like a fine History on its own
    assert steps_before_fit(history, model) == 3 * 32
    found = problems_of(history, model)
    assert len(found) == 1
    assert "already trained before this fit" in found[0] and "3 epoch(s)" in found[0]
    assert "Re-run the cells that build the model" in found[0]
    # Without the model (a History alone), the first epoch's loss gives it away.
    assert "trained more than once" in diagnose(history)[0]


# case -> words the first-named cause must contain
CAUSES = {
    "labels shuffled": "labels the model was trained on do not match the features",
    "normalized twice": "normalized twice",
    "no normalization": "no Normalization layer",
    "normalizer not adapted": "never adapted",
    "learning rate 1e-4": "learning rate is 0.0001",
    "learning rate 1e-2": "learning rate is 0.01",
    "sgd": "optimizer is 'sgd'",
    "batch size 256": "the batch size: fit took 4 steps per epoch",
    "batch size 8": "the batch size: fit took 125 steps per epoch",
}


@pytest.mark.parametrize("case", list(CAUSES))
def test_training_gone_wrong_names_its_most_likely_cause_first(case):
    model, history = trained(case)
    found = problems_of(history, model)
    band = [problem for problem in found if problem.startswith("final loss")]
    assert band, f"{case}: final loss {history.history['loss'][-1]:.3f} should be outside the band"
    most_likely = band[0].split("Most likely: ", 1)[1]
    assert most_likely.startswith("the") and CAUSES[case] in most_likely.split(" Also possible: ")[0], band[0]


def test_without_the_model_flat_loss_near_ln2_points_at_the_labels():
    _, history = trained("labels shuffled")
    losses = history.history["loss"]
    assert all(abs(value - CHANCE_LOSS) < 0.08 for value in losses)
    assert "ln 2" in diagnose(history)[0] and "labels" in diagnose(history)[0]


def test_a_check_never_changes_the_students_model():
    model, history = trained("labels shuffled")
    weights = [w.copy() for w in model.get_weights()]
    iterations = int(model.optimizer.iterations)
    problems_of(history, model)
    assert int(model.optimizer.iterations) == iterations
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))


# --------------------------------------------------------------------------- the live table and the trace


def test_live_curves_and_trace_say_a_second_fit_continues_instead_of_loss_is_high():
    """Epoch 1 of a second fit (loss about 0.35) is no 'Model starts learning, loss is high'."""
    import course
    from course.trace import trace
    from course.training_trace import CONTINUED
    from course.widgets import LiveCurves

    x, y = course.load_data()
    model = build(seed=3)
    fresh = LiveCurves(live=False)
    first = model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[fresh])
    assert fresh.rows()[0].observation.startswith("Model starts learning")
    assert trace(model, x, first).epochs[0].observation.startswith("Model starts learning")
    again = LiveCurves(live=False)
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0, callbacks=[again])
    assert history.history["loss"][0] < 0.45
    assert again.rows()[0].observation == CONTINUED
    assert "loss is high" not in again.table_text()
    assert trace(model, x, history).epochs[0].observation == CONTINUED


def test_live_curves_show_no_empty_image_before_the_first_epoch():
    import course
    from course.widgets import LiveCurves

    x, y = course.load_data()
    model = build(seed=4)
    curves = LiveCurves(live=True)
    seen = []

    class Watch(__import__("keras").callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append((curves.image.layout.display, bytes(curves.image.value)))

    model.fit(x[:200], y[:200], epochs=1, batch_size=100, verbose=0, callbacks=[curves, Watch()])
    assert seen == [("none", b"")]  # nothing (not a broken picture) while the first epoch runs
    assert curves.image.layout.display is None and curves.image.value[:4] == b"\x89PNG"


def test_the_curves_check_reads_the_figure_without_drawing_it_again():
    """In Jupyter every figure still open at the end of a cell is drawn: the check must close the
    ones plot_curves made for it (the answer cell above already shows the student's)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course.lessons import lesson05

    def plot_curves(history):
        figure, (left, right) = plt.subplots(1, 2)
        left.plot(history.history["loss"])
        right.plot(history.history["accuracy"])
        return figure

    shown = plt.figure()  # the student's figure from the answer cell stays as it is
    before = plt.get_fignums()
    lesson05.bind({"plot_curves": plot_curves, "history": lesson05.sample_history()})
    lesson05.q3.check()
    assert plt.get_fignums() == before and plt.fignum_exists(shown.number)
    plt.close(shown)


def test_the_trusted_grader_sees_the_second_fit_too():
    """Under autograder the check runs on the model and History exported as data (.keras, JSON):
    the optimizer's step count travels with the model, so the verdict is the same."""
    import json

    from course import answers

    def exported(value):
        return answers.decode(json.loads(json.dumps(answers.encode(value))), seen={})

    model, history = trained("fit run twice")
    found = problems_of(exported(history), exported(model))
    assert len(found) == 1 and "already trained before this fit" in found[0]
    reference_model, reference_history = trained("reference")
    assert problems_of(exported(reference_history), exported(reference_model)) == []


def test_in_a_real_notebook_running_fit_again_is_caught_and_the_table_says_so():
    """The student's path in lesson 5: the answer cell runs twice (8 epochs in all)."""
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient

    source = Path(__file__).resolve().parents[1] / "source" / "05_training" / "05_training.ipynb"
    notebook = nbformat.read(str(source), as_version=4)
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells]
    answer = notebook.cells[ids.index("l05-q1-answer")]
    answer.source = answer.source.replace("epochs=5", "epochs=3") + "\n" + answer.source  # 3, then 5 more
    keep = ids.index("l05-given-05") + 1  # setup, exercise 1 and its test, the training trace
    notebook.cells = [cell for cell in notebook.cells[:keep] if cell.cell_type == "code"]
    NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(source.parent)}}).execute()
    test_cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "l05-q1-test")
    errors = [o for o in test_cell.outputs if o.get("output_type") == "error"]
    assert errors and "already trained before this fit" in errors[0]["evalue"], test_cell.outputs
    assert "Re-run the cells that build the model" in errors[0]["evalue"]
    trace_cell = notebook.cells[-1]
    shown = "".join(str(o.get("data", {}).get("text/html", "")) + str(o.get("text", "")) for o in trace_cell.outputs)
    assert "Continues an earlier fit" in shown and "loss is high" not in shown
    assert not [o for c in notebook.cells for o in c.outputs if o.get("name") == "stderr"]
