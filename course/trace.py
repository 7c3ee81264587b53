"""The pipeline trace: what a Sequential model does to the data, stage by stage.

``trace(model, x, history)`` gives the reference pipeline's four views of one model:

1. **Data flow** - the raw input, then one stage per layer, each with what the
   layer does ("Fully connected layer with 64 neurons and ReLU activation"),
   the shape going in and out ("1000 rows x 20 columns") and the first rows.
2. **Training trace** - the epoch table (loss, accuracy, an observation per
   epoch) and an ASCII loss chart; ``.figure()`` draws the curves.
3. **Prediction trace** - one sample followed through every layer, ending in a
   probability and a predicted class.

The result prints as plain text (``.to_text()``), shows as HTML tables when it
is a notebook cell's last value, and exports as plain data (``.to_dict()``,
``.to_json()``). Stage outputs come from calling ``model.layers`` one after
another on the data, so any built ``keras.Sequential`` works, and the model is
never changed. From a terminal, ``course-trace`` (``autograder.trace_command``)
trains the reference pipeline on the course data and prints its trace.
"""
from __future__ import annotations

import html
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import keras
import numpy as np

from course.data import Dataset
from course import model_facts
from course.model_facts import activation_name, input_shape, is_adapted, quiet_config

#: A single output above this probability is predicted as class 1.
THRESHOLD = 0.5
#: How many of the first rows each data-flow stage shows.
SAMPLE_ROWS = 2
#: A relative change of loss smaller than this counts as a plateau.
PLATEAU = 0.01
#: A relative drop of loss at least this big counts as learning well.
BIG_DROP = 0.15
#: History keys that hold training accuracy, in order of preference.
ACCURACY_KEYS = ("accuracy", "binary_accuracy", "acc",
                 "categorical_accuracy", "sparse_categorical_accuracy")

#: How activations are named in descriptions, as the reference trace writes them.
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "relu6": "ReLU6",
                    "elu": "ELU", "selu": "SELU", "gelu": "GELU", "silu": "SiLU"}
#: The epoch table's column headings in HTML (the plain-text table keeps to ASCII).
EPOCH_HEADERS = ("Epoch", "Loss \u2193", "Accuracy \u2191", "Observation")


class TraceError(ValueError):
    """What was passed to the trace cannot be traced; the message says how to fix it."""


class TraceTypeError(TraceError, TypeError):
    """The model, data or history is not the kind of object the trace expects."""


# --------------------------------------------------------------------------- records

@dataclass(frozen=True)
class Stage:
    """One row of the data-flow view: a stage, what it does, shapes and first rows."""

    number: int
    name: str
    description: str
    input_shape: list[int]
    output_shape: list[int]
    sample_rows: list[list[float]]

    @property
    def input_text(self) -> str:
        """The input shape as the reference trace writes it: "1000 rows x 20 columns"."""
        return shape_text(self.input_shape)

    @property
    def output_text(self) -> str:
        """The output shape as the reference trace writes it: "1000 rows x 64 columns"."""
        return shape_text(self.output_shape)

    @property
    def preview(self) -> str:
        """The first rows, shortened: "[[0.5, 1.2, 0.3, ..., 0.3], [...], ...]"."""
        return preview_rows(self.sample_rows, more=self.output_shape[0] > len(self.sample_rows))


@dataclass(frozen=True)
class EpochRow:
    """One row of the epoch table."""

    epoch: int
    loss: float | None
    accuracy: float | None
    observation: str


@dataclass(frozen=True)
class TraceStep:
    """One layer of the prediction trace: "Layer 3: Dense Layer 1 (ReLU)" and the sample's values."""

    number: int
    name: str
    values: list[float]

    @property
    def label(self) -> str:
        return f"Layer {self.number}: {self.name}"

    @property
    def summary(self) -> str:
        count = len(self.values)
        return f"{preview_values(self.values)} ({count} value{'s' if count != 1 else ''})"


