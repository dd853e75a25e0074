"""The run list's query text: the patterns that bind a run's fields, and the parts of the
queries for one selection (``RunQuery``). ``server.tracking.run_query`` decides which queries
to ask and in what order.

Each field is matched one hop from the run where the run states it there: a metric as
``olm:NAME``, a hyperparameter as ``olp:NAME``; ``STEP.NAME`` through the step's ML-Schema
evaluation or setting; the experiment through the version the run executes. Each field is its
own sub-select, which the engine evaluates once and hash-joins (joined pattern by pattern,
filtering on one value and sorting on another took twice as long at 100,000 runs). Values from
the request are bound as RDF terms, so they never change the query's shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from server.errors import QueryError
from server.graph.namespaces import measure_iri, metric_property, param_property
from server.graph.queries import to_sparql
from server.graph.write_terms import double

if TYPE_CHECKING:
    from server.tracking.run_index import Selection

_JSON = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON")
_DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")

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
UNIQUE = {"number", "run_id"}
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


@dataclass
class RunQuery:
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
        return query_text(f"(COUNT({distinct}?run) AS ?matches)", where)

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
        if not self.nested_values:  # ties newest first by the store itself (see ties_in_store)
            where.append("OPTIONAL { ?run ol:runNumber ?number }")
            order += " DESC(?number)"
        paging = f"OFFSET {int(offset)}" + (f" LIMIT {int(limit)}" if limit is not None else "")
        return query_text("DISTINCT ?run ?key", where, f"ORDER BY {order}", paging)

    @property
    def ties_in_store(self) -> bool:
        """Whether the page query itself puts runs sharing a value newest first: on remote
        stores, where the queries that put a page's ties in order afterwards (a sub-select per
        anchor run) meet Virtuoso's SQ142 now and then; the embedded store orders by value
        alone and the ties are put in order after (far quicker at 100,000 runs)."""
        return not self.nested_values

    def group_size(self, anchor: str) -> str:
        """How many runs (matching or not) share the sort value of the run ``anchor``."""
        run = to_sparql("run", "iri", anchor)
        where = [
            f"{{ SELECT ?key WHERE {{ {field_pattern(self.sort, '?key', run)} }} }}",
            self._joined_key(),
        ]
        return query_text("(COUNT(DISTINCT ?run) AS ?size)", where)

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
        return query_text("?anchor ?run", where, order, paging)

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
        return query_text("(COUNT(DISTINCT ?run) AS ?matches)", self.matches(extra=(ahead,)))

    def lacking(self, offset: int, limit: int | None) -> str:
        """The matches without the sort field, newest first."""
        where = [
            *self.matches(),
            f"FILTER NOT EXISTS {{ {field_pattern(self.sort, '?key')} }}",
            "OPTIONAL { ?run ol:runNumber ?number }",
            "OPTIONAL { ?run prov:startedAtTime ?started }",
        ]
        paging = f"OFFSET {offset}" + (f" LIMIT {limit}" if limit is not None else "")
        return query_text("DISTINCT ?run", where, "ORDER BY DESC(?number) DESC(?started)", paging)

    def _joined_key(self) -> str:
        """The sort field's pattern for ``?key`` already bound: plain, so the store looks the
        runs up by value, unless it BINDs (which may not bind a variable in scope)."""
        mine = field_pattern(self.sort, "?key")
        return f"{{ SELECT ?run ?key WHERE {{ {mine} }} }}" if "BIND(" in mine else mine

    def _sorted_by(self) -> str:
        return f"{{ SELECT ?run ?key WHERE {{ {field_pattern(self.sort, '?key')} }} }}"


def query_text(projection: str, where: list[str], order: str = "", paging: str = "") -> str:
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
