"""Reading staff's entries back from a claims workbook: `filed_on`, `case_id`, `outcome` and `notes`.

Staff fill these columns on a detector sheet (one finding a row) or on the Cases sheet (an entry there applies to
every finding of the case). Headers are found by their text, in English or Chinese, so a workbook written with
`--lang zh`, or with columns moved, reads the same. Every cell that cannot be used is reported with its sheet, its
cell reference and what is expected; the other entries are still imported.

Amazon's case ids are the 10 or 11 digit numbers Seller Central shows in the case log (e.g. 19823456781); Excel
may have stored one as a number, which is read back as its digits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path


from fba_audit.ledger.view import STAFF_OUTCOMES
from fba_audit.writers.i18n import EN, ZH

CASE_ID = re.compile(r"^\d{10,11}$")
DETECTOR_SHEET = re.compile(r"^FBA\d{2}$")
STAFF_FIELDS = ("filed_on", "case_id", "outcome", "notes")
# The row cells compared with the ledger to notice a finding id that was typed over.
IDENTITY_FIELDS = ("code", "sku", "fnsku")
_KEYS = ("finding_id", "finding_ids", *STAFF_FIELDS, *IDENTITY_FIELDS)
# header text (either language) -> field
HEADERS = {texts[f"col.{key}"].strip().lower(): key for texts in (EN, ZH) for key in _KEYS}
# outcome label (either language) -> the English staff outcome
OUTCOME_LABELS = {
    texts[f"outcome.{key}"].strip().lower(): label
    for texts in (EN, ZH)
    for key, label in zip(("filed", "reimbursed", "denied", "not_filing"), STAFF_OUTCOMES, strict=True)
}
CASES_SHEETS = frozenset({EN["sheet.cases"], ZH["sheet.cases"]})


@dataclass(frozen=True)
class StaffProblem:
    """One cell of staff's input that could not be used (or was used with an assumption, severity "warning")."""

    workbook: str
    sheet: str
    cell: str | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.workbook}, sheet {self.sheet}" + (f", cell {self.cell}" if self.cell else "")
        return f"{where}: {self.message}"


@dataclass
class StaffRow:
    """The staff entries of one workbook row, validated cell by cell (a bad cell is left out, with a problem)."""

    sheet: str
    row: int
    finding_ids: tuple[str, ...]
    filed_on: dt.date | None = None
    case_id: str | None = None
    outcome: str | None = None
    notes: str | None = None
    identity: dict[str, str | None] = field(default_factory=dict)  # code / sku / fnsku cells of a detector sheet
    finding_cell: str = ""

    def cell(self, field_name: str, columns: dict[str, int]) -> str:
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(columns[field_name])}{self.row}"

    @property
    def has_entry(self) -> bool:
        return any(v is not None for v in (self.filed_on, self.case_id, self.outcome, self.notes))


@dataclass
class StaffSheetRead:
    rows: list[StaffRow] = field(default_factory=list)
    problems: list[StaffProblem] = field(default_factory=list)


def has_staff_entries(path: Path) -> bool:
    """True when any staff column of the workbook holds something (a run then backs the workbook up first)."""
    read = read_workbook(path)
    return bool(read.rows) or any(p.severity == "error" and p.cell for p in read.problems)


def read_workbook(path: Path) -> StaffSheetRead:
    """Every row with a staff entry on the Cases and detector sheets; the Cases sheet first."""
    result = StaffSheetRead()
    name = Path(path).name
    try:
        # openpyxl is imported here, not with the module: a run with no workbook to read back never loads it (the
        # claims workbook is written in a process of its own).
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same clear message
        result.problems.append(StaffProblem(name, "-", None, f"cannot be read as an Excel workbook ({exc}). Give "
                                            "the claims.xlsx that fba-audit wrote and staff filled in, or a text "
                                            "file with one filed finding id per line."))
        return result
    try:
        sheets = sorted(book.sheetnames, key=lambda title: (title not in CASES_SHEETS, title))
        for title in sheets:
            if title in CASES_SHEETS or DETECTOR_SHEET.match(title):
                _read_sheet(book[title], name, title, result)
    finally:
        book.close()
    return result


def _read_sheet(ws, workbook: str, title: str, result: StaffSheetRead) -> None:
    from openpyxl.utils import get_column_letter

    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return
    columns = {}
    for index, text in enumerate(header, start=1):
        key = HEADERS.get(str(text).strip().lower()) if text is not None else None
        if key is not None and key not in columns:
            columns[key] = index
    id_field = "finding_ids" if title in CASES_SHEETS else "finding_id"
    if id_field not in columns or not any(f in columns for f in STAFF_FIELDS):
        return
    for number, values in enumerate(rows, start=2):
        def value(key: str):
            at = columns.get(key)
            return values[at - 1] if at is not None and at - 1 < len(values) else None

        raw = {key: value(key) for key in STAFF_FIELDS}
        if all(_blank(v) for v in raw.values()):
            continue
        ids_text = value(id_field)
        ids = tuple(part.strip() for part in str(ids_text or "").splitlines() if part.strip())
        entry = StaffRow(title, number, ids, finding_cell=f"{get_column_letter(columns[id_field])}{number}")
        entry.identity = {key: _text(value(key)) for key in IDENTITY_FIELDS if key in columns}

        def problem(key: str, message: str, severity: str = "error") -> None:
            result.problems.append(StaffProblem(workbook, title, entry.cell(key, columns), message, severity))

        if not ids:
            result.problems.append(StaffProblem(workbook, title, entry.finding_cell,
                                                f"row {number} has staff entries but no {id_field}; put back the "
                                                "finding id fba-audit wrote (the Evidence sheet lists them all)."))
            continue
        if not _blank(raw["filed_on"]):
            entry.filed_on = _date(raw["filed_on"])
            if entry.filed_on is None:
                problem("filed_on", f"filed_on {_show(raw['filed_on'])} is not a date; enter the day the case was "
                                    "filed, e.g. 2026-11-25.")
        if not _blank(raw["case_id"]):
            entry.case_id = _case_id(raw["case_id"])
            if entry.case_id is None:
                problem("case_id", f"case_id {_show(raw['case_id'])} is not an Amazon case id: 10 or 11 digits, "
                                   "as Seller Central's case log shows it (e.g. 19823456781).")
        if not _blank(raw["outcome"]):
            entry.outcome = OUTCOME_LABELS.get(str(raw["outcome"]).strip().lower())
            if entry.outcome is None:
                problem("outcome", f"outcome {_show(raw['outcome'])} is not in the list; pick one of "
                                   f"{', '.join(STAFF_OUTCOMES)}.")
        if not _blank(raw["notes"]):
            entry.notes = str(raw["notes"]).strip()
        if entry.has_entry:
            result.rows.append(entry)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str | None:
    return None if _blank(value) else str(value).strip()


def _show(value: object) -> str:
    return repr(value.isoformat() if isinstance(value, dt.date) else value)


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10]) if len(value.strip()) in (10, 19) else None
        except ValueError:
            return None
    return None


def _case_id(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text if CASE_ID.match(text) else None
