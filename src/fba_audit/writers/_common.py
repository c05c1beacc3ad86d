"""What the three writers share: replacing an output file atomically, and findings as plain records."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import polars as pl

from fba_audit import __version__
from fba_audit.findings import FINDINGS_COLUMNS
from fba_audit.reports.model import FileSummary, Problem
from fba_audit.results import AuditResult

GENERATED_BY = f"fba-audit {__version__}"


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Let `write` fill a temporary file beside `path`, then move it into place in one step.

    A crash or an exception during `write` therefore never leaves a half-written `path` behind, and an
    older complete file at `path` survives a failed run. The temporary file lives in the same folder
    because `os.replace` is only atomic within one file system.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # NOTE: a fresh name (not tempfile.mkstemp) so the file gets the usual umask permissions, not 0600.
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        # Flush to disk before the rename, or a power cut could leave an empty file under the final name.
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def plain_value(value: object) -> object:
    """A field value as JSON and CSV carry it: money as its exact decimal string, dates as ISO dates."""
    if isinstance(value, Decimal):
        return format(value, "f")  # "1234.50": exact, never float, never scientific notation
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def finding_records(findings: pl.DataFrame) -> list[dict[str, object]]:
    """Every finding as a dict of plain values, fields in FINDINGS_COLUMNS order, sorted by finding_id."""
    ordered = findings.select(FINDINGS_COLUMNS).sort("finding_id")
    return [{name: plain_value(value) for name, value in row.items()} for row in ordered.iter_rows(named=True)]


def input_files(result: AuditResult) -> list[FileSummary]:
    """The input files of the run; none when the result was built without loading (e.g. in a library call)."""
    return result.load.files if result.load is not None else []


def input_problems(result: AuditResult) -> list[Problem]:
    return result.load.problems if result.load is not None else []
