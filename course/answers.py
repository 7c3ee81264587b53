"""Answers as data: how a notebook's answers leave the student's kernel for grading.

Under ``autograder``, a graded test cell's verdict comes from the course's checks
running in another (trusted) process. The kernel only *exports* the answers an
exercise names, in formats that cannot run code when read back:

* numbers, strings, None, booleans, lists, tuples and dicts: JSON (tagged);
* NumPy arrays and scalars (and tensors): ``.npy`` bytes, read with ``allow_pickle=False``;
* Keras layers: their config and variables, rebuilt with ``safe_mode=True``;
* Keras models: their config (with the compile settings), weights and optimizer state,
  rebuilt as ``keras.saving.load_model`` rebuilds a ``.keras`` file, with ``safe_mode=True``
  (no Lambda, no class the grader does not know);
* a Keras ``History``: its ``.history``, ``.params`` and ``.epoch``;
* a matplotlib Figure: the y values of each axes' lines;
* a function: only a reference. The grader chooses inputs, the kernel calls the
  function on them (:func:`call`) and only the encoded result comes back.

Anything else (an object array, a class that only looks like a Keras layer, a
patched object) is exported as "unsupported" and the check fails with a message.
:func:`decode` is the same code in both directions: the grader decodes answers,
the kernel decodes the inputs the grader chose.
"""
from __future__ import annotations

import base64
import dataclasses
import functools
import io
import json
import sys
import types
from typing import Any, Callable

import numpy as np

MIME = "application/vnd.course.answers+json"

#: Kernel side: objects exported in this notebook, by reference number, so the grader can
#: pass them back as inputs (and ``f(x) is x`` survives the round trip).
_OBJECTS: dict[int, Any] = {}


class Unsupported(Exception):
    """An answer that cannot cross to the grader as data."""


class Payload:
    """What the kernel returns to the grader: one JSON document in a custom MIME type."""

    def __init__(self, data: Any):
        self.data = data

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {MIME: self.data}


# ---------------------------------------------------------------- encoding

def _npy(array: np.ndarray) -> str:
    if array.dtype.hasobject:
        raise Unsupported("a NumPy array of Python objects")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _keras_kind(value: Any) -> str | None:
    """'model', 'layer', 'history' or 'tensor' for real Keras/TensorFlow objects (checked by class)."""
    keras = sys.modules.get("keras")
    if keras is not None:
        if isinstance(value, keras.Model):
            return "model"
        if isinstance(value, keras.layers.Layer):
            return "layer"
        if isinstance(value, keras.callbacks.History):
            return "history"
        if isinstance(value, keras.KerasTensor):
            return None
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(value, tf.Tensor) and hasattr(value, "numpy"):
        return "tensor"
    return None


def _remember(value: Any) -> int:
    for ref, known in _OBJECTS.items():
        if known is value:
            return ref
    ref = len(_OBJECTS) + 1
    _OBJECTS[ref] = value
    return ref


def encode(value: Any, depth: int = 0, opaque: bool = False) -> dict:
    """``value`` as tagged JSON data; raises :class:`Unsupported` for what cannot cross. With
    ``opaque`` (a function's result), an object of a type the grader does not rebuild (pyplot, a
    matplotlib Axes, a KerasTensor) is described by its type's name only: a stand-in on the other
    side. What the grader rebuilds but cannot read this time (an object array, a model with a Lambda)
    still raises: a stand-in would be described as something else than the kernel sees."""
    return _encode(value, depth, opaque)


def _opaque(value: Any) -> dict:
    module = isinstance(value, types.ModuleType)
    return {"t": "opaque", "type": str(value.__name__ if module else type(value).__name__)[:100],
            "module": module, "ref": _remember(value)}


