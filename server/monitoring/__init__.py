"""Platform and model metrics (Prometheus), one registry per app and per model server.

May import: ``server.errors``, ``server.settings``; nothing from the domains it measures.
"""
