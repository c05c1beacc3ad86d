"""Netting claims against what Amazon already paid: one allocator for every detector.

Two steps:

1. `reimbursement_events(...)` builds one list of reimbursement events (signed units, a date, keys) from the
   Reimbursements report and the reimbursement lines of the settlement / transaction files, counting each
   reimbursement once (see "De-duplication" below).
2. `allocate(claims, events, keys=...)` consumes those units **oldest claim event first**, each unit once, and
   returns per claim `units_reimbursed`, `units_open` and which reimbursements covered it (for evidence).

## Reading the Reimbursements report

* Units are `quantity_reimbursed_total` (cash + inventory): a unit replaced in kind is as settled as one paid
  in cash.
* `Reimbursement_Reversal` rows count against their `original_reimbursement_type` (a reversal of a
  `Lost_Warehouse` reimbursement nets `Lost_Warehouse` claims), and take units back from the reimbursement named
  in `original_reimbursement_id`. Their `quantity_reimbursed_total` is what is given back. A reversal of
  `-6.38 -6.38 -1 1 0 <orig id> Lost_Warehouse` (docs/report-formats.md, "Reimbursements") has cash -1, inventory
  +1, total 0.
  We read it as "the cash for one unit was taken back because the unit was found and returned to your
  inventory" (Amazon's policy G200213130: "if a reimbursed item is later found and returned to your inventory,
  we reserve the right to reverse the reimbursement credit"). The unit is still settled (by the unit, not the
  cash), so nothing is given back to claim. A reversal with total -1 (cash taken back, no unit returned) gives
  one unit back, and the claim it covered becomes open again.
* A reversal row without sku / fnsku / order id takes them from its original row when that row is present.

## Reading settlement lines

A `transactions` row is a reimbursement when its `amount_type` is `FBA Inventory Reimbursement` (V2; the code
is in `amount_description`) or its `transaction_type` is one of `SETTLEMENT_REIMBURSEMENT_CODES` (V1 keeps the
code there). Units are `quantity_purchased`, negative when the amount is negative (clawbacks); a line without
a quantity counts as one unit (`units_assumed`), because under-netting would produce a false claim. Settlement
lines carry a SKU, not an FNSKU: give `sku_map` (sku -> fnsku, see `sku_fnsku_map`) to net FNSKU-keyed claims.
Date Range transaction files take the same path: the loader turns their `FBA Inventory Reimbursement - Lost:
Warehouse`-style adjustments into `amount_type` "FBA Inventory Reimbursement" with the settlement code
(`WAREHOUSE_LOST`, ...) as `amount_description`.

## De-duplication: the report first, settlement lines only where the report is silent

The same reimbursement shows up in the Reimbursements report (on its approval date) and, some days later, in
a settlement (on its posted date), without a shared id. A settlement line is dropped when
(a) its posted date falls inside a date span the Reimbursements report covers (first to last approval date of
    each report file): there the report is complete and authoritative (except for lines that name neither SKU
    nor order, Amazon's non-itemized corrections, which a report of one SKU a row can never list); or
(b) it pairs, one to one, with a report row of the same SKU, the same order id (or both without one), the same
    sign of money, approved between `settlement_lag_days` before and 1 day after the posting (settlements post
    after approval; the day of slack absorbs the UTC/local date difference).
Every other settlement line is kept: it is a reimbursement the report does not show (a period it does not
cover, or no report at all).

The allocation is vectorised (`_allocate_in_order`) except for the keys whose events include a reversal: those
few go through a Python loop, key by key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from fba_audit.reports.datasets import ID, in_currency, keyed_like
from fba_audit.sorted_runs import cum_max_within, cum_sum_within, key_starts

REVERSAL = "Reimbursement_Reversal"

# Settlement reimbursement codes -> the Reimbursements-report reason they correspond to (docs/report-formats.md,
# "Reimbursements in settlement and transaction files"). Codes mapped to None have no report counterpart; select them by their own code.
SETTLEMENT_REIMBURSEMENT_CODES: dict[str, str | None] = {
    "WAREHOUSE_LOST": "Lost_Warehouse",
    "WAREHOUSE_LOST_MANUAL": "Lost_Warehouse",
    "WAREHOUSE_DAMAGE": "Damaged_Warehouse",
    "WAREHOUSE_DAMAGE_EXCEPTION": "Damaged_Warehouse",
    "MISSING_FROM_INBOUND": "Lost_Inbound",
    "MISSING_FROM_INBOUND_CLAWBACK": "Lost_Inbound",
    "INBOUND_CARRIER_DAMAGE": "Damaged_Inbound",
    # The refund-without-return reimbursement, as in a genuine V1 file (docs/report-formats.md, "Reimbursements in
    # settlement and transaction files").
    "REVERSAL_REIMBURSEMENT": "CustomerReturn",
    "FREE_REPLACEMENT_REFUND_ITEMS": "CustomerReturn",
    "Customer Return": "CustomerReturn",
    "CS_ERROR_ITEMS": "CustomerServiceIssue",
    "INCORRECT_FEES_ITEMS": "FeeCorrection",
    "REMOVAL_ORDER_LOST": "Removal_Order_Lost",
    "CUSTOMER_DAMAGE": None,
    "MULTICHANNEL_ORDER_LOST": None,
    "PAYMENT_RETRACTION_ITEMS": None,
    "COMPENSATED_CLAWBACK": None,
    "RE_EVALUATION": None,
}
SETTLEMENT_REIMBURSEMENT_AMOUNT_TYPE = "FBA Inventory Reimbursement"

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "event_ref": pl.String(),  # reimbursement id, or `settlement <id> line <n>` for settlement lines
    "source": pl.String(),  # "reimbursements" or "transactions"
    "reason": pl.String(),  # Reimbursements-report reason (reversals: the original's type)
    "code": pl.String(),  # the raw reason or settlement code
    "date": pl.Date(),  # approval date (report) or posted date (settlement)
    "order_id": pl.String(),
    "sku": ID,
    "fnsku": ID,
    "units": pl.Int64(),  # signed: negative takes units back
    "units_assumed": pl.Boolean(),  # settlement line without a quantity, counted as one unit
    "original_reimbursement_id": pl.String(),
    "amount": pl.Decimal(18, 2),
    "currency": pl.String(),
    "evidence": pl.String(),  # file:line
}


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


def sku_fnsku_map(*frames: pl.DataFrame | pl.LazyFrame | None, only: pl.Series | None = None) -> pl.DataFrame:
    """Unambiguous sku -> fnsku pairs seen in any of `frames` (those with both columns). A SKU seen with two
    FNSKUs is left out: guessing would net the wrong item. `only`: the SKUs to pair (a SKU's pair depends on its
    own rows alone, and pairing every SKU of a year's ledger costs a tenth of a second)."""
    # NOTE: lazy, so that a ledger of millions of rows is read as two columns and paired in one streaming pass.
    parts = [
        f.lazy().select(pl.col("sku").cast(ID), pl.col("fnsku").cast(ID))
        for f in frames
        if f is not None and {"sku", "fnsku"} <= set(f.collect_schema().names())
    ]
    if not parts:
        return pl.DataFrame(schema={"sku": ID, "fnsku": ID})
    pairs = pl.concat(parts).drop_nulls()
    if only is not None:
        pairs = pairs.filter(pl.col("sku").is_in(only.cast(ID).drop_nulls().unique().implode()))
    pairs = pairs.unique()
    single = pairs.group_by("sku").agg(pl.len().alias("n")).filter(pl.col("n") == 1).select("sku")
    return pairs.join(single, on="sku", how="semi").sort("sku").collect()


def _report_events(reimbursements: pl.DataFrame, currency: str | None) -> pl.DataFrame:
    r = reimbursements
    if currency is not None:
        r = r.filter(in_currency(currency))
    is_reversal = pl.col("reason") == REVERSAL
    events = r.select(
        event_ref=pl.col("reimbursement_id"),
        source=pl.lit("reimbursements"),
        reason=pl.when(is_reversal).then(pl.col("original_reimbursement_type")).otherwise(pl.col("reason")),
        code=pl.col("reason"),
        date=pl.col("approval_date"),
        order_id=pl.col("amazon_order_id"),
        sku=pl.col("sku"),
        fnsku=pl.col("fnsku"),
        units=pl.col("quantity_reimbursed_total").fill_null(0),
        units_assumed=pl.lit(False),
        original_reimbursement_id=pl.col("original_reimbursement_id"),
        amount=pl.col("amount_total").cast(pl.Decimal(18, 2)),
        currency=pl.col("currency"),
        evidence=pl.format("{}:{}", pl.col("source_file"), pl.col("source_line")),
    )
    # A reversal missing its keys borrows them from the reimbursement it reverses.
    originals = events.filter(pl.col("code") != REVERSAL).group_by("event_ref").agg(
        pl.col("order_id").drop_nulls().first().alias("_o"),
        pl.col("sku").drop_nulls().first().alias("_s"),
        pl.col("fnsku").drop_nulls().first().alias("_f"),
    )
    events = events.join(
        originals, left_on="original_reimbursement_id", right_on="event_ref", how="left"
    ).with_columns(
        order_id=pl.coalesce("order_id", "_o"),
        sku=pl.coalesce("sku", "_s"),
        fnsku=pl.coalesce("fnsku", "_f"),
    ).drop("_o", "_s", "_f")
    return events.select(list(EVENT_SCHEMA)).cast(EVENT_SCHEMA)


def _settlement_events(transactions: pl.DataFrame, currency: str | None) -> pl.DataFrame:
    # NOTE: the few reimbursement lines are picked out before any column is computed: the frame has millions of rows.
    maybe = ((pl.col("amount_type") == SETTLEMENT_REIMBURSEMENT_AMOUNT_TYPE)
             | pl.col("transaction_type").is_in(list(SETTLEMENT_REIMBURSEMENT_CODES))).fill_null(False)
    t = transactions.filter(maybe & in_currency(currency) if currency is not None else maybe)
    code = (
        pl.when(pl.col("amount_type") == SETTLEMENT_REIMBURSEMENT_AMOUNT_TYPE)
        .then(pl.coalesce("amount_description", "transaction_type"))
        .when(pl.col("transaction_type").is_in(list(SETTLEMENT_REIMBURSEMENT_CODES)))
        .then(pl.col("transaction_type"))
    )
    t = t.with_columns(_code=code.cast(pl.String)).filter(pl.col("_code").is_not_null() & (pl.col("amount") != 0))
    qty = pl.col("quantity_purchased").abs()
    sign = pl.when(pl.col("amount") < 0).then(-1).otherwise(1)
    mapping = pl.DataFrame(
        {"_code": list(SETTLEMENT_REIMBURSEMENT_CODES), "_reason": list(SETTLEMENT_REIMBURSEMENT_CODES.values())},
        schema={"_code": pl.String, "_reason": pl.String},
    )
    t = t.join(mapping, on="_code", how="left")
    events = t.select(
        event_ref=pl.format("settlement {} line {}", pl.col("settlement_id").fill_null("?"), pl.col("source_line")),
        source=pl.lit("transactions"),
        reason=pl.col("_reason"),
        code=pl.col("_code"),
        date=pl.col("posted_date"),
        order_id=pl.col("order_id"),
        sku=pl.col("sku"),
        fnsku=pl.lit(None, dtype=ID),
        units=(qty.fill_null(1) * sign).cast(pl.Int64),
        units_assumed=pl.col("quantity_purchased").is_null(),
        original_reimbursement_id=pl.lit(None, dtype=pl.String),
        amount=pl.col("amount").cast(pl.Decimal(18, 2)),
        currency=pl.col("currency"),
        evidence=pl.format("{}:{}", pl.col("source_file"), pl.col("source_line")),
    )
    return events.select(list(EVENT_SCHEMA)).cast(EVENT_SCHEMA)


def _drop_settlement_duplicates(
    settlement: pl.DataFrame, reimbursements: pl.DataFrame, report: pl.DataFrame, lag_days: int
) -> pl.DataFrame:
    if settlement.is_empty() or reimbursements.is_empty():
        return settlement
    # (a) Dates each report file covers: there the report is complete.
    spans = reimbursements.group_by("source_file").agg(
        pl.col("approval_date").min().alias("first"), pl.col("approval_date").max().alias("last")
    ).sort("source_file").rows()
    settlement = settlement.sort("date", "event_ref")
    # (b) One-to-one pairing with report rows, each report row used once, earliest approval first.
    # NOTE: the lines inside a span are found by polars and only the others are walked in Python, against the report
    # rows of their own order and SKU (no other row can pair): a large seller has thousands of settlement
    # reimbursement lines, and every detector that nets reads them.
    # NOTE: a line that names neither SKU nor order (Amazon's non-itemized corrections: INCORRECT_FEES_NON_ITEMIZED,
    # CS_ERROR_NON_ITEMIZED) can never be in the Reimbursements report, whose every row is one SKU: it is always
    # kept, whatever dates the report covers.
    covered = settlement.select(pl.any_horizontal(
        [pl.col("date").is_between(first, last) for _, first, last in spans]
    ).fill_null(False) & (pl.col("sku").is_not_null() | pl.col("order_id").is_not_null())).to_series()
    lines = settlement.with_row_index("_line").filter(~covered)
    candidates = report.sort("date", "event_ref", "evidence").select(
        "event_ref", "date", "order_id", "sku", "amount"
    ).join(lines.select("order_id", "sku").unique(), on=["order_id", "sku"], how="semi", nulls_equal=True,
           maintain_order="left").rows(named=True)
    used: set[int] = set()
    kept: list[int] = []
    for line in lines.iter_rows(named=True):
        posted = line["date"]
        match = None
        for n, row in enumerate(candidates):
            if n in used or row["sku"] != line["sku"] or row["order_id"] != line["order_id"]:
                continue
            if (row["amount"] or 0) * (line["amount"] or 0) <= 0 or posted is None:
                continue
            if row["date"] - dt.timedelta(days=1) <= posted <= row["date"] + dt.timedelta(days=lag_days):
                match = n
                break
        if match is not None:
            used.add(match)
        else:
            kept.append(line["_line"])
    return settlement.filter(pl.int_range(pl.len()).is_in(pl.Series(kept, dtype=pl.Int64).implode()))


def reimbursement_events(
    reimbursements: pl.DataFrame | None,
    transactions: pl.DataFrame | None = None,
    *,
    reasons: Collection[str] | None = None,
    currency: str | None = None,
    sku_map: pl.DataFrame | None = None,
    settlement_lag_days: int = 30,
) -> pl.DataFrame:
    """Reimbursement events from the Reimbursements report and settlement lines, each reimbursement once.

    reasons: keep events whose `reason` (report reason; for reversals the original's type; for settlement
        lines the mapped reason) or raw `code` is in this set, e.g. {"Lost_Warehouse", "Damaged_Warehouse"}.
        None keeps every event.
    currency: keep only events in this currency (the Reimbursements report from the API covers a whole
        region, e.g. USD, CAD and MXN together); rows without a currency are kept.
    sku_map: sku -> fnsku pairs to give settlement lines an FNSKU; the report's own pairs are always used.
    Returns a frame of `EVENT_SCHEMA`, sorted by date and event_ref.
    """
    has_report = reimbursements is not None and not reimbursements.is_empty()
    report = _report_events(reimbursements, currency) if has_report else empty_events()
    settlement = (
        _settlement_events(transactions, currency)
        if transactions is not None and not transactions.is_empty()
        else empty_events()
    )
    if has_report:
        settlement = _drop_settlement_duplicates(settlement, reimbursements, report, settlement_lag_days)
    if not settlement.is_empty():
        # Only the settlement lines' SKUs are looked up (sku_map may be a ledger of millions of rows).
        pairs = sku_fnsku_map(reimbursements, sku_map, only=settlement["sku"])
        settlement = settlement.drop("fnsku").join(pairs, on="sku", how="left").select(list(EVENT_SCHEMA))
    events = pl.concat([report, settlement])
    if reasons is not None:
        wanted = list(reasons)
        events = events.filter(pl.col("reason").is_in(wanted) | pl.col("code").is_in(wanted))
    return events.sort("date", "event_ref", "evidence")


CLAIM_OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "units_reimbursed": pl.Int64(),
    "units_open": pl.Int64(),
    "reimbursed_by": pl.List(pl.String()),  # event_ref of each reimbursement that covered part of the claim
    "reimbursement_evidence": pl.List(pl.String()),  # file:line of those reimbursements
}


