"""Answers as data (course.answers) and the trusted verdict (autograder.check.trusted), in-process.

The kernel side and the grader side are the same functions the real grading uses;
here the "kernel" is this process, so each round trip is checked exactly.
"""
from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

import course  # noqa: F401 - quiet, seeded TensorFlow first

# isort: split
import keras

from autograder.check import trusted
from autograder.core.results import CellStatus, Verdict
from course import answers
from course.data import load_data
from tests.course_copy import ASSIGNMENTS, ROOT


def roundtrip(value):
    return answers.decode(json.loads(json.dumps(answers.encode(value))), seen={})


def test_plain_values_keep_their_types():
    for value in (None, True, 3, 2.5, "text", [1, (2, 3)], {"a": [1.5, None]}, (1, [2])):
        back = roundtrip(value)
        assert back == value and type(back) is type(value)
    nan = roundtrip(float("nan"))
    assert isinstance(nan, float) and np.isnan(nan)


def test_arrays_scalars_and_tensors():
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    back = roundtrip(array)
    assert back.dtype == np.float32 and np.array_equal(back, array)
    scalar = roundtrip(np.float32(0.25))
    assert isinstance(scalar, np.float32) and scalar == np.float32(0.25)
    tensor = keras.layers.Dense(2)(array)
    back = roundtrip(tensor)
    assert type(back) is type(tensor) and np.allclose(np.asarray(back), np.asarray(tensor))


def test_object_arrays_are_refused_and_pickle_is_never_loaded():
    with pytest.raises(answers.Unsupported):
        answers.encode(np.array([{"a": 1}, None], dtype=object))
    buffer = io.BytesIO()
    np.save(buffer, np.array([print], dtype=object), allow_pickle=True)  # a pickle inside .npy
    forged = {"t": "npy", "v": base64.b64encode(buffer.getvalue()).decode()}
    with pytest.raises(ValueError, match="allow_pickle"):
        answers.decode(forged)


def test_layers_come_back_with_their_weights_and_adapted_state():
    x = load_data().x[:200]
    normalizer = keras.layers.Normalization()
    normalizer.adapt(x)
    dense = keras.layers.Dense(4, activation="relu")
    out = dense(np.asarray(normalizer(x)))
    back_norm, back_dense = roundtrip(normalizer), roundtrip(dense)
    assert type(back_norm) is keras.layers.Normalization
    assert np.allclose(np.asarray(back_norm(x)), np.asarray(normalizer(x)), atol=1e-6)
    assert type(back_dense) is keras.layers.Dense and back_dense.units == 4
    assert np.allclose(np.asarray(back_dense(np.asarray(normalizer(x)))), np.asarray(out), atol=1e-6)


