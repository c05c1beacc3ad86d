"""The fees the simulated account is charged, from the simulator's own copy of Amazon's tables, not fba_audit.ratecards.

The simulator's truth says which fee Amazon's table gives for each of its products; FBA01 and FBA10 are graded on it.
If the simulator asked `fba_audit.ratecards` for those fees, a wrong number in the rate-card files would be wrong in
the truth too and the accuracy tests would pass on it. So the simulator keeps its own copy of the part of Amazon's US
tables its catalog uses: the standard-size fulfillment rows (its products are all small or large standard) of the
2025 and 2026 cards, their holiday peaks and the 2026 surcharge, and the referral rules of its seven categories. A test
(tests/test_simulate_fees.py) checks that every number here agrees with the rate cards: a change to one that is not
made, deliberately, to the other fails there. A product outside these tiers or categories is an error, so that
whoever adds one also copies its rows.

Sources, as for the rate cards (docs/rate-cards.md): 2025, Seller Central GPDC3KPYAGDTVDJP (the 2024 card unchanged;
Low-Price FBA GJTAVU7P2W2VE8Q9: $0.77 less below $10) and its peak 2025-10-15 to 2026-01-14 (the Low-Price page's
peak table plus $0.77); 2026, GABBX6GZPA8MSZGW (three price bands, peak 2026-10-15 to 2027-01-14, and "a 3.5% fuel
and logistics-related surcharge" from 2026-04-17, assumed on peak days too); size tiers 201105770 and dimensional
weight G53Z9EKF8VVZVH29; referral fees GTG4BAWSY39Z98Z3 / sell.amazon.com/pricing. Money is integer cents.

For the UK and German stores (issue 24: the simulator learns UK and DE) the same holds, on the rows a European
account of the simulator needs: the 2026 local fulfilment fees of envelopes and standard parcels (UK; DE with and
without the Central Europe Programme), the referral rules of its categories on the VAT-inclusive price, and the
Digital Services Fee of a China-established seller; each table below quotes the rows it copies, and
tests/test_simulate_fees.py checks them against `ratecards_fulfilment`, the UK/EU referral schedules and the DSF table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

OUNCE = Decimal(1) / 16


def _cents(text: str) -> int:
    return int(Decimal(text) * 100)


def _rows(text: str) -> tuple[tuple[Decimal, tuple[int, ...], tuple[int, ...]], ...]:
    """`up to (lb) | fees per price band | peak fees per price band`, one row a line, as Amazon prints them."""
    rows = []
    for line in text.strip().splitlines():
        up_to, fees, peak = (part.split() for part in line.split("|"))
        rows.append((Decimal(up_to[0]), tuple(map(_cents, fees)), tuple(map(_cents, peak))))
    return tuple(rows)


@dataclass(frozen=True)
class Card:
    id: str  # the rate-card id fba-audit's findings name
    start: dt.date
    end: dt.date
    peak: tuple[dt.date, dt.date]
    bands: tuple[str, ...]  # price bands, cheapest first (Amazon's columns)
    small_standard: tuple  # _rows(): up to 1 lb, by the ounce
    large_standard: tuple  # _rows(): up to 3 lb; then `over_3_lb` plus `step_cents` per started 4 oz above 3 lb
    over_3_lb: tuple[tuple[int, ...], tuple[int, ...]]
    step_cents: int = 8
    surcharge_from: dt.date | None = None  # 3.5 % fuel and logistics surcharge


CARDS = (
    Card(
        "us-fba-fulfillment-2025", dt.date(2025, 1, 15), dt.date(2026, 1, 14), (dt.date(2025, 10, 15), dt.date(2026, 1, 14)),
        ("under_10", "10_and_over"),
        # small standard, unit weight: 2 oz or less, 2+ to 4 oz, ... 14+ to 16 oz
        _rows("""
            0.125 | 2.29 3.06 | 2.48 3.25
            0.25  | 2.38 3.15 | 2.57 3.34
            0.375 | 2.47 3.24 | 2.67 3.44
            0.5   | 2.56 3.33 | 2.76 3.53
            0.625 | 2.66 3.43 | 2.87 3.64
            0.75  | 2.76 3.53 | 2.97 3.74
            0.875 | 2.83 3.60 | 3.05 3.82
            1     | 2.88 3.65 | 3.10 3.87
        """),
        # large standard: 4 oz or less, 4+ to 8 oz, 8+ to 12 oz, 12+ to 16 oz, 1+ to 1.25 lb, ... 2.75+ to 3 lb
        _rows("""
            0.25 | 2.91 3.68 | 3.15 3.92
            0.5  | 3.13 3.90 | 3.39 4.16
            0.75 | 3.38 4.15 | 3.66 4.43
            1    | 3.78 4.55 | 4.07 4.84
            1.25 | 4.22 4.99 | 4.52 5.29
            1.5  | 4.60 5.37 | 4.91 5.68
            1.75 | 4.75 5.52 | 5.07 5.84
            2    | 5.00 5.77 | 5.33 6.10
            2.25 | 5.10 5.87 | 5.47 6.24
            2.5  | 5.28 6.05 | 5.67 6.44
            2.75 | 5.44 6.21 | 5.84 6.61
            3    | 5.85 6.62 | 6.26 7.03
        """),
        ((615, 692), (669, 746)),  # 3+ to 20 lb: $6.15 / $6.92 (peak $6.69 / $7.46) + $0.08 per 4 oz above 3 lb
    ),
    Card(
        "us-fba-fulfillment-2026", dt.date(2026, 1, 15), dt.date(2027, 1, 14), (dt.date(2026, 10, 15), dt.date(2027, 1, 14)),
        ("under_10", "10_to_50", "over_50"),
        _rows("""
            0.125 | 2.43 3.32 3.58 | 2.62 3.51 3.77
            0.25  | 2.49 3.42 3.68 | 2.68 3.61 3.87
            0.375 | 2.56 3.45 3.71 | 2.76 3.65 3.91
            0.5   | 2.66 3.54 3.80 | 2.86 3.74 4.00
            0.625 | 2.77 3.68 3.94 | 2.98 3.89 4.15
            0.75  | 2.82 3.78 4.04 | 3.03 3.99 4.25
            0.875 | 2.92 3.91 4.17 | 3.14 4.13 4.39
            1     | 2.95 3.96 4.22 | 3.17 4.18 4.44
        """),
        _rows("""
            0.25 | 2.91 3.73 3.99 | 3.15 3.97 4.23
            0.5  | 3.13 3.95 4.21 | 3.39 4.21 4.47
            0.75 | 3.38 4.20 4.46 | 3.66 4.48 4.74
            1    | 3.78 4.60 4.86 | 4.07 4.89 5.15
            1.25 | 4.22 5.04 5.30 | 4.52 5.34 5.60
            1.5  | 4.60 5.42 5.68 | 4.91 5.73 5.99
            1.75 | 4.75 5.57 5.83 | 5.07 5.89 6.15
            2    | 5.00 5.82 6.08 | 5.33 6.15 6.41
            2.25 | 5.10 5.92 6.18 | 5.47 6.29 6.55
            2.5  | 5.28 6.10 6.36 | 5.67 6.49 6.75
            2.75 | 5.44 6.26 6.52 | 5.84 6.66 6.92
            3    | 5.85 6.67 6.93 | 6.26 7.08 7.34
        """),
        ((615, 697, 723), (669, 751, 777)),
        surcharge_from=dt.date(2026, 4, 17),
    ),
)
SURCHARGE_RATE = Decimal("0.035")

# Referral fees of the simulator's categories: (rate up to the threshold, threshold, rate above it, whole price or
# portion); every one has the $0.30 per-item minimum. In force from 2025-01-01 (the schedule's id below).
REFERRAL_SCHEDULE = ("us-referral-2025", dt.date(2025, 1, 1))
REFERRAL_MINIMUM_CENTS = 30
REFERRAL = {
    "Home and Kitchen": (Decimal("0.15"), None, None, "flat"),
    "Toys and Games": (Decimal("0.15"), None, None, "flat"),
    "Sports and Outdoors": (Decimal("0.15"), None, None, "flat"),
    "Backpacks, Handbags, and Luggage": (Decimal("0.15"), None, None, "flat"),
    "Computers": (Decimal("0.08"), None, None, "flat"),
    # "8% for products with a total sales price of $10.00 or less and 15% for products ... greater than $10.00"
    "Beauty, Health and Personal Care": (Decimal("0.08"), Decimal("10.00"), Decimal("0.15"), "whole"),
    # "20% for the portion of the total sales price up to $250.00, and 5% for any portion greater than $250.00"
    "Jewelry": (Decimal("0.20"), Decimal("250.00"), Decimal("0.05"), "portion"),
}


def card_on(on: dt.date) -> Card | None:
    return next((c for c in CARDS if c.start <= on <= c.end), None)


def referral_schedule_on(on: dt.date) -> str | None:
    return REFERRAL_SCHEDULE[0] if on >= REFERRAL_SCHEDULE[1] else None


def in_peak(card: Card, on: dt.date) -> bool:
    return card.peak[0] <= on <= card.peak[1]


def surcharged(card: Card, on: dt.date) -> bool:
    return card.surcharge_from is not None and on >= card.surcharge_from


def _up(weight: Decimal, increment: Decimal) -> Decimal:
    return (weight / increment).to_integral_value(ROUND_CEILING) * increment


def size_tier(length: float, width: float, height: float, weight_lb: float) -> tuple[str, Decimal]:
    """(tier, shipping weight in lb) of a packaged unit, inches and pounds; standard size only.

    Small standard: up to 15 x 12 x 0.75 in and 1 lb, charged on unit weight to the next ounce. Large standard: up to
    18 x 14 x 8 in and 20 lb, charged on the greater of unit and dimensional weight (L x W x H / 139, no 2-inch
    minimum), to the next ounce up to 1 lb and to the next 4 oz above it."""
    longest, median, shortest = sorted((Decimal(str(s)) for s in (length, width, height)), reverse=True)
    unit = Decimal(str(weight_lb))
    if longest <= 15 and median <= 12 and shortest <= Decimal("0.75") and unit <= 1:
        return "small_standard", _up(unit, OUNCE)
    weight = max(unit, longest * median * shortest / 139)
    if longest <= 18 and median <= 14 and shortest <= 8 and weight <= 20:
        return "large_standard", _up(weight, OUNCE if weight <= 1 else Decimal("0.25"))
    raise ValueError(f"{length} x {width} x {height} in, {weight_lb} lb is not standard size: the simulator's fee "
                     "table (simulate/_fees.py) holds standard-size rows only; copy the rows it needs from Amazon's card")


def _band(card: Card, price_cents: int) -> int:
    if price_cents < 1000:
        return 0
    return 1 if len(card.bands) == 2 or price_cents <= 5000 else 2


def fulfillment_fee(unit: tuple, on: dt.date) -> tuple[int, int] | None:
    """(fee, fee before the surcharge) in cents for (length, width, height, weight, price_cents) on a day; None when
    no card covers the day."""
    length, width, height, weight, price_cents = unit
    return tier_fee(*size_tier(length, width, height, weight), price_cents, on)


def tier_fee(tier: str, shipping_weight: Decimal, price_cents: int, on: dt.date) -> tuple[int, int] | None:
    """(fee, fee before the surcharge) in cents of a standard-size tier and rounded shipping weight on a day."""
    card = card_on(on)
    if card is None:
        return None
    column, peak = _band(card, price_cents), int(in_peak(card, on))
    rows = card.small_standard if tier == "small_standard" else card.large_standard
    row = next((r for r in rows if shipping_weight <= r[0]), None)
    if row is not None:
        base = row[1 + peak][column]
    else:
        intervals = int(_up(shipping_weight - 3, Decimal("0.25")) / Decimal("0.25"))  # started 4-oz intervals
        base = card.over_3_lb[peak][column] + intervals * card.step_cents
    if not surcharged(card, on):
        return base, base
    fee = (Decimal(base) * (1 + SURCHARGE_RATE)).to_integral_value(ROUND_HALF_UP)
    return int(fee), base


def referral_cents(category: str, price_cents: int, marketplace: str = "US") -> int:
    """Referral fee in cents on a total sales price (VAT included in the UK and DE), per the simulator's copy of the
    store's schedule."""
    rules, minimum = (REFERRAL, REFERRAL_MINIMUM_CENTS) if marketplace == "US" else EU_REFERRAL[marketplace]
    try:
        low, threshold, high, kind = rules[category]
    except KeyError:
        raise ValueError(f"the simulator's {marketplace} referral table (simulate/_fees.py) has no {category!r}; copy "
                         "its rule from Amazon's schedule") from None
    price = Decimal(price_cents) / 100
    if kind == "flat":
        fee = price * low
    elif kind == "whole":
        fee = price * (low if price <= threshold else high)
    else:
        fee = min(price, threshold) * low + max(price - threshold, Decimal(0)) * high
    return max(int((fee * 100).to_integral_value(ROUND_HALF_UP)), minimum)


