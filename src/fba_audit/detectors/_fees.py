"""Helpers shared by the two fee detectors (FBA01 fee-size-tier, FBA10 referral-fee-rate).

Both compare a fee Amazon charged per order item with the fee a rate card gives for that item on the charge date,
and both report one finding per SKU and rate-card period, split into the charges still inside the claim window and
those already past it. Which fee line and which price lines each reads is named here (`FEES`, `PRICES`), so that
one pass over the order lines serves both (`_item_totals`); which expected fee stays in the detector modules.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

import polars as pl

from fba_audit import ratecards as rc
from fba_audit.context import AuditContext
from fba_audit.detectors._base import cents, from_cents
from fba_audit.netting import FeeCorrectionShare, allocate_fee_corrections, reimbursement_events
from fba_audit.policy import window_for
from fba_audit.reports.datasets import in_currency

DATE_RANGE = "date_range"
# Fee corrections Amazon already paid (Reimbursements reason; settlement codes: docs/report-formats.md).
FEE_CORRECTIONS = {"FeeCorrection", "Fee_Correction", "INCORRECT_FEES_ITEMS", "INCORRECT_FEES_NON_ITEMIZED"}


def _kind_is(kind: str) -> pl.Expr:
    """Whether a line's `amount_type/amount_description` is `kind` (nulls read as empty)."""
    typ, slash, desc = kind.partition("/")
    if not slash or "/" in desc:  # the split is ambiguous: compare the whole text
        return pl.format("{}/{}", pl.col("amount_type").fill_null(""),
                         pl.col("amount_description").fill_null("")) == kind
    return (pl.col("amount_type").fill_null("") == typ) & (pl.col("amount_description").fill_null("") == desc)


ITEM_KEYS = ["order_id", "sku", "item"]

# The fee each fee detector checks: source family ("settlement" or "date_range") -> amount_description of the line.
FEES: dict[str, dict[str, str]] = {
    "fulfillment": {"settlement": "FBAPerUnitFulfillmentFee", "date_range": "FBAFees"},  # FBA01
    "referral": {"settlement": "Commission", "date_range": "SellingFees"},  # FBA10
}
# The prices they read: column -> the amount_type/amount_description pairs (as "type/description") summed into it.
PRICES: dict[str, tuple[str, ...]] = {
    "principal": ("ItemPrice/Principal", "ItemPrice/ProductSales"),  # FBA01: the item price, for the price band
    # FBA10: the total sales price (item, shipping, gift wrap) and the promotions that lowered it
    "gross": ("ItemPrice/Principal", "ItemPrice/Shipping", "ItemPrice/GiftWrap",
              "ItemPrice/ProductSales", "ItemPrice/ShippingCredits", "ItemPrice/GiftWrapCredits"),
    "promo": ("Promotion/Principal", "Promotion/Shipping", "Promotion/PromotionalRebates"),
    # FBA10 outside the US: the taxes on those (VAT, consumption tax), which the referral base includes there
    # (`fba_audit.referral.prices_include_tax`); in deemed-supplier sales the Principal line is without VAT and the
    # VAT is its own Tax line (withheld again by `ItemWithheldTax` lines, which leave the price as it is).
    "tax": ("ItemPrice/Tax", "ItemPrice/ShippingTax", "ItemPrice/GiftWrapTax",
            "ItemPrice/ProductSalesTax", "ItemPrice/ShippingCreditsTax", "ItemPrice/GiftWrapCreditsTax"),
    "promo_tax": ("Promotion/TaxDiscount", "Promotion/PromotionalRebatesTax"),
}
# The tax prices are summed only where the referral base includes them: the US pass is not made longer for them.
TAX_PRICES = ("tax", "promo_tax")


def _prices(ctx: AuditContext) -> list[str]:
    """The `PRICES` the shared pass over the order lines sums for this marketplace."""
    return [name for name in PRICES if name not in TAX_PRICES or rc.prices_include_tax(ctx.marketplace)]


