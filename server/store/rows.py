"""Counting the rows of a SELECT answer while it is serialized or read, in any results format.

The store hands a client's answer over as bytes in the format the client asked for, in chunks
of any size (pyoxigraph writes 8 KiB at a time; a remote server sends what it sends), so the
rows are counted on the bytes: exactly, without parsing, whatever a literal holds.

- TSV: one line per row after the header (a TSV term escapes its newlines).
- XML: one ``<result>`` element per row (a literal's ``<`` is escaped).
- CSV: one line per row after the header, counting only line ends outside double quotes (a
  field with a line end is quoted, a quote inside it doubled, which keeps the count of quotes
  even).
- JSON: one object per row, opened by ``{`` right after the ``[`` or ``,`` of the bindings
  array: with escapes taken out, every ``"`` opens or closes a string, and outside strings no
  other ``{`` follows ``[`` or ``,`` (terms follow ``:``, ``head`` holds only strings).

Graph answers (CONSTRUCT, DESCRIBE) and any other format count no rows.
"""

from __future__ import annotations

import re

_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_WHITESPACE = b" \t\r\n"
_XML_ROW = b"<result>"


class RowCounter:
    """Counts no rows: the counter of graph answers and of formats not listed above."""

    rows = 0

    def feed(self, chunk: bytes) -> int:
        """Read the next ``chunk`` of the answer; the rows counted so far."""
        return self.rows


class _LineRows(RowCounter):
    """TSV: line ends, less the header's."""

    def __init__(self) -> None:
        self._lines = 0

    def feed(self, chunk: bytes) -> int:
        self._lines += chunk.count(b"\n")
        self.rows = max(self._lines - 1, 0)
        return self.rows


class _CsvRows(RowCounter):
    """CSV: line ends outside quoted fields, less the header's."""

    def __init__(self) -> None:
        self._lines = 0
        self._quoted = False

    def feed(self, chunk: bytes) -> int:
        parts = chunk.split(b'"')
        outside = parts[1::2] if self._quoted else parts[0::2]
        self._lines += sum(part.count(b"\n") for part in outside)
        self._quoted ^= len(parts) % 2 == 0  # an odd number of quotes flips the state
        self.rows = max(self._lines - 1, 0)
        return self.rows


class _XmlRows(RowCounter):
    """XML: ``<result>`` elements (the tail is kept so a tag split between chunks counts)."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, chunk: bytes) -> int:
        text = self._tail + chunk
        self.rows += text.count(_XML_ROW)
        self._tail = text[-(len(_XML_ROW) - 1) :]
        return self.rows


class _JsonRows(RowCounter):
    """JSON: binding objects, opened by ``{`` after ``[`` or ``,`` outside strings. With the
    escapes dropped every ``"`` opens or closes a string; the text outside strings, joined and
    without whitespace, holds ``[{`` or ``,{`` once per row (JSON never puts ``{`` straight
    after a string). All of it is bytes methods: a regex per string took longer than
    oxigraph's serialization of the answer (measured)."""

    def __init__(self) -> None:
        self._in_string = False
        self._carry = b""  # a backslash that opens an escape, or the "[" / "," a chunk ended on

    def feed(self, chunk: bytes) -> int:
        text = self._carry + chunk
        self._carry = b""
        if (len(text) - len(text.rstrip(b"\\"))) % 2:  # the chunk split an escape
            text, self._carry = text[:-1], b"\\"
        parts = _JSON_ESCAPE.sub(b"", text).split(b'"')
        first = 1 if self._in_string else 0
        outside = b"".join(parts[first::2]).translate(None, _WHITESPACE)
        self.rows += outside.count(b"[{") + outside.count(b",{")
        self._in_string ^= len(parts) % 2 == 0  # an odd number of quotes flips the state
        tail = parts[-1].translate(None, _WHITESPACE)
        if not self._in_string and tail.endswith((b"[", b",")):
            self._carry = tail[-1:]
        return self.rows


_COUNTERS: dict[str, type[RowCounter]] = {
    "application/sparql-results+json": _JsonRows,
    "application/sparql-results+xml": _XmlRows,
    "text/csv": _CsvRows,
    "text/tab-separated-values": _LineRows,
}


def row_counter(media_type: str) -> RowCounter:
    """A fresh counter for an answer serialized as ``media_type``."""
    return _COUNTERS.get(media_type, RowCounter)()
