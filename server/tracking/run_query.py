"""The run list in the store: it filters, sorts and pages, and only a page's runs come back.

``find`` turns a ``Selection`` (``server.tracking.run_index``) into a few small queries:

- **The count** of every match.
- **The page**: the matches that have the sort field, in its order, ``OFFSET``/``LIMIT``
  applied by the store; then, when the page reaches past them, the matches that lack it (as
  MLflow lists runs without the sort key last, whichever the direction).
  A page near the top of many matches is first asked only for the values at or past a bound
  read from a sample of runs (``_sorted_rows``): testing 100,000 values costs a third of
  ordering them.
- **Ties**, newest first: ordering by the sort value and then by the run number made the store
  join every match with its number (~330 ms at 100,000 runs), so the store orders by the value
  alone and the page's equal values are put in number order here: a value repeated inside the
  page with all its runs' numbers, the page's first and last values (whose runs may reach past
  the page: 5% of the bench's runs share accuracy 1.0) by the few newest or oldest of their
  runs (``_ByNumber``). The rows before a page near the top come back with it, so a page that
  starts inside a run of equal values knows where that run began.

The default order is the run number, newest first (``ol:runNumber``, in each run's graph: the
order runs entered the store). With no filter, the newest runs are looked up by number (``VALUES``
over the last numbers given), which takes under a millisecond at any size; a gap (a deleted run)
widens the window, and past a few thousand the store sorts the numbers instead.

The query text (each field's pattern, the parts of the queries for one selection) is
``server.tracking.run_patterns``'s.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdflib import Literal

from server.graph.run_numbers import last_run_number
from server.store.base import Node, ReadableStore, Row
from server.tracking.run_patterns import (
    UNIQUE,
    Condition,
    RunQuery,
    field_pattern,
    query_text,
    sort_field,
)

if TYPE_CHECKING:
    from server.tracking.run_index import Selection

__all__ = ["find", "sort_field"]

#: The most run numbers looked up to find a value's newest or oldest runs (past ~800 the
#: lookups cost more than the store ordering them all).
_TIE_WINDOW = 800
#: A page at most this far down is read with the rows before it.
_PREFIX_ROWS = 2000
#: Below this many matches the store orders them all; past it a sample of ``_SAMPLE`` runs
#: gives a bound first (see ``_sorted_rows``).
_SAMPLE_FROM = 5000
_SAMPLE = 200
#: How many times the wanted rows the bound is to let through (the sample's estimate).
_BOUND_MARGIN = 3
_NUMERIC_TYPES = {
    f"http://www.w3.org/2001/XMLSchema#{name}"
    for name in (
        "integer decimal float double nonPositiveInteger negativeInteger long int short byte "
        "nonNegativeInteger unsignedLong unsignedInt unsignedShort unsignedByte positiveInteger"
    ).split()
}
#: A window of run numbers larger than this is sorted by the store instead of looked up.
_WINDOW_LIMIT = 4096


def find(
    store: ReadableStore, selection: Selection, groups: list[list[Condition]]
) -> tuple[int, list[str]]:
    """How many runs match, and the IRIs of the page of them ``selection`` asks for, in order."""
    query = RunQuery(selection, groups, nested_values=_embedded(store))
    total = int(store.select_values(query.count())[0]["matches"])
    if selection.limit == 0 or selection.offset >= total:
        return total, []
    if query.by_number_only():
        iris = _newest_by_number(store, selection)
        if iris is not None:
            return total, iris
    # A page not far down is read with the rows before it (the sort costs the same, and their
    # values say where a run of equal values that the page starts inside began).
    offset, limit = selection.offset, selection.limit
    prefix = limit is not None and offset <= _PREFIX_ROWS
    first, count = (0, offset + limit) if prefix and limit is not None else (offset, limit)
    rows = _sorted_rows(store, query, first, count, total)
    ahead = [key for _, key in rows[:offset]] if prefix else None
    rows = rows[offset:] if prefix else rows
    if query.sort not in UNIQUE and rows and not query.ties_in_store:
        rows = _ties_in_order(store, query, rows, total, ahead)
    iris = [iri for iri, _ in rows]
    wanted = selection.limit
    if wanted is None or len(iris) < wanted:
        with_field = int(store.select_values(query.count(with_sort=True))[0]["matches"])
        offset = max(0, selection.offset - with_field)
        limit = None if wanted is None else wanted - len(iris)
        iris += [str(row["run"]) for row in store.select(query.lacking(offset, limit))]
    return total, iris


def _sorted_rows(
    store: ReadableStore, query: RunQuery, offset: int, limit: int | None, total: int
) -> list[tuple[str, Node]]:
    """The matches with the sort field, in its order, from ``offset`` on.

    Ordering every match (100,000 numbers: ~200 ms) costs far more than testing them against a
    bound, so a page near the top first asks only for the matches at or past a bound taken from
    a sample of runs. A page that comes back full and ends on a number (which the bound let
    through) is the page the whole order gives: every match the bound left out is a number
    past it, so after that page's last row. Otherwise the store orders every match."""
    bound = _bound(store, query, offset + limit, total) if limit is not None else None
    if bound is not None:
        rows = _distinct_rows(store.select(query.page(offset, limit, bound)))
        if len(rows) == limit and _is_number(rows[-1][1]):
            return rows
    return _distinct_rows(store.select(query.page(offset, limit)))


