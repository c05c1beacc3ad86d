"""Regenerate the bundled `sample_reports/` folder from the simulator (a small account with known truth).

    python scripts/make_sample_reports.py

20 SKUs, the 14 weeks before the audit date 2026-11-22, seed 20261122. The folder holds what a US seller
downloads (Windows-1252 Reimbursements and Fee Preview, a tab and a quoted-CSV Inventory Ledger download that
overlap, settlement flat files V1 and V2 with one zipped, two Date Range transaction reports of days the flat files
already hold, All Orders, the Inbound API JSON, products.csv) and
`truth.json`, every planted claim and trap (the loader recognises it and leaves it out).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from fba_audit.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "sample_reports"
AS_OF = dt.date(2026, 11, 22)


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    summary = simulate(OUT, skus=20, months=3, seed=20261122, as_of=AS_OF)
    print(f"wrote {len(summary.files)} files ({summary.bytes_written:,} bytes) to {OUT.relative_to(ROOT)}/, "
          f"{summary.start} to {summary.end}, as of {summary.as_of}")
    print("planted claims:", dict(sorted(summary.claims.items())))
    print("planted traps: ", dict(sorted(summary.traps.items())))


if __name__ == "__main__":
    main()
