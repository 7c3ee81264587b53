"""Seeding and thread limits set by `import course`."""
import os
import subprocess
import sys

import numpy as np


def test_seeding_makes_training_repeatable():
    from course import runtime
    from course.data import load_data
    from autograder.reference import train_reference

    x, y = load_data()
    runtime.seed_everything(7)
    first = np.random.rand(3)
    runtime.seed_everything(7)
    np.testing.assert_array_equal(first, np.random.rand(3))
    _, history_a = train_reference(x[:200], y[:200], seed=3)
    _, history_b = train_reference(x[:200], y[:200], seed=3)
    np.testing.assert_allclose(history_a.history["loss"], history_b.history["loss"], rtol=1e-5)


def test_thread_limit_comes_from_the_environment():
    code = ("import course, tensorflow as tf; "
            "print(tf.config.threading.get_intra_op_parallelism_threads(), "
            "tf.config.threading.get_inter_op_parallelism_threads())")
    env = dict(os.environ, COURSE_TF_THREADS="1")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.stdout.split() == ["1", "1"], result.stderr


def test_environment_is_set_before_tensorflow_loads():
    code = ("import sys, os, course; "
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], os.environ['TF_ENABLE_ONEDNN_OPTS'])")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.stdout.split() == ["3", "0"]
