"""FBA fulfilment fees outside North America: the UK and EU stores (metric tiers, several fee columns) and Japan.

Why a module of its own: a US charge has one expected fee, but a UK or EU charge has several that could apply. The
fee depends on where the unit shipped from (local stock, Pan-EU, EFN from another country, remote fulfilment across
the Channel; in Germany also whether the seller is in the Central Europe Programme), on Amazon's fee category (the
"selected" categories use their own parcel tiers on unit weight) and on low-price eligibility, and a settlement line
shows none of these. So every fee that could apply is computed (`candidates`), and the detector judges a charge
against the cheapest of them (a finding that rests on that guess is `review`) and claims only what is above the most
expensive one on verified rows (docs/rate-cards.md, "Which column applies").

The tables are data (`data/ratecards/<mk>_fulfillment_<year>.toml`, `system = "eu"` or `"jp"`; the tiers of every
EU store in `eu_size_tiers.toml`); `fba_audit.ratecards.expected_fulfillment_fee` hands those cards to `expected_fee`.
Lengths are compared in cm and weights in g, as Amazon Europe writes its limits, in Decimal (an inch is 2.54 cm and a
pound 453.59237 g exactly), so a unit on a band edge stays on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from functools import cache
from typing import Any

from fba_audit import ratecards as rc
from fba_audit.referral import _folded  # category names compared as people write them

# The spellings of the Fee Preview (`centimeters`, `grams`; Amazon's UK help pages write `Centimetres` and
# `Kilograms`, the Canadian ones `kilos`) and of products.csv after its loader (`cm`, `in`, `g`, `kg`, `lb`, `oz`).
_CM_PER = {"cm": Decimal(1), "centimeters": Decimal(1), "centimetres": Decimal(1), "mm": Decimal("0.1"),
           "millimeters": Decimal("0.1"), "millimetres": Decimal("0.1"), "in": Decimal("2.54"),
           "inches": Decimal("2.54")}
_G_PER = {"g": Decimal(1), "grams": Decimal(1), "kg": Decimal(1000), "kilograms": Decimal(1000),
          "kilos": Decimal(1000), "lb": Decimal("453.59237"), "lbs": Decimal("453.59237"),
          "pounds": Decimal("453.59237"), "oz": Decimal("28.349523125"), "ounces": Decimal("28.349523125")}
_G_PER_LB = Decimal("453.59237")
HUNDRED_G, KG = Decimal(100), Decimal(1000)
ENVELOPES = ("light_envelope", "standard_envelope", "large_envelope", "extra_large_envelope")
# Stores where Pan-EU units may carry the low-inventory cost coverage fee, whose table is not held.
PAN_EU_STORES = ("DE", "FR", "IT", "ES")


@dataclass(frozen=True)
class Candidate:
    """One fee that could apply to a unit on a day: a column of the card at one of its rates."""

    column: str  # the card's column name (`local`, `local_cep`, `efn`, `remote_from_uk`, ...)
    label: str  # the column in words
    rate: str  # "standard", "selected category" or "low-price"
    tier: str | None
    fee: Decimal | None  # with the card's surcharges; None: not known (`reason`)
    base_fee: Decimal | None  # before the surcharges
    with_extras: Decimal | None  # `fee` plus the fees the reports cannot show (dangerous goods), surcharged alike
    verified: bool
    reason: str | None = None

    @property
    def name(self) -> str:
        return self.label if self.rate == "standard" else f"{self.label}, {self.rate} rate"


@dataclass(frozen=True)
class Unit:
    """A packaged unit in cm and g: sides longest first, unit weight, dimensional weight (L x W x H / 5,000 kg)."""

    sides_cm: tuple[Decimal, Decimal, Decimal]
    unit_g: Decimal

    @property
    def dim_g(self) -> Decimal:
        longest, median, shortest = self.sides_cm
        return longest * median * shortest / 5  # / 5,000 in kg = / 5 in g

    @property
    def length_plus_girth_cm(self) -> Decimal:
        longest, median, shortest = self.sides_cm
        return longest + 2 * (median + shortest)


def unit_of(length: Any, width: Any, height: Any, dimension_unit: str, weight: Any, weight_unit: str) -> Unit:
    """The unit in cm and g; ValueError for a unit of measure not known (the caller then has no basis)."""
    try:
        cm, g = _CM_PER[dimension_unit.strip().lower()], _G_PER[weight_unit.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown unit {dimension_unit!r} or {weight_unit!r}") from None
    sides = sorted((rc._dec(side) * cm for side in (length, width, height)), reverse=True)
    return Unit((sides[0], sides[1], sides[2]), rc._dec(weight) * g)


@cache
def _size_tiers(tier_set: str) -> dict:
    card = next((c for c in rc._cards() if c.kind == "size_tiers" and c.id == tier_set), None)
    if card is None:
        raise ValueError(f"size tier set {tier_set!r} is not in data/ratecards")
    return card.data


def tier_names(card: rc.RateCard) -> list[str]:
    """The card's tier names, smallest first (the selected-category parcel tiers after the others)."""
    if card.data.get("system") == "eu":
        tiers = _size_tiers(card.data["size_tiers"])
        return [t["name"] for t in tiers["tiers"]] + [t["name"] for t in tiers["selected_tiers"]]
    return [t["name"] for t in card.data["tiers"]]


