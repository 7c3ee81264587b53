"""The reference pipeline's picture of one stage, drawn from real arrays.

``show_stage(3, x_normalized, hidden_1)`` prints::

    Stage 3 · Dense layer 1
      in : 1000 rows x 20 columns  [[-0.10, 0.50, ..., -0.30], ...]
           Fully connected layer with 64 neurons and ReLU activation
      out: 1000 rows x 64 columns  [[0.00, 1.20, ..., 0.50], ...]
"""
from __future__ import annotations

import numpy as np

from course.formatting import preview_rows, shape_text
from course.pipeline import STAGES


def stage_picture(number: int, before, after=None, rows: int = 2) -> str:
    """The text picture of stage ``number`` (1-5) for the arrays before and after it."""
    stage = STAGES[number - 1]
    before = np.asarray(before)
    lines = [f"Stage {number} · {stage.name}",
             f"  in : {shape_text(before.shape)}  {preview_rows(before[:rows].tolist())}",
             f"       {stage.purpose}"]
    if after is not None:
        after = np.asarray(after)
        lines.append(f"  out: {shape_text(after.shape)}  {preview_rows(after[:rows].tolist())}")
    return "\n".join(lines)


def show_stage(number: int, before, after=None) -> None:
    """Print :func:`stage_picture`."""
    print(stage_picture(number, before, after))
