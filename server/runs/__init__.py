"""A run's lifecycle: ``RunService`` starts, lists and cancels runs (``service``); the scheduler
runs a plan's waves through a provisioner, cancels and resumes (``scheduler``); the step cache
skips a step already run on the same inputs (``cache``).

May import: ``server.definitions``, ``server.tracking``, ``server.datasets``, ``server.provision``,
``server.graph``, ``server.store``, ``server.errors``, ``server.settings``.
"""
