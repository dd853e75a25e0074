"""Wires the parts together from one Settings object: the one place backends are chosen.

The CLI uses ``open_platform`` directly; the Flask app factory builds on the same object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server import definitions
from server.auth.accounts import ACCOUNT_FILE
from server.auth.task_tokens import TaskTokens
from server.automation import Firing, Observation, TriggerService, policy
from server.automation.scoring import ChampionScorer
from server.datasets import DatasetService
from server.definitions import ensure_ontology
from server.definitions.estimators import AllowList, for_settings
from server.graph import run_numbers
from server.graph.clock import Clock
from server.graph.upgrade import add_run_numbers
from server.monitoring.service import MonitoringService
from server.provision import make_provisioner
from server.provision.base import Provisioner
from server.registry.service import Registry
from server.runs.cache import StepCache
from server.runs.service import RunService
from server.runs.tracked import TrackedRuns
from server.serving.deployments import DeploymentService, registry_target
from server.serving.models import ModelServing
from server.settings import Settings
from server.store import Store, open_store
from server.tracking.artifacts import ArtifactStore
from server.tracking.records import RunRecord


@dataclass
class Platform:
    settings: Settings
    store: Store
    provisioner: Provisioner
    artifacts: ArtifactStore
    runs: RunService
    deployments: DeploymentService
    registry: Registry
    datasets: DatasetService
    serving: ModelServing
    estimators: AllowList  # what ol:estimator may name: scikit-learn's + ONTOLAB_ESTIMATORS
    # Runs recorded from any code (the SDK's start_run, MLflow's client, an MLflow import)
    tracked: TrackedRuns
    triggers: TriggerService
    # Drift and live performance of deployments, per window (server/monitoring/service.py)
    monitoring: MonitoringService
    # Scores a champion on a challenger's held-out data for the promotion policy
    scorer: ChampionScorer | None = None

    def challenge(self, name: str, version: int, informed_by: str | None = None) -> dict[str, Any]:
        """Run the promotion policy on ``version`` of ``name`` (``server.automation.policy``),
        scoring the champion on the challenger's held-out data when theirs differ."""
        return policy.challenge(
            self.registry, name, version, informed_by=informed_by, scorer=self.scorer
        )

    # Auth on: the run-scoped tokens swarm steps push artifacts with (server/auth/task_tokens)
    task_tokens: TaskTokens | None = None

    def delete_experiment(self, identifier: str) -> dict[str, Any]:
        """Delete an experiment's versions and runs; runs of it in flight are cancelled first.

        While it is deleted no run of it can start. A run in flight is cancelled and waited
        for before its graph is deleted, so nothing writes to it afterwards; a model version
        one of those runs registered anyway (it ended just before the cancel reached it) is
        removed with it. Raises NotFoundError for an unknown experiment and RunStateConflict
        (409, nothing deleted) when a cancelled run does not stop in time.
        """
        with self.runs.stopped(identifier) as stopped:
            self.triggers.retire_experiment(identifier)  # they would start no run of it now
            self.tracked.forget_experiment(identifier)  # its tracked runs' history graphs
            versions, runs = definitions.delete_experiment(self.store, identifier)
            forgotten = self.registry.forget_runs(stopped)
        return {
            "identifier": identifier,
            "deleted_versions": versions,
            "deleted_runs": runs,
            "cancelled_runs": [record.run_id for record in stopped],
            "removed_model_versions": forgotten,
        }

    def store_reachable(self) -> bool:
        """Whether the store answers a query (the health check)."""
        return self.store.ask("ASK { }")

    def close(self) -> None:
        self.triggers.close()  # first: no firing starts a run while the rest stops
        self.monitoring.close()  # before the store and the deployments it reads go
        self.deployments.close()  # stops the model servers; they stay desired-running
        self.runs.close()
        self.provisioner.close()
        run_numbers.flush(self.store)
        if self.task_tokens is not None:
            self.task_tokens.close()
        self.store.close()


