"""FBA10's second claim kind: Digital Services Fee lines that do not match the DSF table.

Why inside FBA10 rather than a detector of its own: the DSF is a share of the very fees FBA10 reads (the referral
fee and the closing fees, and in some stores the FBA fees) on the same order lines, its claim goes to the same
Seller Support queue within the same fee window, and a detector is heavy in this codebase (registry, docs, fixtures,
readiness). So FBA10 judges the DSF lines too, with their own finding ids (the DSF table row instead of the
referral schedule), message and case text, and always as `review`: the rate rests on the country of establishment
the seller gave (`AuditContext.seller_country`) and on Amazon's published matrix, which Seller Support must confirm.

Only Order lines of a settlement are judged (V1 `item-related-fee-type`, V2 `amount-description`): Amazon writes
the DSF on the Selling on Amazon fees as `DigitalServicesFee` and, where the store adds one on FBA fees, either in
the same line or in a `DigitalServicesFeeFBA` line (the SP-API fee types; public P&L and ERP code maps both, and
Refund lines give `DigitalServicesFee` back), so an order item's DSF is the sum of both. The Date Range report
folds the DSF into its `other transaction fees` column (a public ERP's mapping), where it cannot be told apart: not
judged there. The DSF of an order item is an overcharge when it is above every reading of the table by more than one
cent: each row in force that day (two on the days a change's date is known only roughly) and each way of rounding
the two shares (apart or together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from fba_audit import digital_services_fee as dsf_table
from fba_audit.context import AuditContext
from fba_audit.detectors import _fees
from fba_audit.detectors._base import finding_id_str

DSF = ("DigitalServicesFee", "DigitalServicesFeeFBA")
# What the DSF is a share of (Amazon's announcement): "Selling on Amazon fees (referral, closing, fixed, ...)" and
# "FBA fees (fulfillment, shipping chargeback)". Gift-wrap chargebacks are counted with the FBA fees: the higher
# reading, so they never make an overcharge.
SELLING_FEES = ("Commission", "VariableClosingFee", "FixedClosingFee")
FBA_FEES = ("FBAPerUnitFulfillmentFee", "FBAPerOrderFulfillmentFee", "FBAWeightBasedFee", "ShippingChargeback",
            "GiftwrapChargeback")
NO_COUNTRY = ("Digital Services Fee: the country your business is established in is not given (--seller-country, "
              "or seller_country in account.toml); the DSF depends on it")
REFUNDED = ("Digital Services Fee on an order item that was refunded: part of it was given back, and what is left "
            "cannot be told apart")
ONE_CENT = Decimal("0.01")


@dataclass
class DsfJudged:
    charges: list[dict] = field(default_factory=list)  # the overcharged DSF lines, per order item
    unjudged: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"reason": pl.String, "sku": pl.String, "posted_date": pl.Date}))
    notes: tuple[str, ...] = ()


def _no_rate(ctx: AuditContext) -> str:
    return (f"Digital Services Fee: no rate in the DSF table for a seller established in {ctx.seller_country} "
            f"selling in the {ctx.marketplace} store on that date (see docs/rate-cards.md)")


def _items(transactions: pl.DataFrame, ctx: AuditContext) -> pl.DataFrame:
    """One row per order item with a DSF line: order_id, sku, posted_date (of the DSF line), dsf, selling, fba
    (charged, positive), units and evidence (the lines read)."""
    lines = _fees._order_lines(transactions, ctx).filter(
        (pl.col("source_format").fill_null("") != _fees.DATE_RANGE))
    fee = pl.col("amount_description")
    is_dsf = (pl.col("amount_type") == "ItemFees") & fee.is_in(DSF)
    orders = lines.filter(is_dsf).select("order_id").unique()
    read = lines.join(orders, on="order_id", how="semi").filter(
        ((pl.col("amount_type") == "ItemFees") & fee.is_in([*DSF, *SELLING_FEES, *FBA_FEES]))
        | ((pl.col("amount_type") == "ItemPrice") & (fee == "Principal")))

    def charged(names: list[str]) -> pl.Expr:
        return -pl.col("amount").filter((pl.col("amount_type") == "ItemFees") & fee.is_in(names)).sum()

    return read.with_columns(item=pl.col("order_item_code").fill_null("")).group_by(_fees.ITEM_KEYS).agg(
        posted_date=pl.col("posted_date").filter(is_dsf).min(),
        dsf=charged(list(DSF)), selling=charged(list(SELLING_FEES)), fba=charged(list(FBA_FEES)),
        units=pl.col("quantity_purchased").filter(fee == "Principal").sum(),
        evidence=pl.format("{}:{}", "source_file", "source_line").sort_by("source_file", "source_line")
        .unique(maintain_order=True).str.join("; "),
    ).filter(pl.col("posted_date").is_not_null()).with_columns(pl.col("sku").cast(pl.String)).collect().sort(
        "sku", "order_id", "item")


def _expected(selling: Decimal, fba: Decimal, rows: tuple[dsf_table.DsfRate, ...]) -> tuple[Decimal, object]:
    """The highest DSF any row and rounding gives, and the row that gives it."""
    def readings(rate: dsf_table.DsfRate) -> Decimal:
        apart = ((selling * rate.selling).quantize(ONE_CENT, ROUND_HALF_UP)
                 + (fba * rate.fba).quantize(ONE_CENT, ROUND_HALF_UP))
        together = (selling * rate.selling + fba * rate.fba).quantize(ONE_CENT, ROUND_HALF_UP)
        return max(apart, together)

    return max(((readings(rate), rate) for rate in rows), key=lambda pair: pair[0])


def judge(transactions: pl.DataFrame, refunded: pl.DataFrame, ctx: AuditContext) -> DsfJudged:
    """The DSF lines of the audit's marketplace judged against the table for `ctx.seller_country`."""
    items = _items(transactions, ctx)
    result = DsfJudged()
    if items.is_empty():
        return result
    left_out = []
    if ctx.seller_country is None:
        result.unjudged = items.select(reason=pl.lit(NO_COUNTRY), sku="sku", posted_date="posted_date")
        return result
    back = items.join(refunded.with_columns(pl.col("sku").cast(pl.String)), on=["order_id", "sku"], how="semi")
    left_out.append(back.select(reason=pl.lit(REFUNDED), sku="sku", posted_date="posted_date"))
    items = items.join(back.select(_fees.ITEM_KEYS), on=_fees.ITEM_KEYS, how="anti")
    judged = 0
    # NOTE: the table answers per day, and a month of orders has a few dozen days: looked up once per day.
    rates = {on: dsf_table.rates(ctx.seller_country, ctx.marketplace, on)
             for on in items.get_column("posted_date").unique().to_list()}
    no_rate = items.filter(pl.col("posted_date").is_in([on for on, found in rates.items() if not found]))
    left_out.append(no_rate.select(reason=pl.lit(_no_rate(ctx)), sku="sku", posted_date="posted_date"))
    for item in items.join(no_rate.select(_fees.ITEM_KEYS), on=_fees.ITEM_KEYS, how="anti").iter_rows(named=True):
        judged += 1
        expected, rate = _expected(item["selling"], item["fba"], rates[item["posted_date"]])
        if item["dsf"] - expected <= ONE_CENT:
            continue
        reasons = {f"the DSF rests on the country of establishment you gave ({ctx.seller_country}) and Amazon's "
                   "published matrix; check the country in your account settings and ask Seller Support to confirm "
                   "the rate"}
        if not rate.verified:
            reasons.add(f"the DSF row {rate.row} is marked unverified in digital_services_fee.toml")
        result.charges.append({
            "order_id": item["order_id"], "sku": item["sku"], "posted_date": item["posted_date"],
            "units": max(item["units"] or 0, 1), "charged": item["dsf"], "expected": expected,
            "selling": item["selling"], "fba": item["fba"], "overcharge": item["dsf"] - expected,
            "table_id": rate.row, "rate": rate, "reasons": reasons, "evidence": item["evidence"],
        })
    result.unjudged = pl.concat(left_out)
    result.notes = (f"Digital Services Fee: {judged} order item(s) with a DSF line judged against the DSF table for a "
                    f"seller established in {ctx.seller_country}.",) if judged else ()
    return result