@dataclass(frozen=True)
class Prediction:
    """The prediction trace: one sample through every layer, then probability and class."""

    sample: int
    steps: list[TraceStep]
    probability: float
    predicted_class: int

    @property
    def verdict(self) -> str:
        if len(self.steps[-1].values) == 1:
            rule = f"probability > {THRESHOLD} means class 1" if self.predicted_class else \
                f"probability <= {THRESHOLD} means class 0"
        else:
            rule = "the class with the highest probability"
        return (f"Probability {self.probability:.4f} -> predicted class "
                f"{self.predicted_class} ({rule})")


# --------------------------------------------------------------------------- formatting

def number_text(value: float) -> str:
    """A value as shown in previews: two decimals, or scientific for tiny values."""
    if not math.isfinite(value):
        return str(value)
    if value == 0 or abs(value) >= 0.01:
        return f"{value:.2f}"
    return f"{value:.1e}"


def preview_values(values: Sequence[float]) -> str:
    """A row shortened to its first three and last value: "[0.50, 1.20, 0.30, ..., 0.30]"."""
    shown = [number_text(v) for v in values]
    if len(shown) > 4:
        shown = shown[:3] + ["..."] + shown[-1:]
    return "[" + ", ".join(shown) + "]"


def preview_rows(rows: Sequence[Sequence[float]], more: bool = True) -> str:
    """Several shortened rows, with "..." when the data has more rows than shown."""
    parts = [preview_values(row) for row in rows] + (["..."] if more else [])
    return "[" + ", ".join(parts) + "]"


def shape_text(shape: Sequence[int]) -> str:
    """A shape in words: "1000 rows x 20 columns", "1000 rows x 1 column", "60 samples x 28 x 28"."""
    rows, *rest = shape
    if len(rest) == 1:
        return f"{rows} rows x {rest[0]} column{'s' if rest[0] != 1 else ''}"
    if not rest:
        return f"{rows} values"
    return f"{rows} samples x " + " x ".join(str(n) for n in rest)


def _activation_words(name: str) -> str:
    return ACTIVATION_NAMES.get(name, name)


def _dense_description(layer: keras.layers.Layer, config: dict[str, Any]) -> str:
    units = config.get("units", "?")
    activation = activation_name(layer) or "linear"
    text = f"Fully connected layer with {units} neuron{'s' if units != 1 else ''}"
    if activation == "linear":
        return text + " and no activation (raw scores)"
    text += f" and {_activation_words(activation)} activation"
    if activation == "sigmoid" and units == 1:
        text += " for binary classification"
    elif activation == "softmax":
        text += f" for classification into {units} classes"
    return text


def describe_layer(layer: keras.layers.Layer) -> str:
    """What a layer does, in a student's words, from its class and ``get_config()``."""
    config = quiet_config(layer)
    kind = type(layer).__name__
    if kind == "Dense":
        return _dense_description(layer, config)
    if kind == "Normalization":
        return "Scale features to have mean 0 and variance 1"
    if kind == "Dropout":
        return (f"Randomly drop {config.get('rate', 0):.0%} of the values while training "
                "(passes data through unchanged when predicting)")
    if kind == "Activation":
        return f"Apply the {_activation_words(activation_name(layer) or 'linear')} activation"
    if kind == "Flatten":
        return "Flatten each sample into one long row"
    if kind == "Reshape":
        return f"Reshape each sample to {tuple(config.get('target_shape', ()))}"
    if kind == "BatchNormalization":
        return "Normalize each feature with the statistics learned during training"
    if kind == "Rescaling":
        return f"Multiply by {config.get('scale')} and add {config.get('offset')}"
    parts = [f"{kind} layer"]
    for count in ("units", "filters"):
        if count in config:
            parts.append(f"with {config[count]} {count}")
    activation = activation_name(layer)
    if activation and activation != "linear":
        parts.append(f"and {_activation_words(activation)} activation")
    return " ".join(parts)


def _kind_name(layer: keras.layers.Layer) -> str:
    return f"{type(layer).__name__} Layer"


