"""MLflow's search syntax: ``filter_string`` and ``order_by`` read into plain values (pure).

A filter is comparisons joined by ``AND`` (MLflow has no ``OR``)::

    metrics.acc > 0.9 AND params.lr = '0.01' AND tags."mlflow.runName" LIKE 'tune-%'

An identifier is ``KIND.KEY`` with KIND one of metrics, params, tags, attributes (MLflow's
singular forms and ``attr``/``run`` are read too); a key with spaces or dots is quoted with
double quotes or backticks. A bare run attribute (``status = 'FINISHED'``) reads as
``attributes.status``. Metrics compare with ``= != < <= > >=`` against a number; params, tags
and string attributes with ``= !=``, ``LIKE``, ``ILIKE`` against a quoted string, and ``IN`` /
``NOT IN`` against a list of them (``attributes.run_id IN ('a', 'b')``).

Every malformed input raises ``SearchSyntaxError`` (400, MLflow's INVALID_PARAMETER_VALUE)
saying where it went wrong and what to write instead. The parser is a tokenizer and a small
recursive reader, not regular expressions over the whole text, so quotes and keywords inside
strings never confuse it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from server.errors import SearchSyntaxError

Kind = Literal["metrics", "params", "tags", "attributes"]

_KINDS: dict[str, Kind] = {
    "metric": "metrics",
    "metrics": "metrics",
    "param": "params",
    "params": "params",
    "parameter": "params",
    "parameters": "params",
    "tag": "tags",
    "tags": "tags",
    "attribute": "attributes",
    "attributes": "attributes",
    "attr": "attributes",
    "run": "attributes",
}
#: Run attributes compared as strings, and the ones compared as numbers (ms since the epoch).
STRING_ATTRIBUTES = frozenset(
    {"run_id", "run_name", "status", "user_id", "artifact_uri", "lifecycle_stage"}
)
NUMERIC_ATTRIBUTES = frozenset({"start_time", "end_time", "created"})
_ATTRIBUTE_ALIASES = {"run_uuid": "run_id", "runname": "run_name", "name": "run_name"}

_NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE")
_LIST_OPS = ("IN", "NOT IN")

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<backtick>`[^`]*`)
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.]))
  | (?P<op><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[A-Za-z_][\w\-/:]*)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "ASC", "DESC", "IS", "NULL"}


@dataclass(frozen=True)
class Token:
    kind: str  # string | quoted (a double-quoted or backticked name) | number | op | punct | word
    text: str  # the value: unquoted for strings and names, upper-case for keywords
    at: int  # offset in the input, for messages


@dataclass(frozen=True)
class Comparison:
    """One ``KIND.KEY OP VALUE``; value: a float for numbers, a str, or a tuple for IN."""

    kind: Kind
    key: str
    op: str
    value: float | str | tuple[str, ...]

    @property
    def field(self) -> str:
        return f"{self.kind}.{self.key}"


@dataclass(frozen=True)
class OrderKey:
    kind: Kind
    key: str
    ascending: bool

    @property
    def field(self) -> str:
        return f"{self.kind}.{self.key}"


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``; an unreadable character or an unclosed quote is an error."""
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise SearchSyntaxError(
                f"cannot read {text[at : at + 20]!r} at position {at} of {text!r}; quote "
                "strings with '...' and names with spaces or dots with \"...\" or `...`"
            )
        kind, value = match.lastgroup or "", match.group()
        at = match.end()
        if kind != "space":
            tokens.append(_token(kind, value, match.start()))
    return tokens


def _token(kind: str, value: str, at: int) -> Token:
    if kind == "string" and value[0] == '"':
        return Token("quoted", _unquote(value), at)  # a double-quoted name or string
    if kind == "string":
        return Token("string", _unquote(value), at)
    if kind == "backtick":
        return Token("quoted", value[1:-1], at)
    if kind == "word" and value.upper() in _KEYWORDS:
        return Token("keyword", value.upper(), at)
    if kind == "op":
        return Token("op", {"==": "=", "<>": "!="}.get(value, value), at)
    return Token(kind, value, at)


def _unquote(value: str) -> str:
    quote, body = value[0], value[1:-1]
    body = body.replace(quote * 2, quote)
    return re.sub(r"\\(.)", r"\1", body)