def test_models_and_histories():
    x, y = load_data()
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:64], y[:64], epochs=2, verbose=0)
    back = roundtrip(model)
    assert isinstance(back, keras.Sequential) and back.compiled
    assert back.get_compile_config() == model.get_compile_config()
    assert np.allclose(back.predict(x[:5], verbose=0), model.predict(x[:5], verbose=0), atol=1e-6)
    # the optimizer's state too (checks count the steps a model took before its last fit)
    assert int(back.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 4
    for mine, theirs in zip(back.optimizer.variables, model.optimizer.variables):
        assert np.allclose(np.asarray(mine), np.asarray(theirs))
    # a model without an Input, built by its first fit; a model never built or compiled
    late = keras.Sequential([keras.layers.Dense(2, activation="relu"), keras.layers.Dense(1)])
    late.compile(optimizer="sgd", loss="mse")
    late.fit(x[:32], y[:32], epochs=1, verbose=0)
    back = roundtrip(late)
    assert back.built and np.allclose(back.predict(x[:3], verbose=0), late.predict(x[:3], verbose=0), atol=1e-6)
    assert int(back.optimizer.iterations.numpy()) == 1
    bare = roundtrip(keras.Sequential([keras.layers.Dense(2)]))
    assert isinstance(bare, keras.Sequential) and not bare.compiled and len(bare.layers) == 1
    # an adapted Normalization inside a model keeps its state (mean and variance are not weights)
    from course.model_facts import is_adapted

    normalizer = keras.layers.Normalization()
    normalizer.adapt(x[:200])
    model = keras.Sequential([keras.Input((20,)), normalizer, keras.layers.Dense(1, activation="sigmoid")])
    back = roundtrip(model)
    assert is_adapted(back.layers[0])
    assert np.allclose(back.predict(x[:5], verbose=0), model.predict(x[:5], verbose=0), atol=1e-6)
    copy = roundtrip(history)
    assert isinstance(copy, keras.callbacks.History) and copy.history == history.history


def test_code_in_keras_files_and_configs_is_refused():
    lam = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda t: t * 2)])
    with pytest.raises(Exception, match="(?i)lambda|unsafe|safe_mode"):
        roundtrip(lam)
    config = keras.saving.serialize_keras_object(keras.layers.Lambda(lambda t: t + 1))
    with pytest.raises(Exception, match="(?i)lambda|unsafe|safe_mode"):
        answers.decode({"t": "layer", "v": json.loads(json.dumps(config)), "weights": []})

    @keras.saving.register_keras_serializable(package="student")
    class Sneaky(keras.layers.Layer):
        def call(self, inputs):
            return inputs

    data = json.loads(json.dumps(answers.encode(Sneaky())))
    keras.saving.get_custom_objects().pop("student>Sneaky")  # the grader does not know the class
    with pytest.raises(Exception):  # noqa: B017 - whatever Keras raises for an unknown class
        answers.decode(data)


def test_look_alikes_and_unknown_objects_do_not_cross():
    class Dense:  # a fake layer
        units = 64

        def get_config(self):
            return {"units": 64, "activation": "relu"}

    payload = answers.export(["fake", "missing", "ok"], {"fake": Dense(), "ok": 1}).data
    assert payload["answers"]["fake"] == {"t": "unsupported", "what": "a Dense object"}
    assert payload["answers"]["missing"] == {"t": "missing"}
    assert payload["answers"]["ok"] == {"t": "json", "v": 1}


def kernel(namespace):
    """This process plays the kernel: export answers, call functions on request."""
    export = json.loads(json.dumps(answers.export(sorted(namespace), namespace).data))

    def ask(call):
        return json.loads(json.dumps(answers.call(json.dumps(call)).data))
    return export, ask


def test_a_function_answer_is_called_on_the_graders_inputs():
    calls = []

    def dense_params(inputs, units):
        calls.append((inputs, units))
        return inputs * units + units

    export, ask = kernel({"dense_params": dense_params})
    request = {"module": "course.lessons.lesson03", "calls": [["q3", {}], ["q3", {"cases": [[7, 3]]}]],
               "export": export}
    verdict = trusted.verdict_of(request, ask)
    assert verdict.status is CellStatus.PASSED and verdict.text.count("✔") == 1
    assert calls == [(20, 64), (64, 32), (7, 3)]


def test_failures_missing_answers_and_errors_are_messages():
    export, ask = kernel({"dense_params": lambda inputs, units: inputs * units})
    verdict = trusted.verdict_of({"module": "course.lessons.lesson03", "calls": [["q3", {}]],
                                  "export": export}, ask)
    assert verdict.status is CellStatus.FAILED and "not the 64 biases" in verdict.text
    export, ask = kernel({})
    export["last_error"] = {"type": "NotImplementedError", "builtin": True, "message": ""}
    verdict = trusted.verdict_of({"module": "course.lessons.lesson03", "calls": [["q3", {}]],
                                  "export": export}, ask)
    assert verdict.status is CellStatus.NOT_ATTEMPTED and "not attempted yet" in verdict.text

    def broken(inputs, units):
        raise NotImplementedError()

    export, ask = kernel({"dense_params": broken})
    verdict = trusted.verdict_of({"module": "course.lessons.lesson03", "calls": [["q3", {}]],
                                  "export": export}, ask)
    assert verdict.status is CellStatus.NOT_ATTEMPTED


