"""Compare a student's model with the reference pipeline and name every difference.

Each function adds plain-language problems to a :class:`~course.feedback.Problems`
list, so one check reports all mismatches at once. None of them changes the model.
"""
from __future__ import annotations

import numpy as np

from course import errors, model_facts, reference_epochs
from course.feedback import Problems
from course.pipeline import LAYER_STAGES, REFERENCE_ORDER, ordinal
from course.stages import Stage

DENSE_STAGES = tuple(stage for stage in LAYER_STAGES if stage.kind == "Dense")


def check_is_sequential(model, problems: Problems, name: str = "model") -> bool:
    if not model_facts.is_model(model):
        if model is None:
            problems.add(f"`{name}` is None, not a model: a function without `return` gives None "
                         "(so does model.compile(...), which changes the model in place).")
        elif callable(model) and not is_layer(model):
            problems.add(f"`{name}` is {errors.describe(model)}, not a model: call it, "
                         f"e.g. `{name} = build_model(normalizer)`.")
        else:
            problems.add(f"`{name}` should be a keras.Sequential model; it is {errors.describe(model)}.")
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
    if normalizer is None:
        problems.add("the normalizer is None: make_normalizer must end with `return normalizer` "
                     "(adapt() returns nothing, so return the layer itself, not the result of adapt).")
        return False
    if kind == "function":
        problems.add(f"the normalizer is {errors.describe(normalizer)}, not a layer: call it on the "
                     "features, `normalizer = make_normalizer(x)`.")
        return False
    if kind != "Normalization":
        problems.add(f"expected a keras.layers.Normalization layer, got {kind}.")
        return False
    if not model_facts.is_adapted(normalizer):
        problems.add("the Normalization layer was never adapted, so it passes the raw features "
                     "through unchanged: call its adapt method on the training features "
                     "(not on data that is already normalized).")
        return False
    if x is None:
        return True
    config = normalizer.get_config()
    if config.get("mean") is not None or config.get("variance") is not None:
        return _check_fixed_statistics(config, problems, x)
    mean = np.asarray(normalizer.mean).reshape(-1)
    variance = np.asarray(normalizer.variance).reshape(-1)
    if config.get("axis", -1) in (0, (0,), [0]):
        problems.add("Normalization(axis=0) learns one mean and variance per sample (row) instead of "
                     "per feature (column): leave out the axis argument (the default is one mean and "
                     "variance per feature).")
        return False
    if config.get("axis", -1) in (None, (), []):
        problems.add("Normalization(axis=None) learns one mean and one variance for all features "
                     "together; leave out the axis argument (the default is one mean and variance "
                     "per feature).")
        return False
    if mean.shape[0] != x.shape[1]:
        learned = f"{mean.shape[0]} mean{'s' if mean.shape[0] != 1 else ''}"
        if mean.shape[0] == x.shape[0] and np.all(np.isin(mean, (0.0, 1.0))) and np.allclose(variance, 0):
            problems.add(f"the Normalization layer learned {learned}, each 0 or 1 with variance 0: it was "
                         f"adapted on the labels (y), not on the features. Adapt it on x, shape {tuple(x.shape)}.")
        elif mean.shape[0] == x.shape[0] and np.allclose(mean, np.asarray(x, dtype=float).mean(axis=1),
                                                         rtol=1e-3, atol=1e-3):
            problems.add(f"the Normalization layer learned {learned}, one per sample: the data it was "
                         f"adapted on had the samples as columns (transposed). Adapt it on x as given, "
                         f"shape {tuple(x.shape)}, one row per sample.")
        else:
            problems.add(f"the Normalization layer learned {learned}, so the data it was adapted on had "
                         f"{mean.shape[0]} column{'s' if mean.shape[0] != 1 else ''}; the features have "
                         f"{x.shape[1]}: adapt it on x, shape {tuple(x.shape)}.")
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