def stage_names(layers: Sequence[keras.layers.Layer]) -> list[str]:
    """Names as in the reference trace: "Normalization Layer", "Dense Layer 1", ..., "Output Layer".

    The last layer is the output layer; other layers are named by kind and
    numbered when the model has more than one of that kind before the output.
    """
    kinds = [_kind_name(layer) for layer in layers[:-1]]
    seen: dict[str, int] = {}
    names = []
    for kind in kinds:
        seen[kind] = seen.get(kind, 0) + 1
        names.append(f"{kind} {seen[kind]}" if kinds.count(kind) > 1 else kind)
    return names + ["Output Layer"]


def _with_activation(name: str, layer: keras.layers.Layer) -> str:
    """"Dense Layer 1 (ReLU)", "Output Layer (Sigmoid)": the prediction trace's layer names."""
    activation = activation_name(layer)
    if not activation or activation == "linear":
        return name
    words = _activation_words(activation)
    return f"{name} ({words[0].upper()}{words[1:]})"


# --------------------------------------------------------------------------- checks

def _example_input(sample_shape: Sequence[int] | None) -> str:
    shape = tuple(sample_shape) if sample_shape else (20,)
    return f"keras.Input(shape={shape})"


def check_model(model: Any, sample_shape: Sequence[int] | None = None) -> tuple[int | None, ...]:
    """The shape of one input sample, e.g. ``(20,)``, or a :class:`TraceError` saying what is missing."""
    if not model_facts.is_sequential(model):
        what = "a Keras model that is not Sequential" if model_facts.is_model(model) \
            else f"a {type(model).__name__}"
        raise TraceTypeError(
            f"The pipeline trace needs a keras.Sequential model, but it got {what}. "
            "Build the model with keras.Sequential([...]).")
    example = _example_input(sample_shape)
    if not model.layers:
        raise TraceError(
            "The model has no layers yet. Add them, e.g. "
            f"keras.Sequential([{example}, keras.layers.Dense(64, activation='relu'), ...]).")
    shape = input_shape(model)
    if shape is None:
        raise TraceError(
            "The model is not built yet, so it does not know its input shape and its "
            f"layers have no weights. Start the model with {example}, e.g. "
            f"keras.Sequential([{example}, ...]), or call the model once on your data: model(x[:1]).")
    return shape[1:]


def row_shape(x: Any) -> tuple[int, ...] | None:
    """The shape of one row of ``x`` if it looks like a table, to put in error messages."""
    shape = np.shape(x.x if isinstance(x, Dataset) else x)
    return tuple(shape[1:]) if len(shape) >= 2 else None


def _fits(expected: Sequence[int | None], got: Sequence[int]) -> bool:
    return len(expected) == len(got) and all(e is None or e == g for e, g in zip(expected, got))


def check_data(x: Any, expected: Sequence[int | None]) -> np.ndarray:
    """``x`` as a NumPy array with one row per sample that fits the model's input."""
    if isinstance(x, Dataset):
        x = x.x
    try:
        data = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise TraceTypeError(f"x should be an array of numbers, such as x from x, y = load_data(): {error}")
    if data.dtype.kind not in "biuf":
        raise TraceTypeError(f"x should be an array of numbers, such as x from x, y = load_data(); "
                             f"it holds {data.dtype} values.")
    if data.ndim < 2 or len(data) == 0:
        raise TraceError(f"x should have one row per sample, like shape (1000, 20), but its shape is "
                         f"{data.shape}. For a single sample use x.reshape(1, -1).")
    if not _fits(expected, data.shape[1:]):
        if len(expected) == 1 and data.ndim == 2:
            raise TraceError(
                f"The model expects {expected[0]} features per row (it starts with "
                f"keras.Input(shape=({expected[0]},))), but x has {data.shape[1]} columns "
                f"(shape {data.shape}).")
        raise TraceError(f"The model expects samples of shape {tuple(expected)}, but x has "
                         f"samples of shape {data.shape[1:]} (shape {data.shape}).")
    return data