def _share(rate: dsf_table.DsfRate) -> str:
    def percent(share: Decimal) -> str:
        return f"{(share * 100).normalize():f} %"

    if not rate.selling and not rate.fba:
        return "no DSF"
    text = f"{percent(rate.selling)} of the Selling on Amazon fees"
    return text + (f" and {percent(rate.fba)} of the FBA fees" if rate.fba else "")


def finding_rows(code: str, judged: DsfJudged, previews: dict[str, dict], ctx: AuditContext) -> list[dict]:
    """One finding row per SKU, DSF table row, month and window state (`_fees.group_charges`)."""
    rows = []
    # NOTE: fee corrections are not spread over DSF lines: they name referral and fulfilment fees.
    for g in _fees.group_charges(code, ctx, judged.charges, [[] for _ in judged.charges]):
        fp, rate = previews.get(g["sku"]), g["charges"][-1]["rate"]
        listed = "; ".join(
            f"{r['order_id']} (on {r['posted_date']}, selling fees {_fees.money(r['selling'])}, FBA fees "
            f"{_fees.money(r['fba'])}, DSF charged {_fees.money(r['charged'])}, expected {_fees.money(r['expected'])})"
            for r in g["charges"])
        charged = _fees.money(sum((r["charged"] for r in g["charges"]), Decimal(0)))
        expected = _fees.money(sum((r["expected"] for r in g["charges"]), Decimal(0)))
        items = len(g["charges"])
        rows.append({
            "finding_id": finding_id_str(code, ctx.marketplace, g["sku"], g["table_id"], g["period"]),
            "sku": g["sku"], "fnsku": fp and fp["fnsku"], "asin": fp and fp["asin"], "reference_id": fp and fp["asin"],
            "event_date": g["event_date"], "quantity": g["quantity"], "amount": g["amount"],
            "valuation_basis": "fee_difference", "needs_review": True, "confidence": "medium",
            "message": (
                f"SKU {g['sku']} was charged {charged} in Digital Services Fees on {items} order item(s) from "
                f"{g['event_date']} to {g['last_date']}, but for a seller established in {ctx.seller_country} the "
                f"{ctx.marketplace} store's DSF is {_share(rate)} ({g['table_id']}): {expected} expected, "
                f"{_fees.money(g['amount'])} overcharged; review: " + "; ".join(g["reasons"]) + "."
            ),
            "evidence": _fees.join_refs(g["evidence"]),
            "case_text": (
                f"Please review the Digital Services Fees charged on the orders below for SKU {g['sku']} (ASIN "
                f"{fp and fp['asin'] or '-'}). Our business is established in {ctx.seller_country}; for a seller "
                f"established there, the Digital Services Fee in this store is {_share(rate)} (Amazon's 'Digital "
                f"services fee' announcement, effective 2024-10-01, and its later changes). Transactions: {listed}. "
                f"Total overcharge: {_fees.money(g['gross'])} {ctx.currency} on {items} order item(s). Please refund "
                "the difference, or tell us which country of establishment your records hold for our account."
            ),
        })
    return rows