def _check_fixed_statistics(config: dict, problems: Problems, x: np.ndarray) -> bool:
    """A Normalization created with mean= and variance= (it learns nothing from adapt): fine only
    when those are the training features' own statistics."""
    try:
        mean = np.broadcast_to(np.asarray(config.get("mean"), dtype=float).reshape(-1), (x.shape[1],))
        variance = np.broadcast_to(np.asarray(config.get("variance"), dtype=float).reshape(-1), (x.shape[1],))
        matches = (np.allclose(mean, x.mean(axis=0), rtol=1e-3, atol=1e-6)
                   and np.allclose(variance, x.var(axis=0), rtol=1e-2))
    except (TypeError, ValueError):
        matches = False
    if not matches:
        problems.add("the Normalization layer was given a fixed mean and variance "
                     f"(mean={_short(config.get('mean'))}, variance={_short(config.get('variance'))}) "
                     "instead of learning them from x: create it without mean= and variance=, "
                     "and call its adapt method on the features.")
    return matches


def _short(value) -> str:
    text = repr(np.asarray(value).tolist()) if value is not None else "None"
    return text if len(text) <= 30 else text[:27] + "..."


def check_model_layers(model, problems: Problems, x: np.ndarray) -> None:
    """The whole pipeline: Normalization (adapted on x), Dense 64, Dense 32, Dense 1."""
    layers = list(model.layers)
    if not layers:
        problems.add("the model has no layers: keras.Sequential() is missing its list of layers (or "
                     f"model.add() was never called); the reference pipeline is {REFERENCE_ORDER}.")
        return
    kinds = [type(layer).__name__ for layer in layers]
    normalizers = [layer for layer in layers if type(layer).__name__ == "Normalization"]
    if not normalizers:
        problems.add("there is no Normalization layer: stage 2 scales every feature to mean 0 "
                     "and variance 1 before the Dense layers see it.")
    elif kinds[0] != "Normalization":
        problems.add(f"the Normalization layer must come first (stage 2), right after the Input; "
                     f"yours is layer {kinds.index('Normalization') + 1}.")
    elif not model_facts.is_adapted(normalizers[0]):
        problems.add("the model's Normalization layer was never adapted: put the normalizer passed "
                     "to build_model in the list (it is already adapted); a new "
                     "keras.layers.Normalization() has learned nothing.")
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


def is_layer(value) -> bool:
    import keras

    return isinstance(value, keras.layers.Layer)


def check_output_kind(output, problems: Problems, output_name: str, layer_name: str,
                      input_name: str) -> bool:
    """``output`` is data (an array or tensor), not the layer itself, None or a function."""
    call = f"call `{layer_name}` on {input_name} and keep what it returns"
    if is_layer(output):
        problems.add(f"you assigned the layer itself to `{output_name}`; call it on {input_name} "
                     "to get its output (calling a layer on data returns the layer's output).")
    elif output is None:
        problems.add(f"`{output_name}` is None, not the layer's output: a method such as adapt() "
                     f"or a function without `return` gives None; use {call}.")
    elif callable(output) and not hasattr(output, "shape"):
        problems.add(f"`{output_name}` is {errors.describe(output)}, not data: {call}.")
    else:
        return True
    return False


_NUMPY_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "linear": lambda z: z,
    "tanh": np.tanh,
}


