"""Translate errors a student's code raises into the student's terms.

Keras errors are precise but speak of tensors and axes; the explanations here say
which line of the lesson to change.
"""
from __future__ import annotations

KNOWN_ERRORS = [
    # (exception type name, text in the message, explanation)
    ("KeyError", "'acc'",
     "History keys are named after the metric given to compile(): with "
     "metrics=['accuracy'] read history.history['accuracy'], not ['acc']."),
    ("KeyError", "'val_",
     "There are no validation keys: fit() was not given validation data. "
     "Read history.history['loss'] and history.history['accuracy']."),
    ("AttributeError", "has no defined output",
     "model.output is undefined until the Sequential model is built: start it with "
     "keras.Input(shape=(20,)) (or call the model once on data) before reading .output."),
    ("AttributeError", "has never been called",
     "model.output is undefined until the Sequential model is built: start it with "
     "keras.Input(shape=(20,)) (or call the model once on data) before reading .output."),
    ("AttributeError", "has no defined inputs",
     "model.inputs is undefined until the Sequential model is built: start it with "
     "keras.Input(shape=(20,))."),
    ("ValueError", "expected axis -1 of input shape to have value",
     "The model expects a different number of features than the data has: "
     "keras.Input(shape=(20,)) matches the 20 feature columns."),
    ("ValueError", "incompatible with the layer",
     "The data's shape does not match what the model was built for: "
     "keras.Input(shape=(20,)) takes one sample's shape, without the batch dimension."),
    ("AttributeError", "'input_shape'",
     "Keras 3 layers have no .input_shape attribute: use model.inputs[0].shape or "
     "the shape of the layer's output when called on data."),
]


def explain(error: BaseException) -> str:
    """One sentence naming what went wrong and what to change."""
    kind, text = type(error).__name__, str(error)
    for known_kind, fragment, explanation in KNOWN_ERRORS:
        if kind == known_kind and fragment in text:
            return f"{kind}: {text.strip()[:160]} — {explanation}"
    return f"your code raised {kind}: {text.strip()[:200]}"
