"""Query answers as rows (dicts), and as pandas DataFrames when pandas is installed.

pandas is optional: it is imported only when a DataFrame is asked for, and its absence is an
ImportError that says how to install it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

PANDAS_MISSING = (
    "a DataFrame needs pandas, which is not installed; `pip install pandas` "
    "(or use the rows as dicts)"
)


def require_pandas() -> Any:
    """The pandas module, or an ImportError saying how to get it."""
    try:
        return importlib.import_module("pandas")
    except ImportError as exc:
        raise ImportError(PANDAS_MISSING) from exc


class Table(list[dict[str, Any]]):
    """Rows as dicts (column → value), in order, with the column names in ``columns``.

    A SPARQL ASK answers no rows and sets ``boolean``.
    """

    columns: list[str]
    boolean: bool | None

    def __init__(
        self,
        rows: Iterable[dict[str, Any]] = (),
        columns: Iterable[str] = (),
        boolean: bool | None = None,
    ) -> None:
        super().__init__(rows)
        self.columns = list(columns)
        self.boolean = boolean

    @classmethod
    def of(cls, rows: list[dict[str, Any]]) -> Table:
        """A table whose columns are every key of ``rows``, in first-seen order."""
        columns = dict.fromkeys(k for row in rows for k in row)
        return cls(rows, columns)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one column per ``columns`` (missing values NaN/None)."""
        pandas = require_pandas()
        return pandas.DataFrame.from_records(list(self), columns=self.columns or None)
