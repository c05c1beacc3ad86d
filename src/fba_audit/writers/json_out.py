"""findings.json: the machine-readable result of a run, described field by field in docs/findings-json.md.

Values are exact: amounts are decimal strings ("12.50", never floats), dates ISO dates, missing values null.
Report text is kept as it was read (JSON escapes control characters), unlike the workbook and the CSV,
which protect spreadsheet users from it.

The findings, nearly all of the file on a big account, are written by polars, one finding a line (the ledger's
case and first-seen date joined on first); the rest of the document, a few hundred small objects, by `json`.
Building a Python dict per finding took most of a second at 25,000 findings.
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import polars as pl

from fba_audit.context import MARKETPLACE_CURRENCY
from fba_audit.coverage import STATUS_RAN, Coverage
from fba_audit.findings import FINDINGS_COLUMNS, STATUSES
from fba_audit.ledger.view import FollowUp, LedgerView
from fba_audit.reports.model import FileSummary, Problem
from fba_audit.results import AuditResult, SkippedDetector
from fba_audit.writers._common import (
    GENERATED_BY,
    atomic_write,
    input_files,
    input_problems,
    plain_columns,
    plain_value,
)


def write_json(result: AuditResult, path: Path) -> Path:
    # The findings array is put in place of a marker no report text can produce (a fresh random id).
    marker = f"fba-audit-findings-{uuid.uuid4().hex}"
    document = run_document(result, findings=marker)
    text = json.dumps(document, ensure_ascii=False, indent=2).replace(f'"{marker}"', findings_array(result), 1)
    return atomic_write(path, lambda temporary: temporary.write_text(text + "\n", encoding="utf-8"))


def run_document(result: AuditResult, *, findings: object = None) -> dict[str, object]:
    """The JSON document as a dict; key order is part of the format, so it is spelled out here.

    `findings` stands in for the findings array; without it, the array is parsed from `findings_array`."""
    ledger = result.ledger
    return {
        "as_of": result.as_of.isoformat(),
        "generated_by": GENERATED_BY,
        "marketplace": result.marketplace,
        "marketplaces": [_marketplace_record(part) for part in result.by_marketplace()],
        "findings": findings if findings is not None else json.loads(findings_array(result)),
        "follow_up": [_follow_up_record(item) for item in ledger.follow_up] if ledger is not None else [],
        # Money recovered is per marketplace and currency: a run over several gives it in each one's block only.
        "recovered": None if result.parts else _recovered_record(ledger),
        "skipped": [_skipped_record(skipped) for skipped in result.skipped],
        "coverage": [coverage_record(entry) for entry in result.coverage],
        "input_problems": [_problem_record(problem) for problem in input_problems(result)],
        "files": [_file_record(summary) for summary in input_files(result)],
    }


# The ledger's case of a finding, as the `case` object (fields in this order).
CASE_SCHEMA = {"case_id": pl.String, "filed_on": pl.Date, "outcome": pl.String, "claimed": pl.Decimal(18, 2),
               "reimbursed": pl.Decimal(18, 2), "reimbursed_on": pl.Date}


def findings_array(result: AuditResult) -> str:
    """The `findings` array as JSON text: sorted by finding_id, every field, then `case` and `first_seen`."""
    ledger = result.ledger
    findings = plain_columns(result.findings.select(FINDINGS_COLUMNS).sort("finding_id"))
    cases = pl.DataFrame(
        [(fid, *(getattr(case, name) for name in CASE_SCHEMA)) for fid, case in (ledger.cases.items() if ledger
                                                                                 else ())],
        schema={"finding_id": pl.String, **CASE_SCHEMA}, orient="row")
    first_seen = pl.DataFrame(list(ledger.first_seen.items()) if ledger else [],
                              schema={"finding_id": pl.String, "first_seen": pl.Date}, orient="row")
    table = (
        findings.join(plain_columns(cases).select("finding_id", case=pl.struct(*CASE_SCHEMA)), on="finding_id",
                      how="left", maintain_order="left")
        .join(plain_columns(first_seen), on="finding_id", how="left", maintain_order="left")
        .select(*FINDINGS_COLUMNS, "case", "first_seen")
    )
    if table.is_empty():
        return "[]"
    lines = io.BytesIO()
    table.write_ndjson(lines)
    # One finding a line: JSON escapes line breaks inside strings, so every line is a whole object.
    return "[\n" + ",\n".join(lines.getvalue().decode("utf-8").splitlines()) + "\n]"


def _marketplace_record(part: AuditResult) -> dict[str, object]:
    """One marketplace audited: its findings counted per status with their value per currency (never added across
    currencies), what it recovered, and its detectors' coverage."""
    findings = part.findings
    by_status: dict[str, object] = {}
    for status in STATUSES:
        these = findings.filter(pl.col("status") == status)
        valued = these.filter(pl.col("amount").is_not_null()).group_by("currency").agg(pl.col("amount").sum()).sort(
            "currency", nulls_last=True)
        by_status[status] = {"findings": these.height, "units": int(these["quantity"].sum() or 0),
                             "value": {currency or "": plain_value(amount) for currency, amount in valued.iter_rows()}}
    return {
        "marketplace": part.marketplace,
        "currency": MARKETPLACE_CURRENCY.get(part.marketplace),
        "findings": findings.height,
        "by_status": by_status,
        "recovered": _recovered_record(part.ledger),
        "skipped": [_skipped_record(skipped) for skipped in part.skipped],
        "coverage": [coverage_record(entry) for entry in part.coverage],
    }


def _follow_up_record(item: FollowUp) -> dict[str, object]:
    return {
        "kind": item.kind,
        "case_id": item.case_id,
        "code": item.code,
        "finding_ids": list(item.finding_ids),
        "filed_on": plain_value(item.filed_on),
        "claimed": plain_value(item.claimed),
        "reimbursed": plain_value(item.reimbursed),
        "outstanding": plain_value(item.outstanding),
        "act_by": plain_value(item.act_by),
        "action": item.action,
    }


def _recovered_record(ledger: LedgerView | None) -> dict[str, object] | None:
    if ledger is None:
        return None
    return {
        "this_month": plain_value(ledger.recovered_this_month),
        "this_year": plain_value(ledger.recovered_this_year),
        "currency": ledger.currency,
    }


def _skipped_record(skipped: SkippedDetector) -> dict[str, object]:
    return {"code": skipped.code, "name": skipped.name, "reason": skipped.reason, "download": skipped.download}


def coverage_record(coverage: Coverage) -> dict[str, object]:
    """One detector's coverage: what it judged, and every item it could not judge, grouped by reason."""
    return {
        "code": coverage.code,
        "name": coverage.name,
        "status": coverage.status,
        "item": coverage.item,
        "judged": coverage.judged,
        "findings": coverage.findings,
        "not_checked": coverage.not_checked_count if coverage.status == STATUS_RAN else None,
        "reasons": [{"reason": r.reason, "count": r.count, "items": list(r.items)} for r in coverage.not_checked],
        "notes": list(coverage.notes),
        "download": coverage.download,
    }


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
