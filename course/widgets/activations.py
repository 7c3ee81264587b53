"""Every stage's output for every sample, computed once per model, for the activation inspector.

The stages come from :func:`course.stages.run_stages` (the input, then one stage per layer:
the pass the pipeline trace makes, which is what ``model.predict`` does). For the reference
pipeline that gives its five stages: Input Data (20 values), Normalization Layer (20 values),
Dense Layer 1 (64 units, ReLU), Dense Layer 2 (32 units, ReLU), Output Layer (1 unit,
sigmoid). The inspector reads everything from this record, so moving a slider never calls
the model again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course.prediction import classify
from course.stages import Stage, run_stages

#: Histogram bins for a stage's distribution over all samples.
HISTOGRAM_BINS = 40


@dataclass(frozen=True)
class Activations:
    """All stages for all samples, plus the model's prediction for each sample.

    ``probability`` is P(class 1) for a one-unit output ("threshold") and the
    predicted class's probability for several units ("argmax"): ``output_kind``.
    Per stage: :meth:`histogram` over all samples, :meth:`dead` units and
    :meth:`zero_units` of one sample (ReLU stages), each computed on first use and kept.
    """

    model_name: str
    stages: list[Stage]
    probability: np.ndarray
    predicted_class: np.ndarray
    output_kind: str
    _kept: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def samples(self) -> int:
        return self.stages[0].values.shape[0]

    def histogram(self, stage: Stage) -> tuple[np.ndarray, np.ndarray]:
        """(counts, bin edges) of the stage's values over all samples; for ReLU stages the exact
        zeros are left out, so the spike at 0 does not flatten the rest (the inspector states
        their share)."""
        key = ("histogram", stage.number)
        if key not in self._kept:
            values = stage.values
            finite = values[np.isfinite(values)]
            if stage.relu and np.any(finite != 0):
                finite = finite[finite != 0]
            low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            if low == high:
                low, high = low - 0.5, high + 0.5
            self._kept[key] = np.histogram(finite, bins=HISTOGRAM_BINS, range=(low, high))
        return self._kept[key]

    def dead(self, stage: Stage) -> np.ndarray | None:
        """Boolean mask of ReLU units that output 0 for every sample (None if not ReLU)."""
        key = ("dead", stage.number)
        if key not in self._kept:
            self._kept[key] = np.all(stage.values == 0, axis=0) if stage.relu else None
        return self._kept[key]

    @staticmethod
    def zero_units(stage: Stage, sample: int) -> int | None:
        """How many ReLU units output exactly 0 for this sample (None if not ReLU)."""
        return int(np.count_nonzero(stage.values[sample] == 0)) if stage.relu else None


def record_activations(model: Any, x: np.ndarray) -> Activations:
    """Run ``x`` through ``model.layers`` once and keep every stage's output.

    ``model`` must already be checked (a built Sequential) and ``x`` a float32
    table that fits it (:func:`course.widgets.validation.model_data_labels`).
    """
    stages = run_stages(model, x)
    probability, predicted, kind = classify(stages[-1].values)
    return Activations(model_name=model.name, stages=stages, probability=probability,
                       predicted_class=predicted, output_kind=kind)
