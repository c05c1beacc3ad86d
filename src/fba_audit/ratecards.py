"""Amazon rate cards as versioned data: FBA fulfillment fees, referral fees, and the Fee Preview code maps.

The numbers live in `data/ratecards/*.toml`, each file with its marketplace, `effective_from`, source and
`checked_on`; this module only reads them. Money is Decimal throughout. Every lookup answers None when no table
covers the marketplace and date (or the row was not found), so a detector can never build a claim on a guess.
See docs/rate-cards.md for the tables, their sources and what is not covered.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from bisect import bisect_right
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import Any

CENT = Decimal("0.01")
_INCHES_PER = {"inches": Decimal(1), "in": Decimal(1), "centimeters": 1 / Decimal("2.54"), "cm": 1 / Decimal("2.54")}
_POUNDS_PER = {
    "pounds": Decimal(1), "lb": Decimal(1), "lbs": Decimal(1),
    "ounces": 1 / Decimal(16), "oz": 1 / Decimal(16),
    "grams": 1 / Decimal("453.59237"), "g": 1 / Decimal("453.59237"),
    "kilograms": 1000 / Decimal("453.59237"), "kg": 1000 / Decimal("453.59237"),
}
# Tables carrying money; the two mapping files have no dates.
_DATED_KINDS = ("fulfillment", "referral")


@dataclass(frozen=True)
class RateCard:
    id: str
    kind: str
    marketplace: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    source: str
    data: dict[str, Any]


@dataclass(frozen=True)
class TierResult:
    tier: str
    shipping_weight_lb: Decimal  # the weight the fee is charged on, after the tier's rounding rule
    unit_weight_lb: Decimal
    dimensional_weight_lb: Decimal  # as the tier computes it (2-inch minimum on bulky and extra-large tiers)
    table_id: str
    verified: bool  # False when the tier's limits come from a single unconfirmed source
    longest_in: Decimal | None = None  # the unit's longest side and length + girth (the Overmax test)
    length_plus_girth_in: Decimal | None = None


@dataclass(frozen=True)
class FeeResult:
    fee: Decimal | None  # None: no verified number for this unit and date; `reason` says why
    tier: TierResult | None
    price_band: str | None
    peak: bool
    surcharges_applied: tuple[str, ...]
    table_id: str | None
    source: str | None
    verified: bool  # False when a value used is flagged unverified in the table; findings must then be `review`
    reason: str | None = None
    base_fee: Decimal | None = None  # `fee` before the surcharges (SKU Economics' "Base fulfillment fee")
    # The fees the reports cannot show but that may be in the charge (bulky packaging fee when the unit may not be
    # SIPP-certified, Overmax handling fee), as (what, amount per unit, surcharged like the fee). They explain a
    # charge above `fee`; they never make an overcharge.
    extras: tuple[tuple[str, Decimal], ...] = ()
    fee_with_extras: Decimal | None = None  # `fee` plus `extras`, surcharged like the fee
    fee_if_sipp: Decimal | None = None  # the fee of a SIPP-certified standard-size unit (discount before surcharge)
    # The highest low-inventory-level fee the unit could carry that day (it is folded into the charged fee); None
    # where it cannot apply. `low_inventory_verified` is False when that rate rests on third-party sources only.
    low_inventory_fee_up_to: Decimal | None = None
    low_inventory_verified: bool = True
    # Outside North America several fees could apply to one charge (`ratecards_fulfilment`): `fee` is then the
    # cheapest, `columns` every candidate, `highest_fee` the most expensive with its extras (None when one of them is
    # not known) and `highest_verified` whether that one rests on verified rows only. `guesses`: why a finding judged
    # on the cheapest is only `review`; `doubts`: why any finding on this card is (e.g. a domestic table not held).
    columns: tuple = ()
    highest_fee: Decimal | None = None
    highest_verified: bool = False
    guesses: tuple[str, ...] = ()
    doubts: tuple[str, ...] = ()


def _dec(value: Any) -> Decimal:
    # NOTE: str() first, so a float like 0.1 becomes Decimal("0.1") and not its binary expansion.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _as_date(value: Any) -> dt.date | None:
    return value if isinstance(value, dt.date) or value is None else dt.date.fromisoformat(str(value))


@cache
def _cards() -> tuple[RateCard, ...]:
    folder = resources.files("fba_audit").joinpath("data/ratecards")
    cards = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            # One file may serve several stores that share a table (the EU referral schedule: "Amazon prints
            # 'UK/DE/FR/IT/ES' as one column"); `unverified_in` names the stores it is only assumed for.
            unverified = {m.upper() for m in data.get("unverified_in", ())}
            for marketplace in data.get("marketplaces") or [data["marketplace"]]:
                marketplace = marketplace.upper()
                cards.append(RateCard(
                    id=data["id"], kind=data["kind"], marketplace=marketplace,
                    effective_from=_as_date(data.get("effective_from")),
                    effective_to=_as_date(data.get("effective_to")), source=data["source"],
                    data=data | {"verified": False, "doubt": f"the table is only assumed for the {marketplace} store"}
                    if marketplace in unverified else data,
                ))
    return tuple(cards)


@cache
def _rule_changes(kind: str, marketplace: str) -> tuple[dt.date, ...]:
    """Every date on which the `kind` fees of a marketplace may change: tables starting or ending, holiday peaks
    starting or ending, surcharges starting. Between two such dates every fee is the same."""
    days: set[dt.date] = set()
    one = dt.timedelta(days=1)
    for card in _cards():
        if card.kind != kind or card.marketplace != marketplace.upper():
            continue
        days |= {d for d in (card.effective_from, card.effective_to and card.effective_to + one) if d}
        for period in card.data.get("peak_periods", []):
            days |= {period["start"], period["end"] + one}
        # Surcharges, and outside the US the low-price thresholds and selected-category lists, start and end too.
        dated = [*card.data.get("surcharges", []), *card.data.get("low_price", {}).get("thresholds", []),
                 *card.data.get("selected_categories", [])]
        for entry in dated:
            if entry.get("effective_from"):
                days.add(_as_date(entry["effective_from"]))
            if entry.get("effective_to"):
                days.add(_as_date(entry["effective_to"]) + one)
    return tuple(sorted(days))


def _regime_start(kind: str, marketplace: str, on: dt.date) -> dt.date:
    """The first day of the stretch of unchanged fees that holds `on` (`on` itself before any table)."""
    changes = _rule_changes(kind, marketplace)
    # NOTE: a bisection over the sorted dates: this is asked for every fee looked up.
    found = bisect_right(changes, on)
    return changes[found - 1] if found else on


@cache
def table_for(kind: str, marketplace: str, on: dt.date) -> RateCard | None:
    """The table of `kind` in force on `on`: the latest `effective_from` <= on that has not ended."""
    if kind not in _DATED_KINDS:
        raise ValueError(f"kind must be one of {_DATED_KINDS}, not {kind!r}")
    in_force = [
        card for card in _cards()
        if card.kind == kind and card.marketplace == marketplace.upper()
        and card.effective_from is not None and card.effective_from <= on
        and (card.effective_to is None or on <= card.effective_to)
    ]
    return max(in_force, key=lambda card: card.effective_from, default=None)


def _mapping(kind: str, marketplace: str) -> dict[str, str]:
    for card in _cards():
        if card.kind == kind and card.marketplace == marketplace.upper():
            return card.data["groups" if kind == "product_groups" else "codes"]
    return {}


# ---------------------------------------------------------------------------------------------- size tier

def _in_inches(value: Any, unit: str) -> Decimal:
    try:
        return _dec(value) * _INCHES_PER[unit.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown dimension unit {unit!r}; use one of {', '.join(_INCHES_PER)}") from None


def _in_pounds(value: Any, unit: str) -> Decimal:
    try:
        return _dec(value) * _POUNDS_PER[unit.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown weight unit {unit!r}; use one of {', '.join(_POUNDS_PER)}") from None


def _round_up(weight: Decimal, increment: Decimal) -> Decimal:
    return (weight / increment).to_integral_value(rounding=ROUND_CEILING) * increment


def _fits(tier: dict, sides: list[Decimal], weight: Decimal) -> bool:
    longest, median, shortest = sides
    limits = (
        ("max_weight_lb", weight), ("max_longest_in", longest), ("max_median_in", median),
        ("max_shortest_in", shortest), ("max_length_plus_girth_in", longest + 2 * (median + shortest)),
    )
    return all(key not in tier or value <= _dec(tier[key]) for key, value in limits)


def _size_tier_on(card: RateCard, sides: list[Decimal], unit_weight: Decimal) -> TierResult | None:
    divisor = _dec(card.data["dimensional_weight_divisor"])
    longest, median, shortest = sides
    for tier in card.data["tiers"]:
        basis = tier["weight_basis"]
        if basis == "greater_of_unit_and_dim_2in_min":
            # Amazon assumes a 2-inch minimum width and height for bulky and extra-large (G53Z9EKF8VVZVH29).
            dim_weight = longest * max(median, Decimal(2)) * max(shortest, Decimal(2)) / divisor
        else:
            dim_weight = longest * median * shortest / divisor
        weight = unit_weight if basis == "unit" else max(unit_weight, dim_weight)
        if _fits(tier, sides, weight):
            rule = next(r for r in tier["weight_rounding"] if "up_to_lb" not in r or weight <= _dec(r["up_to_lb"]))
            return TierResult(
                tier=tier["name"], shipping_weight_lb=_round_up(weight, _dec(rule["increment_lb"])),
                unit_weight_lb=unit_weight, dimensional_weight_lb=dim_weight, table_id=card.id,
                verified=tier.get("verified", True), longest_in=longest,
                length_plus_girth_in=longest + 2 * (median + shortest),
            )
    return None


def size_tier(length: Any, width: Any, height: Any, dimension_unit: str, weight: Any, weight_unit: str,
              *, marketplace: str = "US", on: dt.date) -> TierResult | None:
    """Size tier and shipping weight of a packaged unit under the table in force on `on` (None: no table)."""
    card = table_for("fulfillment", marketplace, on)
    if card is None or card.data.get("system") in ("eu", "jp"):  # metric tiers: ratecards_fulfilment
        return None
    sides = sorted((_in_inches(side, dimension_unit) for side in (length, width, height)), reverse=True)
    return _size_tier_on(card, sides, _in_pounds(weight, weight_unit))


# ---------------------------------------------------------------------------------------------- fulfillment fee

def _price_band(card: RateCard, price: Decimal) -> str:
    for band in card.data["price_bands"]:
        if ("below" in band and price < _dec(band["below"])) or ("up_to" in band and price <= _dec(band["up_to"])):
            return band["name"]
        if "below" not in band and "up_to" not in band:
            return band["name"]
    raise ValueError(f"table {card.id} has no catch-all price band")


def _fee_on(card: RateCard, tier_name: str, shipping_weight: Decimal, price: Decimal, on: dt.date) -> FeeResult:
    def no_fee(reason: str, band: str | None = None, peak: bool = False) -> FeeResult:
        return FeeResult(None, None, band, peak, (), card.id, card.source, False, reason)

    tier = next((t for t in card.data["tiers"] if t["name"] == tier_name), None)
    if tier is None:
        return no_fee(f"tier {tier_name!r} is not in table {card.id}")
    band_name = _price_band(card, price)
    period = next((p for p in card.data.get("peak_periods", []) if p["start"] <= on <= p["end"]), None)
    if period is not None and not period["amounts_known"]:
        return no_fee(f"holiday peak {period['start']}..{period['end']}: peak amounts not verified", band_name, True)
    rule = next(r for r in tier["weight_rounding"] if "up_to_lb" not in r or shipping_weight <= _dec(r["up_to_lb"]))
    weight = _round_up(shipping_weight, _dec(rule["increment_lb"]))
    row = next((b for b in tier["bands"] if "up_to_lb" not in b or weight <= _dec(b["up_to_lb"])), None)
    if row is None:
        return no_fee(f"{weight} lb is above the {tier_name} weight bands of {card.id}", band_name)
    if "fees" not in row:
        return no_fee(f"the {tier_name} row up to {row.get('up_to_lb', 'any')} lb is not in table {card.id}", band_name)
    fee = _dec(row["peak_fees" if period else "fees"][band_name])
    if "step_lb" in row:
        # Per-interval charge above the base weight ("+ $0.08 per 4-oz interval above first 3 lb").
        steps = (max(Decimal(0), weight - _dec(row["base_lb"])) / _dec(row["step_lb"])).to_integral_value(ROUND_CEILING)
        fee += steps * _dec(row["step_fee"])
    surcharged, applied = _surcharged(card, fee, on)
    verified = tier.get("verified", True) and row.get("verified", True) and (
        period is None or row.get("peak_verified", True))
    return FeeResult(surcharged, None, band_name, period is not None, applied, card.id, card.source, verified,
                     base_fee=fee, doubts=tuple(card.data.get("always_review", ())))


def _surcharged(card: RateCard, fee: Decimal, on: dt.date) -> tuple[Decimal, tuple[str, ...]]:
    """`fee` with the card's percentage surcharges in force on `on` (rounded half up to the cent), and their names.

    NOTE: on holiday-peak days too: Amazon applies the 2026 surcharge "to fulfillment fees" with no exception found,
    and assuming it gives the higher expected fee, so no overcharge is ever claimed from the assumption."""
    applied = []
    for surcharge in card.data.get("surcharges", []):
        if surcharge["applied"] and surcharge["effective_from"] <= on:
            fee = (fee * (1 + _dec(surcharge["rate"]))).quantize(CENT, ROUND_HALF_UP)
            applied.append(surcharge["name"])
    return fee, tuple(applied)


def _band_amount(bands: list[dict], weight: Decimal) -> Decimal | None:
    """The `amount` of the first upper-inclusive band holding `weight` (a band without `up_to_lb` holds any)."""
    row = next((b for b in bands if "up_to_lb" not in b or weight <= _dec(b["up_to_lb"])), None)
    return None if row is None else _dec(row["amount"])


def _in_force(section: dict | None, on: dt.date) -> bool:
    return bool(section) and ("effective_from" not in section or section["effective_from"] <= on)


def _explanations(card: RateCard, result: FeeResult, tier: TierResult, on: dt.date,
                  sipp_certified: bool | None) -> FeeResult:
    """`result` with the fees recorded in the card that explain a charge but are never claimed on: the SIPP discount
    (a charge below the card), the bulky packaging fee and the Overmax fee (a charge above it), and the highest
    low-inventory-level fee. None of them is known from the reports (SIPP certification, how the unit was packaged,
    the weekly days of supply), so they bound what the charge may be; `sipp_certified` (the seller's products.csv)
    rules the packaging fee out when True."""
    base = result.base_fee
    extras: list[tuple[str, Decimal]] = []
    packaging = card.data.get("bulky_packaging_fee")
    if _in_force(packaging, on) and tier.tier in packaging["tiers"] and sipp_certified is not True:
        amount = _band_amount(packaging["bands"], tier.dimensional_weight_lb)
        if amount is not None:
            extras.append(("bulky packaging fee for units not SIPP-certified", amount))
    overmax = card.data.get("overmax_fee")
    if _in_force(overmax, on) and tier.tier in overmax["fees"] and tier.longest_in is not None and (
            tier.longest_in > _dec(overmax["above_longest_in"])
            or tier.length_plus_girth_in > _dec(overmax["above_length_plus_girth_in"])):
        extras.append(("Overmax handling fee", _dec(overmax["fees"][tier.tier])))
    with_extras = _surcharged(card, base + sum((a for _, a in extras), Decimal(0)), on)[0] if extras else result.fee
    sipp = card.data.get("sipp_discount")
    fee_if_sipp = None
    if _in_force(sipp, on) and tier.tier in sipp:
        discount = _band_amount(sipp[tier.tier], tier.shipping_weight_lb)
        if discount is not None:
            fee_if_sipp = _surcharged(card, base - discount, on)[0]
    lil = next((r for r in card.data.get("low_inventory_level_fee", {}).get("rows", [])
                if r["tier"] == tier.tier and ("up_to_lb" not in r or tier.shipping_weight_lb <= _dec(r["up_to_lb"]))),
               None)
    return replace(
        result, extras=tuple(extras), fee_with_extras=with_extras, fee_if_sipp=fee_if_sipp,
        low_inventory_fee_up_to=None if lil is None else max(_dec(r) for r in lil["rates"]),
        low_inventory_verified=lil is None or lil.get("verified", True),
    )


def fulfillment_fee(tier: str, shipping_weight_lb: Any, price: Any, *, marketplace: str = "US",
                    on: dt.date) -> Decimal | None:
    """Per-unit FBA fulfillment fee (non-apparel) for a tier, shipping weight and item price on a date."""
    card = table_for("fulfillment", marketplace, on)
    if card is None or card.data.get("system") in ("eu", "jp"):  # several columns: ratecards_fulfilment
        return None
    return _fee_on(card, tier, _dec(shipping_weight_lb), _dec(price), on).fee


def expected_fulfillment_fee(length: Any, width: Any, height: Any, dimension_unit: str, weight: Any, weight_unit: str,
                             price: Any, *, marketplace: str = "US", on: dt.date, apparel: bool = False,
                             dangerous_goods: bool = False, sipp_certified: bool | None = None,
                             category: str | None = None, columns: frozenset[str] | None = None) -> FeeResult:
    """Size tier and per-unit fee of a packaged unit, with the table id and source to quote as evidence, and the
    fees that may explain a different charge (`extras`, `fee_with_extras`, `fee_if_sipp`,
    `low_inventory_fee_up_to`). `sipp_certified`: what the seller says (None: not known). `category`: the seller's
    category name, read outside North America (selected-category tiers, low-price exclusions). `columns`: the fee
    columns the reports show the unit can be on (`fba_audit.fulfilment_centres.route_columns`), None: any."""
    # NOTE: a year of charges is hundreds of thousands of order items but only a few fee regimes per SKU: the
    # answer for `on` is the answer for the first day of its regime, so it is computed once and remembered.
    return _expected_fulfillment_fee(length, width, height, dimension_unit, weight, weight_unit, _dec(price),
                                     marketplace, _regime_start("fulfillment", marketplace, on), apparel,
                                     dangerous_goods, sipp_certified, category, columns)


@lru_cache(maxsize=2_000_000)
def _expected_fulfillment_fee(length: Any, width: Any, height: Any, dimension_unit: str, weight: Any,
                              weight_unit: str, price: Decimal, marketplace: str, on: dt.date, apparel: bool,
                              dangerous_goods: bool, sipp_certified: bool | None = None,
                              category: str | None = None, columns: frozenset[str] | None = None) -> FeeResult:
    card = table_for("fulfillment", marketplace, on)
    if card is None:
        return FeeResult(None, None, None, False, (), None, None, False,
                         f"no {marketplace} fulfillment rate card for the charge date")
    if card.data.get("system") in ("eu", "jp"):
        from fba_audit import ratecards_fulfilment  # the UK, EU and JP cards (several fee columns, metric tiers)

        return ratecards_fulfilment.expected_fee(card, length, width, height, dimension_unit, weight, weight_unit,
                                                 price, on, category=category, apparel=apparel,
                                                 columns=columns)
    tier = size_tier(length, width, height, dimension_unit, weight, weight_unit, marketplace=marketplace, on=on)
    if apparel or dangerous_goods:
        # Apparel and dangerous goods have their own rate cards, which are not in the data files.
        kind = "apparel" if apparel else "dangerous-goods"
        return FeeResult(None, tier, None, False, (), card.id, card.source, False,
                         f"{kind} items have their own rate card, which fba-audit does not hold")
    if tier is None:
        return FeeResult(None, None, None, False, (), card.id, card.source, False,
                         "no size tier fits the unit's dimensions and weight")
    result = _fee_on(card, tier.tier, tier.shipping_weight_lb, _dec(price), on)
    result = replace(result, tier=tier, table_id=card.id, source=card.source,
                     verified=result.verified and tier.verified)
    return result if result.fee is None else _explanations(card, result, tier, on, sipp_certified)


def tier_for_size_tier_code(code: str, *, marketplace: str = "US") -> str | None:
    """Fee Preview `product-size-tier` code (e.g. `UsLargeStandardSize`) -> tier name, or None if unknown."""
    wanted = code.strip().lower()
    return next((tier or None for key, tier in _mapping("size_tier_codes", marketplace).items()
                 if key.lower() == wanted), None)


# ---------------------------------------------------------------------------------------------- referral fee

# NOTE: the referral schedules (several marketplaces, dated tables built on one another, tax bases) and the names
# people give their categories grew into their own module; imported last, as it reads the cards above. The names
# stay importable from here.
from fba_audit.referral import (  # noqa: E402
    CategoryName,
    ReferralResult,
    category_for_product_group,
    expected_referral_fee,
    prices_include_tax,
    referral_category,
    referral_fee,
    written_category,
)

__all__ = ["CategoryName", "FeeResult", "RateCard", "ReferralResult", "TierResult", "category_for_product_group",
           "expected_fulfillment_fee", "expected_referral_fee", "fulfillment_fee", "prices_include_tax",
           "referral_category", "referral_fee", "size_tier", "table_for", "tier_for_size_tier_code",
           "written_category"]
