"""Quiet, seeded, thread-limited TensorFlow for notebooks and graders.

``import course`` calls :func:`prepare`: it sets the quiet environment before
TensorFlow is loaded, so a notebook cell never shows TensorFlow's start-up log
lines (nbgrader gives a test cell zero points if anything reaches stderr), then
limits threads and seeds.
"""

from __future__ import annotations

import os

DEFAULT_SEED = 42

#: Environment TensorFlow, absl and Keras read once, at import time.
QUIET_ENVIRONMENT = {
    # C++ log levels: 3 hides INFO, WARNING and ERROR lines from TensorFlow's core.
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # The oneDNN notice is printed before absl logging is initialised, so the
    # log level alone does not hide it; turning the custom ops off does.
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "KERAS_BACKEND": "tensorflow",
}

THREADS_VARIABLE = "COURSE_TF_THREADS"


def quiet_tensorflow() -> None:
    """Set the environment that keeps TensorFlow silent; call before importing it."""
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def _quiet_python_loggers() -> None:
    """TensorFlow's Python warnings (e.g. "... triggered tf.function retracing") off screen.

    In Jupyter, TensorFlow's logger sets itself to INFO, writing to stdout, the first time
    it is used; configuring it first (``tf.get_logger()``) and then raising its level keeps
    it at ERROR for the whole session.
    """
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # already while TensorFlow loads
    try:
        import tensorflow as tf

        tf.get_logger()  # let it configure itself now, not later over our level
    except ImportError:  # pragma: no cover - TensorFlow is a dependency
        pass
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # absl ships with TensorFlow; harmless if absent
        pass


def limit_threads(threads: int | None = None) -> int:
    """Cap TensorFlow's CPU threads (``COURSE_TF_THREADS`` or all cores).

    Returns the number in force. Parallel graders set ``COURSE_TF_THREADS=1`` so
    workers sharing a small machine do not fight over cores.
    """
    import tensorflow as tf

    if threads is None:
        threads = int(os.environ.get(THREADS_VARIABLE, "0") or 0)
    if threads <= 0:
        return tf.config.threading.get_intra_op_parallelism_threads()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        # TensorFlow was already used in this process; its pools are fixed now.
        pass
    return threads


def seed_everything(seed: int = DEFAULT_SEED, *, tensorflow: bool = True) -> int:
    """Seed Python, NumPy and Keras so a re-run notebook trains the same model.

    ``tensorflow=False`` seeds Python and NumPy only: seeding TensorFlow again clears its
    kernel caches, so every TensorFlow operation after it is slow again for a while (about
    25 ms more to rebuild a small model), which a process that checks one notebook's answers
    after another (the grader's) does not need: it seeded TensorFlow once, at ``import course``.
    """
    if not tensorflow:
        import random

        import numpy as np

        random.seed(seed)
        np.random.seed(seed)
        return seed
    import keras

    keras.utils.set_random_seed(seed)
    return seed


def prepare(seed: int = DEFAULT_SEED) -> None:
    """Everything ``import course`` does: quiet logs, limit threads, seed.

    The environment is set first; if TensorFlow was imported before ``course``, it is
    too late for that, and quieting the Python-side loggers is what still helps.
    """
    quiet_tensorflow()
    _quiet_python_loggers()
    limit_threads()
    seed_everything(seed)
