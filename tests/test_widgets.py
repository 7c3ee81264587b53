"""course.widgets without a browser: set the controls in Python, check what is shown.

Expected numbers come from an independent NumPy forward pass over the model's
weights, never from the widget's own record. A notebook run through nbclient
(with and without ``NBGRADER_EXECUTION``) proves the widgets never hang and
never write to stderr when nobody is looking.
"""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

import course  # noqa: F401  (quiet, seeded TensorFlow before keras loads)

# isort: split
import keras
from PIL import Image

from course.arguments import TraceError
from course.data import load_data
from course.widgets import ActivationInspector, LiveCurves, QuizQuestion, answer_of, frontend, is_headless

DEAD = [0, 5, 9]  # units of the first Dense layer made dead in the test model


@pytest.fixture(scope="module")
def data():
    return load_data()


@pytest.fixture(scope="module")
def model(data):
    """The seed's pipeline, with three units of Dense 64 switched off for every sample."""
    keras.utils.set_random_seed(7)
    normalizer = keras.layers.Normalization()
    normalizer.adapt(data.x)
    model = keras.Sequential([
        keras.Input(shape=(20,)), normalizer,
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="pipeline")
    kernel, bias = model.layers[1].get_weights()
    bias[DEAD] = -1e4
    model.layers[1].set_weights([kernel, bias])
    return model


@pytest.fixture(scope="module")
def expected(model, data):
    """Every stage's output for every sample, computed with NumPy from the weights."""
    normalizer = model.layers[0]
    mean = np.asarray(normalizer.mean).reshape(-1)
    variance = np.asarray(normalizer.variance).reshape(-1)
    h = (data.x.astype("float64") - mean) / np.sqrt(np.maximum(variance, 1e-7))
    stages = [data.x.astype("float64"), h]
    for layer, act in zip(model.layers[1:], ("relu", "relu", "sigmoid")):
        kernel, bias = (w.astype("float64") for w in layer.get_weights())
        h = h @ kernel + bias
        h = np.maximum(h, 0) if act == "relu" else 1 / (1 + np.exp(-h))
        stages.append(h)
    return stages


@pytest.fixture
def inspector(model, data):
    return ActivationInspector(model, data.x, data.y, live=False)


def bars_of(inspector):
    return inspector.plotted_values()


# --------------------------------------------------------------------------- inspector


def test_the_five_stages_of_the_seed_are_offered(inspector):
    labels = [label for label, _ in inspector.layer_picker.options]
    assert labels == ["1 Input Data (20 values)", "2 Normalization Layer (20 values)",
                      "3 Dense Layer 1 (64 units, ReLU)", "4 Dense Layer 2 (32 units, ReLU)",
                      "5 Output Layer (1 unit, sigmoid)"]
    assert inspector.layer_picker.value == 2, "starts on the first ReLU layer"


def test_shown_values_counts_and_prediction_match_numpy(inspector, expected, data):
    inspector.sample_slider.value = 123
    dense1 = expected[2][123]
    summary = inspector.summary
    assert summary["sample"] == 123 and summary["units"] == 64
    np.testing.assert_allclose(summary["values"], dense1, rtol=1e-4, atol=1e-4)
    assert summary["zero_units"] == int(np.sum(dense1 == 0))
    assert summary["dead_units"] == int(np.sum(np.all(expected[2] == 0, axis=0))) == len(DEAD)
    assert summary["probability"] == pytest.approx(expected[4][123, 0], abs=1e-5)
    assert summary["predicted_class"] == int(expected[4][123, 0] > 0.5)
    assert summary["label"] == data.y[123]
    np.testing.assert_allclose(bars_of(inspector)["sample"], dense1, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bars_of(inspector)["sample_ticks"], dense1, rtol=1e-4, atol=1e-4)
    table = inspector.table.value
    assert "sample 123" in table and f"<td>{summary['zero_units']}</td>" in table
    assert f"<td colspan='1'>{len(DEAD)}</td>" in table
    assert f"{expected[4][123, 0]:.3f}" in table


def test_slider_and_number_box_are_linked_and_both_redraw(inspector, expected):
    before = inspector.image.value
    inspector.sample_slider.value = 17
    assert inspector.sample_box.value == 17 and inspector.summary["sample"] == 17
    assert inspector.image.value != before
    inspector.sample_box.value = 42
    assert inspector.sample_slider.value == 42 and inspector.summary["sample"] == 42
    np.testing.assert_allclose(bars_of(inspector)["sample"], expected[2][42], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stage, units, relu", [(0, 20, False), (1, 20, False), (3, 32, True),
                                                (4, 1, False)])
