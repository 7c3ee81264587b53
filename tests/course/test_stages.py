"""course.stages: one stage model for the reference pipeline, the checks, the trace and the widgets."""
import keras
import numpy as np
import pytest

from course import model_checks, pipeline, stages, trace
from course.arguments import TraceError
from course.data import load_data
from course.stages import Stage, describe_layer, run_stages, stage_names
from course.widgets import activations


@pytest.fixture(scope="module")
def model_and_x():
    keras.utils.set_random_seed(0)
    x = load_data().x[:40]
    normalizer = keras.layers.Normalization()
    normalizer.adapt(x)
    model = keras.Sequential([keras.Input(shape=(20,)), normalizer,
                              keras.layers.Dense(6, activation="relu"),
                              keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")], name="small")
    return model, x


def test_the_reference_pipeline_is_made_of_stages():
    assert all(isinstance(stage, Stage) for stage in pipeline.STAGES)
    assert [stage.label() for stage in pipeline.LAYER_STAGES] == [
        "Normalization", "Dense(64, relu)", "Dense(32, relu)", "Dense(1, sigmoid)"]
    assert pipeline.STAGES[2].relu and not pipeline.STAGES[4].relu
    assert pipeline.REFERENCE_ORDER == "Normalization → Dense(64, relu) → Dense(32, relu) → Dense(1, sigmoid)"


def test_run_stages_chains_every_layer(model_and_x):
    model, x = model_and_x
    before = [w.copy() for w in model.get_weights()]
    found = run_stages(model, x)
    assert [s.number for s in found] == [1, 2, 3, 4, 5]
    assert [s.name for s in found] == ["Input Data", "Normalization Layer", "Dense Layer 1",
                                       "Dense Layer 2", "Output Layer"]
    assert [s.kind for s in found] == ["Input", "Normalization", "Dense", "Dense", "Dense"]
    assert [s.units for s in found] == [20, 20, 6, 4, 1]
    assert [s.layer_name for s in found][1:] == [layer.name for layer in model.layers]
    assert found[0].input is x and found[0].output is x
    for previous, stage in zip(found, found[1:]):
        assert stage.input is previous.output
    assert np.allclose(found[-1].output, np.asarray(model(x)), atol=1e-6)
    assert found[2].relu and np.all(found[2].values >= 0) and found[2].values.dtype == np.float32
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_stage_captions(model_and_x):
    found = run_stages(*model_and_x)
    assert found[0].title == "1 Input Data (20 values)"
    assert found[2].title == "3 Dense Layer 1 (6 units, ReLU)"
    assert found[4].title == "5 Output Layer (1 unit, sigmoid)"
    assert found[1].purpose == "Scale features to have mean 0 and variance 1"
    assert found[4].purpose.endswith("for binary classification")


def test_a_layer_that_cannot_take_its_input_names_its_stage():
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(3)])
    with pytest.raises(TraceError, match=r"Stage 2 \(dense"):
        run_stages(model, np.zeros((2, 7), "float32"))


@pytest.mark.parametrize("layer, words", [
    (keras.layers.Dense(3), "Fully connected layer with 3 neurons and no activation (raw scores)"),
    (keras.layers.Dense(4, activation="softmax"), "for classification into 4 classes"),
    (keras.layers.Normalization(), "not adapted yet"),
    (keras.layers.Dropout(0.25), "Randomly drop 25%"),
    (keras.layers.Activation("elu"), "Apply the ELU activation"),
    (keras.layers.Flatten(), "Flatten each sample"),
])
def test_describe_layer(layer, words):
    assert words in describe_layer(layer)


def test_names_number_repeated_kinds_only():
    layers = [keras.layers.Dense(2), keras.layers.Dropout(0.1), keras.layers.Dense(2), keras.layers.Dense(1)]
    assert stage_names(layers) == ["Dense Layer 1", "Dropout Layer", "Dense Layer 2", "Output Layer"]


def test_a_plain_relu_layer_is_a_relu_stage():
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(3), keras.layers.ReLU(),
                              keras.layers.LeakyReLU(), keras.layers.Dense(1)])
    found = run_stages(model, np.ones((2, 3), "float32"))
    assert [s.relu for s in found] == [False, False, True, False, False]


def test_checks_trace_and_widgets_share_the_one_stage_class(model_and_x):
    assert model_checks.Stage is Stage and trace.Stage is Stage and activations.Stage is Stage
    assert stages.run_stages is trace.run_stages is activations.run_stages
    result = trace.trace(*model_and_x)
    recorded = activations.record_activations(*model_and_x)
    assert all(type(s) is Stage for s in [*result.stages, *recorded.stages])
