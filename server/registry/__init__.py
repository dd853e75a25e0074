"""The model registry: numbered versions per model name, aliases and their history, and the
promotion gate. It records what a model is and where its artifact lives; it never loads one
(that is ``server.serving``) and never imports scikit-learn, pandas or joblib.

Modules: ``model`` (value types: a version, an alias, a model's entry; names and IRIs),
``service`` (``Registry``: register a run's models, read versions, set and promote aliases),
``gate`` (the promotion gate), ``triples`` (the registry graph written and read back),
``candidates`` (what a succeeded run registers), ``history`` (alias changes and promotion
decisions as PROV activities in the model's history graph) and ``ledger`` (reading that
history back: the changes, the version at a time, the cause chain, held-out data).

May import: ``server.tracking``, ``server.graph``, ``server.store``, ``server.errors``.
"""
