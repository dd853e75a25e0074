"""Ontolab platform, one package per domain (ARCHITECTURE.md §2).

``api`` (thin blueprints) → domain packages (``definitions``, ``runs``, ``tracking``,
``datasets``, ``registry``, ``serving``, ``monitoring``) → ``graph``, ``store``, ``provision``.
Arrows point down; no domain package imports ``api``. The modules at this level compose the parts
(``app``, ``platform``, ``settings``, ``cli``) or cut across them (``errors``, ``http_guard``,
``http_server``, ``terminal``). Each package's docstring says what it owns and may import.
"""

__version__ = "0.1.0"
