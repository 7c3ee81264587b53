"""Lesson 4 · Output layer and the whole Sequential model, compiled."""
from __future__ import annotations

import numpy as np

from course.data import Dataset, generate, load_data
from course.exercise import Exercise, Notebook, call_student
from course.model_checks import check_compiled, check_dense_stage, check_is_sequential, check_pipeline_model
from course.pipeline import STAGES
from course.prediction import probabilities_of, scores

notebook = Notebook()
bind, show_stage, ready = notebook.bind, notebook.show_stage, notebook.ready


def _output(problems, output_layer, probabilities, hidden_2=None, recompute: bool = False):
    check_dense_stage(output_layer, probabilities, STAGES[4], problems, "output_layer", "probabilities",
                      inputs=[("hidden_2", hidden_2), ("the raw x", load_data().x)])
    values = np.asarray(probabilities)
    if values.size and not problems:
        problems.expect(values.min() > 0 and values.max() < 1,
                        "`probabilities` should lie strictly between 0 and 1 (sigmoid).")
    if recompute and not problems and hidden_2 is None:
        problems.add("`hidden_2` is not defined: run the notebook from its first cell.")
    elif recompute and not problems:  # hidden test: sigmoid(hidden_2 @ W + b), value by value
        weights, bias = output_layer.get_weights()
        expected = 1 / (1 + np.exp(-(np.asarray(hidden_2) @ weights + bias)))
        problems.expect(values.shape == expected.shape and np.allclose(values, expected, atol=1e-4),
                        "`probabilities` is not `output_layer` applied to `hidden_2`.")
    return "One probability per sample, between 0 and 1."


def _build(problems, build_model, model, data: Dataset | None = None,
           samples: int | None = None, seed: int | None = None):
    if samples:
        data = generate(samples, seed=seed)
    if data is not None:  # hidden test: a fresh model around another adapted normalizer
        import keras

        normalizer = keras.layers.Normalization()
        normalizer.adapt(data.x)
        fresh = call_student(q2.title, build_model, normalizer)
        check_pipeline_model(fresh, problems, data.x)
        problems.expect(fresh is not model, "build_model should build a new model on every call.")
        return None
    x = load_data().x
    check_pipeline_model(model, problems, x)
    if not problems and callable(build_model):  # the function builds around the normalizer it is given
        import keras

        other = x[: len(x) // 2] * 2
        normalizer = keras.layers.Normalization()
        normalizer.adapt(other)
        fresh = call_student(q2.title, build_model, normalizer)
        layers = [layer for layer in getattr(fresh, "layers", []) if type(layer).__name__ == "Normalization"]
        mean = np.asarray(getattr(layers[0], "mean", None) if layers else None, dtype=float).reshape(-1)
        if mean.shape == (x.shape[1],) and not np.allclose(mean, other.mean(axis=0), rtol=1e-2, atol=1e-3):
            problems.add("build_model puts the notebook's normalizer in the model whatever normalizer it "
                         "is given: inside the function, use its parameter (the normalizer passed to it).")
    return "Input(20) → Normalization → Dense 64 → Dense 32 → Dense 1: the reference pipeline's five stages."


def _compile(problems, model, split: str | None = None):
    if model is None:
        problems.add("`model` is None: compile() changes the model in place and returns nothing, "
                     "so call model.compile(...) without assigning its result (re-run the cell "
                     "that builds the model first).")
        return None
    if not check_is_sequential(model, problems):
        return None
    check_compiled(model, problems)
    if split and not problems:  # hidden test: the compiled model's loss on held-out data
        loss, accuracy = held_out_scores(model, split)
        problems.expect(0 < loss < 5 and 0 <= accuracy <= 1,
                        f"on the {split} data the model's binary cross-entropy is {loss:.3f} and its "
                        f"accuracy {accuracy:.2f}; expected a loss between 0 and 5.")
    return "Adam, binary cross-entropy and accuracy: ready to train."


def held_out_scores(model, split: str) -> tuple[float, float]:
    """Binary cross-entropy and accuracy (threshold 0.5) of ``model`` on a data split, as
    ``evaluate`` reports them, from one plain call (no tf.function to build, model unchanged)."""
    held_out = load_data(split)
    return scores(probabilities_of(model, held_out.x), held_out.y)


q1 = Exercise(notebook, "Exercise 1 · Output layer", ["output_layer", "probabilities"], _output, [
    "Stage 5 has one unit; its activation squeezes any number into (0, 1).",
    "One unit and activation='sigmoid'; call the layer on hidden_2.",
], optional=["hidden_2"], assign_help=dict.fromkeys(
    ["output_layer", "probabilities"], "Keep the layer in a variable and its output in another: "
    "`output_layer = keras.layers.Dense(...)`, then `probabilities = output_layer(hidden_2)`."))
q2 = Exercise(notebook, "Exercise 2 · The Sequential model", ["build_model", "model"], _build, [
    "keras.Sequential takes a list: the Input first, then the layers in the reference pipeline's order.",
    "Five items in the list: keras.Input with one sample's shape (20,), the normalizer you were given, "
    "then Dense 64 ReLU, Dense 32 ReLU and Dense 1 sigmoid.",
], assign_help={"model": "Call your function and keep the model: `model = build_model(normalizer)`."})
q3 = Exercise(notebook, "Exercise 3 · Compile", ["model"], _compile, [
    "compile() chooses the optimizer, the loss and the metrics to report.",
    "compile takes optimizer=, loss= and metrics= keywords; metrics is a list of names, and the "
    "loss for one sigmoid probability with 0/1 labels is binary cross-entropy.",
])
