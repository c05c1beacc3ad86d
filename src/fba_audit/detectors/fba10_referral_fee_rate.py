"""Referral fees charged above the rate of the item's fee category.

## What it finds
SKUs whose referral fee per unit (settlement `Commission` lines of an order item, divided by its units) is higher
than the referral fee schedule gives for the item's category, by more than max($0.05, 1 % of the sales price).
The expected fee uses the schedule in force on the **charge date** and the total sales price per unit: item price
plus shipping and gift wrap charged to the buyer. Whole-price tiers (Clothing: 5 % up to $15, 10 % up to $20, 17 %
above), portion-based rates (Jewelry: 20 % of the part up to $250, 5 % of the rest) and the per-item minimum
($0.30) come from the rate card. When a promotion lowered what the buyer paid, the fee is computed with and without
the promotion and the **higher** one is expected, so the doubt never becomes a claim.

The category comes from your `products.csv` column `referral_category` (named as in the fee schedule; case, `&` for
`and` and Amazon's former names such as Personal Computers are read too, see docs/rate-cards.md): such findings can be
`claimable`. Without it, or when the name is no category (an input problem then names the closest ones), the Fee
Preview `product-group` is mapped to a category; a product group is not Amazon's fee category, so those findings are
always `review`. A category without a rate here, or a product group the map does not know, gives no finding (no guess).

Also `review`: charges from a Date Range report (its `selling fees` column includes variable closing fees),
categories whose rate is marked unverified, and charges a fee correction Amazon already paid covers in part. Fee
corrections are subtracted once, as FBA01 describes, after FBA01's fulfillment fee overcharges: a correction pays
referral fee overcharges only with what it has left. Order items that were refunded are skipped: the refund gives part of the referral fee back, so
the excess is no longer what was charged.

One finding per SKU and fee-schedule period for the charges inside the claim window; older charges form a separate
`expired` finding. The amount is the excess summed over the flagged charges (basis `fee_difference`).

### Outside the US
The UK, the EU stores (DE, FR, IT, ES; NL, BE and IE with the EU card assumed, so `review`) and Japan have their own
dated schedules (docs/rate-cards.md lists what each covers; SE and PL have none, their charges are listed as not
judged). There the rate applies to the price **with** VAT (consumption tax in Japan): the order's `Tax`,
`ShippingTax` and `GiftWrapTax` lines (the Date Range tax columns) are added to the sales price, so the same £15.00 +
£3.00 VAT clothing item pays 10 % of £18.00 in the UK where the US way (5 % of 15.00) would be wrong. Japan prints
its referral fees without the 10 % consumption tax Amazon adds to them: the expected fee includes it (every JP
finding is `review`). On the days two readings of a change hold (2026-01-05 .. 2026-01-31 for four UK/EU
categories) the higher fee is expected, so a charge either reading explains is never claimed. A category name your
products.csv gives that the store's schedule does not know (Pet Products in the UK) gives way to the product group.

### Digital Services Fee lines
FBA10 also judges each `DigitalServicesFee` line of a settlement, a claim kind of its own (ids with the DSF table
row, e.g. `FBA10:UK:SKU-1:dsf-2024-other:2026-03`, and their own message and case text): the DSF is a share of the
same referral and closing fees (and, in some stores, the FBA fees), set by the country your business is established
in and the store. Give that country with `--seller-country CN` (or `seller_country = "CN"` in account.toml);
without it the DSF lines are listed as not checked, never guessed. A DSF line more than one cent above every reading
of the table (each row in force that day, the two shares rounded apart or together) is a finding, always `review`:
it rests on the country you gave and on Amazon's published matrix, which Seller Support must confirm. It lives in
FBA10 rather than in a detector of its own because it is read from the same order lines and claimed through the
same fee channel.

## Why Amazon owes you
Amazon's "Referral Fees Reimbursement Policy" reimburses referral fees charged at the wrong rate, based on the rate in
effect on the date of the transaction. The request must list the transactions, the fee charged and the fee you
believe is correct with your rationale, and the category guidelines that place the product in that category; it
must be made within 90 calendar days of the date the fee was charged.
Source: https://sellercentral.amazon.com/gp/help/external/GRRJCFXD6474GRLY (rates: "Referral fees",
https://sellercentral.amazon.com/help/hub/reference/external/GTG4BAWSY39Z98Z3).

## Evidence to attach
- the order ids, dates, sales prices and referral fees listed in the finding (Transaction or settlement report)
- the referral fee you expect for each, and the fee category with the category guideline that places the product there
- for a Digital Services Fee: the orders with their fees and DSF lines, and your country of establishment as your
  account settings show it

## Claim window
{claim_window}
"""

