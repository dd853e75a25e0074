"""Automation: triggers declared in the graph per experiment (schedule, new dataset version,
drift, live performance, manual), the loop that fires them, and the record of every firing.

``TriggerService`` (``service``) is what the API, the CLI and the platform call: it stores and
removes triggers, runs the loop (schedule and new-data triggers), takes the monitor's
observations (``observe``; drift and performance triggers) and starts runs through
``RunService``. Value types and triples: ``triggers`` (a trigger), ``firings`` (a firing, an
observation); ``rules`` (debounce, cooldown, windows in a row; pure); ``checks`` (SHACL, cron,
time zone, metric); ``records`` (the graph through named queries). ``policy`` (the promotion
policy) builds on the service's ``on_run_finished`` hook; ``scoring`` scores a champion on a
challenger's test split in a validate step.

May import: ``server.runs`` (starting runs), ``server.definitions`` (an experiment's newest
version, the SHACL shapes), ``server.datasets`` (dataset versions), ``server.tracking.records``
(a finished run's record), ``server.registry`` and ``server.serving`` (the promotion policy),
``server.provision.base`` and ``executor.contract`` (the champion's scoring step),
``server.graph``, ``server.store``, ``server.settings``, ``server.errors``. Never ``server.api``
or ``server.monitoring``: the monitor hands its windows in as ``Observation``s, the platform
wires the two.
"""

from server.automation.firings import Firing, Observation
from server.automation.service import TriggerService
from server.automation.triggers import KINDS, Trigger

__all__ = ["KINDS", "Firing", "Observation", "Trigger", "TriggerService"]
