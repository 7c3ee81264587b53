"""Check a training History against the reference epoch table, within bands, and say why it differs.

When training went wrong, :func:`diagnose` reads the History and (when given) the trained
model and names the likely causes, most likely first: a model trained before this ``fit``,
labels that no longer match the features, data normalized twice, no (working) Normalization,
a learning rate, batch size or optimizer other than the reference pipeline's.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from course import reference_epochs, training_trace
from course.data import N_SAMPLES
from course.feedback import Problems
from course.model_facts import accuracy_key, history_dict, optimizer_steps
from course.prediction import probabilities_of, scores

#: The reference table's final epoch with the bands training is graded in: (target, tolerance).
FINAL_LOSS_BAND = reference_epochs.band(-1, "loss")
FINAL_ACCURACY_BAND = reference_epochs.band(-1, "accuracy")
#: An untrained model's first epoch in the reference table.
FIRST_LOSS = reference_epochs.column("loss")[0]
#: The loss of a model that has learned nothing about two classes (binary cross-entropy at p = 0.5).
CHANCE_LOSS = training_trace.CHANCE_LOSS
#: An untrained model's first epoch averages about FIRST_LOSS; far below this, the model had been
#: trained before.
UNTRAINED_FIRST_EPOCH_FLOOR = 0.45
#: How far the model's loss on the course data may be from the History's last epoch and still
#: say "this model was trained on these features and labels".
SAME_DATA_TOLERANCE = 0.08


def _number(value) -> float:
    """A Python number from a float, an int, or a Keras/TensorFlow variable."""
    return float(value.numpy() if hasattr(value, "numpy") else value)


def history_steps(history) -> int | None:
    """Batches per epoch of the ``fit`` that made ``history`` (Keras records it in ``params``)."""
    steps = (getattr(history, "params", None) or {}).get("steps")
    return int(steps) if isinstance(steps, (int, float)) and steps > 0 else None


def steps_before_fit(history, model) -> int:
    """Optimizer steps the model had taken before the ``fit`` that returned ``history``.

    0 for a model that started this ``fit`` untrained, or when it cannot be told (no model,
    no optimizer, no step count).
    """
    data, steps, done = history_dict(history), history_steps(history), optimizer_steps(model)
    if not data or not data.get("loss") or steps is None or done is None:
        return 0
    return max(0, done - steps * len(data["loss"]))


def trained_this_history(history, model) -> bool:
    """Whether ``model`` took at least the steps ``history`` records (so it is the model that was
    trained: a model rebuilt after fit has taken none, and says nothing about that training)."""
    data, steps, done = history_dict(history) or {}, history_steps(history), optimizer_steps(model)
    if model is None or done is None:
        return False
    if steps is None or not data.get("loss"):
        return done > 0
    return done >= steps * len(data["loss"])


def _learning_rate(model) -> float | None:
    optimizer = getattr(model, "optimizer", None)
    rate = getattr(optimizer, "learning_rate", None)
    try:
        return _number(rate)
    except (TypeError, ValueError):
        return None


def _optimizer_name(model) -> str | None:
    optimizer = getattr(model, "optimizer", None)
    return type(optimizer).__name__.lower() if optimizer is not None else None


def _normalization_problem(model) -> str | None:
    """What is wrong with the model's Normalization, in the student's terms (None if fine)."""
    from course.data import scale_range
    from course.model_facts import is_adapted

    layers = list(getattr(model, "layers", []) or [])
    normalizers = [layer for layer in layers if type(layer).__name__ == "Normalization"]
    if not normalizers:
        return (f"the model has no Normalization layer: the raw features (scales from {scale_range()}) "
                "go straight into the Dense layers, so the loss starts huge and learning stalls. "
                "Put the adapted Normalization layer of lesson 2 after keras.Input.")
    if len(normalizers) > 1:
        return (f"the model has {len(normalizers)} Normalization layers: the data is normalized "
                "twice. Keep one, adapted on the raw x.")
    if not is_adapted(normalizers[0]):
        return ("the Normalization layer leaves the raw x unchanged (mean 0, variance 1): it was "
                    "never adapted, or adapted on data that was already normalized. Call "
                    "normalizer.adapt(x) on the raw x, then rebuild and train the model.")
    return None


def _loss_on_course_data(model, x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    """Binary cross-entropy and accuracy of ``model`` on ``(x, y)``, from a plain call (no
    tf.function, nothing in the model changes); None if the model cannot be called on x."""
    try:
        probabilities = probabilities_of(model, x)
    except Exception:  # noqa: BLE001 - a broken model has its own checks; no diagnosis from it
        return None
    if probabilities.shape != y.reshape(-1).shape or not np.all(np.isfinite(probabilities)):
        return None
    return scores(probabilities, y)


def diagnose(history, model=None) -> list[str]:
    """Likely causes of a final loss outside the reference band, most likely first.

    Reads the History (losses, accuracies, batches per epoch) and, when given, the trained
    model (its Normalization, optimizer, learning rate, steps taken, and how it does on the
    course data). Every cause is said in the student's terms with what to change.
    """
    from course.data import load_data

    data = history_dict(history) or {}
    losses = [float(v) for v in data.get("loss", [])]
    if not losses or not all(math.isfinite(v) for v in losses):
        return []
    key = accuracy_key(data)
    accuracies = [float(v) for v in data[key]] if key else []
    final = losses[-1]
    target, width = FINAL_LOSS_BAND
    too_low = final < target - width
    causes: list[str] = []
    course = load_data()
    if model is not None and not trained_this_history(history, model):
        model = None  # rebuilt since: its weights and settings say nothing about this training
    balance = float(max(course.y.mean(), 1 - course.y.mean()))

    before = steps_before_fit(history, model) if model is not None else 0
    if before:
        causes.append(trained_before_message(history, before))
    elif model is None and losses[0] < UNTRAINED_FIRST_EPOCH_FLOOR and not too_low_by_settings(history):
        causes.append(f"the first epoch's loss is already {losses[0]:.2f} (an untrained model starts "
                      f"near {FIRST_LOSS:.2f}): the model was probably trained more than once, before this fit. Re-run "
                      "the cells that build the model, then run fit once.")

    if model is not None:
        normalization = _normalization_problem(model)
        if normalization:
            causes.append(normalization)
        scored = _loss_on_course_data(model, course.x, course.y)
        trained_accuracy = accuracies[-1] if accuracies else None
        consistent = scored is None or (abs(scored[0] - final) <= SAME_DATA_TOLERANCE and (
            trained_accuracy is None or abs(scored[1] - trained_accuracy) <= SAME_DATA_TOLERANCE))
        if not consistent and not before and not normalization:
            by_hand = (course.x - course.x.mean(axis=0)) / course.x.std(axis=0)
            rescored = _loss_on_course_data(model, by_hand, course.y)
            if rescored is not None and abs(rescored[0] - final) <= SAME_DATA_TOLERANCE:
                causes.append(f"the model was trained on data normalized by hand: on the raw x it scores a "
                              f"loss of {scored[0]:.2f}, on hand-normalized x {rescored[0]:.2f}, as in "
                              f"training ({final:.2f}). Its Normalization layer normalizes again, so the "
                              "data is normalized twice: pass the raw x to fit.")
            elif (trained_accuracy is not None and scored[1] < trained_accuracy - SAME_DATA_TOLERANCE
                  and scored[1] <= balance + 0.05):
                causes.append(f"the labels the model was trained on do not match the features: on the "
                              f"course's (x, y) it is right for only {scored[1]:.0%} of the samples (the "
                              f"larger class alone is {balance:.0%}), against {trained_accuracy:.0%} in "
                              "training. Train on x and y as load_data returns them (shuffle or sort them "
                              "together, never one without the other).")
    # Flat near ln 2 at the end (a learning rate far too high can start far above it).
    flat = abs(final - CHANCE_LOSS) < 0.08 and all(v > CHANCE_LOSS - 0.08 for v in losses)
    near_balance = not accuracies or abs(accuracies[-1] - balance) < 0.1
    did_not_learn = None
    rate_off = False
    if flat and near_balance and not before:
        rate = _learning_rate(model) if model is not None else None
        rate_off = (rate is not None and _optimizer_name(model) == reference_epochs.OPTIMIZER
                    and not 1 / reference_epochs.LEARNING_RATE_FACTOR <= rate / reference_epochs.LEARNING_RATE <= reference_epochs.LEARNING_RATE_FACTOR)
        did_not_learn = did_not_learn_message(balance, rate if rate_off else None,
                                              labels_known=any("labels" in c for c in causes))
    if did_not_learn and rate_off:
        causes.insert(0, did_not_learn)  # the settings say why, for certain
    settings = [cause for cause in _settings_causes(history, model, too_low)
                if not (rate_off and cause.startswith("the learning rate"))]
    causes.extend(settings)
    if did_not_learn and not rate_off:
        causes.append(did_not_learn)
    if too_low and not causes:
        causes.append("the loss fell further than the reference pipeline's in 5 epochs: check that fit "
                      "ran once on a freshly built model with epochs=5 and batch_size=32.")
    if not too_low and not causes:
        causes.append("the loss falls, but more slowly than the reference pipeline's: check batch_size=32, "
                      "the optimizer ('adam', default learning rate) and that the Normalization layer "
                      "was adapted on the raw x.")
    return causes


def did_not_learn_message(balance: float, rate: float | None = None, labels_known: bool = False) -> str:
    """The loss stayed near ln 2 and the accuracy near the class balance: the usual causes, in order."""
    suspects = []
    if rate is not None:
        side = "above" if rate > reference_epochs.LEARNING_RATE else "below"
        suspects.append(f"the learning rate is {rate:g}, far {side} Adam's default {reference_epochs.LEARNING_RATE:g}: "
                        "compile with optimizer='adam' (its default rate), rebuild the model and train again")
    else:
        suspects.append("a learning rate far too high or too low (compile with optimizer='adam', its "
                        "default rate)")
    if not labels_known:
        suspects.append("labels that do not match the features (y shuffled or sorted apart from x)")
    suspects.append("inputs that are not normalized (the adapted Normalization layer first in the model)")
    return (f"the model did not learn at all: the loss stays near {CHANCE_LOSS:.2f} (ln 2, a coin flip) "
            f"and the accuracy near {balance:.2f}, the share of the larger class. In order of likelihood: "
            + "; ".join(f"({n}) {text}" for n, text in enumerate(suspects, 1)) + ".")


def epoch_count_message(history, model, epochs: int = reference_epochs.EPOCHS) -> str:
    """The History has another number of epochs than ``epochs``: why, from how fit was called."""
    data = history_dict(history) or {}
    count = len(data.get("loss", []))
    steps = history_steps(history)
    noun = "epoch" if count == 1 else "epochs"
    if count == 1 and steps == math.ceil(N_SAMPLES / epochs) and steps != reference_epochs.STEPS_PER_EPOCH:
        return (f"the History has 1 epoch of {steps} steps (batches of {epochs}): a number given to fit "
                f"as its third argument is batch_size, not epochs, so {epochs} became the batch size. Pass "
                f"epochs={epochs} by name (rebuild the model first: it has trained already).")
    done = optimizer_steps(model) if model is not None else None
    if steps and done and count and done >= steps * epochs > steps * count and done % steps == 0:
        return (f"the model trained {done // steps} epochs in all, but over several fit calls (a loop of "
                f"fit(..., epochs={count}), or running the cell again), so the History of the last call "
                f"holds only {count} {noun}. Call fit once with epochs={epochs}, on a freshly built model "
                "(re-run the cells that build it first).")
    return (f"the History has {count} {noun}; the reference pipeline trains for {epochs}: "
            f"fit(..., epochs={epochs}). (Running fit twice continues training.)")


def too_low_by_settings(history) -> bool:
    """More batches per epoch than the reference pipeline's (a smaller batch size)."""
    steps = history_steps(history)
    return steps is not None and steps > reference_epochs.STEPS_PER_EPOCH