from __future__ import annotations

import polars as pl

from fba_audit import ratecards as rc
from fba_audit.context import AuditContext
from fba_audit.coverage import Judged
from fba_audit.detectors import _dsf, _fees, fba01_fee_size_tier
from fba_audit.detectors._base import Detector, finding_id_str, to_findings
from fba_audit.reports.datasets import in_currency

CODE = "FBA10"
ITEM = "order item charged a referral fee (those not judged are listed per SKU)"
NO_CATEGORY = ("no referral category for the SKU: no referral_category in products.csv and no Fee Preview product "
               "group that maps to one")
NO_PRICE = "no sales price on the order item (no Principal line): nothing to compute the referral fee on"
REFUNDED = ("charged above the expected fee, but the order item was refunded: part of the fee was given back, and "
            "what is left cannot be told apart")
SELLER = "your products.csv"
# The columns of the Fee Preview and products.csv read here.
PREVIEW_COLUMNS = ("sku", "source_file", "source_line", "fnsku", "asin", "product_group")
PRODUCT_COLUMNS = ("sku", "source_file", "source_line", "referral_category")


def _category(fp: dict | None, prod: dict | None, ctx: AuditContext) -> tuple[str, str] | None:
    """(category, where it came from): the seller's own category first, else the inferred one. A seller's name the
    marketplace's schedules do not know (a category of another store: Pet Products in the UK) gives way to the
    product group; without one it stays, and its charges are listed as not judged (no rate for it)."""
    written = (prod["referral_category"] or "").strip() if prod else ""
    if written and rc.referral_category(written, marketplace=ctx.marketplace).known:
        return written, SELLER
    group = (fp["product_group"] or "").strip() if fp else ""
    category = rc.category_for_product_group(group, marketplace=ctx.marketplace) if group else None
    if category:
        return category, f"inferred from the Fee Preview product group '{group}'"
    return (written, SELLER) if written else None


def _categories(previews: pl.DataFrame, catalog: pl.DataFrame, ctx: AuditContext) -> pl.DataFrame:
    """sku, category, source: `_category` of every SKU with a Fee Preview or products.csv row and a category, worked
    out once per distinct product group and category text, not once per SKU."""
    def text(frame: pl.DataFrame, name: str) -> pl.Expr:
        return pl.col(name).cast(pl.String) if name in frame.columns else pl.lit(None, pl.String).alias(name)

    skus = previews.select("sku", text(previews, "product_group")).join(
        catalog.select("sku", text(catalog, "referral_category")), on="sku", how="full", coalesce=True)
    pairs = skus.select("product_group", "referral_category").unique()
    found = [_category({"product_group": group}, {"referral_category": category}, ctx)
             for group, category in pairs.iter_rows()]
    named = pairs.with_columns(category=pl.Series([f and f[0] for f in found], dtype=pl.String),
                               source=pl.Series([f and f[1] for f in found], dtype=pl.String))
    return skus.join(named, on=["product_group", "referral_category"], how="inner", nulls_equal=True).filter(
        pl.col("category").is_not_null()).select("sku", "category", "source")


