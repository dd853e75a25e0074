"""The ``ontolab`` command line. Errors become one clear line on stderr and a non-zero exit.

Heavy modules are imported inside the commands, so ``ontolab --help`` is instant and warm
step workers that re-import this module as their main pay nothing for it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.auth.cli import add_commands as users_commands
from server.cli_operations import add_commands as add_operation_commands
from server.cli_store import add_commands as add_store_commands
from server.cli_triggers import add_commands as add_trigger_commands
from server.terminal import ProgressPrinter, print_metrics, print_table, print_warnings

if TYPE_CHECKING:
    from server.platform import Platform


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from server.errors import OntolabError

    try:
        code = int(args.command(args) or 0)
        sys.stdout.flush()  # inside the try: a reader gone by now is a broken pipe too
        return code
    except OntolabError as exc:
        print(f"ontolab: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ontolab: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _stdout_closed()


#: The exit status of a Unix tool whose reader went away (128 + SIGPIPE), e.g. under `| head`.
BROKEN_PIPE_EXIT = 141


def _stdout_closed() -> int:
    """Exit quietly, as Unix tools do, when whoever read our output has gone (``| head -1``).

    Whatever the command did (a run, a store write) has finished by now; only its printing
    stopped. stdout is pointed at /dev/null so the interpreter's last flush cannot complain.
    """
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return BROKEN_PIPE_EXIT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ontolab", description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="data directory (default ./data; env ONTOLAB_DATA)")
    parser.add_argument(
        "--store", help="store URL (default oxigraph:DATA/store; env ONTOLAB_STORE)"
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(command=handler)
        return sub

    validate = command(
        "validate", _validate, "check a definition (SHACL and plan) without storing it"
    )
    validate.add_argument("file", type=Path)
    validate.add_argument(
        "--reason",
        action="store_true",
        help="also run the OWL reasoner (HermiT; needs Java) over the ontology plus the "
        "definition: names inconsistent nodes and unsatisfiable classes",
    )
    submit = command("submit", _submit, "validate and store a definition as a new version")
    submit.add_argument("file", type=Path)
    run = command("run", _run, "run an experiment (a definition file, or a stored experiment id)")
    run.add_argument("experiment", help="definition file, or the id of a stored experiment")
    run.add_argument("--version", type=int, help="stored version to run (default: newest)")
    run.add_argument("--no-cache", action="store_true", help="run every step, even if cached")
    run.add_argument(
        "--as",
        dest="as_user",
        default=os.environ.get("ONTOLAB_USER"),
        help="record the run as started by this user of the account file (ONTOLAB_USER)",
    )
    runs = commands.add_parser("runs", help="list runs, show or resume one").add_subparsers(
        required=True, metavar="ACTION"
    )
    runs_list = runs.add_parser("list", help="list runs, newest first")
    runs_list.add_argument("--experiment", help="only runs of this experiment id")
    runs_list.set_defaults(command=_runs_list)
    runs_show = runs.add_parser("show", help="one run's steps, metrics, hyperparameters, artifacts")
    runs_show.add_argument("run_id")
    runs_show.set_defaults(command=_runs_show)
    runs_resume = runs.add_parser(
        "resume",
        help="run the unfinished steps of an interrupted, failed or cancelled run (a new run; "
        "finished steps come from the step cache)",
    )
    runs_resume.add_argument("run_id")
    runs_resume.set_defaults(command=_runs_resume)
    add_store_commands(commands, _settings)
    sparql = command("sparql", _sparql, "run a SPARQL query and print the result as a table")
    source = sparql.add_mutually_exclusive_group(required=True)
    source.add_argument("query", nargs="?", help="query text")
    source.add_argument("--file", type=Path, help="read the query from a file")
    source.add_argument("--name", help="a named query from ontology/queries")
    sparql.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bind a parameter of a named query (repeatable)",
    )
    serve = command("serve", _serve, "start the platform (API, SPARQL, metrics) under waitress")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1; env ONTOLAB_HOST)")
    serve.add_argument("--port", type=int, help="port (default 3000; env ONTOLAB_PORT)")
    serve.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    serve_auth = serve.add_mutually_exclusive_group()
    serve_auth.add_argument(
        "--auth", action="store_true", default=None, help="require sign-in (env ONTOLAB_AUTH=on)"
    )
    serve_auth.add_argument(
        "--no-auth",
        dest="allow_no_auth",
        action="store_true",
        default=None,
        help="serve a non-loopback address without auth anyway (env ONTOLAB_ALLOW_NO_AUTH=on)",
    )
    export = command(
        "export",
        _export,
        "write a succeeded run as standalone code (pipeline.py, verify.py, pinned requirements, "
        "data) into DIR",
    )
    export.add_argument("run_id")
    export.add_argument("dir", type=Path, help="a new or empty folder")
    export.add_argument("--force", action="store_true", help="write over a non-empty DIR")
    importer = commands.add_parser(
        "import", help="import runs from another tracker (MLflow)"
    ).add_subparsers(required=True, metavar="TRACKER")
    import_mlflow = importer.add_parser(
        "mlflow",
        help="import an MLflow store (mlflow.db, an mlruns/ folder, or a mlflow-export-import "
        "folder) without MLflow installed; idempotent; exits 1 if anything is lost",
    )
    import_mlflow.add_argument("source", type=Path, help="mlflow.db, mlruns/ or an export folder")
    import_mlflow.add_argument(
        "--artifacts",
        type=Path,
        help="MLflow's artifact root, when the runs' artifact_uri is not under SOURCE's folder",
    )
    import_mlflow.add_argument("--json", action="store_true", help="print the report as JSON")
    import_mlflow.set_defaults(command=_import_mlflow)
    lineage = command("lineage", _lineage, "a model's lineage back to its source dataset")
    lineage.add_argument("model", help="model name, run id or model IRI")
    image = commands.add_parser("image", help="the runner image for docker and swarm steps")
    image_build = image.add_subparsers(required=True, metavar="ACTION").add_parser(
        "build", help="build the runner image offline (debootstrap + docker import), cached"
    )
    image_build.add_argument("--name", help="image name (default ONTOLAB_RUNNER_IMAGE)")
    image_build.add_argument("--cache-dir", type=Path, help="default ~/.cache/ontolab")
    image_build.set_defaults(command=_image_build)
    add_trigger_commands(commands, _platform)
    add_operation_commands(commands, _settings, _platform)
    users_commands(commands, _settings)
    return parser


def _settings(args: argparse.Namespace) -> Any:
    from server.settings import Settings

    overrides = {"data": args.data, "store": args.store}
    overrides.update({k: getattr(args, k, None) for k in ("host", "port", "auth", "allow_no_auth")})
    return Settings.load(overrides)


def _platform(args: argparse.Namespace) -> Platform:
    """The platform for one command; deployments and the trigger loop are only ``serve``'s."""
    from server.provision import make_provisioner

    settings = _settings(args)
    provisioner = make_provisioner(settings)  # before the heavy imports: it warms up meanwhile
    from server.platform import open_platform

    return open_platform(
        settings, serve_deployments=False, provisioner=provisioner, run_triggers=False
    )


