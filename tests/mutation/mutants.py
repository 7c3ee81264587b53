"""Mutants of a lesson's reference answers, made with the ast module.

Each mutant changes one element inside a ``### BEGIN SOLUTION`` region of an answer cell
and records what it changed (``element``) and the words a message must contain to name
that change or its effect (``names``), so a runner can judge the feedback automatically.
"""
from __future__ import annotations

import ast
import builtins
import copy
from dataclasses import dataclass, field
from typing import Iterator

#: Near-neighbour functions and methods beginners confuse: name -> [(swap, words naming it)].
NEIGHBOURS: dict[str, list[tuple[str, list[str]]]] = {
    "mean": [("median", ["median"]), ("sum", ["sum", "a count"])],
    "median": [("mean", ["mean"])],
    "std": [("var", ["variance", "var"]), ("ptp", ["range", "ptp"])],
    "var": [("std", ["standard deviation", "std"])],
    "max": [("min", ["min(", ".min"])],
    "min": [("max", ["max(", ".max"])],
    "predict": [("evaluate", ["evaluate"])],
    "evaluate": [("predict", ["predict"])],
    "inputs": [("outputs", ["outputs"])],
    "outputs": [("inputs", ["inputs"])],
    "input": [("output", ["output"])],
    "output": [("input", ["input"])],
    "Sequential": [("Model", ["Model"])],
    "Normalization": [("BatchNormalization", ["BatchNormalization"])],
    "Dense": [("Dropout", ["Dropout"])],
    "shape": [("size", ["size"])],
    "plot": [("scatter", ["scatter"]), ("bar", ["bar"])],
}

#: String constants and the neighbours a beginner writes instead.
STRING_SWAPS: dict[str, list[str]] = {
    "relu": ["sigmoid", "linear", "tanh"],
    "sigmoid": ["relu", "softmax", "linear"],
    "adam": ["sgd"],
    "binary_crossentropy": ["mse", "categorical_crossentropy"],
    "accuracy": ["mae", "auc"],
    "loss": ["val_loss", "accuracy"],
    "A": ["B"], "B": ["C"], "C": ["D"], "D": ["A"],
}

COMPARE_SWAPS = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
                 ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.FloorDiv,
               ast.FloorDiv: ast.Div}
SYMBOLS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!=",
           ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//"}


@dataclass
class Mutant:
    """One changed answer cell: what changed, the words that name it, and the new source."""

    lesson: str
    cell: str            # the answer cell's grade_id
    operator: str        # the kind of mutation
    element: str         # the mutated element, as a reader sees it: "np.std -> np.var"
    names: list[str]     # words a message must contain to name the mutation or its effect
    source: str          # the mutated cell
    line: int = 0
    extra: dict = field(default_factory=dict)


