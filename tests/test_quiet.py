"""`import course` keeps TensorFlow silent: nothing on stderr, in a kernel or a script."""
import subprocess
import sys

import pytest

from tests.notebook_runner import run_cells, stderr_of

BUILD_AND_TRAIN = """
import keras
x, y = course.load_data()
normalizer = keras.layers.Normalization()
normalizer.adapt(x)
model = keras.Sequential([
    keras.Input(shape=(20,)),
    normalizer,
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
probabilities = model.predict(x[:5], verbose=0)
print(len(history.history["loss"]), probabilities.shape)
"""


@pytest.mark.slow
def test_fresh_kernel_builds_and_trains_without_stderr():
    notebook = run_cells("import course", BUILD_AND_TRAIN)
    assert stderr_of(notebook) == []
    printed = "".join(o.get("text", "") for o in notebook.cells[1].outputs)
    assert "5 (5, 1)" in printed


@pytest.mark.slow
def test_script_that_imports_course_first_writes_nothing_to_stderr():
    code = "import course\n" + BUILD_AND_TRAIN
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.slow
def test_without_course_tensorflow_does_write_to_stderr():
    """The control: this is what `import course` protects students from."""
    clean_env = {k: v for k, v in __import__("os").environ.items()
                 if not k.startswith(("TF_", "COURSE_", "KERAS_"))}
    code = "import keras, numpy\nkeras.layers.Dense(2)(numpy.zeros((1, 3)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, env=clean_env)
    assert result.returncode == 0
    assert result.stderr != ""


def stdout_of(notebook) -> list[str]:
    """Every piece of text the notebook's cells wrote to stdout, cell by cell."""
    return [f"cell {index}: {output.get('text', '')}" for index, cell in enumerate(notebook.cells)
            for output in cell.get("outputs", [])
            if output.get("output_type") == "stream" and output.get("name") == "stdout"]


@pytest.mark.slow
def test_lesson_6_reference_solution_runs_without_tensorflow_warnings_on_stdout_or_stderr():
    """Lesson 6 calls predict on several new models (the student's trace model, then the checks'):
    in Jupyter TensorFlow's logger printed 'WARNING:tensorflow:5 out of the last 5 calls ...
    triggered tf.function retracing' on stdout, in answer and test cells."""
    from pathlib import Path

    import nbformat

    source = Path(__file__).resolve().parents[1] / "source" / "06_prediction_trace" / "06_prediction_trace.ipynb"
    cells = [cell.source for cell in nbformat.read(str(source), as_version=4).cells if cell.cell_type == "code"]
    notebook = run_cells(*cells, timeout=300)
    assert stderr_of(notebook) == []
    printed = stdout_of(notebook)
    assert sum("✔" in text for text in printed) == 3  # the three checks ran and passed
    assert not [text for text in printed if "WARNING" in text or "tensorflow" in text.lower()], printed
