"""The pipeline trace: what a Sequential model does to the data, stage by stage.

``trace(model, x, history)`` gives the reference pipeline's views of one model:

1. **Data flow** - the raw input, then one stage per layer, each with what the
   layer does, the shape going in and out ("1000 rows x 20 columns") and the
   first rows (:mod:`course.stages`).
2. **Training trace** - the epoch table with an observation per epoch and an
   ASCII loss chart; ``.figure()`` draws the curves (:mod:`course.training_trace`).
3. **Prediction trace** - one sample followed through every layer, ending in a
   probability and a predicted class (:mod:`course.prediction`).

The result prints as plain text (``.to_text()``), shows as HTML tables when it
is a notebook cell's last value, and exports as plain data (``.to_dict()``,
``.to_json()``). Any built ``keras.Sequential`` works; the model is never changed.
A model, data or history the trace cannot use raises :class:`TraceError` with the
fix (:mod:`course.arguments`).
"""
from __future__ import annotations

import html
import json
from dataclasses import asdict
from typing import Any

import numpy as np

from course.arguments import TraceError, TraceTypeError, check_data, check_model, history_values, row_shape
from course.formatting import html_table, preview_rows, shape_text
from course.model_facts import accuracy_key
from course.prediction import THRESHOLD, predict_sample
from course.stages import Stage, run_stages
from course.training_trace import EPOCH_HEADERS, NOT_TRAINED, curves_figure, epoch_cells, epoch_table, loss_chart

__all__ = ["PipelineTrace", "TraceError", "TraceTypeError", "trace"]

#: How many of the first rows each data-flow stage shows.
SAMPLE_ROWS = 2


class PipelineTrace:
    """The pipeline trace of a built ``keras.Sequential`` model on data ``x``.

    ``history`` is what ``model.fit`` returned (or a dict of lists); without it
    the trace shows the data flow and the prediction trace and says training
    has not been run yet. ``sample`` picks the row followed through the layers.
    """

    def __init__(self, model, x: Any, history: Any = None, sample: int = 0):
        data = check_data(x, check_model(model, row_shape(x)))
        if not isinstance(sample, (int, np.integer)) or not 0 <= sample < len(data):
            raise TraceError(f"sample should be a row number from 0 to {len(data) - 1}, not {sample!r}.")
        self.model_name = model.name
        self.history = history_values(history)
        self.sample = int(sample)
        self.stages: list[Stage] = run_stages(model, data)
        self.prediction = predict_sample(self.stages, self.sample)
        from course.training_checks import steps_before_fit

        self.epochs = (epoch_table(self.history, continued=steps_before_fit(history, model) > 0)
                       if self.history else [])
        self.accuracy_key = accuracy_key(self.history) if self.history else None

    @property
    def trained(self) -> bool:
        """Whether a training history was given."""
        return bool(self.epochs)

    def figure(self):
        """A matplotlib Figure with the loss curve (left) and the accuracy curve (right)."""
        return curves_figure(self.history if self.trained else None, f"Training trace - {self.model_name}")

    # ----------------------------------------------------------------- plain data

    def stage_rows(self) -> list[dict[str, Any]]:
        """The data-flow view: per stage its name, what it does, shapes (as lists and in words)
        and the first rows of its output."""
        rows = []
        for stage in self.stages:
            first = np.asarray(stage.output[:SAMPLE_ROWS], dtype="float64")
            sample_rows = first.reshape(len(first), -1).tolist()
            rows.append({"number": stage.number, "name": stage.name, "description": stage.purpose,
                         "input_shape": list(stage.input_shape), "output_shape": list(stage.output_shape),
                         "sample_rows": sample_rows, "input_text": shape_text(stage.input_shape),
                         "output_text": shape_text(stage.output_shape),
                         "preview": preview_rows(sample_rows, more=len(stage.output) > len(sample_rows))})
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Everything the trace shows, as plain lists, dicts, strings and numbers."""
        return {
            "model": self.model_name,
            "stages": self.stage_rows(),
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
        for row in self.stage_rows():
            lines += [f"{row['number']} {row['name']}",
                      f"    in:   {row['input_text']} {tuple(row['input_shape'])}",
                      f"    does: {row['description']}",
                      f"    out:  {row['output_text']} {tuple(row['output_shape'])}",
                      f"    rows: {row['preview']}"]
        return "\n".join(lines)

    def _training_text(self) -> str:
        if not self.trained:
            return f"Training Trace\n{NOT_TRAINED}"
        cells = epoch_cells(self.epochs)
        lines = ["Training Trace - Epoch by Epoch", loss_chart(self.history["loss"]), "",
                 f"{'Epoch':>5}  {'Loss':>8}  {'Accuracy':>10}  Observation"]
        lines += [f"{epoch:>5}  {loss:>8}  {accuracy:>10}  {note}" for epoch, loss, accuracy, note in cells]
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
        stage_rows = [[row["number"], row["name"], row["input_text"], row["description"],
                       row["output_text"], row["preview"]] for row in self.stage_rows()]
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


def trace(model, x: Any, history: Any = None, sample: int = 0) -> PipelineTrace:
    """The pipeline trace of ``model`` on ``x``: ``trace(model, x, history)`` in a notebook cell shows it."""
    return PipelineTrace(model, x, history=history, sample=sample)
