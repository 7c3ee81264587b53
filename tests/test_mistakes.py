"""The mistakes table: each common mistake, applied to the reference solution, gets
its own specific message from the lesson's check, and never passes."""
from __future__ import annotations

import importlib
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from course.data import load_data
from course.feedback import CheckFailed, NotAttempted
from tests import reference_solutions as ref

X, Y = load_data()


def run_check(lesson: str, exercise: str, namespace: dict, **inputs) -> CheckFailed | None:
    """Bind ``namespace`` as the lesson's notebook and run one check; the failure or None."""
    module = importlib.import_module(f"course.lessons.{lesson}")
    module.bind(namespace)
    try:
        getattr(module, exercise).check(**inputs)
    except CheckFailed as failure:
        return failure
    return None


@pytest.fixture(scope="module")
def reference_history():
    keras.utils.set_random_seed(42)
    model = ref.compile_model(ref.build_model(ref.make_normalizer(X)))
    return model.fit(X, Y, epochs=5, batch_size=32, verbose=0)


@pytest.fixture(scope="module")
def namespaces(reference_history):
    return ref.lesson_namespaces(history=reference_history)


def trained(epochs=5, metrics=("accuracy",)):
    keras.utils.set_random_seed(42)
    model = ref.compile_model(ref.build_model(ref.make_normalizer(X)), metrics=metrics)
    return model.fit(X, Y, epochs=epochs, batch_size=32, verbose=0)


def model_with(**build):
    normalizer = build.pop("normalizer", None) or ref.make_normalizer(X)
    return ref.compile_model(ref.build_model(normalizer, **build))


def functional_model():
    inputs = keras.Input(shape=(20,))
    outputs = keras.layers.Dense(1, activation="sigmoid")(
        keras.layers.Dense(32, activation="relu")(keras.layers.Dense(64, activation="relu")(
            ref.make_normalizer(X)(inputs))))
    return keras.Model(inputs, outputs)


