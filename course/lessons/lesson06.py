"""Lesson 6 · The prediction trace: one sample through the five stages."""
from __future__ import annotations

import numpy as np

from course import errors
from course.data import load_data
from course.exercise import Exercise, Notebook, call_student
from course.feedback import CheckFailed
from course.model_facts import stage_outputs

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready

def _other_model(hidden_units):
    """A small Sequential model other than the lesson's (for hidden tests)."""
    import keras

    return keras.Sequential([keras.Input(shape=(20,))]
                            + [keras.layers.Dense(units, activation="relu") for units in hidden_units]
                            + [keras.layers.Dense(1, activation="sigmoid")])


def _trace_model(problems, make_trace_model, model, hidden_units=None):
    if hidden_units is not None:  # hidden test: the function must work on any Sequential model
        model = _other_model(hidden_units)
    trace_model = call_student(q1.title, make_trace_model, model)
    if trace_model is None:
        problems.add("make_trace_model returned None: end it with `return keras.Model(...)` "
                     "(a function without return gives None).")
        return None
    if not hasattr(trace_model, "predict"):
        problems.add(f"make_trace_model should return a keras.Model(inputs=..., outputs=[...]); it "
                     f"returned {errors.describe(trace_model)}.")
        return None
    x = load_data().x[:50]
    try:
        # A plain call, not predict(): predict builds a tf.function per new model, and checking
        # several trace models in a row would make TensorFlow warn about retracing.
        import warnings

        with warnings.catch_warnings():  # Keras's "structure of inputs" notice on a list-built model
            warnings.simplefilter("ignore")
            outputs = trace_model(x, training=False)
        outputs = [np.asarray(out) for out in outputs] if isinstance(outputs, (list, tuple)) else np.asarray(outputs)
    except Exception as error:  # noqa: BLE001 - report, don't crash the check
        problems.add(f"calling the trace model on data failed: {errors.explain(error)}")
        return None
    if not isinstance(outputs, (list, tuple)):
        problems.add("the trace model returns one array, the last layer's output, as the model itself "
                     "does: a trace model has one output per layer, so its outputs must be a list "
                     "with every layer's output in it, in order.")
        return None
    expected = stage_outputs(model, x)
    if len(outputs) != len(expected):
        problems.add(f"the trace model has {len(outputs)} outputs; the model has {len(expected)} layers "
                     "(Keras does not list the Input as a layer).")
        return None
    for index, (got, want) in enumerate(zip(outputs, expected)):
        got = np.asarray(got)
        before = x if index == 0 else expected[index - 1]
        if (got.shape == before.shape and np.allclose(got, before, atol=1e-5)
                and (got.shape != want.shape or not np.allclose(got, want, atol=1e-5))):
            problems.add(f"output {index} holds the input of layer '{model.layers[index].name}', not "
                         "its output: use layer.output.")
        elif got.shape != want.shape or not np.allclose(got, want, atol=1e-5):
            problems.add(f"output {index} (layer '{model.layers[index].name}') has shape {got.shape}; "
                         f"that layer gives {want.shape}.")
    return "One output per layer: 4 layers after the input."


def _trace_sample(problems, trace_sample, model, index=0):
    x = load_data().x
    steps = call_student(q2.title, trace_sample, model, x, index)
    if not isinstance(steps, (list, tuple)):
        problems.add(f"trace_sample should return a list of 5 arrays; got {type(steps).__name__}.")
        return None
    if len(steps) == 4:
        problems.add("trace_sample returned 4 stages; the reference trace counts the input as stage 1, "
                     "so there are 5: the raw sample, then one per layer.")
        return None
    if len(steps) != 5:
        problems.add(f"trace_sample returned {len(steps)} stages; the reference trace has 5.")
        return None
    expected = [x[index]] + [out[0] for out in stage_outputs(model, x[index:index + 1])]
    for number, (got, want) in enumerate(zip(steps, expected), start=1):
        got = np.asarray(got).reshape(-1) if np.asarray(got).size == want.size else np.asarray(got)
        if got.shape != want.shape:
            problems.add(f"stage {number} has shape {np.asarray(got).shape}; for one sample it is {want.shape}.")
        elif not np.allclose(got, want, atol=1e-5) and number == 1:
            problems.add(f"stage 1 should be the raw sample x[{index}] itself, before any layer.")
        elif not np.allclose(got, want, atol=1e-5):
            problems.add(f"stage {number} values differ from the model's layer output for sample {index}.")
    if not problems and index == 0:  # also the last sample: a slice that only works for the first row
        return _trace_sample(problems, trace_sample, model, index=len(x) - 1)
    return "Sample traced through all 5 stages."