# ---------------------------------------------------------------------------------------------------------------- UK, DE
# The 2026 UK and German (CEP and DE-only) local fees of the envelope and standard-size parcel tiers, standard rate,
# copied by hand from Amazon's "Rate Card - Europe" effective 1 February 2026 (260114-FBA-Rate-Card-EN.pdf) as issue
# 24's research transcribes it (its section 2.3, "2026 local (and Pan-EU) fees, standard rate"; the same rows on the
# 2026-07-01 card). In force for the parcel rows from 2025-12-15 (Amazon's "parcel fulfilment fees cut" that day) to
# 2027-01-31 (the next card not known). Plus "a 1.5 % fuel and logistics surcharge" on fulfilment fees from 2026-04-17.
# Holiday peaks (research section 2.5): 2025-10-15 .. 2026-01-14 "UK, small/standard parcels and large/extra-large
# envelopes", "DE: small and standard parcels"; its amounts after the 2025-12-15 parcel cut are not documented, and a
# 2026 peak (2026-10-15 .. 2027-01-14) is assumed possible without amounts: those fees are not known (None). Selected-category, low-price, oversize and EFN rows
# are left out: the simulator's EU products are outside them (a unit on those tiers is an error).
EU_CARD = ("{mk}-fba-fulfilment-2026", dt.date(2025, 12, 15), dt.date(2027, 1, 31))
EU_SURCHARGE = (dt.date(2026, 4, 17), Decimal("0.015"))
EU_PEAKS = ((dt.date(2025, 12, 15), dt.date(2026, 1, 14)), (dt.date(2026, 10, 15), dt.date(2027, 1, 14)))
EU_PEAK_TIERS = {"UK": ("large_envelope", "extra_large_envelope", "small_parcel", "standard_parcel"),
                 "DE": ("small_parcel", "standard_parcel")}
