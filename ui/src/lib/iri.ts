// Reading the platform's IRIs.

export function shortIri(iri: string): string {
  return iri.replace(/^.*[#/]/, "");
}

/** The run id inside an IRI like https://w3id.org/ontolab/id/run/RUN/step/STEP. */
export function runIdOf(iri: string): string | null {
  const match = /\/id\/run\/([0-9a-f]{16}(?:[0-9a-f]{16})?)/.exec(iri);
  return match ? match[1] : null;
}