def _encode(value: Any, depth: int, opaque: bool) -> dict:
    if depth > 20:
        raise Unsupported("a structure nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return {"t": "json", "v": value}
    if type(value) in (int, float):
        if isinstance(value, float) and not np.isfinite(value):
            return {"t": "scalar", "v": _npy(np.asarray(np.float64(value)))}
        return {"t": "json", "v": value}
    if isinstance(value, (np.ndarray, np.generic)):
        return {"t": "npy" if isinstance(value, np.ndarray) else "scalar", "v": _npy(np.asarray(value))}
    if type(value) in (list, tuple):
        return {"t": type(value).__name__, "v": [encode(item, depth + 1, opaque) for item in value]}
    if type(value) is dict:
        if not all(isinstance(key, str) for key in value):
            raise Unsupported("a dict whose keys are not all strings")
        return {"t": "dict", "v": {key: encode(item, depth + 1, opaque) for key, item in value.items()}}
    record = _course_record(value)
    if record is not None:
        return {"t": "record", "class": record, "v": {
            field.name: encode(getattr(value, field.name), depth + 1, opaque)
            for field in dataclasses.fields(value)}}
    kind = _keras_kind(value)
    if kind == "tensor":
        return {"t": "tensor", "v": _npy(np.asarray(value.numpy()))}
    if kind == "history":
        return {"t": "history", "v": json.loads(json.dumps(
            {"history": value.history, "params": value.params or {},
             "epoch": list(getattr(value, "epoch", None) or [])}, default=float)),
            "ref": _remember(value)}
    if kind == "layer" or kind == "model":
        import keras

        ref = _remember(value)
        compile_settings = _compile_with_classes(value) if kind == "model" else None
        if compile_settings is None:
            config = keras.saving.serialize_keras_object(value)
        else:  # get_compile_config() fails on a class: the settings go beside the config
            value.get_compile_config = lambda: None  # an instance attribute, removed below
            try:
                config = keras.saving.serialize_keras_object(value)
            finally:
                del value.get_compile_config
        config = json.loads(json.dumps(config))
        data = {"t": kind, "v": config, "weights": [_npy(np.asarray(w)) for w in value.get_weights()],
                "ref": ref}
        if compile_settings is not None:
            data["compile"] = compile_settings
        optimizer = getattr(value, "optimizer", None) if kind == "model" else None
        if optimizer is not None and getattr(optimizer, "built", False):
            data["optimizer"] = [_npy(np.asarray(v)) for v in optimizer.variables]
        return data
    if _is_figure(value):
        axes = [[_npy(np.asarray(line.get_ydata(), dtype=float)) for line in ax.get_lines()]
                for ax in value.axes]
        points = [[_npy(offsets[:, 1]) for offsets in map(_offsets, ax.collections) if offsets is not None]
                  for ax in value.axes]  # scattered points: a check tells them from a line
        return {"t": "figure", "v": axes, "p": points}
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                          np.ufunc)) or (callable(value) and type(value).__module__ == "functools"):
        return {"t": "function", "name": getattr(value, "__name__", "function"), "ref": _remember(value)}
    if opaque:
        return _opaque(value)
    raise Unsupported(f"a {type(value).__name__} object")


def _course_record(value: Any) -> str | None:
    """``module.Name`` of a course data class (e.g. ``course.data.Dataset``, what ``x = load_data()``
    keeps), checked by identity with the class the course module defines; None for anything else."""
    cls = type(value)
    module = sys.modules.get(getattr(cls, "__module__", "") or "")
    if (module is None or not module.__name__.startswith("course.") or not dataclasses.is_dataclass(cls)
            or getattr(module, cls.__name__, None) is not cls):
        return None
    return f"{module.__name__}.{cls.__name__}"


#: Where a Keras class given to compile() without () is looked up again (by name, nothing else).
_KERAS_CLASSES = {"losses": "Loss", "optimizers": "Optimizer", "metrics": "Metric"}


def _compile_with_classes(model: Any) -> dict | None:
    """The compile settings of a model compiled with a Keras class (``loss=BinaryCrossentropy``,
    no ``()``), which Keras cannot serialize: each class by name, the rest serialized; None when
    the model was compiled without a class (its config holds the settings)."""
    import keras

    raw = getattr(getattr(model, "_compile_config", None), "config", None)
    if not getattr(model, "compiled", False) or not isinstance(raw, dict):
        return None

    def is_class(item):
        return isinstance(item, type)

    def values(setting):
        if isinstance(setting, (list, tuple)):
            return list(setting)
        return list(setting.values()) if isinstance(setting, dict) else [setting]

    if not any(is_class(item) for setting in raw.values() for item in values(setting)):
        return None

    def mark(item):
        if is_class(item):
            for group in _KERAS_CLASSES:
                if getattr(getattr(keras, group), item.__name__, None) is item:
                    return {"class": [group, item.__name__]}
            raise Unsupported(f"a model compiled with the class {item.__name__}")
        return {"keras": keras.saving.serialize_keras_object(item)}

    settings = {}
    for key, setting in raw.items():
        if isinstance(setting, (list, tuple)):
            settings[key] = {"list": [mark(item) for item in setting]}
        elif isinstance(setting, dict):
            settings[key] = {"dict": {str(k): mark(item) for k, item in setting.items()}}
        else:
            settings[key] = mark(setting)
    return json.loads(json.dumps(settings))


