"""``TriggerService``: triggers declared per experiment, the loop that fires them, and firings.

Schedule and new-data triggers are fired by the loop (``start``; one thread, stopped by
``close``): it ticks when the next cron tick is due, when an upload wakes it
(``dataset_uploaded``) and at least every ``ONTOLAB_TRIGGER_POLL_SECONDS``, re-reading the
triggers from the graph each time, so triggers made or uploads stored by another platform
process on the same store are seen too. Drift and performance triggers are fired by
observations handed to ``observe`` by the monitor; manual triggers (any trigger, in fact) by
``fire``. Every firing goes through one lock: debounce and cooldown (``rules``), then at most
one run in flight per experiment (this process's runs and the graph's), then
``RunService.start`` on the experiment's newest version; what came of it is recorded in the
trigger's graph either way. Callbacks given to ``on_run_finished`` hear when a run a firing
started has ended (the promotion policy's seam).

Time comes from a ``Clock`` (``server.graph.clock``): a test drives the schedule with a
``ManualClock`` instead of waiting.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from server import datasets, definitions
from server.automation import checks, records, rules
from server.automation.firings import FAILED, IN_FLIGHT, STARTED, Firing, Observation
from server.automation.rules import TriggerState
from server.automation.triggers import Trigger, request_kind, request_triples
from server.errors import NotFoundError, OntolabError, TriggerError
from server.graph.clock import Clock, SystemClock
from server.graph.namespaces import PLATFORM_AGENT
from server.runs.service import RunService
from server.settings import Settings
from server.store.base import Store
from server.tracking.records import RunRecord

log = logging.getLogger(__name__)

#: How long ``close`` waits for the loop's current tick to end.
STOP_WAIT_SECONDS = 10.0
RunFinished = Callable[[Firing, RunRecord], None]


class TriggerService:
    """Safe to share between threads: request handlers, the loop, monitors, run threads."""

    def __init__(
        self, settings: Settings, store: Store, runs: RunService, clock: Clock | None = None
    ) -> None:
        self._poll = settings.trigger_poll_seconds
        self._store = store
        self._runs = runs
        self._clock = clock or SystemClock()
        # Guards what follows; held while a firing decides and starts its run, so two
        # firings never both find no run in flight.
        self._lock = threading.RLock()
        self._triggers: dict[str, Trigger] | None = None  # by id; None: read on first use
        self._states: dict[str, TriggerState] = {}
        self._models: dict[str, tuple[float, frozenset[str]]] = {}  # experiment → (read at, names)
        self._started: dict[str, Firing] = {}  # run id → the firing that started it
        self._callbacks: list[RunFinished] = []
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- declared triggers -------------------------------------------------------------------

    def create(self, identifier: str, body: Mapping[str, Any]) -> Trigger:
        """Validate and store a trigger of ``identifier``'s experiment; nothing is stored when
        it is refused. NotFoundError for an unknown experiment, TriggerError for the rest."""
        version = definitions.get_version(self._store, identifier)
        kind = request_kind(body)
        task = records.experiment_task(self._store, version)
        if task not in ("classification", "regression"):
            raise TriggerError(
                f"experiment {identifier!r} holds runs tracked from code, which the platform "
                "cannot start; put a trigger on an experiment submitted as a definition"
            )
        identity = Trigger(
            id=uuid.uuid4().hex[:12],
            kind=kind,
            experiment=identifier,
            experiment_iri=str(version.experiment),
            created=self._clock.now().isoformat(),
            direction=self._default_direction(body, task) if kind == "performance" else None,
        )
        triples = request_triples(
            body, identity, self._baseline(body) if kind == "new_data" else None
        )
        checks.check_shapes(triples)
        if kind == "schedule":
            checks.check_cron(str(body["cron"]))
            checks.zone(str(body.get("timezone", "UTC")))
        records.save_trigger(self._store, identity, triples)
        with self._lock:
            self._triggers = None  # read again, with the new one
        self._wake.set()  # a schedule's first tick is computed by the loop
        return self.get(identifier, identity.id)

    def listing(self, identifier: str) -> list[Trigger]:
        """The triggers in force of the experiment, oldest first; NotFoundError if unknown."""
        definitions.get_version(self._store, identifier)
        return [t for t in self._refresh() if t.experiment == identifier]

    def get(self, identifier: str, trigger_id: str) -> Trigger:
        for trigger in self.listing(identifier):
            if trigger.id == trigger_id:
                return trigger
        raise NotFoundError(
            f"experiment {identifier!r} has no trigger {trigger_id!r}; list its triggers with "
            f"GET /api/experiments/{identifier}/triggers (`ontolab triggers list {identifier}`)"
        )

    def remove(self, identifier: str, trigger_id: str) -> Trigger:
        """Take a trigger out of force; its firings stay in its graph."""
        trigger = self.get(identifier, trigger_id)
        records.retire(self._store, trigger, self._clock.now())
        with self._lock:
            self._triggers = None
        return trigger

    def retire_experiment(self, identifier: str) -> list[str]:
        """Take every trigger of an experiment being deleted out of force; their ids."""
        retired = [t for t in self._refresh() if t.experiment == identifier]
        now = self._clock.now()
        for trigger in retired:
            records.retire(self._store, trigger, now)
        with self._lock:
            self._triggers = None
        return [t.id for t in retired]

    def firings(self, identifier: str, trigger_id: str, limit: int = 50) -> list[Firing]:
        """The trigger's firings, newest first."""
        return records.firings(self._store, self.get(identifier, trigger_id), limit)

    def fire(self, identifier: str, trigger_id: str, started_by: str | None = None) -> Firing:
        """Fire a trigger by hand: the same rules as any firing (debounce, cooldown, one run
        in flight); the firing says what came of it. ``started_by``: the agent IRI of who
        fired it, which the run it starts is associated with (else the platform)."""
        trigger = self.get(identifier, trigger_id)
        return self._fire(trigger, self._clock.now(), "fired by hand", by=started_by)

    # --- what fires them ---------------------------------------------------------------------

    def observe(self, observation: Observation) -> list[Firing]:
        """Count one evaluated monitoring window against the drift and performance triggers
        that watch its deployment; the firings it caused (most often none)."""
        now = self._clock.now()
        fired = []
        for trigger in self._refresh(cached=True):
            if trigger.kind not in ("drift", "performance"):
                continue
            if not self._watches(trigger, observation):
                continue
            value = rules.observed_value(trigger, observation)
            with self._lock:
                completes = rules.count_window(trigger, self._state(trigger), observation, value)
            if completes and value is not None:
                detail = rules.describe(trigger, observation, value)
                fired.append(
                    self._fire(
                        trigger,
                        now,
                        detail,
                        observed_value=value,
                        deployment=observation.deployment_id,
                        window_end=observation.window_end_time,
                        evaluation=observation.evaluation_iri,
                    )
                )
        return fired

    def dataset_uploaded(self, version: datasets.DatasetVersion) -> None:
        """A dataset version was stored (``DatasetService.on_uploaded``): tick now."""
        self._wake.set()

    def tick(self) -> list[Firing]:
        """Fire the schedule triggers whose tick is due and the new-data triggers whose dataset
        has a new version; the loop calls this, a test may call it directly."""
        now = self._clock.now()
        fired = []
        for trigger in self._refresh():
            if trigger.kind == "schedule":
                tick = self._due(trigger, now)
                if tick is not None:
                    detail = f"cron {trigger.cron!r} ({trigger.timezone}) tick {tick.isoformat()}"
                    fired.append(self._fire(trigger, now, detail, scheduled_for=tick))
        by_iri = {str(t.iri): t for t in self._refresh(cached=True)}
        for new in records.new_dataset_versions(self._store):
            watching = by_iri.get(new.trigger)
            if watching is not None:
                detail = f"dataset {new.name!r} version {new.number} appeared"
                fired.append(
                    self._fire(
                        watching,
                        now,
                        detail,
                        observed_value=new.number,
                        dataset_version=new.dataset,
                    )
                )
        return fired

    def on_run_finished(self, callback: RunFinished) -> None:
        """Call ``callback(firing, record)`` when a run a firing started has ended, on the
        run's thread, after the registry registered its models. A callback that raises is
        logged; the run and other callbacks are not affected."""
        with self._lock:
            self._callbacks.append(callback)

    def run_finished(self, record: RunRecord) -> None:
        """``RunService.on_finished`` hook: hand a triggered run's end to the callbacks.

        Any run's end also makes the models its experiment registered be read again (the
        registry's hook ran first), for the triggers that watch the experiment's own models."""
        with self._lock:
            self._models.pop(record.pipeline.identifier, None)
            firing = self._started.pop(record.run_id, None)
            callbacks = list(self._callbacks)
        if firing is None:
            return
        for callback in callbacks:
            try:
                callback(firing, record)
            except Exception:
                log.warning(
                    "a run-finished callback failed on run %s", record.run_id, exc_info=True
                )

    # --- the loop ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop's thread (once)."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name="triggers", daemon=True)
            self._thread.start()

    def close(self, timeout: float = STOP_WAIT_SECONDS) -> None:
        """Stop the loop; a tick under way ends first (its run, if it started one, goes on)."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("the trigger loop did not stop within %g s", timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()  # before the tick: a wake-up during it is not lost
            try:
                self.tick()
            except Exception:  # a store that is down now may answer at the next tick
                log.warning("a tick of the trigger loop failed; trying again", exc_info=True)
            if not self._stopping.is_set():
                self._clock.wait(self._wake, self._seconds_to_next())

    def _seconds_to_next(self) -> float:
        with self._lock:
            ticks = [s.next_tick for s in self._states.values() if s.next_tick is not None]
        now = self._clock.now()
        soonest = min(((t - now).total_seconds() for t in ticks), default=self._poll)
        return max(0.0, min(self._poll, soonest))

    # --- inside ------------------------------------------------------------------------------

    def _refresh(self, cached: bool = False) -> list[Trigger]:
        """The triggers in force, read from the graph (``cached``: unless read already)."""
        with self._lock:
            if cached and self._triggers is not None:
                return list(self._triggers.values())
        found = records.active_triggers(self._store)
        fresh = [t for t in found if t.id not in self._states]
        times = records.firing_times(self._store) if fresh else {}
        with self._lock:
            self._triggers = {t.id: t for t in found}
            for trigger in fresh:
                past = times.get(str(trigger.iri))
                state = self._states.setdefault(trigger.id, TriggerState())
                if past is not None and state.last_firing is None:
                    state.last_firing, state.last_started = past.last, past.last_started
                    state.last_tick = past.last_tick
            for gone in set(self._states) - set(self._triggers):
                del self._states[gone]
        return found

    def _state(self, trigger: Trigger) -> TriggerState:
        with self._lock:
            return self._states.setdefault(trigger.id, TriggerState())

    def _due(self, trigger: Trigger, now: datetime) -> datetime | None:
        """The cron tick to fire for now, if one is due (ticks missed meanwhile: the last)."""
        assert trigger.cron is not None and trigger.timezone is not None
        with self._lock:
            state = self._state(trigger)
            if state.next_tick is None:
                since = state.last_tick or datetime.fromisoformat(trigger.created)
                state.next_tick = checks.next_tick(trigger.cron, trigger.timezone, since)
            if now < state.next_tick:
                return None
            due = checks.latest_tick(trigger.cron, trigger.timezone, now)
            state.next_tick = checks.next_tick(trigger.cron, trigger.timezone, now)
            state.last_tick = due
            return due

    def _watches(self, trigger: Trigger, observation: Observation) -> bool:
        if trigger.deployments or trigger.model:
            return observation.deployment_id in trigger.deployments or (
                observation.model == trigger.model
            )
        return observation.model in self._experiment_models(trigger.experiment)

    def _experiment_models(self, identifier: str) -> frozenset[str]:
        """The model names the experiment's runs registered, read again after ``_poll`` s."""
        with self._lock:
            read_at, names = self._models.get(identifier, (float("-inf"), frozenset()))
        if time.monotonic() - read_at > self._poll:
            names = records.experiment_models(self._store, identifier)
            with self._lock:
                self._models[identifier] = (time.monotonic(), names)
        return names

    def _fire(
        self, trigger: Trigger, now: datetime, detail: str, by: str | None = None, **observed: Any
    ) -> Firing:
        """Decide, start the run if allowed, and record the firing; all under the lock."""
        with self._lock:
            state = self._state(trigger)
            held = rules.held_back(trigger, state, now)
            run_id = in_flight = None
            if held is not None:
                outcome, why = held
            else:
                in_flight = self._in_flight(trigger.experiment)
                if in_flight is not None:
                    outcome, why = (
                        IN_FLIGHT,
                        (
                            f"run {in_flight} of {trigger.experiment!r} is in flight, and at most "
                            "one runs at a time"
                        ),
                    )
                else:
                    outcome, why, run_id = self._start(trigger, by or str(PLATFORM_AGENT))
            state.last_firing = now
            if outcome == STARTED:
                state.last_started = now
            firing = Firing(
                id=uuid.uuid4().hex[:12],
                trigger_id=trigger.id,
                experiment=trigger.experiment,
                time=now,
                outcome=outcome,
                detail=f"{detail}; {why}",
                run_id=run_id,
                in_flight_run=in_flight,
                **observed,
            )
            if run_id is not None:
                self._started[run_id] = firing
            records.add_firing(self._store, trigger, firing)
        log.info("trigger %s of %s: %s", trigger.id, trigger.experiment, firing.detail)
        return firing

    def _in_flight(self, identifier: str) -> str | None:
        """A run of the experiment that has not ended: this process's, or the graph's."""
        for record in self._runs.active():
            if record.pipeline.identifier == identifier:
                return record.run_id
        running = records.runs_in_flight(self._store, identifier)
        return running[0] if running else None

    def _start(self, trigger: Trigger, by: str) -> tuple[str, str, str | None]:
        try:
            version = definitions.get_version(self._store, trigger.experiment)
            record = self._runs.start(version, started_by=by, trigger=str(trigger.iri))
        except OntolabError as exc:
            return FAILED, f"no run started: {exc}", None
        return STARTED, f"started run {record.run_id} of version {version.number}", record.run_id

    def _default_direction(self, body: Mapping[str, Any], task: str) -> str | None:
        """below for a measure where higher is better, above for an error measure; None when
        the request names no metric (the shapes say so)."""
        metric = body.get("metric")
        if not isinstance(metric, str):
            return None
        higher = checks.check_metric(metric, task, records.measures(self._store))
        return "below" if higher else "above"

    def _baseline(self, body: Mapping[str, Any]) -> int:
        """The newest version number of the dataset a new-data trigger watches (0: none)."""
        name = body.get("dataset")
        if not isinstance(name, str):
            return 0
        found = datasets.versions(self._store, name)
        return found[0].number if found else 0
