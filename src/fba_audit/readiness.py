"""Which detectors can run on what a folder holds, and which report to download for the others."""

from __future__ import annotations

from rich.table import Table

from fba_audit.detectors import ALL_DETECTORS
from fba_audit.detectors._base import Detector
from fba_audit.reports.kinds import DATASET_DOWNLOADS
from fba_audit.reports.model import LoadResult


def downloads_for(detector: Detector, missing: tuple[str, ...]) -> list[str]:
    """Where to get each missing dataset, once per report (one download can feed two datasets)."""
    hints = [detector.downloads.get(d) or DATASET_DOWNLOADS.get(d, d) for d in missing]
    return list(dict.fromkeys(hints))


def detector_readiness(load: LoadResult) -> Table:
    table = Table(title="Detectors")
    table.add_column("Code")
    table.add_column("Detector")
    table.add_column("Can run", overflow="fold")
    for detector in ALL_DETECTORS:
        missing = detector.missing(load)
        if not missing:
            table.add_row(detector.code, detector.name, "[green]yes[/green]")
        else:
            lines = [f"no: needs {', '.join(missing)}.", *(f"Download {h}" for h in downloads_for(detector, missing))]
            table.add_row(detector.code, detector.name, "\n".join(lines))
    return table
