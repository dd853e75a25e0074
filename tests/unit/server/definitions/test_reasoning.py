"""The OWL check (`validate --reason`): HermiT over the ontology plus a definition, by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from server import definitions
from server.definitions.reasoning import OwlReasoner
from server.errors import DefinitionContradiction, ReasonerTimeout, ReasoningError

ROOT = Path(__file__).resolve().parents[4]
IRIS = (ROOT / "examples" / "iris.ttl").read_text()
OWL_PREFIX = "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
#: SHACL passes it (it reads owl:sameAs as any triple); OWL: a process step that is a build
#: step, and the two step classes are disjoint.
SAME_AS = OWL_PREFIX + IRIS + "\n:process owl:sameAs :build .\n"
#: A class below two disjoint step classes: consistent, but it can have no member.
UNSATISFIABLE = (
    OWL_PREFIX
    + IRIS
    + "\n:CleanAndTrain a owl:Class ; rdfs:subClassOf ol:DataProcessing, ol:ModelBuilding .\n"
)


@pytest.fixture
def java() -> str:
    found = shutil.which("java")
    if found is None:
        pytest.fail(
            "Java is not on PATH, so the OWL reasoner cannot run; run ./installation.sh --dev"
        )
    return found


def check(text: str, timeout: float = 120) -> None:
    graph = definitions.parse(text)
    definitions.validate(graph)  # SHACL passes: only the reasoner can object
    OwlReasoner(timeout).check(graph).raise_if_contradictory()


def test_a_consistent_definition_passes(java: str) -> None:
    report = OwlReasoner(120).check(definitions.parse(IRIS))
    assert report.ok and report.consistent
    assert report.to_json()["unsatisfiable_classes"] == []


def test_an_inconsistency_is_named_by_its_node(java: str) -> None:
    with pytest.raises(DefinitionContradiction, match="inconsistent at :process;") as caught:
        check(SAME_AS)
    problem = caught.value.to_problem()
    assert caught.value.status == 422
    assert (problem["consistent"], problem["inconsistent_nodes"]) == (False, [":process"])


def test_an_unsatisfiable_class_is_named(java: str) -> None:
    with pytest.raises(DefinitionContradiction, match=r"unsatisfiable\): :CleanAndTrain"):
        check(UNSATISFIABLE)


def test_without_java_it_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no java on it
    with pytest.raises(ReasoningError, match="apt-get install default-jre-headless") as caught:
        OwlReasoner(120).check(definitions.parse(IRIS))
    assert caught.value.status == 503
    assert "no `java` is on PATH" in str(caught.value)


def test_past_its_time_limit_the_reasoner_is_stopped(java: str) -> None:
    with pytest.raises(ReasonerTimeout, match=r"did not finish within 0.01 s and was stopped"):
        OwlReasoner(0.01).check(definitions.parse(IRIS))
