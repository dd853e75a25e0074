"""Platform and model metrics (``metrics``, Prometheus: one registry per app and per model
server); each deployment's prediction log (``prediction_log``: the rotating files and their
writer thread), reading it back as windows joined with feedback (``prediction_window``, the seam
drift statistics build on) and ground-truth feedback by request id (``feedback``); data drift of
serving inputs against a model's reference profile (``drift``, ``reference``).

May import: ``server.errors``, ``server.settings``, ``server.graph`` and ``server.store.base``
(``reference`` finds a version's profile through the graph), ``executor.standalone.reference``
(the binning the build used, pure numpy/pandas); nothing from the domains it measures.
"""