def history_values(history: Any) -> dict[str, list[float]] | None:
    """The per-epoch values of a Keras History or a dict of lists; None when there is no history."""
    if history is None:
        return None
    values = model_facts.history_dict(history)
    if values is None:
        raise TraceTypeError(
            "history should be what model.fit returns (history = model.fit(...)) or a dict of "
            f"lists like {{'loss': [...], 'accuracy': [...]}}, not a {type(history).__name__}.")
    values = {str(key): [float(v) for v in np.ravel(series)] for key, series in values.items()}
    if not any(values.values()):
        raise TraceError("The history has no epochs: the model has not been trained yet. "
                         "Call model.fit first, e.g. history = model.fit(x, y, epochs=5).")
    if not values.get("loss"):
        found = ", ".join(repr(k) for k in values) or "none"
        raise TraceError(f"The history has no 'loss' values (keys found: {found}). Pass the "
                         "History that model.fit returns, or a dict with a 'loss' list.")
    return values


def accuracy_key(values: Mapping[str, Sequence[float]]) -> str | None:
    """Which history key holds training accuracy ('accuracy', 'binary_accuracy', 'acc', ...)."""
    for key in ACCURACY_KEYS:
        if values.get(key):
            return key
    return next((key for key in values
                 if not key.startswith("val_") and key.endswith(("accuracy", "acc"))), None)


# --------------------------------------------------------------------------- training trace

def _accuracy_words(accuracies: Sequence[float] | None, i: int, rising: str) -> str:
    if not accuracies or i >= len(accuracies):
        return ""
    if accuracies[i] > accuracies[i - 1]:
        return f", accuracy {rising}"
    if accuracies[i] < accuracies[i - 1]:
        return ", but accuracy dipped"
    return ", accuracy holds"


def observe(losses: Sequence[float], accuracies: Sequence[float] | None = None,
            continued: bool = False) -> list[str]:
    """One short observation per epoch, in the reference pipeline's words.

    "Model starts learning ..." for the first epoch, "Loss decreases, accuracy
    improves" while it learns, "Loss is on a plateau" or "Loss went up" when it
    stalls or overshoots, "Good convergence" when the last epoch ends lower
    than the first. ``continued``: the model was trained before this ``fit``, so
    epoch 1 continues that training instead of starting it.
    """
    return [_observe_epoch(losses, accuracies, i, continued) for i in range(len(losses))]


CONTINUED = "Continues an earlier fit: the model was already trained (re-build it to start over)"


def _observe_epoch(losses: Sequence[float], accuracies: Sequence[float] | None, i: int,
                   continued: bool = False) -> str:
    loss, last = losses[i], i == len(losses) - 1
    if not math.isfinite(loss):
        return "Loss is not a number: training broke down (try a smaller learning rate)"
    if i == 0 and continued:
        return CONTINUED
    if i == 0:
        if len(losses) > 1 and min(losses[1:]) < loss:
            return "Model starts learning, loss is high" + (", accuracy is low" if accuracies else "")
        return "Model starts learning"
    previous = losses[i - 1]
    change = (loss - previous) / abs(previous) if previous else loss - previous
    if not math.isfinite(change):
        return "Loss is back to a number after a breakdown"
    if change > PLATEAU:
        return "Loss went up: the model overshot (try a smaller learning rate)"
    improved = loss < losses[0]
    if change >= -PLATEAU:
        if last and improved:
            return "Good convergence, loss is levelling off"
        return "Loss is on a plateau: learning has slowed down"
    if last and improved:
        return "Good convergence, model is improving"
    if i == 1:
        return "Loss decreases" + _accuracy_words(accuracies, i, "improves")
    if -change >= BIG_DROP and not (accuracies and accuracies[i] < accuracies[i - 1]):
        return "Model continues to learn well"
    return "Loss decreases steadily" + _accuracy_words(accuracies, i, "increases")


def _nice_step(span: float) -> float:
    """A chart step of 1, 2 or 5 times a power of ten giving about five rows."""
    raw = span / 4 if span > 0 else 0.1
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * 0.999)


