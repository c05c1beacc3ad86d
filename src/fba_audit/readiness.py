"""Which detectors can run on what a folder holds, and which report to download for the others."""

from __future__ import annotations

from rich.table import Table

from fba_audit.detectors import ALL_DETECTORS
from fba_audit.reports.kinds import DATASET_DOWNLOADS
from fba_audit.reports.model import LoadResult


def download_hint(dataset: str) -> str:
    return DATASET_DOWNLOADS.get(dataset, dataset)


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
            lines = [f"no: needs {d}. Download {download_hint(d)}" for d in missing]
            table.add_row(detector.code, detector.name, "\n".join(lines))
    return table
