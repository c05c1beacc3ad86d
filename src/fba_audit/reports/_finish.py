"""Per report kind: turn the typed columns of one file into rows of the datasets detectors read."""

from __future__ import annotations

import re

import polars as pl

from fba_audit.reports.datasets import MONEY
from fba_audit.reports.kinds import DATE_RANGE_AMOUNTS, V1_AMOUNT_COLUMNS, ReportKind

SOURCE = ["source_file", "source_line"]

# Settlement V1 writes reimbursements as their own transaction types, with the money in other-amount;
# V2 writes the same codes as amount-description under amount-type "FBA Inventory Reimbursement"
# (docs/report-formats.md, "Settlement and transaction lines").
REIMBURSEMENT_CODES = frozenset({
    "WAREHOUSE_LOST", "WAREHOUSE_LOST_MANUAL", "WAREHOUSE_DAMAGE", "WAREHOUSE_DAMAGE_EXCEPTION",
    "REVERSAL_REIMBURSEMENT", "MISSING_FROM_INBOUND", "MISSING_FROM_INBOUND_CLAWBACK", "REMOVAL_ORDER_LOST",
    "FREE_REPLACEMENT_REFUND_ITEMS", "CS_ERROR_ITEMS", "CS_ERROR_NON_ITEMIZED", "INCORRECT_FEES_ITEMS",
    "INCORRECT_FEES_NON_ITEMIZED", "COMPENSATED_CLAWBACK", "RE_EVALUATION", "INBOUND_CARRIER_DAMAGE",
    "MULTICHANNEL_ORDER_LOST", "PAYMENT_RETRACTION_ITEMS", "CUSTOMER_DAMAGE",
})

# Date Range `description` of reimbursement adjustments -> the settlement code for the same thing
# (docs/report-formats.md, "Reimbursements in settlement and transaction files"; `Customer Return` ->
# REVERSAL_REIMBURSEMENT is an inference).
DATE_RANGE_REIMBURSEMENTS = {
    "lost:warehouse": "WAREHOUSE_LOST",
    "damaged:warehouse": "WAREHOUSE_DAMAGE",
    "lost:inbound": "MISSING_FROM_INBOUND",
    "damaged:inbound": "INBOUND_CARRIER_DAMAGE",
    "customer return": "REVERSAL_REIMBURSEMENT",
    "customer service issue": "CS_ERROR_ITEMS",
    "fee correction": "INCORRECT_FEES_ITEMS",
    "general adjustment": "RE_EVALUATION",
}

# Localized Date Range `type` values (docs/report-formats.md, "Date Range transaction files").
LOCALIZED_TYPES = {
    "Bestellung": "Order", "Erstattung": "Refund", "Übertrag": "Transfer", "Servicegebühr": "Service Fee",
    "Anpassung": "Adjustment", "Commande": "Order", "Remboursement": "Refund", "Transfert": "Transfer",
    "Frais de service": "Service Fee", "Ajustement": "Adjustment", "Ordine": "Order", "Rimborso": "Refund",
    "Pedido": "Order", "Reembolso": "Refund", "注文": "Order", "返金": "Refund", "調整": "Adjustment",
    # Amazon.co.jp monthly transaction reports of 2026 (docs/report-formats.md, Date Range transaction files): 振込み
    # is the transfer to the seller's bank. Its other types (注文外料金, Amazon手数料, FBA手数料, 配送サービス) are kept
    # as Amazon writes them: no detector reads them.
    "振込み": "Transfer",
}

MARKETPLACE_CURRENCIES = {
    "amazon.com": "USD", "amazon.ca": "CAD", "amazon.com.mx": "MXN", "amazon.co.uk": "GBP", "amazon.de": "EUR",
    "amazon.fr": "EUR", "amazon.it": "EUR", "amazon.es": "EUR", "amazon.nl": "EUR", "amazon.co.jp": "JPY",
    "amazon.in": "INR", "amazon.com.au": "AUD", "amazon.com.br": "BRL", "amazon.se": "SEK", "amazon.pl": "PLN",
}



def finish(kind: ReportKind, frame: pl.DataFrame, preamble: list[str]) -> dict[str, pl.DataFrame]:
    """The dataset rows of one file (typed columns in, dataset columns out; schemas are applied later)."""
    if kind.key in ("ledger_detail", "inventory_adjustments", "received_inventory"):
        extra = {"source_report": pl.lit(kind.key)}
        if kind.key == "inventory_adjustments":
            extra["event_type"] = pl.lit("Adjustments")
        if kind.key == "received_inventory":
            extra["event_type"] = pl.lit("Receipts")
        return {"inventory_ledger": frame.with_columns(**extra)}
    if kind.key in ("settlement_v1", "settlement_v2"):
        return _settlement(kind, frame)
    if kind.key == "date_range":
        return {"transactions": _date_range(frame, preamble)}
    if kind.key == "inbound_shipment_items":
        out = {"inbound_shipment_items": frame}
        if "shipment_status" in frame.columns and frame["shipment_status"].is_not_null().any():
            out["inbound_shipments"] = (
                frame.filter(pl.col("shipment_id").is_not_null())
                .sort("source_line")
                .unique("shipment_id", keep="first", maintain_order=True)
            )
        return out
    (dataset,) = kind.datasets
    return {dataset: frame}