def loss_chart(losses: Sequence[float]) -> str:
    """The reference pipeline's ASCII loss chart: loss levels down the side, epochs along the bottom."""
    points = [(epoch, loss) for epoch, loss in enumerate(losses, 1) if math.isfinite(loss)]
    if not points:
        return "Loss\n(no loss values to chart)"
    values = [loss for _, loss in points]
    step = _nice_step(max(values) - min(values))
    decimals = max(0, -math.floor(math.log10(step)))
    level = {epoch: math.floor(loss / step + 0.5) for epoch, loss in points}
    width = len(str(len(losses))) + 1
    labels = {n: f"{n * step:.{decimals}f}" for n in range(min(level.values()), max(level.values()) + 1)}
    label_width = max(len(label) for label in labels.values())
    lines = ["Loss"]
    for n in sorted(labels, reverse=True):
        cells = "".join(("*" if level.get(epoch) == n else " ").rjust(width)
                        for epoch in range(1, len(losses) + 1))
        lines.append(f"{labels[n].rjust(label_width)} |{cells}".rstrip())
    axis = "".join(str(epoch).rjust(width) for epoch in range(1, len(losses) + 1))
    lines.append(" " * (label_width + 2) + axis + "  Epochs")
    return "\n".join(lines)


def epoch_table(values: Mapping[str, Sequence[float]], continued: bool = False) -> list[EpochRow]:
    """The epoch table: epoch, loss, accuracy (when recorded) and an observation
    (``continued``: the model was trained before this ``fit``; see :func:`observe`)."""
    losses = list(values["loss"])
    key = accuracy_key(values)
    accuracies = list(values[key]) if key else None
    notes = observe(losses, accuracies, continued)
    return [EpochRow(epoch=i + 1, loss=_finite(loss),
                     accuracy=_finite(accuracies[i]) if accuracies and i < len(accuracies) else None,
                     observation=note)
            for i, (loss, note) in enumerate(zip(losses, notes))]


def _finite(value: float) -> float | None:
    """JSON has no NaN: a diverged loss is exported as None."""
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- data flow

def layer_outputs(model: keras.Sequential, x: np.ndarray) -> Iterator[np.ndarray]:
    """:func:`course.model_facts.layer_outputs`, naming the stage whose layer failed."""
    outputs = model_facts.layer_outputs(model, x)
    for number, layer in enumerate(model.layers, start=2):
        try:
            output = next(outputs)
        except StopIteration:
            return
        except Exception as error:
            raise TraceError(f"Stage {number} ({layer.name}) could not process the previous "
                             f"stage's output: {error}") from error
        yield output


def _rows(array: np.ndarray, count: int = SAMPLE_ROWS) -> list[list[float]]:
    return np.asarray(array[:count], dtype="float64").reshape(min(count, len(array)), -1).tolist()


def _sample_values(array: np.ndarray, sample: int) -> list[float]:
    return np.asarray(array[sample], dtype="float64").ravel().tolist()


def _final_answer(output: list[float]) -> tuple[float, int]:
    """Probability and class: threshold 0.5 for one output, the largest for several."""
    if len(output) == 1:
        return output[0], int(output[0] > THRESHOLD)
    best = int(np.argmax(output))
    return output[best], best


# --------------------------------------------------------------------------- the trace

