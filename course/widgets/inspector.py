"""The activation inspector: look inside a Sequential model, one sample at a time.

``ActivationInspector(model, x, y)`` shows, for the sample chosen with the
slider (or typed in the number box beside it) and the stage chosen in the
"Stage" menu (the reference pipeline's five: input, normalization, dense 64, dense 32, output):

* left: that stage's output for the sample, one bar per unit, with the zero line;
* right: the distribution of that stage's outputs over *all* samples, with the
  sample's own values marked as ticks along the bottom;
* a table: a preview of the values, their mean and maximum, how many ReLU units
  are zero for this sample and how many are dead (zero for every sample), the
  predicted probability and class, and the true label when ``y`` is given.

"Pin for comparison" keeps the current sample (orange) beside the one you move
to next (blue). All stage outputs are computed once, when the inspector is
created; moving the controls only redraws (see ``benchmarks/bench_inspector.py``).
"""
from __future__ import annotations

import html
import time
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.ticker import MaxNLocator

from course.formatting import number_text, preview_values
from course.stages import Stage
from course.widgets.activations import Activations, record_activations
from course.widgets.canvas import BlitCanvas, new_figure, static_html
from course.widgets.frontend import resolve_live
from course.widgets.validation import model_data_labels

SAMPLE_COLOR = "#1f77b4"
PINNED_COLOR = "#ff7f0e"
LABEL_STYLE = "text-align:left;font-weight:normal;color:#555"