def _compile_settings(settings: dict) -> dict:
    """The keyword arguments of ``compile()`` that :func:`_compile_with_classes` described."""
    import keras

    def unmark(item):
        if not isinstance(item, dict):
            raise Unsupported("a Keras model in an unknown format")
        if "class" in item:
            group, name = item["class"]
            base = _KERAS_CLASSES.get(group)
            cls = getattr(getattr(keras, group), str(name), None) if base else None
            if not (isinstance(cls, type) and issubclass(cls, getattr(getattr(keras, group), base))):
                raise Unsupported(f"a model compiled with an unknown class ({name!r})")
            return cls
        return keras.saving.deserialize_keras_object(item.get("keras"), safe_mode=True)

    arguments = {}
    for key, setting in settings.items():
        if isinstance(setting, dict) and "list" in setting:
            arguments[key] = [unmark(item) for item in setting["list"]]
        elif isinstance(setting, dict) and "dict" in setting:
            arguments[key] = {k: unmark(item) for k, item in setting["dict"].items()}
        else:
            arguments[key] = unmark(setting)
    return arguments


def _is_figure(value: Any) -> bool:
    figure = sys.modules.get("matplotlib.figure")
    return figure is not None and isinstance(value, figure.Figure)


def _error(error: BaseException) -> dict:
    """An error as data; its arguments too when they are plain values, so the grader rebuilds it
    with the same text (a KeyError shows its key quoted once)."""
    from course.failing_code import failing_line, failing_statement, line_values, raised_in_library

    data = {"type": type(error).__name__, "builtin": type(error).__module__ == "builtins",
            "message": str(error)[:2000], "line": failing_line(error)[:200],
            "statement": failing_statement(error)[:600],
            "library": raised_in_library(error),
            "values": {name[:40]: shown[:80] for name, shown in line_values(error).items()}}
    arguments = getattr(error, "args", ())
    if isinstance(arguments, tuple) and all(
            type(item) in (str, int, float, bool) or item is None for item in arguments) \
            and sum(len(str(item)) for item in arguments) <= 2000:
        data["args"] = list(arguments)
    return data


# ---------------------------------------------------------------- kernel side

def export(names: list[str], namespace: dict | None = None) -> Payload:
    """Kernel side: the named answers, which names are defined, and the last error."""
    if namespace is None:
        namespace = sys.modules["__main__"].__dict__
    _OBJECTS.clear()
    answers: dict[str, dict] = {}
    for name in names:
        if name not in namespace:
            answers[name] = {"t": "missing"}
            continue
        try:
            answers[name] = encode(namespace[name])
        except Unsupported as reason:
            answers[name] = {"t": "unsupported", "what": str(reason)}
        except Exception as error:  # noqa: BLE001 - saving a broken object failed: report it
            answers[name] = {"t": "unsupported", "what": f"an object the grader could not read "
                                                        f"({type(error).__name__}: {str(error)[:200]})"}
    timing: tuple = (None, None)
    try:
        from course.errors import cell_timing, recent_error

        last = recent_error()  # the error of the cell before the test cell, as the checks read it
        timing = cell_timing(last)  # how long that cell ran, and the time limit: did the limit stop it?
    except Exception:  # noqa: BLE001
        last = getattr(sys, "last_value", None)
    defined = {name: _kind(value) for name, value in list(namespace.items())[:5000]
               if isinstance(name, str) and not name.startswith("_")}
    last_error = _error(last) if last is not None else None
    if last_error is not None:
        last_error.update({key: round(value, 3) for key, value in zip(("seconds", "limit"), timing)
                           if value is not None})
    return Payload({"answers": answers, "last_error": last_error, "defined": defined})


def _kind(value: Any) -> str:
    """What a name the exercise does not read holds, as far as messages need it (near names)."""
    if isinstance(value, types.ModuleType):
        return "module"
    if isinstance(value, types.FunctionType):
        return "function"
    return "value"


def placeholder(name: str, kind: str) -> Any:
    """Grader side: a stand-in for a defined name the exercise does not read (its value stays
    in the kernel): a module, a function that cannot be called, or a plain object."""
    if kind == "module":
        return types.ModuleType(name)
    if kind == "function":
        def unread(*args, **kwargs):
            raise Unsupported(f"`{name}` is not one of this exercise's answers")
        unread.__name__ = name
        return unread
    return object()


