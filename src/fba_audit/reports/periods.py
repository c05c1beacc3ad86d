"""Up to which date a report can vouch for what is *not* in it.

A customer returns report with no return after October 1 proves nothing about November if the seller downloaded it
on October 2, and everything if they downloaded it up to November 20 and no customer sent anything back since. Its
last row cannot tell the two apart; the period the seller downloaded can. So:

1. Where the download says its period, that is its coverage. Settlement flat files do (`settlement-start-date`,
   `settlement-end-date` on every row). The FBA customer returns report does not (its 13 columns carry no period),
   nor do the Inventory Ledger or the Date Range report (its preamble names what it includes and the currency, not
   the dates). See docs/reports.md and docs/report-formats.md.
2. Otherwise the folder says it: the seller downloaded the reports together, so a report that records daily
   activity (Inventory Ledger, settlement and Date Range files, All Orders) shows how far the downloads reach. A
   report without a period of its own is taken to cover up to the latest of those dates (`FOLDER`), and every
   finding that relies on it says so.
3. Unless the report clearly ends before the others: if it stops more than `MIN_GAP_DAYS` days before the folder's
   latest date, and at its own pace (its rows per day over its span) a silence that long would happen less than once
   in `1 / UNLIKELY` downloads (a Poisson gap: exp(-rate x gap) < UNLIKELY), it was most likely downloaded for a
   shorter period. A report of fewer than `MIN_ROWS` rows says too little about its pace to be judged
   so. Then it covers up to its last row only (`LAST_ROW`), and the folder check reports an input warning
   naming both dates. A sparse report (a few returns a month) is not flagged by a month of silence; a dense one is.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from fba_audit.reports.model import FileSummary, LoadResult, Problem

# Report kinds whose rows follow the account's daily activity: their latest date is how far the downloads reach.
DAILY_ACTIVITY_KINDS = ("ledger_detail", "settlement_v1", "settlement_v2", "date_range", "all_orders")
# Datasets whose coverage the detectors rely on to say that something did *not* happen.
# NOTE: the Reimbursements report is not judged by its pace: Amazon pays in bursts (batches of automatic
# reimbursements), so three quiet weeks after a busy month are ordinary (the simulated account has exactly that) and
# a warning would be noise. Netting covers the days it does not reach with settlement lines (fba_audit.netting).
JUDGED_DATASETS = ("customer_returns",)
MIN_GAP_DAYS = 7  # reports are updated daily; a week's lag is ordinary
UNLIKELY = 0.01
MIN_ROWS = 10

DOWNLOAD, FOLDER, LAST_ROW = "download", "folder", "last_row"


@dataclass(frozen=True)
class ReportPeriod:
    """The period a dataset's files cover: `until` is the last day it vouches for; `basis` says how that was told
    (`DOWNLOAD`, `FOLDER` or `LAST_ROW`) and `explanation` says it in words, for findings and coverage notes."""

    dataset: str
    last_row: dt.date | None
    until: dt.date | None
    basis: str
    explanation: str


def _file_end(summary: FileSummary) -> dt.date | None:
    return summary.period_end or summary.last_date


def folder_end(files: list[FileSummary]) -> tuple[dt.date, str] | None:
    """The latest date of the reports with daily activity, and the file that shows it (first by name on a tie)."""
    ends = [(_file_end(f), f.file) for f in files
            if f.kind in DAILY_ACTIVITY_KINDS and f.usable and _file_end(f) is not None]
    if not ends:
        return None
    latest = max(end for end, _ in ends)
    return latest, min(file for end, file in ends if end == latest)


def _cut_short(first: dt.date, last: dt.date, rows: int, end: dt.date) -> bool:
    gap = (end - last).days
    if gap <= MIN_GAP_DAYS or rows < MIN_ROWS:
        return False
    per_day = rows / ((last - first).days + 1)
    return math.exp(-per_day * gap) < UNLIKELY


def _dataset_files(files: list[FileSummary], dataset: str) -> list[FileSummary]:
    return [f for f in files if dataset in f.datasets and f.usable and f.last_date is not None]


def dataset_period(files: list[FileSummary], dataset: str) -> ReportPeriod | None:
    """How far the files of `dataset` reach (None when no file with dated rows fed it)."""
    own = _dataset_files(files, dataset)
    if not own:
        return None
    names = ", ".join(sorted(f.file for f in own))
    last = max(f.last_date for f in own)
    stated = [f.period_end for f in own if f.period_end is not None]
    if stated:
        until = max(stated)
        return ReportPeriod(dataset, last, until, DOWNLOAD, f"{names} covers up to {until} (the period it states)")
    first = min(f.first_date or f.last_date for f in own)
    rows = sum(f.rows_kept for f in own)
    reach = folder_end(files)
    if reach is None or reach[0] <= last:
        return ReportPeriod(dataset, last, last, LAST_ROW, f"{names} covers up to {last} (its last row; no other "
                                                            "report reaches further)")
    end, shown_by = reach
    if _cut_short(first, last, rows, end):
        return ReportPeriod(dataset, last, last, LAST_ROW,
                            f"{names} covers up to {last} only (its last row: it ends {(end - last).days} days before "
                            f"the other reports, which reach {end} in {shown_by}, and looks downloaded for a shorter "
                            "period)")
    return ReportPeriod(dataset, last, end, FOLDER,
                        f"{names} is taken to cover up to {end}, the latest date of the reports with daily activity "
                        f"({shown_by}); the report does not state its period, and its last row is {last}")


def report_periods(load: LoadResult) -> dict[str, ReportPeriod]:
    """The periods of the datasets detectors judge absences by (`JUDGED_DATASETS`)."""
    found = {d: dataset_period(load.files, d) for d in JUDGED_DATASETS}
    return {d: p for d, p in found.items() if p is not None}


def period_warnings(files: list[FileSummary]) -> list[tuple[FileSummary, Problem]]:
    """An input warning for each file of a `JUDGED_DATASETS` report that clearly ends before the other reports."""
    warnings = []
    reach = folder_end(files)
    if reach is None:
        return warnings
    end, shown_by = reach
    for dataset in JUDGED_DATASETS:
        for summary in _dataset_files(files, dataset):
            if summary.period_end is not None:
                continue
            first = summary.first_date or summary.last_date
            if not _cut_short(first, summary.last_date, summary.rows_kept, end):
                continue
            days = (end - summary.last_date).days
            warnings.append((summary, Problem(
                summary.file, None, None, None,
                f"ends on {summary.last_date}, {days} days before the other reports (they reach {end} in {shown_by}); "
                f"at its own pace ({summary.rows_kept} rows from {first} to {summary.last_date}) that long a silence "
                "is unlikely, so it looks downloaded for a shorter period: it is taken to cover up to its last row.",
                f"Download the {summary.title or 'report'} again for the whole period, up to {end} or the audit date.",
                severity="warning",
            )))
    return warnings