class ActivationInspector:
    """An interactive view of every stage's output for one (or two) samples.

    ``model`` is a built ``keras.Sequential``; ``x`` its feature table (or the
    course :class:`~course.data.Dataset`, which brings ``y``); ``y`` optional
    labels; ``sample`` and ``stage`` (0 is the input) where to start; ``live``
    as in :func:`course.widgets.frontend.resolve_live`. The model is run once,
    here; it is never changed.

    Display it by leaving it as the last expression of a cell. Controls, for
    scripts and tests: ``sample_slider`` and ``sample_box`` (linked),
    ``layer_picker`` (value = stage index), ``pin_button``. What is shown:
    :attr:`summary` (sample, label, values, mean, max, zero_units, dead_units,
    units, probability, predicted_class, stage, stage_title, layer_name, and
    ``pinned``: the same per-sample keys for the pinned sample, or None),
    :meth:`plotted_values` (read back from the figure) and :meth:`text`.
    """

    def __init__(self, model: Any, x: Any, y: Any = None, *, sample: int = 0,
                 stage: int | None = None, live: bool | None = None):
        table, self.labels = model_data_labels(model, x, y, type(self).__name__)
        self.activations: Activations = record_activations(model, table)
        stages = self.activations.stages
        if stage is None:
            stage = next((s.number - 1 for s in stages if s.relu), len(stages) - 1)
        last = self.activations.samples - 1
        _check_index("stage", stage, len(stages) - 1)
        _check_index("sample", sample, last)
        self.sample_slider = widgets.IntSlider(value=sample, min=0, max=last,
                                               description="Sample", continuous_update=True)
        self.sample_box = widgets.BoundedIntText(value=self.sample_slider.value, min=0, max=last,
                                                 layout=widgets.Layout(width="6em"))
        widgets.link((self.sample_slider, "value"), (self.sample_box, "value"))
        self.layer_picker = widgets.Dropdown(
            options=[(s.title, s.number - 1) for s in stages], value=stage, description="Stage",
            layout=widgets.Layout(width="max-content"))
        self.pin_button = widgets.Button(description="Pin for comparison", icon="thumb-tack",
                                         layout=widgets.Layout(width="auto"))
        self.image = widgets.Image(format="png", layout=widgets.Layout(flex="0 0 auto"))
        self.table = widgets.HTML(layout=widgets.Layout(flex="0 0 auto"))
        self.widget = widgets.VBox([
            widgets.HTML(f"<b>Inside {html.escape(self.activations.model_name)}</b>: "
                         f"{len(stages)} stages, {self.activations.samples} samples"),
            widgets.HBox([self.sample_slider, self.sample_box, self.layer_picker, self.pin_button]),
            widgets.HBox([self.image, self.table], layout=widgets.Layout(flex_flow="row wrap")),
        ])
        self.pinned: int | None = None
        self.summary: dict[str, Any] = {}
        #: Seconds the last update spent computing values and drawing (for benchmarks).
        self.last_timing = {"compute": 0.0, "draw": 0.0}
        self._plot = _StagePlot(self.activations)
        #: False when nobody is watching (nbgrader, a script): the output is then only static.
        self.live = resolve_live(live)
        if self.live:
            self._plot.prepare_all(stages)
        self._holding = False
        self.sample_slider.observe(self._on_change, names="value")
        self.layer_picker.observe(self._on_change, names="value")
        self.pin_button.on_click(self._on_pin)
        self.refresh()

    # -- what the student does -------------------------------------------------
    @property
    def sample(self) -> int:
        return int(self.sample_slider.value)

    @property
    def stage(self) -> Stage:
        return self.activations.stages[self.layer_picker.value]

    def show(self, sample: int | None = None, stage: int | None = None) -> None:
        """Move to ``sample`` and/or ``stage`` (as if the controls were used), redrawing once."""
        _check_index("sample", sample, self.activations.samples - 1)
        _check_index("stage", stage, len(self.activations.stages) - 1)
        self._holding = True
        try:
            if sample is not None:
                self.sample_slider.value = sample
            if stage is not None:
                self.layer_picker.value = stage
        finally:
            self._holding = False
        self.refresh()

    def pin(self, sample: int | None = None) -> None:
        """Keep ``sample`` (default: the current one) on screen for comparison."""
        _check_index("sample", sample, self.activations.samples - 1)
        self.pinned = self.sample if sample is None else int(sample)
        self.pin_button.description = f"Unpin sample {self.pinned}"
        self.refresh()

    def unpin(self) -> None:
        """Stop comparing: show the current sample alone."""
        self.pinned = None
        self.pin_button.description = "Pin for comparison"
        self.refresh()

    def plotted_values(self) -> dict[str, np.ndarray | None]:
        """Bar heights and marked values read back from the figure: ``sample`` and ``pinned``."""
        return self._plot.plotted_values()

    # -- updating ----------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute the shown numbers and redraw the figure and table."""
        started = time.perf_counter()
        stage, sample, pinned = self.stage, self.sample, self.pinned
        self.summary = self._summarise(stage, sample, pinned)
        table = _table_html(self.summary, self.activations)
        computed = time.perf_counter()
        self.image.value = self._plot.render(stage, stage.values[sample],
                                             None if pinned is None else stage.values[pinned])
        self.table.value = table
        self.last_timing = {"compute": computed - started, "draw": time.perf_counter() - computed}

    def _on_change(self, change: dict) -> None:
        if not self._holding:
            self.refresh()

    def _on_pin(self, button: widgets.Button) -> None:
        if self.pinned is None:
            self.pin()
        else:
            self.unpin()

    def _summarise(self, stage: Stage, sample: int, pinned: int | None) -> dict[str, Any]:
        summary = self._sample_summary(stage, sample)
        dead = self.activations.dead(stage)
        summary.update(stage=stage.number - 1, stage_title=stage.title, layer_name=stage.layer_name or "input",
                       units=stage.units, dead_units=None if dead is None else int(dead.sum()),
                       pinned=None if pinned is None else self._sample_summary(stage, pinned))
        return summary

    def _sample_summary(self, stage: Stage, sample: int) -> dict[str, Any]:
        values = stage.values[sample]
        return {
            "sample": sample,
            "label": None if self.labels is None else self.labels[sample],
            "values": values.copy(),
            "mean": float(values.mean()),
            "max": float(values.max()),
            "zero_units": self.activations.zero_units(stage, sample),
            "probability": float(self.activations.probability[sample]),
            "predicted_class": int(self.activations.predicted_class[sample]),
        }

    # -- display -------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        """The live widget, with :meth:`html` (a picture and the table) beside it for every viewer
        that cannot run widgets: nbconvert, nbgrader's feedback, GitHub, a reopened notebook.
        When nobody is watching (nbgrader, ``COURSE_WIDGETS=static``) only the static parts."""
        bundle = self.widget._repr_mimebundle_(**kwargs) if self.live else {}
        bundle["text/html"] = self.html()
        bundle["text/plain"] = self.text()
        return bundle

    def html(self) -> str:
        """What the widget shows now, as static HTML: the figure as a PNG and the table."""
        return static_html(self.widget.children[0].value, self.image.value, self.table.value)

    def text(self) -> str:
        """What the table shows, as plain text (for scripts and graded feedback)."""
        s = self.summary
        lines = [f"Stage {s['stage_title']}, sample {s['sample']}: {preview_values(s['values'])}"]
        if s["zero_units"] is not None:
            lines.append(f"ReLU units at zero: {s['zero_units']} of {s['units']}; "
                         f"dead for all {self.activations.samples} samples: {s['dead_units']}")
        lines.append(f"{_probability_label(self.activations)} = {s['probability']:.2f} "
                     f"-> class {s['predicted_class']}")
        return "\n".join(lines)


class _StagePlot:
    """The inspector's figure: bars for the sample(s), histogram over all samples."""

    def __init__(self, activations: Activations):
        self.activations = activations
        self.samples = activations.samples
        self.figure = new_figure(7.2, 2.7)
        self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.17, top=0.88, wspace=0.22)
        self.bars_axes, self.hist_axes = self.figure.subplots(
            1, 2, gridspec_kw={"width_ratios": [3, 2]})
        self.bars_axes.axhline(0.0, color="black", linewidth=0.8)
        self.bars_axes.set_xlabel("unit", fontsize=8)
        self.bars_axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.hist_axes.set_xlabel("value", fontsize=8)
        for axes in (self.bars_axes, self.hist_axes):
            axes.tick_params(labelsize=8)
        self.histogram = self.hist_axes.stairs([0.0], [0.0, 1.0], fill=True, color="0.75")
        self.hist_zero = self.hist_axes.axvline(0.0, color="black", linewidth=0.8)
        self.bars = {"sample": self._bars(SAMPLE_COLOR), "pinned": self._bars(PINNED_COLOR)}
        self.ticks = {"sample": self._ticks(SAMPLE_COLOR), "pinned": self._ticks(PINNED_COLOR)}
        #: Where each sample's ticks sit, as a fraction of the histogram's height.
        self.tick_heights = {"sample": 0.05, "pinned": 0.14}
        self.canvas = BlitCanvas(self.figure)

    def _bars(self, color: str) -> PolyCollection:
        bars = PolyCollection([], facecolors=color, edgecolors="none", animated=True)
        self.bars_axes.add_collection(bars, autolim=False)
        return bars

    def _ticks(self, color: str):
        (line,) = self.hist_axes.plot([], [], "|", color=color, markersize=9, animated=True,
                                      transform=self.hist_axes.get_xaxis_transform())
        return line

    def prepare_all(self, stages: list[Stage]) -> None:
        """Draw every stage's static layer now, so each first visit is as quick as the rest."""
        for stage in stages:
            self.render(stage, stage.values[0], None)

    def render(self, stage: Stage, values: np.ndarray, pinned: np.ndarray | None) -> bytes:
        self._set_dynamic("sample", values, offset=0.0 if pinned is None else -0.2,
                          width=0.8 if pinned is None else 0.4)
        self._set_dynamic("pinned", pinned, offset=0.2, width=0.4)
        dynamic = [*self.bars.values(), *self.ticks.values()]
        return self.canvas.render(stage.number, lambda: self._set_static(stage), dynamic)

    def _set_dynamic(self, key: str, values: np.ndarray | None, offset: float, width: float) -> None:
        bars, ticks = self.bars[key], self.ticks[key]
        bars.set_visible(values is not None)
        ticks.set_visible(values is not None)
        if values is None:
            return
        left = np.arange(len(values)) + offset - width / 2
        verts = np.zeros((len(values), 4, 2))
        verts[:, :2, 0] = left[:, None]
        verts[:, 2:, 0] = (left + width)[:, None]
        verts[:, 1, 1] = values
        verts[:, 2, 1] = values
        bars.set_verts(verts)
        ticks.set_data(values, np.full(len(values), self.tick_heights[key]))

    def _set_static(self, stage: Stage) -> None:
        values = stage.values
        low, high = min(0.0, float(values.min())), max(0.0, float(values.max()))
        pad = 0.05 * (high - low or 1.0)
        self.bars_axes.set_xlim(-0.6, stage.units - 0.4)
        self.bars_axes.set_ylim(low - pad, high + pad)
        self.bars_axes.set_title(f"Stage {stage.title}: one sample", fontsize=9)
        counts, edges = self.activations.histogram(stage)
        self.histogram.set_data(counts, edges)
        self.hist_axes.set_xlim(edges[0], edges[-1])
        self.hist_axes.set_ylim(0, max(1, counts.max()) * 1.08)
        self.hist_zero.set_visible(edges[0] <= 0.0 <= edges[-1])
        title = f"all {self.samples} samples"
        if stage.relu:
            title += f" ({np.mean(values == 0):.0%} zeros left out)"
        self.hist_axes.set_title(title, fontsize=9)

    def plotted_values(self) -> dict[str, np.ndarray | None]:
        shown = {}
        for key, bars in self.bars.items():
            if not bars.get_visible():
                shown[key] = shown[f"{key}_ticks"] = None
                continue
            shown[key] = np.array([path.vertices[1, 1] for path in bars.get_paths()])
            shown[f"{key}_ticks"] = np.asarray(self.ticks[key].get_xdata(), dtype=float)
        return shown


