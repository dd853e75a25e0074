"""A run's lifecycle: ``RunService`` starts, lists, cancels and resumes runs (``service``); the
scheduler makes a new run's record, runs a plan's waves through a provisioner, ends the run
(logging the traceback of a crash) and marks the runs a crash left in flight interrupted
(``scheduler``); the step cache skips a step already run on the same inputs (``cache``; one per
platform, which dataset profiles share); tracked runs, recorded from code the platform did not
execute (``tracked``: the SDK's ``start_run``, MLflow's client, an MLflow import), which register
their models through the registry the platform hands in.

May import: ``server.definitions``, ``server.tracking``, ``server.datasets``, ``server.provision``,
``server.graph``, ``server.store``, ``server.errors``, ``server.settings``.
"""