def _fee_line(fee: str) -> pl.Expr:
    date_range = pl.col("source_format") == DATE_RANGE
    return pl.any_horizontal([
        (date_range if family == "date_range" else ~date_range.fill_null(False))
        & (pl.col("amount_description") == desc) for family, desc in FEES[fee].items()
    ]).fill_null(False)


def _price_line(name: str) -> pl.Expr:
    return pl.any_horizontal([_kind_is(k) for k in PRICES[name]])


def _order_lines(transactions: pl.DataFrame, ctx: AuditContext) -> pl.LazyFrame:
    """The Order lines the fee detectors read (see `order_items`)."""
    return transactions.lazy().filter(
        (pl.col("transaction_type") == "Order")
        & in_currency(ctx.currency)
        & (pl.col("fulfillment_id").is_null() | (pl.col("fulfillment_id") == "AFN"))
        & pl.col("order_id").is_not_null() & pl.col("sku").is_not_null()
        & pl.col("posted_date").is_not_null() & (pl.col("posted_date") <= ctx.as_of)
    )


def _with_lines(orders: pl.LazyFrame, fees: list[str], prices: list[str]) -> pl.LazyFrame:
    """The lines of `orders` that are one of `fees` or `prices` (flag columns `_fee_<fee>`, `_<price>`), with
    `item`."""
    return orders.with_columns(
        **{f"_fee_{fee}": _fee_line(fee) for fee in fees}, **{f"_{name}": _price_line(name) for name in prices},
    ).filter(pl.any_horizontal(*(f"_fee_{fee}" for fee in fees), *(f"_{name}" for name in prices))).with_columns(
        # NOTE: a Date Range row is one order item (several amount lines, one source line); settlement lines of
        # one item share the order-item-code.
        item=pl.when(pl.col("source_format") == DATE_RANGE).then(pl.format("{}:{}", "source_file", "source_line"))
        .otherwise(pl.col("order_item_code").fill_null("")),
    )


_PARTS = 2  # the order lines are grouped in this many parts (see `_item_totals`)

# (id of the transactions frame, currency, audit date, marketplace) -> (the frame, weakly; its totals; fees not yet
# served).
_TOTALS: dict[tuple, tuple[weakref.ref, pl.DataFrame, set[str]]] = {}


