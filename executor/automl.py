"""AutoML: search estimators and their hyperparameters within a budget.

The search engine is Optuna's TPE sampler, seeded. Before it draws anything, the default
baselines (RandomForest and HistGradientBoosting with default settings, for the task) are trials
0 and 1, scored on the same folds as every other trial, so the best trial is never worse on
validation than the default. Candidates with nothing to search (no row in
``executor.search_spaces``) are then tried once with their defaults; TPE chooses among the others,
the estimator itself being one of its dimensions.

Validation is 5-fold cross-validation (stratified for classification) on up to ``HOLDOUT_ROWS``
training rows and one 80/20 holdout above: on small data a single holdout's score moves by whole
percents with the rows that fall in it, and five fits cost little; on large data the holdout has
thousands of rows, so its score is steady, and one fit per trial leaves the budget five times as
many trials. The preprocessor is fitted on each fold's training part once and reused by every
trial, which is what a Pipeline refitted per fold computes, without repeating it.

Each finished trial is appended to ``trials.jsonl`` in the workdir as it ends (``on_trial``), so a
step killed mid-search leaves its finished trials behind. Pure of Ontolab's
server; needs Optuna (imported when the TPE search starts).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from executor import estimators, search_spaces

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to

HOLDOUT_ROWS = 10_000
FOLDS = 5
HOLDOUT_FRACTION = 0.2
BASELINES = {
    "classification": ("RandomForestClassifier", "HistGradientBoostingClassifier"),
    "regression": ("RandomForestRegressor", "HistGradientBoostingRegressor"),
}
DEFAULT_METRIC = {"classification": "accuracy", "regression": "r2"}
# Draws in a row the time left cannot pay for before the search gives up.
MAX_SKIPPED = 50


@dataclass(frozen=True)
class Budget:
    """Stop starting trials once ``seconds`` have passed or ``trials`` trials ran (either may
    be None, not both). Trial 0, the default RandomForest, always runs."""

    seconds: float | None = None
    trials: int | None = None


@dataclass
class Trial:
    """One evaluated configuration, as recorded (``trials.jsonl``, the step's summary)."""

    number: int
    kind: str  # baseline | default | search
    estimator: str
    params: dict[str, Any]
    state: str  # succeeded | failed
    started_at: str
    ended_at: str
    fit_seconds: float
    fold_scores: list[float] = field(default_factory=list)
    mean_score: float | None = None
    error: str | None = None
    estimator_class: str | None = None  # module.Class, as a build's summary names it

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Search:
    """What a search needs: the task's data, the preprocessor, the candidates and the rules."""

    task: str
    x: pd.DataFrame
    y: pd.Series
    preprocessor: BaseEstimator
    candidates: dict[str, str | None]  # name → allow-list entry (None: scikit-learn's)
    budget: Budget
    metric: str
    seed: int = 42
    jobs: int = 1
    on_trial: Callable[[Trial], None] = lambda trial: None


@dataclass
class Outcome:
    trials: list[Trial]
    best: Trial
    validation: str  # "5-fold" | "holdout"


Fold = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def validation_scheme(rows: int) -> str:
    return "holdout" if rows > HOLDOUT_ROWS else f"{FOLDS}-fold"


def make_folds(search: Search) -> list[Fold]:
    """Each fold's preprocessed training and validation features with their targets."""
    x, y, n = search.x, search.y.to_numpy(), len(search.x)
    stratify = search.task == "classification"
    if validation_scheme(n) == "holdout":
        train, valid = train_test_split(
            np.arange(n),
            test_size=HOLDOUT_FRACTION,
            random_state=search.seed,
            stratify=y if stratify else None,
        )
        pairs: Sequence[tuple[np.ndarray, np.ndarray]] = [(train, valid)]
    else:
        splitter = StratifiedKFold if stratify and _stratifiable(y) else KFold
        pairs = list(splitter(FOLDS, shuffle=True, random_state=search.seed).split(x, y))
    folds = []
    for train, valid in pairs:
        prep = clone(search.preprocessor).fit(x.iloc[train])
        folds.append(
            (prep.transform(x.iloc[train]), y[train], prep.transform(x.iloc[valid]), y[valid])
        )
    return folds


def _stratifiable(y: np.ndarray) -> bool:
    _, counts = np.unique(y, return_counts=True)
    return bool(counts.min() >= FOLDS)


def run_search(search: Search) -> Outcome:
    """Run the baselines, the once-only defaults, then TPE until the budget is spent.

    OpenMP and BLAS pools are held to ``threads(search)``: HistGradientBoosting's OpenMP
    loops on every core otherwise, which on small data under load costs ten times the fit.
    """
    with threadpool_limits(limits=threads(search)):
        return _run_search(search)


def threads(search: Search) -> int:
    """The OpenMP (and BLAS) threads a fit may use: ``jobs`` on data large enough for a
    holdout, one below. A small fit is many short parallel loops, each ending at a barrier
    where a thread the OS has descheduled keeps the others spinning: HistGradientBoosting
    took 28 s on iris with two threads on a loaded machine, 0.5 s with one."""
    return search.jobs if len(search.x) > HOLDOUT_ROWS else 1


def _run_search(search: Search) -> Outcome:
    started = time.monotonic()
    folds = make_folds(search)
    scorer = get_scorer(search.metric)
    trials: list[Trial] = []

    def evaluate(kind: str, name: str, drawn: dict[str, Any]) -> Trial:
        trial = _evaluate(search, folds, scorer, len(trials), kind, name, drawn)
        trials.append(trial)
        search.on_trial(trial)
        log.info(
            "trial %d %s %s: %s",
            trial.number,
            kind,
            name,
            trial.error or f"{search.metric} {trial.mean_score:.4f} in {trial.fit_seconds:.2f} s",
        )
        return trial

    def spent() -> bool:
        return _spent(search.budget, trials, started, len(folds))

    for name in BASELINES[search.task]:
        if not trials or not spent():
            evaluate("baseline", name, {})
    for name in (n for n in search.candidates if not search_spaces.searchable(n)):
        if not spent():
            evaluate("default", name, {})

    def affordable(name: str, drawn: dict[str, Any]) -> bool:
        return _affordable(search, trials, started, name, drawn)

    searched = [n for n in search.candidates if search_spaces.searchable(n)]
    if searched:
        _tpe(search, searched, evaluate, spent, affordable)
    done = [t for t in trials if t.state == "succeeded"]
    if not done:
        raise RuntimeError("no trial succeeded; see the trials' errors")
    best = max(done, key=lambda t: (t.mean_score, -t.number))
    return Outcome(trials, best, validation_scheme(len(search.x)))


def _tpe(
    search: Search,
    names: list[str],
    evaluate: Callable[[str, str, dict[str, Any]], Trial],
    spent: Callable[[], bool],
    affordable: Callable[[str, dict[str, Any]], bool],
) -> None:
    import optuna  # here, not at the top: every step process imports this module's phase

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=search.seed, n_startup_trials=len(names) + 2)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    skipped = 0
    while not spent() and skipped < MAX_SKIPPED:
        asked = study.ask()
        name = asked.suggest_categorical("estimator", names)
        drawn = search_spaces.sample(asked, name)
        if not affordable(name, drawn):  # not run, not recorded: the time left cannot pay
            skipped += 1
            study.tell(asked, _worst(study))
            continue
        skipped = 0
        trial = evaluate("search", name, drawn)
        if trial.state == "succeeded" and trial.mean_score is not None:
            study.tell(asked, trial.mean_score)
        else:  # told as the worst score so far: TPE leaves failed trials out, and would
            # keep drawing the setting that failed
            study.tell(asked, _worst(study))


