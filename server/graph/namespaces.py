"""Namespaces and the IRIs the platform mints for what it records."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import quote, unquote

from rdflib import URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS, XSD, Namespace


class _Vocabulary(Namespace):
    """A namespace that mints each of its terms once: the result writer looks up the same
    few dozen terms for every triple of every run, and a fresh URIRef costs an IRI check."""

    def term(self, name: str) -> URIRef:
        return _term(str(self), name)


@lru_cache(maxsize=4096)
def _term(namespace: str, name: str) -> URIRef:
    return URIRef(namespace + name)


OL = _Vocabulary("https://w3id.org/ontolab/ns#")
MLS = _Vocabulary("http://www.w3.org/ns/mls#")
#: One datatype property per evaluation measure (``olm:accuracy``…): a run's value of that
#: measure one hop from the run, so a leaderboard reads one triple per run.
OLM = _Vocabulary("https://w3id.org/ontolab/metric#")
#: One datatype property per hyperparameter name (``olp:C``…): a run's value of that parameter
#: one hop from the run, so the run list filters and sorts on one triple per run.
OLP = _Vocabulary("https://w3id.org/ontolab/param#")
ID = "https://w3id.org/ontolab/id/"
#: The graph that holds the last run number given (``ol:lastRunNumber``); each run's number is
#: in the run's own graph.
RUN_INDEX_GRAPH = URIRef(f"{ID}index/runs")
ONTOLOGY_GRAPH = URIRef("https://w3id.org/ontolab/graph/ontology")
ONTOLOGY_IRI = URIRef("https://w3id.org/ontolab/ns")
#: The platform as the software agent (``ol:PlatformAgent``) that starts what no user is known
#: to have asked for; once requests carry a user, the user's agent node takes its place.
PLATFORM_AGENT = URIRef(f"{ID}agent/platform")
_USER_AGENT = f"{ID}agent/user/"


def user_agent(name: str) -> URIRef:
    """A user's agent node (``prov:Agent``, ``ol:User``): ``…/id/agent/user/NAME``."""
    return URIRef(_USER_AGENT + quote(name, safe=""))


def agent_user(agent: str | None) -> str | None:
    """The user name of a user's agent IRI; None for any other agent (or none)."""
    if agent is None or not str(agent).startswith(_USER_AGENT):
        return None
    return unquote(str(agent)[len(_USER_AGENT) :])


PREFIXES = {
    "ol": str(OL),
    "mls": str(MLS),
    "olm": str(OLM),
    "olp": str(OLP),
    "prov": str(PROV),
    "dcat": str(DCAT),
    "dcterms": str(DCTERMS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
}

__all__ = ["DCAT", "DCTERMS", "ID", "MLS", "OL", "OLM", "OLP", "PROV", "RDF", "RDFS", "XSD"]


@lru_cache(maxsize=4096)
def _segment(text: str) -> str:
    return quote(text, safe="-_.~")


def experiment_version_iri(identifier: str, number: int) -> URIRef:
    """A stored definition version; also the name of the graph that holds it."""
    return URIRef(f"{ID}experiment/{_segment(identifier)}/v{number}")


@lru_cache(maxsize=4096)
def run_iri(run_id: str) -> URIRef:
    """A run; also the name of the graph that holds its results. (The minting functions are
    cached: writing one run's graph asks for the same few IRIs dozens of times.)"""
    return URIRef(f"{ID}run/{_segment(run_id)}")


def run_annotations_graph(run: str) -> URIRef:
    """The graph of the tags and note people gave the run whose IRI is ``run``."""
    return URIRef(f"{run}/annotations")


@lru_cache(maxsize=4096)
def step_run_iri(run_id: str, step_id: str) -> URIRef:
    return URIRef(f"{run_iri(run_id)}/step/{_segment(step_id)}")


@lru_cache(maxsize=4096)
def output_iri(run_id: str, step_id: str) -> URIRef:
    """The one artifact a step run generated."""
    return URIRef(f"{run_iri(run_id)}/output/{_segment(step_id)}")


def evaluation_iri(run_id: str, step_id: str, metric: str) -> URIRef:
    return URIRef(f"{step_run_iri(run_id, step_id)}/evaluation/{_segment(metric)}")


def hyperparameter_setting_iri(parameter: URIRef, value: str) -> URIRef:
    """A hyperparameter set to one value (``value`` as canonical JSON), named by a digest of
    both: one setting, in a graph of the same name, shared by every run that used it."""
    digest = hashlib.sha256(f"{parameter} {value}".encode()).hexdigest()
    return URIRef(f"{ID}setting/{digest}")


def signature_iri(digest: str) -> URIRef:
    """What a model expects and was fitted with (feature columns, target, libraries), named by
    a digest of those facts; also the name of the graph that holds them."""
    return URIRef(f"{ID}signature/{digest}")


def sub_iri(parent: URIRef, kind: str, name: str) -> URIRef:
    """A node that only exists as part of ``parent`` (a column profile, a threshold check)."""
    return URIRef(f"{parent}/{kind}/{_segment(name)}")


@lru_cache(maxsize=4096)
def implementation_iri(estimator_class: str) -> URIRef:
    return URIRef(f"{ID}implementation/{_segment(estimator_class)}")


@lru_cache(maxsize=4096)
def hyperparameter_iri(estimator_class: str, name: str) -> URIRef:
    return URIRef(f"{implementation_iri(estimator_class)}/{_segment(name)}")


def source_iri(source: str) -> URIRef:
    """The data source an extract step read: the same IRI in every run that reads it."""
    return URIRef(f"{ID}source/{_segment(source)}")


def measure_iri(metric: str) -> URIRef:
    return OL[metric]


@lru_cache(maxsize=4096)
def metric_property(metric: str) -> URIRef:
    """The property that holds a run's value of ``metric``, one hop from the run."""
    return OLM[_segment(metric)]


def param_property(name: str) -> URIRef:
    """The property that holds a run's value of hyperparameter ``name``, one hop from the run."""
    return OLP[_segment(name)]


def profile_iri(sha256: str) -> URIRef:
    """The column statistics of one profile artifact, named by its checksum; also the name of
    the graph that holds them, written once and shared by every run that made that profile."""
    return URIRef(f"{ID}profile/{sha256}")


@lru_cache(maxsize=4096)
def file_iri(sha256: str) -> URIRef:
    """A stored file (a dataset's DCAT distribution), named by its checksum: the same bytes are
    the same node in every graph that mentions them."""
    return URIRef(f"{ID}file/{sha256}")


def code_bundle_iri(sha256: str) -> URIRef:
    """An experiment's code bundle (a zip in the artifact store), named by its checksum: the
    same code is the same node in every version and run that mentions it."""
    return URIRef(f"{ID}code/{sha256}")