def _is_summary() -> pl.Expr:
    return pl.col("transaction_type").is_null() & pl.col("total_amount").is_not_null()


def _settlement(kind: ReportKind, frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    fmt = kind.key
    summary = frame.filter(_is_summary()).with_columns(source_format=pl.lit(fmt))
    # One lazy plan for the (large) lines, so the filters below cost one pass instead of a copy each.
    lines = frame.lazy().filter(~_is_summary() & pl.col("transaction_type").is_not_null())
    # A settlement file holds one settlement: its currency is on the summary row only.
    currencies = summary["currency"].drop_nulls().unique()
    if len(currencies) == 1:
        lines = lines.with_columns(currency=pl.col("currency").fill_null(pl.lit(currencies[0])))
    if fmt == "settlement_v1":
        lines = _v1_long(lines).sort("source_line", maintain_order=True)  # `_v1_long` groups the lines by amount
    else:
        lines = lines.filter(pl.col("amount").is_not_null() | pl.col("quantity_purchased").is_not_null())
    lines = lines.with_columns(quantity_purchased=_run_quantity(), source_format=pl.lit(fmt)).filter(
        pl.col("amount").is_not_null()).collect()
    item = pl.col("order_item_code").is_not_null()
    if lines.select((item & pl.col("quantity_purchased").is_null()).any()).item():
        # A line whose run has no quantity (its lines apart from the rest of the item's, or no quantity at all)
        # takes the largest of its item's.
        lines = lines.with_columns(quantity_purchased=pl.when(item).then(
            pl.col("quantity_purchased").fill_null(pl.col("quantity_purchased").max().over(_ITEM_LINES))
        ).otherwise("quantity_purchased"))
    return {"transactions": lines, "settlements": summary}


# The lines of one order item in one settlement event: an Order of one posted date, or one refund (adjustment).
_ITEM_LINES = ["order_item_code", "transaction_type", "adjustment_id", "posted_date"]


def _run_quantity() -> pl.Expr:
    """The quantity-purchased of the run of lines each line is in (its own for a line without an order-item-code).

    V1 and V2 write quantity-purchased once per run of an order item's lines (V1 on a row of its own before the
    amounts, V2 on the Principal line), and one item can hold several runs: two shipments, or a genuine V1 file's
    quantity rows 1 then 2 under one shipment and time (docs/reports.md, "Order items in several shipments").
    Every line gets the quantity of its own run, in file order, never the largest of the item's: summed over the
    runs, the units then match the fees, which are also written per run. A run is the consecutive lines of one
    item in one event (`_ITEM_LINES`), filled forward from its quantity line, and backward for lines before it.
    NOTE: filled over the whole column with the runs' edges as stops, not per group of `_ITEM_LINES`: several
    times cheaper (docs/performance.md), and the lines of a run are consecutive in Amazon's files.
    """
    quantity = pl.col("quantity_purchased")
    keys = [pl.col(name) for name in _ITEM_LINES]
    starts = pl.any_horizontal([key.ne_missing(key.shift(1)) for key in keys])
    ends = pl.any_horizontal([key.ne_missing(key.shift(-1)) for key in keys])
    # _STOP marks the edge of a run, where a fill must not cross (a refund line's quantity may be negative).
    forward = pl.when(quantity.is_not_null()).then(quantity).when(starts).then(_STOP).forward_fill()
    backward = pl.when(quantity.is_not_null()).then(quantity).when(ends).then(_STOP).backward_fill()
    run = pl.when(forward != _STOP).then(forward).when(backward != _STOP).then(backward)
    return pl.when(pl.col("order_item_code").is_null()).then(quantity).otherwise(run)


_STOP = -(2**62)



def _v1_long(lines: pl.LazyFrame) -> pl.LazyFrame:
    """One V1 row can hold more than one amount (price and promotion, say): one output line per amount."""
    parts = []
    columns = lines.collect_schema().names()
    reimbursement = pl.col("transaction_type").is_in(list(REIMBURSEMENT_CODES))
    for amount_column, label_column, amount_type in V1_AMOUNT_COLUMNS:
        if amount_column not in columns:
            continue
        if amount_column == "other_amount":
            kind_expr = pl.when(reimbursement).then(pl.lit("FBA Inventory Reimbursement")).otherwise(
                pl.lit(amount_type)
            )
            label = pl.col("transaction_type")
        else:
            kind_expr = pl.lit(amount_type)
            label = pl.col(label_column) if label_column and label_column in columns else pl.lit(
                "MiscFee" if amount_column == "misc_fee_amount" else None, dtype=pl.String
            )
        parts.append(
            lines.filter(pl.col(amount_column).is_not_null()).with_columns(
                amount_type=kind_expr, amount_description=label, amount=pl.col(amount_column)
            )
        )
    # Lines with no amount carry the order item's quantity-purchased only.
    amount_columns = [c for c, _, _ in V1_AMOUNT_COLUMNS if c in columns]
    quantity_only = lines.filter(pl.all_horizontal(pl.col(amount_columns).is_null())).with_columns(
        amount_type=pl.lit(None, pl.String), amount_description=pl.lit(None, pl.String),
        amount=pl.lit(None, MONEY),
    )
    return pl.concat(parts + [quantity_only], how="diagonal_relaxed")


def _date_range(frame: pl.DataFrame, preamble: list[str]) -> pl.DataFrame:
    currency = _preamble_currency(preamble)
    frame = frame.with_columns(
        transaction_type=pl.col("transaction_type").replace(LOCALIZED_TYPES),
        fulfillment_id=pl.when(pl.col("fulfillment_id").str.to_lowercase().str.contains("amazon"))
        .then(pl.lit("AFN"))
        .when(pl.col("fulfillment_id").is_not_null())
        .then(pl.lit("MFN"))
        .otherwise(None),
        currency=pl.lit(currency, pl.String) if currency else pl.col("marketplace_name")
        .str.to_lowercase()
        .replace_strict(MARKETPLACE_CURRENCIES, default=None, return_dtype=pl.String),
    )
    described = pl.col("description").str.to_lowercase()
    reimbursement_code = pl.coalesce(
        [
            pl.when(described.str.contains(f"reimbursement - {re.escape(text)}", literal=False)).then(pl.lit(code))
            for text, code in DATE_RANGE_REIMBURSEMENTS.items()
        ]
    )
    amount_columns = [c for c, _, _ in DATE_RANGE_AMOUNTS if c in frame.columns]
    # Each line keeps the row's other columns and its one amount: copying the row's seventeen amount columns into
    # every line took most of the time of this step.
    rows = frame.lazy().select(pl.exclude(*amount_columns, "total"))
    parts = []
    for amount_column, amount_type, description in DATE_RANGE_AMOUNTS:
        if amount_column not in amount_columns:
            continue
        amount = frame.lazy().select(pl.col(amount_column))
        part = pl.concat([rows, amount], how="horizontal").filter(
            pl.col(amount_column).is_not_null() & (pl.col(amount_column) != 0))
        if amount_column == "other":
            part = part.with_columns(
                amount_type=pl.when(reimbursement_code.is_not_null())
                .then(pl.lit("FBA Inventory Reimbursement"))
                .otherwise(pl.lit(amount_type)),
                amount_description=pl.coalesce(reimbursement_code, pl.col("description"), pl.lit(description)),
            )
        else:
            part = part.with_columns(amount_type=pl.lit(amount_type), amount_description=pl.lit(description))
        parts.append(part.rename({amount_column: "amount"}))
    # Transfers and some adjustments carry only a total: keep it as one line so no money goes missing.
    only_total = frame.lazy().filter(
        ~pl.any_horizontal([pl.col(c).is_not_null() & (pl.col(c) != 0) for c in amount_columns])
        if amount_columns else pl.lit(True)
    ).filter(pl.col("total").is_not_null() & (pl.col("total") != 0)).select(pl.exclude(amount_columns))
    parts.append(only_total.with_columns(
        amount_type=pl.when(reimbursement_code.is_not_null()).then(pl.lit("FBA Inventory Reimbursement"))
        .otherwise(pl.lit("other-transaction")),
        amount_description=pl.coalesce(reimbursement_code, pl.col("description"), pl.lit("Total")),
    ).rename({"total": "amount"}))
    long = pl.concat(parts, how="diagonal_relaxed").collect()
    return long.with_columns(source_format=pl.lit("date_range"))


def _preamble_currency(preamble: list[str]) -> str | None:
    for line in preamble:
        match = re.search(r"All amounts in ([A-Z]{3})", line)
        if match:
            return match.group(1)
        # Amazon.co.jp: "指定のない場合、単位は円" (unless stated, amounts are in yen), the second preamble line of the
        # monthly transaction report (docs/report-formats.md, Date Range transaction files). Lines such as
        # Amazon手数料 leave the marketplace empty.
        if "単位は円" in line:
            return "JPY"
    return None
