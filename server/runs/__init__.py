"""A run's lifecycle: ``RunService`` starts, lists, cancels and resumes runs (``service``); the
scheduler makes a new run's record, runs a plan's waves through a provisioner, ends the run
(logging the traceback of a crash) and marks the runs a crash left in flight interrupted
(``scheduler``); the step cache skips a step already run on the same inputs (``cache``; one per
platform, which dataset profiles share).

May import: ``server.definitions``, ``server.tracking``, ``server.datasets``, ``server.provision``,
``server.graph``, ``server.store``, ``server.errors``, ``server.settings``.
"""