# Tier limits: longest x median x shortest cm, unit weight g, dimensional weight g (L x W x H / 5,000 kg); envelopes
# are billed on unit weight, parcels on the greater of unit and dimensional weight (research section 2.2).
EU_TIERS = (
    ("light_envelope", (33, 23, Decimal("2.5")), 100, None),
    ("standard_envelope", (33, 23, Decimal("2.5")), 460, None),
    ("large_envelope", (33, 23, 4), 960, None),
    ("extra_large_envelope", (33, 23, 6), 960, None),
    ("small_parcel", (35, 25, 12), 3900, 2100),
    ("standard_parcel", (45, 34, 26), 11900, 7960),
)
# `tier weight<=g | UK £ | CEP € | DE €`, as the research's table prints them (DE-only = CEP + 0.26).
EU_FEES_2026 = """
    light_envelope 20       | 1.83 | 2.07 | 2.33
    light_envelope 40       | 1.87 | 2.11 | 2.37
    light_envelope 60       | 1.89 | 2.13 | 2.39
    light_envelope 80       | 2.07 | 2.26 | 2.52
    light_envelope 100      | 2.08 | 2.28 | 2.54
    standard_envelope 210   | 2.10 | 2.31 | 2.57
    standard_envelope 460   | 2.16 | 2.42 | 2.68
    large_envelope 960      | 2.72 | 2.78 | 3.04
    extra_large_envelope 960 | 2.94 | 3.16 | 3.42
    small_parcel 150        | 2.91 | 3.12 | 3.38
    small_parcel 400        | 3.00 | 3.13 | 3.39
    small_parcel 900        | 3.04 | 3.14 | 3.40
    small_parcel 1400       | 3.05 | 3.15 | 3.41
    small_parcel 1900       | 3.25 | 3.17 | 3.43
    small_parcel 3900       | 3.27 | 4.28 | 4.54
    standard_parcel 150     | 2.94 | 3.13 | 3.39
    standard_parcel 400     | 3.01 | 3.16 | 3.42
    standard_parcel 900     | 3.06 | 3.18 | 3.44
    standard_parcel 1400    | 3.26 | 3.67 | 3.93
    standard_parcel 1900    | 3.48 | 3.69 | 3.95
    standard_parcel 2900    | 3.49 | 4.29 | 4.55
    standard_parcel 3900    | 3.54 | 4.83 | 5.09
    standard_parcel 5900    | 3.56 | 4.96 | 5.22
    standard_parcel 8900    | 3.57 | 5.77 | 6.03
    standard_parcel 11900   | 3.58 | 6.39 | 6.65
"""
# The fee columns of each store the simulator sells in: the rate-card column name and its place in the rows above.
EU_COLUMNS = {"UK": {"local": 0}, "DE": {"local_cep": 1, "local_de_only": 2}}


