"""The outputs of a monthly run: the claims workbook for staff, and JSON and CSV for programs.

File names are fixed here, never taken from report content, so nothing is written outside `out_dir`. The three
files are one set: they replace the previous run's together or not at all (`replaced_together`).

openpyxl is imported only where a workbook is written (the workbook's own process, or `write_workbook`), not by a
run's main process: `write_workbook` is loaded when first asked for.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from fba_audit._names import printable_name
from fba_audit.ledger.view import StaffEntry
from fba_audit.results import AuditResult
from fba_audit.writers._common import atomic_write, replaced_together
from fba_audit.writers.csv_out import write_csv
from fba_audit.writers.json_out import write_json
from fba_audit.writers.workbook_process import WorkbookHere, WorkbookProcess, WorkbookWriterError

WORKBOOK_NAME = "claims.xlsx"
JSON_NAME = "findings.json"
CSV_NAME = "findings.csv"

__all__ = ["OutputFolderError", "Outputs", "WorkbookWriterError", "check_output_folder", "write_all", "write_csv",
           "write_json", "write_workbook"]


def __getattr__(name: str) -> object:
    if name == "write_workbook":
        from fba_audit.writers.excel import write_workbook

        return write_workbook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class OutputFolderError(Exception):
    """The output folder cannot be created or written; the message names it and says why."""


def check_output_folder(out_dir: Path) -> None:
    """Make sure `out_dir` can be created and written, before an audit that may take minutes is run for nothing.

    It is left as it was found: folders created for the test are removed again (the run creates them when it
    writes), and so is the probe file.
    """
    out_dir = Path(out_dir)
    created: list[Path] = []
    try:
        missing = [folder for folder in (out_dir, *out_dir.parents) if not folder.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
        probe = out_dir / f".fba-audit-probe-{uuid.uuid4().hex}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, (NotADirectoryError, FileExistsError)):
            reason = "it, or a folder above it, is a file"
        raise OutputFolderError(f"{printable_name(str(out_dir))}: cannot write there ({reason}). Choose a folder "
                                "you can write to (it is created if missing).") from exc
    finally:
        for folder in reversed(created):
            try:
                folder.rmdir()
            except OSError:
                pass


class Outputs:
    """The three files of a run, the workbook begun while the detectors run: pass `add` to `api.audit` as
    `on_findings`, then call `finish` with the result. Used as a context manager, it cleans up after a run that
    fails before `finish` (an older complete file in `out_dir` stays as it was)."""

    def __init__(self, out_dir: Path, *, lang: str = "en", per_case: int = 5,
                 detector_titles: Mapping[str, str] | None = None,
                 staff: Mapping[str, StaffEntry] | None = None, own_process: bool = True) -> None:
        """`own_process`: write the workbook in a process of its own while the detectors run (`WorkbookProcess`);
        False writes it here after them (`WorkbookHere`), cheaper for a small account."""
        self.out_dir = Path(out_dir)
        writer = WorkbookProcess if own_process else WorkbookHere
        self._workbook = writer(self.out_dir / WORKBOOK_NAME, lang=lang, per_case=per_case,
                                detector_titles=detector_titles, staff=staff)

    def add(self, code: str, findings: pl.DataFrame) -> None:
        self._workbook.add(code, findings)

    def finish(self, result: AuditResult) -> dict[str, Path]:
        """Write claims.xlsx, findings.json and findings.csv into `out_dir` (created if missing).

        Returns the written paths keyed by format: "xlsx", "json", "csv". The three replace the old ones together.
        `WorkbookWriterError` when the workbook could not be written (then nothing is replaced).
        """
        self._workbook.finish(result)  # the workbook's process writes the other sheets meanwhile
        with replaced_together():
            written = {"json": write_json(result, self.out_dir / JSON_NAME),
                       "csv": write_csv(result, self.out_dir / CSV_NAME)}
            return {"xlsx": atomic_write(self.out_dir / WORKBOOK_NAME, self._workbook.saved_into), **written}

    def close(self) -> None:
        self._workbook.close()

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def write_all(
    result: AuditResult,
    out_dir: Path,
    *,
    lang: str = "en",
    per_case: int = 5,
    detector_titles: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write claims.xlsx, findings.json and findings.csv into `out_dir` (created if missing).

    Returns the written paths keyed by format: "xlsx", "json", "csv". The three replace the old ones together.
    """
    with Outputs(out_dir, lang=lang, per_case=per_case, detector_titles=detector_titles) as outputs:
        return outputs.finish(result)
