"""Platform and model metrics (``metrics``, Prometheus: one registry per app and per model
server); each deployment's prediction log (``prediction_log``: the rotating files and their
writer thread), reading it back as windows joined with feedback (``prediction_window``, the seam
drift statistics build on) and ground-truth feedback by request id (``feedback``); data drift of
serving inputs against a model's reference profile (``drift``, ``reference``).

Per deployment and window (``window``: ``last:N``, ``since:T``, ``duration:D``; live
performance from feedback), ``service.MonitoringService`` evaluates drift and live performance
(``evaluation``), records each window once in the graph (``evaluation_record``), exposes the
figures as gauges (``gauges``), runs the periodic evaluator, and calls its listeners
(``add_listener``) with a frozen ``WindowEvaluated``: the seam automation builds on. It reaches
deployments and model versions only through the protocols it declares (``DeploymentSource``,
``VersionSource``), implemented by ``server.serving`` and ``server.registry``.

May import: ``server.errors``, ``server.settings``, ``server.graph`` and ``server.store.base``
(``reference`` finds a version's profile through the graph), ``executor.standalone.reference``
(the binning the build used, pure numpy/pandas); nothing from the domains it measures.
"""
