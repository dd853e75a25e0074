"""What a run leaves behind, and reading it back. ``records`` is a run's in-memory state while it
executes; ``results`` turns it into triples for the run's own graph and ``shared`` into the graphs
runs share (an implementation, a setting, a source, a profile, a signature: written once);
``writer`` adds them to the store (a run graph only grows); ``artifacts`` is the
content-addressed file store; ``catalog`` and ``run_index`` read runs back (lists, details,
lineage, compare, leaderboard, an artifact's recorded media type); ``run_query`` asks the store
for the run list's page in a few small queries (so the store filters, sorts and pages), whose
text ``run_patterns`` builds; ``trials`` reads an AutoML step's trials from its workdir (also
after a failure), writes them as ``ol:Trial`` nodes and reads them back. ``tracked_records``,
``tracked_results`` and ``tracked_models`` are a tracked run's state, its triples (and reading
them back) and the model bundle made from a model it logged. ``run_notes`` keeps the tags and note
people give any run, in its own annotations graph; ``param_defaults`` tells which compared
parameters are the fitted estimator's defaults.

May import: ``server.definitions`` (step records of a version), ``server.graph``, ``server.store``,
``server.errors``, ``executor.contract``.
"""