def _all_zero(to_classes, probabilities: np.ndarray) -> str:
    """Classes all 0: argmax is named only when the function gives 0 even for scores far above any
    threshold (argmax over one column always does); otherwise the threshold is what to look at."""
    try:
        far = np.asarray(call_student(q3.title, to_classes, np.array([[10.0], [10.0]])))
    except (CheckFailed, TypeError, ValueError):  # a probe that fails confirms nothing
        far = None
    if far is not None and far.size and not far.any():
        return ("to_classes gives 0 everywhere, even for scores far above 0.5: argmax over a single "
                "column is always 0; compare the probability with 0.5 instead.")
    switch = _switch_point(to_classes)
    if switch is None:
        return ("to_classes gives 0 for every probability from 0 to 1.0, so the value it compares with "
                "is 1.0 or more: class 1 means a probability above 0.5.")
    return (f"to_classes gives 0 for every probability here, up to {float(np.max(probabilities)):.2f}: "
            "class 1 means a probability above 0.5; check the value it compares with.")


def _switch_point(to_classes) -> float | None:
    """The probability from which ``to_classes`` gives class 1, probed from 0 to 1 in steps of 0.01;
    None when it never does. NaN when its answers do not switch once from 0 to 1 (no threshold)."""
    probes = np.round(np.linspace(0.0, 1.0, 101), 2).reshape(-1, 1)
    try:
        got = np.asarray(call_student(q3.title, to_classes, probes)).reshape(-1)
    except (CheckFailed, TypeError, ValueError):
        return float("nan")
    if got.shape != (len(probes),):
        return float("nan")
    ones = np.flatnonzero(got == 1)
    if not ones.size:
        return None
    first = ones[0]
    return float(probes[first, 0]) if (got[first:] == 1).all() and not got[:first].any() else float("nan")


def _classes(problems, to_classes, probabilities=None):
    probabilities = (np.array([[0.1], [0.7], [0.49], [0.5], [0.51], [0.99]]) if probabilities is None
                     else np.asarray(probabilities))
    got = np.asarray(call_student(q3.title, to_classes, probabilities))
    expected = (probabilities.reshape(-1) > 0.5).astype(int)
    if got.shape != expected.shape:
        problems.add(f"to_classes returns shape {got.shape}; expected one class per sample, {expected.shape} "
                     "(flatten the (n, 1) probabilities).")
        return None
    if np.array_equal(got, 1 - expected):
        problems.add("to_classes has the classes flipped: a probability above 0.5 means class 1.")
    elif not np.array_equal(got, expected) and np.array_equal(got, (probabilities.reshape(-1) >= 0.5).astype(int)):
        problems.add("to_classes gives class 1 for a probability of exactly 0.5; class 1 means "
                     "above 0.5 (use >, not >=).")
    elif not got.any() and expected.any() and np.asarray(probabilities).ndim == 2:
        problems.add(_all_zero(to_classes, probabilities))
    else:
        if not np.array_equal(got, expected):
            switch = _switch_point(to_classes)
            problems.add(f"to_classes gives 0 up to {switch - 0.01:.2f} and 1 from {switch:.2f}; class 1 means "
                         "a probability above 0.5 (0 up to 0.50, 1 from 0.51): compare with 0.5."
                         if switch is not None and not np.isnan(switch) and switch > 0
                         and not np.isclose(switch, 0.51)  # between probes: the probes cannot tell
                         else "to_classes should give 1 where the probability is above 0.5 and 0 elsewhere.")
    problems.expect(np.issubdtype(got.dtype, np.integer),
                    f"classes should be integers 0 and 1; got dtype {got.dtype}.")
    return None


q1 = Exercise(notebook, "Exercise 1 · A model that returns every layer's output",
              ["make_trace_model", "model"], _trace_model, [
                  "A functional keras.Model can have several outputs: one per layer of the Sequential model.",
                  "keras.Model(inputs=..., outputs=...) with the model's inputs and a list of each layer's .output.",
              ])
q2 = Exercise(notebook, "Exercise 2 · Trace one sample", ["trace_sample", "model"], _trace_sample, [
    "Keep the batch dimension when you call the model: x[index:index + 1].",
    "predict with your trace model on that one-row slice gives one array per layer; take row 0 of each "
    "and put the raw sample x[index] in front.",
])
q3 = Exercise(notebook, "Exercise 3 · From probabilities to classes", ["to_classes"], _classes, [
    "The sigmoid output is the probability of class 1.",
    "Compare the flattened probabilities with 0.5, then convert the booleans with .astype(int).",
])