def test_picking_a_stage_shows_that_stage(inspector, expected, stage, units, relu):
    inspector.sample_slider.value = 8
    inspector.layer_picker.value = stage
    summary = inspector.summary
    assert summary["units"] == units and len(bars_of(inspector)["sample"]) == units
    np.testing.assert_allclose(bars_of(inspector)["sample"], expected[stage][8], rtol=1e-4, atol=1e-3)
    if relu:
        assert summary["zero_units"] == int(np.sum(expected[stage][8] == 0))
        assert summary["dead_units"] == int(np.sum(np.all(expected[stage] == 0, axis=0)))
    else:
        assert summary["zero_units"] is None and summary["dead_units"] is None
        assert "ReLU units" not in inspector.table.value


def test_histogram_is_the_stage_over_all_samples_without_relu_zeros(inspector, expected):
    inspector.layer_picker.value = 2
    counts, edges = inspector._plot.histogram.get_data()[:2]
    values = expected[2][expected[2] != 0]
    assert counts.sum() == values.size
    assert edges[0] == pytest.approx(values.min(), abs=1e-4)
    assert edges[-1] == pytest.approx(values.max(), abs=1e-4)
    zero_share = np.mean(expected[2] == 0)
    assert f"{zero_share:.0%} zeros left out" in inspector._plot.hist_axes.get_title()


