"""A formula ``f(x, y)`` typed by the user, parsed by a whitelist into torch operations.

The text is parsed by Python's :mod:`ast` (no code runs: ``ast.parse`` only builds a tree) and the
tree is walked node by node; anything not on the list is refused. Allowed: the variables ``x``
and ``y``; numbers; the constants ``pi`` and ``e``; ``+ - * / **`` and unary minus (and plus);
the functions ``sin cos tan exp log sqrt abs tanh sigmoid softplus`` (one argument), ``min max``
(two) and ``where(condition, a, b)``, whose condition is a comparison (``x < y``) or a value
(true where it is not zero). Never ``eval``/``exec``: no attribute access, subscripts, names,
calls, lambdas or comprehensions outside that list.

Limits keep refusals fast: at most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` levels of
nesting. Parts without ``x`` or ``y`` are computed once, in float64 (never with Python's exact
integers, so ``9**9**9**9`` costs nothing), and refused unless finite.

Every refusal is one :class:`ExpressionError` (a :class:`ConfigError`) naming the field, with the
position of the offending part, so an editor can underline it.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from optim_core.errors import ConfigError

#: the longest expression accepted, in characters
MAX_LENGTH = 2000
#: the deepest nesting of operations accepted
MAX_DEPTH = 60

Value = torch.Tensor | float
Compiled = Callable[[torch.Tensor, torch.Tensor], Value]

UNARY_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softplus": F.softplus,
}
BINARY_FUNCTIONS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "min": torch.minimum,
    "max": torch.maximum,
}
FUNCTIONS = (*UNARY_FUNCTIONS, *BINARY_FUNCTIONS, "where")
CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")

_BINARY_OPERATORS: dict[type, Callable[[Value, Value], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_COMPARISONS: dict[type, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    ast.Lt: torch.lt,
    ast.LtE: torch.le,
    ast.Gt: torch.gt,
    ast.GtE: torch.ge,
}
_OPERATOR_SYMBOLS = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not",
    ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
    ast.NotIn: "not in",
}

ALLOWED = (
    "allowed: x, y, numbers, pi, e, + - * / ** and unary minus, "
    f"{' '.join(UNARY_FUNCTIONS)} of one argument, min(a, b), max(a, b), "
    f"where(condition, a, b); at most {MAX_LENGTH} characters, {MAX_DEPTH} levels deep"
)


class ExpressionError(ConfigError):
    """A refused expression: ``position`` (0-based, in characters) and ``length`` of the bad part.

    The message says ``column position + 1`` and why, then what is allowed.
    """

    def __init__(self, field: str, text: str, position: int, length: int, reason: str) -> None:
        self.position = max(0, min(position, len(text)))
        self.length = max(1, length)
        self.reason = reason
        super().__init__(field, _shown(text), f"column {self.position + 1}: {reason}; {ALLOWED}")


@dataclass(frozen=True)
class Expression:
    """A parsed formula: call it with ``x`` and ``y`` tensors of one shape to get ``f(x, y)``."""

    text: str
    uses_variables: bool
    _compiled: Compiled

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        value = self._compiled(x, y)
        if not self.uses_variables:  # a constant: keep the shape and a (zero) gradient
            return value + 0 * x + 0 * y
        return value


def parse_expression(text: object, field: str = "problem.expression") -> Expression:
    """Parse ``text`` into an :class:`Expression`, or raise :class:`ExpressionError`."""
    if not isinstance(text, str):
        raise ConfigError(field, text, "a formula in x and y as a string, e.g. 'x**2 + 3*y**2'")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(field, text, MAX_LENGTH, len(text) - MAX_LENGTH,
                              f"longer than {MAX_LENGTH} characters ({len(text)})")
    if not text.strip():
        raise ExpressionError(field, text, 0, len(text), "empty; type a formula in x and y")
    tree = _syntax_tree(text, field)
    builder = _Builder(text, field)
    compiled = builder.build(tree.body, 0)
    return Expression(text=text, uses_variables=builder.uses_variables,
                      _compiled=_as_function(compiled))


def _syntax_tree(text: str, field: str) -> ast.Expression:
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as exc:
        position = _offset(text, exc.lineno or 1, (exc.offset or 1) - 1, in_bytes=False)
        reason = (exc.msg or "invalid syntax").split(" (")[0]
        if "null bytes" in reason:
            position = text.find("\0")
        raise ExpressionError(field, text, position, 1, reason) from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        position = text.find("\0") if "\0" in text else 0
        reason = "nested too deeply" if isinstance(exc, RecursionError | MemoryError) \
            else "not a formula"
        raise ExpressionError(field, text, position, 1, reason) from None


class _Builder:
    """Walks the tree, checking each node and turning it into a float or a function of x, y."""

    def __init__(self, text: str, field: str) -> None:
        self.text = text
        self.field = field
        self.uses_variables = False

    def refuse(self, node: ast.AST, reason: str) -> ExpressionError:
        lineno = getattr(node, "lineno", 1)
        start = _offset(self.text, lineno, getattr(node, "col_offset", 0))
        end_line = getattr(node, "end_lineno", None) or lineno
        end_col = getattr(node, "end_col_offset", None)
        end = start + 1 if end_col is None else _offset(self.text, end_line, end_col)
        return ExpressionError(self.field, self.text, start, end - start, reason)

    def build(self, node: ast.AST, depth: int) -> Compiled | float:
        if depth > MAX_DEPTH:
            raise self.refuse(node, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Compare):
            raise self.refuse(node, "a comparison only as where's condition")
        raise self.refuse(node, f"{_describe(node)} is not allowed")

    def _number(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.refuse(node, f"{_describe(node)} is not allowed")
        try:
            number = float(value)
        except OverflowError:
            raise self.refuse(node, "a number too large") from None
        if not math.isfinite(number):
            raise self.refuse(node, "a number too large")
        return number

    def _name(self, node: ast.Name) -> Compiled | float:
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in VARIABLES:
            self.uses_variables = True
            return (lambda x, y: x) if node.id == "x" else (lambda x, y: y)
        if node.id in FUNCTIONS:
            raise self.refuse(node, f"{node.id} is a function: write {node.id}(...)")
        raise self.refuse(node, f"unknown name {_clip(node.id)!r}; the variables are x and y")

    def _binary(self, node: ast.BinOp, depth: int) -> Compiled | float:
        operator = _BINARY_OPERATORS.get(type(node.op))
        if operator is None:
            raise self.refuse(node, f"the operator {_OPERATOR_SYMBOLS.get(type(node.op), '?')} "
                                    "is not allowed")
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        return self._combine(node, lambda a, b: operator(a, b), (left, right))

    def _unary(self, node: ast.UnaryOp, depth: int) -> Compiled | float:
        if isinstance(node.op, ast.USub):
            return self._combine(node, lambda a: -a, (self.build(node.operand, depth + 1),))
        if isinstance(node.op, ast.UAdd):
            return self.build(node.operand, depth + 1)
        raise self.refuse(node, f"the operator {_OPERATOR_SYMBOLS.get(type(node.op), '?')} "
                                "is not allowed")

    def _call(self, node: ast.Call, depth: int) -> Compiled | float:
        if not isinstance(node.func, ast.Name):
            raise self.refuse(node.func, "only calls of the listed functions by name")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.refuse(node.func, f"unknown function {_clip(name)!r}")
        if node.keywords:
            raise self.refuse(node.keywords[0], f"{name} takes no keyword arguments")
        count = 1 if name in UNARY_FUNCTIONS else 2 if name in BINARY_FUNCTIONS else 3
        if len(node.args) != count or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.refuse(node, f"{name} takes {count} argument{'s' if count > 1 else ''}")
        if name == "where":
            return self._where(node, depth)
        args = tuple(self.build(arg, depth + 1) for arg in node.args)
        function = UNARY_FUNCTIONS.get(name) or BINARY_FUNCTIONS[name]
        return self._combine(node, function, args, tensors=True)

    def _where(self, node: ast.Call, depth: int) -> Compiled | float:
        test = node.args[0]
        if isinstance(test, ast.Compare):
            if len(test.ops) != 1 or type(test.ops[0]) not in _COMPARISONS:
                raise self.refuse(test, "one comparison: <, <=, > or >=")
            compare = _COMPARISONS[type(test.ops[0])]
            sides = (self.build(test.left, depth + 2), self.build(test.comparators[0], depth + 2))
            condition = self._combine(test, compare, sides, tensors=True)
        else:
            condition = self._combine(test, lambda a: a != 0,
                                      (self.build(test, depth + 1),), tensors=True)
        branches = tuple(self.build(arg, depth + 1) for arg in node.args[1:])
        return self._combine(node, torch.where, (condition, *branches), tensors=True)

    def _combine(self, node: ast.AST, function: Callable[..., object],
                 args: tuple[Compiled | float, ...], tensors: bool = False) -> Compiled | float:
        """``function`` of ``args``: computed now (float64) when all are constants."""
        if all(isinstance(a, float | bool) for a in args):
            return self._fold(node, function, args)
        parts = tuple(_as_function(a) for a in args)
        if tensors:
            def apply(x: torch.Tensor, y: torch.Tensor) -> Value:
                return function(*(_as_tensor(p(x, y), x) for p in parts))
        else:
            def apply(x: torch.Tensor, y: torch.Tensor) -> Value:
                return function(*(p(x, y) for p in parts))
        return apply

    def _fold(self, node: ast.AST, function: Callable[..., object],
              args: tuple[float | bool, ...]) -> float:
        tensors = [torch.tensor(a) if isinstance(a, bool) else torch.tensor(a, dtype=torch.float64)
                   for a in args]
        value = function(*tensors)
        if isinstance(value, torch.Tensor) and value.dtype == torch.bool:
            return bool(value)  # a constant condition
        number = float(value)  # type: ignore[arg-type]
        if not math.isfinite(number):
            raise self.refuse(node, "a constant part that overflows or is undefined")
        return number


def _as_function(value: Compiled | float | bool) -> Compiled:
    if callable(value):
        return value
    return lambda x, y: value


def _as_tensor(value: Value | bool, like: torch.Tensor) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    return torch.full_like(like, float(value)) if not isinstance(value, bool) \
        else torch.full_like(like, value, dtype=torch.bool)


def _offset(text: str, lineno: int, column: int, *, in_bytes: bool = True) -> int:
    """Offset in characters of ``column`` (UTF-8 bytes, or characters) on line ``lineno``."""
    lines = text.split("\n")
    lineno = max(1, min(lineno, len(lines)))
    before = sum(len(line) + 1 for line in lines[: lineno - 1])
    line = lines[lineno - 1]
    if in_bytes:
        column = len(line.encode("utf-8")[: max(0, column)].decode("utf-8", errors="ignore"))
    return before + max(0, min(column, len(line)))


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access (.)", ast.Subscript: "a subscript [...]",
        ast.Lambda: "lambda", ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension", ast.GeneratorExp: "a comprehension",
        ast.Tuple: "a tuple", ast.List: "a list", ast.Dict: "a dict", ast.Set: "a set",
        ast.BoolOp: "and/or", ast.IfExp: "if/else (use where)", ast.NamedExpr: ":=",
        ast.JoinedStr: "a string", ast.Await: "await", ast.Yield: "yield",
        ast.YieldFrom: "yield", ast.Starred: "*", ast.Slice: "a slice",
    }
    if isinstance(node, ast.Constant):
        kind = type(node.value).__name__
        return {"str": "a string", "bytes": "bytes", "complex": "a complex number",
                "bool": "True/False", "NoneType": "None", "ellipsis": "..."}.get(kind, kind)
    return names.get(type(node), type(node).__name__)


def _clip(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _shown(text: str, limit: int = 60) -> str:
    return _clip(text, limit)
