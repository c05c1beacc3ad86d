"""One `fba-audit run` with its claim ledger, in the order that keeps staff's work safe.

1. Before anything is written: open the ledger, read staff's entries from the claims.xlsx already in `--out`
   (and from `--claimed`), and copy that workbook to a dated backup when it holds entries.
2. While the detectors run, the new workbook's detector sheets show the ledger's cases plus those entries.
3. After the audit, in one transaction: the run, the entries, Amazon's payments, findings that went away.
4. Only then are the new outputs written.

A failure in step 3 (e.g. another run holds the ledger) stops the run before the workbook is replaced.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from fba_audit.ledger.staff import StaffProblem, StaffRow, read_workbook
from fba_audit.ledger.view import LedgerView, StaffEntry
from fba_audit.results import AuditResult

WORKBOOK_NAME = "claims.xlsx"  # the same fixed name fba_audit.writers writes


class LedgerRun:
    def __init__(self) -> None:
        self.ledger = None
        self.staff: dict[str, StaffEntry] = {}
        self.backup: Path | None = None
        self._sources: list[tuple[str, list[StaffRow]]] = []
        self._problems: list[StaffProblem] = []
        self._filed_ids: list[str] = []
        self._filed_source = "--claimed"
        self.out_dir: Path | None = None
        self._hashing: Future | None = None
        self._pool: ThreadPoolExecutor | None = None

    @property
    def enabled(self) -> bool:
        return self.ledger is not None

    @classmethod
    def start(cls, target: str | None, out_dir: Path, *, claimed: Path | None = None, disabled: bool = False,
              reports_dir: Path | None = None, known_hash: Callable[[Path], str | None] | None = None) -> LedgerRun:
        """Raises ValueError (LedgerError included) with a message for people. With `reports_dir`, the input files
        are hashed in a thread while the audit runs (but those `known_hash` knows: the parse cache's)."""
        run = cls()
        run.out_dir = Path(out_dir)
        if disabled:
            if claimed is not None:
                raise ValueError("--claimed records filed findings in the claim ledger; it cannot be used with "
                                 "--no-ledger.")
            return run
        from fba_audit.api import read_claimed
        from fba_audit.ledger.store import open_ledger

        run.ledger = open_ledger(target)
        try:
            workbook = Path(out_dir) / WORKBOOK_NAME
            if workbook.is_file():
                read = read_workbook(workbook)
                run._add(str(workbook), read)
                if read.rows or any(p.cell for p in read.problems):
                    run.backup = _backup(workbook)
            if claimed is not None:
                if claimed.suffix.lower() in (".xlsx", ".xlsm"):
                    read = read_workbook(claimed)
                    unreadable = [p for p in read.problems if p.cell is None]
                    if unreadable:
                        raise ValueError(f"--claimed {claimed}: {unreadable[0].message}")
                    run._add(str(claimed), read)
                else:
                    run._filed_ids = read_claimed(claimed)
                    run._filed_source = f"--claimed {claimed}"
            run.staff = run.ledger.staff_entries([row for _, rows in run._sources for row in rows])
            if reports_dir is not None:
                from fba_audit.ledger.store import file_hashes

                run._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fba-audit-hash")
                run._hashing = run._pool.submit(file_hashes, Path(reports_dir), known_hash)
        except BaseException:
            run.close()
            raise
        return run

    def _add(self, name: str, read) -> None:
        self._sources.append((name, read.rows))
        self._problems += read.problems

    def finish(self, result: AuditResult, reports_dir: Path) -> LedgerView | None:
        """Record the run (one transaction) and return what the outputs show; None without a ledger."""
        if self.ledger is None:
            return None
        from fba_audit.ledger.store import hash_inputs

        hashes = self._hashing.result() if self._hashing is not None else None
        if not result.parts:
            files = result.load.files if result.load is not None else []
            view = self.ledger.record_run(result, inputs=hash_inputs(reports_dir, files, hashes),
                                          out_dir=self.out_dir, staff=self._sources, filed_ids=self._filed_ids,
                                          filed_source=self._filed_source)
            view.import_problems = [*self._problems, *view.import_problems]
            return view
        # A folder of several marketplaces: one recorded run per marketplace (a ledger run, its payments and the
        # findings it closes are of one marketplace and currency), each with staff's entries on its own findings;
        # entries on findings of no marketplace audited go with the first, which reports them as it always did.
        codes = [part.marketplace for part in result.parts]

        def mine(finding_ids: tuple[str, ...] | list[str], index: int) -> bool:
            code = _marketplace_of(finding_ids[0]) if finding_ids else None
            return code == codes[index] or (index == 0 and code not in codes)

        views = []
        for index, part in enumerate(result.parts):
            files = part.load.files if part.load is not None else []
            staff = [(name, [row for row in rows if mine(row.finding_ids, index)]) for name, rows in self._sources]
            filed = [fid for fid in self._filed_ids if mine([fid], index)]
            part.ledger = self.ledger.record_run(part, inputs=hash_inputs(reports_dir, files, hashes),
                                                 out_dir=self.out_dir, staff=staff, filed_ids=filed,
                                                 filed_source=self._filed_source)
            views.append(part.ledger)
        view = LedgerView.together(views)
        view.import_problems = [*self._problems, *view.import_problems]
        return view

    @staticmethod
    def new_claimable(result: AuditResult) -> int:
        """Claimable findings not filed yet: what `--fail-on-findings` counts (a filed claim is not news)."""
        claimable = result.findings.filter(result.findings["status"] == "claimable")["finding_id"].to_list()
        filed = result.ledger.cases if result.ledger is not None else {}
        return sum(1 for fid in claimable if fid not in filed)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self.ledger is not None:
            self.ledger.close()

    def __enter__(self) -> LedgerRun:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _marketplace_of(finding_id: str) -> str | None:
    """A finding id is `CODE:MARKETPLACE:...` (`fba_audit.detectors._base.finding_id`)."""
    parts = finding_id.split(":")
    return parts[1] if len(parts) > 1 else None


def _backup(workbook: Path) -> Path:
    """Copy the workbook to `claims.backup-YYYYMMDD-HHMMSS.xlsx` beside it (UTC; never over an older backup)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    target = workbook.with_name(f"claims.backup-{stamp}.xlsx")
    number = 1
    while target.exists():
        number += 1
        target = workbook.with_name(f"claims.backup-{stamp}-{number}.xlsx")
    shutil.copy2(workbook, target)
    return target
