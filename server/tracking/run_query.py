"""The run list as one SPARQL query: the store filters, sorts and pages, and only a page's runs
come back.

``build`` turns a ``Selection`` (``server.tracking.run_index``) into two queries: the page (the
run IRIs in order, ``LIMIT``/``OFFSET`` applied by the store) and the count of every match.
Each field a filter or sort names is matched one or two hops from the run, in the run's own
graph: a metric as ``olm:NAME`` (the value the run states one hop away, which the leaderboard
reads too), a step's metric through its ML-Schema evaluation, a hyperparameter through the step
run's setting, the experiment through the version the run executes. A field every filter group
needs is a plain pattern (the store can start from it); one that only the sort or some groups
name is ``OPTIONAL``, and runs lacking the sort field come last, as they did when the list was
sorted in Python. Values from the request are bound as RDF terms, so they never change the
query's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from server.errors import QueryError
from server.graph.namespaces import measure_iri, metric_property
from server.graph.queries import to_sparql

if TYPE_CHECKING:
    from server.tracking.run_index import Selection

_PREFIXES = """PREFIX ol: <https://w3id.org/ontolab/ns#>
PREFIX mls: <http://www.w3.org/ns/mls#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

_STARTED = "?run prov:startedAtTime ?started ."
_STATE = 'OPTIONAL { ?run ol:status ?stated } BIND(COALESCE(?stated, "running") AS ?status)'
_EXPERIMENT = "?run ol:ofExperimentVersion ?version_node . GRAPH ?version_node {{ {} }}"
#: The patterns that bind each of the run's own fields.
_RUN_FIELDS = {
    "status": _STATE,
    "experiment": _EXPERIMENT.format("?version_node dcterms:identifier ?identifier"),
    "version": _EXPERIMENT.format("?version_node ol:versionNumber ?version"),
    "started": _STARTED,
    "ended": "OPTIONAL { ?run prov:endedAtTime ?ended }",
    "run_id": "?run ol:runId ?run_id .",
}
_RUN_VARIABLES = {"experiment": "identifier"}
#: Fields that every run has, or whose pattern makes its own OPTIONAL.
_ALWAYS_BOUND = {"status", "started", "run_id", "experiment", "version"}

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
        f"cannot filter or sort on {name!r}; use status, experiment, version, "
        "started, metrics.NAME or params.NAME"
    )


@dataclass
class _Fields:
    """The variable of each field named, and the pattern that binds it."""

    variables: dict[str, str] = field(default_factory=dict)
    patterns: dict[str, str] = field(default_factory=dict)

    def variable(self, name: str) -> str:
        if name not in self.variables:
            check_field(name)
            if name in _RUN_FIELDS:
                self.variables[name] = "?" + _RUN_VARIABLES.get(name, name)
                self.patterns[name] = _RUN_FIELDS[name]
            else:
                var = f"?v{len(self.variables)}"
                self.variables[name] = var
                self.patterns[name] = _value_pattern(name, var)
        return self.variables[name]


def build(selection: Selection, groups: list[list[Condition]]) -> tuple[str, str]:
    """The page query (``?run`` in order) and the count query (``?matches``) for ``selection``."""
    fields = _Fields()
    expression = " || ".join(
        "(" + " && ".join(_condition(fields, *condition) for condition in group) + ")"
        for group in groups
    )
    needed = set.intersection(*({name for name, _, _ in g} for g in groups)) if groups else set()
    # The count joins only what the filter names: at 100,000 runs, counting ``?run a ol:Run``
    # takes ~65 ms, and joined with every run's start time ~2.7 s.
    where = ["?run a ol:Run ."]
    where += _fixed(selection)
    where += [_pattern(fields, name, name in needed) for name in list(fields.variables)]
    if expression:
        where.append(f"FILTER({expression})")
    count = _query("(COUNT(DISTINCT ?run) AS ?matches)", where, "", "")
    where.append(_STARTED)
    order = "DESC(?started)"
    if selection.sort:
        name, descending = sort_field(selection.sort)
        var = fields.variable(name)
        where.append(_pattern(fields, name, name in needed))
        key = f"{'DESC' if descending else 'ASC'}({var})"
        # Runs lacking the sort field come last, whichever the direction.
        last = "" if name in needed or name in _ALWAYS_BOUND else f"(!BOUND({var})) "
        order = f"{last}{key} DESC(?started)"
    paging = f"OFFSET {int(selection.offset)}" + (
        f" LIMIT {int(selection.limit)}" if selection.limit is not None else ""
    )
    page = _query("DISTINCT ?run", where, f"ORDER BY {order}", paging)
    return page, count


def _query(projection: str, where: list[str], order: str, paging: str) -> str:
    body = "\n  ".join(part for part in dict.fromkeys(where) if part)
    return f"{_PREFIXES}SELECT {projection}\nWHERE {{\n  {body}\n}}\n{order}\n{paging}\n"


def _fixed(selection: Selection) -> list[str]:
    """Patterns for the selection's own experiment and status."""
    out = []
    if selection.experiment:
        term = to_sparql("experiment", "string", selection.experiment)
        out.append(_EXPERIMENT.format(f"?version_node dcterms:identifier {term}"))
    if selection.status == "running":
        out.append("FILTER NOT EXISTS { ?run ol:status ?any_status }")
    elif selection.status:
        out.append(f"?run ol:status {to_sparql('status', 'string', selection.status)} .")
    return out


def _pattern(fields: _Fields, name: str, needed: bool) -> str:
    pattern = fields.patterns[name]
    if needed or name in _ALWAYS_BOUND or pattern.startswith("OPTIONAL"):
        return pattern
    return f"OPTIONAL {{ {pattern} }}"


def _value_pattern(name: str, var: str) -> str:
    """What binds ``var`` to a run's value of ``metrics.KEY`` or ``params.KEY``. A key with a
    dot is read both ways: ``STEP.NAME`` (that step's value) and a name that holds a dot."""
    kind, _, key = name.partition(".")
    step, _, bare = key.partition(".")
    n = var[2:]
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
    setting = (
        f"?run ol:hasStepRun ?s{n} . ?s{n} ol:hasHyperParameterSetting ?h{n} . "
        f"?h{n} ol:parameterName {{name}} ; mls:hasValue {var} ."
    )
    whole = setting.replace("{name}", to_sparql(name, "string", key))
    if not bare:
        return whole
    by_step = setting.replace("{name}", to_sparql(name, "string", bare))
    by_step += f" ?s{n} ol:stepId {to_sparql(name, 'string', step)} ."
    return f"{{ {whole} }} UNION {{ {by_step} }}"


def _condition(fields: _Fields, name: str, op: str, expected: Any) -> str:
    """One comparison; a value of another kind than expected is compared as text, as Python
    compared it when its types did not order."""
    var = fields.variable(name)
    if name == "started":
        var = f"STR({var})"
    if isinstance(expected, bool) or not isinstance(expected, int | float):
        return f"STR({var}) {op} {to_sparql(name, 'string', expected)}"  # op: parse_filter's
    number = to_sparql(name, "integer" if isinstance(expected, int) else "decimal", expected)
    text = to_sparql(name, "string", str(expected))
    return f"IF(isNumeric({var}), {var} {op} {number}, STR({var}) {op} {text})"