@pytest.mark.parametrize("seconds, said", [(2.9, "That cell ran longer than the 3 s limit for one cell"),
                                           (0.3, "That cell was interrupted (the ■ stop button")])
def test_an_answer_cell_stopped_by_the_time_limit_is_explained_as_in_the_kernel(monkeypatch, seconds, said):
    """The kernel exports how long the interrupted answer cell ran and the per-cell limit then in
    force; the trusted check then says what the same check said in the kernel: stopped by the
    limit, or interrupted by hand."""
    from course import errors
    from course.feedback import CheckFailed
    from course.lessons import lesson03

    monkeypatch.setattr(errors, "_previous_cell", {})
    interrupted = KeyboardInterrupt()
    monkeypatch.setattr("sys.last_value", interrupted, raising=False)
    errors.remember_cell(interrupted, seconds, 3)  # what the kernel's post_run_cell hook noted
    export, ask = kernel({})
    lesson03.bind({})
    with pytest.raises(CheckFailed) as in_kernel:
        lesson03.q3.check()
    assert said in str(in_kernel.value)
    verdict = trusted.verdict_of({"module": "course.lessons.lesson03", "calls": [["q3", {}]], "export": export}, ask)
    assert verdict.status is CellStatus.FAILED and verdict.text == in_kernel.value.render()


def test_a_course_data_class_crosses_as_itself_and_a_look_alike_does_not():
    """``x = load_data()`` keeps a course Dataset: the grader gets a Dataset (the course's class,
    found by name in a course module), not "an object the grader cannot read"."""
    data = load_data()
    back = roundtrip(data)
    assert type(back) is type(data) and np.array_equal(back.x, data.x) and np.array_equal(back.y, data.y)

    class Dataset:  # a student's class of the same name is still refused
        x = data.x

    Dataset.__module__ = "course.data"
    with pytest.raises(answers.Unsupported):
        answers.encode(Dataset())
    forged = {"t": "record", "class": "os.path.join", "v": {}}
    with pytest.raises(answers.Unsupported):
        answers.decode(forged)
    with pytest.raises(answers.Unsupported):  # a course module, but not a data class
        answers.decode({"t": "record", "class": "course.data.load_data", "v": {}})


def test_a_model_compiled_with_a_keras_class_crosses_with_that_class():
    """compile(loss=keras.losses.BinaryCrossentropy) (no ``()``): Keras cannot serialize it, the
    export names the class and the grader compiles with the same class, looked up in Keras by name."""
    from course.model_facts import compile_facts

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy,
                  metrics=["accuracy", keras.metrics.AUC])
    data = json.loads(json.dumps(answers.encode(model)))
    assert "get_compile_config" not in vars(model)  # the student's model is left as it was
    back = answers.decode(data)
    assert back.compiled and back._compile_config.config["loss"] is keras.losses.BinaryCrossentropy
    assert compile_facts(back) == compile_facts(model)
    assert compile_facts(back)["classes"] == [("loss", "BinaryCrossentropy"), ("metrics", "AUC")]
    data["compile"]["loss"] = {"class": ["losses", "os"]}
    with pytest.raises(answers.Unsupported):
        answers.decode(data)
    data["compile"]["loss"] = {"class": ["saving", "KerasSaveable"]}
    with pytest.raises(answers.Unsupported):
        answers.decode(data)