def _read_definition(path: Path) -> Any:
    from server import definitions
    from server.errors import DefinitionError

    try:
        text = path.read_text()
    except OSError as exc:
        raise DefinitionError(f"cannot read {path}: {exc.strerror}; check the path") from exc
    return definitions.parse(text, definitions.format_for(path))


def _validate(args: argparse.Namespace) -> int:
    from server.definitions.code_bundles import bundle_beside
    from server.definitions.estimators import for_settings
    from server.runs.service import check_definition

    graph = _read_definition(args.file)
    bundle_beside(args.file, graph)  # checked, not stored
    settings = _settings(args)
    estimators = for_settings(settings)
    version, _, plan = check_definition(graph, settings.source_roots, estimators)
    reasoned = _reason(graph, settings.reasoner_timeout) if args.reason else ""
    print(
        f"{args.file}: valid — experiment {version.identifier!r}, "
        f"{len(plan.steps)} steps in {len(plan.waves)} waves"
    )
    for number, wave in enumerate(plan.waves, 1):
        print(f"  wave {number}: {', '.join(wave)}")
    if reasoned:
        print(reasoned)
    return 0


def _reason(graph: Any, timeout: float) -> str:
    """The OWL check's line; a contradiction raises instead (naming nodes and classes)."""
    from server.definitions.reasoning import OwlReasoner

    report = OwlReasoner(timeout).check(graph)
    report.raise_if_contradictory()
    return f"  OWL (HermiT): consistent, no unsatisfiable class ({report.seconds:.1f} s)"