# (mistake, lesson, exercise, replacement answers, check inputs, expected words in the message)
MISTAKES = [
    ("shape swapped", "lesson01", "q2", lambda: dict(n_samples=20, n_features=1000), {}, "swapped"),
    ("shape as floats", "lesson01", "q2", lambda: dict(n_samples=1000.0, n_features=20), {}, "whole number"),
    ("fraction of zeros", "lesson01", "q3", lambda: dict(positive_fraction=lambda l: float(np.mean(l == 0))), {},
     "fraction of 0 labels"),
    ("count, not fraction", "lesson01", "q3", lambda: dict(positive_fraction=lambda l: float(np.sum(l))), {},
     "returns a count"),
    ("variance for spread", "lesson01", "q4", lambda: dict(feature_spread=lambda f: np.var(f, axis=0)), {},
     "returns variances"),
    ("spread over rows", "lesson01", "q4", lambda: dict(feature_spread=lambda f: np.std(f, axis=1)), {},
     "use axis=0"),
    ("un-adapted Normalization", "lesson02", "q1", lambda: dict(normalizer=keras.layers.Normalization()), {},
     "never adapted"),
    ("adapt on the labels", "lesson02", "q1", lambda: dict(normalizer=ref.make_normalizer(Y)), {},
     "not on y"),
    ("adapt on the wrong data", "lesson02", "q1",
     lambda: dict(normalizer=ref.make_normalizer(load_data("test").x[:50])), {}, "adapted on other data"),
    ("adapt on normalized data", "lesson02", "q1",
     lambda: dict(normalizer=ref.make_normalizer((X - X.mean(0)) / X.std(0))), {}, "already normalized"),
    ("forgot to apply the layer", "lesson02", "q2", lambda: dict(x_normalized=X), {}, "equals the raw x"),
    ("wrong units (stage 3)", "lesson03", "q1",
     lambda: dict(dense_1=keras.layers.Dense(32, activation="relu")), {}, "has 32 units; stage 3 (Dense layer 1) expects 64"),
    ("wrong activation (stage 3)", "lesson03", "q1",
     lambda: dict(dense_1=keras.layers.Dense(64, activation="tanh")), {}, "uses 'tanh'; stage 3 (Dense layer 1) expects 'relu'"),
    ("parameters without biases", "lesson03", "q3", lambda: dict(dense_params=lambda i, u: i * u), {},
     "not the 64 biases"),
    ("softmax on the 1-unit output", "lesson04", "q1",
     lambda: dict(output_layer=keras.layers.Dense(1, activation="softmax")), {}, "softmax, which over a single unit"),
    ("wrong units (stage 4)", "lesson04", "q2",
     lambda: dict(model=model_with(dense=[(64, "relu"), (64, "relu"), (1, "sigmoid")])), {},
     "the second Dense layer has 64 units; stage 4 (Dense layer 2) expects 32"),
    ("softmax output in the model", "lesson04", "q2",
     lambda: dict(model=model_with(dense=[(64, "relu"), (32, "relu"), (1, "softmax")])), {},
     "softmax, which over a single unit always outputs 1.0"),
    ("no activation on the output", "lesson04", "q2",
     lambda: dict(model=model_with(dense=[(64, "relu"), (32, "relu"), (1, None)])), {},
     "has no activation (linear)"),
    ("missing Normalization", "lesson04", "q2", lambda: dict(model=model_with(with_normalizer=False)), {},
     "there is no Normalization layer"),
    ("un-adapted Normalization in the model", "lesson04", "q2",
     lambda: dict(model=model_with(normalizer=keras.layers.Normalization())), {}, "never adapted"),
    ("input_shape counts the label", "lesson04", "q2", lambda: dict(model=model_with(input_shape=(21,))), {},
     "the label is not an input feature"),
    ("input_shape counts the batch", "lesson04", "q2", lambda: dict(model=model_with(input_shape=(1000, 20))), {},
     "without the batch"),
    ("layers in the wrong order", "lesson04", "q2",
     lambda: dict(model=model_with(dense=[(32, "relu"), (64, "relu"), (1, "sigmoid")])), {}, "wrong order"),
    ("no keras.Input", "lesson04", "q2",
     lambda: dict(model=keras.Sequential([ref.make_normalizer(X)] + ref.dense_stack(ref.SEED_DENSE))), {},
     "has no input shape yet"),
    ("functional instead of Sequential", "lesson04", "q2", lambda: dict(model=functional_model()), {},
     "keras.Sequential"),
    ("too many layers", "lesson04", "q2",
     lambda: dict(model=model_with(dense=[(64, "relu"), (32, "relu"), (16, "relu"), (1, "sigmoid")])), {},
     "there are 4 Dense layers"),
    ("loss mse", "lesson04", "q3", lambda: dict(model=ref.compile_model(ref.build_model(ref.make_normalizer(X)), loss="mse")),
     {}, "mean squared error"),
    ("loss categorical", "lesson04", "q3",
     lambda: dict(model=ref.compile_model(ref.build_model(ref.make_normalizer(X)), loss="categorical_crossentropy")),
     {}, "categorical cross-entropy expects one-hot"),
    ("from_logits with sigmoid", "lesson04", "q3",
     lambda: dict(model=ref.compile_model(ref.build_model(ref.make_normalizer(X)),
                                          loss=keras.losses.BinaryCrossentropy(from_logits=True))),
     {}, "from_logits=True"),
    ("metric named acc", "lesson04", "q3",
     lambda: dict(model=ref.compile_model(ref.build_model(ref.make_normalizer(X)), metrics=("acc",))),
     {}, "metrics are ['acc']"),
    ("not compiled", "lesson04", "q3", lambda: dict(model=ref.build_model(ref.make_normalizer(X))), {},
     "not compiled yet"),
    ("wrong epoch count", "lesson05", "q1", lambda: dict(history=trained(epochs=3)), {}, "the History has 3 epochs"),
    ("trained twice", "lesson05", "q1", lambda: dict(history=SimpleNamespace(
        history={"loss": [0.2] * 5, "accuracy": [0.95] * 5})), {}, "trained more than once"),
    ("metric acc, key accuracy", "lesson05", "q1", lambda: dict(history=trained(metrics=("acc",))), {},
     "has no 'accuracy' key"),
    ("reading history['acc']", "lesson05", "q2",
     lambda: dict(epoch_table=lambda h: [(i + 1, l, a) for i, (l, a) in
                                         enumerate(zip(h.history["loss"], h.history["acc"]))]), {},
     "History keys are named after the metric"),
    ("epochs numbered from 0", "lesson05", "q2",
     lambda: dict(epoch_table=lambda h: [(i, l, a) for i, (l, a) in
                                         enumerate(zip(h.history["loss"], h.history["accuracy"]))]), {},
     "numbered from 0"),
    ("model.output on an unbuilt Sequential", "lesson06", "q1",
     lambda: dict(make_trace_model=lambda m: keras.Model(
         inputs=m.inputs, outputs=keras.Sequential([keras.layers.Dense(1)]).output)), {},
     "model.output is undefined until the Sequential model is built"),
    ("trace without the input stage", "lesson06", "q2",
     lambda: dict(trace_sample=lambda m, x, i: ref.trace_sample(m, x, i)[1:]), {}, "counts the input as stage 1"),
    ("classes flipped", "lesson06", "q3",
     lambda: dict(to_classes=lambda p: (np.asarray(p).reshape(-1) <= 0.5).astype(int)), {}, "flipped"),
    ("quiz answer as a number", "lesson07", "q1", lambda: dict(answer_q1=3), {}, "letter in quotes"),
    ("quiz answer as a list", "lesson07", "q1", lambda: dict(answer_q1=["C"]), {}, "letter in quotes"),
    ("quiz answer not an option", "lesson07", "q1", lambda: dict(answer_q1="E"), {}, "not one of the options"),
    ("quiz answer wrong", "lesson07", "q1", lambda: dict(answer_q1="A"), {"graded": True}, "not the right answer"),
]