def _best(gross, promo, units: int, category: tuple[str, str], on, ctx: AuditContext) -> tuple | None:
    """(sales price per unit, the referral fee expected on it), or None when nothing can be said."""
    if not gross or gross <= 0:
        return None  # no sales price on the order: nothing to compare with
    gross_pu, net_pu = gross / units, (gross + (promo or 0)) / units
    prices = [gross_pu] + ([net_pu] if 0 < net_pu != gross_pu else [])
    results = [rc.expected_referral_fee(category[0], p, marketplace=ctx.marketplace, on=on) for p in prices]
    if any(r.fee is None for r in results):
        return None  # category or date not in the schedule: never a guess
    # NOTE: with a promotion, the higher of the two fees is expected (benefit of the doubt to Amazon).
    return gross_pu, max(results, key=lambda r: r.fee)


def _expected(item: dict, category: tuple[str, str], ctx: AuditContext) -> dict | None:
    units, on = item["units"], item["posted_date"]
    found = _best(item["gross"], item["promo"], units, category, on, ctx)
    if found is None:
        return None
    gross_pu, best = found
    charged_pu = item["charged"] / units
    if charged_pu - best.fee <= _fees.tolerance(gross_pu, floor="0.05", share="0.01"):
        return None
    reasons = set()
    if category[1] != SELLER:
        reasons.add(f"the category is {category[1]}")
    if not best.verified:
        reasons.add(f"the {best.category} rate is marked unverified in {best.table_id}"
                    + (f" ({best.doubt})" if best.doubt else ""))
    if item["source_format"] == _fees.DATE_RANGE:
        reasons.add("the Date Range 'selling fees' column includes variable closing fees")
    if best.fee != best.fee_before_tax:
        reasons.add(f"the {ctx.marketplace} schedule prints fees without the tax on them; whether the Commission line "
                    "includes it was not seen in a real file (the tax is included in the expected fee)")
    return {
        "order_id": item["order_id"], "sku": item["sku"], "posted_date": on, "units": units, "price_pu": gross_pu,
        "charged_pu": charged_pu, "expected_pu": best.fee, "overcharge": item["charged"] - best.fee * units,
        "table_id": best.table_id, "reasons": reasons, "evidence": item["evidence"], "category": best.category,
        "taxed": best.price_includes_tax, "fee_tax": best.fee != best.fee_before_tax,
    }