@pytest.mark.parametrize("error", [KeyError("acc"), KeyError(("val", 1)), ValueError("a", 2),
                                   OSError(2, "No such file"), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad")])
def test_a_rebuilt_error_reads_as_the_students(error):
    """The grader's copy of an error has the same type name and text (a KeyError's key quoted once)."""
    rebuilt = trusted._rebuild_error(json.loads(json.dumps(answers._error(error))))
    assert type(rebuilt).__name__ == type(error).__name__ and isinstance(rebuilt, type(error))
    assert str(rebuilt) == str(error)
    assert str(trusted._rebuild_error({"type": "KeyError", "builtin": True, "message": "'acc'"})) == "'acc'"


def test_a_function_result_that_cannot_cross_is_described_as_the_kernel_describes_it():
    """What a student's function returns that is not data (pyplot, a tuple of Axes, KerasTensors)
    reaches the check as a stand-in with the same type name, never as an error."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course.errors import describe

    figure, (left, right) = plt.subplots(1, 2)
    plt.close(figure)
    values = {"axes": (left, right), "plt": plt, "tensors": [keras.Input((3,))], "object": object()}
    export, ask = kernel({name: (lambda value=value: value) for name, value in values.items()})
    seen = {}
    for name, value in values.items():
        reply = ask({"ref": export["answers"][name]["ref"], "args": [], "kwargs": {}})
        assert "error" not in reply
        back = answers.decode(reply["result"], seen=seen)
        assert describe(back) == describe(value) and type(back).__name__ == type(value).__name__
        assert repr(back) != repr(value) or name == "plt"
    assert [type(item).__name__ for item in answers.decode(ask(
        {"ref": export["answers"]["axes"]["ref"], "args": [], "kwargs": {}})["result"])] == ["Axes", "Axes"]
    # as an answer (not a function's result) it is still refused with a message
    assert answers.export(["p"], {"p": plt}).data["answers"]["p"]["t"] == "unsupported"
    # what the grader rebuilds but cannot read this time is no stand-in (it would be misdescribed)
    for value in (np.array([None, 1], dtype=object), {1: "a"}):
        export, ask = kernel({"f": lambda value=value: value})
        reply = ask({"ref": export["answers"]["f"]["ref"], "args": [], "kwargs": {}})
        assert reply["result"]["t"] == "unsupported", reply

    def plot_curves(history):
        figure, axes = plt.subplots(1, 2)
        return axes[0], axes[1]

    export, ask = kernel({"plot_curves": plot_curves})
    verdict = trusted.verdict_of({"module": "course.lessons.lesson05", "calls": [["q3", {}]],
                                  "export": export}, ask)
    assert verdict.status is CellStatus.FAILED and "it returned tuple" in verdict.text, verdict
    assert "Unsupported" not in verdict.text


def test_a_figure_crosses_as_its_lines_and_the_kernel_closes_what_a_call_opened():
    """A figure a student's function returns reaches the check as a matplotlib Figure whose axes
    hold the same lines (y values); the kernel closes the figures the call made, as the check
    does when it runs in the notebook (else the next cell would show them)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.figure
    import matplotlib.pyplot as plt

    def plot_curves(history):
        figure, (left, right) = plt.subplots(1, 2)
        left.plot([1, 2, 3], history["loss"])
        left.plot([1, 2, 3], [0.0, 0.0, 0.0])
        right.plot([1, 2, 3], history["accuracy"])
        plt.figure()  # a stray second figure: closed too
        return figure

    kept = plt.figure()  # open before the call: left open
    export, ask = kernel({"plot_curves": plot_curves})
    before = plt.get_fignums()
    reply = ask({"ref": export["answers"]["plot_curves"]["ref"],
                 "args": [answers.encode({"loss": [0.9, 0.5, 0.4], "accuracy": [0.5, 0.7, 0.8]})], "kwargs": {}})
    assert plt.get_fignums() == before and kept.number in before
    plt.close(kept)
    figure = answers.decode(reply["result"])
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) == 2
    assert [[list(line.get_ydata()) for line in axes.get_lines()] for axes in figure.axes] == [
        [[0.9, 0.5, 0.4], [0.0, 0.0, 0.0]], [[0.5, 0.7, 0.8]]]
    assert [list(line.get_xdata()) for line in figure.axes[1].get_lines()] == [[1, 2, 3]]
    assert plt.get_fignums() == [n for n in before if n != kept.number]  # decoding opens no pyplot figure
    # a failing call closes what it opened too
    export, ask = kernel({"broken": lambda: (plt.subplots(1, 2), 1 / 0)})
    before = plt.get_fignums()
    assert "error" in ask({"ref": export["answers"]["broken"]["ref"], "args": [], "kwargs": {}})
    assert plt.get_fignums() == before


def test_an_answer_is_rebuilt_only_when_a_check_reads_it(monkeypatch):
    """The trusted side rebuilds an answer when a check first reads it: the model beside a History
    not trained yet is never rebuilt (a blank notebook's exercise 1), and the verdict is the one
    the notebook gives. An answer that cannot be rebuilt is still named when the check reads it."""
    x, y = load_data()
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    rebuilt = []
    decode = answers._decode_model
    monkeypatch.setattr(answers, "_decode_model", lambda data: rebuilt.append(1) or decode(data))
    export, ask = kernel({"model": model})
    export["answers"]["history"] = {"t": "missing"}
    export["last_error"] = answers._error(NotImplementedError())
    request = {"module": "course.lessons.lesson05", "calls": [["q1", {}]], "export": export}
    verdict = trusted.verdict_of(request, ask)
    assert verdict.status is CellStatus.NOT_ATTEMPTED and "`history` is not defined yet" in verdict.text, verdict
    assert rebuilt == []
    # the same with a model that cannot be rebuilt: still the notebook's verdict
    export["answers"]["model"] = {"t": "model", "v": {"class_name": "NoSuchModel", "config": {}}}
    assert trusted.verdict_of(request, ask) == verdict
    # with the History there, the check reads the model: rebuilt once, or named if it cannot be
    history = model.fit(x[:64], y[:64], epochs=5, verbose=0)
    export, ask = kernel({"model": model, "history": history})
    request["export"] = export
    verdict = trusted.verdict_of(request, ask)
    assert rebuilt == [1], verdict
    export["answers"]["model"] = {"t": "model", "v": {"class_name": "NoSuchModel", "config": {}}}
    verdict = trusted.verdict_of(request, ask)
    assert verdict.status is CellStatus.FAILED and "`model` is an object that could not be rebuilt" in verdict.text
    assert "which the grader cannot read" in verdict.text, verdict


def test_every_graded_test_cell_of_lessons_1_to_6_follows_the_convention():
    import nbformat

    for assignment in ASSIGNMENTS[:6]:
        path = ROOT / "source" / assignment / f"{assignment}.ipynb"
        notebook = nbformat.read(str(path), as_version=4)
        tests = {c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
                 if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}
        planned = trusted.plan(path)
        assert tests and set(planned) == tests, assignment
        assert all(cell.module.startswith("course.lessons.lesson") for cell in planned.values())
        assert all(len(cell.calls) == 2 and cell.calls[1][1] for cell in planned.values()), assignment


def test_a_cell_with_other_code_is_not_trusted(tmp_path):
    assert trusted._calls("ex.q1.check()\nassert x == 1", "ex") is None
    assert trusted._calls("ex.q1.check(data=course.load_data())", "ex") is None
    assert trusted._calls("other.q1.check()", "ex") is None
    assert trusted._calls("ex.q1.check(n=3)\nex.q2.check()", "ex") == [("q1", {"n": 3}), ("q2", {})]


def test_a_misnamed_answer_is_named_by_the_trusted_check_too():
    export, ask = kernel({"dense_param": lambda inputs, units: inputs * units + units})
    export["answers"] = {"dense_params": {"t": "missing"}}
    export["last_error"] = None  # the answer cell ran without error (this process's own may linger)
    verdict = trusted.verdict_of({"module": "course.lessons.lesson03", "calls": [["q3", {}]],
                                  "export": export}, ask)
    assert verdict.status is CellStatus.FAILED and "`dense_param`" in verdict.text, verdict


def test_the_quiz_is_graded_with_the_key_of_the_course_it_runs_in_and_not_graded_without(tmp_path, monkeypatch):
    """The trusted process runs in the course directory: it reads the quiz's key there
    (answer_keys/quiz.toml), which no sandboxed kernel sees. Without a key, the verdict is
    NOT_GRADED (never a wrong answer), naming where the key was looked for."""
    import shutil

    monkeypatch.setenv("COURSE_QUIZ_MODE", "graded")
    request = {"module": "course.lessons.lesson07", "calls": [["q1", {}], ["q1", {"graded": True}]]}
    folder = tmp_path / "course"
    (folder / "answer_keys").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    shutil.copy(ROOT / "answer_keys" / "quiz.toml", folder / "answer_keys")
    monkeypatch.chdir(folder)
    verdicts = {}
    for letter in "AC":
        export, ask = kernel({"answer_q1": letter})
        export["last_error"] = None
        verdicts[letter] = trusted.verdict_of({**request, "export": export}, ask)
    assert verdicts["C"].status is CellStatus.PASSED and "✔ Question 1: C is right" in verdicts["C"].text
    # what both calls printed, as the notebook shows it: the recorded line, then one ✔ line
    assert verdicts["C"].text.startswith("Question 1: answer recorded: C") and verdicts["C"].text.count("✔") == 1
    assert verdicts["A"].status is CellStatus.FAILED and "max(0, z)" in verdicts["A"].text
    (folder / "answer_keys" / "quiz.toml").unlink()
    export, ask = kernel({"answer_q1": "C"})
    export["last_error"] = None
    verdict = trusted.verdict_of({**request, "export": export}, ask)
    assert verdict.status is CellStatus.NOT_GRADED and verdict.ename == "NotGraded", verdict
    assert f"looked for {folder / 'answer_keys' / 'quiz.toml'}" in verdict.text
    assert "answer recorded: C" in verdict.stdout  # what the visible check printed stays above it
    shown = trusted.outputs(verdict)
    assert shown[-1]["output_type"] == "error" and shown[-1]["ename"] == "NotGraded"


def test_in_a_notebook_a_cell_shows_one_verdict_and_a_hint_once():
    import nbformat
    from nbclient import NotebookClient

    cells = ["import course\nfrom course.lessons import lesson03 as ex\nex.bind(globals())\n"
             "def dense_params(inputs, units):\n    return inputs * units + units",
             "ex.q3.check()\nex.q3.check(cases=[(7, 3)])",
             "def dense_params(inputs, units):\n    return 0 if inputs == 7 else inputs * units + units",
             "ex.q3.check()\nex.q3.check(cases=[(7, 3)])",
             "ex.q3.hint()"]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True).execute()
    passed, failed, hint = notebook.cells[1].outputs, notebook.cells[3].outputs, notebook.cells[4].outputs
    assert [o["output_type"] for o in passed] == ["stream"] and passed[0]["text"].count("✔") == 1
    assert [o["output_type"] for o in failed] == ["error"], failed  # no ✔ above the failure
    assert "dense_params(7, 3) = 0" in failed[0]["evalue"]
    assert [o["output_type"] for o in hint] == ["stream"] and hint[0]["text"].count("Hint 1/") == 1


