"""What a run leaves behind, and reading it back. ``records`` is a run's in-memory state while it
executes; ``results`` turns it into triples and ``writer`` adds them to the run's graph (a run graph
only grows); ``artifacts`` is the content-addressed file store; ``catalog`` and ``run_index`` read
runs back (lists, details, lineage, compare, leaderboard).

May import: ``server.definitions`` (step records of a version), ``server.graph``, ``server.store``,
``server.errors``, ``executor.contract``.
"""