def _submit(args: argparse.Namespace) -> int:
    from server import definitions
    from server.definitions.code_bundles import bundle_beside

    graph = _read_definition(args.file)
    with closing(_platform(args)) as platform:
        bundle_beside(args.file, graph, platform.artifacts.put)  # the code folder travels too
        roots = platform.settings.source_roots
        submission = definitions.submit(platform.store, graph, roots, platform.estimators)
    version = submission.version
    state = "stored as new" if submission.created else "unchanged: the same as stored"
    print(f"{version.identifier}: {state} version {version.number} <{version.iri}>")
    return 0


def _run(args: argparse.Namespace) -> int:
    from server.auth.cli import user_agent_of

    agent = user_agent_of(_settings(args), args.as_user)  # an unknown user: before anything runs
    platform = _platform(args)  # first: its step workers warm up while the definition is read
    from server import definitions
    from server.tracking import catalog

    path = Path(args.experiment)
    try:
        if path.suffix and path.exists():
            from server.definitions.code_bundles import bundle_beside

            graph = _read_definition(path)
            bundle_beside(path, graph, platform.artifacts.put)
            roots = platform.settings.source_roots
            version = definitions.submit(platform.store, graph, roots, platform.estimators).version
        else:
            version = definitions.get_version(platform.store, args.experiment, args.version)
        printer = ProgressPrinter(version.identifier, version.number)
        record = platform.runs.run(
            version,
            use_cache=False if args.no_cache else None,
            on_event=printer,
            started_by=agent,
        )
        details = catalog.run_details(platform.store, record.run_id)
    finally:
        platform.close()
    print_warnings(details["warnings"])
    print_metrics(details["metrics"])
    return 0 if record.status == "succeeded" else 1


def _runs_list(args: argparse.Namespace) -> int:
    from server.tracking import catalog

    with closing(_platform(args)) as platform:
        rows = catalog.list_runs(platform.store, args.experiment)
    print_table(rows, ["run_id", "identifier", "version", "status", "started", "ended"])
    return 0


def _runs_show(args: argparse.Namespace) -> int:
    from server.tracking import catalog

    with closing(_platform(args)) as platform:
        details = catalog.run_details(platform.store, args.run_id)
    print(
        f"run {details['run_id']}: {details['identifier']} v{details['version']} — "
        f"{details['status']} ({details['provisioner']})"
    )
    print(f"started {details['started']}  ended {details.get('ended', '-')}")
    if details.get("error"):
        print(f"error: {details['error']}")
    if details.get("resumes"):
        print(f"resumes run {details['resumes']}")
    if details.get("resumed_by"):
        print(f"resumed by run {details['resumed_by']}")
    print_warnings(details["warnings"])
    print("\nsteps:")
    for step in details["steps"]:
        step["cache"] = "cached" if step.get("cache_hit") else ""
    print_table(
        details["steps"],
        ["step_id", "phase", "status", "duration", "cache", "worker", "error_message"],
    )
    print("\nmetrics:")
    print_table(details["metrics"], ["step_id", "metric", "value"])
    print("\nhyperparameters:")
    print_table(details["hyperparameters"], ["step_id", "name", "value"])
    print("\nartifacts:")
    print_table(details["artifacts"], ["step_id", "kind", "sha256", "size", "media_type"])
    return 0


def _runs_resume(args: argparse.Namespace) -> int:
    from server.tracking import catalog

    # Opening the platform marks runs a crash left in flight interrupted first.
    with closing(_platform(args)) as platform:
        earlier = catalog.run_details(platform.store, args.run_id)
        printer = ProgressPrinter(earlier["identifier"], earlier["version"])
        record = platform.runs.resume(args.run_id, on_event=printer)
        platform.runs.wait(record.run_id)
        details = catalog.run_details(platform.store, record.run_id)
    cached = ", ".join(s["step_id"] for s in details["steps"] if s.get("cache_hit")) or "none"
    print(f"run {record.run_id} resumed run {args.run_id}; steps from the cache: {cached}")
    print_metrics(details["metrics"])
    return 0 if details["status"] == "succeeded" else 1