def _fits(tier: dict, unit: Unit) -> bool:
    limits = [(unit.unit_g, tier.get("max_unit_g")), (unit.sides_cm[0], tier.get("max_longest_cm")),
              (unit.length_plus_girth_cm, tier.get("max_length_plus_girth_cm")),
              (sum(unit.sides_cm), tier.get("max_sum_cm"))]
    limits += list(zip(unit.sides_cm, tier.get("max_cm", ())))
    return all(limit is None or value <= rc._dec(limit) for value, limit in limits)


def eu_tier(unit: Unit, tier_set: str) -> tuple[dict, Decimal]:
    """(the standard tier, the weight it is billed on): unit weight for envelopes and special oversize, the greater
    of unit and dimensional weight otherwise."""
    tiers = _size_tiers(tier_set)["tiers"]
    tier = next(t for t in tiers if _fits(t, unit))  # special oversize has no limit: always found
    weight = unit.unit_g if tier["weight_basis"] == "unit" else max(unit.unit_g, unit.dim_g)
    return tier, weight


def selected_tier(unit: Unit, tier_set: str) -> dict | None:
    """The selected categories' parcel tier of a unit (billed on unit weight), None when none fits."""
    return next((t for t in _size_tiers(tier_set)["selected_tiers"] if _fits(t, unit)), None)


def _banded(bands: list[dict], weight: Decimal) -> Decimal | None:
    row = next((b for b in bands if weight <= rc._dec(b["up_to_g"])), None)
    return None if row is None else rc._dec(row["fee"])


def _steps(above: Decimal, step: Decimal) -> Decimal:
    """Started steps above the base (per started 100 g, per started kg)."""
    return max(Decimal(0), above / step).to_integral_value(ROUND_CEILING)


def _column_fee(spec: Any, weight: Decimal, unit: Unit) -> tuple[Decimal | None, bool, str | None]:
    """(fee before surcharges, whether the value is verified, why None) for one tier entry of a column."""
    if spec is None:
        return None, False, None
    if isinstance(spec, list):
        fee = _banded(spec, weight)
        return fee, True, None if fee is not None else "above the weight bands of the card"
    verified = spec.get("verified", True)
    if "bands" in spec:  # special oversize: bands on unit weight, then per kg above the last
        fee = _banded(spec["bands"], unit.unit_g)
        if fee is None:
            top = rc._dec(spec["bands"][-1]["fee"])
            fee = top + _steps(unit.unit_g - rc._dec(spec["base_g"]), KG) * rc._dec(spec["per_kg"])
        return fee, verified, None
    if "per_100g" in spec:  # selected categories: the base covers the first 100 g
        return rc._dec(spec["fee"]) + _steps(unit.unit_g - HUNDRED_G, HUNDRED_G) * rc._dec(spec["per_100g"]), \
            verified, None
    fee, above = rc._dec(spec["fee"]), weight - rc._dec(spec["base_g"])
    if above <= 0:
        return fee, verified, None
    if "per_kg" not in spec:
        return None, False, "the per-kg increment above the base weight is not in the card"
    # NOTE: per started kg; the card does not say whether it is pro rata: unverified.
    return fee + _steps(above, KG) * rc._dec(spec["per_kg"]), verified and spec.get("per_kg_verified", True), None


def _in_period(entry: dict, on: dt.date) -> bool:
    return entry.get("effective_from", dt.date.min) <= on <= entry.get("effective_to", dt.date.max)