class PipelineTrace:
    """The pipeline trace of a built ``keras.Sequential`` model on data ``x``.

    ``history`` is what ``model.fit`` returned (or a dict of lists); without it
    the trace shows the data flow and the prediction trace and says training
    has not been run yet. ``sample`` picks the row followed through the layers.
    """

    def __init__(self, model: keras.Sequential, x: Any, history: Any = None, sample: int = 0):
        expected = check_model(model, row_shape(x))
        data = check_data(x, expected)
        if not isinstance(sample, (int, np.integer)) or not 0 <= sample < len(data):
            raise TraceError(f"sample should be a row number from 0 to {len(data) - 1}, not {sample!r}.")
        self.model_name = model.name
        self.history = history_values(history)
        self.sample = int(sample)
        self.stages, self.prediction = self._run(model, data)
        from course.training_checks import steps_before_fit

        self.epochs = (epoch_table(self.history, continued=steps_before_fit(history, model) > 0)
                       if self.history else [])
        self.accuracy_key = accuracy_key(self.history) if self.history else None

    def _run(self, model: keras.Sequential, data: np.ndarray) -> tuple[list[Stage], Prediction]:
        stages = [Stage(1, "Input Data", "Raw numerical features representing samples",
                        list(data.shape), list(data.shape), _rows(data))]
        steps = [TraceStep(1, "Input Layer", _sample_values(data, self.sample))]
        names = stage_names(model.layers)
        previous = data
        for number, (layer, name, output) in enumerate(
                zip(model.layers, names, layer_outputs(model, data)), start=2):
            stages.append(Stage(number, name, self._describe(layer),
                                list(previous.shape), list(output.shape), _rows(output)))
            steps.append(TraceStep(number, _with_activation(name, layer),
                                   _sample_values(output, self.sample)))
            previous = output
        probability, predicted = _final_answer(steps[-1].values)
        return stages, Prediction(self.sample, steps, probability, predicted)

    @staticmethod
    def _describe(layer: keras.layers.Layer) -> str:
        text = describe_layer(layer)
        if type(layer).__name__ == "Normalization" and not is_adapted(layer):
            text += " (not adapted yet, so the data passes through unchanged: call .adapt(x) first)"
        return text

    @property
    def trained(self) -> bool:
        """Whether a training history was given."""
        return bool(self.epochs)

    # ----------------------------------------------------------------- plain data

    def to_dict(self) -> dict[str, Any]:
        """Everything the trace shows, as plain lists, dicts, strings and numbers."""
        return {
            "model": self.model_name,
            "stages": [{**asdict(stage), "input_text": stage.input_text,
                        "output_text": stage.output_text, "preview": stage.preview}
                       for stage in self.stages],
            "training": None if not self.trained else {
                "accuracy_key": self.accuracy_key,
                "epochs": [asdict(row) for row in self.epochs],
                "chart": loss_chart(self.history["loss"]),
            },
            "prediction": {
                "sample": self.prediction.sample,
                "steps": [{**asdict(step), "label": step.label} for step in self.prediction.steps],
                "probability": self.prediction.probability,
                "predicted_class": self.prediction.predicted_class,
                "threshold": THRESHOLD,
            },
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    # ----------------------------------------------------------------- text

    def to_text(self) -> str:
        """The whole trace as plain text, in the reference pipeline's order and words."""
        return "\n\n".join([f"Model Pipeline - {self.model_name}", self._stages_text(),
                            self._training_text(), self._prediction_text()]) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        trained = f"{len(self.epochs)} epochs" if self.trained else "not trained"
        return f"<PipelineTrace {self.model_name!r}: {len(self.stages)} stages, {trained}>"

    def _stages_text(self) -> str:
        lines = [f"Data Flow - {len(self.stages)} Stages"]
        for stage in self.stages:
            lines += [f"{stage.number} {stage.name}",
                      f"    in:   {stage.input_text} {tuple(stage.input_shape)}",
                      f"    does: {stage.description}",
                      f"    out:  {stage.output_text} {tuple(stage.output_shape)}",
                      f"    rows: {stage.preview}"]
        return "\n".join(lines)

    def _training_text(self) -> str:
        if not self.trained:
            return "Training Trace\nTraining has not been run yet: call model.fit first."
        lines = ["Training Trace - Epoch by Epoch", loss_chart(self.history["loss"]), "",
                 f"{'Epoch':>5}  {'Loss':>8}  {'Accuracy':>10}  Observation"]
        for row in self.epochs:
            lines.append(f"{row.epoch:>5}  {_cell(row.loss):>8}  {_cell(row.accuracy):>10}  "
                         f"{row.observation}")
        return "\n".join(lines)

    def _prediction_text(self) -> str:
        steps = self.prediction.steps
        width = max(len(step.label) for step in steps)
        lines = [f"Prediction Trace - {len(steps)} Layers (sample {self.prediction.sample})"]
        lines += [f"{step.label.ljust(width)}  {step.summary}" for step in steps]
        lines.append(self.prediction.verdict)
        return "\n".join(lines)

    # ----------------------------------------------------------------- notebook

    def _repr_html_(self) -> str:
        """HTML tables, shown when the trace is the last value of a notebook cell."""
        stage_rows = [[stage.number, stage.name, stage.input_text, stage.description,
                       stage.output_text, stage.preview] for stage in self.stages]
        parts = [f"<h3>Model Pipeline - {html.escape(self.model_name)}</h3>",
                 f"<h4>Data Flow - {len(self.stages)} Stages</h4>",
                 html_table(["#", "Stage", "Input", "What it does", "Output", "First rows"],
                            stage_rows)]
        if self.trained:
            parts += ["<h4>Training Trace - Epoch by Epoch</h4>",
                      f"<pre>{html.escape(loss_chart(self.history['loss']))}</pre>",
                      html_table(EPOCH_HEADERS, epoch_cells(self.epochs))]
        else:
            parts += ["<h4>Training Trace</h4>",
                      "<p>Training has not been run yet: call <code>model.fit</code> first.</p>"]
        steps = self.prediction.steps
        parts += [f"<h4>Prediction Trace - {len(steps)} Layers (sample {self.prediction.sample})</h4>",
                  html_table(["Layer", "Values"], [[step.label, step.summary] for step in steps]),
                  f"<p>{html.escape(self.prediction.verdict)}</p>"]
        return "<div class=\"course-trace\">\n" + "\n".join(parts) + "\n</div>"

    def figure(self):
        """A matplotlib Figure with the loss curve (left) and the accuracy curve (right).

        The figure is closed in pyplot, so it shows once when it is a cell's
        last value and never piles up in memory.
        """
        import matplotlib.pyplot as plt

        figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
        plt.close(figure)
        _plot_curve(loss_axes, "Loss", self.history and self.history["loss"],
                    "Training has not been run yet:\ncall model.fit first")
        _plot_curve(accuracy_axes, "Accuracy",
                    self.history and self.accuracy_key and self.history[self.accuracy_key],
                    "Training has not been run yet:\ncall model.fit first" if not self.trained else
                    "No accuracy recorded:\ncompile with metrics=['accuracy']")
        figure.suptitle(f"Training trace - {self.model_name}")
        return figure


def _cell(value: float | None, decimals: int = 4) -> str:
    """A loss or accuracy in the epoch table; "-" for a missing or diverged value."""
    return "-" if value is None else f"{value:.{decimals}f}"


def epoch_cells(rows: Sequence[EpochRow], decimals: int = 4) -> list[list[str]]:
    """The epoch table's cells as text, one list per epoch, in :data:`EPOCH_HEADERS` order."""
    return [[str(row.epoch), _cell(row.loss, decimals), _cell(row.accuracy, decimals), row.observation]
            for row in rows]


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain HTML table with every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
                     for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _plot_curve(axes, title: str, values: Sequence[float] | None, missing: str) -> None:
    axes.set_title(title)
    axes.set_xlabel("Epoch")
    if not values:
        axes.text(0.5, 0.5, missing, ha="center", va="center", transform=axes.transAxes)
        return
    epochs = list(range(1, len(values) + 1))
    axes.plot(epochs, values, marker="o")
    axes.set_xticks(epochs)
    axes.grid(alpha=0.3)


def trace(model: keras.Sequential, x: Any, history: Any = None, sample: int = 0) -> PipelineTrace:
    """The pipeline trace of ``model`` on ``x``: ``trace(model, x, history)`` in a notebook cell shows it."""
    return PipelineTrace(model, x, history=history, sample=sample)
