"""The knowledge of Ontolab, kept as files: the OWL ontology, the SHACL shapes an experiment
definition must conform to, and the SPARQL queries the server runs (``queries/*.rq``).

This package holds no code beyond the paths below; the server loads and uses the files.
"""

from pathlib import Path

ONTOLOGY_DIR = Path(__file__).resolve().parent
ONTOLOGY_FILE = ONTOLOGY_DIR / "ontolab.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
QUERIES_DIR = ONTOLOGY_DIR / "queries"

OL = "https://w3id.org/ontolab/ns#"
