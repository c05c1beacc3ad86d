"""Helpers shared by the two fee detectors (FBA01 fee-size-tier, FBA10 referral-fee-rate).

Both compare a fee Amazon charged per order item with the fee a rate card gives for that item on the charge date,
and both report one finding per SKU and rate-card period, split into the charges still inside the claim window and
those already past it. What differs (which fee line, which expected fee) stays in the detector modules.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from fba_audit.context import AuditContext
from fba_audit.netting import reimbursement_events
from fba_audit.policy import window_for

MONEY = pl.Decimal(18, 2)
DATE_RANGE = "date_range"
# Fee corrections Amazon already paid (Reimbursements reason; settlement codes, report_formats.md §5.3, §9.3).
FEE_CORRECTIONS = {"FeeCorrection", "Fee_Correction", "INCORRECT_FEES_ITEMS", "INCORRECT_FEES_NON_ITEMIZED"}


def order_items(transactions: pl.DataFrame, ctx: AuditContext, fee: dict[str, str],
                price: dict[str, tuple[str, ...]]) -> pl.DataFrame:
    """One row per order item charged the fee: order_id, sku, item (key), posted_date, source_format, units,
    charged (total, positive), one Decimal column per `price` entry (totals), evidence.

    fee: source family ("settlement" or "date_range") -> amount_description of the fee line.
    price: output column -> the amount_type/amount_description pairs (as "type/description") summed into it.
    Only AFN (or unmarked) Order lines in the marketplace currency posted on or before the audit date count: a re-run
    dated last month must give last month's answer.
    """
    t = transactions.filter(
        (pl.col("transaction_type") == "Order")
        & (pl.col("currency").is_null() | (pl.col("currency") == ctx.currency))
        & (pl.col("fulfillment_id").is_null() | (pl.col("fulfillment_id") == "AFN"))
        & pl.col("order_id").is_not_null() & pl.col("sku").is_not_null()
        & pl.col("posted_date").is_not_null() & (pl.col("posted_date") <= ctx.as_of)
    ).with_columns(
        # NOTE: a Date Range row is one order item (several amount lines, one source line); settlement lines of one
        # item share the order-item-code.
        item=pl.when(pl.col("source_format") == DATE_RANGE)
        .then(pl.format("{}:{}", "source_file", "source_line"))
        .otherwise(pl.col("order_item_code").fill_null("")),
        family=pl.when(pl.col("source_format") == DATE_RANGE).then(pl.lit("date_range")).otherwise(pl.lit("settlement")),
        kind=pl.format("{}/{}", pl.col("amount_type").fill_null(""), pl.col("amount_description").fill_null("")),
    )
    is_fee = pl.any_horizontal(
        [(pl.col("family") == fam) & (pl.col("amount_description") == desc) for fam, desc in fee.items()]
    )
    keys = ["order_id", "sku", "item"]
    # Net of any credit line of the same fee on the order (a fee discount is not an overcharge).
    charged = t.filter(is_fee).group_by(keys).agg(
        posted_date=pl.col("posted_date").min(),
        source_format=pl.col("source_format").min(),
        units=pl.col("quantity_purchased").max(),
        charged=(-pl.col("amount").cast(pl.Decimal(38, 2)).sum()).cast(MONEY),
    ).filter(pl.col("charged") > 0)
    sums = [
        pl.col("amount").filter(pl.col("kind").is_in(list(kinds))).cast(pl.Decimal(38, 2)).sum().cast(MONEY).alias(name)
        for name, kinds in price.items()
    ]
    # Evidence: the fee lines and the price lines read, not the other amounts of the order.
    used = is_fee | pl.col("kind").is_in([k for kinds in price.values() for k in kinds])
    related = t.join(charged.select(keys), on=keys, how="semi")
    priced = related.group_by(keys).agg(
        *sums,
        evidence=pl.format("{}:{}", "source_file", "source_line").filter(used)
        .sort_by(pl.col("source_file").filter(used), pl.col("source_line").filter(used))
        .unique(maintain_order=True).str.join("; "),
    )
    # NOTE: a line without a quantity cannot give a per-unit fee; assuming 1 unit could invent an overcharge.
    return charged.join(priced, on=keys, how="left").filter(pl.col("units") > 0).sort(keys)


def one_per_sku(frame: pl.DataFrame | None) -> dict[str, dict]:
    """sku -> row. A SKU listed twice (two stores, two currencies) is ambiguous: neither row is used."""
    if frame is None or frame.is_empty():
        return {}
    frame = frame.filter(pl.col("sku").is_unique()).sort("sku")
    return {row["sku"]: row for row in frame.iter_rows(named=True)}


def fee_corrections(reimbursements: pl.DataFrame | None, transactions: pl.DataFrame,
                    ctx: AuditContext) -> pl.DataFrame:
    """Fee corrections Amazon already paid (sku, order_id, date, amount, evidence), each counted once."""
    events = reimbursement_events(reimbursements, transactions, reasons=FEE_CORRECTIONS, currency=ctx.currency)
    return events.filter(pl.col("date") <= ctx.as_of).select("sku", "order_id", "date", "amount", "evidence")


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


def correction_rows(corrections: pl.DataFrame, sku: str, orders: set[str], since: dt.date) -> list[dict]:
    """Fee corrections for this SKU or these orders, dated on or after the first charge, plus non-itemized ones
    (no SKU, no order) in the same period: they may cover this overcharge, so a person must look."""
    out = []
    for row in corrections.sort("date", "evidence").iter_rows(named=True):
        if row["date"] < since:
            continue
        mine = row["sku"] == sku or (row["order_id"] is not None and row["order_id"] in orders)
        unattributed = row["sku"] is None and row["order_id"] is None
        if mine or unattributed:
            out.append(row | {"attributed": mine})
    return out


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


def group_charges(code: str, ctx: AuditContext, charges: list[dict], corrections: pl.DataFrame) -> list[dict]:
    """Flagged charges -> one group per SKU, rate-card table, charge month and window state (open or expired).

    NOTE: grouping by calendar month keeps finding ids stable from run to run (`FBA01:US:SKU-1:<table>:2026-03`):
    a month's charges do not change once it is over, so an id the seller filed is never reused for other
    charges (Amazon accepts one request per fee charge). Charges of the month that have aged past the window
    form their own group, with `:expired` after the month.

    Each charge dict has order_id, sku, posted_date, units, overcharge (Decimal, whole item), table_id, reasons
    (set of review reasons) and evidence. A group adds event_date (its earliest charge: the claim window counts
    from it), last_date, quantity, amount (net of fee corrections already paid), reasons, corrections, evidence.
    Fee corrections are subtracted whole from each group they may cover: they are rarely itemized by fee type, so
    one correction may be subtracted from both fee detectors. Under-claiming is the safe side; the finding becomes
    `review`. A group with nothing left is dropped.
    """
    buckets: dict[tuple, list[dict]] = {}
    for charge in charges:
        month = charge["posted_date"].strftime("%Y-%m")
        key = (charge["sku"], charge["table_id"], month, is_expired(code, ctx, charge["posted_date"]))
        buckets.setdefault(key, []).append(charge)
    groups = []
    for (sku, table_id, month, expired), rows in sorted(buckets.items()):
        rows.sort(key=lambda r: (r["posted_date"], r["order_id"]))
        first = rows[0]["posted_date"]
        gross = sum((r["overcharge"] for r in rows), Decimal(0)).quantize(Decimal("0.01"))
        found = correction_rows(corrections, sku, {r["order_id"] for r in rows}, first)
        paid = sum((c["amount"] for c in found if c["attributed"] and c["amount"] is not None), Decimal(0))
        reasons = set().union(*(r["reasons"] for r in rows))
        if found:
            listed = ", ".join(f"{money(c['amount'])} on {c['date']}" for c in found)
            reasons.add(f"Amazon already credited fee corrections ({listed}); check what they covered")
        amount = gross - max(paid, Decimal(0))
        if amount <= 0:
            continue
        groups.append({
            "sku": sku, "table_id": table_id, "expired": expired, "charges": rows, "event_date": first,
            "period": f"{month}:expired" if expired else month,
            "last_date": rows[-1]["posted_date"], "quantity": sum(r["units"] for r in rows), "gross": gross,
            "amount": amount, "reasons": sorted(reasons), "corrections": found,
            "evidence": join_refs([r["evidence"] for r in rows], [c["evidence"] for c in found]),
        })
    return groups


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
    paid = [c for c in group["corrections"] if c["attributed"]]
    if not paid:
        return ""
    listed = ", ".join(f"{money(c['amount'])} on {c['date']}" for c in paid)
    return (f"Amazon already credited fee corrections for this item ({listed}); this request is for the remaining "
            f"{money(group['amount'])} of the {money(group['gross'])} overcharged. ")
