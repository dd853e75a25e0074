"""``ontolab store …``: move every graph between stores (export, import) and upgrade graphs
written by earlier versions.

Its own module so that ``server.cli`` does not grow with every command group; ``server.cli``
registers it with ``add_commands``. Light at import: the store is opened inside the commands,
alone (no provisioner, no ontology load).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.store import Store


def add_commands(commands: Any, settings_of: Callable[[argparse.Namespace], Any]) -> None:
    """Add the ``store`` group to ``commands``; ``settings_of(args)`` loads the settings."""
    group = commands.add_parser(
        "store", help="move every graph between stores, or upgrade old run graphs"
    )
    group.set_defaults(settings_of=settings_of)
    store = group.add_subparsers(required=True, metavar="ACTION")
    store_export = store.add_parser(
        "export", help="write every Ontolab graph of the store to FILE (.nq N-Quads, .trig TriG)"
    )
    store_export.add_argument("file", type=Path)
    store_export.set_defaults(command=_store_export)
    store_import = store.add_parser(
        "import", help="replace each graph named in FILE (.nq or .trig) in the store"
    )
    store_import.add_argument("file", type=Path)
    store_import.set_defaults(command=_store_import)
    store_upgrade = store.add_parser(
        "upgrade",
        help="add to graphs from earlier versions what today's queries read (standard types too)",
    )
    store_upgrade.set_defaults(command=_store_upgrade)


def _store_export(args: argparse.Namespace) -> int:
    return _transfer(args, "export")


def _store_import(args: argparse.Namespace) -> int:
    return _transfer(args, "import")


@contextmanager
def _bare_store(args: argparse.Namespace) -> Iterator[Store]:
    """The configured store alone: no provisioner, no ontology load."""
    from server.store import open_store

    settings = args.settings_of(args)
    store = open_store(settings.store_url, settings)
    try:
        yield store
    finally:
        store.close()


def _transfer(args: argparse.Namespace, action: str) -> int:
    from server.store.transfer import export_graphs, import_graphs

    with _bare_store(args) as store:
        if action == "export":
            moved = export_graphs(store, args.file)
        else:
            moved = import_graphs(store, args.file)
    direction = "to" if action == "export" else "from"
    print(
        f"{action}ed {moved.quads} quads in {moved.graphs} graphs {direction} {args.file} "
        f"({store.describe()})"
    )
    return 0


def _store_upgrade(args: argparse.Namespace) -> int:
    from server.graph.upgrade import (
        add_distributions,
        add_parameter_values,
        add_run_numbers,
        add_standard_types,
        upgrade_runs,
    )

    with _bare_store(args) as store:
        upgraded = upgrade_runs(store)
        numbered = add_run_numbers(store)
        parameters = add_parameter_values(store)
        distributions = add_distributions(store)
        typed, graphs = add_standard_types(store)
    print(f"upgraded {upgraded} run graphs ({store.describe()})")
    print(f"numbered {numbered} runs; added one-hop parameter values to {parameters} runs")
    print(f"added {distributions} dataset distributions (DCAT)")
    print(f"added {typed} standard types (PROV-O, ML-Schema, DCAT) to {graphs} graphs")
    return 0
