"""Helpers shared by the customer-return detectors (FBA07 refund-without-return, FBA09 return-damaged-by-amazon).

Refunds, order prices and reimbursements are all read by Amazon order id here; nothing in this module knows a
claim window or a status (those come from `to_findings`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from fba_audit.detectors._base import cents, evidence_agg, from_cents, with_evidence_of
from fba_audit.events.refunds import IS_FEE, IS_PRINCIPAL, PRINCIPAL
from fba_audit.netting import CLAIM_OUTPUT_SCHEMA, allocate_with_usage
from fba_audit.reports.datasets import in_currency

CENT = Decimal("0.01")


def money_div(num: Decimal | None, den: int | Decimal | None) -> Decimal | None:
    """Exact Decimal division rounded half-up to the cent (never float money)."""
    if num is None or den in (None, 0):
        return None
    return (Decimal(num) / Decimal(den)).quantize(CENT, rounding=ROUND_HALF_UP)


def refund_lines(transactions: pl.DataFrame, currency: str) -> pl.DataFrame:
    """The principal and fee lines of dated refunds, with `refund_date` (what `events.refunds.per_day` sums)."""
    return transactions.filter(
        in_currency(currency) & (pl.col("transaction_type") == "Refund") & pl.col("order_id").is_not_null()
        & pl.col("posted_date").is_not_null() & (IS_PRINCIPAL | IS_FEE)
    ).with_columns(refund_date=pl.col("posted_date"))


def with_refund_evidence(frame: pl.DataFrame, transactions: pl.DataFrame, currency: str) -> pl.DataFrame:
    """`frame` (order_id, sku, refund_date: rows of `events.refunds.per_day`) plus `refund_evidence`, the file:line of
    every line of the refund."""
    return with_evidence_of(frame, refund_lines(transactions, currency), ["order_id", "sku", "refund_date"],
                            "refund_evidence")


def _principal_lines(transactions: pl.DataFrame, currency: str) -> pl.DataFrame:
    return transactions.filter(
        in_currency(currency) & (pl.col("transaction_type") == "Order") & (pl.col("amount_type") == "ItemPrice")
        & pl.col("amount_description").is_in(list(PRINCIPAL)) & pl.col("order_id").is_not_null()
    )


def _priced_rows(orders: pl.DataFrame, currency: str) -> pl.DataFrame:
    return orders.filter((pl.col("quantity") > 0) & pl.col("item_price").is_not_null() & in_currency(currency))


# One order item = one order-item-code (Date Range lines have none: each line is its own item).
_ITEM = pl.coalesce("order_item_code", pl.format("{}:{}", "source_file", "source_line")).alias("_item")
_ORDER_SOURCE, _ALL_ORDERS_SOURCE = "the Order lines", "All Orders"


def _unit_prices(prices: pl.DataFrame) -> pl.Series:
    """`money_div(_principal, quantity_ordered)` per row (both positive here)."""
    principal, quantity = prices.schema["_principal"], prices.schema["quantity_ordered"]
    if isinstance(principal, pl.Decimal) and principal.scale <= 2 and quantity.is_integer():
        # In whole cents, half-up for a positive quotient is floor((2 x cents + q) / 2q): exact, no Python loop.
        principal_cents, q = cents("_principal"), pl.col("quantity_ordered")
        return prices.select(from_cents((2 * principal_cents + q) // (2 * q))).to_series()
    unit = [money_div(p, q) for p, q in zip(prices["_principal"].to_list(), prices["quantity_ordered"].to_list(),
                                             strict=True)]
    return pl.Series(unit, dtype=pl.Decimal(18, 2))


def order_prices(transactions: pl.DataFrame, orders: pl.DataFrame | None, currency: str,
                 only: pl.Series | None = None) -> pl.DataFrame:
    """Unit price per (order_id, sku): the Order's principal / quantity_purchased from the transactions, else
    All Orders item-price / quantity. Columns: unit_price, quantity_ordered, price_source (`with_price_evidence`
    adds the rows behind the price, for the few reported). `only` limits the work to these order ids (the refunded
    ones: a year of orders is millions of rows)."""
    t = _principal_lines(transactions, currency)
    if only is not None:
        wanted = only.unique().implode()
        t = t.filter(pl.col("order_id").is_in(wanted))
        if orders is not None:
            orders = orders.filter(pl.col("amazon_order_id").is_in(wanted))
    items = t.group_by("order_id", "sku", _ITEM, "posted_date").agg(
        pl.col("amount").sum().alias("_principal"),
        pl.col("quantity_purchased").max().alias("_qty"),
    )
    settled = items.group_by("order_id", "sku").agg(
        pl.col("_principal").sum().alias("_principal"),
        # An item without a quantity makes the price unknown (null propagates through the sum).
        pl.when(pl.col("_qty").is_null().any()).then(None).otherwise(pl.col("_qty").sum()).alias("quantity_ordered"),
    ).filter(pl.col("quantity_ordered") > 0).with_columns(price_source=pl.lit(_ORDER_SOURCE))
    parts = [settled]
    if orders is not None and not orders.is_empty():
        o = _priced_rows(orders, currency).group_by(pl.col("amazon_order_id").alias("order_id"), "sku").agg(
            pl.col("item_price").sum().alias("_principal"),
            pl.col("quantity").sum().alias("quantity_ordered"),
        ).with_columns(price_source=pl.lit(_ALL_ORDERS_SOURCE))
        parts.append(o.join(settled, on=["order_id", "sku"], how="anti"))
    prices = pl.concat(parts, how="diagonal_relaxed").filter(pl.col("_principal") > 0)
    return prices.with_columns(unit_price=_unit_prices(prices)).select(
        "order_id", "sku", "unit_price", pl.col("quantity_ordered").cast(pl.Int64), "price_source"
    ).sort("order_id", "sku")


def with_price_evidence(frame: pl.DataFrame, transactions: pl.DataFrame, orders: pl.DataFrame | None,
                        currency: str) -> pl.DataFrame:
    """`frame` (order_id, sku, price_source: from `order_prices`) plus `price_evidence`, the rows the price was
    read from (null without a price)."""
    keys = ["order_id", "sku"]
    lines = _principal_lines(transactions, currency).join(frame.select(keys).unique(), on=keys, how="semi",
                                                          nulls_equal=True)
    parts = [lines.group_by(*keys, _ITEM, "posted_date").agg(evidence_agg().alias("_ev")).group_by(keys).agg(
        pl.col("_ev").sort().str.join("; ").alias("price_evidence")
    ).with_columns(price_source=pl.lit(_ORDER_SOURCE))]
    if orders is not None and not orders.is_empty():
        rows = _priced_rows(orders, currency).rename({"amazon_order_id": "order_id"})
        parts.append(with_evidence_of(frame.select(keys).unique(), rows, keys, "price_evidence").with_columns(
            price_source=pl.lit(_ALL_ORDERS_SOURCE)))
    evidence = pl.concat(parts, how="diagonal_relaxed")
    return frame.join(evidence, on=[*keys, "price_source"], how="left", nulls_equal=True, maintain_order="left")


def fulfillment_channels(transactions: pl.DataFrame, orders: pl.DataFrame | None,
                         only: pl.Series | None = None) -> pl.DataFrame:
    """Per order id: `afn` (some line says fulfilled by Amazon) and `mfn` (some line says the seller shipped).
    `only` limits the work to these order ids."""
    if only is not None:
        wanted = only.drop_nulls().unique().implode()
        transactions = transactions.filter(pl.col("order_id").is_in(wanted))
        if orders is not None:
            orders = orders.filter(pl.col("amazon_order_id").is_in(wanted))
    parts = [transactions.select("order_id", pl.col("fulfillment_id").alias("_f"))]
    if orders is not None:
        parts.append(orders.select(
            pl.col("amazon_order_id").alias("order_id"),
            pl.col("fulfillment_channel").replace({"Amazon": "AFN", "Merchant": "MFN"}).alias("_f"),
        ))
    return pl.concat(parts).drop_nulls().group_by("order_id").agg(
        (pl.col("_f") == "AFN").any().alias("afn"), (pl.col("_f") == "MFN").any().alias("mfn")
    ).sort("order_id")


def net_by_order(
    claims: pl.DataFrame, events: pl.DataFrame, *, items: Sequence[str] = ("sku",), only_on_or_after_event: bool = False,
    spend: Callable[[pl.DataFrame], None] | None = None,
) -> pl.DataFrame:
    """`netting.allocate` keyed by order: an event naming an item (sku, then fnsku) that a claim of the same
    order has nets that item's claims; every other event of the order nets any claim of the order (oldest first).
    Each event is used in exactly one pass, so each unit is consumed once. `spend`, when given, is told what each
    pass used (`netting.USAGE_SCHEMA`): the audit's allocator, for reimbursements.

    Reimbursements and returns rarely carry a wrong SKU, but when they do, a strict (order, sku) match would leave
    a paid claim open: a false claim. The order-level pass prefers a missed claim to that.
    """
    if claims["claim_id"].is_duplicated().any():
        raise ValueError("net_by_order: claim_id must be unique per claim")
    events = events.with_columns(_used=pl.lit(False))
    claims = claims.sort("claim_id")
    # NOTE: the passes read only the keys, the date and the units of each claim: the claims' other columns (text,
    # lists) would be carried through every join of every pass. Claims go by their rank in claim_id order (`_id`),
    # an integer that sorts as claim_id does and is far cheaper to sort and join on than the text. `allocate`
    # answers sorted by it, as `claims` is, so the answers are put back by position.
    read = list(dict.fromkeys(["order_id", *items, "event_date", "quantity"]))
    open_ = claims.select(read).with_row_index("_id").with_columns(
        _got=pl.lit(0, pl.Int64), _by=pl.lit([], pl.List(pl.String)), _ev=pl.lit([], pl.List(pl.String)))
    netted_before = False
    for keys in [["order_id", item] for item in items] + [["order_id"]]:
        if len(keys) > 1:
            # Only events whose (order, item) some claim has; the rest wait for the next pass.
            known = claims.select(keys).drop_nulls().unique().with_columns(_hit=pl.lit(True))
            hit = events.join(known, on=keys, how="left", maintain_order="left")["_hit"].fill_null(False)
            mark = hit & ~events["_used"]
        else:
            mark = ~events["_used"]
        batch = events.filter(mark)
        events = events.with_columns(_used=events["_used"] | mark)
        if batch.is_empty():
            continue
        netted, used = allocate_with_usage(open_.with_columns(_want=pl.col("quantity") - pl.col("_got")), batch,
                                           keys=keys, claim_id="_id", quantity="_want",
                                           only_on_or_after_event=only_on_or_after_event)
        if spend is not None:
            spend(used)
        # (The first pass that nets anything starts the lists: concatenating lists costs a tenth of a second.)
        open_ = netted.with_columns(
            _got=pl.col("_got") + pl.col("units_reimbursed"),
            _by=pl.concat_list("_by", "reimbursed_by") if netted_before else pl.col("reimbursed_by"),
            _ev=pl.concat_list("_ev", "reimbursement_evidence") if netted_before else pl.col("reimbursement_evidence"),
        ).drop("_want", *CLAIM_OUTPUT_SCHEMA)
        netted_before = True
    return claims.with_columns(open_.select("_got", "_by", "_ev")).with_columns(
        units_reimbursed=pl.col("_got"), units_open=(pl.col("quantity").clip(lower_bound=0) - pl.col("_got")),
        reimbursed_by=pl.col("_by"), reimbursement_evidence=pl.col("_ev"),
    ).drop("_got", "_by", "_ev").sort("claim_id")