def solution_lines(source: str) -> set[int]:
    """Line numbers (1-based) inside ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` regions."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), 1):
        if "### BEGIN SOLUTION" in line:
            inside = True
        elif "### END SOLUTION" in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _in_solution(node: ast.AST, lines: set[int]) -> bool:
    return getattr(node, "lineno", None) in lines


def _callee(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _nodes(tree: ast.AST) -> list[ast.AST]:
    return list(ast.walk(tree))


def _variants(tree: ast.Module, lines: set[int]) -> Iterator[tuple[str, str, list[str], int, ast.Module]]:
    """(operator, element, names, line, mutated tree) for every single-element mutation."""
    count = len(_nodes(tree))
    for index in range(count):
        original = _nodes(tree)[index]
        if not _in_solution(original, lines):
            continue
        for operator, element, names, change in _mutations_of(original, tree):
            mutated = copy.deepcopy(tree)
            target = _nodes(mutated)[index]
            if change(target, mutated):
                ast.fix_missing_locations(mutated)
                yield operator, element, names, original.lineno, mutated


def _mutations_of(node: ast.AST, tree: ast.Module):
    """(operator, element, names, change(node, tree) -> applied) for one node."""
    text = ast.unparse(node) if not isinstance(node, (ast.stmt,)) else ast.unparse(node).splitlines()[0]
    keyword = ""
    if isinstance(node, ast.keyword) and isinstance(node.value, ast.Constant):
        keyword, node = node.arg or "", node.value
    elif isinstance(node, ast.Constant) and id(node) in _keyword_values(tree):
        return
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            news = [value + 1, value - 1] if isinstance(value, int) else [value * 2, round(value / 2, 4)]
            if value == 0:
                news = [1]
            for new in news:
                yield ("constant", f"{keyword + '=' if keyword else ''}{value!r} -> {new!r}",
                       [str(new)] + ([keyword] if keyword else []),
                       lambda n, t, new=new: setattr(_constant(n), "value", new) or True)
        elif isinstance(value, str):
            for new in STRING_SWAPS.get(value, []):
                yield ("constant", f"{keyword + '=' if keyword else ''}{value!r} -> {new!r}", [new],
                       lambda n, t, new=new: setattr(_constant(n), "value", new) or True)
    if isinstance(node, ast.Attribute) and node.attr in NEIGHBOURS:
        for new, words in NEIGHBOURS[node.attr]:
            yield ("neighbour", f".{node.attr} -> .{new}", words,
                   lambda n, t, new=new: setattr(n, "attr", new) or True)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE_SWAPS:
        old = type(node.ops[0])
        new = COMPARE_SWAPS[old]
        yield ("neighbour", f"{SYMBOLS[old]} -> {SYMBOLS[new]}", [SYMBOLS[new]],
               lambda n, t, new=new: (n.ops.__setitem__(0, new()) or True))
    if isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
        old = type(node.op)
        new = BINOP_SWAPS[old]
        yield ("neighbour", f"{text}: {SYMBOLS[old]} -> {SYMBOLS[new]}", [SYMBOLS[new]],
               lambda n, t, new=new: setattr(n, "op", new()) or True)
    if isinstance(node, ast.Call):
        callee = _callee(node) or "call"
        for position, keyword in enumerate(node.keywords):
            if keyword.arg is None:
                continue
            yield ("drop argument", f"{callee}(..., {keyword.arg}=...) dropped", [keyword.arg],
                   lambda n, t, position=position: n.keywords.pop(position) and True)
        if node.args:
            last = ast.unparse(node.args[-1])
            yield ("drop argument", f"{callee}: argument {last} dropped",
                   [last, f"{callee}() is missing"],
                   lambda n, t: n.args.pop() and True)
            for position, argument in enumerate(node.args):
                if isinstance(argument, ast.Name) and argument.id not in dir(builtins):
                    yield ("transpose", f"{callee}({argument.id}.T)", ["transposed", "swapped", ".T"],
                           lambda n, t, position=position: _wrap(n, position, "T"))
                    yield ("reshape", f"{callee}({argument.id}[..., None]) (an extra axis)",
                           ["extra axis", "axis", "shape", "dimension"],
                           lambda n, t, position=position: _extra_axis(n, position))
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        callee = _callee(node.value) or "call"
        yield ("drop call", f"{text} removed", [callee],
               lambda n, t: _replace_statement(t, n, []))
        yield ("repeat call", f"{text} run twice", [callee, "twice", "again"],
               lambda n, t: _replace_statement(t, n, [n, copy.deepcopy(n)]))
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        old = node.targets[0].id
        new = {"x": "X", "y": "Y"}.get(old, old + "s" if not old.endswith("s") else old[:-1])
        yield ("rename", f"{old} -> {new}", [old, new],
               lambda n, t, old=old, new=new: _rename(t, old, new, n))
    if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple)
            and len(node.targets[0].elts) == 2):
        first, second = (ast.unparse(e) for e in node.targets[0].elts)
        yield ("swap", f"{first}, {second} -> {second}, {first}", [first, second, "swapped"],
               lambda n, t: n.targets[0].elts.reverse() or True)


def _keyword_values(tree: ast.Module) -> set[int]:
    return {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.keyword)}


def _constant(node: ast.AST) -> ast.Constant:
    return node.value if isinstance(node, ast.keyword) else node  # type: ignore[return-value]


def _wrap(call: ast.Call, position: int, attribute: str) -> bool:
    call.args[position] = ast.Attribute(value=call.args[position], attr=attribute, ctx=ast.Load())
    return True


def _extra_axis(call: ast.Call, position: int) -> bool:
    call.args[position] = ast.Subscript(
        value=call.args[position], ctx=ast.Load(),
        slice=ast.Tuple(elts=[ast.Constant(Ellipsis), ast.Constant(None)], ctx=ast.Load()))
    return True


def _replace_statement(tree: ast.Module, statement: ast.stmt, replacement: list[ast.stmt]) -> bool:
    for parent in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(parent, name, None)
            if isinstance(body, list) and any(item is statement for item in body):
                at = next(i for i, item in enumerate(body) if item is statement)
                new = replacement or ([ast.Pass()] if len(body) == 1 else [])
                body[at:at + 1] = new
                return True
    return False


def _rename(tree: ast.Module, old: str, new: str, assign: ast.Assign) -> bool:
    """Rename the assigned name everywhere from this assignment on, in the same scope (later uses
    follow the new name, as a student who renames consistently would write), leaving what the
    notebook's checks read by the old name undefined."""
    start = assign.lineno
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == old and node.lineno >= start:
            node.id = new
    return True