def check_applied_to(layer, output, candidates, problems: Problems, layer_name: str,
                     output_name: str) -> None:
    """``output`` is ``layer`` applied to the first of ``candidates`` ((label, array) pairs).

    Verified from the values with the layer's own weights; if it is the layer applied to
    another candidate (the raw x, an earlier stage), say which."""
    if not getattr(layer, "built", False):
        label = candidates[0][0] if candidates else "its input"
        problems.add(f"`{layer_name}` was never called on data, so `{output_name}` comes from another layer: "
                     f"call this one, `{output_name} = {layer_name}({label})`.")
        return
    weights = layer.get_weights()
    facts = model_facts.layer_facts(layer)
    act = _NUMPY_ACTIVATIONS.get(facts.activation or "linear")
    if len(weights) != 2 or act is None or not candidates:
        return
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in weights)
    label, expected_input = candidates[0]
    if expected_input is not None and kernel.shape[0] != np.shape(expected_input)[-1]:
        problems.add(f"`{layer_name}` was first called on data with {kernel.shape[0]} values per "
                     f"sample, so not on {label} ({np.shape(expected_input)[-1]} per sample): "
                     f"call a new layer on {label}.")
        return
    got = np.asarray(output, dtype=np.float64)
    for other, data in candidates:
        if data is None:
            continue
        data = np.asarray(data, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] != kernel.shape[0] or data.shape[0] != got.shape[0]:
            continue
        if np.allclose(got, act(data @ kernel + bias), rtol=1e-3, atol=1e-3):
            if other != label:
                problems.add(f"`{output_name}` is `{layer_name}` applied to {other}, not to {label}: "
                             f"this stage takes {label} as its input.")
            return
    if candidates[0][1] is not None:
        problems.add(f"`{output_name}` is not `{layer_name}` applied to {label}: call the layer "
                     f"on {label} and keep what it returns.")


def check_dense_stage(layer, output, stage: Stage, problems: Problems,
                      layer_name: str, output_name: str, rows: int = 1000,
                      inputs=()) -> None:
    """A lone Dense layer (``layer_name``) and its output (``output_name``) match ``stage``.

    ``inputs``: (label, array) pairs, the stage's real input first, then likely wrong ones;
    the output is checked to be the layer applied to the first."""
    input_name = inputs[0][0] if inputs else "its input"
    if type(layer).__name__ != "Dense":
        if hasattr(layer, "shape") and not is_layer(layer):
            problems.add(f"`{layer_name}` holds data of shape {tuple(layer.shape)}, the layer's output, "
                         f"not the layer: keep the layer in `{layer_name}` "
                         f"(`{layer_name} = keras.layers.Dense(...)`) and its output in `{output_name}`.")
        else:
            problems.add(f"`{layer_name}` should be a keras.layers.Dense layer; it is "
                         f"{errors.describe(layer)}.")
        return
    issues = dense_description(model_facts.layer_facts(layer), stage)
    for issue in issues:
        problems.add(f"`{layer_name}` {issue}.")
    if not check_output_kind(output, problems, output_name, layer_name, input_name):
        return
    values = np.asarray(output)
    if values.dtype == bool:
        problems.add(f"`{output_name}` holds True/False values, classes rather than the layer's "
                     "output: keep what the layer returns, without a comparison.")
        return
    if values.shape != (rows, stage.units):
        problems.add(f"`{output_name}` has shape {values.shape}; stage {stage.number} gives "
                     f"({rows}, {stage.units})" + _transposed_input(layer, values, inputs, layer_name))
        return
    if values.size and stage.activation == "relu" and not problems.expect(
            values.min() >= 0, f"`{output_name}` has negative values ({values.min():.3f}); "
                               "ReLU outputs are never below 0."):
        return
    if inputs and not issues:
        check_applied_to(layer, output, list(inputs), problems, layer_name, output_name)


