"""findings.json: the machine-readable result of a run, described field by field in docs/findings-json.md.

Values are exact: amounts are decimal strings ("12.50", never floats), dates ISO dates, missing values null.
Report text is kept as it was read (JSON escapes control characters), unlike the workbook and the CSV,
which protect spreadsheet users from it.
"""

from __future__ import annotations

import json
from pathlib import Path

from fba_audit.reports.model import FileSummary, Problem
from fba_audit.results import AuditResult, SkippedDetector
from fba_audit.writers._common import (
    GENERATED_BY,
    atomic_write,
    finding_records,
    input_files,
    input_problems,
    plain_value,
)


def write_json(result: AuditResult, path: Path) -> Path:
    document = run_document(result)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return atomic_write(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def run_document(result: AuditResult) -> dict[str, object]:
    """The JSON document as a dict; key order is part of the format, so it is spelled out here."""
    return {
        "as_of": result.as_of.isoformat(),
        "generated_by": GENERATED_BY,
        "marketplace": result.marketplace,
        "findings": finding_records(result.findings),
        "skipped": [_skipped_record(skipped) for skipped in result.skipped],
        "input_problems": [_problem_record(problem) for problem in input_problems(result)],
        "files": [_file_record(summary) for summary in input_files(result)],
    }


def _skipped_record(skipped: SkippedDetector) -> dict[str, object]:
    return {"code": skipped.code, "name": skipped.name, "reason": skipped.reason, "download": skipped.download}


def _problem_record(problem: Problem) -> dict[str, object]:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "value": problem.value,
        "message": problem.message,
        "hint": problem.hint,
        "severity": problem.severity,
    }


def _file_record(summary: FileSummary) -> dict[str, object]:
    # header_cells and problems are left out: problems are listed once, under "input_problems".
    return {
        "file": summary.file,
        "kind": summary.kind,
        "title": summary.title,
        "datasets": list(summary.datasets),
        "encoding": summary.encoding,
        "delimiter": summary.delimiter,
        "rows_read": summary.rows_read,
        "rows_kept": summary.rows_kept,
        "duplicates": summary.duplicates,
        "rows_rejected": summary.rows_rejected,
        "first_date": plain_value(summary.first_date),
        "last_date": plain_value(summary.last_date),
    }