def _moved_below(tree: ast.Module, lines: set[int]) -> Iterator[tuple[str, str, list[str], int, ast.Module]]:
    """A top-level assignment of the solution moved to a cell below the test (a student who wrote
    it in the next cell, or ran the cells out of order): the test runs without it."""
    for index, statement in enumerate(tree.body):
        if not (isinstance(statement, ast.Assign) and _in_solution(statement, lines)):
            continue
        names = [n.id for target in statement.targets for n in ast.walk(target) if isinstance(n, ast.Name)]
        mutated = copy.deepcopy(tree)
        del mutated.body[index]
        if not mutated.body:
            mutated.body.append(ast.Pass())
        yield ("move to a later cell", f"{ast.unparse(statement).splitlines()[0]} moved below the test",
               names, statement.lineno, mutated)


def _compared_not_assigned(tree: ast.Module, lines: set[int]) -> Iterator[tuple[str, str, list[str], int, ast.Module]]:
    """A top-level assignment written with == (a comparison whose result is dropped)."""
    for index, statement in enumerate(tree.body):
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and _in_solution(statement, lines)):
            continue
        target = copy.deepcopy(statement.targets[0])
        for node in ast.walk(target):
            if hasattr(node, "ctx"):
                node.ctx = ast.Load()
        mutated = copy.deepcopy(tree)
        mutated.body[index] = ast.Expr(ast.Compare(target, [ast.Eq()], [copy.deepcopy(statement.value)]))
        yield ("compare instead of assign", f"{ast.unparse(statement.targets[0])} = -> ==", ["=="],
               statement.lineno, mutated)


def mutants(lesson: str, cell: str, source: str) -> list[Mutant]:
    """Every single-element mutant of one answer cell (deduplicated by resulting source)."""
    tree = ast.parse(source)
    lines = solution_lines(source)
    reference = ast.unparse(tree)
    seen, found = {reference}, []
    for operator, element, names, line, mutated in [*_variants(tree, lines), *_moved_below(tree, lines),
                                                     *_compared_not_assigned(tree, lines)]:
        text = ast.unparse(mutated)
        if text in seen:
            continue
        seen.add(text)
        found.append(Mutant(lesson, cell, operator, element, names, text, line))
    return found