def _eu_rows() -> dict[tuple[str, int], tuple[int, int, int]]:
    rows = {}
    for line in EU_FEES_2026.strip().splitlines():
        key, *fees = (part.strip() for part in line.split("|"))
        tier, up_to = key.split()
        rows[(tier, int(up_to))] = tuple(map(_cents, fees))
    return rows


EU_ROWS = _eu_rows()


def eu_size_tier(sides_cm: tuple[Decimal, Decimal, Decimal], unit_g: Decimal) -> tuple[str, Decimal]:
    """(tier, billed weight in g) of a packaged unit in cm and g, envelopes and standard parcels only."""
    longest, median, shortest = sorted(sides_cm, reverse=True)
    dim_g = longest * median * shortest / 5  # L x W x H / 5,000 kg, in g
    for name, limits, max_unit_g, max_dim_g in EU_TIERS:
        fits = all(side <= limit for side, limit in zip((longest, median, shortest), limits)) and unit_g <= max_unit_g
        if fits and (max_dim_g is None or dim_g <= max_dim_g):
            return name, unit_g if max_dim_g is None else max(unit_g, dim_g)
    raise ValueError(f"{sides_cm} cm, {unit_g} g is above a standard parcel: the simulator's EU fee table "
                     "(simulate/_fees.py) holds envelope and standard-parcel rows only")


