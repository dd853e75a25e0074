"""One class per REST resource (experiments, runs, datasets, models, deployments), each holding
the client's transport and no state of its own. They import ``ontolab._http``, ``ontolab.types``
and ``ontolab.definition`` only: never the platform (``server``, ``executor``)."""
