"""The OWL ontology: it parses, declares every term the shapes and examples use, carries the
alignment axioms, and an OWL reasoner (HermiT, via owlready2) finds it consistent."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import owlready2
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, OWL, PROV, RDF, RDFS, XSD, Namespace

from ontology import ONTOLOGY_DIR, ONTOLOGY_FILE, SHAPES_FILE
from tests.reasoner import reason

OL = Namespace("https://w3id.org/ontolab/ns#")
MLS = Namespace("http://www.w3.org/ns/mls#")
EXAMPLES = sorted((ONTOLOGY_DIR.parent / "examples").glob("*.*"))
RUNNABLE_PHASES = {
    OL.DataExtraction: "extract",
    OL.DataExploration: "explore",
    OL.DataProcessing: "process",
    OL.ModelBuilding: "build",
    OL.ModelValidation: "validate",
}
STEP_CLASSES = [*RUNNABLE_PHASES, OL.Deployment]
DECLARATION_TYPES = {
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
}


def parse(path: Path) -> Graph:
    """A Turtle or JSON-LD file as a graph."""
    fmt = "json-ld" if path.suffix == ".jsonld" else "turtle"
    with warnings.catch_warnings():
        # rdflib 7's JSON-LD parser builds a ConjunctiveGraph internally and warns about its
        # own deprecated class; nothing the caller can change.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(path, format=fmt)


def ol_terms(graph: Graph) -> set[URIRef]:
    return {
        term
        for triple in graph
        for term in triple
        if isinstance(term, URIRef) and term.startswith(str(OL))
    }


@pytest.fixture(scope="module")
def onto() -> Graph:
    return parse(ONTOLOGY_FILE)


@pytest.fixture(scope="module")
def declared(onto: Graph) -> set[URIRef]:
    return {
        s
        for s, o in onto.subject_objects(RDF.type)
        if o in DECLARATION_TYPES or o == MLS.EvaluationMeasure
    }


@pytest.fixture
def java() -> str:
    found = shutil.which(owlready2.JAVA_EXE)
    if found is None:
        pytest.fail(
            f"Java ({owlready2.JAVA_EXE!r}) is not on PATH, so the OWL reasoner cannot run; "
            "run `./installation.sh --dev`"
        )
    return found


def test_ontology_header(onto: Graph) -> None:
    header = URIRef("https://w3id.org/ontolab/ns")
    assert (header, RDF.type, OWL.Ontology) in onto
    for prop in (RDFS.label, RDFS.comment, OWL.versionInfo):
        assert onto.value(header, prop) is not None, prop
    assert not list(onto.objects(header, OWL.imports)), "the ontology must load offline"


def test_every_ol_term_is_declared_with_label_and_comment(onto: Graph, declared) -> None:
    undeclared = ol_terms(onto) - declared
    assert not undeclared, f"used but not declared: {sorted(undeclared)}"
    for term in sorted(t for t in declared if t.startswith(str(OL))):
        assert onto.value(term, RDFS.label) is not None, f"{term} has no rdfs:label"
        assert onto.value(term, RDFS.comment) is not None, f"{term} has no rdfs:comment"


@pytest.mark.parametrize("path", [SHAPES_FILE, *EXAMPLES], ids=lambda p: p.name)
def test_ol_terms_used_elsewhere_are_declared(path: Path, declared) -> None:
    undeclared = ol_terms(parse(path)) - declared
    assert not undeclared, f"{path.name} uses undeclared terms: {sorted(undeclared)}"


def test_runnable_step_classes_have_one_distinct_phase_name(onto: Graph) -> None:
    for cls, phase in RUNNABLE_PHASES.items():
        assert list(onto.objects(cls, OL.phaseName)) == [Literal(phase)], cls
    assert len(set(RUNNABLE_PHASES.values())) == len(RUNNABLE_PHASES)
    assert not list(onto.objects(OL.Deployment, OL.phaseName))
    assert (OL.phaseName, RDF.type, OWL.AnnotationProperty) in onto


def test_code_step_has_its_own_phase_and_is_disjoint_from_the_other_steps(onto: Graph) -> None:
    assert list(onto.objects(OL.CodeStep, OL.phaseName)) == [Literal("code")]
    assert (OL.CodeStep, RDFS.subClassOf, OL.Step) in onto
    assert set(onto.objects(OL.CodeStep, OWL.disjointWith)) == set(STEP_CLASSES)
    assert (OL.CodeBundle, RDFS.subClassOf, PROV.Entity) in onto
    assert list(onto.objects(OL.ContainerStep, OL.phaseName)) == [Literal("container")]
    disjoint = set(onto.objects(OL.ContainerStep, OWL.disjointWith))
    assert disjoint == {*STEP_CLASSES, OL.CodeStep}


def test_step_classes_are_pairwise_disjoint(onto: Graph) -> None:
    member_sets = [
        set(onto.items(onto.value(axiom, OWL.members)))
        for axiom in onto.subjects(RDF.type, OWL.AllDisjointClasses)
    ]
    assert set(STEP_CLASSES) in member_sets
    for cls in STEP_CLASSES:
        assert (cls, RDFS.subClassOf, OL.Step) in onto


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        (OL.Experiment, MLS.Experiment),
        (OL.ExperimentVersion, PROV.Entity),
        (OL.ExperimentVersion, PROV.Plan),
        (OL.Step, PROV.Plan),
        (OL.Artifact, PROV.Entity),
        (OL.Dataset, DCAT.Dataset),
        (OL.Dataset, MLS.Dataset),
        (OL.Dataset, PROV.Entity),
        (OL.DataSource, PROV.Entity),
        (OL.DataProfile, PROV.Entity),
        (OL.Model, MLS.Model),
        (OL.Model, PROV.Entity),
        (OL.EvaluationReport, PROV.Entity),
        (OL.Run, MLS.Run),
        (OL.Run, PROV.Activity),
        (OL.StepRun, PROV.Activity),
        (OL.UploadedFile, PROV.Entity),
        (OL.ModelVersion, PROV.Entity),
        (OL.ModelDeployment, PROV.Activity),
        (OL.PlatformAgent, PROV.SoftwareAgent),
        (PROV.SoftwareAgent, PROV.Agent),
        (PROV.Person, PROV.Agent),
    ],
)
def test_alignment_axioms(onto: Graph, cls: URIRef, parent: URIRef) -> None:
    assert (cls, RDFS.subClassOf, parent) in onto


def test_property_alignment(onto: Graph) -> None:
    assert (OL.hasStepRun, RDFS.subPropertyOf, URIRef("http://purl.org/dc/terms/hasPart")) in onto
    assert (OL.partOfRun, OWL.inverseOf, OL.hasStepRun) in onto
    assert (OL.derivedFromSource, RDFS.subPropertyOf, PROV.wasDerivedFrom) in onto


def test_step_parameters(onto: Graph) -> None:
    names = (
        "source targetColumn dropColumn imputation scaling oneHotEncoding testSize randomSeed "
        "stratify estimator modelName searchStrategy searchFolds searchIterations searchScoring"
        " timeBudget trialBudget candidateEstimator"  # AutoML
    ).split()
    names += "function script outputKind requirement".split()  # ol:CodeStep
    names += "containerImage command".split()  # ol:ContainerStep
    names += "minRows maxRows maxMissingRate referenceModel referenceVersion".split()
    names += "referenceAlias referenceTolerance".split()  # ol:DataValidation
    parameters = set(onto.subjects(RDFS.subPropertyOf, OL.stepParameter))
    assert parameters == {OL[name] for name in names}
    for prop in (OL.task, OL.parameterName, OL.metricName, OL.image):
        assert prop not in parameters


def test_values_of_any_type_have_no_range(onto: Graph) -> None:
    for prop in (OL.parameterValue, OL.candidateValue, OL.minValue, OL.maxValue, MLS.hasValue):
        assert (prop, RDF.type, OWL.DatatypeProperty) in onto
        assert onto.value(prop, RDFS.range) is None, prop
    assert onto.value(OL.sha256, RDFS.range) == XSD.string
    assert onto.value(OL.byteSize, RDFS.range) == XSD.integer
    assert onto.value(OL.passed, RDFS.range) == XSD.boolean


@pytest.mark.parametrize(
    ("name", "task", "higher_is_better"),
    [
        ("accuracy", "classification", True),
        ("precision", "classification", True),
        ("recall", "classification", True),
        ("f1", "classification", True),
        ("roc_auc", "classification", True),
        ("rmse", "regression", False),
        ("mae", "regression", False),
        ("r2", "regression", True),
    ],
)
def test_evaluation_measures(onto: Graph, name: str, task: str, higher_is_better: bool) -> None:
    measure = OL[name]
    assert (measure, RDF.type, MLS.EvaluationMeasure) in onto
    assert onto.value(measure, RDFS.label) == Literal(name)
    assert onto.value(measure, OL.forTask) == Literal(task)
    assert onto.value(measure, OL.higherIsBetter) == Literal(higher_is_better)


def test_reasoner_finds_the_ontology_consistent(onto: Graph, java: str, tmp_path: Path) -> None:
    reason(onto, tmp_path)


def test_reasoner_finds_ontology_and_examples_consistent(
    onto: Graph, java: str, tmp_path: Path
) -> None:
    graph = Graph()
    for part in (onto, *(parse(path) for path in EXAMPLES)):
        graph += part
    reason(graph, tmp_path)


def test_reasoner_rejects_a_step_of_two_disjoint_classes(
    onto: Graph, java: str, tmp_path: Path
) -> None:
    # Negative control: proves the consistency check above can fail.
    graph = Graph() + onto
    both = URIRef("https://w3id.org/ontolab/examples/broken#extract_and_build")
    graph.add((both, RDF.type, OWL.NamedIndividual))
    graph.add((both, RDF.type, OL.DataExtraction))
    graph.add((both, RDF.type, OL.ModelBuilding))
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        reason(graph, tmp_path)


def test_reasoner_rejects_a_non_boolean_passed(onto: Graph, java: str, tmp_path: Path) -> None:
    # Datatype ranges are enforced too: ol:passed is xsd:boolean.
    graph = Graph() + onto
    check = BNode()
    graph.add((check, RDF.type, OL.ThresholdCheck))
    graph.add((check, OL.passed, Literal("yes")))
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        reason(graph, tmp_path)
