"""The estimator allow-list: the names a definition may give in ``ol:estimator``.

scikit-learn's estimators (``executor.contract.SKLEARN_ESTIMATORS``) plus the settings' entries
(``ONTOLAB_ESTIMATORS``, checked for form and installation when the settings load). Each entry's
task comes from the class itself: the platform imports the operator's configured module (never a
name from a definition), makes an instance and asks scikit-learn's ``is_classifier`` /
``is_regressor``, falling back on the class name's ``Classifier`` / ``Regressor`` suffix.

The SHACL shapes' ``sh:in`` lists on ``ol:estimator`` are rewritten from the allow-list
(``shapes_with``), so validation, the builder's vocabulary and the run all read one list. A run
resolves the name to its entry (``resolve``) and passes the entry to the build step, which imports
that and nothing else.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from rdflib import Graph, Literal
from rdflib.collection import Collection
from rdflib.namespace import SH

from executor.contract import SKLEARN_ESTIMATORS, parse_entry
from server.errors import ConfigError, DefinitionError
from server.graph.namespaces import OL

if TYPE_CHECKING:
    from server.settings import Settings

log = logging.getLogger(__name__)
TASKS = ("classification", "regression")
SETTING = "ONTOLAB_ESTIMATORS"
_SUFFIX = {"Classifier": "classification", "Regressor": "regression"}
# The properties whose sh:in lists in the shapes are the allow-list (an AutoML step's
# candidates are allow-listed names too).
ESTIMATOR_PATHS = {OL.estimator: "ol:estimator", OL.candidateEstimator: "ol:candidateEstimator"}


@dataclass(frozen=True)
class Estimator:
    name: str
    entry: str  # module:ClassName, what the build step imports
    task: str


@dataclass(frozen=True)
class AllowList:
    """Every allowed estimator by name, scikit-learn's first, in the order configured."""

    estimators: tuple[Estimator, ...]

    def names(self, task: str | None = None) -> list[str]:
        return [e.name for e in self.estimators if task is None or e.task == task]

    def resolve(self, name: str, task: str, term: str = "ol:estimator") -> Estimator:
        """The allowed estimator ``name`` for ``task``; DefinitionError (400) naming the list
        (and ``term``, the property that named it)."""
        found = next((e for e in self.estimators if e.name == name), None)
        if found is not None and found.task == task:
            return found
        reason = f"is a {found.task} estimator" if found else "is not in the allow-list"
        raise DefinitionError(
            f"{term} {name!r} {reason}; for {task} set it to one of "
            f"{', '.join(self.names(task))} (the allow-list; {SETTING} extends it)"
        )


def allow_list(entries: tuple[str, ...], optional: bool = False) -> AllowList:
    """scikit-learn's estimators plus ``entries`` (``Settings.estimator_entries``).

    Raises ConfigError naming ONTOLAB_ESTIMATORS for an entry that does not import, is not a
    class with fit and predict, or is neither a classifier nor a regressor; with ``optional``
    (the defaults, not the operator's list) such an entry is left out with a warning instead.
    """
    return _allow_list(tuple(entries), optional)


def for_settings(settings: Settings) -> AllowList:
    """The allow-list ``settings`` configure: a bad configured entry stops the caller, a default
    one (LightGBM found but not loadable, e.g. without libgomp) is only left out."""
    return allow_list(settings.estimator_entries, optional=not settings.estimators.strip())


@lru_cache(maxsize=8)
def _allow_list(entries: tuple[str, ...], optional: bool) -> AllowList:
    found = [Estimator(n, entry, task) for n, (entry, task) in SKLEARN_ESTIMATORS.items()]
    for entry in entries:
        try:
            found.append(_configured(entry))
        except ConfigError as exc:
            if not optional:
                raise
            log.warning("estimator %s left out of the allow-list: %s", entry, exc)
    return AllowList(tuple(found))


def default_allow_list() -> AllowList:
    """The allow-list of the default settings (for callers without settings)."""
    from server.settings import Settings

    return for_settings(Settings())


