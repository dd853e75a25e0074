"""The one clock for what the platform stamps: run and step times, versions, aliases, deployments.

Kept apart from ``write_terms`` so that cheap importers (the provisioners, which the CLI starts
before the rest of the platform) do not load pyoxigraph for it.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> str:
    """Now, in UTC, as ISO 8601 text, ready for ``write_terms.date_time``."""
    return datetime.now(UTC).isoformat()