def _item_totals(transactions: pl.DataFrame, ctx: AuditContext, fee: str) -> pl.DataFrame:
    """Per order item with a line of any of `FEES` or `PRICES`: for each fee `<fee>_posted` (first), `<fee>_format`
    (min), `<fee>_units`, `<fee>_charged` (total, sign turned), and one total per price.

    Units are summed over the item's shipments like its fees (docs/reports.md, "Order items in several
    shipments"): each line carries the quantity of its own shipment (the loader), so the units are the sum over the
    item's Principal lines, one per shipment; or over its lines of the fee, when those say more (a shipment whose
    Principal line is missing). Either sum can only count a unit too many, never one too few, so a per-unit fee is
    never overstated: a Commission written once for all the shipments still divides by all their units.

    NOTE: grouping millions of Order lines by item is most of the work of a fee detector, and both need the same
    groups, so one pass computes the columns of both and keeps them until each fee has been asked for once (the
    frame is immutable; the entry also goes when the frame does). A group only one detector needs has no line of
    the other's fee: its charged total is 0 and `order_items` drops it, as a pass of its own would never form it.
    """
    key = (id(transactions), ctx.currency, ctx.as_of, ctx.marketplace)
    entry = _TOTALS.get(key)
    if entry is None or entry[0]() is not transactions:
        # NOTE: the amounts are masked before grouping: plain sums and minimums over millions of small groups are
        # far faster than filters inside the aggregation. They are summed as whole cents: the masked columns hold
        # every order line, and an Int64 takes half the memory of a Decimal.
        in_cents = cents("amount")
        columns = {"_principal_units": pl.when("_principal").then("quantity_purchased")}
        aggs = {}
        for name in FEES:
            on_fee = pl.col(f"_fee_{name}")
            columns |= {f"_{name}_posted": pl.when(on_fee).then("posted_date"),
                        f"_{name}_format": pl.when(on_fee).then("source_format"),
                        f"_{name}_units": pl.when(on_fee).then("quantity_purchased"),
                        f"_{name}_charged": pl.when(on_fee).then(in_cents)}
            aggs |= {f"{name}_posted": pl.col(f"_{name}_posted").min(),
                     f"{name}_format": pl.col(f"_{name}_format").min(),
                     f"{name}_units": pl.max_horizontal(pl.col("_principal_units").sum(),
                                                        pl.col(f"_{name}_units").sum()),
                     # Net of any credit line of the same fee on the order (a fee discount is not an overcharge).
                     f"{name}_charged": from_cents(-pl.col(f"_{name}_charged").sum())}
        for name in _prices(ctx):
            columns[f"_{name}_amount"] = pl.when(f"_{name}").then(in_cents)
            aggs[name] = from_cents(pl.col(f"_{name}_amount").sum())
        # NOTE: grouped in parts of the order ids (an item's lines are all in one part): the grouping of millions of
        # lines on three text keys holds about 60 bytes a line while it runs, half of that this way. (Measured at
        # 15,000 SKUs: 4 parts 0.63-0.71 s and +285 MB, 2 parts 0.46-0.47 s and +330 MB, 1 part 0.5 s and +430 MB;
        # with 2 the fee pair stays below the peak of the load at 5,000 to 50,000 SKUs.)
        lines = _order_lines(transactions, ctx)
        part = pl.col("order_id").hash(seed=0xFBA) % _PARTS
        totals = pl.concat([
            _with_lines(lines.filter(part == n), list(FEES), _prices(ctx)).with_columns(**columns)
            .group_by(ITEM_KEYS).agg(**aggs).collect()
            for n in range(_PARTS)
        ])
        entry = (weakref.ref(transactions, lambda _: _TOTALS.pop(key, None)), totals, set(FEES))
        _TOTALS[key] = entry
    entry[2].discard(fee)
    if not entry[2]:
        _TOTALS.pop(key, None)
    return entry[1]


# `item` of an order item whose lines were tied by order id and SKU (`_tie_by_order`): never an order-item-code
# (digits) nor a Date Range `file:line`.
BY_ORDER = "order+sku"
# Why an order item charged a fee was not judged (the `unjudged` frame of `OrderItems`).
NOT_TIED = "fee lines not tied to a quantity: no quantity-purchased on the order item, nor on its order and SKU"
UNJUDGED_SCHEMA: dict[str, pl.DataType] = {
    "order_id": pl.String, "sku": pl.String, "posted_date": pl.Date, "charged": pl.Decimal(18, 2),
    "reason": pl.String,
}


def _tie_by_order(items: pl.DataFrame, prices: list[str]) -> pl.DataFrame:
    """`items` where an item charged the fee has no units (its fee lines carry no quantity and no order-item-code ties
    them to one): every item of its order and SKU merged into one (`item` BY_ORDER), units, fees and prices summed
    alike; a unit of the order and SKU that paid no such fee can only lower the per-unit fee (the safe side)."""
    loose = items.filter((pl.col("charged") != 0) & (pl.col("units").fill_null(0) <= 0)).select(
        "order_id", "sku").unique()
    if loose.is_empty():
        return items
    merged = items.join(loose, on=["order_id", "sku"], how="semi").group_by("order_id", "sku").agg(
        item=pl.lit(BY_ORDER), posted_date=pl.col("posted_date").min(), source_format=pl.col("source_format").min(),
        units=pl.col("units").sum(), charged=pl.col("charged").sum(), **{name: pl.col(name).sum() for name in prices},
    )
    return pl.concat([items.join(loose, on=["order_id", "sku"], how="anti"), merged.select(items.columns)],
                     how="vertical_relaxed")


