"""The reference pipeline: the five stages every lesson builds toward."""
from __future__ import annotations

from course.stages import INPUT_PURPOSE, Stage

STAGES = (
    Stage(1, "Input data", "Input", 20, None, INPUT_PURPOSE),
    Stage(2, "Normalization layer", "Normalization", 20, None,
          "Scale features to have mean 0 and variance 1"),
    Stage(3, "Dense layer 1", "Dense", 64, "relu",
          "Fully connected layer with 64 neurons and ReLU activation"),
    Stage(4, "Dense layer 2", "Dense", 32, "relu",
          "Fully connected layer with 32 neurons and ReLU activation"),
    Stage(5, "Output layer", "Dense", 1, "sigmoid",
          "Fully connected layer with 1 neuron and sigmoid activation for binary classification"),
)

#: The stages that are layers of the Sequential model (Keras does not list the Input).
LAYER_STAGES = STAGES[1:]

REFERENCE_ORDER = " → ".join(stage.label() for stage in LAYER_STAGES)

ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]


def ordinal(index: int) -> str:
    return ORDINALS[index] if index < len(ORDINALS) else f"#{index + 1}"