@dataclass
class _Pool:
    ref: str
    date: dt.date
    units: int
    evidence: str


def _net_reversals(events: list[dict]) -> list[_Pool]:
    """Apply negative events to the positive ones: first to the reimbursement they name, then to the latest one
    on or before them, then to any. What cannot be applied is dropped (nothing left to take back)."""
    pools = [_Pool(e["event_ref"], e["date"], e["units"], e["evidence"]) for e in events if e["units"] > 0]
    for e in events:
        if e["units"] >= 0:
            continue
        owed = -e["units"]
        named = [p for p in pools if e["original_reimbursement_id"] and p.ref == e["original_reimbursement_id"]]
        before = sorted((p for p in pools if p.date <= e["date"]), key=lambda p: (p.date, p.ref), reverse=True)
        rest = sorted(pools, key=lambda p: (p.date, p.ref), reverse=True)
        for pool in named + before + rest:
            take = min(owed, pool.units)
            pool.units -= take
            owed -= take
            if owed == 0:
                break
    return [p for p in pools if p.units > 0]


def _simple_keys(cl: pl.DataFrame, ev: pl.DataFrame, keys: list[str], event_date: str,
                 only_on_or_after_event: bool) -> pl.DataFrame:
    """Keys whose allocation needs no loop: no reversal among the events (and, when reimbursements may only cover
    earlier events, every claim of the key dated: the loop is left to fail on an undated one as it always has)."""
    simple = ev.group_by(keys).agg((pl.col("units") < 0).any().alias("_reversal")).filter(~pl.col("_reversal"))
    if only_on_or_after_event:
        undated = cl.filter(pl.col(event_date).is_null()).select(keys).unique()
        simple = simple.join(undated, on=keys, how="anti", nulls_equal=True)
    return simple.select(keys)


