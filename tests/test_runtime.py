"""Seeding and thread limits set by `import course`."""
import os
import subprocess
import sys

import numpy as np


def test_seeding_makes_training_repeatable():
    from autograder.coursework.reference import train_reference
    from course import runtime
    from course.data import load_data

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


def test_rerunning_a_lessons_setup_cell_repeats_its_numbers():
    """`import course` is cached after the first run of the setup cell; `ex.bind(globals())`
    re-seeds, so a second run builds the same model and draws the same numbers."""
    from tests.notebook_runner import run_cells

    setup = ("import course\nfrom course.lessons import lesson05 as ex\nex.bind(globals())\n"
             "import numpy as np, keras\n"
             "layer = keras.layers.Dense(3)\nlayer.build((None, 2))\n"
             "print(np.random.rand(2).round(6).tolist(), np.asarray(layer.kernel).round(6).tolist())")
    notebook = run_cells(setup, "np.random.rand(5); keras.random.uniform((4,))", setup)
    first, second = ("".join(o.get("text", "") for o in notebook.cells[i].outputs) for i in (0, 2))
    assert first.strip() and first == second


def test_seeding_without_tensorflow_keeps_its_state_and_seeds_python_and_numpy():
    """The grader's trusted process re-seeds Python and NumPy for every check but leaves
    TensorFlow's seed (and so its kernel caches) alone."""
    import random

    import tensorflow as tf

    from course.runtime import seed_everything

    seed_everything(7)
    first = float(tf.random.uniform(()))
    seed_everything(7, tensorflow=False)
    assert float(tf.random.uniform(())) != first  # TensorFlow's sequence goes on
    python, numpy = random.random(), np.random.rand()
    seed_everything(7, tensorflow=False)
    assert (random.random(), np.random.rand()) == (python, numpy)
    seed_everything(7)
    assert float(tf.random.uniform(())) == first  # a full re-seed repeats it