def _check_index(name: str, value: int | None, last: int) -> None:
    """A clear error for a sample or stage number out of range (None means "unchanged")."""
    if value is not None and not (isinstance(value, (int, np.integer)) and 0 <= value <= last):
        raise ValueError(f"{name} should be a whole number from 0 to {last}, not {value!r}.")


def _probability_label(activations: Activations) -> str:
    return "P(class 1)" if activations.output_kind == "threshold" else "P(predicted class)"


def _table_html(summary: dict[str, Any], activations: Activations) -> str:
    """The numbers beside the figure, one column per shown sample."""
    columns = [(summary, SAMPLE_COLOR)]
    if summary["pinned"] is not None:
        columns.append((summary["pinned"], PINNED_COLOR))

    def row(label: str, cell) -> str:
        cells = "".join(f"<td>{cell(column)}</td>" for column, _ in columns)
        return f"<tr><th style='{LABEL_STYLE}'>{label}</th>{cells}</tr>"

    head = "".join(f"<th><span style='color:{color}'>&#9632;</span> sample {c['sample']}</th>"
                   for c, color in columns)
    rows = [f"<tr><th></th>{head}</tr>"]
    if summary["label"] is not None:
        rows.append(row("true label", lambda c: f"{float(c['label']):g}"))
    rows.append(row("values", lambda c: preview_values(c["values"])))
    rows.append(row("mean / max", lambda c: f"{number_text(c['mean'])} / {number_text(c['max'])}"))
    if summary["zero_units"] is not None:
        rows.append(row(f"ReLU units at 0 (of {summary['units']})", lambda c: c["zero_units"]))
        rows.append(f"<tr><th style='{LABEL_STYLE}'>dead units (0 for all {activations.samples} "
                    f"samples)</th><td colspan='{len(columns)}'>{summary['dead_units']}</td></tr>")
    rows.append(row(_probability_label(activations), lambda c: f"{c['probability']:.3f}"))
    rows.append(row("predicted class", lambda c: c["predicted_class"]))
    return ("<table class='course-inspector' style='font-size:12px;line-height:1.4;"
            "white-space:nowrap;border-spacing:8px 2px'>"
            + "".join(rows) + "</table>")