def _allocate_in_order(cl: pl.DataFrame, ev: pl.DataFrame, keys: list[str], claim_id: str, quantity: str,
                       event_date: str, only_on_or_after_event: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The loop of `allocate`, vectorised for keys without reversals.

    Lay the key's reimbursements end to end in (date, ref) order: units [0, T). The loop walks them with one
    pointer P, claims in (event_date, claim_id) order. A claim first skips the units dated before its event
    (S = the units of reimbursements dated before it: no later claim may use them either, as later claims are no
    older), then takes its w units: P_i = min(max(P_i-1, S_i) + w_i, T). Without the cap at T this is
    P_i = W_i + max over j <= i of (S_j - W_j-1), W being the running total of units wanted, and capping at T
    afterwards gives the same numbers (once P reaches T it stays there). Claim i gets [P_i - w_i, P_i) capped at T,
    and is covered by the reimbursements whose own stretch of units overlaps that part (as many units as overlap:
    the second frame returned, `USAGE_SCHEMA`). With reimbursements usable for any claim, S is 0 and P_i is W_i."""
    claims = cl.select(*keys, claim_id, pl.col(event_date).alias("_d"),
                       pl.col(quantity).fill_null(0).clip(lower_bound=0).cast(pl.Int64).alias("_w"))
    pools = ev.select(*keys, "date", "event_ref", "evidence", pl.col("units").cast(pl.Int64).alias("_u")).sort(
        *keys, "date", "event_ref", "evidence"
    ).with_columns(_start=key_starts(keys)).with_columns(
        _b=cum_sum_within("_u", "_start") - pl.col("_u")
    ).drop("_start")
    supply = pools.group_by(keys).agg(pl.col("_u").sum().alias("_t"))
    if only_on_or_after_event:
        # Claims sort before the reimbursements of their own day: those are usable, so not skipped.
        marks = pl.concat([
            claims.select(*keys, claim_id, "_d", pl.lit(0, pl.Int64).alias("_u"), pl.lit(0, pl.Int8).alias("_o")),
            pools.select(*keys, pl.lit(None, claims.schema[claim_id]).alias(claim_id), pl.col("date").alias("_d"),
                         "_u", pl.lit(1, pl.Int8).alias("_o")),
        ]).sort(*keys, "_d", "_o").with_columns(_start=key_starts(keys)).with_columns(
            _skip=cum_sum_within("_u", "_start"))
        claims = claims.join(marks.filter(pl.col("_o") == 0).select(claim_id, "_skip"), on=claim_id, how="left")
    claims = claims.sort(*keys, "_d", claim_id).with_columns(_start=key_starts(keys)).with_columns(
        _p=cum_sum_within("_w", "_start"))
    if only_on_or_after_event:
        claims = claims.with_columns(_x=pl.col("_skip") - (pl.col("_p") - pl.col("_w")))
        claims = claims.with_columns(_p=pl.col("_p") + cum_max_within(claims, "_x", "_start"))
    # (Otherwise S is 0 and W only grows, so the running maximum of S - W is the first claim's 0: P is W.)
    claims = claims.join(supply, on=keys, how="left").with_columns(
        _a=pl.min_horizontal(pl.col("_p") - pl.col("_w"), pl.col("_t")),
        _e=pl.min_horizontal(pl.col("_p"), pl.col("_t")),
    ).with_columns(_got=(pl.col("_e") - pl.col("_a")).clip(lower_bound=0))
    pairs = claims.filter(pl.col("_got") > 0).select(*keys, claim_id, "_a", "_e").join(
        pools.select(*keys, "event_ref", "evidence", "_u", "_b"), on=keys
    ).filter(
        (pl.col("_b") < pl.col("_e")) & (pl.col("_b") + pl.col("_u") > pl.col("_a"))
    ).sort(claim_id, "_b")
    lists = pairs.group_by(claim_id, maintain_order=True).agg(
        pl.col("event_ref").alias("reimbursed_by"), pl.col("evidence").alias("reimbursement_evidence")
    )
    used = pairs.select("event_ref", "evidence", units=(
        pl.min_horizontal("_e", pl.col("_b") + pl.col("_u")) - pl.max_horizontal("_a", "_b")).cast(pl.Int64))
    return claims.select(claim_id, pl.col("_got").alias("units_reimbursed")).join(lists, on=claim_id, how="left"), used


def allocate(claims: pl.DataFrame, events: pl.DataFrame, *, keys: Sequence[str], **options: Any) -> pl.DataFrame:
    """`allocate_with_usage` (same options) without the usage: the claims netted."""
    return allocate_with_usage(claims, events, keys=keys, **options)[0]


# What `allocate_with_usage` says each reimbursement gave: one row per (claim, reimbursement) pair that netted.
USAGE_SCHEMA: dict[str, pl.DataType] = {"event_ref": pl.String(), "evidence": pl.String(), "units": pl.Int64()}


def allocate_with_usage(
    claims: pl.DataFrame,
    events: pl.DataFrame,
    *,
    keys: Sequence[str],
    claim_id: str = "claim_id",
    event_date: str = "event_date",
    quantity: str = "quantity",
    only_on_or_after_event: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Net `claims` against reimbursement `events`, oldest claim event first, each unit consumed once.

    claims: one row per claim with the `keys` columns, `event_date`, `quantity` (units claimed) and a unique
        `claim_id`. events: from `reimbursement_events` (columns `keys`, `date`, `units`, `event_ref`,
        `evidence`, `original_reimbursement_id`); rows with a null key never match.
    only_on_or_after_event: a reimbursement only covers claims whose event is on or before its date (a
        reimbursement approved in March cannot be for a loss in April).
    Within a key, claims are served in (event_date, claim_id) order, each from the earliest reimbursement it
    may use, which leaves the later reimbursements for the later claims.

    Returns `claims` plus the columns of `CLAIM_OUTPUT_SCHEMA`, sorted by claim_id; and the units each event gave
    (`USAGE_SCHEMA`, a row per claim it netted), which the audit's one allocator (`fba_audit.events.allocator`)
    takes off before the next detector nets.
    """
    if claims[claim_id].is_duplicated().any():
        raise ValueError(f"allocate: {claim_id} must be unique per claim")
    keys = list(keys)
    needed = {*keys, "date", "units", "event_ref", "evidence", "original_reimbursement_id"}
    missing = needed - set(events.columns)
    if missing:
        raise ValueError(f"allocate: events lack columns {sorted(missing)}")
    ev = keyed_like(events, claims, keys).select(
        *keys, "date", "units", "event_ref", "evidence", "original_reimbursement_id"
    ).drop_nulls([*keys, "date", "units"]).filter(pl.col("units") != 0)
    # Only keys with both claims and reimbursements need the loop.
    both = claims.select(keys).drop_nulls().unique().join(ev.select(keys).unique(), on=keys, how="inner")
    results: dict[object, tuple[int, list[str], list[str], list[int]]] = {}
    fast = fast_used = None
    if not both.is_empty():
        cl = claims.join(both, on=keys, how="semi").sort(event_date, claim_id)
        ev_in = ev.join(both, on=keys, how="semi").sort("date", "event_ref", "evidence")
        simple = _simple_keys(cl, ev_in, keys, event_date, only_on_or_after_event)
        if not simple.is_empty():
            fast, fast_used = _allocate_in_order(cl.join(simple, on=keys, how="semi"),
                                                 ev_in.join(simple, on=keys, how="semi"),
                                                 keys, claim_id, quantity, event_date, only_on_or_after_event)
            cl = cl.join(simple, on=keys, how="anti")
            ev_in = ev_in.join(simple, on=keys, how="anti")
        # NOTE: plain Python grouping: a polars frame per key costs milliseconds, and a large seller has tens of
        # thousands of keys with a row or two each.
        ev_groups: dict[tuple, list[dict]] = {}
        for row in ev_in.iter_rows(named=True):
            ev_groups.setdefault(tuple(row[k] for k in keys), []).append(row)
        claim_groups: dict[tuple, list[dict]] = {}
        for row in cl.iter_rows(named=True):  # already in (event_date, claim_id) order
            claim_groups.setdefault(tuple(row[k] for k in keys), []).append(row)
        for key, group in claim_groups.items():
            pools = sorted(_net_reversals(ev_groups[key]), key=lambda p: (p.date, p.ref))
            for claim in group:
                want = max(int(claim[quantity] or 0), 0)
                got, refs, evidence, taken = 0, [], [], []
                for pool in pools:
                    if want == 0:
                        break
                    if pool.units == 0 or (only_on_or_after_event and pool.date < claim[event_date]):
                        continue
                    take = min(want, pool.units)
                    pool.units -= take
                    want -= take
                    got += take
                    refs.append(pool.ref)
                    evidence.append(pool.evidence)
                    taken.append(take)
                results[claim[claim_id]] = (got, refs, evidence, taken)
    # Only claims the loop touched get a row here; the join fills the rest (building list columns for every
    # claim of a large seller costs seconds).
    ids = list(results)
    units = pl.DataFrame({claim_id: ids, "units_reimbursed": [results[i][0] for i in ids]},
                         schema={claim_id: claims.schema[claim_id], "units_reimbursed": pl.Int64})
    # The lists are built from flat rows by polars (a Python list per claim is slow to convert).
    flat = [(i, ref, ev) for i in ids for ref, ev in zip(results[i][1], results[i][2], strict=True)]
    refs = pl.DataFrame(flat, schema={claim_id: claims.schema[claim_id], "reimbursed_by": pl.String,
                                      "reimbursement_evidence": pl.String}, orient="row")
    covered = units.join(
        refs.group_by(claim_id, maintain_order=True).agg("reimbursed_by", "reimbursement_evidence"),
        on=claim_id, how="left",
    )
    used = pl.DataFrame([(ref, ev, n) for i in ids for ref, ev, n in zip(*results[i][1:], strict=True)],
                        schema=USAGE_SCHEMA, orient="row")
    if fast is not None:
        covered = pl.concat([covered, fast.select(covered.columns).cast(covered.schema)], how="vertical")
        used = pl.concat([used, fast_used.cast(USAGE_SCHEMA)], how="vertical")
    out = claims.join(covered, on=claim_id, how="left").with_columns(
        pl.col("units_reimbursed").fill_null(0),
        pl.col("reimbursed_by").fill_null(pl.lit([], pl.List(pl.String))),
        pl.col("reimbursement_evidence").fill_null(pl.lit([], pl.List(pl.String))),
    ).with_columns(
        units_open=(pl.col(quantity).clip(lower_bound=0) - pl.col("units_reimbursed")).cast(pl.Int64)
    )
    return out.select(*claims.columns, *CLAIM_OUTPUT_SCHEMA).sort(claim_id), used


# Fee corrections (FBA01, FBA10) -----------------------------------------------------------------------------------
# The fee checks whose overcharges one fee correction may pay, in the order it pays them (see
# `allocate_fee_corrections`).
FEE_CORRECTION_ORDER = ("fulfillment", "referral")


@dataclass
class FeeCorrectionShare:
    """What one fee correction gave one overcharge: `amount` of the correction's `total`."""
    correction: dict
    amount: object  # Decimal
    attributed: bool  # False: an unattributed correction that may have paid it (never subtracted)


def allocate_fee_corrections(charges: Sequence[dict], corrections: pl.DataFrame) -> list[list[FeeCorrectionShare]]:
    """Each fee correction Amazon paid, spread once over the overcharges it could pay for; per charge (in the order
    given), the shares it got.

    charges: dicts with `fee` (a key of FEE_CORRECTION_ORDER), `order_id`, `sku`, `posted_date` and `overcharge`
        (Decimal, the whole order item). corrections: `fee_corrections` rows (sku, order_id, date, amount,
        evidence, event_ref).

    A correction pays for what it names, once, and never more than a charge's overcharge:
    1. one that names an order id pays that order's charges (of its SKU when it names one), whatever their date;
    2. then one that names only a SKU pays that SKU's charges posted on or before its date;
    3. one that names neither (Amazon's non-itemized corrections) cannot be subtracted from anything: it marks
       the charges posted on or before its date that it could have paid, up to its amount, as `attributed` False
       (a person checks them), and leaves every other charge alone.
    Within each step the corrections go oldest first, and each pays the FBA fulfillment fee overcharges (FBA01)
    before the referral fee overcharges (FBA10), oldest charge first: Amazon's fee corrections are mostly for FBA
    fees charged at the wrong size or weight, and FBA01's amounts then never depend on FBA10's. A correction of no
    more than zero (a reversal) pays nothing: under-netting can only leave a claim larger, never invent one.
    """
    shares: list[list[FeeCorrectionShare]] = [[] for _ in charges]
    if not charges or corrections.is_empty():
        return shares
    rank = {fee: n for n, fee in enumerate(FEE_CORRECTION_ORDER)}
    order = sorted(range(len(charges)), key=lambda i: (
        rank[charges[i]["fee"]], charges[i]["posted_date"], str(charges[i]["order_id"]), str(charges[i]["sku"]), i))
    left = [charges[i]["overcharge"] for i in range(len(charges))]
    rows = corrections.sort("date", "event_ref", "evidence").to_dicts()
    steps = (
        (lambda c: c["order_id"] is not None, True,
         lambda c, ch: ch["order_id"] == c["order_id"] and (c["sku"] is None or ch["sku"] == c["sku"])),
        (lambda c: c["order_id"] is None and c["sku"] is not None, True,
         lambda c, ch: ch["sku"] == c["sku"] and ch["posted_date"] <= c["date"]),
        (lambda c: c["order_id"] is None and c["sku"] is None, False,
         lambda c, ch: ch["posted_date"] <= c["date"]),
    )
    for applies, attributed, pays_for in steps:
        for correction in rows:
            if not applies(correction) or correction["amount"] is None or correction["amount"] <= 0:
                continue
            budget = correction["amount"]
            for i in order:
                if budget <= 0:
                    break
                if left[i] <= 0 or not pays_for(correction, charges[i]):
                    continue
                take = min(budget, left[i])
                left[i] -= take
                budget -= take
                shares[i].append(FeeCorrectionShare(correction, take, attributed))
    return shares