def eu_fulfilment_fee(marketplace: str, column: str, tier: str, billed_g: Decimal, on: dt.date) -> int | None:
    """Local fulfilment fee in cents (surcharge included) of a UK or DE tier on a day; None when not known (no card
    that day, or a holiday peak without published amounts)."""
    if not EU_CARD[1] <= on <= EU_CARD[2]:
        return None
    if tier in EU_PEAK_TIERS[marketplace] and any(start <= on <= end for start, end in EU_PEAKS):
        return None
    row = next((fees for (name, up_to), fees in EU_ROWS.items() if name == tier and billed_g <= up_to), None)
    if row is None:
        raise ValueError(f"{tier} {billed_g} g is above the simulator's rows")
    base = row[EU_COLUMNS[marketplace][column]]
    if on < EU_SURCHARGE[0]:
        return base
    return int((Decimal(base) * (1 + EU_SURCHARGE[1])).to_integral_value(ROUND_HALF_UP))


# Referral fees of the simulator's categories in the UK and German stores, from the European rate card of 1 February
# 2026 (research section 3.1; "Rates are the same in the UK and the EU stores", thresholds £/€ per row, minimum "£0.25 /
# €0.30"), applied to the total sales price including VAT ("berechnet anhand des Gesamtverkaufspreises, inklusive aller
# Steuern", the German fee schedule). For these categories the rules are the same in the 2025 schedules (section 3.2:
# only clothing, home products, pet food, grocery and supplements moved), so one table serves from 2025-01-01.
# "Everything else, incl. ... Home and Kitchen, ... Sports and Outdoors, Toys and Games, ... Rucksacks and Handbags |
# 15 %"; "Consumer Electronics; Computers; ... | 7 %"; "Baby Products; ... Beauty, Health and Personal Care ... | 8 % if
# total <= T, else 15 % (whole price) | £10 | €10"; "Jewellery | 20 % up to T, 5 % above (portion) | £225 | €250".


