"""The findings frame every detector returns, and the writers read.

The field names are a contract: staff sheets, JSON consumers and CI jobs depend on them.
"""

from __future__ import annotations

from typing import Annotated

import pandera.polars as pa
import polars as pl

STATUSES = ("claimable", "review", "waiting", "expired")
CONFIDENCES = ("high", "medium", "low")
VALUATION_BASES = ("cost_file", "past_reimbursements", "order_refund", "fee_difference", "none")


class Findings(pa.DataFrameModel):
    finding_id: str = pa.Field(
        unique=True,
        description="Readable id built from business keys, stable across runs and versions, "
        "e.g. `FBA02:US:X00ABC123:21180001001`.",
    )
    code: str = pa.Field(str_matches=r"^FBA\d{2}$", description="Detector code.")
    status: str = pa.Field(
        isin=list(STATUSES),
        description="`claimable`: evidence complete and window open on the audit date; `review`: a person must "
        "judge first; `waiting`: the window has not opened yet; `expired`: the window has closed.",
    )
    marketplace: str = pa.Field(description="Marketplace code, e.g. `US`.")
    currency: str = pa.Field(nullable=True, description="ISO 4217 currency of `amount`.")
    sku: str = pa.Field(nullable=True, description="Seller SKU.")
    title: str = pa.Field(
        nullable=True,
        description="The product's title as the reports give it for the SKU (Fee Preview, All Orders, Inventory "
        "Ledger, returns or reimbursements `product-name`/`Title`); report text, never a formula. Filled by the run "
        "after the detectors (`fba_audit.api.run_detectors`), empty when no report names the SKU.",
    )
    fnsku: str = pa.Field(nullable=True, description="Amazon's fulfillment network SKU.")
    asin: str = pa.Field(nullable=True, description="ASIN.")
    order_id: str = pa.Field(nullable=True, description="Amazon order id, for customer-side claims.")
    shipment_id: str = pa.Field(nullable=True, description="FBA inbound shipment id, for inbound claims.")
    reference_id: str = pa.Field(
        nullable=True, description="The id Seller Central's case form asks for (adjustment, order or shipment id)."
    )
    quantity: pl.Int64 = pa.Field(ge=0, description="Units owed.")
    amount: Annotated[pl.Decimal, 18, 2] = pa.Field(
        nullable=True, ge=0, description="Estimated amount owed; empty when there is no basis to value it."
    )
    valuation_basis: str = pa.Field(
        isin=list(VALUATION_BASES),
        description="How `amount` was valued: `cost_file` (products.csv unit cost), `past_reimbursements` "
        "(average Amazon paid per unit for the FNSKU), `order_refund`, `fee_difference`, or `none`.",
    )
    event_date: pl.Date = pa.Field(description="The date the claim window counts from.")
    window_opens: pl.Date = pa.Field(nullable=True, description="First day a claim may be filed.")
    window_closes: pl.Date = pa.Field(nullable=True, description="Last day a claim may be filed.")
    confidence: str = pa.Field(
        isin=list(CONFIDENCES),
        description="`high`: ids match exactly; `medium`: inferred match; `low`: needs a person's look.",
    )
    message: str = pa.Field(description="One sentence with the numbers.")
    evidence: str = pa.Field(
        description="The report rows behind the finding, `file:line` separated by `; `."
    )
    case_text: str = pa.Field(description="Ready-to-paste English text for the Seller Central case.")

    class Config:
        strict = True
        coerce = True


FINDINGS_COLUMNS: tuple[str, ...] = tuple(Findings.to_schema().columns)
FINDINGS_SCHEMA: dict[str, pl.DataType] = {
    name: col.dtype.type for name, col in Findings.to_schema().columns.items()
}
# What the run adds to every detector's findings from the whole load, once, instead of each detector looking it
# up: a detector leaves these empty, and its test cases' goldens (tests/fixtures/detectors) do not hold them.
FILLED_BY_RUN: tuple[str, ...] = ("title",)
DETECTOR_COLUMNS: tuple[str, ...] = tuple(c for c in FINDINGS_COLUMNS if c not in FILLED_BY_RUN)
DETECTOR_SCHEMA: dict[str, pl.DataType] = {c: FINDINGS_SCHEMA[c] for c in DETECTOR_COLUMNS}


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDINGS_SCHEMA)
