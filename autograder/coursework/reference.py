"""The course's reference pipeline: the dataset's calibration target (instructor side).

It lives here, not in `course/`, because it is the solution of lessons 4 and 5: the fixed model the
dataset is calibrated against and the one the pipeline trace demo renders.
"""
from __future__ import annotations

import numpy as np

from course.reference_epochs import BATCH_SIZE, EPOCH_TABLE, EPOCHS, OPTIMIZER

#: The reference pipeline's epoch table: (loss, accuracy) per epoch (one table, in course/).
SEED_EPOCH_TABLE = list(EPOCH_TABLE)


def build_reference_model(x: np.ndarray):
    """Normalization (adapted on ``x``) -> Dense 64 ReLU -> Dense 32 ReLU -> Dense 1 sigmoid."""
    import keras

    normalizer = keras.layers.Normalization(name="normalization")
    normalizer.adapt(x)
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],), name="features"),
        normalizer,
        keras.layers.Dense(64, activation="relu", name="dense_1"),
        keras.layers.Dense(32, activation="relu", name="dense_2"),
        keras.layers.Dense(1, activation="sigmoid", name="output"),
    ], name="seed_pipeline")
    model.compile(optimizer=OPTIMIZER, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def train_reference(x: np.ndarray, y: np.ndarray, seed: int = 42):
    """Seed Keras, build and fit the reference model for EPOCHS epochs in batches of BATCH_SIZE;
    return (model, history)."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_reference_model(x)
    history = model.fit(x, y, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    return model, history