def test_pinned_sample_is_drawn_beside_the_current_one(inspector, expected):
    inspector.show(sample=3)
    inspector.pin_button.click()
    assert inspector.pinned == 3 and inspector.pin_button.description == "Unpin sample 3"
    inspector.sample_slider.value = 9
    shown = bars_of(inspector)
    np.testing.assert_allclose(shown["sample"], expected[2][9], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(shown["pinned"], expected[2][3], rtol=1e-4, atol=1e-4)
    assert inspector.summary["pinned"]["sample"] == 3
    assert "sample 9" in inspector.table.value and "sample 3" in inspector.table.value
    inspector.layer_picker.value = 3
    np.testing.assert_allclose(bars_of(inspector)["pinned"], expected[3][3], rtol=1e-4, atol=1e-4)
    inspector.pin_button.click()
    assert inspector.pinned is None and bars_of(inspector)["pinned"] is None
    assert inspector.summary["pinned"] is None


def test_interactions_never_call_the_model(inspector, monkeypatch):
    calls = []
    for owner in (keras.layers.Layer, keras.Model):
        original = owner.__call__
        monkeypatch.setattr(owner, "__call__",
                            lambda self, *a, _original=original, **k: calls.append(self) or
                            _original(self, *a, **k))
    monkeypatch.setattr(keras.Model, "predict", lambda *a, **k: calls.append("predict"))
    for sample in range(0, 50, 7):
        inspector.sample_slider.value = sample
    for stage in range(5):
        inspector.layer_picker.value = stage
    inspector.pin_button.click()
    assert calls == []


def test_the_figure_is_a_png_of_stable_size(inspector):
    sizes = set()
    for stage in range(5):
        inspector.show(sample=stage * 10, stage=stage)
        image = Image.open(io.BytesIO(inspector.image.value))
        assert image.format == "PNG"
        sizes.add(image.size)
    assert len(sizes) == 1


def test_live_inspector_is_quiet(model, data, capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inspector = ActivationInspector(model, data, live=True)  # a Dataset brings its labels
        for sample in (1, 2, 3):
            inspector.sample_slider.value = sample
        inspector.layer_picker.value = 4
        bundle = inspector._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "Stage 5 Output Layer" in bundle["text/plain"] and "P(class 1)" in bundle["text/plain"]
    assert capfd.readouterr().err == ""


def test_the_students_model_is_left_unchanged(model, data):
    weights = [w.copy() for w in model.get_weights()]
    layers, compiled = list(model.layers), model.compiled
    ActivationInspector(model, data.x).show(sample=5, stage=4)
    assert list(model.layers) == layers and model.compiled == compiled
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)


# --------------------------------------------------------------------------- helpful errors


def _functional():
    inputs = keras.Input((20,))
    return keras.Model(inputs, keras.layers.Dense(1)(inputs), name="functional_net")


@pytest.mark.parametrize("make_model, x, message", [
    (lambda: keras.Sequential([keras.layers.Dense(4)]), None, "not built yet.*keras.Input"),
    (lambda: keras.Sequential(), None, "no layers yet"),
    (_functional, None, "keras.Sequential model.*Functional"),
    (lambda: [keras.layers.Dense(4)], None, "got a list, not a Keras model"),
    ("seed", np.zeros((10, 19), "float32"), "expects 20 features.*19 columns"),
    ("seed", np.zeros(20, "float32"), "one row per sample.*reshape"),
], ids=["unbuilt", "no-layers", "functional", "not-a-model", "wrong-width", "one-dimensional"])
def test_setup_mistakes_get_a_message_that_names_the_fix(model, data, make_model, x, message):
    target = model if make_model == "seed" else make_model()
    with pytest.raises(TraceError, match=message) as caught:
        ActivationInspector(target, data.x if x is None else x)
    assert "keras/src" not in caught.traceback[-1].path.as_posix(), "raised from the course, not Keras"


def test_labels_that_do_not_belong_to_x_are_named(model, data):
    with pytest.raises(TraceError, match="1000 samples in x but 999 labels"):
        ActivationInspector(model, data.x, data.y[:-1])


# --------------------------------------------------------------------------- live curves


@pytest.fixture(scope="module")
def small_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Normalization(),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.layers[0].adapt(load_data().x)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_live_curves_draw_every_epoch_and_end_with_the_epoch_table(small_model, data, capfd):
    curves = LiveCurves(live=True)
    drawn = []
    original = curves._update_widget
    curves._update_widget = lambda: (original(), drawn.append(curves.plotted()))
    history = small_model.fit(data.x, data.y, epochs=3, batch_size=100, verbose=0,
                              validation_split=0.2, callbacks=[curves])
    assert [len(d["loss"]) for d in drawn] == [1, 2, 3, 3]  # after each epoch, then at the end
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(curves.plotted()[key], history.history[key], rtol=1e-6)
    rows = curves.rows()
    assert [row.epoch for row in rows] == [1, 2, 3]
    assert rows[0].loss == pytest.approx(history.history["loss"][0])
    assert "Loss ↓" in curves.table.value and "Observation" in curves.table.value
    assert f"{history.history['accuracy'][2]:.2f}" in curves.table.value
    assert Image.open(io.BytesIO(curves.image.value)).format == "PNG"
    assert capfd.readouterr().err == ""


def test_headless_curves_draw_nothing_during_training_and_print_the_table(small_model, data, capfd):
    curves = LiveCurves(live=False)
    curves._update_widget = lambda: pytest.fail("headless curves must not redraw per epoch")
    history = small_model.fit(data.x, data.y, epochs=2, batch_size=100, verbose=0, callbacks=[curves])
    printed = capfd.readouterr()
    assert printed.err == ""
    assert printed.out.splitlines()[0].split() == ["Epoch", "Loss", "↓", "Accuracy", "↑", "Observation"]
    assert f"{history.history['loss'][1]:.2f}" in printed.out
    assert curves.plotted()["loss"] == pytest.approx(history.history["loss"])


def test_curves_without_an_accuracy_metric_plot_the_loss_only(data):
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    curves = LiveCurves(live=True)
    model.fit(data.x / 1000, data.y, epochs=1, verbose=0, callbacks=[curves])
    assert list(curves.plotted()) == ["loss"] and curves.accuracy_key is None
    assert "-" in curves.table_text().splitlines()[1]


# --------------------------------------------------------------------------- quiz

OPTIONS = {"A": "one", "B": "twenty", "C": "thirty-two", "D": "sixty-four"}


def test_quiz_stores_the_checked_answer_and_shows_the_checks_feedback(capfd):
    asked = []

    def check(letter):
        asked.append(letter)
        return letter == "A", "right" if letter == "A" else "try again"

    quiz = QuizQuestion("How many units?", OPTIONS, check=check, name="answer_q9")
    quiz.check_button.click()
    assert quiz.answer is None and "Pick one" in quiz.feedback.value and asked == []
    quiz.choices.value = "D"
    assert quiz.answer is None, "only Check stores the answer"
    quiz.check_button.click()
    assert quiz.answer == "D" and asked == ["D"]
    assert "try again" in quiz.feedback.value and "&#10008;" in quiz.feedback.value
    assert 'answer_q9 = "D"' not in quiz.feedback.value  # never "write that wrong letter for grading"
    quiz.choices.value = "A"
    quiz.check_button.click()
    assert answer_of(quiz) == "A" and "&#10004;" in quiz.feedback.value
    assert capfd.readouterr().err == ""


def test_quiz_without_a_check_saves_and_a_failing_check_is_reported():
    quiz = QuizQuestion("How many units?", OPTIONS)
    quiz.choices.value = "C"
    quiz.check_button.click()
    assert quiz.answer == "C" and quiz.feedback.value == "Answer C saved."
    broken = QuizQuestion("How many units?", OPTIONS, check=lambda letter: 1 / 0)
    broken.choices.value = "B"
    broken.check_button.click()
    assert broken.answer == "B" and "checking it failed: division by zero" in broken.feedback.value


def test_quiz_can_start_from_the_plain_variable():
    quiz = QuizQuestion("How many units?", OPTIONS, name="answer_q9", answer=" b ")
    assert quiz.answer == "B" and quiz.choices.value == "B"
    text = quiz._repr_mimebundle_()["text/plain"]
    assert text.splitlines()[1] == "  A. one" and 'answer_q9 = "<letter>"' in text


@pytest.mark.parametrize("value, options, letter", [
    ("C", None, "C"), (" c ", OPTIONS, "C"), ("(b)", OPTIONS, "B"), ("D.", "ABCD", "D"),
    ("Sixty-Four", OPTIONS, "D"),
])
def test_answer_of_reads_letters(value, options, letter):
    assert answer_of(value, options) == letter


@pytest.mark.parametrize("value, error, message", [
    (None, TypeError, "one option letter in quotes.*None"),
    (3, TypeError, r"got 3 \(type int\)"),
    (["C"], TypeError, "type list"),
    ("E", ValueError, "not one of the options.*A, B, C, D"),
    ("AB", ValueError, "not one of the options"),
    ("", ValueError, "not one of the options"),
])
def test_answer_of_rejects_what_is_not_an_option(value, error, message):
    with pytest.raises(error, match=message):
        answer_of(value, OPTIONS)


def test_answer_of_an_unanswered_question_says_what_to_do():
    with pytest.raises(ValueError, match='press Check, or write answer_q9 = "<letter>"'):
        answer_of(QuizQuestion("How many units?", OPTIONS, name="answer_q9"))


@pytest.mark.parametrize("options", [{"A": "only one"}, {"A": "x", "a": "y"}, {"AB": "x", "C": "y"}])
def test_quiz_rejects_bad_options(options):
    with pytest.raises(ValueError, match="option"):
        QuizQuestion("Q?", options)


# --------------------------------------------------------------------------- headless detection


@pytest.mark.parametrize("environment, headless", [
    ({}, True),  # pytest: no kernel, nothing can draw a widget
    ({"COURSE_WIDGETS": "live"}, False),
    ({"NBGRADER_EXECUTION": "autograde"}, True),
    ({"NBGRADER_EXECUTION": "validate", "COURSE_WIDGETS": "static"}, True),
])
def test_headless_detection(monkeypatch, environment, headless):
    for name in ("COURSE_WIDGETS", "NBGRADER_EXECUTION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert is_headless() is headless
    assert frontend.resolve_live(None) is (not headless)
    assert frontend.resolve_live(True) is True


NOTEBOOK_CELLS = [
    "import course\nfrom course.data import load_data\nfrom autograder.coursework.reference import build_reference_model\n"
    "from course.widgets import ActivationInspector, LiveCurves, QuizQuestion, answer_of\n"
    "x, y = load_data()\nmodel = build_reference_model(x)",
    "inspector = ActivationInspector(model, x, y)\ninspector.sample_slider.value = 5\ninspector",
    "history = model.fit(x, y, epochs=2, verbose=0, callbacks=[LiveCurves()])",
    "quiz = QuizQuestion('How many units?', {'A': 'one', 'B': 'two'}, name='answer_q9')\nquiz",
    "answer_q9 = 'b'\nprint(answer_of(answer_q9), inspector.summary['sample'])",
]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["nbgrader", "live"])
def test_a_notebook_with_every_widget_runs_headless_quietly(monkeypatch, mode):
    from tests.notebook_runner import run_cells, stderr_of

    monkeypatch.delenv("COURSE_WIDGETS", raising=False)
    if mode == "nbgrader":
        monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    else:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    notebook = run_cells(*NOTEBOOK_CELLS, timeout=60)
    assert stderr_of(notebook) == []
    outputs = [cell.outputs for cell in notebook.cells]
    assert "B 5" in outputs[4][0]["text"]
    inspector_output = outputs[1][0]["data"]
    # live: the widget, with its picture and table beside it; nbgrader: only the picture and table
    assert ("application/vnd.jupyter.widget-view+json" in inspector_output) == (mode != "nbgrader")
    assert "sample 5" in inspector_output["text/plain"]
    assert "<img src='data:image/png;base64," in inspector_output["text/html"]
    assert "course-inspector" in inspector_output["text/html"]
    curves = [o for o in outputs[2] if o.get("output_type") == "display_data"]
    assert len(curves) == 1
    # one figure and the table at the end (live: beside the widget, updated when training ends)
    assert "<img src='data:image/png;base64," in curves[0]["data"]["text/html"]
    assert "Observation" in curves[0]["data"]["text/plain"]
    assert ("application/vnd.jupyter.widget-view+json" in curves[0]["data"]) == (mode != "nbgrader")


@pytest.mark.parametrize("call, message", [
    (lambda i: i.show(sample=1000), "sample should be a whole number from 0 to 999, not 1000"),
    (lambda i: i.show(stage=5), "stage should be a whole number from 0 to 4"),
    (lambda i: i.pin(-1), "sample should be"),
    (lambda i: i.show(sample=2.5), "not 2.5"),
])
def test_out_of_range_sample_or_stage_is_named(inspector, call, message):
    with pytest.raises(ValueError, match=message):
        call(inspector)
