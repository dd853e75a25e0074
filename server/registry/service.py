"""The model registry: numbered versions per model name, aliases, and the promotion gate.

Every successful run registers each model it built as the next version (1, 2, …) of the
model's ``ol:modelName``, unless a version with the same sha256 is registered already (a re-run
served from the step cache builds the same bytes): that version stands for it, no duplicate.
A failed or cancelled run registers nothing, even when only its validate step failed: a model
that missed its thresholds never becomes a version. A version records its run, artifact IRI and
sha256, creation time, its run's evaluations of it, the primary metric (accuracy for
classification, r2 for regression) and whether it passed its validation thresholds: true when a
validate step of the run consumed the model (the run succeeded, so every such step met its
thresholds); false with the note "not validated" when no validate step did.

Aliases (``champion``, ``challenger``, any ``[a-z][a-z0-9_.-]*`` name) point at one version
each. Moving an alias through the promotion gate (``promote``; ``set_alias`` with
``gate=True``; always for ``champion``) is refused unless the version passed its validation
thresholds and, with ``must_beat_current``, unless its primary metric beats the alias's
current version (higher is better unless the ontology marks the measure otherwise).

Modules: ``model`` (the value types and names), ``gate`` (the promotion gate), ``triples`` (the
registry graph written and read back) and this service. Loading a version's artifact and
predicting with it is ``server.serving.models``: the registry records what a model is and
where its artifact lives, and never imports scikit-learn.

Storage: one named graph per model name (``https://w3id.org/ontolab/id/model/NAME``, also
the IRI of the ``ol:RegisteredModel``), rewritten whole by one ``replace_graph`` per change,
under a lock so concurrent changes in this process do not lose each other's writes. Every alias
change is also added to the model's history graph as an ``ol:AliasChange`` (``history``) with
its cause, and told to the ``on_alias_change`` listeners (the deployments that follow aliases);
``rollback`` returns an alias to its previous version from that history. Versions
and aliases are IRIs under it; metric values stay in the runs' graphs and are linked with
``ol:hasEvaluation``. All reads go through the ``registry_*`` named queries.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from server.errors import NotFoundError, RegistryError
from server.graph import queries
from server.graph.clock import utc_now
from server.registry import ledger
from server.registry.candidates import candidate as run_candidate
from server.registry.candidates import candidates
from server.registry.gate import check_promotion
from server.registry.history import (
    Cause,
    Decision,
    change_triples,
    decision_triples,
    rollback_target,
)
from server.registry.model import (
    GATED_ALIASES,
    Alias,
    AliasChange,
    ModelEntry,
    ModelVersion,
    check_alias,
    check_name,
    history_iri,
    model_iri,
)
from server.registry.triples import (
    Evaluation,
    as_float,
    as_int,
    as_iso,
    entry_triples,
    metric_name,
    version_from_row,
)
from server.store.base import Store, Triple
from server.tracking.records import RunRecord

log = logging.getLogger(__name__)

#: Told of every alias change; returns one dict per deployment it switched.
AliasListener = Callable[[AliasChange], list[dict[str, Any]]]


class Registry:
    """Model versions and aliases in the triplestore.

    Thread-safe: changes to the registry are serialized by one lock; reads go straight to
    the store, whose reads are thread-safe.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._listeners: list[AliasListener] = []

    # --- registering -------------------------------------------------------------------

    def on_run_finished(self, record: RunRecord) -> None:
        """``RunService.on_finished`` hook: register the run's models, never raise.

        An exception here would stop the run's bookkeeping, so it is logged instead.
        """
        try:
            self.register_run(record)
        except Exception:
            log.exception("registering the models of run %s failed", record.run_id)

    def register_run(self, record: RunRecord) -> list[ModelVersion]:
        """Register every model a successful run built; a run that did not succeed adds none."""
        return [self._add_version(c, record.pipeline.task) for c in candidates(record)]

    def _add_version(self, candidate: ModelVersion, task: str) -> ModelVersion:
        """Add ``candidate`` as the next version, unless a version holds the same bytes already.

        The same sha256 is the same model (a re-run served from the step cache, or a seeded
        build that came out identical): that version is returned, and no duplicate numbered.
        """
        with self._lock:
            entry = self._read(candidate.name) or ModelEntry(candidate.name, task)
            same = [v for v in entry.versions if v.sha256 == candidate.sha256]
            if same:
                log.info(
                    "run %s built %s version %d again (sha256 %s); no new version",
                    candidate.run_id,
                    candidate.name,
                    same[0].number,
                    candidate.sha256[:12],
                )
                return same[0]
            number = entry.latest.number + 1 if entry.versions else 1
            version = replace(candidate, number=number)
            entry.versions.append(version)
            self._write(entry)
        log.info("registered %s version %d from run %s", version.name, number, version.run_id)
        return version

    def import_versions(
        self,
        name: str,
        task: str,
        versions: list[ModelVersion],
        aliases: dict[str, int],
    ) -> tuple[list[ModelVersion], list[ModelVersion]]:
        """Add versions made elsewhere (an MLflow import) under their own numbers, and their
        aliases; returns (added, already present). Idempotent: a number already registered
        is left as it is, and so is an alias already set, so a second import adds nothing.
        """
        check_name(name)
        for alias in aliases:
            check_alias(alias)
        with self._lock:
            entry = self._read(name) or ModelEntry(name, task)
            have = {v.number for v in entry.versions}
            added = [v for v in versions if v.number not in have]
            present = [v for v in versions if v.number in have]
            known = have | {v.number for v in added}
            now = utc_now()
            new_aliases = {
                alias: Alias(alias, number, now)
                for alias, number in aliases.items()
                if alias not in entry.aliases and number in known
            }
            if added or new_aliases:
                entry.versions = sorted(entry.versions + added, key=lambda v: v.number)
                entry.aliases.update(new_aliases)
                self._write(entry)
                for held in new_aliases.values():
                    self._record(name, held.name, held.version, None, Cause("import"), now)
        return added, present

    def forget_runs(self, records: list[RunRecord]) -> list[str]:
        """Remove the versions these runs registered, and the aliases on them (for runs that
        are deleted with their experiment); returns them as ``NAME/vN``. A model left with
        no version is removed whole."""
        forgotten: list[str] = []
        for record in records:
            run_id = record.run_id
            names = {c.name for s in record.steps.values() if (c := run_candidate(record, s))}
            for name in sorted(names):
                with self._lock:
                    forgotten += self._forget(name, run_id)
        return forgotten

    def _forget(self, name: str, run_id: str) -> list[str]:
        entry = self._read(name)
        if entry is None:
            return []
        gone = {v.number for v in entry.versions if v.run_id == run_id}
        if not gone:
            return []
        entry.versions = [v for v in entry.versions if v.number not in gone]
        entry.aliases = {k: a for k, a in entry.aliases.items() if a.version not in gone}
        if entry.versions:
            self._write(entry)
        else:
            self._store.delete_graph(model_iri(name))
        log.info("removed %s versions %s of deleted run %s", name, sorted(gone), run_id)
        return [f"{name}/v{number}" for number in sorted(gone)]

    # --- reading -----------------------------------------------------------------------

    def models(self) -> list[dict[str, Any]]:
        """Every model name with its task, newest version number, version count and aliases."""
        aliases: dict[str, dict[str, int]] = {}
        for row in queries.select(self._store, "registry_all_aliases"):
            aliases.setdefault(str(row["name"]), {})[str(row["alias"])] = as_int(row["number"])
        return [
            {
                "name": str(row["name"]),
                "task": str(row["task"]),
                "latest_version": as_int(row["latest"]),
                "versions": as_int(row["versions"]),
                "aliases": aliases.get(str(row["name"]), {}),
            }
            for row in queries.select(self._store, "registry_models")
        ]

    def model(self, name: str) -> ModelEntry:
        """Everything registered under ``name``; NotFoundError naming the models there are."""
        check_name(name)
        entry = self._read(name)
        if entry is None:
            known = ", ".join(m["name"] for m in self.models()) or "none yet"
            raise NotFoundError(
                f"no model named {name!r} is registered (registered: {known}); models are "
                "registered when a run that builds them succeeds"
            )
        return entry

    def resolve(
        self, name: str, version: int | None = None, alias: str | None = None
    ) -> ModelVersion:
        """The version asked for: by number, by alias, or else the newest.

        Reads no metric values (one query, two with an alias): this is on the predict path.
        """
        check_name(name)
        entry = self._read(name, metrics=False, aliases=alias is not None)
        if entry is None:
            entry = self.model(name)  # raises NotFoundError naming the registered models
        if alias is not None:
            return entry.version(entry.alias(alias).version)
        return entry.version(version) if version is not None else entry.latest

    # --- aliases and the promotion gate -------------------------------------------------

    def on_alias_change(self, listener: AliasListener) -> None:
        """Call ``listener`` after every alias change is written (outside the registry's lock);
        what it returns (one dict per deployment it switched) is the change's ``switches``."""
        self._listeners.append(listener)

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        gate: bool = False,
        must_beat_current: bool = False,
        cause: Cause | None = None,
        rescored: Mapping[int, float] | None = None,
    ) -> AliasChange:
        """Point ``alias`` at ``version``; through the gate when asked or for ``champion``
        (``rescored``: current holders' figures on the candidate's data, ``gate``).

        The change is recorded in the model's history (``cause``: manual when not given) and
        told to the listeners; pointing an alias at the version it holds changes nothing."""
        check_alias(alias)
        gated = gate or must_beat_current or alias in GATED_ALIASES
        with self._lock:
            entry = self.model(name)
            candidate = entry.version(version)
            compared = (
                check_promotion(entry, candidate, alias, must_beat_current, rescored)
                if gated
                else None
            )
            previous = entry.aliases.get(alias)
            if previous is not None and previous.version == candidate.number:
                return AliasChange(name, alias, candidate.number, candidate.number, gated, compared)
            now = utc_now()
            entry.aliases[alias] = Alias(alias, candidate.number, now)
            self._write(entry)
            before = previous.version if previous else None
            change = self._record(name, alias, candidate.number, before, cause, now)
        moved = AliasChange(name, alias, candidate.number, before, gated, compared, change)
        return self._tell(moved)

    def promote(
        self,
        name: str,
        version: int,
        alias: str = "champion",
        *,
        must_beat_current: bool = False,
        cause: Cause | None = None,
    ) -> AliasChange:
        """Move ``alias`` to ``version`` through the promotion gate."""
        return self.set_alias(
            name, alias, version, gate=True, must_beat_current=must_beat_current, cause=cause
        )

    def delete_alias(self, name: str, alias: str, cause: Cause | None = None) -> Alias:
        """Remove ``alias``; returns what it pointed at. Recorded in the model's history."""
        check_alias(alias)
        with self._lock:
            entry = self.model(name)
            removed = entry.alias(alias)
            del entry.aliases[alias]
            self._write(entry)
            self._record(name, alias, None, removed.version, cause, utc_now())
        return removed

    def rollback(self, name: str, alias: str, cause: Cause | None = None) -> AliasChange:
        """Return ``alias`` to the version it pointed at before (from its history, so rolling
        back twice goes two steps back); RegistryError when there is none."""
        check_alias(alias)
        entry = self.model(name)
        current = entry.alias(alias)
        target = rollback_target(self.alias_history(name, alias))
        if target is None or target == current.version:
            raise RegistryError(
                f"alias {alias!r} of model {name!r} has no previous version to return to (it "
                f"points at version {current.version}, and its history holds no earlier one); "
                f"point it at a version with PUT /api/models/{name}/aliases/{alias}"
            )
        agent = cause.agent if cause else Cause().agent
        undo = Cause("rollback", cause.informed_by if cause else None, agent)
        return self.set_alias(name, alias, target, cause=undo)

    # --- history -----------------------------------------------------------------------

    def record_decision(self, decision: Decision) -> None:
        """Add a promotion decision (made by ``server.automation.policy``) to the history."""
        self._store.add_to_graph(history_iri(decision.model), decision_triples(decision))

    def record_activity(self, name: str, triples: list[Triple]) -> None:
        """Add an activity of another package (a deployment switch) to the model's history."""
        self._store.add_to_graph(history_iri(name), triples)

    def alias_history(self, name: str, alias: str) -> list[dict[str, Any]]:
        """Every change of ``alias``, newest first; NotFoundError when it never existed."""
        return ledger.alias_history(self._store, name, alias, self.model)

    def alias_at(self, name: str, alias: str, time: str) -> dict[str, Any]:
        """The version ``alias`` pointed at ``time`` (ISO 8601), with the change that set it."""
        return ledger.alias_at(self._store, name, alias, time, self.model)

    def change_causes(self, name: str, change: str) -> list[dict[str, Any]]:
        """The activities that led to ``change`` (an alias change IRI) and the switches it
        caused; NotFoundError when it is not a recorded change of this model."""
        return ledger.change_causes(self._store, name, change)

    def decisions(self, name: str, limit: int) -> list[dict[str, Any]]:
        """The promotion decisions on ``name``'s versions, newest first (refused ones too:
        they change no alias); NotFoundError for an unknown model."""
        return ledger.decisions(self._store, name, limit, self.model)

    def held_out(self, name: str, number: int) -> tuple[str, ...]:
        """The checksums of the data version ``number`` was validated on (its test split)."""
        return ledger.held_out(self._store, name, number)

    def _record(
        self,
        name: str,
        alias: str,
        to: int | None,
        previous: int | None,
        cause: Cause | None,
        now: str,
    ) -> str:
        node, triples = change_triples(name, alias, to, previous, cause or Cause(), now)
        self._store.add_to_graph(history_iri(name), triples)
        return str(node)

    def _tell(self, change: AliasChange) -> AliasChange:
        switches: list[dict[str, Any]] = []
        for listener in self._listeners:
            try:
                switches += listener(change)
            except Exception as exc:  # the change stands; say what did not follow it
                log.exception("a listener of %s %s failed", change.model, change.alias)
                switches.append({"outcome": "failed", "reason": f"{type(exc).__name__}: {exc}"})
        return replace(change, switches=tuple(switches))

    # --- storage -----------------------------------------------------------------------

    def _read(self, name: str, *, metrics: bool = True, aliases: bool = True) -> ModelEntry | None:
        """The entry stored under ``name``, or None. Skipping metrics or aliases saves a query
        each, but such an entry must not be written back."""
        graph = str(model_iri(name))
        rows = queries.select(self._store, "registry_versions", model=graph)
        if not rows:
            return None
        evaluations: dict[int, list[Evaluation]] = {}
        if metrics:
            for row in queries.select(self._store, "registry_evaluations", model=graph):
                evaluations.setdefault(as_int(row["number"]), []).append(
                    (
                        str(row["evaluation"]),
                        metric_name(row.get("measure")),
                        as_float(row.get("value")),
                    )
                )
        entry = ModelEntry(str(rows[0]["name"]), str(rows[0]["task"]))
        entry.versions = [
            version_from_row(row, evaluations.get(as_int(row["number"]), [])) for row in rows
        ]
        if aliases:
            for row in queries.select(self._store, "registry_aliases", model=graph):
                alias = str(row["alias"])
                entry.aliases[alias] = Alias(alias, as_int(row["number"]), as_iso(row["assigned"]))
        return entry

    def _write(self, entry: ModelEntry) -> None:
        self._store.replace_graph(model_iri(entry.name), entry_triples(entry))
