"""Training curves that grow while ``model.fit`` runs, then the reference epoch table.

    curves = LiveCurves()
    history = model.fit(x, y, epochs=5, callbacks=[curves], verbose=0)

In JupyterLab the cell shows loss and accuracy per epoch (validation curves too,
when ``fit`` has validation data), redrawn after every epoch, and the epoch
table below them; when training ends, the same output also keeps the final figure
and table as static HTML, so the saved notebook shows them where widgets do not
run (nbconvert, nbgrader's feedback, GitHub's viewer). When nobody is watching
(nbgrader, a script; see :mod:`course.widgets.frontend`) nothing is drawn during
training: at the end the cell gets one static figure and the table (a script
prints the table). Nothing is ever written to stderr and nothing waits for a browser.
"""
from __future__ import annotations

import uuid
from typing import Any

import ipywidgets as widgets
import keras
from matplotlib.ticker import MaxNLocator

from course.formatting import html_table
from course.model_facts import accuracy_key, optimizer_steps
from course.training_trace import EPOCH_HEADERS, EpochRow, epoch_cells, epoch_table
from course.widgets.canvas import figure_png, new_figure, static_html
from course.widgets.frontend import resolve_live, show, show_widget


class LiveCurves(keras.callbacks.Callback):
    """A Keras callback drawing loss and accuracy per epoch, and the epoch table at the end.

    Accuracy is whichever accuracy the model was compiled with ("accuracy",
    "binary_accuracy", ...; see :func:`course.model_facts.accuracy_key`). ``live``
    forces live (True) or headless (False) drawing instead of detecting it.
    After training, :attr:`history` holds every logged value per key,
    :meth:`rows` the epoch table (the pipeline trace's, with its observations)
    and :meth:`plotted` the values drawn.
    """

    def __init__(self, *, live: bool | None = None) -> None:
        super().__init__()
        self._live_argument = live
        self._display_id: str | None = None
        self.live = False
        self.history: dict[str, list[float]] = {}
        self.figure = new_figure(7.2, 2.6)
        self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.18, top=0.86, wspace=0.25)
        self.loss_axes, self.accuracy_axes = self.figure.subplots(1, 2)
        for axes in (self.loss_axes, self.accuracy_axes):
            axes.set_xlabel("epoch", fontsize=8)
            axes.tick_params(labelsize=8)
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.loss_axes.set_title(EPOCH_HEADERS[1], fontsize=9)
        self.accuracy_axes.set_title(EPOCH_HEADERS[2], fontsize=9)
        self.lines = {
            "train": {axes: axes.plot([], [], "o-", color="#1f77b4", label="training")[0]
                      for axes in (self.loss_axes, self.accuracy_axes)},
            "val": {axes: axes.plot([], [], "s--", color="#ff7f0e", label="validation")[0]
                    for axes in (self.loss_axes, self.accuracy_axes)},
        }
        # Hidden until the first epoch has a figure: an empty Image shows as a broken picture.
        self.image = widgets.Image(format="png", layout=widgets.Layout(display="none"))
        #: The model was trained before this fit: epoch 1 continues it (see the epoch table).
        self.continued = False
        self.table = widgets.HTML()
        self.widget = widgets.VBox([self.image, self.table])

    # -- Keras callback hooks -------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        self.history = {}
        self.continued = (optimizer_steps(self.model) or 0) > 0
        self.live = resolve_live(self._live_argument)
        if self.live:
            self.image.layout.display = "none"
            self.table.value = "<i>Training: the curves appear after the first epoch.</i>"
            self._display_id = uuid.uuid4().hex
            show_widget(self.widget, static={"text/plain": "Training ..."}, display_id=self._display_id)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if self.live:
            self._update_widget()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.live:
            self._update_widget()
            # the same output, now with the final figure and table kept as static HTML too
            show_widget(self.widget, static={"text/html": self.html(), "text/plain": self.table_text()},
                        display_id=self._display_id, update=True)
            return
        self._draw()
        show({"text/html": self.html(figure_png(self.figure)), "text/plain": self.table_text()})

    def html(self, png: bytes | None = None) -> str:
        """The figure (``png``, default: the widget's picture) and the epoch table as static HTML."""
        return static_html("", self.image.value if png is None else png, self.table_html())

    # -- what is shown --------------------------------------------------------------
    @property
    def accuracy_key(self) -> str | None:
        """The history key plotted as accuracy, or None if the model records none."""
        return accuracy_key(self.history)

    def rows(self) -> list[EpochRow]:
        """The epoch table so far: epoch, loss, accuracy, observation."""
        return epoch_table(self.history, continued=self.continued) if self.history.get("loss") else []

    def _cells(self) -> list[list[str]]:
        """The epoch table's cells with two decimals, as in the reference table."""
        return epoch_cells(self.rows(), decimals=2)

    def table_html(self) -> str:
        """The epoch table as HTML, as the reference table shows it."""
        return html_table(EPOCH_HEADERS, self._cells())

    def table_text(self) -> str:
        """The epoch table as aligned plain text (what a script prints)."""
        lines = [EPOCH_HEADERS, *self._cells()]
        widths = [max(len(line[i]) for line in lines) for i in range(3)]
        return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(line, widths)), line[3]]).rstrip()
                         for line in lines)

    def plotted(self) -> dict[str, list[float]]:
        """The y values currently drawn, read back from the figure, by history key."""
        shown = {}
        for kind, lines in self.lines.items():
            for axes, line in lines.items():
                key = self._key(kind, axes)
                if key and line.get_visible():
                    shown[key] = [float(v) for v in line.get_ydata()]
        return shown

    def _key(self, kind: str, axes: Any) -> str | None:
        base = "loss" if axes is self.loss_axes else self.accuracy_key
        if base is None:
            return None
        return base if kind == "train" else f"val_{base}"

    def _draw(self) -> None:
        """Put the history into the figure's lines and rescale the axes."""
        for kind, lines in self.lines.items():
            for axes, line in lines.items():
                key = self._key(kind, axes)
                values = self.history.get(key, []) if key else []
                line.set_data(range(1, len(values) + 1), values)
                line.set_visible(bool(values))
        for axes in (self.loss_axes, self.accuracy_axes):
            axes.relim(visible_only=True)
            axes.autoscale_view()
            shown = [line for line in axes.get_lines() if line.get_visible()]
            if len(shown) > 1:
                axes.legend(handles=shown, fontsize=7, loc="best")

    def _update_widget(self) -> None:
        self._draw()
        self.image.value = figure_png(self.figure)
        self.image.layout.display = None
        self.table.value = self.table_html()