def _selected_names(card: rc.RateCard, on: dt.date) -> set[str] | None:
    """The folded names of the selected categories on `on`, None before there were any."""
    lists = [s for s in card.data.get("selected_categories", []) if s["effective_from"] <= on]
    return {_folded(n) for n in max(lists, key=lambda s: s["effective_from"])["names"]} if lists else None


def _low_price_may_apply(card: rc.RateCard, price: Decimal, on: dt.date, category: str | None) -> bool:
    """Whether the low-price rate could apply: price (VAT included) at or below the threshold of the day, for the
    category when it is known (C-EU4 and C-EU3 read "up to" as <=)."""
    section = card.data.get("low_price")
    threshold = next((t for t in section["thresholds"] if _in_period(t, on)), None) if section else None
    if threshold is None:
        return False
    if "all_categories" in threshold:
        return price <= rc._dec(threshold["all_categories"])
    excluded = category is not None and _folded(category) in {_folded(n) for n in section["excluded_categories"]}
    return price <= rc._dec(threshold["excluded_categories" if excluded else "most_categories"])


def _peak(card: rc.RateCard, tier: str, on: dt.date) -> dict | None:
    return next((p for p in card.data.get("peak_periods", [])
                 if p["start"] <= on <= p["end"] and tier in p.get("tiers", ())), None)


def candidates(card: rc.RateCard, unit: Unit, price: Decimal, on: dt.date, *, category: str | None = None,
               selected: bool | None = None) -> list[Candidate]:
    """Every fee of an EU card that could apply to `unit` sold at `price` on `on`.

    `selected`: True when the item is known to be in a selected category (apparel), None when its fee category is
    not known (both tier sets could apply), False when known not to be. `category`: the seller's category name
    (products.csv), for the low-price exclusions and the selected list."""
    tier_set = card.data["size_tiers"]
    tier, weight = eu_tier(unit, tier_set)
    names = _selected_names(card, on)
    if names is None:
        selected = False  # before 2025-05-15 every item is on the standard tiers
    elif selected is None and category is not None and _folded(category) in names:
        selected = True
    schedules = []  # (rate, tier name, weight, where the fee is found)
    if tier.get("parcel") and selected is not False:
        chosen = selected_tier(unit, tier_set)
        if chosen is not None:
            schedules.append(("selected category", chosen["name"], unit.unit_g, "selected"))
    if not schedules or selected is not True:
        schedules.append(("standard", tier["name"], weight, "fees"))
    low_price = card.data.get("low_price")
    small_enough = tier["name"] in ENVELOPES or (
        tier["name"] == "small_parcel" and low_price and weight <= rc._dec(low_price["max_small_parcel_g"]))
    if small_enough and _low_price_may_apply(card, price, on, category):
        schedules.append(("low-price", tier["name"], weight, "low_price"))
    columns = {c["name"]: c for c in card.data["columns"]}
    dangerous = card.data.get("explaining_fees", {}).get("dangerous_goods")
    extra = rc._dec(dangerous["amount"]) if dangerous else Decimal(0)
    found = []
    for rate, tier_name, billed, where in schedules:
        targets = low_price["columns"] if where == "low_price" else list(columns)
        for name in targets:
            col = columns[name]
            base = columns[col["based_on"]] if "based_on" in col else col
            verified = col["verified"] and base["verified"]
            period = None if where == "low_price" else _peak(card, tier_name, on)
            if where == "low_price":
                spec = low_price.get("fees", {}).get(name, {}).get(tier_name)
                verified = verified and low_price["verified"]
            elif period is not None:
                spec = base.get("peak_fees", {}).get(tier_name)
            else:
                spec = base.get(where, {}).get(tier_name)
            fee, row_verified, why = _column_fee(spec, billed, unit)
            if where == "selected":
                row_verified = row_verified and col.get("selected_verified", True) and base.get("selected_verified", True)
            if fee is not None and "plus" in col:
                fee += rc._dec(col["plus"])
            if fee is None:
                why = why or (f"holiday peak {period['start']}..{period['end']}: peak amounts not known"
                              if period is not None else f"no {rate} rate for {tier_name.replace('_', ' ')} in this column")
                found.append(Candidate(name, col["label"], rate, tier_name, None, None, None, False, why))
                continue
            surcharged, _ = rc._surcharged(card, fee, on)
            with_extras = rc._surcharged(card, fee + extra, on)[0] if extra else surcharged
            tier_ok = tier.get("verified", True) if where != "selected" else True
            found.append(Candidate(name, col["label"], rate, tier_name, surcharged, fee, with_extras,
                                   verified and row_verified and tier_ok))
    return found