class _Reader:
    """Reads tokens left to right; every error names the position and the text."""

    def __init__(self, text: str, what: str) -> None:
        self.text, self.what = text, what
        self.tokens = tokenize(text)
        self.at = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("it ends too early")
        self.at += 1
        return token

    def done(self) -> bool:
        return self.at >= len(self.tokens)

    def error(self, problem: str, token: Token | None = None) -> SearchSyntaxError:
        token = token or self.peek()
        where = f"at position {token.at}" if token else "at its end"
        return SearchSyntaxError(
            f"invalid {self.what} {self.text!r} {where}: {problem}; {_HINTS[self.what]}"
        )


_HINTS = {
    "filter": "write e.g. metrics.acc > 0.9 AND params.lr = '0.01' AND tags.team LIKE 'a%'",
    "order_by": "write e.g. metrics.acc DESC, params.lr, attributes.start_time ASC",
}


def parse_filter(text: str | None) -> list[Comparison]:
    """The comparisons of an MLflow ``filter_string`` (all must hold); [] for an empty one."""
    if not text or not text.strip():
        return []
    reader = _Reader(text, "filter")
    comparisons = [_comparison(reader)]
    while not reader.done():
        token = reader.take()
        if token.kind == "keyword" and token.text == "OR":
            raise reader.error("OR is not supported (MLflow's filters join with AND)", token)
        if token.kind != "keyword" or token.text != "AND":
            raise reader.error(f"expected AND, found {token.text!r}", token)
        comparisons.append(_comparison(reader))
    return comparisons


def _identifier(reader: _Reader) -> tuple[Kind, str]:
    first = reader.take()
    if first.kind not in ("word", "quoted"):
        raise reader.error(f"expected a name such as metrics.acc, found {first.text!r}", first)
    dot = reader.peek()
    if dot is None or dot.text != ".":
        return "attributes", _attribute(reader, first.text, first)
    reader.take()
    kind = _KINDS.get(first.text.lower())
    if kind is None:
        raise reader.error(
            f"unknown kind {first.text!r}; use metrics., params., tags. or attributes.", first
        )
    key = _key(reader)
    if kind == "attributes":
        return kind, _attribute(reader, key, first)
    return kind, key


def _key(reader: _Reader) -> str:
    """A key after ``KIND.``: quoted whole, or words and numbers joined by dots (``a.b.c``)."""
    token = reader.take()
    if token.kind == "quoted":
        return token.text
    if token.kind not in ("word", "number", "keyword"):
        raise reader.error(f"expected a key after the '.', found {token.text!r}", token)
    parts = [reader.text[token.at : token.at + len(token.text)]]  # a keyword as written
    while (dot := reader.peek()) is not None and dot.text == "." and _adjacent(reader, dot):
        reader.take()
        part = reader.take()
        if part.kind not in ("word", "number"):
            raise reader.error(f"expected a key part after '.', found {part.text!r}", part)
        parts.append(part.text)
    return ".".join(parts)


def _adjacent(reader: _Reader, dot: Token) -> bool:
    following = reader.peek(1)
    return following is not None and following.at == dot.at + 1 and following.kind != "op"


def _attribute(reader: _Reader, name: str, token: Token) -> str:
    key = _ATTRIBUTE_ALIASES.get(name.lower(), name.lower())
    if key not in STRING_ATTRIBUTES | NUMERIC_ATTRIBUTES:
        known = ", ".join(sorted(STRING_ATTRIBUTES | NUMERIC_ATTRIBUTES))
        raise reader.error(f"unknown run attribute {name!r} (known: {known})", token)
    return key


def _comparison(reader: _Reader) -> Comparison:
    kind, key = _identifier(reader)
    op = _operator(reader)
    numeric = kind == "metrics" or (kind == "attributes" and key in NUMERIC_ATTRIBUTES)
    lists = _LIST_OPS if kind == "attributes" else ()
    allowed = _NUMERIC_OPS if numeric else _STRING_OPS + lists
    if op not in allowed:
        field = f"{kind}.{key}"
        raise reader.error(f"{field} cannot be compared with {op} (use {', '.join(allowed)})")
    if op in _LIST_OPS:
        return Comparison(kind, key, op, _string_list(reader))
    value = reader.take()
    if numeric:
        return Comparison(kind, key, op, _number(reader, value, f"{kind}.{key}"))
    if value.kind not in ("string", "quoted"):
        raise reader.error(
            f"{kind}.{key} compares with a quoted string, e.g. '{value.text}'", value
        )
    return Comparison(kind, key, op, value.text)


