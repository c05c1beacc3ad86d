"""findings.csv: one row per finding, the findings fields in FINDINGS_COLUMNS order.

UTF-8 with a byte-order mark, comma-separated, CRLF line ends (RFC 4180), quoted only where needed (a field
holding a comma, a quote, a line feed or a carriage return). The mark is there because Excel on Windows opens a
CSV without one in the machine's ANSI code page, which turns a Chinese title or a German SKU into mojibake; Python
reads it with `utf-8-sig`, pandas and polars skip it. Amounts are decimal strings ("1234.50"), dates ISO dates,
missing values empty.

The file is written by polars from the findings frame, with the formula defence below as polars expressions: a
run with tens of thousands of findings spent most of a second here building Python values row by row.

Formula-injection defence (OWASP "CSV Injection"): a CSV is usually opened in a spreadsheet, which runs a
cell that starts with `=`, `+`, `-` or `@` (and, in some programs, a tab or carriage return) as a formula.
So in every **text** column a value starting with one of those characters gets a leading `'`: the
spreadsheet then shows it as text, and a program reading the CSV can strip the `'`. The numeric and date
columns (`quantity`, `amount`, `event_date`, `window_opens`, `window_closes`) are never prefixed: they are
written by us from typed values, and a `-` there can only mean a negative number. findings.json keeps the
exact values.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from fba_audit.findings import FINDINGS_COLUMNS, FINDINGS_SCHEMA
from fba_audit.results import AuditResult
from fba_audit.writers._common import atomic_write, plain_columns

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The columns whose values come from text (reports, detectors): only these can carry a formula.
TEXT_COLUMNS = frozenset(name for name, dtype in FINDINGS_SCHEMA.items() if dtype == pl.String)


def write_csv(result: AuditResult, path: Path) -> Path:
    table = plain_columns(result.findings.select(FINDINGS_COLUMNS).sort("finding_id")).with_columns(
        _defused(pl.col(name)).alias(name) for name in FINDINGS_COLUMNS if name in TEXT_COLUMNS)

    def write(temporary: Path) -> None:
        # An open file, not the path: polars cannot open a path whose folder name is not UTF-8.
        with open(temporary, "wb") as out:
            table.write_csv(out, include_bom=True, line_terminator="\r\n", quote_style="necessary", null_value="")

    return atomic_write(path, write)


def defuse_formula(text: str) -> str:
    """Prefix `'` to text a spreadsheet would run as a formula; other text is returned unchanged."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _defused(text: pl.Expr) -> pl.Expr:
    """`defuse_formula` for a whole column."""
    return pl.when(text.str.contains(_TRIGGERED)).then(pl.lit("'") + text).otherwise(text)


_TRIGGERED = "^[" + "".join(re.escape(trigger) for trigger in FORMULA_TRIGGERS) + "]"
