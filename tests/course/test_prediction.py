"""course.prediction: from the last stage's output to a class, one rule for the trace and the widgets."""
import numpy as np
import pytest

from course.prediction import THRESHOLD, Prediction, TraceStep, classify, predict_sample
from course.stages import Stage


def test_one_output_is_class_1_only_above_the_threshold():
    probability, classes, rule = classify(np.array([[0.2], [THRESHOLD], [0.51]]))
    assert rule == "threshold"
    assert classes.tolist() == [0, 0, 1]  # exactly 0.5 is class 0, as Keras' accuracy counts it
    assert probability.tolist() == pytest.approx([0.2, 0.5, 0.51])


def test_several_outputs_pick_the_most_probable():
    probability, classes, rule = classify(np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]]))
    assert rule == "argmax" and classes.tolist() == [1, 0]
    assert probability.tolist() == pytest.approx([0.7, 0.5])


def _stages(output):
    data = np.arange(6, dtype="float32").reshape(3, 2)
    return [Stage(1, "Input Data", "Input", 2, None, "raw", input=data, output=data),
            Stage(2, "Output Layer", "Dense", output.shape[1], "sigmoid", "out", "dense",
                  input=data, output=output)]


def test_predict_sample_follows_one_row():
    prediction = predict_sample(_stages(np.array([[0.1], [0.5], [0.9]])), 1)
    assert [step.label for step in prediction.steps] == ["Layer 1: Input Layer", "Layer 2: Output Layer (Sigmoid)"]
    assert prediction.steps[0].values == [2.0, 3.0]
    assert (prediction.probability, prediction.predicted_class) == (0.5, 0)
    assert prediction.verdict.endswith("(probability <= 0.5 means class 0)")
    assert predict_sample(_stages(np.array([[0.1], [0.5], [0.9]])), 2).verdict.endswith(
        "(probability > 0.5 means class 1)")


def test_step_summary_counts_values():
    assert TraceStep(5, "Output Layer", [0.25]).summary == "[0.25] (1 value)"
    verdict = Prediction(0, [TraceStep(1, "x", [0.1, 0.9])], 0.9, 1).verdict
    assert "highest probability" in verdict


def test_scores_are_what_evaluate_reports():
    import keras

    from course.prediction import probabilities_of, scores

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert scores(probabilities_of(model, x), y) == pytest.approx((loss, accuracy), abs=1e-4)
    assert scores(np.array([0.5, 0.9]), np.array([1, 1]))[1] == 0.5  # 0.5 itself is class 0
