"""Models answering requests: registered versions served in-process (``models``: resolve through
the registry, load once per checksum, predict), the loaded model (``loaded_model``), the payload
checks against the training schema (``payload``), compiled preprocessing (``affine``),
deployments (``deployments``: one model server process each; ``deployment_record``: a
deployment as the PROV activity its graph states), the model server itself
(``model_server``) and the warm parent that forks model servers (``model_warm``); starting one
and waiting for its health (``model_process``); the stable port of a deployment that follows an
alias (``front``) and its switch when the alias moves (``switching``). Loading model
artifacts, and with it scikit-learn, pandas and joblib, lives here, never in the registry.

May import: ``server.registry``, ``server.tracking.artifacts``, ``server.monitoring``,
``server.provision.warm``, ``server.graph``, ``server.store``, ``server.errors``,
``server.settings``, ``server.auth.predict_access`` (a deployment's ``/predict`` behind a
token).
"""
