"""MLflow's own client with a token of a user granted one experiment, against ``ontolab serve
--auth``: it logs a run there and finds it; a call on another experiment raises MlflowException
carrying the server's message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.auth.accounts import ACCOUNT_FILE, Accounts
from server.auth.roles import Grant, Role
from tests.integration.interop.test_mlflow_client import PRELUDE, lines, run_script, serving

PASSWORD = "a-long-password"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """``ontolab serve --auth`` on a free port; tokens of ``owner`` (global runner) and ``bob``
    (runner on experiment team-a only)."""
    folder = tmp_path_factory.mktemp("mlflow-grants")
    accounts = Accounts(folder / "data" / ACCOUNT_FILE)
    tokens = {}
    for user, grant in (
        ("owner", Grant("user:owner", Role.RUNNER)),
        ("bob", Grant("user:bob", Role.RUNNER, "experiment", "team-a")),
    ):
        accounts.add_user(user, PASSWORD)
        accounts.grant(grant)
        tokens[user] = accounts.create_token(user, "mlflow", Role.RUNNER)[0]
    accounts.close()
    with serving(folder, "--auth") as url:
        yield url, tokens


def as_user(token: str) -> str:
    """The script prelude, with MLflow's client sending ``token`` (MLFLOW_TRACKING_TOKEN)."""
    return PRELUDE + f"os.environ['MLFLOW_TRACKING_TOKEN'] = {token!r}\n"


OWNER = """
for name in ("team-a", "team-b"):
    mlflow.set_experiment(name)
    with mlflow.start_run(run_name="by-owner") as run:
        mlflow.log_metric("acc", 0.5)
    print("RUN_" + name.split("-")[1].upper(), json.dumps(run.info.run_id))
"""

SCOPED = """
def refusal(call):
    try:
        call()
    except MlflowException as error:
        return [error.error_code, error.message]
    return None

mlflow.set_experiment("team-a")
with mlflow.start_run(run_name="by-bob") as run:
    mlflow.log_param("lr", "0.1")
    mlflow.log_metric("acc", 0.9)
found = mlflow.search_runs(experiment_names=["team-a"], order_by=["metrics.acc DESC"])
print("MINE", json.dumps(list(found["tags.mlflow.runName"])))
client = MlflowClient()
print("VISIBLE", json.dumps([e.name for e in client.search_experiments()]))
print("SEARCH_B", json.dumps(refusal(lambda: client.search_runs(["team-b"]))))
print("GET_B", json.dumps(refusal(lambda: client.get_run(os.environ["RUN_B"]))))
print("LOG_B", json.dumps(refusal(lambda: client.log_metric(os.environ["RUN_B"], "acc", 1.0))))
print("SET_B", json.dumps(refusal(lambda: mlflow.set_experiment("team-b"))))
"""


def test_a_user_granted_one_experiment_logs_there_and_is_refused_elsewhere(
    mlflow_python: Path, served: tuple[str, dict[str, str]]
) -> None:
    url, tokens = served
    made = lines(run_script(mlflow_python, url, OWNER, as_user(tokens["owner"])))
    prelude = as_user(tokens["bob"]) + f"os.environ['RUN_B'] = {made['RUN_B']!r}\n"
    seen = lines(run_script(mlflow_python, url, SCOPED, prelude))
    assert seen["MINE"] == ["by-bob", "by-owner"]
    assert seen["VISIBLE"] == ["team-a"]
    code, message = seen["SEARCH_B"]
    assert code == "PERMISSION_DENIED" and "runs/search" in message
    assert "`ontolab users grant bob viewer --experiment" in message
    code, message = seen["GET_B"]
    assert code == "PERMISSION_DENIED" and "needs role viewer" in message and "bob" in message
    code, message = seen["LOG_B"]
    assert code == "PERMISSION_DENIED" and "needs role runner" in message
    code, message = seen["SET_B"]
    assert code == "PERMISSION_DENIED" and "experiments/get-by-name 'team-b'" in message