class OrderItems:
    """The order items charged a fee (`frame`); `with_evidence` adds the report lines read for some of them, so
    that the evidence text is built only for the items that are flagged. `unjudged`: the items charged the fee
    that could not be judged, with the reason (`UNJUDGED_SCHEMA`), for the run's "not checked" coverage."""

    def __init__(self, transactions: pl.DataFrame, ctx: AuditContext, fee: str, price: tuple[str, ...]) -> None:
        self._fee, self._prices = fee, list(price)
        self._orders = _order_lines(transactions, ctx)
        items = _tie_by_order(_item_totals(transactions, ctx, fee).select(
            *ITEM_KEYS, posted_date=f"{fee}_posted", source_format=f"{fee}_format", units=f"{fee}_units",
            charged=f"{fee}_charged", **{name: name for name in price},
        ), self._prices)
        # NOTE: a line without a quantity cannot give a per-unit fee; assuming 1 unit could invent an overcharge.
        counted = pl.col("units").fill_null(0) > 0
        self.frame = items.filter((pl.col("charged") > 0) & counted)
        self._tied = items.filter(pl.col("item") == BY_ORDER).select("order_id", "sku", _tied=pl.lit(True))
        self.unjudged = items.filter((pl.col("charged") > 0) & ~counted).select(
            pl.col("order_id").cast(pl.String), pl.col("sku").cast(pl.String), "posted_date", "charged",
            reason=pl.lit(NOT_TIED),
        ).cast(UNJUDGED_SCHEMA).sort("sku", "order_id")

    def _lines(self, orders: pl.LazyFrame) -> pl.LazyFrame:
        """The fee lines and the price lines of `orders` (the evidence too, not the other amounts), with `item`
        (BY_ORDER for the lines of an order and SKU `_tie_by_order` merged)."""
        lines = _with_lines(orders, [self._fee], self._prices)
        if not self._tied.is_empty():
            lines = lines.join(self._tied.lazy(), on=["order_id", "sku"], how="left").with_columns(
                item=pl.when(pl.col("_tied")).then(pl.lit(BY_ORDER)).otherwise("item")).drop("_tied")
        return lines

    def with_evidence(self, items: pl.DataFrame) -> pl.DataFrame:
        """`items` (rows of `frame`) with `evidence`: the fee and price lines read, `file:line; ...`."""
        # NOTE: a filter on the order ids first (far cheaper than a join over millions of lines); the join on the
        # item keys below keeps exactly the items'.
        orders = self._orders.filter(pl.col("order_id").is_in(items["order_id"].unique().implode()))
        evidence = self._lines(orders).join(items.lazy().select(ITEM_KEYS), on=ITEM_KEYS, how="semi").group_by(
            ITEM_KEYS,
        ).agg(
            evidence=pl.format("{}:{}", "source_file", "source_line")
            .sort_by("source_file", "source_line").unique(maintain_order=True).str.join("; "),
        ).collect()
        return items.join(evidence, on=ITEM_KEYS, how="left")


def order_items(transactions: pl.DataFrame, ctx: AuditContext, fee: str, price: tuple[str, ...]) -> OrderItems:
    """`frame`: one row per order item charged the fee: order_id, sku, item (key), posted_date, source_format,
    units, charged (total, positive), one Decimal column per `price` entry (totals); unsorted, without evidence
    (see `OrderItems.with_evidence`).

    fee: a key of `FEES`, the fee line. price: keys of `PRICES`, the price columns.
    Only AFN (or unmarked) Order lines in the marketplace currency posted on or before the audit date count: a re-run
    dated last month must give last month's answer.
    """
    return OrderItems(transactions, ctx, fee, price)


