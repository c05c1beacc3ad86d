"""The agency's overview of a batch: agency.json for programs, agency.xlsx for the people who decide which
account to work on first.

One row per account, read back from the account's own findings.json (the contract `run` documents), so the
overview never disagrees with the account's files. Rows are sorted by the money claimable now (largest first),
then by the nearest claim deadline, then by account name.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from fba_audit import __version__
from fba_audit.batch import LOGS_DIR, AccountOutcome
from fba_audit.writers._common import atomic_write, plain_value

STATUSES = ("claimable", "review", "waiting", "expired")
ZERO = Decimal("0.00")


def account_figures(findings_json: Path) -> dict[str, Any]:
    document = json.loads(findings_json.read_text(encoding="utf-8"))
    findings = document.get("findings", [])
    by_status = {s: {"findings": 0, "units": 0, "value": {}} for s in STATUSES}
    by_detector: dict[str, dict[str, Any]] = {}
    deadlines = []
    for finding in findings:
        status, code = finding["status"], finding["code"]
        amount = Decimal(finding["amount"]) if finding.get("amount") is not None else None
        currency = finding.get("currency") or ""
        bucket = by_status[status]
        bucket["findings"] += 1
        bucket["units"] += finding["quantity"]
        if amount is not None:
            bucket["value"][currency] = bucket["value"].get(currency, ZERO) + amount
        detector = by_detector.setdefault(code, {"findings": 0, "claimable_findings": 0, "claimable_units": 0,
                                                 "claimable_value": {}})
        detector["findings"] += 1
        if status == "claimable":
            detector["claimable_findings"] += 1
            detector["claimable_units"] += finding["quantity"]
            if amount is not None:
                detector["claimable_value"][currency] = detector["claimable_value"].get(currency, ZERO) + amount
            if finding.get("window_closes"):
                deadlines.append(dt.date.fromisoformat(finding["window_closes"]))
    problems = document.get("input_problems", [])
    return {
        "marketplace": document.get("marketplace"),
        "as_of": document.get("as_of"),
        "findings": len(findings),
        **{status: by_status[status] for status in STATUSES},
        "by_detector": dict(sorted(by_detector.items())),
        "nearest_deadline": min(deadlines) if deadlines else None,
        "input_errors": sum(1 for p in problems if p.get("severity") == "error"),
        "input_warnings": sum(1 for p in problems if p.get("severity") != "error"),
        "skipped_detectors": [s.get("code") for s in document.get("skipped", [])],
        # Items the detectors that ran could not judge, per code (its findings.json `coverage` says which and why).
        "not_checked": {c["code"]: c["not_checked"] for c in document.get("coverage", []) if c.get("not_checked")},
    }


def agency_rows(outcomes: Iterable[AccountOutcome], out_dir: Path) -> list[dict[str, Any]]:
    """One row per account, sorted by claimable value (largest first), nearest deadline, then name."""
    rows = []
    for outcome in outcomes:
        row: dict[str, Any] = {
            "account": outcome.name,
            "folder": outcome.key,
            "status": outcome.status,
            "error": outcome.error,
            "seconds": round(outcome.seconds, 1),
            "peak_memory_mb": None if outcome.peak_memory_mb is None else round(outcome.peak_memory_mb),
            "log": f"{LOGS_DIR}/{outcome.key}.log",
            "ledger": outcome.ledger,
        }
        findings_json = out_dir / outcome.key / "findings.json"
        if outcome.status != "failed" and findings_json.is_file():
            row.update(account_figures(findings_json))
        rows.append(row)

    def order(row: dict[str, Any]) -> tuple:
        claimable = sum((row.get("claimable") or {}).get("value", {}).values(), ZERO)
        deadline = row.get("nearest_deadline") or dt.date.max
        return (-claimable, deadline, row["account"].casefold(), row["folder"])

    return sorted(rows, key=order)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return plain_value(value)


def agency_document(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {"accounts": len(rows)}
    for status in ("ran", "skipped", "failed"):
        totals[status] = sum(1 for row in rows if row["status"] == status)
    claimable_value: dict[str, Decimal] = {}
    for row in rows:
        for currency, value in (row.get("claimable") or {}).get("value", {}).items():
            claimable_value[currency] = claimable_value.get(currency, ZERO) + value
    totals["claimable_findings"] = sum((row.get("claimable") or {}).get("findings", 0) for row in rows)
    totals["claimable_value"] = dict(sorted(claimable_value.items()))
    return _plain({"generated_by": f"fba-audit {__version__}", "totals": totals, "accounts": list(rows)})


def write_agency_json(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    text = json.dumps(agency_document(rows), ensure_ascii=False, indent=2) + "\n"
    return atomic_write(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


SUMMARY_COLUMNS = (
    ("Account", 28), ("Status", 9), ("Marketplace", 12), ("Claimable value", 16), ("Currency", 9),
    ("Nearest deadline", 16), ("Claimable findings", 11), ("Claimable units", 11), ("Review findings", 11),
    ("Waiting findings", 11), ("Expired findings", 11), ("Expired value", 14), ("Input errors", 10),
    ("Input warnings", 10), ("Audit date", 12), ("Error", 60), ("Folder", 24), ("Log", 30), ("Claim ledger", 40),
)
DETECTOR_COLUMNS = (("Account", 28), ("Detector", 10), ("Findings", 10), ("Claimable findings", 11),
                    ("Claimable units", 11), ("Claimable value", 16), ("Currency", 9), ("Folder", 24))


def _cells(ws: Any, values: Sequence[Any]) -> list[Any]:
    """Typed cells: text always as text (a folder named "=1+1" stays text), money and dates with their formats."""
    from fba_audit.writers.excel import DATE_FORMAT, MONEY_FORMAT, safe_cell

    cells = []
    for value in values:
        cell = safe_cell(ws, value)
        if isinstance(value, Decimal):
            cell.number_format = MONEY_FORMAT
        elif isinstance(value, dt.date):
            cell.number_format = DATE_FORMAT
        cells.append(cell)
    return cells


def _money(values: dict[str, Decimal]) -> tuple[Decimal | None, str | None]:
    """One value and its currency; accounts audited in several currencies show the total per currency as text."""
    if not values:
        return None, None
    if len(values) == 1:
        currency, value = next(iter(values.items()))
        return value, currency
    return None, ", ".join(f"{format(v, 'f')} {c}" for c, v in sorted(values.items()))


def _sheet(book: Any, title: str, columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from fba_audit.writers.excel import print_setup

    ws = book.create_sheet(title)
    for index, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "B2"
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    print_setup(ws)
    header = _cells(ws, [name for name, _ in columns])
    for cell in header:
        cell.font = Font(bold=True)
    ws.append(header)
    for row in rows:
        ws.append(_cells(ws, row))


def write_agency_workbook(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    summary = []
    by_detector = []
    for row in rows:
        claimable = row.get("claimable") or {}
        value, currency = _money(claimable.get("value", {}))
        expired_value, _ = _money((row.get("expired") or {}).get("value", {}))
        summary.append([
            row["account"], row["status"], row.get("marketplace"), value, currency, row.get("nearest_deadline"),
            claimable.get("findings"), claimable.get("units"), (row.get("review") or {}).get("findings"),
            (row.get("waiting") or {}).get("findings"), (row.get("expired") or {}).get("findings"), expired_value,
            row.get("input_errors"), row.get("input_warnings"),
            dt.date.fromisoformat(row["as_of"]) if row.get("as_of") else None, row.get("error"), row["folder"],
            row["log"], row.get("ledger"),
        ])
        for code, detector in (row.get("by_detector") or {}).items():
            detector_value, detector_currency = _money(detector["claimable_value"])
            by_detector.append([row["account"], code, detector["findings"], detector["claimable_findings"],
                                detector["claimable_units"], detector_value, detector_currency, row["folder"]])
    _sheet(book, "Summary", SUMMARY_COLUMNS, summary)
    _sheet(book, "By detector", DETECTOR_COLUMNS, by_detector)
    return atomic_write(path, lambda temporary: book.save(temporary))
