"""Helpers shared by the inbound detectors FBA04 (carrier lost / damaged) and FBA08 (inbound shortfall).

Private to those two detectors: receipts per shipment and the dates a shipment can be dated by. The inbound
reimbursements both net against come from the run's one allocator (`fba_audit.events.allocator`).
"""

from __future__ import annotations

import polars as pl

from fba_audit.detectors._base import evidence_agg
from fba_audit.reports.datasets import partnered_flag

# A partnered-carrier charge names the shipment: V1 `transaction-type` "Inbound Transportation Fee" (genuine
# Amazon.ca file), V2 `amount-description` "FBAInboundTransportationFee" or "AGSGlobalInboundTransportation", each
# with the FBA shipment id in `shipment-id` (docs/report-formats.md, "Settlement and transaction lines").
_PARTNERED_CHARGE = r"(?i)inbound\s*transportation"

# Amazon's default shipment name carries its creation time, "FBA STA (04/20/2026 10:14)-RDU2" (US),
# "FBA STA (21/12/2025 10:34)-..." (EU/UK), "FBA STA (2024/08/04 10:40)-TYO9" (JP), as seen in public SP-API
# integrations; renamed shipments have no date.
_NAME_DATE = r"\((\d{1,4})/(\d{1,2})/(\d{1,4})[ )]"
_MONTH_FIRST = {"US", "CA", "MX", "BR"}


def receipts(inventory_ledger: pl.DataFrame) -> pl.DataFrame:
    """Ledger (and legacy Received Inventory) `Receipts` rows; their Reference ID is the FBA shipment id."""
    return inventory_ledger.filter(
        (pl.col("event_type") == "Receipts") & pl.col("reference_id").is_not_null()
    ).with_columns(shipment_id=pl.col("reference_id"))


def receipt_dates(rcpts: pl.DataFrame) -> pl.DataFrame:
    """Per shipment: the first positive receipt (delivery, when the claim window starts counting) and the last
    one (when receiving ended)."""
    positive = rcpts.filter(pl.col("quantity") > 0)
    return positive.group_by("shipment_id").agg(
        first_receipt=pl.col("date").min(), last_receipt=pl.col("date").max()
    ).sort("shipment_id")


def partnered_charges(transactions: pl.DataFrame | None) -> pl.DataFrame:
    """Per shipment: the first Amazon-partnered-carrier charge (proof the carrier worked for Amazon, and a date on
    or before the shipment left the seller) with its evidence."""
    schema = {"shipment_id": pl.String, "charged_on": pl.Date, "charge_evidence": pl.String}
    if transactions is None or transactions.is_empty():
        return pl.DataFrame(schema=schema)
    charge = _names_partnered_charge(transactions, "amount_description") | _names_partnered_charge(
        transactions, "transaction_type")
    rows = transactions.filter(charge & pl.col("shipment_id").is_not_null())
    return rows.group_by("shipment_id").agg(
        charged_on=pl.col("posted_date").min(), charge_evidence=evidence_agg()
    ).sort("shipment_id").cast(schema)


def carriers(transactions: pl.DataFrame | None, inbound_transport: pl.DataFrame | None,
             inbound_shipments: pl.DataFrame | None) -> pl.DataFrame:
    """Per shipment, what shows who carried it: `partnered` (an Amazon-partnered-carrier charge in the settlement
    files, `IsPartnered` true in a getTransportDetails response, or your `is_partnered` column saying so), `own`
    (`IsPartnered` false, or your column saying no), `charged_on` (the first partnered-carrier charge) and
    `carrier_evidence` (the rows that show it, `file:line; ...`) and `carrier_shown_by` (what they say, in words)."""
    charges = partnered_charges(transactions).select(
        "shipment_id", "charged_on", flag=pl.lit(True), evidence="charge_evidence", said=pl.lit("a partnered-carrier "
                                                                                               "charge"))
    declared = [frame.filter(partnered_flag().is_not_null()).select(
        "shipment_id", charged_on=pl.lit(None, pl.Date), flag=partnered_flag(),
        evidence=pl.format("{}:{}", "source_file", "source_line"),
        said=pl.format("{} {} in {}", pl.lit(label), pl.col("is_partnered").cast(pl.String).str.to_lowercase(),
                       "source_file"))
        for frame, label in ((inbound_transport, "IsPartnered"), (inbound_shipments, "is_partnered"))
        if frame is not None and "is_partnered" in frame.columns]
    shown = pl.concat([charges, *declared], how="vertical_relaxed")
    return shown.group_by("shipment_id").agg(
        partnered=pl.col("flag").any(), own=(~pl.col("flag")).any(), charged_on=pl.col("charged_on").min(),
        carrier_evidence=pl.col("evidence").unique().sort().str.join("; "),
        carrier_shown_by=pl.col("said").unique().sort().str.join(", "),
    ).sort("shipment_id")


def _names_partnered_charge(transactions: pl.DataFrame, column: str) -> pl.Expr:
    # NOTE: the pattern is matched on the column's distinct values (a few dozen codes), not on its millions of rows.
    values = transactions.get_column(column).unique().drop_nulls()
    return pl.col(column).is_in(values.filter(values.cast(pl.String).str.contains(_PARTNERED_CHARGE)).implode())


def name_dates(inbound_shipments: pl.DataFrame, marketplace: str) -> pl.DataFrame:
    """Per shipment: the creation date printed in Amazon's default shipment name, when there is one."""
    parts = pl.col("shipment_name").str.extract_groups(_NAME_DATE)
    a, b, c = (parts.struct.field(f"{n}") for n in (1, 2, 3))
    if marketplace in _MONTH_FIRST:
        ymd = (c, a, b)
    else:
        ymd = (c, b, a)
    year_first = a.str.len_chars() == 4
    text = pl.when(year_first).then(pl.concat_str([a, b, c], separator="-")).otherwise(
        pl.concat_str(list(ymd), separator="-")
    )
    return inbound_shipments.select(
        "shipment_id", created_on=text.str.to_date("%Y-%m-%d", strict=False)
    ).filter(pl.col("created_on").is_not_null()).unique("shipment_id").sort("shipment_id")
