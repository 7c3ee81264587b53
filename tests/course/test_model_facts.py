"""course.model_facts: one reading of a layer's activation and one pass through the layers."""
import keras
import numpy as np
import pytest

from course import arguments, model_facts, stages, training_checks
from course.data import load_data
from course.widgets import live_curves


@pytest.mark.parametrize("layer, expected", [
    (keras.layers.Dense(4, activation="relu"), "relu"),
    (keras.layers.Dense(4), "linear"),
    (keras.layers.Dense(4, activation=lambda z: z), "custom"),
    (keras.layers.Normalization(), None),
    ({"activation": {"class_name": "function", "config": {"name": "Sigmoid"}}}, "sigmoid"),
])
def test_activation_name(layer, expected):
    assert model_facts.activation_name(layer) == expected


def test_one_activation_name_is_shared():
    assert stages.activation_name is model_facts.activation_name


def test_one_reader_of_optimizer_steps_and_accuracy_keys():
    assert live_curves.optimizer_steps is model_facts.optimizer_steps
    assert training_checks.optimizer_steps is model_facts.optimizer_steps
    assert live_curves.accuracy_key is model_facts.accuracy_key
    assert training_checks.accuracy_key is model_facts.accuracy_key
    assert model_facts.optimizer_steps(keras.Sequential()) is None
    assert model_facts.accuracy_key({"loss": [1.0], "binary_accuracy": [0.5]}) == "binary_accuracy"
    assert model_facts.accuracy_key({"loss": [1.0], "val_accuracy": [0.5]}) is None


def test_layer_outputs_are_each_layers_output_and_leave_the_model_unchanged():
    x = load_data().x[:16]
    normalizer = keras.layers.Normalization()
    normalizer.adapt(x)
    model = keras.Sequential([keras.Input(shape=(20,)), normalizer, keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    before = [w.copy() for w in model.get_weights()]
    outputs = model_facts.stage_outputs(model, x)
    assert [o.shape for o in outputs] == [(16, 20), (16, 3), (16, 1)]
    assert np.allclose(outputs[-1], np.asarray(model(x)), atol=1e-6)
    assert np.all(outputs[1] >= 0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    traced = [stage.output for stage in stages.run_stages(model, x)[1:]]
    assert all(np.allclose(a, b) for a, b in zip(traced, outputs))


def test_trace_names_the_stage_whose_layer_failed():
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(3)])
    with pytest.raises(arguments.TraceError, match=r"Stage 2 \(dense"):
        stages.run_stages(model, np.zeros((2, 7), "float32"))


def test_one_history_reader():
    history = keras.callbacks.History()
    history.history = {"loss": [0.5, 0.4]}
    assert model_facts.history_dict(history) == {"loss": [0.5, 0.4]}
    assert model_facts.history_dict({"loss": [1.0]}) == {"loss": [1.0]}
    assert model_facts.history_dict([0.5]) is None
    assert training_checks.history_dict is model_facts.history_dict
    assert arguments.history_values(history) == {"loss": [0.5, 0.4]}


def _compiled(**settings):
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(**{"optimizer": "adam", "loss": "binary_crossentropy", "metrics": ["accuracy"], **settings})
    return model


@pytest.mark.parametrize("settings, key, expected", [
    (dict(loss=keras.losses.binary_crossentropy), "loss", "binary_crossentropy"),
    (dict(loss=keras.losses.BinaryCrossentropy()), "loss", "binary_crossentropy"),
    (dict(loss="BinaryCrossentropy"), "loss", "binary_crossentropy"),
    (dict(loss=keras.losses.mean_squared_error), "loss", "mean_squared_error"),
    (dict(loss=keras.losses.BinaryCrossentropy(from_logits=True)), "from_logits", True),
    (dict(optimizer=keras.optimizers.Adam()), "optimizer", "adam"),
    (dict(optimizer=keras.optimizers.Adam(learning_rate=0.5)), "learning_rate", 0.5),
    (dict(metrics=[keras.metrics.BinaryAccuracy(name="accuracy")]), "metrics", ["accuracy"]),
    (dict(metrics=[keras.metrics.BinaryAccuracy()]), "metrics", ["binary_accuracy"]),
    (dict(metrics=[keras.metrics.binary_accuracy]), "metrics", ["binary_accuracy"]),
    (dict(loss=keras.losses.BinaryCrossentropy), "classes", [("loss", "BinaryCrossentropy")]),
])
def test_compile_settings_are_read_whether_names_functions_objects_or_classes(settings, key, expected):
    facts = model_facts.compile_facts(_compiled(**settings))
    assert facts[key] == pytest.approx(expected) if isinstance(expected, float) else facts[key] == expected