def _jp_candidates(card: rc.RateCard, unit: Unit, price: Decimal) -> list[Candidate]:
    tier = next((t for t in card.data["tiers"] if _fits(t, unit)), None)
    col = card.data["columns"][0]
    if tier is None:
        return [Candidate(col["name"], col["label"], "standard", None, None, None, None, False,
                          "no size tier fits the unit's dimensions and weight")]
    rates = [("standard", "over_1000")]
    if price <= rc._dec(card.data["price_columns"]["low_price_up_to"]):
        rates.insert(0, ("low-price", "up_to_1000"))  # the low-price column, when its rates apply
    found = []
    for rate, key in rates:
        fee = rc._dec(tier["fees"][key]) if "fees" in tier else None
        found.append(Candidate(col["name"], col["label"], rate, tier["name"], fee, fee, fee, False,
                               None if fee is not None else f"no rate for {tier['name'].replace('_', ' ')} in the card"))
    return found


def fee_candidates(length: Any, width: Any, height: Any, dimension_unit: str, weight: Any, weight_unit: str,
                   price: Any, *, marketplace: str, on: dt.date, category: str | None = None,
                   selected: bool | None = None) -> list[Candidate] | None:
    """Every fee that could apply to the unit on `on` in a UK, EU or Japanese store (None: no card that day)."""
    card = rc.table_for("fulfillment", marketplace, on)
    if card is None or card.data.get("system") not in ("eu", "jp"):
        return None
    unit = unit_of(length, width, height, dimension_unit, weight, weight_unit)
    if card.data["system"] == "jp":
        return _jp_candidates(card, unit, rc._dec(price))
    return candidates(card, unit, rc._dec(price), on, category=category, selected=selected)


def _joined(words: list[str]) -> str:
    return " and ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " or " + words[-1]


def _listed(found: list[Candidate]) -> str:
    return "; ".join(f"{c.name} {'not known' if c.with_extras is None else c.with_extras}" for c in found)


def expected_fee(card: rc.RateCard, length: Any, width: Any, height: Any, dimension_unit: str, weight: Any,
                 weight_unit: str, price: Decimal, on: dt.date, *, category: str | None,
                 apparel: bool, columns: frozenset[str] | None = None) -> rc.FeeResult:
    """The `FeeResult` of a UK, EU or Japanese unit: `fee` is the cheapest fee that could apply, `columns` every
    candidate, `highest_fee` the most expensive (None when one of them is not known), `guesses` why a finding
    judged on the cheapest is only `review`, `doubts` why any finding is. `columns`: the columns the reports show
    the unit can be on (the shipping centre's country); the candidates are cut to them."""
    unit = unit_of(length, width, height, dimension_unit, weight, weight_unit)
    narrowed = []
    if card.data["system"] == "jp":
        found = _jp_candidates(card, unit, price)
    else:
        found = candidates(card, unit, price, on, category=category, selected=True if apparel else None)
        narrowed = [c for c in found if c.column in columns] if columns else []
        found = narrowed or found
    doubts = list(card.data.get("always_review", ()))
    known = [c for c in found if c.fee is not None]
    if not known:
        return rc.FeeResult(None, None, None, False, (), card.id, card.source, False,
                            next((c.reason for c in found if c.reason), "no rate-card fee"))
    cheapest = min(known, key=lambda c: (c.with_extras, c.column, c.rate))
    highest = max(known, key=lambda c: (c.with_extras, c.column, c.rate)) if len(known) == len(found) else None
    guesses = ()
    if len(found) > 1:
        unknown = [what for what, several in (
            ("which column applies where it shipped from (in Germany, whether the seller is in the Central Europe "
             "Programme; between EU stores, Pan-EU or EFN)" if narrowed else "where the unit shipped from",
             len({c.column for c in found}) > 1),
            ("its fee category", len({c.rate for c in found} - {"low-price"}) > 1),
            ("whether the low-price rate applied", any(c.rate == "low-price" for c in found))) if several]
        guesses = (f"the charge does not show {_joined(unknown)}: of the fees that could apply ({_listed(found)}) "
                   "it is judged against the cheapest",)
    tier_rule = None
    if card.data["system"] == "eu":
        tier_rule, _ = eu_tier(unit, card.data["size_tiers"])
        if tier_rule.get("oversize"):
            doubts.append("an oversize charge may hold fees the reports do not show (oversize packaging fee, Pan-EU "
                          "oversize surcharge)")
        elif card.marketplace in PAN_EU_STORES:
            doubts.append("Pan-EU units in DE, FR, IT and ES may carry a low-inventory cost coverage fee, whose "
                          "rates fba-audit does not hold")
    billed = unit.unit_g if tier_rule is None or tier_rule["weight_basis"] == "unit" or cheapest.rate == "selected category" \
        else max(unit.unit_g, unit.dim_g)
    tier = rc.TierResult(
        tier=cheapest.tier, shipping_weight_lb=billed / _G_PER_LB, unit_weight_lb=unit.unit_g / _G_PER_LB,
        dimensional_weight_lb=unit.dim_g / _G_PER_LB, table_id=card.id,
        verified=True if tier_rule is None else tier_rule.get("verified", True),
        longest_in=unit.sides_cm[0] / Decimal("2.54"), length_plus_girth_in=unit.length_plus_girth_cm / Decimal("2.54"),
    )
    dangerous = card.data.get("explaining_fees", {}).get("dangerous_goods")
    extras = ((dangerous["name"], rc._dec(dangerous["amount"])),) if dangerous else ()
    return rc.FeeResult(
        cheapest.fee, tier, cheapest.rate, _peak(card, cheapest.tier or "", on) is not None,
        tuple(s["name"] for s in card.data.get("surcharges", []) if s["applied"] and s["effective_from"] <= on),
        card.id, card.source, cheapest.verified, base_fee=cheapest.base_fee, extras=extras,
        fee_with_extras=cheapest.with_extras, columns=tuple(found),
        highest_fee=None if highest is None else highest.with_extras,
        highest_verified=highest is not None and highest.verified, guesses=guesses, doubts=tuple(doubts),
    )


