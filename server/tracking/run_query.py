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

Each field is matched one hop from the run where the run states it there: a metric as
``olm:NAME``, a hyperparameter as ``olp:NAME``; ``STEP.NAME`` through the step's ML-Schema
evaluation or setting; the experiment through the version the run executes. Each field is its
own sub-select, which the engine evaluates once and hash-joins (joined pattern by pattern,
filtering on one value and sorting on another took twice as long at 100,000 runs). Values from
the request are bound as RDF terms, so they never change the query's shape.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import Literal

from server.errors import QueryError
from server.graph.namespaces import measure_iri, metric_property, param_property
from server.graph.queries import to_sparql
from server.graph.run_numbers import last_run_number
from server.graph.write_terms import double
from server.store.base import Node, ReadableStore, Row

_JSON = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON")
_DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")

if TYPE_CHECKING:
    from server.tracking.run_index import Selection

_PREFIXES = """PREFIX ol: <https://w3id.org/ontolab/ns#>
PREFIX mls: <http://www.w3.org/ns/mls#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

_EXPERIMENT = "?run ol:ofExperimentVersion ?vn{n} . GRAPH ?vn{n} {{ ?vn{n} {p} {v} }}"
#: The patterns that bind each of the run's own fields to ``{v}``; ``{n}`` keeps their helper
#: variables apart.
_RUN_FIELDS = {
    "number": "?run ol:runNumber {v} .",
    "status": "?run a ol:Run . OPTIONAL {{ ?run ol:status ?st{n} }} "
    'BIND(COALESCE(?st{n}, "running") AS {v})',
    "experiment": _EXPERIMENT.replace("{p}", "dcterms:identifier"),
    "version": _EXPERIMENT.replace("{p}", "ol:versionNumber"),
    "started": "?run a ol:Run ; prov:startedAtTime {v} .",
    "ended": "?run a ol:Run ; prov:endedAtTime {v} .",
    "run_id": "?run ol:runId {v} .",
}
#: Fields whose value is one per run: no ties to put in order.
_UNIQUE = {"number", "run_id"}
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

Condition = tuple[str, str, Any]


def sort_field(key: str) -> tuple[str, bool]:
    """``-key`` or ``key desc`` → (key, descending); ``key`` or ``key asc`` → (key, ascending)."""
    name, _, order = key.strip().partition(" ")
    descending = name.startswith("-") or order.strip().lower() == "desc"
    return name.lstrip("-"), descending


def check_field(name: str) -> None:
    """Refuse a name the run list cannot filter or sort on, naming the ones it can."""
    kind, _, key = name.partition(".")
    if (kind in ("metrics", "params") and key) or name in _RUN_FIELDS:
        return
    raise QueryError(
        f"cannot filter or sort on {name!r}; use number, status, experiment, version, "
        "started, metrics.NAME or params.NAME"
    )


def field_pattern(name: str, var: str, run: str = "?run") -> str:
    """The pattern that binds ``var`` to the value of field ``name`` of the run ``run``."""
    check_field(name)
    # The helper variables' names: apart for each value, and for each run the pattern is about.
    n = var.lstrip("?") + ("" if run == "?run" else run.lstrip("?") if run[0] == "?" else "c")
    if name in _RUN_FIELDS:
        pattern = _RUN_FIELDS[name].format(v=var, n=n)
    else:
        pattern = _value_pattern(name, var, n)
    return pattern.replace("?run ", f"{run} ")


def find(
    store: ReadableStore, selection: Selection, groups: list[list[Condition]]
) -> tuple[int, list[str]]:
    """How many runs match, and the IRIs of the page of them ``selection`` asks for, in order."""
    query = _Query(selection, groups, nested_values=_embedded(store))
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
    if query.sort not in _UNIQUE and rows:
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
    store: ReadableStore, query: _Query, offset: int, limit: int | None, total: int
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


def _bound(store: ReadableStore, query: _Query, wanted: int, total: int) -> float | None:
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
    keys = [row["key"] for row in store.select_values(_query("?run ?key", where))]
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


@dataclass
class _Query:
    """The parts of the queries for one selection."""

    selection: Selection
    groups: list[list[Condition]]
    #: Whether ``VALUES`` may stand inside a sub-select beside others: Virtuoso fails on it
    #: now and then, depending on its plan (SQ142, "different number of expected and generated
    #: columns"), so other stores get ``FILTER(... IN ...)`` there instead.
    nested_values: bool = True

    def __post_init__(self) -> None:
        name, descending = sort_field(self.selection.sort or "-number")
        check_field(name)
        self.sort, self.descending = name, descending
        self.variables: dict[str, str] = {}
        for group in self.groups:
            for field, _, _ in group:
                check_field(field)
                self.variables.setdefault(field, f"?f{len(self.variables)}")

    def by_number_only(self) -> bool:
        selection = self.selection
        plain = not (self.groups or selection.experiment or selection.status)
        return plain and self.sort == "number" and self.descending and selection.limit is not None

    def matches(self, sub_selects: bool = True, extra: tuple[str, ...] = ()) -> list[str]:
        """What a run must match (the selection's experiment and status, and the filter), and
        the ``extra`` parts."""
        where = [*_fixed(self.selection), *extra]
        needed = (
            set.intersection(*({name for name, _, _ in g} for g in self.groups))
            if self.groups
            else set()
        )
        single = len(self.groups) == 1
        for name, var in self.variables.items():
            pattern = field_pattern(name, var)
            own = [c for c in self.groups[0] if c[0] == name] if single else []
            local = " ".join(f"FILTER({_condition(var, *c)})" for c in own)
            equal = [c[2] for c in own if c[1] == "="]
            narrow = sub_selects and self.nested_values
            if equal and narrow and name.startswith(("metrics.", "params.")):
                local = f"VALUES {var} {{ {' '.join(_terms_equal_to(equal[0]))} }} {local}"
            if sub_selects:
                pattern = f"{{ SELECT ?run {var} WHERE {{ {pattern} {local} }} }}"
            else:
                pattern = f"{pattern} {local}"
            where.append(pattern if name in needed else f"OPTIONAL {{ {pattern} }}")
        if not single and self.groups:
            either = " || ".join(_group(self.variables, g) for g in self.groups)
            where.append(f"FILTER({either})")
        if not any(_is_run(part) for part in where):
            where.insert(0, "?run a ol:Run .")
        return where

    def count(self, with_sort: bool = False) -> str:
        where = self.matches(extra=(self._sorted_by(),) if with_sort else ())
        distinct = "DISTINCT " if self.variables or with_sort else ""
        return _query(f"(COUNT({distinct}?run) AS ?matches)", where)

    def page(
        self, offset: int | None = None, limit: int | None = None, bound: float | None = None
    ) -> str:
        """The matches with the sort field, in its order; the selection's page unless told.
        With ``bound``, only those whose value is not a number or is at or past it."""
        if offset is None:
            offset, limit = self.selection.offset, self.selection.limit
        where = self.matches(extra=(self._sorted_by(),))
        if bound is not None:
            past = ">=" if self.descending else "<="
            where.append(f"FILTER(!isNumeric(?key) || ?key {past} {double(bound)})")
        order = f"{'DESC' if self.descending else 'ASC'}(?key)"
        paging = f"OFFSET {int(offset)}" + (f" LIMIT {int(limit)}" if limit is not None else "")
        return _query("DISTINCT ?run ?key", where, f"ORDER BY {order}", paging)

    def group_size(self, anchor: str) -> str:
        """How many runs (matching or not) share the sort value of the run ``anchor``."""
        run = to_sparql("run", "iri", anchor)
        where = [
            f"{{ SELECT ?key WHERE {{ {field_pattern(self.sort, '?key', run)} }} }}",
            self._joined_key(),
        ]
        return _query("(COUNT(DISTINCT ?run) AS ?size)", where)

    def ties(
        self,
        anchors: list[str],
        newest_first: bool = True,
        paging: str = "",
        numbers: range | None = None,
    ) -> str:
        """The matches whose sort value is that of one of the runs ``anchors``, by number.
        (The values are joined in the store, never written back into a query: a double's text
        need not read back as the same number.)"""
        values = [to_sparql("run", "iri", anchor) for anchor in anchors]
        theirs = field_pattern(self.sort, "?key", run="?anchor")
        mine = self._joined_key()
        number = "?run ol:runNumber ?number ."
        if numbers:  # a sub-select of its own, so that the store starts from these few runs
            listed = " ".join(map(str, numbers))
            number = f"{{ SELECT ?run ?number WHERE {{ VALUES ?number {{ {listed} }} {number} }} }}"
        where = [
            number,
            f"{{ SELECT ?anchor ?key WHERE {{ {self._one_of('?anchor', values)} {theirs} }} }}",
            *self.matches(extra=(mine,)),
        ]
        by_anchor = "?anchor " if len(anchors) > 1 else ""
        order = f"ORDER BY {by_anchor}{'DESC' if newest_first else 'ASC'}(?number)"
        return _query("?anchor ?run", where, order, paging)

    def _one_of(self, var: str, terms: list[str]) -> str:
        """What binds (or keeps) ``var`` to one of ``terms`` inside a sub-select."""
        if self.nested_values:
            return f"VALUES {var} {{ {' '.join(terms)} }}"
        return f"FILTER({var} IN ({', '.join(terms)}))"

    def before(self, anchor: str) -> str:
        """The count of matches whose sort value comes before that of the run ``anchor``
        (compared inside the sort field's sub-select, so that few values reach the join)."""
        run = to_sparql("run", "iri", anchor)
        ahead = (
            f"{{ SELECT ?run ?key WHERE {{ {field_pattern(self.sort, '?key')} "
            f"{{ SELECT ?anchor_key WHERE {{ {field_pattern(self.sort, '?anchor_key', run)} }} }} "
            f"FILTER(?key {'>' if self.descending else '<'} ?anchor_key) }} }}"
        )
        return _query("(COUNT(DISTINCT ?run) AS ?matches)", self.matches(extra=(ahead,)))

    def lacking(self, offset: int, limit: int | None) -> str:
        """The matches without the sort field, newest first."""
        where = [
            *self.matches(),
            f"FILTER NOT EXISTS {{ {field_pattern(self.sort, '?key')} }}",
            "OPTIONAL { ?run ol:runNumber ?number }",
            "OPTIONAL { ?run prov:startedAtTime ?started }",
        ]
        paging = f"OFFSET {offset}" + (f" LIMIT {limit}" if limit is not None else "")
        return _query("DISTINCT ?run", where, "ORDER BY DESC(?number) DESC(?started)", paging)

    def _joined_key(self) -> str:
        """The sort field's pattern for ``?key`` already bound: plain, so the store looks the
        runs up by value, unless it BINDs (which may not bind a variable in scope)."""
        mine = field_pattern(self.sort, "?key")
        return f"{{ SELECT ?run ?key WHERE {{ {mine} }} }}" if "BIND(" in mine else mine

    def _sorted_by(self) -> str:
        return f"{{ SELECT ?run ?key WHERE {{ {field_pattern(self.sort, '?key')} }} }}"


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
            _query("?run ?n", [f"VALUES ?n {{ {values} }}", "?run ol:runNumber ?n ."])
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
    query: _Query,
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
    query: _Query
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
            # The window is a VALUES inside a sub-select (see _Query.nested_values); a window
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


def _query(projection: str, where: list[str], order: str = "", paging: str = "") -> str:
    body = "\n  ".join(part for part in dict.fromkeys(where) if part)
    return f"{_PREFIXES}SELECT {projection}\nWHERE {{\n  {body}\n}}\n{order}\n{paging}\n"


def _is_run(part: str) -> bool:
    """Whether a required part binds ``?run`` to runs only (a run's own one-hop facts)."""
    if part.startswith(("OPTIONAL", "FILTER")):
        return False
    return any(
        marker in part
        for marker in ("?run a ol:Run", "ol:runNumber", "ol:ofExperimentVersion", "ol:runId")
    ) or ("https://w3id.org/ontolab/metric#" in part or "https://w3id.org/ontolab/param#" in part)


def _fixed(selection: Selection) -> list[str]:
    """Patterns for the selection's own experiment and status."""
    out = []
    if selection.experiment:
        term = to_sparql("experiment", "string", selection.experiment)
        out.append(_RUN_FIELDS["experiment"].format(v=term, n="x"))
    if selection.status == "running":
        out.append("?run a ol:Run . FILTER NOT EXISTS { ?run ol:status ?any_status }")
    elif selection.status:
        out.append(f"?run ol:status {to_sparql('status', 'string', selection.status)} .")
    return out


def _value_pattern(name: str, var: str, n: str) -> str:
    """What binds ``var`` to a run's value of ``metrics.KEY`` or ``params.KEY``: the value the
    run states one hop away. A key with a dot is read both ways: ``STEP.NAME`` (that step's
    value) and a name that holds a dot."""
    kind, _, key = name.partition(".")
    step, _, bare = key.partition(".")
    if kind == "metrics":
        whole = f"?run {to_sparql(name, 'iri', metric_property(key))} {var} ."
        if not bare:
            return whole
        measure = to_sparql(name, "iri", measure_iri(bare))
        by_step = (
            f"?run mls:hasOutput ?e{n} . ?e{n} mls:specifiedBy {measure} ; mls:hasValue {var} ; "
            f"prov:wasGeneratedBy ?s{n} . ?s{n} ol:stepId {to_sparql(name, 'string', step)} ."
        )
        return f"{{ {whole} }} UNION {{ {by_step} }}"
    whole = f"?run {to_sparql(name, 'iri', param_property(key))} {var} ."
    if not bare:
        return whole
    by_step = (
        f"?run ol:hasStepRun ?s{n} . ?s{n} ol:stepId {to_sparql(name, 'string', step)} ; "
        f"ol:hasHyperParameterSetting ?h{n} . "
        f"?h{n} ol:parameterName {to_sparql(name, 'string', bare)} ; mls:hasValue {var} ."
    )
    return f"{{ {whole} }} UNION {{ {by_step} }}"


def _terms_equal_to(expected: Any) -> list[str]:
    """The terms a value written by Ontolab can be when ``_condition`` finds it equal to
    ``expected``: a number as the writer writes a double, a decimal or an integer, or the text
    itself. Bound with ``VALUES``, the store looks them up in its index instead of testing
    every run's value (33 against 112 ms for a third of 100,000 runs); the filter still
    decides."""
    text = str(expected)
    terms = [ox.Literal(text), ox.Literal(text, datatype=_JSON)]
    if text in ("true", "false"):
        terms.append(ox.Literal(text == "true"))
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        decimal = format(Decimal(repr(float(expected))), "f")
        terms += [double(expected), ox.Literal(decimal, datatype=_DECIMAL)]
        if float(expected).is_integer():
            terms.append(ox.Literal(int(expected)))
    return list(dict.fromkeys(str(term) for term in terms))


def _group(variables: dict[str, str], group: list[Condition]) -> str:
    return "(" + " && ".join(_condition(variables[c[0]], *c) for c in group) + ")"


def _condition(var: str, name: str, op: str, expected: Any) -> str:
    """One comparison; a value of another kind than expected is compared as text, as Python
    compared it when its types did not order."""
    if name == "started":
        var = f"STR({var})"
    if isinstance(expected, bool) or not isinstance(expected, int | float):
        return f"STR({var}) {op} {to_sparql(name, 'string', expected)}"  # op: parse_filter's
    number = to_sparql(name, "integer" if isinstance(expected, int) else "decimal", expected)
    text = to_sparql(name, "string", str(expected))
    return f"IF(isNumeric({var}), {var} {op} {number}, STR({var}) {op} {text})"