def _settings_causes(history, model, too_low: bool) -> list[str]:
    """Learning rate, optimizer and batch size that differ from the reference pipeline's, in the
    direction of the deviation (faster learning when the loss is too low, slower when too high)."""
    causes = []
    reference_steps = reference_epochs.STEPS_PER_EPOCH
    steps = history_steps(history)
    if steps is not None and (steps > reference_steps if too_low else steps < reference_steps):
        batch = math.ceil(N_SAMPLES / steps)
        causes.append(f"the batch size: fit took {steps} steps per epoch (batches of about {batch}); with "
                      f"batch_size=32 it takes {reference_steps}. "
                      + ("Smaller batches mean more updates per epoch, so the loss falls further."
                         if too_low else "Larger batches mean fewer updates per epoch, so the loss falls slowly."))
    if model is not None:
        name = _optimizer_name(model)
        if name and name != reference_epochs.OPTIMIZER and not too_low:
            causes.append(f"the optimizer is {name!r}; the reference pipeline trains with 'adam', which "
                          "learns much faster here in 5 epochs: compile with optimizer='adam'.")
        rate = _learning_rate(model)
        if rate is not None and name == reference_epochs.OPTIMIZER and not math.isclose(rate, reference_epochs.LEARNING_RATE,
                                                                                 rel_tol=0.01):
            if (rate > reference_epochs.LEARNING_RATE) == too_low:
                causes.append(f"the learning rate is {rate:g}; the reference pipeline uses Adam's default "
                              f"{reference_epochs.LEARNING_RATE:g}: " + ("larger steps make the loss fall further."
                                                                  if too_low else "smaller steps make it learn slowly.")
                              + " Compile with optimizer='adam'.")
    return causes