def test_a_failed_verdict_carries_the_checks_problems_as_data_and_crosses_json():
    """The verdict's problems are the course's (kind, text), read from the failure, not its text;
    a Verdict survives the JSON between the trusted process and the worker."""
    from course.feedback import CheckFailed
    from course.lessons import lesson03

    export, ask = kernel({"dense_params": lambda inputs, units: inputs * units})
    verdict = trusted.verdict_of({"module": "course.lessons.lesson03", "calls": [["q3", {}]], "export": export}, ask)
    lesson03.bind({"dense_params": lambda inputs, units: inputs * units})
    with pytest.raises(CheckFailed) as in_kernel:
        lesson03.q3.check()
    assert verdict.problems and [(p.kind, p.text) for p in verdict.problems] == [
        (p.kind, p.text) for p in in_kernel.value.details]
    assert {p.kind for p in verdict.problems} == {"mismatch"}
    assert Verdict.from_json(json.loads(json.dumps(verdict.to_json()))) == verdict
    export, ask = kernel({})
    export["last_error"] = {"type": "NotImplementedError", "builtin": True, "message": ""}
    todo = trusted.verdict_of({"module": "course.lessons.lesson03", "calls": [["q3", {}]], "export": export}, ask)
    assert [p.kind for p in todo.problems] == ["missing"] and todo.problems[0].text in todo.text