def over_limit(items: pl.DataFrame, kind: str, amounts: list[str], ctx: AuditContext, profiles: pl.DataFrame,
               limit: Callable[[tuple, dt.date, list[Decimal | None], int], Decimal | str | None],
               not_judged: list[pl.DataFrame] | None = None) -> pl.DataFrame:
    """The order items (rows of `items`) charged per unit at least `limit(profile, on, amounts, units)`: the
    expected fee plus the tolerance, per unit, for the `amounts` columns of the item (totals over `units`), or None
    (no expected fee: the item is dropped), or a text saying why there is no expected fee: with `not_judged`, the
    items of those answers are appended to it as one frame (their `items` columns plus `reason`), so that what
    could not be judged is counted, never dropped silently.

    `profiles` holds one row per SKU: `sku` and everything about the SKU the expected fee depends on (its
    measurements, its category), in columns; the profile is the tuple of those values (all None for a SKU without
    a row). `limit` is asked once per distinct profile, amounts per unit and fee regime, not once per item: the rate
    cards give the same answer for every day of a regime (`ratecards._regime_start`, of `kind`), so `on` is the
    regime's first day. When every amount divides exactly by the units, it is passed per unit with units 1 (39.98
    for 2 units and 19.99 for 1 are one price); otherwise as the totals and units of the item.

    The limit is floored to the ten-thousandth and lowered by one more, so no rounding can drop an item: the few
    items kept are compared again, one by one, by the detector, which decides.
    """
    dates = items.select(pl.col("posted_date").unique())
    regimes = dates.with_columns(regime=pl.Series(
        [rc._regime_start(kind, ctx.marketplace, on) for on in dates["posted_date"]], dtype=pl.Date))
    # NOTE: the SKUs are numbered by distinct profile in polars and the Python loop below runs once per profile,
    # never once per SKU (50,000 SKUs took 0.6 s of Python that way; thousands share a category or a size).
    # (Matched as text at the SKU level: the items' own SKU column, Categorical in an audit, is joined as it is.)
    skus = items.select(pl.col("sku").unique()).with_columns(_text=pl.col("sku").cast(pl.String))
    columns = [c for c in profiles.columns if c != "sku"]
    known = skus.join(profiles.rename({"sku": "_text"}).with_columns(pl.col("_text").cast(pl.String)), on="_text",
                      how="left")
    distinct = known.select(columns).unique().with_row_index("_profile").with_columns(pl.col("_profile").cast(pl.Int64))
    sku_profiles = known.join(distinct, on=columns, how="left", nulls_equal=True).select("sku", "_profile")
    numbered = list(distinct.select(columns).iter_rows())
    units = pl.col("units")
    in_cents = {name: cents(name) for name in amounts}
    exact = pl.all_horizontal([(c % units == 0).fill_null(True) for c in in_cents.values()])
    # NOTE: only the columns the limit reads, and the row of the item: the items kept are picked out by row at the
    # end, so no text of the million items not kept is ever copied.
    keyed = items.lazy().select(
        "sku", "posted_date", "units", "charged", *amounts, _row=pl.int_range(pl.len(), dtype=pl.Int64),
    ).join(regimes.lazy(), on="posted_date", how="left").join(
        sku_profiles.lazy(), on="sku", how="left", nulls_equal=True,
    ).with_columns(
        _units=pl.when(exact).then(pl.lit(1, pl.Int64)).otherwise(units),
        **{f"_{name}": pl.when(exact).then(c // units).otherwise(c) for name, c in in_cents.items()},
    )
    key = ["_profile", "regime", *(f"_{name}" for name in amounts), "_units"]
    keys = keyed.select(key).unique().collect()
    rows, unjudged = [], []
    for number, on, *values, n in keys.iter_rows():
        per_unit = limit(numbered[number], on, [None if v is None else Decimal(v).scaleb(-2) for v in values], n)
        if isinstance(per_unit, str):
            unjudged.append((number, on, *values, n, per_unit))
        elif per_unit is not None:
            rows.append((number, on, *values, n, int((per_unit * 10_000).to_integral_value(ROUND_FLOOR)) - 1))
    table = pl.DataFrame(rows, schema={**keys.schema, "_limit": pl.Int64}, orient="row")
    if not_judged is not None and unjudged:
        reasons = pl.DataFrame(unjudged, schema={**keys.schema, "reason": pl.String}, orient="row")
        left = keyed.join(reasons.lazy(), on=key, how="inner", nulls_equal=True).select("_row", "reason").collect()
        not_judged.append(items.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64)).join(
            left, on="_row", how="inner").drop("_row"))
    # `charged` in ten-thousandths against the limit for all units of the item.
    kept = keyed.join(table.lazy(), on=key, how="inner", nulls_equal=True).filter(
        (pl.col("charged") * 10_000).cast(pl.Int64) >= pl.col("_limit") * units
    ).select("_row").collect()
    return items.filter(pl.int_range(pl.len(), dtype=pl.Int64).is_in(kept["_row"].implode()))


