"""What runs inside one step: ``python -m executor PHASE --spec FILE --workdir DIR``.

The server talks to this package only through :mod:`executor.contract` (StepSpec in,
StepResult out) and the content-addressed artifact store. Everything else here depends on
pandas, numpy, scikit-learn, joblib and pyarrow only, so it runs in a slim container.
"""
