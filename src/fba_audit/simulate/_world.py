"""The seller's ordinary business: orders, returns, refunds, inbound shipments, warehouse events, reimbursements.

Everything is built as polars frames keyed by integer day indexes (day 0 = the first day of the account's data)
and integer cents. Nothing here is claimable: every refund has its return, every lost or damaged unit is
found or reimbursed inside the data, every closed shipment was received in full. The planted discrepancies
(`_stories.py`) are the only things a correct audit should claim.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import polars as pl

from fba_audit.simulate._catalog import ALPHANUM, FULFILLMENT_CENTERS, code, scrambled
from fba_audit.simulate._rng import Rng

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
ALNUM62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PLACES = (
    ("Austin", "TX", "78701", 0.0825), ("Seattle", "WA", "98101", 0.1025), ("Portland", "OR", "97205", 0.0),
    ("Denver", "CO", "80202", 0.0881), ("Chicago", "IL", "60601", 0.1025), ("Columbus", "OH", "43215", 0.075),
    ("Atlanta", "GA", "30303", 0.089), ("Miami", "FL", "33130", 0.07), ("Brooklyn", "NY", "11201", 0.08875),
    ("Phoenix", "AZ", "85004", 0.086), ("San Diego", "CA", "92101", 0.0775), ("Sacramento", "CA", "95814", 0.0875),
    ("Nashville", "TN", "37203", 0.0925), ("Charlotte", "NC", "28202", 0.0725), ("Boston", "MA", "02108", 0.0625),
    ("Minneapolis", "MN", "55401", 0.08025), ("Wilmington", "DE", "19801", 0.0), ("Billings", "MT", "59101", 0.0),
    ("Salt Lake City", "UT", "84101", 0.0775), ("Kansas City", "MO", "64105", 0.08985),
)
RETURN_REASONS = {
    "SELLABLE": ("UNWANTED_ITEM", "ORDERED_WRONG_ITEM", "FOUND_BETTER_PRICE", "NO_REASON_GIVEN",
                 "MISSED_ESTIMATED_DELIVERY", "NOT_COMPATIBLE"),
    "CUSTOMER_DAMAGED": ("UNWANTED_ITEM", "NOT_AS_DESCRIBED", "QUALITY_UNACCEPTABLE"),
    "DEFECTIVE": ("DEFECTIVE", "MISSING_PARTS", "QUALITY_UNACCEPTABLE"),
    "DAMAGED": ("DAMAGED_BY_FC",),
    "CARRIER_DAMAGED": ("DAMAGED_BY_CARRIER",),
}
COMMENTS = ("", "", "", "", "", "Changed my mind", "Not as pictured", "Arrived late", "Too small",
            "Did not fit my needs", "Stopped working after a week", "Box was crushed")


@dataclass(frozen=True)
class Period:
    as_of: dt.date
    start: dt.date
    end: dt.date
    settlements: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def day(self, date: dt.date) -> int:
        return (date - self.start).days

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    @property
    def as_of_day(self) -> int:
        return self.day(self.as_of)


def make_period(as_of: dt.date, months: int) -> Period:
    """Data ends two days before the audit date, right after a settlement closed; it spans whole 14-day
    settlements covering about `months` months."""
    end = as_of - dt.timedelta(days=2)
    settlements = max(1, round(months * 30.44 / 14))
    start = end - dt.timedelta(days=14 * settlements - 1)
    return Period(as_of, start, end, settlements)


def day_expr(period: Period, column: str = "day") -> pl.Expr:
    return pl.lit(period.start) + pl.duration(days=pl.col(column))


def at_expr(period: Period, day: str, micros: pl.Expr) -> pl.Expr:
    """A UTC datetime: day index + microseconds into the day."""
    base = pl.lit(dt.datetime.combine(period.start, dt.time()), dtype=pl.Datetime("us"))
    return (base + pl.duration(microseconds=pl.col(day) * DAY_US + micros)).dt.replace_time_zone("UTC")


def daytime(rng: Rng, stream: str, *keys) -> pl.Expr:
    """A time of day between 08:00 and 23:59 UTC (so UTC and Pacific dates agree), in microseconds."""
    return (8 * HOUR_US + rng.uniform(stream, *keys) * (16 * HOUR_US - 1_000_000)).floor().cast(pl.Int64)


# ------------------------------------------------------------------------------------------- seasonality

def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def seasonality(period: Period) -> pl.DataFrame:
    """Per day: a demand multiplier with a weekly cycle, an annual cycle, Prime Day (July), Prime Big Deal
    Days (October), the Black Friday to Cyber Monday peak and the December run-up."""
    weekly = (0.95, 0.97, 0.96, 0.98, 1.02, 1.06, 1.06)
    factors = []
    for day in range(period.days):
        date = period.date(day)
        y = date.year
        prime = _nth_weekday(y, 7, 1, 2)
        deal_days = _nth_weekday(y, 10, 1, 2)
        black_friday = _nth_weekday(y, 11, 3, 4) + dt.timedelta(days=1)
        f = weekly[date.weekday()] * (1 + 0.10 * math.cos(2 * math.pi * (date.timetuple().tm_yday - 350) / 365.25))
        if prime <= date <= prime + dt.timedelta(days=1):
            f *= 3.5
        elif prime - dt.timedelta(days=4) <= date < prime:
            f *= 1.3
        elif deal_days <= date <= deal_days + dt.timedelta(days=1):
            f *= 1.9
        if black_friday <= date <= black_friday + dt.timedelta(days=3):
            f *= 2.6
        elif dt.date(y, 11, 1) <= date <= dt.date(y, 12, 20):
            f *= 1.35
        elif dt.date(y, 12, 26) <= date or date <= dt.date(y, 1, 15):
            f *= 0.85
        factors.append(f)
    return pl.DataFrame({"day": list(range(period.days)), "season": factors},
                        schema={"day": pl.Int64, "season": pl.Float64})


# ------------------------------------------------------------------------------------------- orders

def natural_orders(rng: Rng, period: Period, skus: pl.DataFrame) -> pl.DataFrame:
    """Order lines from daily demand: one row per order line (day, sku_idx, qty, status)."""
    season = seasonality(period)
    base = skus.select("sku_idx", "base_rate")
    chunks = []
    for first in range(0, period.days, 14):
        days = season.filter(pl.col("day").is_between(first, first + 13))
        grid = base.join(days, how="cross")
        noise = (0.35 * rng.normal("demand-noise", "sku_idx", "day") - 0.06125).exp()
        lam = pl.col("base_rate") * pl.col("season") * noise
        grid = grid.with_columns(n=(lam + rng.uniform("demand", "sku_idx", "day")).floor().cast(pl.Int64))
        grid = grid.filter(pl.col("n") > 0).select("sku_idx", "day", k=pl.int_ranges(0, pl.col("n")))
        chunks.append(grid.explode("k"))
    orders = pl.concat(chunks).sort("day", "sku_idx", "k")
    return orders.with_columns(
        qty=(1 + (rng.uniform("qty", "sku_idx", "day", "k") < 0.08).cast(pl.Int64)
             + (rng.uniform("qty", "sku_idx", "day", "k") < 0.02).cast(pl.Int64)),
        cancelled=rng.uniform("cancel", "sku_idx", "day", "k") < 0.015,
        planted=pl.lit(False),
    ).drop("k")


def finish_orders(rng: Rng, period: Period, orders: pl.DataFrame, skus: pl.DataFrame) -> pl.DataFrame:
    """Ids, times, prices, places and status for every order line (natural and planted); `order_no` is the
    row's position after sorting, which makes every id deterministic."""
    orders = orders.sort("day", "sku_idx", "planted", "qty").with_row_index("order_no").with_columns(
        pl.col("order_no").cast(pl.Int64))
    n_places = len(PLACES)
    places = pl.DataFrame({
        "place": list(range(n_places)), "ship_city": [p[0] for p in PLACES], "ship_state": [p[1] for p in PLACES],
        "ship_postal": [p[2] for p in PLACES], "tax_rate": [p[3] for p in PLACES],
    }).with_columns(pl.col("place").cast(pl.Int64))
    mod = 10**14
    orders = orders.with_columns(
        purchase_us=pl.coalesce("purchase_us", daytime(rng, "purchase", "order_no")) if "purchase_us" in orders.columns
        else daytime(rng, "purchase", "order_no"),
        ship_lag_us=pl.coalesce("ship_lag_us", (2 * HOUR_US + rng.uniform("ship", "order_no") * 28 * HOUR_US)
                                .floor().cast(pl.Int64)) if "ship_lag_us" in orders.columns
        else (2 * HOUR_US + rng.uniform("ship", "order_no") * 28 * HOUR_US).floor().cast(pl.Int64),
        # Planted orders may name their ship-to place (e.g. a state with sales tax).
        place=pl.coalesce("place", rng.integer("place", 0, n_places - 1, "order_no")) if "place" in orders.columns
        else rng.integer("place", 0, n_places - 1, "order_no"),
        service=rng.pick("service", ("Standard", "Expedited", "SecondDay"), "order_no", weights=[0.75, 0.1, 0.15]),
        business=rng.uniform("business", "order_no") < 0.06,
        order_id=pl.format(
            "{}-{}-{}",
            rng.pick("order-prefix", ("111", "112", "113", "114"), "order_no"),
            (scrambled(pl.col("order_no"), mod, 7_777_777_777, rng.offset("order-id", mod)) // 10**7)
            .cast(pl.String).str.zfill(7),
            (scrambled(pl.col("order_no"), mod, 7_777_777_777, rng.offset("order-id", mod)) % 10**7)
            .cast(pl.String).str.zfill(7),
        ),
        order_item_code=(scrambled(pl.col("order_no"), 9 * 10**13, 3_333_333_331, rng.offset("item-code", 9 * 10**13))
                         + 10**13).cast(pl.String),
        settlement_shipment_id=code(scrambled(pl.col("order_no"), 62**9, 1_000_000_007, rng.offset("ship-id", 62**9)),
                                    9, ALNUM62),
    )
    orders = orders.join(places, on="place", how="left").join(
        skus.select("sku_idx", "price_cents", "fc"), on="sku_idx", how="left")
    ship_us = pl.col("day") * DAY_US + pl.col("purchase_us") + pl.col("ship_lag_us")
    orders = orders.with_columns(
        purchase_at=at_expr(period, "day", pl.col("purchase_us")),
        ship_day=(ship_us // DAY_US).cast(pl.Int64),
        ship_us_of_day=(ship_us % DAY_US).cast(pl.Int64),
        principal_cents=pl.col("price_cents") * pl.col("qty"),
    ).with_columns(
        ship_at=at_expr(period, "ship_day", pl.col("ship_us_of_day")),
        status=pl.when("cancelled").then(pl.lit("Cancelled"))
        .when(pl.col("ship_day") > period.days - 1).then(pl.lit("Pending"))
        .otherwise(pl.lit("Shipped")),
        tax_cents=(pl.col("principal_cents").cast(pl.Float64) * pl.col("tax_rate")).round(0).cast(pl.Int64),
    )
    return orders.sort("order_no")


# ------------------------------------------------------------------------------------------- returns

def natural_returns(rng: Rng, period: Period, orders: pl.DataFrame, skus: pl.DataFrame,
                    no_returns: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(refunds, returned units) for natural order lines. A returned line is refunded in full, once; each unit
    comes back with its own license plate. Returns arriving after the data ends are left out with their refund,
    so that every refund in the files has its return."""
    last = period.days - 1
    shipped = orders.filter((pl.col("status") == "Shipped") & ~pl.col("planted")).join(
        skus.select("sku_idx", "return_rate"), on="sku_idx", how="left")
    returned = shipped.filter(
        (rng.uniform("returned", "order_no") < pl.col("return_rate")) & ~pl.col("sku_idx").is_in(no_returns.implode())
    ).with_columns(
        return_day=pl.col("ship_day") + rng.integer("return-lag", 6, 35, "order_no"),
    ).with_columns(
        refund_day=pl.max_horizontal(pl.col("ship_day") + 1,
                                     pl.col("return_day") - rng.integer("refund-lag", 0, 7, "order_no")),
    ).filter(pl.col("return_day") <= last)
    refunds = returned.select(
        "order_no", "refund_day", refund_qty="qty",
        principal_refund_cents=-pl.col("principal_cents"),
        restocking_cents=pl.lit(None, pl.Int64),
        restocking_tax_base_cents=pl.lit(None, pl.Int64),
        commission_share=pl.lit(1.0),
    )
    units = returned.select("order_no", "sku_idx", "return_day", unit=pl.int_ranges(0, pl.col("qty"))).explode("unit")
    disposition = rng.pick("disposition", ("SELLABLE", "CUSTOMER_DAMAGED", "DEFECTIVE", "DAMAGED", "CARRIER_DAMAGED"),
                           "order_no", "unit", weights=[0.74, 0.12, 0.10, 0.02, 0.02])
    units = units.with_columns(disposition=disposition).with_columns(
        # Amazon-damaged returns are reimbursed some days later: keep them where that happens inside the data.
        disposition=pl.when(pl.col("disposition").is_in(["DAMAGED", "CARRIER_DAMAGED"])
                            & (pl.col("return_day") > last - 12)).then(pl.lit("SELLABLE"))
        .otherwise(pl.col("disposition")),
    )
    units = units.with_columns(
        status=pl.when(pl.col("disposition").is_in(["DAMAGED", "CARRIER_DAMAGED"])).then(pl.lit("Reimbursed"))
        .otherwise(pl.lit("Unit returned to inventory")),
        ledger_day=pl.when(pl.col("disposition").is_in(["DAMAGED", "CARRIER_DAMAGED"])).then(None)
        .otherwise(pl.col("return_day")),
        reimburse_day=pl.when(pl.col("disposition").is_in(["DAMAGED", "CARRIER_DAMAGED"]))
        .then(pl.col("return_day") + rng.integer("damaged-reimb", 3, 10, "order_no", "unit")),
    )
    return refunds, units


def describe_returns(rng: Rng, units: pl.DataFrame) -> pl.DataFrame:
    """Reason, comments and times for returned units (any source)."""
    reason = None
    for disposition, reasons in RETURN_REASONS.items():
        pick = rng.pick("reason-" + disposition, reasons, "order_no", "unit")
        reason = (pl.when(pl.col("disposition") == disposition).then(pick) if reason is None
                  else reason.when(pl.col("disposition") == disposition).then(pick))
    return units.with_columns(
        reason=reason.otherwise(pl.lit("NO_REASON_GIVEN")),
        customer_comments=rng.pick("comment", COMMENTS, "order_no", "unit"),
        return_us=daytime(rng, "return-time", "order_no", "unit"),
    )


# ------------------------------------------------------------------------------------------- inbound

def natural_inbound(rng: Rng, period: Period, skus: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(shipments, items, receipts): each group of about a dozen SKUs is replenished every 3 to 6 weeks."""
    last = period.days - 1
    groups = skus.select("sku_idx", "base_rate", group=(pl.col("sku_idx") // 12))
    g = groups.select("group").unique().sort("group").with_columns(
        cycle=rng.integer("cycle", 21, 42, "group"),
    ).with_columns(phase=(rng.uniform("phase", "group") * pl.col("cycle")).floor().cast(pl.Int64))
    max_k = period.days // 21 + 3
    ship = g.with_columns(k=pl.int_ranges(0, max_k)).explode("k").with_columns(
        create_day=pl.col("phase") - 12 + pl.col("k") * pl.col("cycle"),
    ).with_columns(
        deliver_day=pl.col("create_day") + rng.integer("transit", 6, 10, "group", "k"),
    ).filter((pl.col("deliver_day") >= 0) & (pl.col("create_day") <= last))
    ship = ship.with_columns(dest_fc=rng.pick("dest", FULFILLMENT_CENTERS, "group", "k"))
    items = ship.join(groups, on="group", how="inner").with_columns(
        case=rng.pick("case", ("6", "12", "24"), "sku_idx").cast(pl.Int64),
    ).with_columns(
        shipped=(((pl.col("base_rate") * pl.col("cycle") * 1.3) / pl.col("case")).ceil().clip(1, None)
                 * pl.col("case")).cast(pl.Int64),
    )
    items = items.with_columns(
        first_qty=(pl.col("shipped") * 0.7).ceil().cast(pl.Int64),
        second_day=pl.col("deliver_day") + rng.integer("second", 1, 3, "group", "k", "sku_idx"),
    )
    receipts = pl.concat([
        items.select("group", "k", "sku_idx", "dest_fc", day="deliver_day", qty="first_qty"),
        items.select("group", "k", "sku_idx", "dest_fc", day="second_day", qty=pl.col("shipped") - pl.col("first_qty")),
    ]).filter((pl.col("qty") > 0) & (pl.col("day") <= last)).with_columns(disposition=pl.lit("SELLABLE"))
    received = receipts.group_by("group", "k", "sku_idx").agg(received=pl.col("qty").sum())
    items = items.join(received, on=["group", "k", "sku_idx"], how="left").with_columns(
        pl.col("received").fill_null(0))
    ends = items.group_by("group", "k").agg(
        last_receipt=pl.col("second_day").max(), first_receipt=pl.col("deliver_day").min())
    ship = ship.join(ends, on=["group", "k"], how="left").with_columns(
        status=pl.when(pl.col("last_receipt") <= last - 3).then(pl.lit("CLOSED"))
        .when(pl.col("first_receipt") <= last).then(pl.lit("RECEIVING"))
        .when(pl.col("create_day") + 1 <= last).then(pl.lit("IN_TRANSIT"))
        .otherwise(pl.lit("WORKING")),
        need_by_day=pl.col("create_day") + 14,
        # Most shipments go with Amazon's partnered carrier, charged (FBAInboundTransportationFee) the next day.
        partnered=rng.uniform("partnered", "group", "k") < 0.7,
        charge_day=pl.col("create_day") + 1,
    )
    shipments = ship.select("group", "k", "create_day", "need_by_day", "dest_fc", "status", "partnered",
                            "charge_day", planted=pl.lit(False))
    items = items.select("group", "k", "sku_idx", "shipped", "received", "case")
    return shipments, items, receipts.select("group", "k", "sku_idx", "day", "qty", "disposition", "dest_fc")


# ------------------------------------------------------------------------------------------- warehouse

def natural_warehouse(rng: Rng, period: Period, skus: pl.DataFrame, excluded: pl.Series
                      ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(ledger adjustment rows, reimbursements) for lost, found, damaged and re-dispositioned units.

    At most one story per FNSKU, each settled inside the data (found, reimbursed, or never claimable), so that
    no allocation of reimbursements to events can leave a unit open.
    """
    last = period.days - 1
    if last < 30:
        return _empty_adjustments(), _empty_reimbursements()
    s = skus.filter(~pl.col("sku_idx").is_in(excluded.implode())).filter(
        rng.uniform("warehouse-story", "sku_idx") < 0.35
    ).select("sku_idx", "fc", "unit_cost_cents").with_columns(
        kind=rng.pick("warehouse-kind", ("found", "reimbursed", "damaged", "customer_damaged", "requalified",
                                         "reversed"), "sku_idx", weights=[0.3, 0.25, 0.2, 0.1, 0.1, 0.05]),
        e=rng.integer("warehouse-day", 0, last - 26, "sku_idx"),
        q=rng.integer("warehouse-qty", 1, 2, "sku_idx"),
        gap=rng.integer("warehouse-gap", 3, 15, "sku_idx"),
    )
    rows, reimbs = [], []

    def adj(frame, day, qty, disposition, reason, reconciled, unreconciled, tag):
        return frame.select("sku_idx", "fc", day=day, qty=qty, disposition=pl.lit(disposition),
                            reason=pl.lit(reason), reconciled=reconciled, unreconciled=unreconciled,
                            tag=pl.lit(tag))

    none = pl.lit(None, pl.Int64)
    found = s.filter(pl.col("kind") == "found")
    rows += [adj(found, pl.col("e"), -pl.col("q"), "SELLABLE", "M", pl.col("q"), pl.lit(0), "lost"),
             adj(found, pl.col("e") + pl.col("gap"), pl.col("q"), "SELLABLE", "F", pl.col("q"), pl.lit(0), "found")]
    paid = s.filter(pl.col("kind") == "reimbursed")
    rows += [adj(paid, pl.col("e"), -pl.col("q"), "SELLABLE", "M", pl.lit(0), pl.col("q"), "lost")]
    reimbs += [paid.select("sku_idx", day=pl.col("e") + pl.col("gap"), reason=pl.lit("Lost_Warehouse"),
                           order_no=none, cash=pl.col("q"), inventory=pl.lit(0),
                           per_unit=pl.col("unit_cost_cents"), tag=pl.lit("natural-lost"))]
    damaged = s.filter(pl.col("kind") == "damaged")
    rows += [adj(damaged, pl.col("e"), pl.lit(-1), "SELLABLE", "E", pl.lit(0), pl.lit(1), "damaged"),
             adj(damaged, pl.col("e"), pl.lit(1), "WAREHOUSE_DAMAGED", "P", none, none, "p"),
             adj(damaged, pl.col("e") + pl.col("gap"), pl.lit(-1), "WAREHOUSE_DAMAGED", "O", none, none, "o")]
    reimbs += [damaged.select("sku_idx", day=pl.col("e") + pl.col("gap"), reason=pl.lit("Damaged_Warehouse"),
                              order_no=none, cash=pl.lit(1), inventory=pl.lit(0),
                              per_unit=pl.col("unit_cost_cents"), tag=pl.lit("natural-damaged"))]
    cd = s.filter(pl.col("kind") == "customer_damaged")
    rows += [adj(cd, pl.col("e"), pl.lit(-1), "CUSTOMER_DAMAGED", "H", pl.lit(0), pl.lit(1), "h"),
             adj(cd, pl.col("e"), pl.lit(1), "WAREHOUSE_DAMAGED", "P", none, none, "p")]
    rq = s.filter(pl.col("kind") == "requalified")
    rows += [adj(rq, pl.col("e"), pl.lit(-1), "SELLABLE", "Q", none, none, "q"),
             adj(rq, pl.col("e"), pl.lit(1), "DEFECTIVE", "P", none, none, "p")]
    rev = s.filter(pl.col("kind") == "reversed")
    rows += [adj(rev, pl.col("e"), pl.lit(-1), "SELLABLE", "M", pl.lit(1), pl.lit(0), "lost"),
             adj(rev, pl.col("e") + pl.col("gap") + 4, pl.lit(1), "SELLABLE", "F", pl.lit(1), pl.lit(0), "found")]
    reimbs += [rev.select("sku_idx", day=pl.col("e") + pl.col("gap"), reason=pl.lit("Lost_Warehouse"),
                          order_no=none, cash=pl.lit(1), inventory=pl.lit(0),
                          per_unit=pl.col("unit_cost_cents"), tag=pl.lit("natural-reversed-original")),
               rev.select("sku_idx", day=pl.col("e") + pl.col("gap") + 8, reason=pl.lit("Reimbursement_Reversal"),
                          order_no=none, cash=pl.lit(-1), inventory=pl.lit(1),
                          per_unit=-pl.col("unit_cost_cents"), tag=pl.lit("natural-reversal"))]
    adjustments = pl.concat(rows, how="vertical_relaxed").with_columns(event_type=pl.lit("Adjustments"),
                                                                       reference=pl.lit(None, pl.String))
    return adjustments, pl.concat(reimbs, how="vertical_relaxed").with_columns(
        original_tag=pl.when(pl.col("tag") == "natural-reversal").then(pl.lit("natural-reversed-original")),
        case_id=pl.lit(None, pl.String), story=pl.lit(None, pl.Int64))


def natural_transfers(rng: Rng, period: Period, skus: pl.DataFrame) -> pl.DataFrame:
    """Warehouse transfers between fulfillment centers: a pair of rows (out, in) on the same day."""
    per = 40
    t = skus.select("sku_idx", "fc", k=pl.int_ranges(0, period.days // per + 1)).explode("k").filter(
        rng.uniform("transfer", "sku_idx", "k") < 0.5
    ).with_columns(
        day=pl.col("k") * per + rng.integer("transfer-day", 0, per - 1, "sku_idx", "k"),
        qty=rng.integer("transfer-qty", 1, 6, "sku_idx", "k"),
        to_fc=rng.pick("transfer-fc", FULFILLMENT_CENTERS, "sku_idx", "k"),
    ).filter((pl.col("day") < period.days) & (pl.col("to_fc") != pl.col("fc")))
    base = dict(disposition=pl.lit("SELLABLE"), reason=pl.lit(None, pl.String), reconciled=pl.lit(None, pl.Int64),
                unreconciled=pl.lit(None, pl.Int64), event_type=pl.lit("WhseTransfers"), tag=pl.lit("transfer"),
                reference=pl.lit(None, pl.String))
    return pl.concat([
        t.select("sku_idx", "day", "k", fc="fc", qty=-pl.col("qty"), **base),
        t.select("sku_idx", "day", "k", fc="to_fc", qty="qty", **base),
    ])


def _empty_adjustments() -> pl.DataFrame:
    return pl.DataFrame(schema={"sku_idx": pl.Int64, "fc": pl.String, "day": pl.Int64, "qty": pl.Int64,
                                "disposition": pl.String, "reason": pl.String, "reconciled": pl.Int64,
                                "unreconciled": pl.Int64, "tag": pl.String, "event_type": pl.String,
                                "reference": pl.String})


def _empty_reimbursements() -> pl.DataFrame:
    return pl.DataFrame(schema={"sku_idx": pl.Int64, "day": pl.Int64, "reason": pl.String, "order_no": pl.Int64,
                                "cash": pl.Int64, "inventory": pl.Int64, "per_unit": pl.Int64, "tag": pl.String,
                                "original_tag": pl.String, "case_id": pl.String, "story": pl.Int64})


__all__ = ["Period", "make_period", "natural_orders", "finish_orders", "natural_returns", "describe_returns",
           "natural_inbound", "natural_warehouse", "natural_transfers", "seasonality", "daytime", "at_expr",
           "day_expr", "ALPHANUM"]
