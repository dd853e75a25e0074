"""The knowledge of Ontolab, kept as files: the OWL ontology, the SHACL shapes an experiment
definition must conform to, the SPARQL queries the server runs (``queries/*.rq``) and the
JSON-LD context JSON-LD definitions may name (``context.jsonld``).

This package holds no code beyond the paths below; the server loads and uses the files.
"""

from pathlib import Path

ONTOLOGY_DIR = Path(__file__).resolve().parent
ONTOLOGY_FILE = ONTOLOGY_DIR / "ontolab.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
QUERIES_DIR = ONTOLOGY_DIR / "queries"
# The JSON-LD context definitions may name instead of writing one inline; the server maps this
# IRI to the file and never fetches it (nor any other context).
CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"
CONTEXT_IRI = "https://w3id.org/ontolab/context.jsonld"

OL = "https://w3id.org/ontolab/ns#"
