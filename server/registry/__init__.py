"""The model registry: numbered versions per model name, aliases and their history, and the
promotion gate. It records what a model is and where its artifact lives; it never loads one
(that is ``server.serving``).

May import: ``server.tracking``, ``server.graph``, ``server.store``, ``server.errors``.
"""
