"""Automation: what changes models without a person asking. ``policy``: the promotion policy
(a challenger promoted when it passes validation and beats the champion on the same held-out
data, the decision recorded either way).

May import: ``server.registry``, ``server.graph``, ``server.store``, ``server.errors``.
"""