def _worst(study: Any) -> float:
    return min((t.value for t in study.trials if t.value is not None), default=-1.0)


def _affordable(
    search: Search, trials: list[Trial], started: float, name: str, drawn: dict[str, Any]
) -> bool:
    """Whether a fit of ``drawn`` likely ends within the time budget, judged by what earlier
    trials of the same estimator (LightGBM: of HistGradientBoosting) cost per unit of
    ``search_spaces.cost_factor``; True when there is no time budget or nothing to judge by."""
    if search.budget.seconds is None:
        return True
    columns = search.x.shape[1]
    factor = search_spaces.cost_factor(name, drawn, columns)
    family = {name, name.replace("LGBM", "HistGradientBoosting")}
    units = [
        t.fit_seconds / f
        for t in trials
        if t.estimator in family
        and t.state == "succeeded"
        and (f := search_spaces.cost_factor(t.estimator, t.params, columns))
    ]
    if factor is None or not units:
        return True
    left = search.budget.seconds - (time.monotonic() - started)
    return min(units) * factor <= left


def _spent(budget: Budget, trials: list[Trial], started: float, folds: int) -> bool:
    """Whether no further trial may start: the trial budget is used up, or the time left would
    not cover the refit of the best model so far (about one fold's fit of it)."""
    if budget.trials is not None and len(trials) >= budget.trials:
        return True
    if budget.seconds is None:
        return False
    done = [t for t in trials if t.state == "succeeded"]
    refit = max(done, key=lambda t: t.mean_score or -math.inf).fit_seconds / folds if done else 0
    return time.monotonic() - started + refit * 1.25 >= budget.seconds


def _evaluate(
    search: Search,
    folds: list[Fold],
    scorer: Any,
    number: int,
    kind: str,
    name: str,
    drawn: dict[str, Any],
) -> Trial:
    made = search_spaces.settings(name, drawn, search.jobs, threads(search))
    trial = Trial(number, kind, name, made, "failed", _now(), "", 0.0)
    clock = time.perf_counter()
    try:
        for x_train, y_train, x_valid, y_valid in folds:
            model = make(search, name, made)
            trial.estimator_class = estimators.public_name(type(model))
            if "random_state" in model.get_params():  # recorded: the seed is part of the setting
                trial.params = {**made, "random_state": model.get_params()["random_state"]}
            model.fit(x_train, y_train)
            trial.fold_scores.append(float(scorer(model, x_valid, y_valid)))
    except Exception as exc:  # one bad configuration must not end the search
        trial.error = f"{type(exc).__name__}: {exc}"
    trial.ended_at = _now()
    trial.fit_seconds = round(time.perf_counter() - clock, 6)
    if trial.error is None:
        mean = float(np.mean(trial.fold_scores))
        if math.isfinite(mean):
            trial.state, trial.mean_score = "succeeded", mean
        else:
            trial.error = "the score is not a finite number"
    return trial


def make(search: Search, name: str, made: dict[str, Any]) -> BaseEstimator:
    """An unfitted estimator ``name`` with settings ``made``, seeded like a build step's.

    Settings the constructor does not name (LightGBM's ``verbose``, which it takes through
    ``**kwargs``) come from the fixed table, never from a definition, and are set after."""
    entry = search.candidates.get(name)
    named = set(estimators.parameter_names(estimators.estimator_class(name, search.task, entry)))
    extra = {k: v for k, v in made.items() if k not in named}
    given = {k: v for k, v in made.items() if k in named}
    estimator = estimators.make_estimator(name, search.task, given, search.seed, entry)
    return estimator.set_params(**extra) if extra else estimator


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
