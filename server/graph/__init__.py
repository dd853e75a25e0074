"""The graph vocabulary every domain shares: namespaces and minted IRIs, the named-query loader and
binder (``ontology/queries/*.rq``), term conversion (read: ``terms``; write: ``write_terms``),
the one clock for what the platform stamps (``clock.utc_now``), reading SPARQL text without
running it (``sparql_text``), the limits client queries run under (``query_guard``, which also
runs a named query for ``/api/queries``), the standard classes every written node carries with
its Ontolab class (``standard_types``, derived from the ontology), the run numbers' counter
(``run_numbers``: each run's number is in its own graph, the last one given in the run index
graph) and store upgrades.

May import: ``server.store``, ``server.errors``, ``server.settings``, ``ontology``. Nothing here
knows about runs, models or HTTP.
"""
