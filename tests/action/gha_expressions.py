"""A small evaluator for GitHub Actions `${{ }}` expressions, as the runner evaluates them.

Covers what action.yml and workflows use: literals, context paths (`inputs.x`, `github.event.x`,
`steps.id.outputs.x`, `env.x`, `x['y']`), `!`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`
(which return an operand, not a boolean), parentheses, and the functions `success()`,
`always()`, `failure()`, `cancelled()`, `contains()`, `startsWith()`, `endsWith()`, `format()`,
`toJSON()` and `fromJSON()`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<str>'(?:[^']|'')*')"
    r"|(?P<op>\|\||&&|==|!=|<=|>=|[!<>()\[\].,*])|(?P<ident>[A-Za-z_][A-Za-z0-9_-]*))"
)
_INTERPOLATION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


class ExpressionError(Exception):
    pass


def truthy(value: Any) -> bool:
    """GitHub's truthiness: false, 0, -0, '', null and NaN are falsy."""
    if value is None or value is False or value == "":
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not math.isnan(value)
    return True


def to_string(value: Any) -> str:
    """How a value is interpolated into a string."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2)
    return str(value)


def _to_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        a: Any = left.casefold()
        b: Any = right.casefold()
    elif type(left) is type(right) and isinstance(left, (dict, list)):
        a, b = id(left), id(right)
        if op not in ("==", "!="):
            return False
    else:
        a, b = _to_number(left), _to_number(right)
        if math.isnan(a) or math.isnan(b):
            return op == "!="
    return {
        "==": a == b,
        "!=": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    contexts: Mapping[str, Any]
    status: Mapping[str, bool]
    pos: int = 0
    used_status: list[str] = field(default_factory=list)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value!r} at token {self.pos}, got {token}")
        self.pos += 1
        return token

    def expression(self) -> Any:
        left = self.conjunction()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.conjunction()
            left = left if truthy(left) else right
        return left

    def conjunction(self) -> Any:
        left = self.comparison()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.comparison()
            left = right if truthy(left) else left
        return left

    def comparison(self) -> Any:
        left = self.unary()
        token = self.peek()
        while token is not None and token[1] in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            left = _compare(token[1], left, self.unary())
            token = self.peek()
        return left

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if (kind, text) == ("op", "("):
            value = self.expression()
            self.take(")")
            return value
        if kind != "ident":
            raise ExpressionError(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == ("op", "("):
            return self.call(text)
        if text not in self.contexts:
            raise ExpressionError(f"unknown context {text!r}")
        return self.contexts[text]

    def postfix(self, value: Any) -> Any:
        while True:
            token = self.peek()
            if token == ("op", "."):
                self.take()
                _, name = self.take()
                value = _index(value, name)
            elif token == ("op", "["):
                self.take()
                key = self.expression()
                self.take("]")
                value = _index(value, key)
            else:
                return value

    def call(self, name: str) -> Any:
        self.take("(")
        args: list[Any] = []
        while self.peek() != ("op", ")"):
            args.append(self.expression())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        lowered = name.lower()
        if lowered in ("success", "always", "failure", "cancelled"):
            self.used_status.append(lowered)
            return self.status[lowered]
        functions: dict[str, Callable[..., Any]] = {
            "contains": _contains,
            "startswith": lambda a, b: to_string(a).casefold().startswith(to_string(b).casefold()),
            "endswith": lambda a, b: to_string(a).casefold().endswith(to_string(b).casefold()),
            "format": _format,
            "tojson": lambda v: json.dumps(v, indent=2),
            "fromjson": lambda v: json.loads(to_string(v)),
        }
        if lowered not in functions:
            raise ExpressionError(f"unknown function {name}()")
        return functions[lowered](*args)


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, Mapping):
        wanted = to_string(key).casefold()
        for k, v in value.items():
            if str(k).casefold() == wanted:
                return v
        return None
    if isinstance(value, list) and isinstance(key, float) and key.is_integer():
        index = int(key)
        return value[index] if 0 <= index < len(value) else None
    return None


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list):
        return any(_compare("==", item, needle) for item in haystack)
    return to_string(needle).casefold() in to_string(haystack).casefold()


def _format(template: Any, *args: Any) -> str:
    text = to_string(template)
    for index, arg in enumerate(args):
        text = text.replace("{" + str(index) + "}", to_string(arg))
    return text.replace("{{", "{").replace("}}", "}")


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"cannot parse {text[pos:]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


@dataclass(frozen=True)
class Evaluation:
    value: Any
    used_status: bool


def evaluate(
    text: str, contexts: Mapping[str, Any], status: Mapping[str, bool] | None = None
) -> Evaluation:
    """Evaluate one expression (the text between `${{` and `}}`)."""
    parser = _Parser(
        _tokenize(text),
        contexts,
        status or {"success": True, "always": True, "failure": False, "cancelled": False},
    )
    value = parser.expression()
    if parser.peek() is not None:
        raise ExpressionError(f"trailing tokens in {text!r}")
    return Evaluation(value, bool(parser.used_status))


def interpolate(text: str, contexts: Mapping[str, Any]) -> str:
    """Replace every `${{ expr }}` in text by its string value."""
    return _INTERPOLATION.sub(lambda m: to_string(evaluate(m.group(1), contexts).value), text)


def condition(text: str, contexts: Mapping[str, Any], status: Mapping[str, bool]) -> bool:
    """An `if:` value: `${{ }}` optional; without a status function it means success() && (…)."""
    stripped = text.strip()
    match = _INTERPOLATION.fullmatch(stripped)
    expression = match.group(1) if match else stripped
    result = evaluate(expression, contexts, status)
    if not result.used_status and not status["success"]:
        return False
    return truthy(result.value)
