"""The reconciliation report of one import: per kind of thing, how many the source holds
(found), how many this import wrote (imported), how many the platform had already (present),
and how many are missing after it (lost), with the reason for each loss. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("experiments", "runs", "params", "metric_points", "tags", "artifacts", "model_versions")


@dataclass
class Tally:
    found: int = 0
    imported: int = 0
    present: int = 0

    @property
    def lost(self) -> int:
        return max(0, self.found - self.imported - self.present)


@dataclass
class Reconciliation:
    source: str
    kind: str
    tallies: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})
    losses: list[str] = field(default_factory=list)  # one line per lost thing, with why
    notes: list[str] = field(default_factory=list)  # e.g. a model name the registry renamed
    seconds: float = 0.0

    def __getitem__(self, kind: str) -> Tally:
        return self.tallies[kind]

    def add(self, kind: str, found: int, stored: int, was_present: bool) -> None:
        """Count ``found`` things of which ``stored`` are in the platform after the write."""
        tally = self.tallies[kind]
        tally.found += found
        kept = min(found, stored)
        if was_present:
            tally.present += kept
        else:
            tally.imported += kept

    def lose(self, what: str) -> None:
        self.losses.append(what)

    @property
    def lost(self) -> int:
        return sum(t.lost for t in self.tallies.values())

    @property
    def complete(self) -> bool:
        """Nothing the source holds is missing from the platform."""
        return self.lost == 0 and not self.losses

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "complete": self.complete,
            "seconds": round(self.seconds, 3),
            "counts": {
                k: {"found": t.found, "imported": t.imported, "present": t.present, "lost": t.lost}
                for k, t in self.tallies.items()
            },
            "losses": self.losses,
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        """The report as the command prints it."""
        out = [f"imported {self.kind} {self.source} in {self.seconds:.1f} s", ""]
        out.append(f"{'':<15}{'found':>10}{'imported':>10}{'present':>10}{'lost':>8}")
        for kind, t in self.tallies.items():
            name = kind.replace("_", " ")
            out.append(f"{name:<15}{t.found:>10}{t.imported:>10}{t.present:>10}{t.lost:>8}")
        out += [f"note: {n}" for n in self.notes]
        out += [f"lost: {loss}" for loss in self.losses]
        verdict = (
            "complete: nothing lost"
            if self.complete
            else (f"INCOMPLETE: {max(self.lost, len(self.losses))} lost; see the lines above")
        )
        out += ["", verdict]
        return out
