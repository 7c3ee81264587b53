"""How the course writes numbers, rows, shapes and tables for a student to read.

``shape_text((1000, 20))`` is "1000 rows x 20 columns"; ``preview_values(row)`` is
"[0.50, 1.20, 0.30, ..., 0.30]"; ``html_table`` escapes every cell.
"""
from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any


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


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain HTML table with every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
                     for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
