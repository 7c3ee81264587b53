"""The feedback report's machinery on a sample: the generator makes the mutants it should, the
judge tells named from misleading from symptom, and a real lesson kernel classifies one mutant
the check names and one that changes nothing the check reads."""
from __future__ import annotations

import nbformat

from tests.mutation.mutants import Mutant, mutants
from tests.mutation.runner import SOURCE, answer_cells, judge, run_mutants
from tests.mutation.variants import automatic

SPREAD = '''def feature_spread(features):
    ### BEGIN SOLUTION
    return np.std(features, axis=0)
    ### END SOLUTION


spread = feature_spread(x)
'''


def sample(names: list[str]) -> Mutant:
    return Mutant("01_input_data", "l01-q4-answer", "neighbour", ".std -> .var", names, "")


def test_generator_mutates_only_the_solution_and_records_the_element():
    found = {m.element: m for m in mutants("01_input_data", "l01-q4-answer", SPREAD)}
    assert ".std -> .var" in found and "axis=0 -> 1" in found
    assert "return np.var(features, axis=0)" in found[".std -> .var"].source
    assert found[".std -> .var"].names == ["variance", "var"]
    # the call outside the solution region is never mutated
    assert not any("feature_spread(x.T)" in m.source for m in found.values())


def test_judge_tells_named_misleading_and_symptom_apart():
    assert judge(sample(["variance"]), "✘ E: 1 problem to fix\n  1. feature_spread returns variances") == "named"
    assert judge(sample(["variance"]), "✘ E: 1 problem to fix\n  1. use axis=0 instead of axis=1") == "misleading"
    assert judge(sample(["variance"]), "✘ E: 1 problem to fix\n  1. expected 3.2, found 10.1") == "symptom"
    # Python's own words name nothing on the course's behalf: a relayed error is judged by the advice
    relayed = "✘ E: 1 problem to fix\n  1. `s` is not defined. Your code raised TypeError: var() got 'variance'"
    assert judge(sample(["variance"]), relayed) == "symptom"
    advised = "✘ E: 1 problem to fix\n  1. np.var() gives the variance\n     (Python said: TypeError: x)"
    assert judge(sample(["variance"]), advised) == "named"
    # a bare number names a constant only as a whole number, never inside "1 problem" or "1000"
    assert judge(sample(["1"]), "✘ E: 1 problem to fix\n  1. shape (1000,) expected (20,)") == "symptom"


def test_tf_keras_rewrite_keeps_the_answer_runnable():
    [(label, source)] = [v for v in automatic("layer = keras.layers.Dense(1)") if "tf.keras" in v[0]]
    assert source.startswith("import tensorflow as tf") and "tf.keras.layers.Dense(1)" in source


def test_a_real_kernel_names_a_variance_and_finds_a_transpose_equivalent():
    notebook = nbformat.read(SOURCE / "01_input_data" / "01_input_data.ipynb", as_version=4)
    assert {c.grade_id for c in answer_cells(notebook)} >= {"l01-q3-answer", "l01-q4-answer"}
    wanted = {".std -> .var", "mean(labels.T)"}
    outcomes, references = run_mutants("01_input_data", only={"l01-q3-answer", "l01-q4-answer"},
                                       select=lambda m: m.element in wanted)
    verdicts = {o.mutant.element: o.verdict for o in outcomes}
    assert verdicts == {".std -> .var": "named", "mean(labels.T)": "equivalent"}, outcomes
    assert references["l01-q4-answer"]["values"]["scale_ratio"][0] == "number"
