"""findings.csv: one row per finding, the findings fields in FINDINGS_COLUMNS order.

UTF-8 without a byte-order mark, comma-separated, CRLF line ends (RFC 4180; it also makes the csv module
quote a field holding a lone carriage return), quoted only where needed. Amounts are
decimal strings ("1234.50"), dates ISO dates, missing values empty.

Formula-injection defence (OWASP "CSV Injection"): a CSV is usually opened in a spreadsheet, which runs a
cell that starts with `=`, `+`, `-` or `@` (and, in some programs, a tab or carriage return) as a formula.
So in every **text** column a value starting with one of those characters gets a leading `'`: the
spreadsheet then shows it as text, and a program reading the CSV can strip the `'`. The numeric and date
columns (`quantity`, `amount`, `event_date`, `window_opens`, `window_closes`) are never prefixed: they are
written by us from typed values, and a `-` there can only mean a negative number. findings.json keeps the
exact values.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from fba_audit.findings import FINDINGS_COLUMNS, FINDINGS_SCHEMA
from fba_audit.results import AuditResult
from fba_audit.writers._common import atomic_write, finding_records

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The columns whose values come from text (reports, detectors): only these can carry a formula.
TEXT_COLUMNS = frozenset(name for name, dtype in FINDINGS_SCHEMA.items() if dtype == pl.String)


def write_csv(result: AuditResult, path: Path) -> Path:
    records = finding_records(result.findings)

    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(FINDINGS_COLUMNS)
            for record in records:
                writer.writerow(_csv_cell(name, record[name]) for name in FINDINGS_COLUMNS)

    return atomic_write(path, write)


def defuse_formula(text: str) -> str:
    """Prefix `'` to text a spreadsheet would run as a formula; other text is returned unchanged."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _csv_cell(name: str, value: object) -> object:
    if value is None:
        return ""
    if name in TEXT_COLUMNS:
        return defuse_formula(str(value))
    return value