def _zygote_class():
    from autograder.isolate.zygote import Zygote

    return Zygote


def test_the_trusted_process_forked_from_the_zygote_gives_the_same_verdicts(tmp_path):
    """A worker with a warm zygote forks its trusted process from it (TensorFlow already imported:
    ready in a fraction of a second, instead of seconds); verdicts equal a fresh interpreter's; the
    process ends with the worker's handle, and a killed one is replaced."""
    import os
    import time

    zygote = _zygote_class()(["numpy", "tensorflow", "keras", "course"], ["course"])
    forked, fresh = trusted.TrustedChecks(), trusted.TrustedChecks()
    try:
        if not zygote.usable:
            pytest.fail(f"no usable zygote here: {zygote.info}")
        start = time.monotonic()
        forked.start(zygote=zygote)
        cell = trusted.TestCell("course.lessons.lesson03", [("q3", {}), ("q3", {"cases": [[7, 3]]})])
        assert forked.names(cell) == ["dense_params"]
        ready = time.monotonic() - start
        assert isinstance(forked.process, trusted.ForkedChecks), type(forked.process)
        assert ready < 2.5, f"the forked trusted process took {ready:.2f} s to answer"
        fresh.start()
        assert not isinstance(fresh.process, trusted.ForkedChecks)
        for function in (lambda inputs, units: inputs * units + units, lambda inputs, units: inputs * units):
            export, ask = kernel({"dense_params": function})
            verdicts = [checks.run(cell, export, ask) for checks in (forked, fresh)]
            assert verdicts[0] == verdicts[1]
        assert verdicts[0].status is CellStatus.FAILED and "not the 64 biases" in verdicts[0].text
        pid = forked.process.pid
        os.kill(pid, 9)
        forked.process.wait(timeout=5)
        export, ask = kernel({"dense_params": lambda inputs, units: inputs * units + units})
        assert forked.run(cell, export, ask).status is CellStatus.PASSED  # a new one, from the zygote again
        assert isinstance(forked.process, trusted.ForkedChecks) and forked.process.pid != pid
        pid = forked.process.pid
        forked.close()
        assert not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2]
    finally:
        forked.close()
        fresh.close()
        zygote.close()