def _sparql(args: argparse.Namespace) -> int:
    from server.graph import queries
    from server.graph.terms import plain_row

    if args.name:
        params = dict(p.split("=", 1) for p in args.param if "=" in p)
        text = queries.load(args.name).render(**params)
    else:
        text = args.file.read_text() if args.file else args.query
    with closing(_platform(args)) as platform:
        rows = [plain_row(r) for r in platform.store.select(text)]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    print_table(rows, columns)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from server.app import create_app
    from server.auth.check import auth_banner, check_exposure, close_auth
    from server.http_guard import is_loopback
    from server.http_server import make_server

    settings = _settings(args)
    check_exposure(settings)
    _stop_on_signals()
    app = create_app(settings)
    try:
        server = make_server(app, settings.host, settings.port, args.threads)
    except BaseException:
        app.extensions["ontolab"].close()
        raise
    _stop_on_signals(before=app.extensions["ontolab.streams"].stop_all)  # streams end first
    if not is_loopback(settings.host) and not settings.auth:
        print(_EXPOSED_WARNING.format(host=settings.host), file=sys.stderr, flush=True)
    print(auth_banner(settings), flush=True)
    print(f"Ontolab on http://{settings.host}:{settings.port}/ (Ctrl-C stops it)", flush=True)
    try:
        server.run()  # returns on Ctrl-C: waitress closes itself
    finally:
        close_auth(app)
        app.extensions["ontolab"].close()
    print("Ontolab stopped; deployments come back on the next start", flush=True)
    return 0


_EXPOSED_WARNING = (
    "ontolab: WARNING: serving on {host}, reachable from other machines, with authentication "
    "off (--no-auth): anyone who can reach this address can read every experiment, run "
    "steps and upload data. Use --auth, or bind 127.0.0.1 (the default) unless this "
    "network is trusted; other names of this machine must be listed in ONTOLAB_ALLOWED_HOSTS."
)


def _stop_on_signals(before: Callable[[], None] | None = None) -> None:
    """Ctrl-C and SIGTERM both end ``serve`` cleanly (waitress stops on KeyboardInterrupt).

    SIGINT is set explicitly because a shell starting us in the background without job
    control makes us inherit it as ignored.
    """
    import signal

    def interrupt(signum: int, frame: object) -> None:
        if before is not None:
            before()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _export(args: argparse.Namespace) -> int:
    from server.interop.export import check_target, export_run

    check_target(args.dir, args.force)  # before opening the platform
    with closing(_platform(args)) as platform:
        written = export_run(platform.store, platform.artifacts, args.run_id, args.dir, args.force)
    print(f"exported run {args.run_id} to {args.dir} ({len(written)} files); check it with:")
    print(f"  cd {args.dir} && python -m venv .venv && .venv/bin/pip install -r requirements.txt")
    print("  .venv/bin/python verify.py")
    return 0


def _import_mlflow(args: argparse.Namespace) -> int:
    import json

    from server.interop.mlflow_import.sources import open_source
    from server.interop.mlflow_import.writer import MlflowImporter

    source = open_source(args.source, args.artifacts)  # a bad SOURCE stops before any write
    try:
        with closing(_platform(args)) as platform:
            importer = MlflowImporter(
                platform.store, platform.tracked, platform.registry, platform.artifacts
            )
            report = importer.run(source)
    finally:
        source.close()
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(report.lines()))
    return 0 if report.complete else 1


def _lineage(args: argparse.Namespace) -> int:
    from server.tracking import catalog

    with closing(_platform(args)) as platform:
        model = catalog.resolve_model(platform.store, args.model)
        graph = catalog.lineage(platform.store, model)

    def name(iri: str) -> str:
        node = graph.nodes.get(iri, {})
        return f"{node.get('kind', '?')}:{node.get('label') or iri.rsplit('/', 1)[-1]}"

    print(f"lineage of {model}")
    for source, relation, target in graph.edges:
        print(f"  {name(source):<34} {relation:<22} {name(target)}")
    return 0


def _image_build(args: argparse.Namespace) -> int:
    from server.provision.docker import docker_client
    from server.provision.image import build_runner_image

    settings = _settings(args)
    started = time.monotonic()
    built = build_runner_image(
        docker_client(settings.docker_host), args.name or settings.runner_image, args.cache_dir
    )
    what = " and ".join(built.built) or "nothing (cached)"
    print(
        f"{built.name} = {built.id[:19]} on {built.base}; built {what} in "
        f"{time.monotonic() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
