"""Order principal per order and SKU, from the settlement / transaction lines (FBA03, FBA06).

Settlement V1 and V2 write the item price as `ItemPrice` / `Principal`; Date Range files as `ItemPrice` /
`ProductSales` (docs/report-formats.md, "Settlement and transaction lines";
fba_audit.reports.kinds.DATE_RANGE_AMOUNTS). `Promotion` /
`Principal` lines (discounts), `Shipping`, `Tax`, `Goodwill` and `RestockingFee` are not principal and are never
added in. Amounts keep Amazon's sign: an Order principal line is positive (credited to the seller), a Refund
principal line negative (debited). The refunds themselves are the run's refunds table (`fba_audit.events.refunds`).
"""

from __future__ import annotations

import polars as pl

from fba_audit.detectors._base import with_evidence_of
from fba_audit.events.refunds import PRINCIPAL
from fba_audit.reports.datasets import in_currency

MONEY = pl.Decimal(18, 2)


# The columns of the principal lines read here and by the refund detectors.
LINE_COLUMNS = ("source_file", "source_line", "transaction_type", "order_id", "adjustment_id", "sku", "amount",
                "quantity_purchased", "posted_date", "fulfillment_id", "source_format")


def principal_lines(transactions: pl.DataFrame, currency: str) -> pl.DataFrame:
    """Order and Refund item-price principal lines with an order id, in the audit's currency (`LINE_COLUMNS`)."""
    # NOTE: filtered lazily and narrowed before anything is copied: they are a third of a year's transactions.
    return transactions.lazy().filter(
        pl.col("transaction_type").is_in(["Order", "Refund"])
        & (pl.col("amount_type") == "ItemPrice")
        & pl.col("amount_description").is_in(list(PRINCIPAL))
        & pl.col("order_id").is_not_null()
        & in_currency(currency)
    ).select(LINE_COLUMNS).collect()


def charged_per_item(lines: pl.DataFrame) -> pl.DataFrame:
    """Per order and SKU: principal charged, units purchased, first order date and AFN/MFN (`with_order_evidence`
    adds the rows behind it, for the few items reported).

    Units come from `quantity_purchased` of the Order principal lines (the loader copies it onto every line of
    the order item, and there is one principal line per item)."""
    return (
        lines.filter(pl.col("transaction_type") == "Order")
        .group_by("order_id", "sku")
        .agg(
            pl.col("amount").sum().cast(MONEY).alias("charged"),
            # Null, not 0, when an order line names no quantity (a V2 file may leave it empty).
            pl.when(pl.col("quantity_purchased").is_not_null().all())
            .then(pl.col("quantity_purchased").sum()).alias("units_purchased"),
            pl.col("quantity_purchased").is_null().any().alias("units_unknown"),
            pl.col("posted_date").min().alias("order_date"),
            pl.col("fulfillment_id").drop_nulls().unique().sort().str.join("/").alias("order_fulfillment"),
        )
    )


def with_order_evidence(frame: pl.DataFrame, lines: pl.DataFrame, alias: str = "order_evidence") -> pl.DataFrame:
    """`frame` (order_id, sku) plus the Order principal `lines` behind `charged_per_item`, `file:line; ...`."""
    return with_evidence_of(frame, lines.filter(pl.col("transaction_type") == "Order"), ["order_id", "sku"], alias)
