"""Reading SPARQL text without running it: the SERVICE clauses of a query, its form, whether
it is an update or names its own dataset (``FROM``).

A tokenizer, not a parser: enough to find keywords reliably, because strings, IRIs, comments,
variables, language tags and prefixed names are single tokens, so a word inside them is never
taken for a keyword. No I/O, no dependencies: the store backends and the query guard use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# SPARQL's terminals, as far as finding keywords needs: strings (long ones first), IRIs,
# comments, variables, language tags and names (prefixed or not) are single tokens, so a word
# inside them is never taken for a keyword. Every alternative either matches or fails within
# the run of characters it may hold, and an unclosed string runs to the end of its line (or
# of the text): tokenizing stays linear in the length of the query, whatever is sent.
_TOKEN = re.compile(
    r"""
    (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*(?:''')?|\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*(?:\"\"\")?
              |'(?:[^'\\\n\r]|\\.)*'?|"(?:[^"\\\n\r]|\\.)*"?)
    |(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    |(?P<comment>\#[^\n\r]*)
    |(?P<var>[?$]\w+)
    |(?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)
    |(?P<pname>(?:[^\W\d][\w.-]*)?:(?:[\w:%.-]|\\.)*)
    |(?P<word>[^\W\d][\w.-]*)
    |(?P<other>&&|\|\||!=|<=|>=|\S)
    """,
    re.VERBOSE | re.DOTALL,
)
_WORD_PARTS = re.compile(r"[.-]")
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Service:
    """One ``SERVICE`` in a query: its endpoint as written, and as an absolute IRI when it
    resolves to one (``None`` for a variable or a relative IRI)."""

    written: str
    iri: str | None


def services(query: str) -> list[Service]:
    """Every SERVICE of ``query``. The text is also read with its ``\\uXXXX`` escapes
    decoded, as SPARQL 1.1 says a parser may do before anything else (Jena does; Oxigraph
    does not), so an escaped keyword is found on either reading."""
    decoded = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)
    found = _services(query)
    if decoded != query:
        found += [service for service in _services(decoded) if service not in found]
    return found


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind != "comment":
            yield kind, match.group()


def _services(text: str) -> list[Service]:
    tokens = list(_tokens(text))
    prefixes = _prefixes(tokens)
    found = []
    for i, (kind, value) in enumerate(tokens):
        if _is(kind, value, "SERVICE"):
            following = tokens[i + 1 : i + 3]
            if following and _is(*following[0], "SILENT"):
                following = following[1:]
            found.append(_endpoint(following[0] if following else ("other", ""), prefixes))
    return found


def _is(kind: str, value: str, keyword: str) -> bool:
    """Whether a token is ``keyword``; a word with dots or hyphens (no keyword has any, the
    parser would refuse it) counts if any part is, so nothing hides the keyword."""
    return kind == "word" and keyword in _WORD_PARTS.split(value.upper())


def _prefixes(tokens: list[tuple[str, str]]) -> dict[str, str]:
    """``PREFIX p: <iri>`` declarations (the last one of a name wins, as in the parser)."""
    declared = {}
    for i, (kind, value) in enumerate(tokens[:-2]):
        name, iri = tokens[i + 1], tokens[i + 2]
        if kind == "word" and value.upper() == "PREFIX" and name[0] == "pname":
            if iri[0] == "iri":
                declared[name[1].rstrip(":")] = iri[1][1:-1]
    return declared


def _endpoint(token: tuple[str, str], prefixes: dict[str, str]) -> Service:
    kind, value = token
    iri = None
    if kind == "iri":
        iri = value[1:-1]
    elif kind == "pname":
        prefix, _, local = value.rstrip(".").partition(":")
        if prefix in prefixes:
            iri = prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)
    return Service(value, iri if iri and _ABSOLUTE.match(iri) else None)


#: Tokens that open a level of the parser's recursion: groups, brackets and the operators and
#: keywords that build one more node of an expression or pattern tree.
_OPENERS = frozenset("{([")
_CLOSERS = frozenset("})]")
_OPERATORS = frozenset("! - + * / | ^ = < > && || != <= >=".split())
_TREE_WORDS = frozenset(("UNION", "OPTIONAL", "MINUS", "FILTER", "BIND", "GRAPH", "SERVICE"))


@dataclass(frozen=True)
class Shape:
    """How deep a query's brackets nest and how many tree-building tokens it holds."""

    depth: int
    operators: int


def shape(query: str) -> Shape:
    """The nesting depth and operator count of ``query``, read from its tokens (linear).

    Oxigraph's parser and planner recurse once per level of the query's tree, in the thread that
    runs them: a query thousands of levels deep overflows that thread's stack and kills the
    process (measured with pyoxigraph 0.5.13: 3,000 nested braces, or 20,000 chained ``||``,
    ``UNION``, ``OPTIONAL`` or unary ``!``), so such text must be refused before it is parsed.
    """
    depth = deepest = operators = 0
    for kind, value in _tokens(query):
        if kind == "other" and value in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "other" and value in _CLOSERS:
            depth = max(depth - 1, 0)
        elif (
            kind == "other"
            and value in _OPERATORS
            or kind == "word"
            and value.upper() in _TREE_WORDS
        ):
            operators += 1
    return Shape(deepest, operators)


#: The keywords that open a query of each form.
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def form(query: str) -> str | None:
    """The form keyword the query starts with after its prologue (``SELECT``, ``ASK``…), or
    None when the first keyword is anything else (an update, a syntax error)."""
    word = _first_keyword(query)
    return word if word in FORMS else None


def _first_keyword(text: str) -> str:
    """The first word after the prologue (``BASE``, ``PREFIX``), upper-cased; "" if none."""
    for kind, value in _tokens(text):
        word = value.upper()
        if kind == "word" and word not in ("BASE", "PREFIX"):
            return word
    return ""


#: The keywords that open an update operation (SPARQL 1.1 Update), ``WITH`` included.
UPDATE_KEYWORDS = frozenset(
    ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
)


def is_update(text: str) -> bool:
    """Whether ``text`` opens with an update operation (``INSERT``, ``DROP``…) after its
    prologue: an update sent where a query was expected."""
    return _first_keyword(text) in UPDATE_KEYWORDS


def has_dataset_clause(query: str) -> bool:
    """Whether ``query`` has a ``FROM`` or ``FROM NAMED`` clause. ``FROM`` is a keyword nowhere
    else in SPARQL 1.1 (sub-selects take none), and strings, IRIs and comments are single
    tokens, so one ``FROM`` word is a dataset clause."""
    return any(kind == "word" and value.upper() == "FROM" for kind, value in _tokens(query))


def is_absolute_iri(text: str) -> bool:
    """Whether ``text`` is an absolute IRI as a protocol parameter may name a graph: a scheme,
    and none of the characters an IRI cannot hold."""
    return bool(_ABSOLUTE.match(text)) and _IRI_BODY.fullmatch(text) is not None


_IRI_BODY = re.compile(r'[^<>"{}|^`\\\x00-\x20]+')


def without_dataset_clauses(query: str) -> str:
    """``query`` with its ``FROM`` / ``FROM NAMED`` clauses cut out, the rest unchanged: for a
    server that would merge them with the protocol's dataset, which replaces them."""
    cuts, clause = [], None
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "other"
        if kind == "comment":
            continue
        word = match.group().upper()
        if clause is None and kind == "word" and word == "FROM":
            clause = match.start()
        elif clause is not None and not (kind == "word" and word == "NAMED"):
            cuts.append((clause, match.end()))  # the graph's IRI or prefixed name ends it
            clause = None
    for start, end in reversed(cuts):
        query = query[:start] + " " + query[end:]
    return query


def dataset_clauses(query: str) -> tuple[list[str], list[str]]:
    """The graphs ``query``'s ``FROM`` and ``FROM NAMED`` clauses name, as absolute IRIs
    (``PREFIX`` names expanded); a clause whose graph resolves to no absolute IRI is left
    out, so a caller restricting the dataset never lets it through."""
    tokens = list(_tokens(query))
    prefixes = _prefixes(tokens)
    default: list[str] = []
    named: list[str] = []
    for i, (kind, value) in enumerate(tokens):
        if not (kind == "word" and value.upper() == "FROM"):
            continue
        following = tokens[i + 1 : i + 3]
        into = default
        if following and following[0][0] == "word" and following[0][1].upper() == "NAMED":
            following, into = following[1:], named
        iri = _endpoint(following[0], prefixes).iri if following else None
        if iri is not None:
            into.append(iri)
    return default, named