def trained_before_message(history, before: int) -> str:
    """The model took ``before`` optimizer steps before this fit: say so and what to do."""
    data = history_dict(history) or {}
    steps = history_steps(history) or reference_epochs.STEPS_PER_EPOCH
    first = data.get("loss", [float("nan")])[0]
    epochs = before / steps
    shown = f"{epochs:.0f}" if float(epochs).is_integer() else f"about {epochs:.1f}"
    return (f"the model was already trained before this fit ({before} steps, {shown} epoch(s) of "
            f"{steps} batches), so this History continues that training: its first epoch's loss is "
            f"{first:.2f} where an untrained model starts near {FIRST_LOSS:.2f}. Re-run the cells that build the "
            "model (from the first cell), then run fit once.")


def check_history(history, problems: Problems, metric: str = "accuracy",
                  epochs: int = reference_epochs.EPOCHS, bands: bool = True, model: Any = None) -> None:
    """Keys as the lesson asks, ``epochs`` epochs of a freshly built ``model``, loss falling,
    final values in band; outside the band, the likely causes (:func:`diagnose`)."""
    data = history_dict(history)
    if data is None:
        problems.add(f"expected the History that model.fit(...) returns; got {type(history).__name__}.")
        return
    if "loss" not in data:
        problems.add("the History has no 'loss' key: was the model compiled and trained with fit()?")
        return
    if metric not in data:
        keys = ", ".join(repr(k) for k in data)
        problems.add(f"the History has no '{metric}' key (it has {keys}): compile with "
                     f"metrics=['{metric}'].")
    losses = list(data["loss"])
    if len(losses) != epochs:
        problems.add(epoch_count_message(history, model, epochs))
        return
    if any(math.isnan(value) for value in losses):
        problems.add("the loss became NaN: check the data is normalized and the loss is "
                     "binary_crossentropy.")
        return
    before = steps_before_fit(history, model) if model is not None else 0
    if before:
        problems.add(trained_before_message(history, before))
        return
    if not losses[-1] < losses[0]:
        problems.add(f"the loss did not fall: {losses[0]:.3f} at epoch 1, {losses[-1]:.3f} at "
                     f"epoch {epochs}.")
    if not bands:
        return
    target, width = FINAL_LOSS_BAND
    steps, reference_steps = history_steps(history), reference_epochs.STEPS_PER_EPOCH
    # Up to a fifth of the samples may be held out (validation_split) with batches of 32.
    if abs(losses[-1] - target) <= width and steps is not None and not (
            math.ceil(0.8 * N_SAMPLES / reference_epochs.BATCH_SIZE) <= steps <= reference_steps):
        problems.add(f"fit took {steps} steps per epoch, batches of about {math.ceil(N_SAMPLES / steps)}: the "
                     f"reference pipeline trains with batch_size={reference_epochs.BATCH_SIZE} ({reference_steps} steps "
                     "per epoch), which its epoch table depends on.")
    if abs(losses[-1] - target) > width:
        side = "lower" if losses[-1] < target - width else "higher"
        causes = diagnose(history, model)
        text = f"final loss {losses[-1]:.3f} is {side} than the reference band {target} ± {width}."
        if causes:
            text += " Most likely: " + causes[0] + "".join(
                f" Also possible: {cause}" for cause in causes[1:3])
        problems.add(text)
    if metric in data and len(data[metric]) == epochs:
        target, width = FINAL_ACCURACY_BAND
        final = data[metric][-1]
        if abs(final - target) > width:
            problems.add(f"final {metric} {final:.3f} is outside the reference band {target} ± {width}.")