def sku_rows(frame: pl.DataFrame | None, columns: tuple[str, ...]) -> pl.DataFrame:
    """One row per SKU (its `columns` that `frame` has), `sku` as text. A SKU listed twice (two stores, two
    currencies) is ambiguous: neither row is used."""
    if frame is None:
        return pl.DataFrame(schema={"sku": pl.String})
    return frame.filter(pl.col("sku").is_unique()).select(c for c in columns if c in frame.columns).with_columns(
        pl.col("sku").cast(pl.String))


def one_per_sku(frame: pl.DataFrame | None, skus: pl.Series | None = None) -> dict[str, dict]:
    """sku -> row of a `sku_rows` frame, for `skus` only when given (the few SKUs flagged)."""
    if frame is None or frame.is_empty():
        return {}
    if skus is not None:
        frame = frame.filter(pl.col("sku").is_in(skus.cast(pl.String).unique().implode()))
    return {row["sku"]: row for row in frame.sort("sku").iter_rows(named=True)}


def fee_corrections(reimbursements: pl.DataFrame | None, transactions: pl.DataFrame,
                    ctx: AuditContext) -> pl.DataFrame:
    """Fee corrections Amazon already paid (sku, order_id, date, amount, evidence, event_ref), each counted once
    (the Reimbursements report first, settlement lines where it is silent: `netting.reimbursement_events`)."""
    events = reimbursement_events(reimbursements, transactions, reasons=FEE_CORRECTIONS, currency=ctx.currency)
    return events.filter(pl.col("date") <= ctx.as_of).select(
        pl.col("sku").cast(pl.String), "order_id", "date", "amount", "evidence", "event_ref")


# name -> (the frames it was computed from, weakly; the audit context; the value): `remembered`.
_REMEMBERED: dict[str, tuple[tuple, AuditContext, object]] = {}


def remembered(name: str, frames: tuple[pl.DataFrame | None, ...], ctx: AuditContext, compute: Callable[[], object]):
    """`compute()`, or its value from the last call with the same name, frames (the same objects) and context.

    NOTE: FBA10's fee corrections are spread after FBA01's (`netting.allocate_fee_corrections`), so FBA10 needs
    FBA01's overcharges; run back to back on the same frames (`detectors.RUN_TOGETHER`) FBA10 reuses them instead of
    judging every fulfillment fee again. One value per name; it goes with the frames."""
    hit = _REMEMBERED.get(name)
    if hit is not None and hit[1] == ctx and len(hit[0]) == len(frames) and all(
            (ref is None and frame is None) or (ref is not None and ref() is frame) for ref, frame in zip(hit[0], frames)):
        return hit[2]
    value = compute()

    def forget(_: object) -> None:  # when one of the frames goes, unless a later call replaced the entry
        if _REMEMBERED.get(name, (None,))[0] is refs:
            del _REMEMBERED[name]

    refs = tuple(None if frame is None else weakref.ref(frame, forget) for frame in frames)
    _REMEMBERED[name] = (refs, ctx, value)
    return value


