"""Up to which date a report vouches for what is not in it (fba_audit.reports.periods), and what FBA07 makes of it.

The sparse case (one January return, the ledger reaching May: the refund is judged claimable) is the detector case
FBA07/finds_sparse_returns_report_judged_to_the_folder_end. Here is its control: the same folder with a returns
report that really is cut short (a return a day, then nothing for 78 days), which is an input warning and keeps the
refund at `review`.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from fba_audit.context import AuditContext
from fba_audit.detectors import BY_CODE, columns_read
from fba_audit.reports import load_folder
from fba_audit.reports.model import FileSummary
from fba_audit.reports.periods import DOWNLOAD, FOLDER, LAST_ROW, dataset_period, folder_end

SPARSE = (Path(__file__).parent / "fixtures" / "detectors" / "FBA07"
          / "finds_sparse_returns_report_judged_to_the_folder_end" / "reports")
RETURNS_HEADER = ("return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\t"
                  "detailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n")


def _cut_short_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    shutil.copytree(SPARSE, folder)
    rows = [f"2026-02-{day:02d}T10:00:00+00:00\t113-20000{day:02d}-0000001\tGADGET-RED\tB0FIXTURE2\tX00FIXTUR2\t"
            f"Red Gadget\t1\tONT8\tSELLABLE\tUNWANTED_ITEM\tUnit returned to inventory\tLPNRDENSE{day:03d}\t\n"
            for day in range(10, 22)]
    (folder / "returns.txt").write_text(RETURNS_HEADER + "".join(rows), encoding="utf-8")
    return folder


def test_a_returns_report_cut_short_is_an_input_warning_and_keeps_the_refund_at_review(tmp_path: Path) -> None:
    load = load_folder(_cut_short_folder(tmp_path), columns=columns_read())
    assert [(p.file, p.line, p.severity, p.message, p.hint) for p in load.problems] == [(
        "returns.txt", None, "warning",
        "ends on 2026-02-21, 78 days before the other reports (they reach 2026-05-10 in ledger.txt); at its own pace "
        "(12 rows from 2026-02-10 to 2026-02-21) that long a silence is unlikely, so it looks downloaded for a shorter "
        "period: it is taken to cover up to its last row.",
        "Download the FBA customer returns again for the whole period, up to 2026-05-10 or the audit date.",
    )]
    judged = BY_CODE["FBA07"].judge(load, AuditContext(as_of=dt.date(2026, 5, 15)))
    finding = judged.findings.row(0, named=True)
    assert (finding["status"], finding["confidence"]) == ("review", "medium")
    assert finding["message"].endswith(
        "1 unit(s) never came back; returns.txt covers up to 2026-02-21 only (its last row: it ends 78 days before "
        "the other reports, which reach 2026-05-10 in ledger.txt, and looks downloaded for a shorter period): under "
        "30 days after the refund, so check for a late return.")
    assert judged.notes == (
        "Returns judged with the FBA customer returns report: returns.txt covers up to 2026-02-21 only (its last row: "
        "it ends 78 days before the other reports, which reach 2026-05-10 in ledger.txt, and looks downloaded for a "
        "shorter period).",)


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
