"""Platform and model metrics (``metrics``); each deployment's prediction log (``prediction_log``:
the rotating files and their writer thread), reading it back as windows joined with feedback
(``prediction_window``, the seam drift statistics build on) and ground-truth feedback by request
id (``feedback``).

May import: ``server.errors``, ``server.settings``; nothing from the domains it measures.
"""