def correction_shares(fee: str, charges: list[dict], corrections: pl.DataFrame,
                      earlier: Callable[[], list[dict]] | None = None) -> list[list[FeeCorrectionShare]]:
    """Per charge of `fee` (in order), the shares of the fee corrections it got (`netting.allocate_fee_corrections`:
    one allocation over both fee checks, fulfillment fees first). `earlier`: the charges of the fee checks that
    come before `fee` in `FEE_CORRECTION_ORDER`, computed only when a correction could pay for one of `charges`."""
    if not charges or corrections.is_empty():
        return [[] for _ in charges]
    before = []
    if earlier is not None and corrections.filter(
        pl.col("order_id").is_in([c["order_id"] for c in charges])
        | pl.col("sku").is_in([str(c["sku"]) for c in charges])
        | (pl.col("order_id").is_null() & pl.col("sku").is_null())
    ).height:
        before = [c | {"sku": str(c["sku"])} for c in earlier()]
    own = [c | {"fee": fee, "sku": str(c["sku"])} for c in charges]
    return allocate_fee_corrections(before + own, corrections)[len(before):]


def is_expired(code: str, ctx: AuditContext, charge_date: dt.date) -> bool:
    """Whether the claim window of a charge made on `charge_date` has closed on the audit date."""
    window = window_for(code, ctx.marketplace, ctx.as_of)
    return window is not None and window.closes_on(charge_date) < ctx.as_of


def tolerance(expected: Decimal, *, floor: str, share: str) -> Decimal:
    """max(floor, share x base), the amount a charge may exceed the expected fee before it is flagged."""
    return max(Decimal(floor), expected * Decimal(share))


