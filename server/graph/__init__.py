"""The graph vocabulary every domain shares: namespaces and minted IRIs, the named-query loader and
binder (``ontology/queries/*.rq``), term conversion (read: ``terms``; write: ``write_terms``),
reading SPARQL text without running it (``sparql_text``), the limits client queries run under
(``query_guard``) and store upgrades.

May import: ``server.store``, ``server.errors``, ``server.settings``, ``ontology``. Nothing here
knows about runs, models or HTTP.
"""
