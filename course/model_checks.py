"""Compare a student's model with the reference pipeline and name every difference.

Each function adds plain-language problems to a :class:`~course.feedback.Problems`
list, so one check reports all mismatches at once. None of them changes the model.
"""
from __future__ import annotations

import numpy as np

from course import errors, model_facts
from course.feedback import Problems
from course.pipeline import LAYER_STAGES, REFERENCE_ORDER, Stage, ordinal

DENSE_STAGES = tuple(stage for stage in LAYER_STAGES if stage.kind == "Dense")


def check_is_sequential(model, problems: Problems, name: str = "model") -> bool:
    if not model_facts.is_model(model):
        problems.add(f"`{name}` should be a keras.Sequential model; it is a {type(model).__name__}.")
        return False
    if not model_facts.is_sequential(model):
        problems.add(f"`{name}` is a {type(model).__name__}; this lesson builds it with "
                     "keras.Sequential([...]).")
        return False
    return True


def check_input(model, problems: Problems, n_features: int = 20) -> bool:
    """The model starts with keras.Input(shape=(20,)) — one sample, no batch, no label."""
    shape = model_facts.input_shape(model)
    if shape is None:
        problems.add("the model has no input shape yet: start the list with "
                     f"keras.Input(shape=({n_features},)) so Keras knows each sample has "
                     f"{n_features} features.")
        return False
    sample = tuple(shape[1:])
    if sample == (n_features,):
        return True
    if len(sample) == 2 and sample[-1] == n_features:
        problems.add(f"keras.Input(shape=...) takes the shape of one sample, ({n_features},), "
                     f"without the batch: yours is {sample}, which counts the {sample[0]} rows too.")
    elif sample == (n_features + 1,):
        problems.add(f"keras.Input has shape ({n_features + 1},) but each sample has {n_features} "
                     "features: the label is not an input feature, don't count it.")
    else:
        problems.add(f"keras.Input has shape {sample}; each sample has {n_features} features, "
                     f"so use keras.Input(shape=({n_features},)).")
    return False


def dense_description(facts: model_facts.LayerFacts, stage: Stage) -> list[str]:
    """Problems with one Dense layer compared with the stage it should be."""
    found = []
    where = f"stage {stage.number} ({stage.name})"
    if facts.units != stage.units:
        found.append(f"has {facts.units} units; {where} expects {stage.units}")
    activation = facts.activation or "linear"
    if activation != stage.activation:
        if activation == "linear":
            why = ("has no activation (linear), so it can output any number"
                   if stage.activation == "sigmoid" else "has no activation (linear)")
            found.append(f"{why}; {where} expects activation='{stage.activation}'")
        elif activation == "softmax" and stage.units == 1:
            found.append("uses softmax, which over a single unit always outputs 1.0; "
                         f"{where} expects 'sigmoid' for one probability between 0 and 1")
        else:
            found.append(f"uses '{activation}'; {where} expects '{stage.activation}'")
    return found


def check_dense_layers(layers, problems: Problems, stages=DENSE_STAGES) -> None:
    """The Dense layers match ``stages`` in number, order, units and activation."""
    dense = [model_facts.layer_facts(layer) for layer in layers
             if type(layer).__name__ == "Dense"]
    expected_units = [stage.units for stage in stages]
    units = [facts.units for facts in dense]
    if len(dense) != len(stages):
        problems.add(f"there are {len(dense)} Dense layers ({', '.join(f.label() for f in dense) or 'none'}); "
                     f"the reference pipeline has {len(stages)}: "
                     f"{', '.join(stage.label() for stage in stages)}.")
        return
    if units != expected_units and sorted(units) == sorted(expected_units):
        problems.add("the Dense layers are in the wrong order: yours run "
                     f"{' → '.join(f.label() for f in dense)}; the reference pipeline's order is {REFERENCE_ORDER}.")
        return
    for index, (facts, stage) in enumerate(zip(dense, stages)):
        for issue in dense_description(facts, stage):
            problems.add(f"the {ordinal(index)} Dense layer {issue}.")


def check_normalizer(normalizer, problems: Problems, x: np.ndarray | None = None) -> bool:
    """An adapted Normalization layer, adapted on the training features ``x``."""
    kind = type(normalizer).__name__
    if kind != "Normalization":
        problems.add(f"expected a keras.layers.Normalization layer, got {kind}.")
        return False
    if not model_facts.is_adapted(normalizer):
        problems.add("the Normalization layer was never adapted, so it passes the raw features "
                     "through unchanged: call normalizer.adapt(x) on the training features "
                     "(not on data that is already normalized).")
        return False
    if x is None:
        return True
    mean = np.asarray(normalizer.mean).reshape(-1)
    variance = np.asarray(normalizer.variance).reshape(-1)
    if mean.shape[0] != x.shape[1]:
        problems.add(f"the Normalization layer learned {mean.shape[0]} means but the data has "
                     f"{x.shape[1]} features: adapt it on x (the features), not on y or a column.")
        return False
    if np.allclose(mean, 0, atol=1e-3) and np.allclose(variance, 1, atol=1e-2):
        problems.add("the Normalization layer was adapted on data that is already normalized "
                     "(mean 0, variance 1), so it was never adapted to the raw features: "
                     "adapt it on x itself.")
        return False
    spread = x.std(axis=0) + 1e-8
    off = np.abs(mean - x.mean(axis=0)) / spread
    if off.max() > 0.05 or not np.allclose(variance, x.var(axis=0), rtol=0.05):
        worst = int(off.argmax())
        problems.add("the Normalization layer was adapted on other data: its mean for feature "
                     f"{worst} is {mean[worst]:.3g} but the training features' mean is "
                     f"{x[:, worst].mean():.3g}. Adapt it on x, the training features.")
        return False
    return True