def _distinct_rows(rows: list[Row]) -> list[tuple[str, Node]]:
    return list(dict.fromkeys((str(row["run"]), row["key"]) for row in rows))


def _is_number(term: Node) -> bool:
    return isinstance(term, Literal) and str(term.datatype or "") in _NUMERIC_TYPES


def _bound(store: ReadableStore, query: RunQuery, wanted: int, total: int) -> float | None:
    """A value that about ``_BOUND_MARGIN`` times ``wanted`` matches reach (at or past it in
    the sort order), read from the matches among ``_SAMPLE`` runs spread evenly over the run
    numbers; None when ordering them all is cheap or the sample cannot say."""
    if total < _SAMPLE_FROM or not query.sort.startswith(("metrics.", "params.")):
        return None
    top = last_run_number(store)
    numbers = " ".join(str(1 + i * top // _SAMPLE) for i in range(min(_SAMPLE, top)))
    where = [
        f"VALUES ?n {{ {numbers} }}",
        "?run ol:runNumber ?n .",
        *query.matches(sub_selects=False, extra=(field_pattern(query.sort, "?key"),)),
    ]
    keys = [row["key"] for row in store.select_values(query_text("?run ?key", where))]
    numbers_seen = sorted(
        (
            float(k)
            for k in keys
            if isinstance(k, (int, float)) and not isinstance(k, bool) and math.isfinite(k)
        ),
        reverse=query.descending,
    )
    # The matches at or past the sample's j-th value: about j / sample of them.
    j = -(-_BOUND_MARGIN * wanted * len(keys) // total) + 1
    if len(numbers_seen) < 2 * j:
        return None
    return numbers_seen[j - 1]


def _newest_by_number(store: ReadableStore, selection: Selection) -> list[str] | None:
    """The page of newest runs, looked up by their numbers; None when a window of numbers
    small enough to look up does not hold it (the caller then asks the store to sort)."""
    assert selection.limit is not None
    top = last_run_number(store)
    wanted = selection.offset + selection.limit
    window = wanted
    while window <= _WINDOW_LIMIT:
        low = max(1, top - window + 1)
        values = " ".join(str(n) for n in range(low, top + 1))
        rows = store.select_values(
            query_text("?run ?n", [f"VALUES ?n {{ {values} }}", "?run ol:runNumber ?n ."])
        )
        if len(rows) >= wanted:
            rows.sort(key=lambda row: -int(row["n"]))
            return [str(row["run"]) for row in rows[selection.offset : wanted]]
        if low == 1:
            return None  # runs without numbers, or fewer runs than asked: the general query
        window *= 4
    return None


def _ties_in_order(
    store: ReadableStore,
    query: RunQuery,
    rows: list[tuple[str, Node]],
    matches: int,
    ahead: list[Node] | None = None,
) -> list[tuple[str, Node]]:
    """The page ``rows`` (in the store's order by value alone) with the runs that share a
    value in newest-first order, as if the store had ordered by (value, number).

    A value inside the page has all its runs there: they are read with their numbers. The
    page's first value may have runs before the page and its last runs after it: the store
    orders that value's runs by number and hands back the ones on the page (with 5% of 100,000
    runs at accuracy 1.0, reading them all here took ~1 s). ``ahead``: the values of the rows
    before the page, in order, when they were read; otherwise the store counts them."""
    counts = Counter(key for _, key in rows)
    first, last = rows[0][1], rows[-1][1]
    anchor = {key: iri for iri, key in rows}
    placed: dict[Node, list[str]] = {}
    inside = [anchor[k] for k in counts if counts[k] > 1 and k not in (first, last)]
    if inside:
        grouped: dict[str, list[str]] = defaultdict(list)
        for row in store.select(query.ties(inside)):
            grouped[str(row["anchor"])].append(str(row["run"]))
        placed = {key: grouped[anchor[key]] for key in counts if anchor[key] in grouped}
    offset = query.selection.offset
    by_number = _ByNumber(store, query, matches)
    if first == last:
        if ahead is not None:
            before = sum(1 for key in ahead if key != first)
        else:
            before = int(store.select_values(query.before(anchor[first]))[0]["matches"])
        skip = max(0, offset - before)
        placed[first] = by_number.members(anchor[first], True, skip, counts[first])
    else:
        # The first value's runs end on the page: its oldest ones, read oldest first.
        placed[first] = by_number.members(anchor[first], False, 0, counts[first])[::-1]
        placed[last] = by_number.members(anchor[last], True, 0, counts[last])
    ordered: list[tuple[str, Node]] = []
    for key in counts:  # the page's values, in the store's order
        members = placed.get(key) or [iri for iri, k in rows if k == key]
        ordered += [(iri, key) for iri in members[: counts[key]]]
    return ordered


@dataclass
class _ByNumber:
    """A value's runs in number order, a few at a time.

    The store orders all the runs that share the value by number (~170 ms for 5,000 of
    100,000 runs, a random read each) unless the few wanted are found by number first: the
    newest (or oldest) numbers are looked up in a window sized from the value's share of all
    runs (~7 ms for 200 numbers), which a handful of matches per window makes worth it. On the
    embedded store only (see ``members``)."""

    store: ReadableStore
    query: RunQuery
    matches: int  # how many runs the selection matches

    def members(self, anchor: str, newest_first: bool, skip: int, take: int) -> list[str]:
        wanted = skip + take
        top = last_run_number(self.store)
        size = int(self.store.select_values(self.query.group_size(anchor))[0]["size"])
        # Of all run numbers, the share with the value that the selection matches (as if
        # the two were independent; a window short of runs grows).
        share = size / max(1, top) * min(1.0, self.matches / max(1, top))
        window = int(2 * wanted / share) + 1 if share else _TIE_WINDOW + 1
        if not self.query.nested_values:
            # The window is a VALUES inside a sub-select (see RunQuery.nested_values); a window
            # on a plain VALUES is slower than ordering the runs (Oxigraph: 277 against 10 ms).
            window = _TIE_WINDOW + 1
        while window <= _TIE_WINDOW:
            numbers = (
                range(max(1, top - window + 1), top + 1) if newest_first else range(1, window + 1)
            )
            text = self.query.ties([anchor], newest_first, f"LIMIT {wanted}", numbers)
            found = _runs(self.store.select(text))
            if len(found) >= wanted or len(numbers) >= top:
                return found[skip:]
            window *= 2
        paging = f"OFFSET {skip} LIMIT {take}"
        return _runs(self.store.select(self.query.ties([anchor], newest_first, paging)))


def _embedded(store: ReadableStore) -> bool:
    describe = getattr(store, "describe", str)  # a Store names itself
    return str(describe()).startswith("oxigraph:")


def _runs(rows: list[Row]) -> list[str]:
    return [str(row["run"]) for row in rows]
