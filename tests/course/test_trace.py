"""The pipeline trace (course.trace): data flow, prediction and training views together, outputs, CLI."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import course  # noqa: F401  (quiet TensorFlow before Keras loads)

# isort: split
import keras

from autograder.coursework.reference import train_reference
from autograder.coursework.trace_command import main
from course.data import load_data
from course.trace import PipelineTrace, TraceError, trace
from course.training_trace import loss_chart

# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def data():
    return load_data()


@pytest.fixture(scope="module")
def trained(data):
    """The reference pipeline trained once for this module (seed 42)."""
    x, y = data
    return train_reference(x, y, seed=42)


@pytest.fixture(scope="module")
def reference_trace(trained, data):
    model, history = trained
    return trace(model, data.x, history, sample=7)


def small_model(activation="softmax"):
    """A Sequential of other sizes: Input(5) -> Dense(3) -> Dense(2)."""
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(3, activation="tanh"),
                             keras.layers.Dense(2, activation=activation)], name="small")


SMALL_X = np.random.default_rng(0).normal(size=(50, 5)).astype("float32")


# ----------------------------------------------------------------------------- data flow

@pytest.mark.slow
def test_stage_shapes_match_the_model(reference_trace):
    shapes = [stage.output_shape for stage in reference_trace.stages]
    assert shapes == [(1000, 20), (1000, 20), (1000, 64), (1000, 32), (1000, 1)]
    assert [s.input_shape for s in reference_trace.stages[1:]] == shapes[:-1]
    assert [s.name for s in reference_trace.stages] == [
        "Input Data", "Normalization Layer", "Dense Layer 1", "Dense Layer 2", "Output Layer"]
    rows = reference_trace.stage_rows()
    assert rows[2]["input_text"] == "1000 rows x 20 columns"
    assert rows[4]["output_text"] == "1000 rows x 1 column"


@pytest.mark.slow
def test_descriptions_come_from_the_layers(reference_trace):
    descriptions = [row["description"] for row in reference_trace.stage_rows()]
    assert descriptions[1] == "Scale features to have mean 0 and variance 1"
    assert descriptions[2] == "Fully connected layer with 64 neurons and ReLU activation"
    assert descriptions[3] == "Fully connected layer with 32 neurons and ReLU activation"
    assert descriptions[4] == ("Fully connected layer with 1 neuron and sigmoid activation "
                               "for binary classification")


@pytest.mark.slow
def test_sample_rows_are_the_real_layer_outputs(trained, data, reference_trace):
    model, _ = trained
    extractor = keras.Model(model.inputs, [layer.output for layer in model.layers])
    real = [data.x] + [np.asarray(out) for out in extractor.predict(data.x, verbose=0)]
    rows = reference_trace.stage_rows()
    for row, output in zip(rows, real):
        assert np.allclose(row["sample_rows"], output[:2], atol=1e-5), row["name"]
    assert rows[0]["preview"].startswith("[[")
    assert "..." in rows[2]["preview"]


@pytest.mark.slow
def test_the_model_is_not_changed(trained, data):
    model, history = trained
    before = [w.copy() for w in model.get_weights()]
    trace(model, data.x, history)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert len(model.layers) == 4


# ----------------------------------------------------------------------------- prediction trace

@pytest.mark.slow
def test_prediction_trace_agrees_with_predict(trained, data, reference_trace):
    model, _ = trained
    prediction = reference_trace.prediction
    expected = float(model.predict(data.x[7:8], verbose=0)[0, 0])
    assert prediction.sample == 7
    assert prediction.probability == pytest.approx(expected, abs=1e-5)
    assert prediction.predicted_class == int(expected > 0.5)
    assert [step.label for step in prediction.steps] == [
        "Layer 1: Input Layer", "Layer 2: Normalization Layer", "Layer 3: Dense Layer 1 (ReLU)",
        "Layer 4: Dense Layer 2 (ReLU)", "Layer 5: Output Layer (Sigmoid)"]
    assert np.allclose(prediction.steps[0].values, data.x[7])
    assert min(prediction.steps[2].values) >= 0  # ReLU


# ----------------------------------------------------------------------------- training trace

@pytest.mark.slow
def test_epoch_table_equals_the_history(trained, reference_trace):
    _, history = trained
    rows = reference_trace.epochs
    assert [row.epoch for row in rows] == [1, 2, 3, 4, 5]
    assert np.allclose([row.loss for row in rows], history.history["loss"])
    assert np.allclose([row.accuracy for row in rows], history.history["accuracy"])
    assert rows[0].observation.startswith("Model starts learning")
    assert rows[-1].observation.startswith("Good convergence")


def test_a_dict_history_and_other_accuracy_keys(data):
    history = {"loss": [0.7, 0.8], "binary_accuracy": [0.5, 0.4], "val_loss": [0.7, 0.7]}
    result = trace(small_model(activation="sigmoid"), SMALL_X, history)
    assert result.accuracy_key == "binary_accuracy"
    assert [row.accuracy for row in result.epochs] == [0.5, 0.4]
    assert result.epochs[1].observation.startswith("Loss went up")
    without = trace(small_model(), SMALL_X, {"loss": [0.7, 0.6]})
    assert without.accuracy_key is None and without.epochs[0].accuracy is None
    assert "-" in without.to_text()


# ----------------------------------------------------------------------------- outputs

@pytest.mark.slow
def test_text_has_every_section(reference_trace):
    text = reference_trace.to_text()
    for heading in ("Data Flow - 5 Stages", "Training Trace - Epoch by Epoch",
                    "Prediction Trace - 5 Layers", "Layer 5: Output Layer (Sigmoid)", "Epochs"):
        assert heading in text
    assert loss_chart(reference_trace.history["loss"]) in text
    assert text.isascii()


@pytest.mark.slow
def test_json_round_trips(reference_trace):
    loaded = json.loads(reference_trace.to_json())
    assert loaded == reference_trace.to_dict()
    assert [s["output_shape"] for s in loaded["stages"]][-1] == [1000, 1]
    assert len(loaded["training"]["epochs"]) == 5
    assert loaded["prediction"]["steps"][-1]["label"] == "Layer 5: Output Layer (Sigmoid)"


@pytest.mark.slow
def test_html_has_tables(reference_trace):
    page = reference_trace._repr_html_()
    assert page.count("<table>") == 3
    assert "Fully connected layer with 64 neurons" in page and "<pre>" in page


@pytest.mark.slow
def test_figure_has_loss_and_accuracy_curves(reference_trace):
    figure = reference_trace.figure()
    axes = figure.get_axes()
    assert len(axes) == 2
    assert [ax.get_title() for ax in axes] == ["Loss", "Accuracy"]
    assert all(len(ax.lines[0].get_xdata()) == 5 for ax in axes)
    assert np.allclose(axes[0].lines[0].get_ydata(), reference_trace.history["loss"])


# ----------------------------------------------------------------------------- any Sequential, no history

def test_a_generic_sequential_traces():
    model = small_model()
    result = trace(model, SMALL_X, sample=3)
    assert [s.output_shape for s in result.stages] == [(50, 5), (50, 3), (50, 2)]
    assert [s.name for s in result.stages] == ["Input Data", "Dense Layer", "Output Layer"]
    assert "2 classes" in result.stages[2].purpose
    expected = model.predict(SMALL_X[3:4], verbose=0)[0]
    assert result.prediction.predicted_class == int(np.argmax(expected))
    assert result.prediction.probability == pytest.approx(float(expected.max()), abs=1e-6)
    assert result.prediction.steps[-1].name == "Output Layer (Softmax)"


def test_without_history_it_says_training_has_not_run():
    result = trace(small_model(), SMALL_X)
    assert not result.trained and result.to_dict()["training"] is None
    assert "Training has not been run yet" in result.to_text()
    assert "Training has not been run yet" in result._repr_html_()
    assert len(result.figure().get_axes()) == 2
    json.loads(result.to_json())


def test_an_unadapted_normalization_is_flagged():
    model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Normalization(),
                              keras.layers.Dropout(0.5), keras.layers.Dense(1, activation="sigmoid")])
    result = PipelineTrace(model, SMALL_X)
    assert "not adapted yet" in result.stages[1].purpose
    assert result.stages[2].purpose.startswith("Randomly drop 50%")
    assert "not adapted yet" in result.to_text()


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("make_model, message", [
    (lambda: keras.Sequential([keras.layers.Dense(3)]), "keras.Input(shape=(5,))"),
    (lambda: keras.Sequential([keras.layers.Dense(3)]), "call the model once"),
    (lambda: keras.Sequential(), "no layers"),
    (lambda: keras.Sequential([keras.Input(shape=(5,))]), "no layers"),
])
def test_models_that_cannot_be_traced(make_model, message):
    with pytest.raises(TraceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        trace(make_model(), SMALL_X)


def test_non_sequential_objects_are_type_errors():
    inputs = keras.Input(shape=(5,))
    functional = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    for thing in (functional, "model", None):
        with pytest.raises(TypeError, match="keras.Sequential"):
            trace(thing, SMALL_X)


def test_data_of_the_wrong_width():
    with pytest.raises(TraceError, match="expects 5 features per row.*x has 20 columns"):
        trace(small_model(), np.zeros((10, 20), dtype="float32"))
    with pytest.raises(TraceError, match="one row per sample"):
        trace(small_model(), np.zeros(5, dtype="float32"))
    with pytest.raises(TraceError, match="row number from 0 to 49"):
        trace(small_model(), SMALL_X, sample=50)


@pytest.mark.parametrize("history, message", [
    (keras.callbacks.History(), "Call model.fit first"),
    ({"loss": [], "accuracy": []}, "Call model.fit first"),
    ({}, "Call model.fit first"),
    ({"accuracy": [0.5, 0.6]}, "no 'loss' values"),
])
def test_histories_that_cannot_be_traced(history, message):
    with pytest.raises(TraceError, match=message):
        trace(small_model(), SMALL_X, history)


def test_a_history_of_the_wrong_type():
    with pytest.raises(TypeError, match="what model.fit returns"):
        trace(small_model(), SMALL_X, [0.5, 0.4])


# ----------------------------------------------------------------------------- command line

@pytest.fixture
def no_retraining(monkeypatch, trained):
    """``main()`` reuses the module's trained model instead of training again."""
    monkeypatch.setattr("autograder.coursework.reference.train_reference", lambda x, y, seed=42: trained)