def open_platform(
    settings: Settings | None = None,
    *,
    serve_deployments: bool = True,
    provisioner: Provisioner | None = None,
    run_triggers: bool = True,
    clock: Clock | None = None,
) -> Platform:
    """Open the store (loading the ontology if it changed) and build the services.

    Runs a crash left in flight are marked interrupted first (``RunService.reconcile``;
    the ``reconcile_runs`` setting says on which stores), and runs stored before runs were
    numbered get their numbers (on other stores ``ontolab store upgrade`` gives them).

    With ``serve_deployments`` every deployment whose desired state is running is started
    again in the background (``platform.deployments.wait_restored()`` waits for it). A
    ``provisioner`` made earlier with ``make_provisioner`` is used instead of a new one.

    With ``run_triggers`` (and the ``triggers`` setting on) the trigger loop starts, after the
    runs a crash left in flight are reconciled; ``clock`` is the time it reads (default: the
    wall clock; tests pass a ``ManualClock``).
    """
    settings = settings or Settings.load()
    estimators = for_settings(settings)  # a bad configured entry stops the start here
    provisioner = provisioner or make_provisioner(settings)
    task_tokens = TaskTokens(settings.data / ACCOUNT_FILE) if settings.auth else None
    provisioner.credentials = task_tokens  # steps that push over HTTP get a token each
    store = open_store(settings.store_url, settings)
    ensure_ontology(store)
    artifacts = ArtifactStore(settings.artifacts_dir)
    cache = StepCache(settings.cache_dir, artifacts)  # one per platform: runs and profiles share it
    runs = RunService(settings, store, provisioner, artifacts, cache)
    registry = Registry(store)
    runs.on_finished(registry.on_run_finished)
    deployments = DeploymentService(settings, store, artifacts, registry, registry_target)
    registry.on_alias_change(deployments.on_alias_change)  # deployments follow aliases
    datasets = DatasetService(store, artifacts, provisioner, cache, settings.data / "profiles")
    serving = ModelServing(registry, artifacts)
    tracked = TrackedRuns(store, artifacts, registry.register_run)
    triggers = TriggerService(settings, store, runs, clock)
    runs.on_finished(triggers.run_finished)  # after the registry's: the models are registered
    datasets.on_uploaded(triggers.dataset_uploaded)
    monitoring = MonitoringService(settings, store, artifacts, registry, deployments)
    # drift and performance triggers take the monitor's newly recorded windows
    monitoring.add_listener(lambda event: _observe(triggers, event))
    # a run a firing started challenges the champion with the versions it registered
    scorer = ChampionScorer(provisioner, artifacts, cache, settings.data / "scoring")
    triggers.on_run_finished(lambda firing, record: _challenge(registry, scorer, firing, record))
    platform = Platform(
        settings,
        store,
        provisioner,
        artifacts,
        runs,
        deployments=deployments,
        registry=registry,
        datasets=datasets,
        serving=serving,
        estimators=estimators,
        tracked=tracked,
        triggers=triggers,
        monitoring=monitoring,
        scorer=scorer,
        task_tokens=task_tokens,
    )
    if settings.reconciles_runs:
        runs.reconcile()  # before anything can start a run
        add_run_numbers(store)  # runs stored before runs were numbered, oldest first
    if serve_deployments:
        deployments.restore()
        monitoring.start()
    if run_triggers and settings.triggers:
        triggers.start()
    return platform


def _observe(triggers: TriggerService, event: object) -> None:
    """A monitor's newly recorded window, handed to the drift and performance triggers."""
    triggers.observe(Observation.of(event))


def _challenge(
    registry: Registry, scorer: ChampionScorer, firing: Firing, record: RunRecord
) -> None:
    """A triggered run has ended: its model versions challenge the champion."""
    policy.challenge_run(registry, scorer, firing, record)
