"""FBA fulfillment fees charged at a larger size or weight tier than the item has.

## What it finds
SKUs whose per-unit FBA fulfillment fee (settlement lines `FBAPerUnitFulfillmentFee`, divided by the units of the
order item) is higher than the fee Amazon's rate card gives for the item, by more than max($0.05, 2 %). The expected
fee is computed with the rate card in force on the **charge date** (a charge before 2026-01-15 is judged against the
2025 table, a charge in a holiday peak against the peak table, a charge from 2026-04-17 with the 3.5 % fuel and
logistics surcharge), at the price band of the item price of that order, from:

- your own packaged dimensions and weight in `products.csv` (`length`, `width`, `height`, `dimension_unit`,
  `weight`, `weight_unit`), when given; otherwise
- Amazon's own measurements in the Fee Preview (`longest-side`, `median-side`, `shortest-side`,
  `item-package-weight`).

Fees that the reports do not show are never claimed:

- the **low-inventory-level fee**, which Amazon adds to the same fee line in weeks an item's stock runs low. With
  the SKU Economics report (generated with "Fulfillment base rate and surcharges") it is taken out of the charge and
  the rest is judged; without it, up to its highest rate for the item is left out of the amount, and a difference it
  could explain on its own is `review`;
- the 2026 **bulky packaging fee** (bulky items not SIPP-certified; say `sipp_certified` = yes or no in
  `products.csv` if you know) and the **Overmax handling fee** (extra-large items over 96 in long or 130 in length +
  girth): a charge they explain is not an overcharge.

Status:

- `claimable` when your dimensions put the item in a **smaller size tier** than Amazon's measurements do (its
  measurements explain the charge; yours show it is wrong);
- `review` when only Amazon's own data is inconsistent (its measurements imply a lower fee than it charged), when
  your dimensions give the same tier and only the weight differs, when a rate-card value is marked unverified (bulky
  and extra-large rows), when the item is bulky or extra-large (Amazon may add fees the reports do not show), when
  the low-inventory-level fee could explain the difference, when the charge comes from a Date Range report (its
  `fba fees` column is the sum of the order line's FBA fees, not the per-unit fee alone), when the item price came
  from the Fee Preview, or when a fee correction Amazon already paid covers part of the charges (see below).

Outside the US (UK, DE, FR, IT, ES, NL, SE, PL, BE, Japan; Canada for Remote Fulfillment) several fees could
apply to one charge: the settlement line does not say whether the unit shipped from local stock, by EFN from another
country, by remote fulfilment across the Channel or (Germany) from the stock of a seller outside the Central Europe
Programme, nor Amazon's fee category (the "selected" categories' parcel tiers on unit weight) or whether the
low-price rate applied. The charge is judged against the **cheapest** of those fees (`review`, with every fee that
could apply listed); only the part above the **most expensive** one, when every one is known and it rests on
verified rows, may be `claimable`. Rows the research behind the cards could not confirm (2025, NL/SE/PL/BE, Japan,
Canada, low-price, special oversize, per-kg increments), oversize units, standard-size units in DE/FR/IT/ES (the
Pan-EU low-inventory fee is not held) and Canadian charges (the domestic table is not held) are `review`; the
charges of a peak whose amounts are not known are not judged. The coverage notes name the rate cards (verified,
partly verified, unverified, none) for the charge dates. See docs/rate-cards.md, "Fulfilment fees outside the US".

With the **Amazon Fulfilled Shipments** report in the folder, the fulfilment centre that shipped an order item
(`fulfillment-center-id`, mapped to its country) narrows the fees that could apply in the UK and EU: same country as
the store, the local columns; UK to or from the EU, the remote column; another EU country, EFN (and the local
column a Pan-EU offer pays). A charge above the most expensive of those, on verified rows, may then be `claimable`.
A centre code fba-audit does not know leaves the item on every column; the coverage notes count such items and
name the codes.

Fee corrections Amazon already paid (Reimbursements `FeeCorrection`, settlement `INCORRECT_FEES_ITEMS` /
`INCORRECT_FEES_NON_ITEMIZED`, Date Range `Fee Correction`) are subtracted once: one that names an order pays that
order's charges, one that names only the SKU pays its charges up to its date, oldest first, and never more than the
overcharge. They pay FBA fulfillment fee overcharges before referral fee ones (FBA10 gets what is left). A
correction that names neither could have paid anything before its date: the oldest charges it could cover, up to its
amount, become `review` without being subtracted.

One finding per SKU and rate-card period, for the charges still inside the claim window; charges past it are
grouped in a separate `expired` finding so you see what late filing costs. The amount is the overcharge summed
over the flagged charges (basis `fee_difference`).

Not checked (each listed per SKU with its reason): in the US, apparel (Fee Preview product group `Apparel` or your
category `Clothing and Accessories`; in the UK and EU it is on the selected-category tiers) and dangerous goods have
their own rate cards, which fba-audit does not hold; charges dated before the first rate card held (US: 2025-01-15)
or in a marketplace without one (Ireland, Mexico); items with no measurements or no price (see docs/rate-cards.md).
A dangerous-goods item can look overcharged here: do not file for hazmat items.

## Why Amazon owes you
Amazon's "FBA fees reimbursement policy: Weight and dimensions" says Amazon will reimburse FBA fees it confirms were
charged using inaccurate weight or dimensions. Amazon's verified measurement governs, so the claim needs proof: the
item's dimensions and weight in its packaging, photos of a unit with the same FNSKU on a scale and next to a ruler
or tape measure, and the transactions charged. One request per fee charge, within 90 days of the charge.
Source: https://sellercentral.amazon.com/help/hub/reference/external/GL7U4JFSDXUTQAJ (fee table: "FBA fulfillment
fees", https://sellercentral.amazon.com/help/hub/reference/external/GPDC3KPYAGDTVDJP).

## Evidence to attach
- the order ids, charge dates and per-unit fees listed in the finding (settlement or transaction report lines)
- the item's packaged dimensions and weight, with photos of a unit on a scale and with a ruler or tape measure
- the Fee Preview row showing Amazon's measurements and size tier
- the SKU Economics row of the period, where it split the charge into base fee, fuel and logistics surcharge and
  low-inventory-level fee (listed in the evidence)

Amazon may refuse further claims after a pattern of claims where its measurements prove right: measure before
filing.

## Claim window
{claim_window}
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from fba_audit import ratecards as rc
from fba_audit import fulfilment_centres, ratecards_fulfilment
from fba_audit.context import AuditContext
from fba_audit.coverage import Judged
from fba_audit.detectors import _fees
from fba_audit.detectors._base import Detector, finding_id_str, to_findings
from fba_audit.reports.datasets import in_currency

CODE = "FBA01"
APPAREL_GROUPS = {"apparel"}
APPAREL_CATEGORIES = {"clothing and accessories"}
# The columns of the Fee Preview and products.csv read here.
PREVIEW_COLUMNS = ("sku", "source_file", "source_line", "fnsku", "asin", "product_group", "your_price", "sales_price",
                   "longest_side", "median_side", "shortest_side", "unit_of_dimension", "item_package_weight",
                   "unit_of_weight", "product_size_tier")
PRODUCT_COLUMNS = ("sku", "source_file", "source_line", "length", "width", "height", "dimension_unit", "weight",
                   "weight_unit", "referral_category", "sipp_certified")
# products.csv `sipp_certified` (yes / no in any case; the loader rejects other values); empty is "not known".
SIPP_YES, SIPP_NO = ("yes",), ("no",)
BULKY_TIERS = ("small_bulky", "large_bulky", "extra_large")
NORTH_AMERICA = ("US", "CA", "MX")  # one fee per charge, on the US tier structure
ITEM = "order item charged an FBA fulfillment fee (those not judged are listed per SKU)"


def _tier_rank(table_id: str | None, tier: str | None, ctx: AuditContext, on) -> int | None:
    card = rc.table_for("fulfillment", ctx.marketplace, on)
    names = ratecards_fulfilment.tier_names(card) if card is not None and card.id == table_id else []
    return names.index(tier) if tier in names else None


def _label(tier: str | None) -> str:
    return "an unknown tier" if tier is None else tier.replace("_", " ")


def _price(principal, units: int, fp: dict | None) -> tuple[object, bool] | None:
    """(item price per unit, whether it came from the Fee Preview), or None when there is none."""
    return _price_or_listed(principal, units, _listed(fp))


def _listed(fp: dict | None) -> tuple:
    """The Fee Preview prices `_price` falls back on: (your price, sales price); (None, None) without a row."""
    return (fp["your_price"], fp["sales_price"]) if fp is not None else (None, None)


def _price_or_listed(principal, units: int, listed: tuple) -> tuple[object, bool] | None:
    if principal:
        return principal / units, False
    if listed[0] or listed[1]:
        return listed[0] or listed[1], True
    return None


def _sipp(value: object) -> bool | None:
    """What products.csv says of SIPP certification: True, False or None (not said)."""
    text = str(value or "").strip().lower()
    return True if text in SIPP_YES else False if text in SIPP_NO else None


def _measures(fp: dict | None, prod: dict | None) -> tuple:
    """(Amazon's measurements, your dimensions, apparel, SIPP-certified, category): the size arguments of
    `rc.expected_fulfillment_fee` (length, width, height, unit, weight, unit; None when not given in full), whether
    the item is apparel, what products.csv says of its SIPP certification (None: not said) and its category
    (outside North America it decides the tier set and low-price eligibility)."""
    apparel = bool(fp and (fp["product_group"] or "").strip().lower() in APPAREL_GROUPS) or bool(
        prod and (prod["referral_category"] or "").strip().lower() in APPAREL_CATEGORIES)
    amazon = (fp["longest_side"], fp["median_side"], fp["shortest_side"], fp["unit_of_dimension"],
              fp["item_package_weight"], fp["unit_of_weight"]) if fp else None
    seller = (prod["length"], prod["width"], prod["height"], prod["dimension_unit"], prod["weight"],
              prod["weight_unit"]) if prod else None
    amazon, seller = (None if m is None or any(v is None for v in m) else m for m in (amazon, seller))
    return (amazon, seller, apparel, _sipp(prod.get("sipp_certified")) if prod else None,
            (prod.get("referral_category") or None) if prod else None)


_AMAZON_SIZE = ("longest_side", "median_side", "shortest_side", "unit_of_dimension", "item_package_weight",
                "unit_of_weight")
_SELLER_SIZE = ("length", "width", "height", "dimension_unit", "weight", "weight_unit")


def _profiles(previews: pl.DataFrame, catalog: pl.DataFrame, *, categories: bool) -> pl.DataFrame:
    """Per SKU, in columns, what `_listed` and `_measures` give from its Fee Preview and products.csv rows (the
    profile `_fees.over_limit` groups SKUs by): your price, sales price, Amazon's size and yours (each all null
    unless given in full), whether the item is apparel, and with `categories` (outside North America, where the
    fee depends on it) its category name."""
    def given(frame: pl.DataFrame, names: tuple[str, ...], prefix: str) -> list[pl.Expr]:
        present = [pl.col(n) if n in frame.columns else pl.lit(None) for n in names]
        complete = pl.all_horizontal([value.is_not_null() for value in present])
        return [pl.when(complete).then(value).alias(f"{prefix}{i}") for i, value in enumerate(present)]

    def lowered(frame: pl.DataFrame, name: str) -> pl.Expr:
        return pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase() if name in frame.columns else pl.lit(None)

    fee = previews.select(
        "sku", *(pl.col(n) if n in previews.columns else pl.lit(None).alias(n) for n in ("your_price", "sales_price")),
        *given(previews, _AMAZON_SIZE, "_amazon"), _group=lowered(previews, "product_group").is_in(APPAREL_GROUPS))
    sipp = lowered(catalog, "sipp_certified")
    own = catalog.select("sku", *given(catalog, _SELLER_SIZE, "_seller"),
                         _category=lowered(catalog, "referral_category").is_in(APPAREL_CATEGORIES),
                         _category_name=pl.col("referral_category").cast(pl.String)
                         if categories and "referral_category" in catalog.columns else pl.lit(None, pl.String),
                         _sipp=pl.when(sipp.is_in(SIPP_YES)).then(True).when(sipp.is_in(SIPP_NO)).then(False))
    return fee.join(own, on="sku", how="full", coalesce=True).with_columns(
        _apparel=pl.col("_group").fill_null(False) | pl.col("_category").fill_null(False),
    ).select("sku", "your_price", "sales_price", *(f"_amazon{i}" for i in range(6)),
             *(f"_seller{i}" for i in range(6)), "_apparel", "_sipp", "_category_name")


def _from_profile(profile: tuple) -> tuple[tuple, tuple]:
    """A `_profiles` row (less the SKU) as (`_listed`, `_measures`)."""
    your_price, sales_price, *sizes, apparel, sipp, category = profile
    amazon, seller = tuple(sizes[:6]), tuple(sizes[6:])
    return (your_price, sales_price), (None if amazon[0] is None else amazon, None if seller[0] is None else seller,
                                       bool(apparel), sipp, category)


def _bases(measures: tuple, price, on, ctx: AuditContext, *, amazon_too: bool = True,
           columns: frozenset[str] | None = None) -> tuple:
    """(Amazon's, yours, the one the charge is judged on): the expected fee from Amazon's measurements and from
    your dimensions (each None when not given or not convertible); yours when it gives a fee. Without `amazon_too`,
    Amazon's is left out (None) when yours gives a fee. `columns`: the fee columns the shipping centre leaves."""
    amazon_size, seller_size, apparel, sipp, category = measures

    def compute(size: tuple | None, columns: frozenset[str] | None) -> rc.FeeResult | None:
        if size is None:
            return None
        try:
            return rc.expected_fulfillment_fee(*size, price, marketplace=ctx.marketplace, on=on, apparel=apparel,
                                               sipp_certified=sipp, category=category, columns=columns)
        except ValueError:
            return None  # a unit the rate card cannot convert (e.g. "mm"): no basis rather than a guess

    seller = compute(seller_size, columns)
    if seller is not None and seller.fee is not None:
        # Amazon's measurements then only say its tier: on every column, as the narrowed ones may not price it.
        return (compute(amazon_size, None) if amazon_too else None), seller, seller
    amazon = compute(amazon_size, columns)
    return amazon, seller, amazon


def _upper(basis: rc.FeeResult) -> Decimal:
    """The highest fee the card explains: the fee plus the fees the reports cannot show (bulky packaging, Overmax)."""
    return basis.fee_with_extras if basis.fee_with_extras is not None else basis.fee


def _route(shipped_from: tuple[tuple[str, ...], frozenset[str]] | None, ctx: AuditContext, on) -> frozenset[str] | None:
    """The fee columns an item shipped from those countries can be on (None: any, as without the report)."""
    card = rc.table_for("fulfillment", ctx.marketplace, on) if shipped_from else None
    if card is None or card.data.get("system") != "eu":
        return None
    names = [c["name"] for c in card.data["columns"]]
    routes = [fulfilment_centres.route_columns(ctx.marketplace, origin, names) for origin in shipped_from[1]]
    # A unit split over centres of several countries may be on any of their columns.
    return None if any(r is None for r in routes) else frozenset().union(*routes)


def _joined_labels(candidates: tuple) -> str:
    labels = sorted({c.label for c in candidates})
    return " and ".join(labels) if len(labels) < 3 else ", ".join(labels[:-1]) + " or " + labels[-1]


def _expected(item: dict, fp: dict | None, prod: dict | None, ctx: AuditContext, low_inventory: LowInventory,
              shipped_from: tuple[tuple[str, ...], frozenset[str]] | None = None) -> dict | None:
    """The expected fee for one charged order item, or None when nothing can be said or the charge is explained.
    `shipped_from`: (the centre codes, their countries) of the item in the Amazon Fulfilled Shipments report."""
    units, on = item["units"], item["posted_date"]
    reasons, notes = set(), set()
    found = _price(item["principal"], units, fp)
    if found is None:
        return None
    price, from_preview = found
    if from_preview:
        reasons.add("the item price was taken from the Fee Preview (no Principal line for the order)")
    columns = _route(shipped_from, ctx, on)
    amazon, seller, basis = _bases(_measures(fp, prod), price, on, ctx, columns=columns)
    if basis is None or basis.fee is None:
        return None  # no table, apparel or no tier fits: counted as not judged by `detect`, never a guess
    if columns is not None and basis.columns:
        codes, countries = shipped_from
        notes.add(f"the Amazon Fulfilled Shipments report shows it shipped from {', '.join(codes)} "
                  f"({', '.join(sorted(countries))}): only the fees of "
                  + _joined_labels(basis.columns) + " could apply")
    upper = _upper(basis)
    charged_pu = item["charged"] / units
    # The low-inventory-level fee is inside the charged line: where SKU Economics gives it, the rest is judged alone.
    lil_pu, lil_ref = low_inventory.per_unit(item["sku"], on)
    excess_pu = charged_pu - (lil_pu or 0) - upper
    tolerance = _fees.tolerance(upper, floor="0.05", share="0.02")
    if excess_pu <= tolerance:
        return None
    # Amazon's tier: from its measurements, else from the Fee Preview size-tier code.
    amazon_tier = amazon.tier.tier if amazon is not None and amazon.tier is not None else (
        rc.tier_for_size_tier_code(fp["product_size_tier"] or "", marketplace=ctx.marketplace) if fp else None)
    verified = basis.verified
    reasons.update(basis.doubts)
    if basis.columns:
        # Several fees could apply (UK, EU, JP): judged against the cheapest, which rests on a guess (`review`),
        # unless the charge is above the most expensive on verified rows: that part is owed whichever applied.
        highest = basis.highest_fee
        over_highest = None if highest is None else charged_pu - (lil_pu or 0) - highest
        if over_highest is not None and basis.highest_verified and over_highest > _fees.tolerance(
                highest, floor="0.05", share="0.02"):
            if highest != upper:
                names = {c.with_extras: c.name for c in basis.columns}
                notes.add(f"judged against the most expensive fee that could apply, {_fees.money(highest)} "
                          f"({names[highest]}); the cheapest is {_fees.money(upper)} ({names[upper]})")
            upper, excess_pu, verified = highest, over_highest, True
        else:
            reasons.update(basis.guesses)
    if basis is seller:
        mine = _tier_rank(basis.table_id, seller.tier.tier, ctx, on)
        theirs = _tier_rank(basis.table_id, amazon_tier, ctx, on)
        if theirs is None:
            reasons.add("Amazon's size tier for the item is unknown")
        elif mine == theirs:
            reasons.add("your dimensions give the same size tier as Amazon's; only the weight band differs")
        elif mine > theirs:
            reasons.add("Amazon's own measurements give a smaller tier than your dimensions, yet it charged more")
    else:
        reasons.add("only Amazon's own measurements disagree with the charge (no dimensions in products.csv)")
    if not verified:
        reasons.add(f"a rate-card value used ({basis.table_id}) is marked unverified")
    if basis.tier.tier.startswith(BULKY_TIERS):
        reasons.add("a bulky or extra-large charge above the rate card may hold fees the reports do not show "
                    "(packaging, Overmax handling)")
    if basis.extras:
        notes.add("the expected fee includes the " + " and the ".join(
            f"{name}, {_fees.money(amount)}" for name, amount in basis.extras))
    if lil_pu:
        notes.add("the low-inventory-level fee that SKU Economics shows in the charge is left out")
    overcharge_pu = excess_pu
    # Without SKU Economics the low-inventory-level fee Amazon may have added is unknown: the highest it can be for
    # Amazon's tier or the item's is never claimed, and a difference it could explain is only `review`.
    allowance = max((r.low_inventory_fee_up_to for r in (basis, amazon) if r is not None
                     and r.low_inventory_fee_up_to is not None), default=None)
    if lil_pu is None and allowance is not None:
        if excess_pu - allowance <= tolerance:
            reasons.add(f"the difference may be the low-inventory-level fee (up to {_fees.money(allowance)} per unit, "
                        "added to this fee line in weeks of low stock); the SKU Economics report would tell")
        else:
            overcharge_pu = excess_pu - allowance
            notes.add(f"up to {_fees.money(allowance)} per unit that may be the low-inventory-level fee is left out")
    if item["source_format"] == _fees.DATE_RANGE:
        reasons.add("the Date Range 'fba fees' column may include other FBA fees of the order line")
    return {
        "order_id": item["order_id"], "sku": item["sku"], "posted_date": on, "units": units,
        "charged_pu": charged_pu, "expected_pu": upper, "overcharge": overcharge_pu * units,
        "table_id": basis.table_id, "reasons": reasons, "notes": notes,
        "evidence": _fees.join_refs(item["evidence"], lil_ref),
        "basis": "your dimensions" if basis is seller else "Amazon's measurements", "tier": basis.tier.tier,
        "amazon_tier": amazon_tier,
    }


def _shipment_centres(fulfilled_shipments: pl.DataFrame | None, ctx: AuditContext) -> pl.DataFrame | None:
    """Per order item (order_id, sku) of the store, the centre codes that shipped it and their countries (null: a
    code not in `fulfilment_centres`); None when there is nothing to narrow (no report, or North America)."""
    if fulfilled_shipments is None or ctx.marketplace in NORTH_AMERICA or fulfilled_shipments.is_empty():
        return None
    rows = fulfilled_shipments.filter(in_currency(ctx.currency) & pl.col("fulfillment_center_id").is_not_null())
    code = pl.col("fulfillment_center_id").cast(pl.String).str.strip_chars().str.to_uppercase()
    return rows.select(order_id=pl.col("amazon_order_id").cast(pl.String), sku=pl.col("sku").cast(pl.String),
                       code=code, country=code.replace_strict(fulfilment_centres.countries(), default=None,
                                                              return_dtype=pl.String))


def _shipped_from(fulfilled_shipments: pl.DataFrame | None, flagged: pl.DataFrame,
                  ctx: AuditContext) -> dict[tuple[str, str], tuple[tuple[str, ...], frozenset[str]]]:
    """(order_id, sku) -> (the centre codes, their countries), for the flagged items whose every shipping centre
    is in the table (one unknown code leaves the item on every column)."""
    centres = _shipment_centres(fulfilled_shipments, ctx)
    if centres is None or flagged.is_empty():
        return {}
    keys = flagged.select(pl.col("order_id").cast(pl.String), pl.col("sku").cast(pl.String)).unique()
    grouped = centres.join(keys, on=["order_id", "sku"], how="semi").group_by("order_id", "sku").agg(
        pl.col("code").unique().sort(), pl.col("country"))
    return {(r["order_id"], r["sku"]): (tuple(r["code"]), frozenset(r["country"]))
            for r in grouped.iter_rows(named=True) if None not in r["country"]}


def _shipment_notes(charged: pl.DataFrame, fulfilled_shipments: pl.DataFrame | None,
                    ctx: AuditContext) -> tuple[str, ...]:
    """How many charged order items the Amazon Fulfilled Shipments report placed, and the centre codes whose country
    is not known (those items are judged against every fee column, as without the report)."""
    centres = _shipment_centres(fulfilled_shipments, ctx)
    if centres is None:
        return ()
    items = charged.select(pl.col("order_id").cast(pl.String), pl.col("sku").cast(pl.String)).unique()
    shipped = centres.join(items, on=["order_id", "sku"], how="semi")
    per_item = shipped.group_by("order_id", "sku").agg(known=pl.col("country").is_not_null().all())
    unknown = sorted(shipped.filter(pl.col("country").is_null())["code"].unique().to_list())
    placed = per_item["known"].sum()
    note = (f"Amazon Fulfilled Shipments: {placed} of {items.height} order items charged an FBA fulfillment fee "
            f"placed by the country of the centre that shipped them (fee columns narrowed)")
    if unknown:
        note += (f"; {per_item.height - placed} shipped from centres whose country fba-audit does not know "
                 f"({', '.join(unknown)}): judged against every fee column that could apply")
    return (note + ".",)


class LowInventory:
    """The low-inventory-level fee per unit the SKU Economics report gives for a SKU and day.

    Only rows generated with the fee components (a `Base fulfillment fee total`) tell: there a blank fee means none
    was charged. The period's fee total over its quantity is Amazon's own per-unit figure: applied to each charge of
    the period, the period's total comes out exact. Where a week and a month both cover the day, the week is used.
    """

    def __init__(self, sku_economics: pl.DataFrame | None, skus: pl.Series, ctx: AuditContext) -> None:
        self._rows: dict[str, list[tuple]] = {}
        if sku_economics is None:
            return
        store = pl.col("amazon_store").is_null() | (pl.col("amazon_store") == ctx.marketplace)
        rows = sku_economics.filter(
            store & in_currency(ctx.currency) & pl.col("base_fee_total").is_not_null()
            & pl.col("sku").cast(pl.String).is_in(skus.cast(pl.String).unique().implode())
        ).select(
            pl.col("sku").cast(pl.String), "start_date", "end_date", "low_inventory_fee_total",
            "low_inventory_fee_quantity", ref=pl.format("{}:{}", "source_file", "source_line"),
        ).sort("sku", "start_date", "end_date", "ref")
        for sku, start, end, total, quantity, ref in rows.iter_rows():
            per_unit = total / quantity if total and quantity else Decimal(0)
            self._rows.setdefault(sku, []).append(((end - start).days, start, end, per_unit, ref))
        for periods in self._rows.values():
            periods.sort(key=lambda p: (p[0], p[1], p[4]))

    def per_unit(self, sku: str, on) -> tuple[Decimal | None, str | None]:
        """(fee per unit, `file:line` of the row) for a charge of `sku` on `on`; (None, None): not known."""
        return next(((per_unit, ref) for _, start, end, per_unit, ref in self._rows.get(sku, ())
                     if start <= on <= end), (None, None))


def detect(*, transactions: pl.DataFrame, fee_preview: pl.DataFrame, products: pl.DataFrame | None = None,
           reimbursements: pl.DataFrame | None = None, sku_economics: pl.DataFrame | None = None,
           fulfilled_shipments: pl.DataFrame | None = None, ctx: AuditContext) -> Judged:
    findings, left_out, judged = assess(transactions=transactions, fee_preview=fee_preview, products=products,
                                        reimbursements=reimbursements, sku_economics=sku_economics,
                                        fulfilled_shipments=fulfilled_shipments, ctx=ctx)
    return Judged(findings, item=ITEM, judged=judged, not_checked=left_out,
                  notes=_card_notes(transactions, ctx) + overcharges(
                      transactions=transactions, fee_preview=fee_preview, products=products,
                      sku_economics=sku_economics, fulfilled_shipments=fulfilled_shipments, ctx=ctx)[5])


def _card_notes(transactions: pl.DataFrame, ctx: AuditContext) -> tuple[str, ...]:
    """Outside the US, which rate cards (verified, partly, unverified or none) covered the charge dates: there most
    rows are unverified or missing, and the run says so beside the findings (docs/rate-cards.md, coverage)."""
    if ctx.marketplace == "US":
        return ()
    dates = transactions.filter(
        pl.col("amount_description").is_in(list(_fees.FEES["fulfillment"].values())) & in_currency(ctx.currency)
        & (pl.col("posted_date") <= ctx.as_of)
    ).select(first=pl.col("posted_date").min(), last=pl.col("posted_date").max())
    first, last = dates.row(0)
    return () if first is None else (ratecards_fulfilment.coverage_note(ctx.marketplace, first, last),)


def _no_fee_reason(size: tuple, found, basis: rc.FeeResult | None) -> str:
    """Why a charge gets no expected fee, in the words the run shows."""
    if found is None:
        return "no item price (no Principal line for the order and no price in the Fee Preview)"
    if size[0] is None and size[1] is None:
        return "no measurements (no dimensions in products.csv and none in the Fee Preview)"
    if basis is None:
        return "the dimensions or weight are in a unit fba-audit cannot convert"
    return basis.reason or "no rate-card fee"


def not_judged(items: pl.DataFrame) -> pl.DataFrame:
    """Order items without an expected fee (with `reason`) -> one row per reason and SKU: `reason` and `item`
    (`SKU: N charges, first..last`), the columns of `fba_audit.coverage.NOT_CHECKED_SCHEMA`."""
    return items.group_by("reason", pl.col("sku").cast(pl.String)).agg(
        charges=pl.len(), first=pl.col("posted_date").min(), last=pl.col("posted_date").max(),
    ).select(
        "reason", item=pl.format("{}: {} charge(s), {} to {}", "sku", "charges", "first", "last"),
    ).sort("reason", "item")


def assess(*, transactions: pl.DataFrame, fee_preview: pl.DataFrame, products: pl.DataFrame | None = None,
           reimbursements: pl.DataFrame | None = None, sku_economics: pl.DataFrame | None = None,
           fulfilled_shipments: pl.DataFrame | None = None,
           ctx: AuditContext) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(findings, the charges not judged per reason and SKU as `not_judged` gives them, order items judged).

    `detect` hands the not-judged frame to the coverage channel (`fba_audit.coverage`), with `ITEM` as what one
    judged item is (tests/detectors/test_fba01_coverage.py tests it in detail).
    """
    charges, previews, catalog, left_out, judged, _ = overcharges(
        transactions=transactions, fee_preview=fee_preview, products=products, sku_economics=sku_economics,
        fulfilled_shipments=fulfilled_shipments, ctx=ctx)
    # Fee corrections Amazon already paid pay for these first (before FBA10's), each once.
    shares = _fees.correction_shares("fulfillment", charges, _fees.fee_corrections(reimbursements, transactions, ctx))
    rows = []
    for g in _fees.group_charges(CODE, ctx, charges, shares):
        fp, prod, c = previews.get(g["sku"]), catalog.get(g["sku"]), g["charges"][-1]
        charged = _fees.span([r["charged_pu"] for r in g["charges"]])
        expected = _fees.span([r["expected_pu"] for r in g["charges"]])
        review = "; review: " + "; ".join(g["reasons"]) if g["reasons"] else ""
        notes = sorted(set().union(*(r["notes"] for r in g["charges"])))
        noted = " (" + "; ".join(notes) + ")" if notes else ""
        yours = (f"{prod['length']:g} x {prod['width']:g} x {prod['height']:g} {prod['dimension_unit']}, "
                 f"{prod['weight']:g} {prod['weight_unit']}") if c["basis"] == "your dimensions" else None
        theirs = (f"{fp['longest_side']:g} x {fp['median_side']:g} x {fp['shortest_side']:g} {fp['unit_of_dimension']}, "
                  f"{fp['item_package_weight']:g} {fp['unit_of_weight']}") if fp and fp["longest_side"] else "not shown"
        rows.append({
            "finding_id": finding_id_str(CODE, ctx.marketplace, g["sku"], g["table_id"], g["period"]),
            "sku": g["sku"], "fnsku": fp and fp["fnsku"], "asin": fp and fp["asin"],
            "reference_id": fp and fp["asin"], "event_date": g["event_date"], "quantity": g["quantity"],
            "amount": g["amount"], "valuation_basis": "fee_difference", "needs_review": bool(g["reasons"]),
            "confidence": "medium" if g["reasons"] and c["basis"] == "your dimensions" else (
                "low" if g["reasons"] else "high"),
            "message": (
                f"SKU {g['sku']} was charged {charged} per unit in FBA fulfillment fees on {g['quantity']} unit(s) "
                f"from {g['event_date']} to {g['last_date']}, but {c['basis']} give {_label(c['tier'])} at "
                f"{expected} per unit ({g['table_id']}): {_fees.money(g['amount'])} overcharged{noted}{review}."
            ),
            "evidence": _fees.join_refs(g["evidence"], fp and f"{fp['source_file']}:{fp['source_line']}",
                                        prod and yours and f"{prod['source_file']}:{prod['source_line']}"),
            "case_text": (
                f"Please review the FBA fulfillment fees charged for SKU {g['sku']} (ASIN {fp and fp['asin'] or '-'}, "
                f"FNSKU {fp and fp['fnsku'] or '-'}). It was charged {charged} per unit in FBA fulfillment fees. "
                + (f"Amazon's measurements ({theirs}) put the item in {_label(c['amazon_tier'])}, but the item in its "
                   f"packaging measures {yours}, which is {_label(c['tier'])}" if yours else
                   f"Amazon's own measurements ({theirs}) put the item in {_label(c['tier'])}")
                + f", with an expected fee of {expected} per unit under the rate card in force on the charge dates. "
                f"Transactions: {_fees.order_list(g['charges'])}. Total overcharge: {_fees.money(g['gross'])} "
                f"{ctx.currency} on {g['quantity']} unit(s)" + (f" ({'; '.join(notes)})" if notes else "") + ". "
                + _fees.correction_note(g)
                + ("Attached: photos of a unit on a scale and with a ruler or tape measure showing its dimensions. "
                   if yours else "")
                + "Please re-measure the item and reimburse the difference under the FBA fees reimbursement policy "
                "for weight and dimensions."
            ),
        })
    frame = pl.DataFrame(rows, schema=_fees.FINDING_ROW_SCHEMA)
    return to_findings(frame, code=CODE, ctx=ctx), left_out, judged


def overcharges(*, transactions: pl.DataFrame, fee_preview: pl.DataFrame | None, products: pl.DataFrame | None,
                sku_economics: pl.DataFrame | None, ctx: AuditContext,
                fulfilled_shipments: pl.DataFrame | None = None) -> tuple[list[dict], dict, dict, pl.DataFrame, int,
                                                                          tuple[str, ...]]:
    """(the order items charged more than the expected fulfillment fee, one dict per item (see `_expected`); the
    Fee Preview and products.csv rows of their SKUs; the charges not judged, as `not_judged` gives them; the order
    items judged; the coverage notes on the Amazon Fulfilled Shipments report), the same for the same frames within
    a run: FBA10 spreads the fee corrections after these (`_fees.correction_shares`)."""
    if fee_preview is None:
        return [], {}, {}, pl.DataFrame(schema={"reason": pl.String, "item": pl.String}), 0, ()
    return _fees.remembered("FBA01 overcharges", (transactions, fee_preview, products, sku_economics,
                                                  fulfilled_shipments), ctx,
                            lambda: _overcharges(transactions, fee_preview, products, sku_economics, ctx,
                                                 fulfilled_shipments))


def _overcharges(transactions: pl.DataFrame, fee_preview: pl.DataFrame, products: pl.DataFrame | None,
                 sku_economics: pl.DataFrame | None, ctx: AuditContext,
                 fulfilled_shipments: pl.DataFrame | None = None) -> tuple:
    # Per-unit fulfillment fee charged per order item, with the item price for the price band.
    items = _fees.order_items(transactions, ctx, fee="fulfillment", price=("principal",))
    store = pl.col("amazon_store").is_null() | (pl.col("amazon_store") == ctx.marketplace)
    currency = in_currency(ctx.currency)
    previews = _fees.sku_rows(fee_preview.filter(store & currency), PREVIEW_COLUMNS)
    catalog = _fees.sku_rows(products, PRODUCT_COLUMNS)
    # The expected fee depends on the SKU's measurements and Fee Preview prices, the item price and the rate card
    # of the charge date only: it is looked up once per such profile, price and fee regime, and only the order items
    # charged more than it, the fees it may hide and the tolerance are kept; where there is no expected fee, why.
    def limit(profile: tuple, on, amounts: list, units: int):
        listed, size = _from_profile(profile)
        found = _price_or_listed(amounts[0], units, listed)
        basis = None if found is None else _bases(size, found[0], on, ctx, amazon_too=False)[2]
        if basis is None or basis.fee is None:
            return _no_fee_reason(size, found, basis)
        upper = _upper(basis)
        return upper + _fees.tolerance(upper, floor="0.05", share="0.02")

    unjudged: list[pl.DataFrame] = []
    flagged = items.with_evidence(
        _fees.over_limit(items.frame, "fulfillment", ["principal"], ctx,
                         _profiles(previews, catalog, categories=ctx.marketplace not in NORTH_AMERICA), limit,
                         not_judged=unjudged)
    ).sort(_fees.ITEM_KEYS)
    # Not judged: no expected fee (`limit`), or fee lines tied to no quantity (`_fees.OrderItems.unjudged`).
    unjudged.append(items.unjudged)
    left_out = not_judged(pl.concat([frame.select("reason", pl.col("sku").cast(pl.String), "posted_date")
                                     for frame in unjudged]))
    judged = items.frame.height - sum(frame.height for frame in unjudged[:-1])
    previews, catalog = (_fees.one_per_sku(frame, flagged["sku"]) for frame in (previews, catalog))
    low_inventory = LowInventory(sku_economics, flagged["sku"], ctx)
    origins = _shipped_from(fulfilled_shipments, flagged, ctx)
    # Those few are compared one by one (the check that decides, with the review reasons).
    charges = [c for item in flagged.iter_rows(named=True)
               if (c := _expected(item, previews.get(item["sku"]), catalog.get(item["sku"]), ctx, low_inventory,
                                  origins.get((item["order_id"], str(item["sku"]))))) is not None]
    return charges, previews, catalog, left_out, judged, _shipment_notes(items.frame, fulfilled_shipments, ctx)


DETECTOR = Detector(
    code=CODE, name="fee-size-tier", family="fee", needs=("transactions", "fee_preview"),
    optional=("products", "reimbursements", "sku_economics", "fulfilled_shipments"), run=detect, doc=__doc__,
)