# ---------------------------------------------------------------------------------------------- coverage

@dataclass(frozen=True)
class Period:
    """A stretch of charge dates and the fulfilment card that judges them (`table_id` None: none does)."""

    start: dt.date | None  # None: from the beginning
    end: dt.date | None  # None: open
    table_id: str | None
    status: str  # "verified", "partly verified", "unverified" or "none"


def _status(card: rc.RateCard) -> str:
    if card.data.get("system") in ("eu", "jp"):
        flags = [c["verified"] for c in card.data["columns"]]
        flags += [False] if "low_price" in card.data and not card.data["low_price"]["verified"] else []
    else:
        flags = [t.get("verified", True) and b.get("verified", True) for t in card.data["tiers"] for b in t["bands"]]
    return "verified" if all(flags) else "unverified" if not any(flags) else "partly verified"


@cache
def coverage(marketplace: str) -> tuple[Period, ...]:
    """The fulfilment cards of a marketplace by date, with the gaps between them (docs/rate-cards.md)."""
    cards = sorted((c for c in rc._cards() if c.kind == "fulfillment" and c.marketplace == marketplace.upper()),
                   key=lambda c: c.effective_from)
    periods, day = [], None
    one = dt.timedelta(days=1)
    for card in cards:
        if day is None or card.effective_from > day:
            periods.append(Period(day, card.effective_from - one, None, "none"))
        periods.append(Period(card.effective_from, card.effective_to, card.id, _status(card)))
        day = None if card.effective_to is None else card.effective_to + one
    if not cards:
        return (Period(None, None, None, "none"),)
    if day is not None:
        periods.append(Period(day, None, None, "none"))
    return tuple(periods)


def coverage_note(marketplace: str, first: dt.date, last: dt.date) -> str:
    """What judged the fulfilment charges of `first`..`last` in a marketplace, period by period, in words."""
    shown = [p for p in coverage(marketplace)
             if (p.start is None or p.start <= last) and (p.end is None or first <= p.end)]
    parts = [f"{p.start or '...'} to {p.end or '...'}: " + (f"{p.table_id} ({p.status})" if p.table_id else
                                                           "no rate card (charges not judged)") for p in shown]
    return (f"{marketplace} fulfilment rate cards for the charges of {first} to {last}: " + "; ".join(parts)
            + ". A finding on an unverified row or on a guessed fee column is review (docs/rate-cards.md).")


def coverage_row(marketplace: str, period: Period) -> str:
    """The row of docs/rate-cards.md's coverage table for one period (tests/test_ratecards_fulfilment.py checks the
    docs hold every row)."""
    return (f"| {marketplace} | {period.start or 'before'} .. {period.end or 'onwards'} | "
            f"{'`' + period.table_id + '`' if period.table_id else '-'} | {period.status} |")
