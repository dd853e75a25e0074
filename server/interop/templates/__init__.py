"""Source text an export pastes into ``pipeline.py`` and ``verify.py``: plain pandas and
scikit-learn, no Ontolab. The platform reads these files as text and never imports them (they
import scikit-learn and pyarrow); tests import them to check they agree with the executor.

Each module holds its imports, then the line ``# --- code ---``, then the code pasted in. What
the platform's steps compute (profiles, preprocessing, scoring, where the author's code runs)
is not written here again: it lives in ``executor.standalone``, which the executor's phases
import and whose modules are pasted before the templates that import from them. What stays
here is the steps' glue without the executor's error handling: the run the export comes from
has already passed every check, so the same data cannot fail them.
"""
