"""Correct answers written another way: each must pass the visible and the hidden tests.

Two rewrites are automatic (``tf.keras`` for ``keras``; NumPy methods for ``np.`` functions);
the rest are written by hand, one list per answer cell, as a student would write them.
"""
from __future__ import annotations

import ast

#: grade_id -> [(what differs, the whole answer cell)]
WRITTEN: dict[str, list[tuple[str, str]]] = {
    "l01-q1-answer": [
        ("indexing what load_data() returns", "data = load_data()\nx = data[0]\ny = data[1]"),
        ("tuple unpacking with parentheses", "(x, y) = load_data()"),
    ],
    "l01-q2-answer": [
        ("len and shape[1]", "n_samples = len(x)\nn_features = x.shape[1]"),
        ("shape indexes", "n_samples = x.shape[0]\nn_features = x.shape[1]"),
    ],
    "l01-q3-answer": [
        ("sum over length", "def positive_fraction(labels):\n    return float(sum(labels) / len(labels))\n\n\n"
                            "balance = positive_fraction(y)"),
        ("a loop", "def positive_fraction(labels):\n    ones = 0\n    for label in labels:\n"
                   "        if label == 1:\n            ones += 1\n    return ones / len(labels)\n\n\n"
                   "balance = positive_fraction(y)"),
    ],
    "l01-q4-answer": [
        ("a comprehension over columns",
         "def feature_spread(features):\n    return np.array([np.std(features[:, j]) for j in "
         "range(features.shape[1])])\n\n\nspread = feature_spread(x)\nscale_ratio = spread.max() / spread.min()"),
        ("np.max / np.min", "def feature_spread(features):\n    return features.std(axis=0)\n\n\n"
                            "spread = feature_spread(x)\nscale_ratio = np.max(spread) / np.min(spread)"),
    ],
    "l02-q1-answer": [
        ("keyword axis=-1", "def make_normalizer(features):\n    layer = keras.layers.Normalization(axis=-1)\n"
                            "    layer.adapt(features)\n    return layer\n\n\nnormalizer = make_normalizer(x)"),
    ],
    "l03-q1-answer": [
        ("keyword units", "dense_1 = keras.layers.Dense(units=64, activation='relu')\n"
                          "hidden_1 = np.asarray(dense_1(x_normalized))"),
        ("positional activation", "dense_1 = keras.layers.Dense(64, 'relu')\n"
                                  "hidden_1 = dense_1(x_normalized).numpy()"),
    ],
    "l04-q2-answer": [
        ("model.add", "def build_model(normalizer):\n    model = keras.Sequential()\n"
                      "    model.add(keras.Input(shape=(20,)))\n    model.add(normalizer)\n"
                      "    model.add(keras.layers.Dense(64, activation='relu'))\n"
                      "    model.add(keras.layers.Dense(32, activation='relu'))\n"
                      "    model.add(keras.layers.Dense(1, activation='sigmoid'))\n    return model\n\n\n"
                      "model = build_model(normalizer)"),
    ],
    "l05-q1-answer": [
        ("positional batch size", "history = model.fit(x, y, 32, 5, verbose=0)"),
    ],
    "l05-q2-answer": [
        ("a loop over history.epoch",
         "def epoch_table(history):\n    rows = []\n    for i in history.epoch:\n"
         "        rows.append((i + 1, history.history['loss'][i], history.history['accuracy'][i]))\n"
         "    return rows\n\n\nfor epoch, loss, accuracy in epoch_table(history):\n"
         "    print(f'epoch {epoch}: loss {loss:.2f}  accuracy {accuracy:.2f}')"),
    ],
    "l06-q3-answer": [
        ("np.where", "def to_classes(probabilities):\n    return np.where(np.ravel(probabilities) > 0.5, 1, 0)\n\n\n"
                     "predicted = to_classes(model.predict(x, verbose=0))"),
    ],
}

NUMPY_METHODS = {"mean", "std", "var", "sum", "max", "min"}


class _TfKeras(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == "keras" and isinstance(node.ctx, ast.Load):
            return ast.copy_location(ast.Attribute(ast.Name("tf", ast.Load()), "keras", ast.Load()), node)
        return node


class _NumpyMethods(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "np"
                and func.attr in NUMPY_METHODS and node.args):
            first, *rest = node.args
            target = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "asarray", ast.Load()), [first], [])
            return ast.copy_location(ast.Call(ast.Attribute(target, func.attr, ast.Load()), rest,
                                              node.keywords), node)
        return node


def automatic(source: str) -> list[tuple[str, str]]:
    """The automatic rewrites that change this cell (none when it has nothing to rewrite)."""
    tree = ast.parse(source)
    found = []
    reference = ast.unparse(tree)
    tf_keras = ast.unparse(ast.fix_missing_locations(_TfKeras().visit(ast.parse(source))))
    if tf_keras != reference:
        found.append(("tf.keras instead of keras", "import tensorflow as tf\n" + tf_keras))
    methods = ast.unparse(ast.fix_missing_locations(_NumpyMethods().visit(ast.parse(source))))
    if methods != reference:
        found.append(("NumPy methods instead of np. functions", methods))
    return found


def variants(grade_id: str, source: str) -> list[tuple[str, str]]:
    """Every correct rewrite of one answer cell."""
    return automatic(source) + WRITTEN.get(grade_id, [])