def _transposed_input(layer, values: np.ndarray, inputs, layer_name: str) -> str:
    """The end of the shape message: it names a transposed input only when the layer's weights show
    it was built on one (as many inputs per sample as the real input has samples)."""
    if not inputs or values.ndim != 2:
        return "."
    label, real = inputs[0]
    real_shape = np.shape(real)
    kernel = getattr(layer, "kernel", None)
    if (len(real_shape) == 2 and values.shape[0] == real_shape[1] and kernel is not None
            and tuple(kernel.shape)[0] == real_shape[0]):
        return (f": `{layer_name}` was called on {label} transposed ({real_shape[1]} rows of "
                f"{real_shape[0]} values), so each row it saw was one feature, not one sample. "
                f"Call it on {label} as it is, shape {tuple(real_shape)}.")
    return "."


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
    """Compiled with Adam (near its default learning rate), binary cross-entropy on probabilities,
    and ``metric``; each may be given as a name, a function or an object."""
    try:
        facts = model_facts.compile_facts(model)
    except Exception as error:  # noqa: BLE001 - e.g. a loss class given without ()
        problems.add("compile(...) was given a setting Keras cannot use: give the optimizer, loss "
                     "and metrics as names, optimizer='adam', loss='binary_crossentropy', "
                     f"metrics=['accuracy']. {errors.sentence(errors.explain(error))}")
        return
    if facts is None:
        if errors.answer_error() is not None:
            problems.add("because of that error the model is not compiled yet: fix the compile(...) "
                         "line and run the cell again.")
        else:
            problems.add("the model is not compiled yet: call its compile method with the optimizer, "
                         "the loss and the metric the exercise names, and run the cell again.")
        return
    for setting, name in facts.get("classes", []):
        example = {"optimizer": "'adam'", "loss": "'binary_crossentropy'"}.get(setting, "'accuracy'")
        problems.add(f"{setting}= was given the class {name} itself: create one with parentheses, "
                     f"{name}(), or give its name as a string ({example}).")
    if facts.get("classes"):
        return
    loss = facts["loss"]
    if loss in LOSS_ADVICE:
        problems.add(f"loss='{loss}': {LOSS_ADVICE[loss]}; one sigmoid probability per sample "
                     "needs loss='binary_crossentropy'.")
    elif loss and loss != "binary_crossentropy" and errors._close(loss, ["binary_crossentropy"], 0.8):
        problems.add(f"loss='{loss}' is misspelled: Keras spells it 'binary_crossentropy'.")
    elif loss != "binary_crossentropy":
        problems.add(f"loss is '{loss}'; a sigmoid output with 0/1 labels needs 'binary_crossentropy'.")
    elif facts["from_logits"]:
        problems.add("from_logits=True tells the loss your output is a raw score, but the output "
                     "layer already applies sigmoid: use the default from_logits=False.")
    if facts["optimizer"] != "adam":
        problems.add(f"optimizer is '{facts['optimizer']}'; this lesson uses optimizer='adam'.")
    else:
        rate = facts.get("learning_rate")
        factor = reference_epochs.LEARNING_RATE_FACTOR
        if rate is not None and not (reference_epochs.LEARNING_RATE / factor <= rate
                                     <= reference_epochs.LEARNING_RATE * factor):
            effect = ("steps that large jump over the minimum, so the loss stalls or grows"
                      if rate > reference_epochs.LEARNING_RATE else "steps that small barely move in 5 epochs")
            problems.add(f"the learning rate is {rate:g}, far from Adam's default "
                         f"{reference_epochs.LEARNING_RATE:g} that the reference pipeline trains with: {effect}. "
                         "Use optimizer='adam' (or keras.optimizers.Adam() without learning_rate).")
    if "keras.metrics.Accuracy()" in facts["metrics"]:
        problems.add("keras.metrics.Accuracy() counts exact matches between the probability and the "
                     "0/1 label, which almost never happen: use metrics=['accuracy'], which Keras "
                     "turns into binary accuracy (probability above 0.5 = class 1).")
    elif metric not in facts["metrics"] and "binary_accuracy" in facts["metrics"]:
        problems.add(f"binary accuracy is the right measure, but Keras names its History key "
                     f"'binary_accuracy' and lesson 5 reads '{metric}': use metrics=['{metric}'] "
                     f"(Keras turns it into binary accuracy), or give the metric name='{metric}'.")
    elif metric not in facts["metrics"]:
        named = ", ".join(repr(m) for m in facts["metrics"]) or "none"
        problems.add(f"metrics are [{named}]; use metrics=['{metric}'] so the History keys read "
                     f"'{metric}' (Keras names each key after the metric you give).")
