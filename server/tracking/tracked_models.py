"""A model a tracked run logs, made into the bundle a build step writes, so serving loads it the
same way (``server.serving.loaded_model``: a joblib dict holding the fitted ``pipeline``, its
``feature_columns``, ``task``, ``classes``, ``library_versions``...).

The bytes are either such a bundle already, or a pickled scikit-learn estimator or Pipeline (the
SDK's ``log_model``, MLflow's ``model.pkl``), which is wrapped. Unpickling runs code: the
platform only takes models from clients allowed to write to it (as it only serves bundles its
own steps or those clients wrote).
"""

from __future__ import annotations

import io
from typing import Any

import joblib

from server.errors import TrackingInputError

SERIALIZATION_FORMAT = "joblib"
FLAVORS = ("sklearn",)


def model_bundle(data: bytes, name: str, flavor: str = "sklearn") -> tuple[bytes, dict[str, Any]]:
    """The bundle's bytes and what was read from it (the model's summary for its graph).

    Raises:
        TrackingInputError: an unknown flavor, bytes that do not unpickle, or an object that is
            not a fitted scikit-learn estimator.
    """
    if flavor not in FLAVORS:
        raise TrackingInputError(
            f"model flavor {flavor!r} is not supported; log a scikit-learn model "
            f"(flavor one of {', '.join(FLAVORS)})"
        )
    try:
        loaded = joblib.load(io.BytesIO(data))
    except Exception as exc:  # unpickling fails in many ways; each means bytes we cannot use
        raise TrackingInputError(
            f"model {name!r} cannot be read ({type(exc).__name__}: {exc}); send a scikit-learn "
            "estimator pickled with joblib or pickle, with the library versions of the platform"
        ) from exc
    if isinstance(loaded, dict) and "pipeline" in loaded:
        bundle, raw = loaded, data
    else:
        bundle = _wrap(loaded, name)
        buffer = io.BytesIO()
        joblib.dump(bundle, buffer)
        raw = buffer.getvalue()
    _check_fitted(bundle["pipeline"], name)
    return raw, _summary(bundle)


def _wrap(model: Any, name: str) -> dict[str, Any]:
    if not hasattr(model, "predict"):
        raise TrackingInputError(
            f"model {name!r} is a {type(model).__name__}, which has no predict method; log a "
            "fitted scikit-learn estimator or Pipeline"
        )
    columns = getattr(model, "feature_names_in_", None)
    if columns is None:
        count = int(getattr(model, "n_features_in_", 0))
        columns = [f"x{i}" for i in range(count)]
    classes = getattr(model, "classes_", None)
    task = "classification" if classes is not None else "regression"
    bundle: dict[str, Any] = {
        "pipeline": model,
        "task": task,
        "target": None,
        "feature_columns": [str(c) for c in columns],
        "feature_dtypes": {},
        "model_name": name,
        "estimator": _class_name(model),
        "library_versions": _library_versions(model),
        "serialization_format": SERIALIZATION_FORMAT,
    }
    if classes is not None:
        bundle["classes"] = list(classes.tolist() if hasattr(classes, "tolist") else classes)
    return bundle


def _check_fitted(model: Any, name: str) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError) as exc:
        raise TrackingInputError(
            f"model {name!r} is not a fitted scikit-learn estimator ({exc}); fit it before "
            "logging it"
        ) from exc


def _summary(bundle: dict[str, Any]) -> dict[str, Any]:
    pipeline = bundle["pipeline"]
    last = pipeline.steps[-1][1] if hasattr(pipeline, "steps") else pipeline
    return {
        "estimator_class": _class_name(last),
        "feature_columns": [str(c) for c in bundle.get("feature_columns", [])],
        "library_versions": dict(bundle.get("library_versions", {})),
        "serialization_format": SERIALIZATION_FORMAT,
        "target_column": bundle.get("target"),
        "task": str(bundle.get("task", "classification")),
    }


def _class_name(model: Any) -> str:
    kind = type(model)
    module = kind.__module__.split(".")[0]
    return f"{module}.{kind.__qualname__}" if module != "sklearn" else kind.__qualname__


def _library_versions(model: Any) -> dict[str, str]:
    import sklearn

    versions = {"scikit-learn": sklearn.__version__}
    module = type(model).__module__.split(".")[0]
    if module not in ("sklearn", "builtins", "__main__"):
        version = getattr(__import__(module), "__version__", None)
        if version:
            versions[module] = str(version)
    return versions
