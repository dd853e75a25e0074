"""Models answering requests: the loaded model and its payload checks, compiled preprocessing
(``affine``), deployments (one model server process each), the model server itself and the warm
parent that forks model servers.

May import: ``server.registry``, ``server.tracking.artifacts``, ``server.monitoring``,
``server.provision.warm``, ``server.graph``, ``server.store``, ``server.errors``,
``server.settings``.
"""
