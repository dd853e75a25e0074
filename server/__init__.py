"""Ontolab platform: definitions, store, planner, runs, provisioners, CLI."""

__version__ = "0.1.0"
