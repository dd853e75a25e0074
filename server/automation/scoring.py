"""Scoring the champion on a challenger's held-out data, in a step process.

A retrain on new data validates its model on a new test split, so the champion's own figure
(measured on the split it was built with) says nothing about how it does on that data. The
policy then asks ``ChampionScorer.score``: it runs the executor's validate phase as a step
(``Provisioner.run_step``, as a dataset's profile is computed) with the champion's model
artifact and the challenger's test split as inputs and no thresholds, so the champion is
measured by the same code, with the same metrics, as the challenger was. The platform never
unpickles a model to judge it. The step cache keeps the result: the same model bytes on the
same split are scored once.

The scoring is an ``ol:ChampionScoring`` PROV activity in the model's history (``triples``):
the champion version it used, the checksum of the split, and one ``mls:ModelEvaluation`` per
metric; the promotion decision links it with ``ol:championScoring``.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from executor.contract import MEDIA_TYPES, ArtifactRef, StepSpec
from server.errors import OntolabError, PromotionRefused
from server.graph.clock import utc_now
from server.graph.namespaces import MLS, OL, PLATFORM_AGENT, PROV, RDF, measure_iri
from server.provision.base import Provisioner
from server.registry.model import ModelVersion, model_iri, version_iri
from server.runs.cache import StepCache
from server.store.base import Triple
from server.tracking.artifacts import ArtifactStore

log = logging.getLogger(__name__)

#: How long one scoring step may take.
SCORING_TIMEOUT = 600.0


@dataclass(frozen=True)
class Score:
    """The champion's figures on the challenger's held-out data."""

    model: str
    version: int
    held_out: str  # the sha256 of the test split it was scored on
    metrics: Mapping[str, float]
    time: str
    iri: str
    cached: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "iri": self.iri,
            "version": self.version,
            "held_out_sha256": self.held_out,
            "metrics": dict(self.metrics),
            "time": self.time,
            "cached": self.cached,
        }


class ChampionScorer:
    """Thread-safe as the provisioner and the step cache are; holds no state of its own."""

    def __init__(
        self,
        provisioner: Provisioner,
        artifacts: ArtifactStore,
        cache: StepCache,
        work: Path,
        timeout: float = SCORING_TIMEOUT,
    ) -> None:
        self._provisioner = provisioner
        self._artifacts = artifacts
        self._cache = cache
        self._work = work
        self._timeout = timeout

    def score(self, champion: ModelVersion, task: str, held_out: tuple[str, ...]) -> Score:
        """Score ``champion`` on the test split whose checksum is ``held_out`` (the
        challenger's). PromotionRefused, saying why, when it cannot be scored."""
        key = uuid.uuid4().hex
        spec = self._spec(champion, task, held_out, key)
        iri = f"{model_iri(champion.name)}/scoring/{key}"
        hit = self._cache.get(spec)  # the cache's key leaves the run id out
        if hit is not None:
            result, cached = hit.result, True
        else:
            workdir = self._work / spec.run_id  # one per scoring: two may run at once
            result = self._provisioner.run_step(spec, workdir, self._timeout).result
            cached = False
            if result.status != "succeeded":
                message = result.error.message if result.error else "no error recorded"
                log.warning("scoring %s failed; its log and result stay in %s", iri, workdir)
                raise PromotionRefused(
                    f"{_cannot(champion)}: scoring it on the challenger's held-out data failed "
                    f"({message}); validate both on the same test split, or promote by hand"
                )
            self._cache.put(spec, result, iri)
            shutil.rmtree(workdir, ignore_errors=True)  # the report is in the artifact store
        return Score(
            champion.name, champion.number, held_out[0], result.metrics, utc_now(), iri, cached
        )

    def _spec(
        self, champion: ModelVersion, task: str, held_out: tuple[str, ...], key: str
    ) -> StepSpec:
        if len(held_out) != 1:
            raise PromotionRefused(
                f"{_cannot(champion)}: the challenger was validated on "
                f"{len(held_out)} held-out data sets, not one; validate it with one validate "
                "step, or promote by hand"
            )
        inputs = {
            "model": self._ref(champion.sha256, "model"),
            "splits": self._ref(held_out[0], "splits"),
        }
        return StepSpec(
            run_id=f"score-{key[:16]}",
            step_id="validate",
            phase="validate",
            parameters={"task": task},  # no thresholds: a figure to compare, not a verdict
            inputs=inputs,
            artifact_root=str(self._artifacts.root.resolve()),
        )

    def _ref(self, sha256: str, kind: str) -> ArtifactRef:
        try:
            size = self._artifacts.path(sha256).stat().st_size
        except (OSError, OntolabError) as exc:
            raise PromotionRefused(
                f"the {kind} artifact {sha256[:12]} is not stored, so the champion cannot be "
                "scored on the challenger's held-out data; promote by hand"
            ) from exc
        return ArtifactRef(sha256, size, MEDIA_TYPES[kind])


def triples(score: Score, champion: ModelVersion) -> list[Triple]:
    """The scoring as a PROV activity with one evaluation per metric."""
    node = URIRef(score.iri)
    stamp = Literal(datetime.fromisoformat(score.time), datatype=XSD.dateTime)
    used = version_iri(score.model, score.version)
    out: list[Triple] = [
        (node, RDF.type, OL.ChampionScoring),
        (node, RDF.type, PROV.Activity),
        (node, PROV.used, used),
        (node, OL.scoredVersion, used),
        (node, OL.scoredOnSha256, Literal(score.held_out)),
        (node, PROV.startedAtTime, stamp),
        (node, PROV.endedAtTime, stamp),
        (node, PROV.wasAssociatedWith, PLATFORM_AGENT),
    ]
    for metric, value in sorted(score.metrics.items()):
        evaluation = URIRef(f"{node}/{metric}")
        out += [
            (node, MLS.hasOutput, evaluation),
            (evaluation, RDF.type, MLS.ModelEvaluation),
            (evaluation, MLS.specifiedBy, measure_iri(metric)),
            (evaluation, MLS.hasValue, Literal(float(value), datatype=XSD.double)),
            (evaluation, PROV.wasGeneratedBy, node),
            (evaluation, OL.evaluates, URIRef(champion.artifact)),
        ]
    return out


def _cannot(champion: ModelVersion) -> str:
    return f"champion version {champion.number} of {champion.name!r} cannot be compared"