def _operator(reader: _Reader) -> str:
    token = reader.take()
    if token.kind == "op":
        return token.text
    if token.kind == "keyword" and token.text in ("LIKE", "ILIKE", "IN"):
        return token.text
    if token.kind == "keyword" and token.text == "NOT":
        following = reader.take()
        if following.kind == "keyword" and following.text == "IN":
            return "NOT IN"
    raise reader.error(
        f"expected a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE, IN), found {token.text!r}",
        token,
    )


def _number(reader: _Reader, token: Token, field: str) -> float:
    if token.kind == "number":
        return float(token.text)
    if token.kind == "word" and token.text.lower() in ("nan", "inf", "infinity"):
        return float(token.text)
    raise reader.error(f"{field} compares with a number, not {token.text!r}", token)


def _string_list(reader: _Reader) -> tuple[str, ...]:
    opening = reader.take()
    if opening.text != "(":
        raise reader.error("IN takes a list in parentheses, e.g. ('a', 'b')", opening)
    values: list[str] = []
    while True:
        value = reader.take()
        if value.kind not in ("string", "quoted"):
            found = f"expected a quoted string in the list, found {value.text!r}"
            raise reader.error(found, value)
        values.append(value.text)
        after = reader.take()
        if after.text == ")":
            return tuple(values)
        if after.text != ",":
            raise reader.error(f"expected ',' or ')' in the list, found {after.text!r}", after)


def parse_order_by(clauses: list[str] | None) -> list[OrderKey]:
    """The sort keys of MLflow's ``order_by`` list, e.g. ``["metrics.acc DESC"]``."""
    keys: list[OrderKey] = []
    for clause in clauses or []:
        if not isinstance(clause, str) or not clause.strip():
            raise SearchSyntaxError(
                f"invalid order_by {clause!r}: an empty clause; {_HINTS['order_by']}"
            )
        reader = _Reader(clause, "order_by")
        kind, key = _identifier(reader)
        ascending = True
        if not reader.done():
            token = reader.take()
            if token.kind != "keyword" or token.text not in ("ASC", "DESC"):
                raise reader.error(f"expected ASC or DESC, found {token.text!r}", token)
            ascending = token.text == "ASC"
        if not reader.done():
            raise reader.error("one key per clause (give a list for several)")
        keys.append(OrderKey(kind, key, ascending))
    return keys


# --- Evaluating a comparison (the part the store did not decide) -------------------------


def like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """SQL ``LIKE``: ``%`` any run of characters, ``_`` one character."""
    parts = ["." if c == "_" else ".*" if c == "%" else re.escape(c) for c in pattern]
    flags = re.S | (re.I if ignore_case else 0)
    return re.fullmatch("".join(parts), value, flags) is not None


def holds(comparison: Comparison, value: float | str | None) -> bool:
    """Whether a run whose field has ``value`` (None: the run lacks it) meets ``comparison``.

    A run without the field never matches, as in MLflow (even for ``!=``)."""
    if value is None:
        return False
    op, wanted = comparison.op, comparison.value
    if isinstance(wanted, tuple):
        return (str(value) in wanted) == (op == "IN")
    if isinstance(wanted, float):
        if isinstance(value, str):
            return False
        return _compare_numbers(op, float(value), wanted)
    text = str(value)
    if op in ("LIKE", "ILIKE"):
        return like(wanted, text, ignore_case=op == "ILIKE")
    return (text == wanted) == (op == "=")


def _compare_numbers(op: str, value: float, wanted: float) -> bool:
    if math.isnan(value) or math.isnan(wanted):
        return op == "!=" and not (math.isnan(value) and math.isnan(wanted))
    return {
        "=": value == wanted,
        "!=": value != wanted,
        "<": value < wanted,
        "<=": value <= wanted,
        ">": value > wanted,
        ">=": value >= wanted,
    }[op]
