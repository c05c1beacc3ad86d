"""The reimbursements table: every reimbursement Amazon paid in the audit's currency, each once, every reason.

Built once per audit by `fba_audit.netting.reimbursement_events` (the Reimbursements report first, settlement
lines where it is silent; the rules are in that module's docstring). Each detector that nets takes from it the
reasons it cares about, through the audit's one allocator (`fba_audit.events.allocator`), never its own copy.

Settlement lines name a SKU, not an FNSKU: the Inventory Ledger's unambiguous sku -> fnsku pairs give them one
when the ledger is loaded (the detectors that net by FNSKU, FBA02, FBA04 and FBA08, all read it).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandera.polars as pa
import polars as pl

from fba_audit.netting import EVENT_SCHEMA, reimbursement_events
from fba_audit.reports.datasets import Money


class ReimbursementEvents(pa.DataFrameModel):
    """One row per reimbursement (a report row, or a settlement line the report does not show)."""

    event_ref: str = pa.Field(description="Reimbursement id, or `settlement <id> line <n>` for a settlement line.")
    source: str = pa.Field(isin=["reimbursements", "transactions"], description="The dataset it was read from.")
    reason: str = pa.Field(nullable=True, description="Report reason (a reversal: the original's type).")
    code: str = pa.Field(description="The raw reason or settlement code.")
    date: pl.Date = pa.Field(nullable=True, description="Approval date (report) or posted date (settlement).")
    order_id: str = pa.Field(nullable=True)
    sku: pl.Categorical = pa.Field(nullable=True)
    fnsku: pl.Categorical = pa.Field(nullable=True)
    units: pl.Int64 = pa.Field(description="Signed: a negative row takes units back.")
    units_assumed: bool = pa.Field(description="A settlement line without a quantity, counted as one unit.")
    original_reimbursement_id: str = pa.Field(nullable=True)
    amount: Money = pa.Field(nullable=True)
    currency: str = pa.Field(nullable=True)
    evidence: str = pa.Field(description="file:line of the row.")

    class Config:
        strict = True


def build(datasets: Mapping[str, pl.DataFrame | None], currency: str) -> pl.DataFrame:
    table = reimbursement_events(datasets.get("reimbursements"), datasets.get("transactions"), currency=currency,
                                 sku_map=datasets.get("inventory_ledger"))
    return ReimbursementEvents.validate(table.select(list(EVENT_SCHEMA)))
