"""The student-side library of the Keras Sequential course.

The first cell of every notebook runs ``import course`` (or ``from course import ...``).
That one import, before TensorFlow loads, keeps TensorFlow's log lines off the
screen (and off stderr, where nbgrader would count them against a test cell),
caps its threads when ``COURSE_TF_THREADS`` is set, and seeds Python, NumPy and
Keras so every re-run trains the same model.
"""
from course import runtime as _runtime
from course.data import N_FEATURES, N_SAMPLES, Dataset, load_data  # NumPy only: no TensorFlow yet

_runtime.prepare()  # quiet environment first, then TensorFlow: threads and seeds

seed_everything = _runtime.seed_everything

__all__ = ["N_FEATURES", "N_SAMPLES", "Dataset", "load_data", "seed_everything"]