def test_a_killed_worker_leaves_no_trusted_process_behind():
    """kill -9 of a worker: the trusted process it had forked from its zygote dies with it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    code = ("import time\nfrom tests.autograder.check.test_trusted import _zygote_class\nfrom autograder.check import trusted\n"
            "z = _zygote_class()(['numpy'], [])\nz.usable\nc = trusted.TrustedChecks()\nc.start(zygote=z)\n"
            "print(type(c.process).__name__, c.process.pid, z.proc.pid, flush=True)\ntime.sleep(600)\n")
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=str(ROOT), stdout=subprocess.PIPE, text=True)
    try:
        kind, trusted_pid, zygote_pid = worker.stdout.readline().split()
        assert kind == "ForkedChecks"
        assert os.path.exists(f"/proc/{trusted_pid}")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    def alive(pid: str) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 10
    while (alive(trusted_pid) or alive(zygote_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(trusted_pid) and not alive(zygote_pid)


def test_the_grader_explains_an_error_from_the_kernel_as_the_kernel_does():
    """An error a student's function raised in the kernel is rebuilt on the trusted side with the
    line that raised it, so its explanation is the same sentence on both sides."""
    import numpy as np

    from autograder.check.trusted import _rebuild_error
    from course import errors
    from course.answers import _error
    from tests.course.test_errors import _raised

    for code in ("n_rows, n_features = y.shape\n", "a, b = [1]\n"):
        kernel_side = _raised(code, {"y": np.zeros(3)})
        assert errors.explain(_rebuild_error(_error(kernel_side))) == errors.explain(kernel_side)
