"""Plain pandas / scikit-learn code that the executor runs and a run's export copies as text.

Each module holds its imports (standard library and third-party only), then the line
``# --- code ---``, then code that needs nothing else from Ontolab: the executor's phases import
it, and ``server.interop.assemble`` pastes the part after the marker into an export's
``pipeline.py``, so the exported steps compute exactly what the platform computed.
"""