def detect(*, transactions: pl.DataFrame, fee_preview: pl.DataFrame | None = None,
           products: pl.DataFrame | None = None, reimbursements: pl.DataFrame | None = None,
           sku_economics: pl.DataFrame | None = None, fulfilled_shipments: pl.DataFrame | None = None,
           ctx: AuditContext) -> Judged:
    # Referral fee charged per order item, with the total sales price (and promotions) of that item; where the
    # schedule's rates apply to the price with VAT or consumption tax (UK, EU, JP), with the taxes on them.
    taxed = rc.prices_include_tax(ctx.marketplace)
    items = _fees.order_items(transactions, ctx, fee="referral",
                              price=("gross", "promo", "tax", "promo_tax") if taxed else ("gross", "promo"))
    if taxed:
        items.frame = items.frame.with_columns(gross=pl.col("gross") + pl.col("tax"),
                                               promo=pl.col("promo") + pl.col("promo_tax"))
    previews = _fees.sku_rows(None if fee_preview is None else fee_preview.filter(
        (pl.col("amazon_store").is_null() | (pl.col("amazon_store") == ctx.marketplace)) & in_currency(ctx.currency)),
        PREVIEW_COLUMNS)
    catalog = catalog_frame = _fees.sku_rows(products, PRODUCT_COLUMNS)
    categories = _categories(previews, catalog, ctx)

    # The expected fee depends on the SKU's category, the sales price (and promotion) and the fee schedule of the
    # charge date only: it is looked up once per category, prices and fee regime, and only the order items charged
    # more than it plus the tolerance are kept.
    def limit(profile: tuple, on, amounts: list, units: int):
        if profile[0] is None:
            return NO_CATEGORY
        if not amounts[0] or amounts[0] <= 0:
            return NO_PRICE
        found = _best(amounts[0], amounts[1], units, profile, on, ctx)
        if found is None:  # the category or the date is not in the fee schedule: say which
            return rc.expected_referral_fee(profile[0], amounts[0] / units, marketplace=ctx.marketplace, on=on).reason
        return found[1].fee + _fees.tolerance(found[0], floor="0.05", share="0.01")

    unjudged: list[pl.DataFrame] = []
    candidates = _fees.over_limit(items.frame, "referral", ["gross", "promo"], ctx, categories, limit,
                                  not_judged=unjudged)
    # Refunded order items are not judged: part of the fee was given back, and what is left cannot be told apart.
    refunded = transactions.lazy().filter(
        (pl.col("transaction_type") == "Refund") & pl.col("amount_description").is_in(["Commission", "SellingFees"])
        & (pl.col("posted_date").is_null() | (pl.col("posted_date") <= ctx.as_of))
    ).select("order_id", "sku").unique().collect()
    unjudged.append(candidates.join(refunded, on=["order_id", "sku"], how="semi").with_columns(reason=pl.lit(REFUNDED)))
    # The Digital Services Fee lines, judged against the DSF table (a claim kind of its own, `_dsf`).
    dsf = _dsf.judge(transactions, refunded, ctx)
    candidates = candidates.join(refunded, on=["order_id", "sku"], how="anti")
    judged = items.frame.height - sum(frame.height for frame in unjudged)
    # Fee lines tied to no quantity were never order items of `items.frame` (`_fees.OrderItems.unjudged`).
    unjudged.append(items.unjudged)
    left_out = fba01_fee_size_tier.not_judged(pl.concat([
        frame.select("reason", pl.col("sku").cast(pl.String), "posted_date") for frame in (*unjudged, dsf.unjudged)]))
    flagged = items.with_evidence(candidates).sort(_fees.ITEM_KEYS)
    dsf_previews = _fees.one_per_sku(previews, pl.Series([c["sku"] for c in dsf.charges], dtype=pl.String))
    previews, catalog = (_fees.one_per_sku(frame, flagged["sku"]) for frame in (previews, catalog))
    categories = {row["sku"]: (row["category"], row["source"]) for row in _fees.one_per_sku(
        categories, flagged["sku"]).values()}
    # Those few are compared one by one (the check that decides, with the review reasons).
    charges = []
    for item in flagged.iter_rows(named=True):
        category = categories[item["sku"]]
        if (charge := _expected(item, category, ctx)) is not None:
            # The row the category came from is evidence too.
            source_row = catalog.get(item["sku"]) if category[1] == SELLER else previews.get(item["sku"])
            charges.append(charge | {"source": category[1],
                                     "ref": f"{source_row['source_file']}:{source_row['source_line']}"})
    # Fee corrections Amazon already paid pay for FBA01's fulfillment fee overcharges first, then for these, each once.
    shares = _fees.correction_shares(
        "referral", charges, _fees.fee_corrections(reimbursements, transactions, ctx),
        earlier=lambda: [c | {"fee": "fulfillment"} for c in fba01_fee_size_tier.overcharges(
            transactions=transactions, fee_preview=fee_preview, products=products, sku_economics=sku_economics,
            fulfilled_shipments=fulfilled_shipments, ctx=ctx)[0]],
    )
    rows = []
    for g in _fees.group_charges(CODE, ctx, charges, shares):
        fp, c = previews.get(g["sku"]), g["charges"][-1]
        charged = _fees.span([r["charged_pu"] for r in g["charges"]])
        expected = _fees.span([r["expected_pu"] for r in g["charges"]])
        review = "; review: " + "; ".join(g["reasons"]) if g["reasons"] else ""
        tax = "consumption tax" if ctx.marketplace == "JP" else "VAT"
        basis = (f"The sales prices include {tax}: in this store the referral fee is computed on the total sales "
                 f"price with {tax}. " if c["taxed"] else "")
        if c["fee_tax"]:
            basis += f"The expected fees include the {tax} Amazon adds to the referral fee. "
        rows.append({
            "finding_id": finding_id_str(CODE, ctx.marketplace, g["sku"], g["table_id"], g["period"]),
            "sku": g["sku"], "fnsku": fp and fp["fnsku"], "asin": fp and fp["asin"], "reference_id": fp and fp["asin"],
            "event_date": g["event_date"], "quantity": g["quantity"], "amount": g["amount"],
            "valuation_basis": "fee_difference", "needs_review": bool(g["reasons"]),
            "confidence": "high" if not g["reasons"] else ("medium" if c["source"] == SELLER else "low"),
            "message": (
                f"SKU {g['sku']} was charged {charged} per unit in referral fees on {g['quantity']} unit(s) from "
                f"{g['event_date']} to {g['last_date']}, but {c['category']} ({c['source']}) gives {expected} per "
                f"unit ({g['table_id']}): {_fees.money(g['amount'])} overcharged{review}."
            ),
            "evidence": _fees.join_refs(g["evidence"], c["ref"]),
            "case_text": (
                f"Please review the referral fees charged for SKU {g['sku']} (ASIN {fp and fp['asin'] or '-'}). "
                f"The product belongs in the fee category {c['category']}, whose rate on the sales prices below gives "
                f"{expected} per unit, but {charged} per unit was charged. Transactions: "
                f"{_fees.order_list(g['charges'])}. {basis}Total overcharge: {_fees.money(g['gross'])} {ctx.currency} on "
                f"{g['quantity']} unit(s). {_fees.correction_note(g)}Attached: the category guidelines that place the product in "
                f"{c['category']}. Please reimburse the difference under the Referral Fees Reimbursement Policy."
            ),
        })
    rows += _dsf.finding_rows(CODE, dsf, dsf_previews, ctx)
    frame = pl.DataFrame(rows, schema=_fees.FINDING_ROW_SCHEMA)
    notes = _schedule_notes(items.frame, ctx) + _foreign_names(catalog_frame, ctx) + dsf.notes
    return Judged(to_findings(frame, code=CODE, ctx=ctx), item=ITEM, judged=judged, not_checked=left_out,
                  notes=notes)