def money(value: Decimal | None) -> str:
    return "-" if value is None else str(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


def span(values: list[Decimal]) -> str:
    """`4.05` or `4.05-4.20`: per-unit figures that may differ between charges (price band, surcharge)."""
    low, high = min(values), max(values)
    return money(low) if low == high else f"{money(low)}-{money(high)}"


def _line_key(ref: str) -> tuple[str, int]:
    file, _, line = ref.rpartition(":")
    return file, int(line) if line.isdigit() else 0


def join_refs(*groups: object) -> str:
    """`file:line; file:line` from strings of that form (or lists of them), each once, by file then line number."""
    refs: set[str] = set()
    for group in groups:
        for text in group if isinstance(group, list | tuple | set) else [group]:
            refs.update(r.strip() for r in str(text or "").split(";") if r.strip())
    return "; ".join(sorted(refs, key=_line_key))


# The columns both fee detectors hand to `to_findings`, one row per charge group.
FINDING_ROW_SCHEMA: dict[str, pl.DataType] = {
    "finding_id": pl.String, "sku": pl.String, "fnsku": pl.String, "asin": pl.String, "reference_id": pl.String,
    "event_date": pl.Date, "quantity": pl.Int64, "amount": pl.Decimal(18, 2), "valuation_basis": pl.String,
    "needs_review": pl.Boolean, "confidence": pl.String, "message": pl.String, "evidence": pl.String,
    "case_text": pl.String,
}


def group_charges(code: str, ctx: AuditContext, charges: list[dict],
                  shares: list[list[FeeCorrectionShare]]) -> list[dict]:
    """Flagged charges -> one group per SKU, rate-card table, charge month and window state (open or expired).

    NOTE: grouping by calendar month keeps finding ids stable from run to run (`FBA01:US:SKU-1:<table>:2026-03`):
    a month's charges do not change once it is over, so an id the seller filed is never reused for other
    charges (Amazon accepts one request per fee charge). Charges of the month that have aged past the window
    form their own group, with `:expired` after the month.

    Each charge dict has order_id, sku, posted_date, units, overcharge (Decimal, whole item), table_id, reasons
    (set of review reasons) and evidence; `shares[i]` are the fee corrections charge i got (`correction_shares`).
    A group adds event_date (its earliest charge: the claim window counts from it), last_date, quantity, gross,
    amount (gross less the corrections that paid its charges), reasons, corrections, evidence. A correction that
    paid part of a group makes it `review`; one that names nothing and could have paid it too, without being
    subtracted. A group its corrections paid in full is settled: no finding.
    """
    buckets: dict[tuple, list[tuple[dict, list[FeeCorrectionShare]]]] = {}
    for charge, got in zip(charges, shares, strict=True):
        month = charge["posted_date"].strftime("%Y-%m")
        key = (charge["sku"], charge["table_id"], month, is_expired(code, ctx, charge["posted_date"]))
        buckets.setdefault(key, []).append((charge, got))
    groups = []
    for (sku, table_id, month, expired), pairs in sorted(buckets.items()):
        pairs.sort(key=lambda p: (p[0]["posted_date"], p[0]["order_id"]))
        rows = [charge for charge, _ in pairs]
        gross = sum((r["overcharge"] for r in rows), Decimal(0)).quantize(Decimal("0.01"))
        found = _by_correction([share for _, got in pairs for share in got])
        paid = sum((c["amount"] for c in found if c["attributed"]), Decimal(0))
        reasons = set().union(*(r["reasons"] for r in rows))
        if paid:
            reasons.add(f"Amazon already credited fee corrections ({_listed(found, True)}); check what they covered")
        if any(not c["attributed"] for c in found):
            reasons.add(f"a fee correction that names no order or SKU ({_listed(found, False)}) may have paid "
                        "for these charges; check what it covered")
        amount = gross - paid
        if amount <= 0:
            continue
        groups.append({
            "sku": sku, "table_id": table_id, "expired": expired, "charges": rows, "event_date": rows[0]["posted_date"],
            "period": f"{month}:expired" if expired else month,
            "last_date": rows[-1]["posted_date"], "quantity": sum(r["units"] for r in rows), "gross": gross,
            "amount": amount, "reasons": sorted(reasons), "corrections": found,
            "evidence": join_refs([r["evidence"] for r in rows], [c["evidence"] for c in found]),
        })
    return groups


def _by_correction(shares: list[FeeCorrectionShare]) -> list[dict]:
    """The shares of one group, one row per correction (its share of the group summed), by date and reference."""
    rows: dict[str, dict] = {}
    for share in shares:
        c = share.correction
        row = rows.setdefault(c["event_ref"], {"date": c["date"], "total": c["amount"], "amount": Decimal(0),
                                               "evidence": c["evidence"], "attributed": share.attributed,
                                               "ref": c["event_ref"]})
        row["amount"] += share.amount
    return sorted(rows.values(), key=lambda r: (r["date"], r["ref"]))


def _listed(corrections: list[dict], attributed: bool) -> str:
    """`1.06 on 2026-04-02, 0.94 of 2.00 on 2026-04-09`: the corrections' shares (and totals when split)."""
    return ", ".join(
        (money(c["amount"]) if c["amount"] == c["total"] else f"{money(c['amount'])} of {money(c['total'])}")
        + f" on {c['date']}" for c in corrections if c["attributed"] == attributed)


def order_list(rows: list[dict]) -> str:
    """`111-... (2 units on 2026-02-03, [sales price 25.00, ]charged 5.55, expected 4.05 per unit)`, per charge."""
    return "; ".join(
        f"{r['order_id']} ({r['units']} unit{'s' if r['units'] != 1 else ''} on {r['posted_date']}, "
        + (f"sales price {money(r['price_pu'])}, " if r.get("price_pu") is not None else "")
        + f"charged {money(r['charged_pu'])}, expected {money(r['expected_pu'])} per unit)"
        for r in rows
    )


def correction_note(group: dict) -> str:
    """The case-text sentence on fee corrections already paid (empty when there were none)."""
    if not any(c["attributed"] for c in group["corrections"]):
        return ""
    return (f"Amazon already credited fee corrections for this item ({_listed(group['corrections'], True)}); this "
            f"request is for the remaining {money(group['amount'])} of the {money(group['gross'])} overcharged. ")
