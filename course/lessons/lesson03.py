"""Lesson 3 · Dense layers: 64 then 32 ReLU units (stages 3 and 4)."""
from __future__ import annotations

import numpy as np

from course.data import load_data
from course.exercise import Exercise, Notebook, call_student
from course.model_checks import check_dense_stage
from course.pipeline import STAGES
from course.stages import Stage

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready


def _normalized_x() -> np.ndarray:
    x = load_data().x
    return (x - x.mean(axis=0)) / x.std(axis=0)


def _hidden_layer(stage: Stage, layer_name: str, output_name: str, detail: str,
                  input_name: str | None = None):
    """The check of one hidden layer exercise: the layer and its output match ``stage``.

    With ``recompute=True`` (hidden test) the output must also equal ReLU(inputs @ W + b)
    for the layer's own weights, its inputs being ``input_name`` (or the normalized x)."""
    def check(problems, recompute: bool = False, **answers):
        x = load_data().x
        inputs = [("x_normalized", _normalized_x()), ("the raw x", x)]
        if input_name is not None:
            inputs.insert(0, (input_name, answers.get(input_name)))
        check_dense_stage(answers[layer_name], answers[output_name], stage, problems,
                          layer_name, output_name, inputs=inputs)
        if recompute and not problems:
            inputs = _normalized_x() if input_name is None else answers.get(input_name)
            if inputs is None:
                problems.add(f"`{input_name}` is not defined: finish the exercise above first.")
                return detail
            weights, bias = answers[layer_name].get_weights()
            expected = np.maximum(0, np.asarray(inputs) @ weights + bias)
            got = np.asarray(answers[output_name])
            problems.expect(got.shape == expected.shape and np.allclose(got, expected, atol=1e-4),
                            f"`{output_name}` is not `{layer_name}` applied to "
                            f"{'x_normalized' if input_name is None else '`' + input_name + '`'}.")
        return detail
    return check


_dense_1 = _hidden_layer(STAGES[2], "dense_1", "hidden_1",
                         "Stage 3 turns 20 normalized features into 64 ReLU activations per sample.")
_dense_2 = _hidden_layer(STAGES[3], "dense_2", "hidden_2", "Stage 4 maps 64 activations to 32.",
                         input_name="hidden_1")


def _confused_counts(inputs: int, units: int) -> dict[str, float]:
    """The counts beginners compute instead of inputs * units + units, by the formula that gives them."""
    return {f"{inputs} * {units} - {units}, the biases subtracted (-) instead of added": inputs * units - units,
            f"{inputs} / {units} + {units}, a division (/) where the weights multiply": inputs / units + units,
            f"{inputs} + {units}, a sum where the weights multiply (*)": inputs + units,
            f"{inputs} * {units} + {inputs}, one bias per input instead of one per unit": inputs * units + inputs,
            f"({inputs} + {units}) * {units}": (inputs + units) * units}


def _equal(got, count: float) -> bool:
    try:
        return bool(np.isclose(float(got), count))
    except (TypeError, ValueError):
        return False


def _params(problems, dense_params, cases=((20, 64), (64, 32))):
    if not callable(dense_params):
        problems.add(f"`dense_params` should be a function, `def dense_params(inputs, units): ...`, "
                     f"that computes the count; it is {dense_params!r}.")
        return None
    for inputs, units in cases:
        got = call_student(q3.title, dense_params, inputs, units)
        if got is None:
            problems.add("dense_params returned None: end it with `return ...` (printing the "
                         "number is not returning it).")
            return None
        expected = inputs * units + units
        if got == inputs * units:
            problems.add(f"dense_params({inputs}, {units}) = {got}: that counts the weights but not "
                         f"the {units} biases (one per unit).")
        elif got != expected:
            formula = next((text for text, count in _confused_counts(inputs, units).items()
                            if _equal(got, count)), None)
            seen = f" = {formula}" if formula else ""
            problems.add(f"dense_params({inputs}, {units}) = {got}{seen}; a Dense layer has inputs x units "
                         f"weights plus one bias per unit = {expected}.")
    return "20·64+64 = 1344 and 64·32+32 = 2080, as model.summary() shows."


def _assign_help(layer: str, output: str, data: str) -> dict[str, str]:
    """What to write when the answer cell defined one of the layer and its output but not the other."""
    text = (f"Keep the layer in a variable and its output in another: `{layer} = keras.layers.Dense(...)`, "
            f"then `{output} = {layer}({data})`.")
    return {layer: text, output: text}


q1 = Exercise(notebook, "Exercise 1 · First hidden layer", ["dense_1", "hidden_1"], _dense_1, [
    "Stage 3 is a Dense layer with 64 units and the ReLU activation.",
    "keras.layers.Dense takes the number of units first and activation='relu' as a keyword; call the layer on x_normalized.",
], assign_help=_assign_help("dense_1", "hidden_1", "x_normalized"))
q2 = Exercise(notebook, "Exercise 2 · Second hidden layer", ["dense_2", "hidden_2"], _dense_2, [
    "Stage 4 takes the output of stage 3 as its input.",
    "Same as exercise 1 with 32 units, called on hidden_1 (not on x_normalized).",
], optional=["hidden_1"], assign_help=_assign_help("dense_2", "hidden_2", "hidden_1"))
q3 = Exercise(notebook, "Exercise 3 · Count the parameters", ["dense_params"], _params, [
    "Each unit has one weight per input and one bias.",
    "inputs x units weights, plus units biases.",
])
