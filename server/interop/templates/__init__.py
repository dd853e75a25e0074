"""Source text an export pastes into ``pipeline.py`` and ``verify.py``: plain pandas and
scikit-learn, no Ontolab. The platform reads these files as text and never imports them (they
import scikit-learn and pyarrow); tests import them to check they agree with the executor.

Each module holds its imports, then the line ``# --- code ---``, then the code pasted in. The
algorithms are the executor's (``executor/phases``) without its error handling: the run the
export comes from has already passed every check, so the same data cannot fail them.
"""