@pytest.mark.slow
def test_main_prints_text(no_retraining, capsys):
    assert main(["--sample", "2"]) == 0
    out = capsys.readouterr().out
    assert "Prediction Trace - 5 Layers (sample 2)" in out and "Epochs" in out


@pytest.mark.slow
def test_main_prints_json(no_retraining, capsys):
    assert main(["--json"]) == 0
    loaded = json.loads(capsys.readouterr().out)
    assert len(loaded["stages"]) == 5 and loaded["prediction"]["sample"] == 0


def test_main_rejects_a_bad_sample(capsys):
    with pytest.raises(SystemExit):
        main(["--sample", "1000"])
    assert "--sample" in capsys.readouterr().err


RENDER_EVERYTHING = """
import course, keras, numpy as np
from autograder.coursework.reference import train_reference
from course.trace import trace
x, y = course.load_data()
model, history = train_reference(x, y)
result = trace(model, x, history)
result.to_text(); result._repr_html_(); result.to_json(); result.figure()
odd = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(2, activation=lambda t: t)])
trace(odd, x).to_text()
print("ok")
"""


@pytest.mark.slow
def test_rendering_is_silent_on_stderr():
    result = subprocess.run([sys.executable, "-c", RENDER_EVERYTHING], capture_output=True,
                            text=True, timeout=300)
    assert result.stderr == ""
    assert result.stdout.strip() == "ok"


@pytest.mark.slow
def test_python_dash_m_prints_json_silently():
    result = subprocess.run([sys.executable, "-m", "autograder.coursework.trace_command", "--json", "--sample", "3"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout)["prediction"]["sample"] == 3
