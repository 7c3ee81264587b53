"""Lesson 3 · Dense layers: 64 then 32 ReLU units (stages 3 and 4)."""
from __future__ import annotations

import numpy as np

from course.exercise import Exercise, Notebook, call_student
from course.model_checks import dense_description
from course.model_facts import layer_facts
from course.pipeline import STAGES

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready


def _dense_stage(problems, layer, output, stage, layer_name, output_name, rows=1000):
    if type(layer).__name__ != "Dense":
        problems.add(f"`{layer_name}` should be a keras.layers.Dense layer; it is a {type(layer).__name__}.")
        return
    for issue in dense_description(layer_facts(layer), stage):
        problems.add(f"`{layer_name}` {issue}.")
    values = np.asarray(output)
    problems.expect(values.shape == (rows, stage.units),
                    f"`{output_name}` has shape {values.shape}; stage {stage.number} gives ({rows}, {stage.units}).")
    if values.size and stage.activation == "relu":
        problems.expect(values.min() >= 0, f"`{output_name}` has negative values ({values.min():.3f}); "
                                           "ReLU outputs are never below 0.")


def _dense_1(problems, dense_1, hidden_1):
    _dense_stage(problems, dense_1, hidden_1, STAGES[2], "dense_1", "hidden_1")
    return "Stage 3 turns 20 normalized features into 64 ReLU activations per sample."


def _dense_2(problems, dense_2, hidden_2):
    _dense_stage(problems, dense_2, hidden_2, STAGES[3], "dense_2", "hidden_2")
    return "Stage 4 maps 64 activations to 32."


def _params(problems, dense_params, cases=((20, 64), (64, 32))):
    for inputs, units in cases:
        got = call_student(q3.title, dense_params, inputs, units)
        expected = inputs * units + units
        if got == inputs * units:
            problems.add(f"dense_params({inputs}, {units}) = {got}: that counts the weights but not "
                         f"the {units} biases (one per unit).")
        elif got != expected:
            problems.add(f"dense_params({inputs}, {units}) = {got}; a Dense layer has inputs x units "
                         f"weights plus one bias per unit = {expected}.")
    return "20·64+64 = 1344 and 64·32+32 = 2080, as model.summary() shows."


q1 = Exercise(notebook, "Exercise 1 · First hidden layer", ["dense_1", "hidden_1"], _dense_1, [
    "Stage 3 is a Dense layer with 64 units and the ReLU activation.",
    "keras.layers.Dense takes the number of units first and activation='relu' as a keyword; call the layer on x_normalized.",
])
q2 = Exercise(notebook, "Exercise 2 · Second hidden layer", ["dense_2", "hidden_2"], _dense_2, [
    "Stage 4 takes the output of stage 3 as its input.",
    "Same as exercise 1 with 32 units, called on hidden_1 (not on x_normalized).",
])
q3 = Exercise(notebook, "Exercise 3 · Count the parameters", ["dense_params"], _params, [
    "Each unit has one weight per input and one bias.",
    "inputs x units weights, plus units biases.",
])