@pytest.mark.parametrize("mistake, lesson, exercise, change, inputs, expected", MISTAKES,
                         ids=[row[0] for row in MISTAKES])
def test_each_mistake_gets_its_own_message(namespaces, mistake, lesson, exercise, change, inputs, expected):
    namespace = {**namespaces[lesson], **change()}
    failure = run_check(lesson, exercise, namespace, **inputs)
    assert failure is not None, f"{mistake}: the check passed (full marks for a mistake)"
    assert not isinstance(failure, NotAttempted), f"{mistake}: reported as not attempted"
    assert expected in str(failure), f"{mistake}: got {failure}"


EXERCISES = [(lesson, f"q{n}") for lesson, count in
             [("lesson01", 4), ("lesson02", 2), ("lesson03", 3), ("lesson04", 3), ("lesson05", 3),
              ("lesson06", 3), ("lesson07", 8)] for n in range(1, count + 1)]


@pytest.mark.parametrize("lesson, exercise", EXERCISES)
def test_reference_answers_pass(namespaces, lesson, exercise, capsys):
    assert run_check(lesson, exercise, dict(namespaces[lesson])) is None
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize("lesson, exercise", EXERCISES)
def test_missing_answers_are_not_attempted_rather_than_wrong(lesson, exercise):
    failure = run_check(lesson, exercise, {})
    assert isinstance(failure, NotAttempted), failure
    assert "not attempted yet" in str(failure)


def test_a_stub_function_is_not_attempted(namespaces):
    def stub(labels):
        raise NotImplementedError()

    failure = run_check("lesson01", "q3", {**namespaces["lesson01"], "positive_fraction": stub})
    assert isinstance(failure, NotAttempted)


def test_every_mismatch_is_listed_not_just_the_first(namespaces):
    model = model_with(dense=[(32, "tanh"), (32, "relu"), (1, None)])
    failure = run_check("lesson04", "q2", {**namespaces["lesson04"], "model": model})
    assert len(failure.problems) == 3, failure.problems
    assert "1." in str(failure) and "3." in str(failure)


def test_checks_never_change_the_students_model(namespaces):
    model = namespaces["lesson04"]["model"]
    before = [w.copy() for w in model.get_weights()]
    config = model.get_compile_config()
    run_check("lesson04", "q2", dict(namespaces["lesson04"]))
    run_check("lesson04", "q3", dict(namespaces["lesson04"]))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.get_compile_config() == config


def test_hints_are_tiered(capsys):
    from course.lessons import lesson02

    first, second = lesson02.q1.hint(), lesson02.q1.hint(2)
    assert first != second and "adapt" in second
    assert "Hints go from 1 to 2" in lesson02.q1.hint(3)
