"""course.training_checks: why a History differs from the reference epoch table, from the History
and the model (here with made-up Histories, so each cause is tested on its own)."""
import keras
import pytest

from course import training_checks
from course.feedback import Problems


def history(losses, accuracies, steps=32):
    made = keras.callbacks.History()
    made.history = {"loss": list(losses), "accuracy": list(accuracies)}
    made.params = {"epochs": len(losses), "steps": steps}
    return made


class Model:
    """Just what the diagnosis reads of a trained model: its optimizer (no layers, no call)."""

    def __init__(self, rate=0.001, steps=160):
        self.optimizer = keras.optimizers.Adam(learning_rate=rate)
        self.optimizer.iterations.assign(steps)
        self.layers = []

    def __call__(self, x):
        raise RuntimeError("not a real model")


FLAT = history([0.9, 0.72, 0.70, 0.69, 0.70], [0.5, 0.52, 0.53, 0.54, 0.53])


def test_a_flat_loss_near_ln2_is_a_model_that_did_not_learn_with_causes_in_order():
    causes = training_checks.diagnose(FLAT)
    assert causes and causes[0].startswith("the model did not learn at all")
    text = causes[0]
    assert text.index("learning rate") < text.index("labels") < text.index("normalized")
    assert "falls, but more slowly" not in " ".join(causes)


def test_a_learning_rate_far_from_adams_default_is_named_first_with_its_value():
    causes = training_checks.diagnose(FLAT, Model(rate=1.0))
    assert "the learning rate is 1, far above Adam's default 0.001" in causes[0]


def test_epochs_given_by_position_are_a_batch_size():
    made = history([0.4], [0.8], steps=200)
    problems = Problems("fit")
    training_checks.check_history(made, problems)
    assert "pass epochs=5 by name" in problems.found[0].lower() or "Pass epochs=5 by name" in problems.found[0]
    assert "1 epochs" not in problems.found[0]


def test_a_loop_of_one_epoch_fits_is_told_apart_from_too_few_epochs():
    problems = Problems("fit")
    training_checks.check_history(history([0.3], [0.9]), problems, model=Model(steps=5 * 32))
    assert "over several fit calls" in problems.found[0] and "Call fit once" in problems.found[0]
    problems = Problems("fit")
    training_checks.check_history(history([0.5, 0.4, 0.35], [0.7, 0.8, 0.85]), problems, model=Model(steps=3 * 32))
    assert problems.found[0].startswith("the History has 3 epochs;")


@pytest.mark.parametrize("count, words", [(1, "1 epoch;"), (2, "2 epochs;")])
def test_the_epoch_count_reads_as_english(count, words):
    problems = Problems("fit")
    training_checks.check_history(history([0.5] * count, [0.8] * count), problems)
    assert words in problems.found[0]
