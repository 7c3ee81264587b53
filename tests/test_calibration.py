"""The dataset is calibrated: the reference pipeline reproduces the reference epoch table.

Bands (course.reference_epochs, from the foundation issue): epoch 1 loss 0.65 +- 0.07,
accuracy 0.60 +- 0.08; epoch 5 loss 0.30 +- 0.06, accuracy 0.89 +- 0.04; for each of five
training seeds.
"""
import pytest

from autograder.coursework.reference import SEED_EPOCH_TABLE, train_reference
from course import reference_epochs
from course.data import load_data

TRAINING_SEEDS = [1, 2, 3, 4, 5]
BANDS = {key: reference_epochs.band(*key) for key in reference_epochs.TOLERANCES}


@pytest.fixture(scope="module")
def histories():
    x, y = load_data()
    return {seed: train_reference(x, y, seed=seed)[1].history for seed in TRAINING_SEEDS}


@pytest.mark.slow
def test_reference_pipeline_reproduces_the_seed_epoch_table(histories):
    print("\nseed | epoch: loss / accuracy   (reference pipeline: "
          + ", ".join(f"{loss:.2f}/{acc:.2f}" for loss, acc in SEED_EPOCH_TABLE) + ")")
    for seed, history in histories.items():
        cells = ", ".join(f"{loss:.2f}/{acc:.2f}"
                          for loss, acc in zip(history["loss"], history["accuracy"]))
        print(f"{seed:4d} | {cells}")
    failures = []
    for seed, history in histories.items():
        for (epoch, metric), (target, tolerance) in BANDS.items():
            got = history[metric][epoch]
            if abs(got - target) > tolerance:
                failures.append(f"seed {seed} epoch {epoch % len(history[metric]) + 1} {metric} = {got:.3f}, "
                                f"band {target} +- {tolerance}")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_loss_falls_and_accuracy_rises_every_epoch_on_average(histories):
    for history in histories.values():
        assert len(history["loss"]) == 5
        assert history["loss"][-1] < history["loss"][0]
        assert history["accuracy"][-1] > history["accuracy"][0]
