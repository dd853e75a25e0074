"""Data roots (issue 16): the setting, the path check, and JSON-LD contexts kept offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ontology import CONTEXT_IRI
from server import definitions
from server.definitions import document as definition_document
from server.definitions import validation, versioning
from server.errors import ConfigError, DefinitionError
from server.settings import Settings


def test_default_roots_are_the_data_dir_and_the_working_directory_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.load({"data": "/srv/ontolab"}, environ={})
    assert settings.source_roots == (Path("/srv/ontolab"), tmp_path.resolve() / "data")
    assert Settings.load(environ={}).source_roots == (tmp_path.resolve() / "data",)


def test_roots_are_read_from_the_environment_by_either_separator(tmp_path: Path) -> None:
    a, b, c = (tmp_path / name for name in "abc")
    listed = f"{a}{os.pathsep}{b} , {c}"
    settings = Settings.load(environ={"ONTOLAB_DATA_ROOTS": listed})
    assert settings.source_roots == (a, b, c)


def test_roots_from_a_toml_list(tmp_path: Path) -> None:
    config = tmp_path / "ontolab.toml"
    config.write_text(f'data_roots = ["{tmp_path / "x"}", "{tmp_path / "y"}"]\n')
    settings = Settings.load(environ={"ONTOLAB_CONFIG": str(config)})
    assert settings.source_roots == (tmp_path / "x", tmp_path / "y")


def test_a_file_as_root_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("")
    with pytest.raises(ConfigError, match=r"ONTOLAB_DATA_ROOTS names .*plain.txt, which is a file"):
        Settings.load(environ={"ONTOLAB_DATA_ROOTS": str(tmp_path / "plain.txt")})


def test_relative_sources_resolve_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    roots = [tmp_path / "data"]
    assert definitions.resolve_source("data/houses.csv", roots) == tmp_path / "data/houses.csv"
    with pytest.raises(DefinitionError, match=r"'houses.csv' resolves to .*outside the data roots"):
        definitions.resolve_source("houses.csv", roots)
    with pytest.raises(DefinitionError, match=r"add its folder to ONTOLAB_DATA_ROOTS$"):
        definitions.resolve_source("data/../houses.csv", roots)


def test_a_symlink_is_judged_by_its_target(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (elsewhere / "t.csv").write_text("a\n1\n")
    (root / "out.csv").symlink_to(elsewhere / "t.csv")
    (root / "inner").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "back.csv").symlink_to(root / "real.csv")
    for source in (root / "out.csv", root / "inner" / "t.csv"):
        with pytest.raises(DefinitionError, match="elsewhere/t.csv, outside"):
            definitions.resolve_source(str(source), [root])
    assert definitions.resolve_source(str(elsewhere / "back.csv"), [root]) == root / "real.csv"


def test_unresolvable_sources_are_refused_not_crashed_on(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for source in ("nul\x00byte.csv", str(tmp_path / "a" / "x.csv")):
        with pytest.raises(DefinitionError, match="cannot be resolved to a file"):
            definitions.resolve_source(source, [tmp_path])


def test_bundled_and_uploaded_sources_name_no_file() -> None:
    assert not definitions.is_file_source("sklearn:iris")
    assert not definitions.is_file_source("dataset:houses@2")
    assert definitions.is_file_source("/data/houses.csv")


def test_validation_without_roots_uses_the_default_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, examples: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    text = (examples / "iris.ttl").read_text()
    graph = definitions.parse(text.replace('"sklearn:iris"', '"data/iris.csv"'))
    definitions.validate(graph)
    outside = definitions.parse(text.replace('"sklearn:iris"', '"/etc/iris.csv"'))
    with pytest.raises(DefinitionError, match="1 file\\(s\\) outside the data roots") as caught:
        definitions.validate(outside)
    assert [(v.path, v.value) for v in caught.value.violations] == [("ol:source", "/etc/iris.csv")]
    definitions.validate(outside, roots=[Path("/etc")])


# --- JSON-LD contexts -------------------------------------------------------------------------


def diabetes_with(examples: Path, context: object) -> str:
    document = json.loads((examples / "diabetes.jsonld").read_text())
    text = json.dumps({**document, "@context": context})
    return text.replace('"#', '"https://w3id.org/ontolab/examples/diabetes#')


@pytest.mark.parametrize(
    "context",
    [
        "https://example.org/context.jsonld",
        "http://127.0.0.1:1/ctx.jsonld",
        "file:///etc/ctx.jsonld",
        "ctx.jsonld",
        [None, "https://example.org/context.jsonld"],
    ],
)
def test_a_context_by_reference_is_refused(examples: Path, context: object) -> None:
    with pytest.raises(DefinitionError, match=r"never fetches or reads contexts.*write the"):
        definitions.parse(diabetes_with(examples, context), "json-ld")


def test_a_nested_context_list_is_refused_without_recursing(examples: Path) -> None:
    text = diabetes_with(examples, "NESTED")
    for depth in (2, 500, 50_000):
        nested = "[" * depth + '"https://example.org/context.jsonld"' + "]" * depth
        with pytest.raises(DefinitionError, match="flatten the list|not valid json-ld"):
            definitions.parse(text.replace('"NESTED"', nested), "json-ld")


def test_the_shipped_context_by_iri_or_import_gives_the_inline_graph(examples: Path) -> None:
    inline = definitions.parse((examples / "diabetes.jsonld").read_text(), "json-ld")
    by_iri = definitions.parse(diabetes_with(examples, [CONTEXT_IRI]), "json-ld")
    imported = {"@version": 1.1, "@import": CONTEXT_IRI, "label": "rdfs:label"}
    by_import = definitions.parse(diabetes_with(examples, imported), "json-ld")
    canonical = versioning.to_canonical_graph
    for graph in (by_iri, by_import):
        assert versioning._content_hash(canonical(graph)) == (
            versioning._content_hash(canonical(inline))
        )
        definitions.validate(graph)


def test_the_shipped_context_names_only_ontology_terms() -> None:
    context = definition_document._context_content()
    vocabulary = validation._declared_terms()
    for term, value in context.items():
        iri = value["@id"] if isinstance(value, dict) else value
        if isinstance(iri, str) and iri.startswith("ol:"):
            assert "https://w3id.org/ontolab/ns#" + iri[3:] in vocabulary, term


def test_deeply_nested_json_ld_is_a_definition_error() -> None:
    deep = '{"@context": {}, "a": ' * 5000 + "1" + "}" * 5000
    with pytest.raises(DefinitionError):
        definitions.parse(deep, "json-ld")
