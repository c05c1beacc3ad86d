"""What the three writers share: replacing output files atomically (one file, or a set of files together), and
findings as plain records."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import polars as pl

from fba_audit import __version__
from fba_audit.reports.model import FileSummary, Problem
from fba_audit.results import AuditResult

GENERATED_BY = f"fba-audit {__version__}"

# What "this week" and "this month" mean for a deadline, counted from the audit date (`--as-of`), never from today's
# clock: the workbook colours deadlines by them and the terminal counts them, so both say the same thing.
DEADLINE_WEEK_DAYS = 7
DEADLINE_MONTH_DAYS = 30
# The findings whose deadline someone must act on: claimable now, or claimable once a person has looked.
URGENT_STATUSES = ("claimable", "review")


def check_per_case(per_case: int) -> None:
    """Refused before the audit runs, not when the workbook is finished."""
    if per_case < 1:
        raise ValueError(f"per_case must be at least 1, got {per_case}")


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Let `write` fill a temporary file beside `path`, then move it into place in one step.

    A crash or an exception during `write` therefore never leaves a half-written `path` behind, and an
    older complete file at `path` survives a failed run. The temporary file lives in the same folder
    because `os.replace` is only atomic within one file system.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # NOTE: a fresh name (not tempfile.mkstemp) so the file gets the usual umask permissions, not 0600.
    temporary = _temporary_beside(path, "tmp")
    staged = _STAGED.get()
    try:
        write(temporary)
        # Flush to disk before the rename, or a power cut could leave an empty file under the final name.
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        if staged is None:
            os.replace(temporary, path)
        else:
            staged.append((temporary, path))
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


# The files written so far inside `replaced_together`: (finished temporary, final path).
_STAGED: contextvars.ContextVar[list[tuple[Path, Path]] | None] = contextvars.ContextVar("staged", default=None)


@contextlib.contextmanager
def replaced_together() -> Iterator[None]:
    """Inside it, `atomic_write` leaves each file as a finished temporary beside its final name; at the end the set
    replaces the old files together, or, when anything failed, none of them does.

    The outputs of a run are one set: a full disk while findings.json is written must not leave the claims.xlsx
    of the new audit next to the findings.json of the old one. Every byte is written (and flushed) before the
    first rename, and renames in one folder need no new space; should one fail all the same, the old files are
    put back from hard links taken just before.
    """
    staged: list[tuple[Path, Path]] = []
    token = _STAGED.set(staged)
    try:
        yield
        _replace_all(staged)
    finally:
        _STAGED.reset(token)
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


def _replace_all(staged: list[tuple[Path, Path]]) -> None:
    kept: list[tuple[Path, Path | None]] = []  # (final path, its old file kept aside, or None when there was none)
    try:
        for temporary, path in staged:
            old = None
            if path.exists():
                old = _temporary_beside(path, "old")
                try:
                    os.link(path, old)
                except OSError:  # a file system without hard links: move the old file aside instead
                    os.replace(path, old)
            kept.append((path, old))
            os.replace(temporary, path)
    except BaseException:
        for path, old in reversed(kept):
            if old is not None:
                os.replace(old, path)
                # When the new file never took its place, `old` is a hard link to `path` itself, and a rename of a
                # file onto itself does nothing: the extra name is removed here.
                old.unlink(missing_ok=True)
            else:
                path.unlink(missing_ok=True)
        raise
    for _, old in kept:
        if old is not None:
            old.unlink(missing_ok=True)


def _temporary_beside(path: Path, label: str) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.{label}")


def plain_value(value: object) -> object:
    """A field value as JSON and CSV carry it: money as its exact decimal string, dates as ISO dates."""
    if isinstance(value, Decimal):
        return format(value, "f")  # "1234.50": exact, never float, never scientific notation
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def plain_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with the values `plain_value` gives, column by column: money as exact decimal strings ("1234.50",
    the column's scale), dates as ISO dates; other columns as they are."""
    return frame.with_columns(pl.col(name).cast(pl.String) for name, dtype in frame.schema.items()
                              if isinstance(dtype, pl.Decimal) or dtype == pl.Date)


def input_files(result: AuditResult) -> list[FileSummary]:
    """The input files of the run; none when the result was built without loading (e.g. in a library call)."""
    return result.load.files if result.load is not None else []


def input_problems(result: AuditResult) -> list[Problem]:
    return result.load.problems if result.load is not None else []
