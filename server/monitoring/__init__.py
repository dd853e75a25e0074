"""Platform and model metrics (Prometheus), one registry per app and per model server; data
drift of serving inputs against a model's reference profile (``drift``, ``reference``).

May import: ``server.errors``, ``server.settings``, ``server.graph`` and ``server.store.base``
(``reference`` finds a version's profile through the graph), ``executor.standalone.reference``
(the binning the build used, pure numpy/pandas); nothing from the domains it measures.
"""