def _eu_referral(threshold_jewellery: str) -> dict:
    return {
        "Home and Kitchen": (Decimal("0.15"), None, None, "flat"),
        "Toys and Games": (Decimal("0.15"), None, None, "flat"),
        "Sports and Outdoors": (Decimal("0.15"), None, None, "flat"),
        "Rucksacks and Handbags": (Decimal("0.15"), None, None, "flat"),
        "Computers": (Decimal("0.07"), None, None, "flat"),
        "Beauty, Health and Personal Care": (Decimal("0.08"), Decimal("10.00"), Decimal("0.15"), "whole"),
        "Jewellery": (Decimal("0.20"), Decimal(threshold_jewellery), Decimal("0.05"), "portion"),
    }


EU_REFERRAL = {"UK": (_eu_referral("225.00"), 25), "DE": (_eu_referral("250.00"), 30)}


# The Digital Services Fee a seller established in China pays in the UK and German stores (the simulator's European
# accounts are such sellers), from Amazon's "Digital services fee effective October 1" (2024) as issue 24's research
# tabulates it (section 3.4): "any other country (China, US, DE, ...) | UK and FR stores | 2 % | 2 %" and "any other
# country | other stores (DE, NL, SE, PL, BE, US, MX, JP) | — | —"; nothing before 2024-10-01 (the tax was inside
# the rates then). The 2026-03-20 change touched FR, IT and ES only; "the amazon.co.uk rate remains 2 %".
# (share of the Selling on Amazon fees, share of the FBA fees). Amazon writes the two shares on lines of their own
# (`DigitalServicesFee`, `DigitalServicesFeeFBA`), each rounded to the cent half up (as the Canadian lines fit).
DSF_FROM = dt.date(2024, 10, 1)
DSF_CN_SELLER = {"UK": (Decimal("0.02"), Decimal("0.02")), "DE": (Decimal(0), Decimal(0))}


def dsf_cents(marketplace: str, selling_cents: int, fba_cents: int, on: dt.date) -> tuple[int, int]:
    """The DSF lines in cents (on the referral fee, on the fulfilment fee; 0: no line) of a China-established seller."""
    if on < DSF_FROM:
        return 0, 0
    return tuple(int((cents * share).to_integral_value(ROUND_HALF_UP))
                 for cents, share in zip((selling_cents, fba_cents), DSF_CN_SELLER[marketplace]))