def _foreign_names(catalog: pl.DataFrame, ctx: AuditContext) -> tuple[str, ...]:
    """The note on products.csv categories another store knows but this one's schedules do not (products.csv does
    not say its store, so the loader accepted them)."""
    if "referral_category" not in catalog.columns:
        return ()
    written = catalog.get_column("referral_category").drop_nulls().unique().sort().to_list()
    foreign = [name for name in written if not rc.referral_category(name, marketplace=ctx.marketplace).known]
    if not foreign:
        return ()
    return (f"products.csv names referral categories the {ctx.marketplace} schedules do not know ("
            + ", ".join(foreign) + "): categories of another store. Their SKUs were judged by the Fee Preview product "
            "group (review) where it maps to a category, otherwise listed as not judged.",)


def _schedule_notes(items: pl.DataFrame, ctx: AuditContext) -> tuple[str, ...]:
    """What the coverage must say about the schedules the charges were judged on: those whose every row is
    unverified (their findings are all `review`, and a charge they clear is only cleared by an assumed rate)."""
    dates = items.get_column("posted_date").unique().drop_nulls().to_list()
    cards = {card.id: card for card in (rc.table_for("referral", ctx.marketplace, on) for on in dates) if card}
    return tuple(
        f"{ctx.marketplace} referral charges were judged on {card_id}, whose rates are all unverified (see "
        "docs/rate-cards.md): its findings are review, and a charge it clears is cleared only by an assumed rate."
        for card_id, card in sorted(cards.items()) if not card.data.get("verified", True))


DETECTOR = Detector(
    code=CODE, name="referral-fee-rate", family="fee", needs=("transactions",),
    # sku_economics: read only to see FBA01's overcharges as FBA01 does (fee corrections pay those first).
    optional=("fee_preview", "products", "reimbursements", "sku_economics", "fulfilled_shipments"), run=detect, doc=__doc__,
)
