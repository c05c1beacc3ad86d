"""findings.json: the machine-readable result of a run, described field by field in docs/findings-json.md.

Values are exact: amounts are decimal strings ("12.50", never floats), dates ISO dates, missing values null.
Report text is kept as it was read (JSON escapes control characters), unlike the workbook and the CSV,
which protect spreadsheet users from it.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from fba_audit.context import MARKETPLACE_CURRENCY
from fba_audit.coverage import STATUS_RAN, Coverage
from fba_audit.findings import STATUSES
from fba_audit.ledger.view import CaseInfo, FollowUp, LedgerView
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
    ledger = result.ledger
    findings = finding_records(result.findings)
    for record in findings:
        fid = record["finding_id"]
        record["case"] = _case_record(ledger.cases.get(fid)) if ledger is not None else None
        record["first_seen"] = plain_value(ledger.first_seen.get(fid)) if ledger is not None else None
    return {
        "as_of": result.as_of.isoformat(),
        "generated_by": GENERATED_BY,
        "marketplace": result.marketplace,
        "marketplaces": [_marketplace_record(part) for part in result.by_marketplace()],
        "findings": findings,
        "follow_up": [_follow_up_record(item) for item in ledger.follow_up] if ledger is not None else [],
        # Money recovered is per marketplace and currency: a run over several gives it in each one's block only.
        "recovered": None if result.parts else _recovered_record(ledger),
        "skipped": [_skipped_record(skipped) for skipped in result.skipped],
        "coverage": [coverage_record(entry) for entry in result.coverage],
        "input_problems": [_problem_record(problem) for problem in input_problems(result)],
        "files": [_file_record(summary) for summary in input_files(result)],
    }


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


def _case_record(case: CaseInfo | None) -> dict[str, object] | None:
    if case is None:
        return None
    return {
        "case_id": case.case_id,
        "filed_on": plain_value(case.filed_on),
        "outcome": case.outcome,
        "claimed": plain_value(case.claimed),
        "reimbursed": plain_value(case.reimbursed),
        "reimbursed_on": plain_value(case.reimbursed_on),
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
