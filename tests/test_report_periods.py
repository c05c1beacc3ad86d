"""Up to which date a report vouches for what is not in it (fba_audit.reports.periods).

What FBA07 makes of it is in its detector cases: finds_sparse_returns_report_judged_to_the_folder_end (one
January return, the ledger reaching May: the February refund is claimable) and its control
finds_returns_report_cut_short_review (a return a day, then nothing for 78 days: an input warning, in its
problems.txt, and the refund stays `review`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fba_audit.detectors import columns_read
from fba_audit.reports import load_folder
from fba_audit.reports.model import FileSummary
from fba_audit.reports.periods import DOWNLOAD, FOLDER, LAST_ROW, dataset_period, folder_end

SPARSE = (Path(__file__).parent / "fixtures" / "detectors" / "FBA07"
          / "finds_sparse_returns_report_judged_to_the_folder_end" / "reports")


def test_a_sparse_report_is_taken_to_cover_up_to_the_folder_end() -> None:
    load = load_folder(SPARSE, columns=columns_read())
    assert load.problems == []
    period = dataset_period(load.files, "customer_returns")
    assert (period.last_row, period.until, period.basis) == (dt.date(2026, 1, 15), dt.date(2026, 5, 10), FOLDER)


def _file(name: str, kind: str, datasets: tuple[str, ...], first: str, last: str, rows: int = 1,
          period_end: str | None = None) -> FileSummary:
    return FileSummary(file=name, kind=kind, datasets=datasets, rows_kept=rows, rows_read=rows,
                       first_date=dt.date.fromisoformat(first), last_date=dt.date.fromisoformat(last),
                       period_end=dt.date.fromisoformat(period_end) if period_end else None)


def test_a_settlement_states_its_period_and_that_is_how_far_it_reaches() -> None:
    settlement = _file("s.txt", "settlement_v2", ("transactions", "settlements"), "2026-03-02", "2026-03-10",
                       period_end="2026-03-13")
    returns = _file("r.txt", "customer_returns", ("customer_returns",), "2026-03-01", "2026-03-03")
    assert folder_end([settlement, returns]) == (dt.date(2026, 3, 13), "s.txt")
    stated = dataset_period([settlement, returns], "transactions")
    assert (stated.until, stated.basis, stated.explanation) == (
        dt.date(2026, 3, 13), DOWNLOAD, "s.txt covers up to 2026-03-13 (the period it states)")
    # A report of daily activity that ends first does not pull the folder's end back; nothing reaches past the
    # returns report here, so it covers up to its own last row.
    alone = dataset_period([returns], "customer_returns")
    assert (alone.until, alone.basis) == (dt.date(2026, 3, 3), LAST_ROW)


def test_the_loader_reads_the_period_a_settlement_states() -> None:
    load = load_folder(SPARSE, columns=columns_read())
    settlement = next(f for f in load.files if f.file == "settlement.txt")
    assert (settlement.period_start, settlement.period_end) == (dt.date(2026, 2, 6), dt.date(2026, 2, 20))
