"""``course-trace``: train the course's reference pipeline and print its pipeline trace.

The command lives on the instructor side because the reference pipeline is the solution of
lessons 4 and 5; the trace itself (``course.trace``) is student-side and knows no solution.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from course.trace import trace


def main(argv: Sequence[str] | None = None) -> int:
    """``course-trace``: train the reference pipeline on the course data and print its trace."""
    parser = argparse.ArgumentParser(
        prog="course-trace",
        description="Train the course's reference pipeline (Normalization, Dense 64 ReLU, "
                    "Dense 32 ReLU, Dense 1 sigmoid) on the course data for 5 epochs and "
                    "print its pipeline trace.")
    parser.add_argument("--sample", type=int, default=0, help="row followed through the layers (default 0)")
    parser.add_argument("--seed", type=int, default=42, help="training seed (default 42)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)

    from autograder.coursework.reference import train_reference  # looked up at call time (tests replace it)
    from course.data import load_data

    x, y = load_data()
    if not 0 <= args.sample < len(x):
        parser.error(f"--sample should be a row number from 0 to {len(x) - 1}")
    model, history = train_reference(x, y, seed=args.seed)
    result = trace(model, x, history, sample=args.sample)
    sys.stdout.write(result.to_json() + "\n" if args.json else result.to_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