def _configured(entry: str) -> Estimator:
    try:
        module, name = parse_entry(entry)
        cls = getattr(importlib.import_module(module), name)
    except (ValueError, ImportError, OSError, AttributeError) as exc:  # OSError: a missing .so
        raise ConfigError(
            f"{SETTING} entry {entry!r} cannot be loaded ({exc}); fix or remove the entry"
        ) from exc
    if not isinstance(cls, type) or not all(hasattr(cls, m) for m in ("fit", "predict")):
        raise ConfigError(
            f"{SETTING} entry {entry!r} is not a class with fit and predict; "
            "name a scikit-learn-API estimator class"
        )
    return Estimator(name, entry, _task(entry, cls))


def _task(entry: str, cls: type) -> str:
    from sklearn.base import is_classifier, is_regressor

    try:
        instance = cls()
        checks = {"classification": is_classifier, "regression": is_regressor}
        tasks = [task for task, check in checks.items() if check(instance)]
    except Exception:  # a class that cannot be made bare: judge it by its name
        tasks = []
    if len(tasks) == 1:
        return tasks[0]
    by_name = [task for suffix, task in _SUFFIX.items() if cls.__name__.endswith(suffix)]
    if by_name:
        return by_name[0]
    raise ConfigError(
        f"{SETTING} entry {entry!r} is neither a classifier nor a regressor (scikit-learn's "
        "is_classifier / is_regressor); name a classifier or regressor class"
    )


# --- The shapes: sh:in lists on ol:estimator --------------------------------------------------


def shapes_with(shapes: Graph, allowed: AllowList) -> Graph:
    """``shapes`` with every ``sh:in`` list on ``ol:estimator`` (and ``ol:candidateEstimator``)
    holding the allow-list.

    ontology/shapes.ttl lists scikit-learn's estimators (all of them, the classifiers, the
    regressors); each such list is replaced by the allow-list's names of the same kind, and the
    allow-list shape's message lists them, so a refusal says what to write.
    """
    every = frozenset(_builtin(None))
    kinds = {every: allowed.names(), **{frozenset(_builtin(t)): allowed.names(t) for t in TASKS}}
    for path, term in ESTIMATOR_PATHS.items():
        for prop in list(shapes.subjects(SH.path, path)):
            head = shapes.value(prop, SH["in"])
            if head is None:
                continue
            listed = frozenset(str(v) for v in Collection(shapes, head))
            if listed not in kinds:
                raise ConfigError(
                    f"an sh:in on {term} in the shapes lists {sorted(listed)}, not "
                    "scikit-learn's estimators; keep shapes.ttl's lists as scikit-learn's defaults"
                )
            Collection(shapes, head).clear()
            Collection(shapes, head, [Literal(n) for n in kinds[listed]])
            if listed == every and shapes.value(prop, SH.message) is not None:
                shapes.set((prop, SH.message, Literal(_message(allowed, term))))
    return shapes


def _builtin(task: str | None) -> list[str]:
    return [n for n, (_, t) in SKLEARN_ESTIMATORS.items() if task is None or t == task]


def _message(allowed: AllowList, term: str = "ol:estimator") -> str:
    return (
        f"{term} is not in the allow-list; use one of these class names: "
        f"for classification {', '.join(allowed.names('classification'))}; for regression "
        f"{', '.join(allowed.names('regression'))} ({SETTING} extends the list)"
    )


def estimator_defaults(allowed: AllowList, label: str) -> dict[str, object]:
    """The scalar defaults of the allowed estimator a run recorded as ``label`` (its class
    name, or ``module.ClassName``); empty when no allow-list entry has that class. Only
    allow-listed entries are imported, never a name read from the graph."""
    name = label.rsplit(".", 1)[-1]
    entry = next((e.entry for e in allowed.estimators if e.entry.rsplit(":", 1)[-1] == name), None)
    return dict(_defaults(entry)) if entry else {}


@lru_cache(maxsize=64)
def _defaults(entry: str) -> tuple[tuple[str, object], ...]:
    module, name = parse_entry(entry)
    try:
        params = getattr(importlib.import_module(module), name)().get_params(deep=False)
    except Exception:  # an estimator that cannot be made without arguments: no defaults known
        log.debug("no defaults for %s", entry, exc_info=True)
        return ()
    kept = {k: v for k, v in params.items() if v is None or isinstance(v, bool | int | float | str)}
    return tuple(sorted(kept.items()))