def check_model_layers(model, problems: Problems, x: np.ndarray) -> None:
    """The whole pipeline: Normalization (adapted on x), Dense 64, Dense 32, Dense 1."""
    layers = list(model.layers)
    if not layers:
        problems.add(f"the model has no layers; the reference pipeline is {REFERENCE_ORDER}.")
        return
    kinds = [type(layer).__name__ for layer in layers]
    normalizers = [layer for layer in layers if type(layer).__name__ == "Normalization"]
    if not normalizers:
        problems.add("there is no Normalization layer: stage 2 scales every feature to mean 0 "
                     "and variance 1 before the Dense layers see it.")
    elif kinds[0] != "Normalization":
        problems.add(f"the Normalization layer must come first (stage 2), right after the Input; "
                     f"yours is layer {kinds.index('Normalization') + 1}.")
    else:
        check_normalizer(normalizers[0], problems, x)
    extra = [kind for kind in kinds if kind not in ("Normalization", "Dense")]
    if extra:
        problems.add(f"the reference pipeline has no {', '.join(sorted(set(extra)))} layer; "
                     f"it is {REFERENCE_ORDER}.")
    check_dense_layers(layers, problems)


def check_output_shape(model, problems: Problems, x: np.ndarray, expected: tuple) -> None:
    """A real call on the data gives ``expected`` (e.g. (1000, 1))."""
    try:
        output = np.asarray(model(x))
    except Exception as error:  # noqa: BLE001 - report, don't crash the check
        problems.add(f"calling the model on the data failed: {errors.explain(error)}")
        return
    if output.shape != expected:
        problems.add(f"the model's output for the {x.shape[0]} samples has shape {output.shape}; "
                     f"expected {expected}.")


def check_dense_stage(layer, output, stage: Stage, problems: Problems,
                      layer_name: str, output_name: str, rows: int = 1000) -> None:
    """A lone Dense layer (``layer_name``) and its output (``output_name``) match ``stage``."""
    if type(layer).__name__ != "Dense":
        problems.add(f"`{layer_name}` should be a keras.layers.Dense layer; it is a {type(layer).__name__}.")
        return
    for issue in dense_description(model_facts.layer_facts(layer), stage):
        problems.add(f"`{layer_name}` {issue}.")
    values = np.asarray(output)
    problems.expect(values.shape == (rows, stage.units),
                    f"`{output_name}` has shape {values.shape}; stage {stage.number} gives ({rows}, {stage.units}).")
    if values.size and stage.activation == "relu":
        problems.expect(values.min() >= 0, f"`{output_name}` has negative values ({values.min():.3f}); "
                                           "ReLU outputs are never below 0.")


def check_pipeline_model(model, problems: Problems, x: np.ndarray) -> None:
    """Sequential, keras.Input(shape=(20,)), the four layers in order, output (n, 1)."""
    if not check_is_sequential(model, problems):
        return
    input_ok = check_input(model, problems, n_features=x.shape[1])
    check_model_layers(model, problems, x)
    if input_ok and not problems:
        check_output_shape(model, problems, x, (x.shape[0], 1))


LOSS_ADVICE = {
    "mse": "mean squared error treats the 0/1 label as a number to regress",
    "mean_squared_error": "mean squared error treats the 0/1 label as a number to regress",
    "mae": "mean absolute error treats the 0/1 label as a number to regress",
    "mean_absolute_error": "mean absolute error treats the 0/1 label as a number to regress",
    "categorical_crossentropy": "categorical cross-entropy expects one-hot labels over several classes",
    "sparse_categorical_crossentropy": "sparse categorical cross-entropy expects one softmax output per class",
}


def check_compiled(model, problems: Problems, metric: str = "accuracy") -> None:
    """Compiled with Adam, binary cross-entropy on probabilities, and ``metric``."""
    facts = model_facts.compile_facts(model)
    if facts is None:
        problems.add("the model is not compiled yet: call model.compile(optimizer='adam', "
                     "loss='binary_crossentropy', metrics=['accuracy']).")
        return
    loss = facts["loss"]
    if loss in LOSS_ADVICE:
        problems.add(f"loss='{loss}': {LOSS_ADVICE[loss]}; one sigmoid probability per sample "
                     "needs loss='binary_crossentropy'.")
    elif loss != "binary_crossentropy":
        problems.add(f"loss is '{loss}'; a sigmoid output with 0/1 labels needs 'binary_crossentropy'.")
    elif facts["from_logits"]:
        problems.add("from_logits=True tells the loss your output is a raw score, but the output "
                     "layer already applies sigmoid: use the default from_logits=False.")
    if facts["optimizer"] != "adam":
        problems.add(f"optimizer is '{facts['optimizer']}'; this lesson uses optimizer='adam'.")
    if metric not in facts["metrics"]:
        named = ", ".join(repr(m) for m in facts["metrics"]) or "none"
        problems.add(f"metrics are [{named}]; use metrics=['{metric}'] so the History keys read "
                     f"'{metric}' (Keras names each key after the metric you give).")