def call(request: str) -> Payload:
    """Kernel side: call an exported function on inputs the grader chose; encode the outcome."""
    try:
        data = json.loads(request)
        function = _OBJECTS[int(data["ref"])]
        args = [decode(item) for item in data["args"]]
        kwargs = {key: decode(item) for key, item in data["kwargs"].items()}
    except Exception as error:  # noqa: BLE001
        return Payload({"error": _error(error), "internal": True})
    from course.figures import closing_new_figures

    with closing_new_figures():  # as a check run in the notebook does
        try:
            result = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - the student's code failed: report it
            return Payload({"error": _error(error)})
        try:
            return Payload({"result": encode(result, opaque=True)})
        except Exception as error:  # noqa: BLE001
            return Payload({"result": {"t": "unsupported", "what": f"an object the grader could not read "
                                                                  f"({type(error).__name__})"}})


# ---------------------------------------------------------------- decoding (both sides)

def _load_npy(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def decode(data: dict, remote: Callable[[int, str], Any] | None = None,
           seen: dict[int, Any] | None = None) -> Any:
    """The value ``encode`` described; never runs code from the data (no pickle, safe_mode).

    ``remote(ref, name)`` makes the stand-in for an exported function (grader side);
    ``seen`` maps reference numbers to what they decoded to, so identity survives.
    """
    kind = data.get("t")
    if kind == "ref":
        if seen is not None and int(data["ref"]) in seen:
            return seen[int(data["ref"])]
        return _OBJECTS[int(data["ref"])]
    if kind == "json":
        return data["v"]
    if kind in ("npy", "tensor"):
        array = _load_npy(data["v"])
        if kind == "tensor":
            import tensorflow as tf

            return tf.constant(array)
        return array
    if kind == "scalar":
        return _load_npy(data["v"])[()]
    if kind in ("list", "tuple"):
        items = [decode(item, remote, seen) for item in data["v"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {key: decode(item, remote, seen) for key, item in data["v"].items()}
    if kind == "record":
        return _record(data["class"], {key: decode(item, remote, seen) for key, item in data["v"].items()})
    if "ref" in data and seen is not None and int(data["ref"]) in seen:
        return seen[int(data["ref"])]
    value = _decode_object(kind, data, remote)
    if "ref" in data and seen is not None:
        seen[int(data["ref"])] = value
    return value


def _record(name: Any, fields: dict) -> Any:
    """A course data class (looked up in the course's own modules, by name) built from its fields."""
    import importlib

    module_name, _, class_name = str(name).rpartition(".")
    if not module_name.startswith("course."):
        raise Unsupported(f"an unknown kind of record ({name!r})")
    try:
        cls = getattr(importlib.import_module(module_name), class_name, None)
    except ImportError:
        cls = None
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)) \
            or set(fields) != {field.name for field in dataclasses.fields(cls)}:
        raise Unsupported(f"an unknown kind of record ({name!r})")
    return cls(**fields)


def stand_in(type_name: str, module: bool = False) -> Any:
    """Grader side: what a function returned that cannot cross (pyplot, matplotlib Axes, a
    KerasTensor...): an object with its type's name only, so a check describes it as it would
    describe the real value ("it returned Axes", "a module"); nothing of it can be used."""
    name = str(type_name) or "object"
    if module:  # the module's own name (``matplotlib.pyplot``): its type is ``module``
        return types.ModuleType(name)
    cls = type(name, (), {"__slots__": (), "__module__": "student",
                          "__repr__": lambda self: f"<{name} object>"})
    return cls()


def _decode_object(kind: str, data: dict, remote) -> Any:
    if kind == "opaque":
        return stand_in(data.get("type", "object"), bool(data.get("module")))
    if kind == "history":
        import keras

        history = keras.callbacks.History()
        history.history = data["v"].get("history", {})
        history.params = data["v"].get("params", {})
        history.epoch = [int(epoch) for epoch in data["v"].get("epoch", [])]  # as fit sets it: 0, 1, ...
        return history
    if kind == "layer":
        import keras

        layer = keras.saving.deserialize_keras_object(data["v"], safe_mode=True)
        if not isinstance(layer, keras.layers.Layer) or isinstance(layer, keras.Model):
            raise Unsupported("something that is not a Keras layer")
        weights = [_load_npy(w) for w in data.get("weights", [])]
        if weights:
            layer.set_weights(weights)
            if hasattr(layer, "finalize_state"):
                layer.finalize_state()
        return layer
    if kind == "model":
        return _decode_model(data)
    if kind == "figure":
        points = data.get("p") or [[] for _ in data["v"]]
        return _figure([[_load_npy(line) for line in lines] for lines in data["v"]],
                       [[_load_npy(values) for values in axes] for axes in points])
    if kind == "function":
        if remote is None:
            raise Unsupported("a function (functions are called in the student's kernel)")
        return remote(int(data["ref"]), data.get("name", "function"))
    if kind == "unsupported":
        raise Unsupported(data.get("what", "an object"))
    raise Unsupported(f"an unknown kind of answer ({kind!r})")


def _offsets(collection: Any) -> np.ndarray | None:
    """Kernel side: a scatter's points as an (n, 2) array of floats; None for other collections."""
    try:
        offsets = np.asarray(collection.get_offsets(), dtype=float)
    except (AttributeError, TypeError, ValueError):
        return None
    return offsets if offsets.ndim == 2 and offsets.shape[1] == 2 else None


class ExportedPoints:
    """Grader side: one scatter of a student's figure, as it crossed: its points' y values."""

    def __init__(self, values: np.ndarray) -> None:
        self._values = np.asarray(values, dtype=float)

    def get_offsets(self) -> np.ndarray:
        return np.column_stack([np.arange(1, len(self._values) + 1), self._values])


class ExportedAxes:
    """Grader side: one axes of a student's figure, as it crossed: its lines and scattered points."""

    def __init__(self, lines: list, points: list | None = None) -> None:
        self._lines = lines
        self.collections = list(points or [])

    def get_lines(self) -> list:
        return list(self._lines)

    def __repr__(self) -> str:
        return f"<Axes with {len(self._lines)} lines>"


def _figure(axes_values: list[list[np.ndarray]], axes_points: list[list[np.ndarray]]) -> Any:
    """Grader side: a matplotlib ``Figure`` holding what crossed, each axes' lines and scattered
    points (y values over epochs 1, 2, ...), without building matplotlib Axes (ticks, spines, text:
    6 ms each)."""
    from matplotlib.lines import Line2D

    figure = _exported_figure_class()()
    figure.exported_axes = [ExportedAxes([Line2D(np.arange(1, len(values) + 1), values) for values in lines],
                                         [ExportedPoints(values) for values in points])
                            for lines, points in zip(axes_values, axes_points)]
    return figure


@functools.cache
def _exported_figure_class() -> type:
    """Made on first use: matplotlib is imported only where a figure crosses."""
    from matplotlib.figure import Figure

    class ExportedFigure(Figure):
        """A Figure whose ``axes`` are the exported ones (:class:`ExportedAxes`)."""

        exported_axes: list | tuple = ()  # Figure.__init__ reads ``axes`` before they are set

        @property
        def axes(self) -> list:
            return list(self.exported_axes)

    return ExportedFigure


def _decode_model(data: dict) -> Any:
    """A Keras model from its config (compile settings included), weights and optimizer state,
    as ``keras.saving.load_model`` rebuilds a ``.keras`` file, with the same ``safe_mode=True``."""
    import keras

    if not isinstance(data.get("v"), dict):
        raise Unsupported("a Keras model in an unknown format")
    model = keras.saving.deserialize_keras_object(data["v"], safe_mode=True)
    if not isinstance(model, keras.Model):
        raise Unsupported("something that is not a Keras model")
    if isinstance(data.get("compile"), dict):  # compiled with a Keras class (no ``()``)
        model.compile(**_compile_settings(data["compile"]))
    weights = [_load_npy(w) for w in data.get("weights", [])]
    if weights:
        model.set_weights(weights)
        for layer in model._flatten_layers(include_self=False):
            if hasattr(layer, "finalize_state"):  # e.g. Normalization's mean/variance from its weights
                layer.finalize_state()
    state = [_load_npy(v) for v in data.get("optimizer", [])]
    optimizer = getattr(model, "optimizer", None)
    if state and optimizer is not None:
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        variables = list(optimizer.variables)
        if [tuple(v.shape) for v in variables] == [array.shape for array in state]:
            for variable, array in zip(variables, state):
                variable.assign(array)
        else:  # e.g. layers frozen after training: keep what still fits, the step count first
            for variable, array in zip(variables, state):
                if tuple(variable.shape) != array.shape:
                    break
                variable.assign(array)
    return model


def encode_input(value: Any, refs: dict[int, int]) -> dict:
    """Grader side: an input for a student's function; objects that came from the kernel go back
    as references (``refs`` maps ``id(object)`` to the kernel's reference number)."""
    if id(value) in refs:
        return {"t": "ref", "ref": refs[id(value)]}
    if type(value) in (list, tuple):
        return {"t": type(value).__name__, "v": [encode_input(item, refs) for item in value]}
    if type(value) is dict:
        return {"t": "dict", "v": {key: encode_input(item, refs) for key, item in value.items()}}
    return encode(value)


def request_code(kind: str, argument: Any) -> str:
    """The expression the grader asks the kernel to evaluate (a user expression, not a cell)."""
    return f"__import__('course.answers').answers.{kind}({argument!r})"
