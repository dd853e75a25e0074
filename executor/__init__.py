"""What runs inside one step: ``python -m executor PHASE --spec FILE --workdir DIR``.

The server talks to this package only through :mod:`executor.contract` (StepSpec in,
StepResult out) and the content-addressed artifact store; the other modules it imports are
:mod:`executor.forking`, the warm parents' pipe protocol, and :mod:`executor.container_files`,
the files around a container step, stdlib-only like the contract at import time.
Everything else here depends on pandas, numpy, scikit-learn, joblib and pyarrow only (and
Optuna, which an AutoML step imports when its search starts), so it runs in a slim container.
"""
