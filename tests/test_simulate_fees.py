"""The simulator's own copy of Amazon's fee tables (fba_audit.simulate._fees) against the rate cards.

The simulator charges its account, and writes its truth, from its own copy of the rows its catalog uses, so that the
accuracy tests do not grade the rate cards against themselves. These tests say when the two copies disagree: a number
changed in one place and not the other.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fba_audit import digital_services_fee, ratecards, ratecards_fulfilment
from fba_audit.simulate import _catalog, _fees

ONE_DAY = dt.timedelta(days=1)


def _cents(amount: Decimal) -> int:
    return int(amount * 100)


@pytest.mark.parametrize("card", _fees.CARDS, ids=lambda card: card.id)
def test_card_dates_peaks_and_surcharge_agree(card):
    program = ratecards.table_for("fulfillment", "US", card.start)
    assert (program.id, program.effective_from, program.effective_to) == (card.id, card.start, card.end)
    assert getattr(ratecards.table_for("fulfillment", "US", card.start - ONE_DAY), "id", None) != card.id
    assert [(p["start"], p["end"], p["amounts_known"]) for p in program.data["peak_periods"]] == [(*card.peak, True)]
    applied = [(s["effective_from"], Decimal(s["rate"])) for s in program.data.get("surcharges", []) if s["applied"]]
    assert applied == ([(card.surcharge_from, _fees.SURCHARGE_RATE)] if card.surcharge_from else [])


def _days(card) -> list[dt.date]:
    """A day in each regime of the card: the first day, around the surcharge, the peak's first and last day."""
    days = [card.start, card.peak[0] - ONE_DAY, card.peak[0], card.peak[1]]
    if card.surcharge_from:
        days += [card.surcharge_from - ONE_DAY, card.surcharge_from]
    return days


def _weights(rows, tier: str) -> list[Decimal]:
    weights = [row[0] for row in rows]
    return weights + ([Decimal("3.25"), Decimal("3.5"), Decimal("10"), Decimal("20")] if tier == "large_standard" else [])


@pytest.mark.parametrize("card", _fees.CARDS, ids=lambda card: card.id)
@pytest.mark.parametrize("tier", ["small_standard", "large_standard"])
def test_every_row_band_and_regime_agrees_with_the_rate_card(card, tier):
    rows = getattr(card, tier)
    checked = 0
    for on in _days(card):
        for weight in _weights(rows, tier):
            for price_cents in (999, 1000, 5000, 5001):
                mine = _fees.tier_fee(tier, weight, price_cents, on)[0]
                program = ratecards.fulfillment_fee(tier, weight, Decimal(price_cents) / 100, on=on)
                assert mine == _cents(program), (card.id, tier, on, weight, price_cents)
                checked += 1
    assert checked == len(_days(card)) * len(_weights(rows, tier)) * 4


def _units() -> list[tuple]:
    """The simulator's packages: every template, and the taller, heavier package of the fee stories."""
    units = []
    for index, template in enumerate(_catalog.TEMPLATES):
        units.append((*template.dims, template.weight))
        if index in _catalog.SMALL_STANDARD:
            units.append((*template.dims[:2], 1.2, template.weight + 0.35))
    return units


BOUNDARY_UNITS = [(15, 12, 0.75, 1.0), (15.01, 12, 0.75, 1.0), (10, 8, 0.5, 1.0625), (18, 14, 8, 20.0),
                  (13.9, 10, 1, 0.25), (13.9, 10, 1.01, 0.25), (17, 13, 0.8, 0.25), (10, 6, 1, 3.01)]


@pytest.mark.parametrize("unit", _units() + BOUNDARY_UNITS)
def test_size_tier_and_shipping_weight_agree(unit):
    program = ratecards.size_tier(*unit[:3], "inches", unit[3], "pounds", on=dt.date(2026, 2, 1))
    assert _fees.size_tier(*unit) == (program.tier, program.shipping_weight_lb)


@pytest.mark.parametrize("unit", _units())
def test_the_simulators_packages_agree_on_every_day_of_both_cards(unit):
    for template in _catalog.TEMPLATES:
        for price in template.prices:
            for card in _fees.CARDS:
                for on in _days(card):
                    program = ratecards.expected_fulfillment_fee(*unit[:3], "inches", unit[3], "pounds", price, on=on)
                    assert _fees.fulfillment_fee((*unit, _catalog.cents(price)), on) == (
                        _cents(program.fee), _cents(program.base_fee)), (unit, price, on)


def test_referral_schedule_and_categories_agree():
    schedule_id, since = _fees.REFERRAL_SCHEDULE
    program = ratecards.table_for("referral", "US", since)
    assert (program.id, program.effective_from) == (schedule_id, since)
    assert ratecards.table_for("referral", "US", since - ONE_DAY) is None
    assert {t.category for t in _catalog.TEMPLATES} == set(_fees.REFERRAL)
    for category in _fees.REFERRAL:
        for price_cents in (100, 199, 200, 375, 999, 1000, 1001, 2500, 25000, 25001, 30000, 150000):
            program = ratecards.referral_fee(category, Decimal(price_cents) / 100, on=dt.date(2026, 5, 10))
            assert _fees.referral_cents(category, price_cents) == _cents(program), (category, price_cents)


def test_hand_copied_values():
    # Amazon's rows, as in tests/truth: the wallet (7.72 x 6.54 x 1.22 in, 0.18 lb, $25.00) is large standard 4+ to
    # 8 oz by dimensional weight: $3.95 in February 2026, x 1.035 = $4.09 from 2026-04-17, peak $4.21 x 1.035 = $4.36.
    wallet = (7.72, 6.54, 1.22, 0.18, 2500)
    assert _fees.fulfillment_fee(wallet, dt.date(2026, 2, 10)) == (395, 395)
    assert _fees.fulfillment_fee(wallet, dt.date(2026, 5, 10)) == (409, 395)
    assert _fees.fulfillment_fee(wallet, dt.date(2026, 11, 1)) == (436, 421)
    assert _fees.fulfillment_fee(wallet, dt.date(2025, 1, 14)) is None
    # Jewelry 20 % of the first $250 and 5 % above; Beauty 8 % up to $10.00 and 15 % on the whole price above.
    assert _fees.referral_cents("Jewelry", 30000) == 5250
    assert (_fees.referral_cents("Beauty, Health and Personal Care", 1000),
            _fees.referral_cents("Beauty, Health and Personal Care", 1001)) == (80, 150)
    assert _fees.referral_cents("Computers", 200) == 30  # 8 % = $0.16, under the $0.30 minimum


def test_a_package_or_category_the_table_does_not_hold_is_an_error():
    with pytest.raises(ValueError, match=r"18.01 x 14 x 8 in, 20 lb is not standard size: the simulator's fee table"):
        _fees.size_tier(18.01, 14, 8, 20)
    with pytest.raises(ValueError, match=r"has no 'Furniture'; copy its rule from Amazon's schedule"):
        _fees.referral_cents("Furniture", 25000)


# ------------------------------------------------------------------------------------------------------- UK and DE


# A unit of each tier whose dimensional weight stays under 150 g, so that the billed weight is the unit weight.
EU_SIDES = {
    "light_envelope": (20, 15, 1), "standard_envelope": (20, 15, 1), "large_envelope": (20, 15, 3),
    "extra_large_envelope": (20, 15, 5), "small_parcel": (10, 10, 7), "standard_parcel": (36, 5, 4),
}
# The card's first day, the day before and the day of the surcharge, the day before and the first day of the 2026
# peak, the card's last day and the day after it.
EU_DAYS = [dt.date(2025, 12, 15), dt.date(2026, 4, 16), dt.date(2026, 4, 17), dt.date(2026, 10, 14),
           dt.date(2026, 10, 15), dt.date(2027, 1, 31), dt.date(2027, 2, 1)]


def _eu_cases():
    previous: dict[str, int] = {}
    for (tier, up_to) in _fees.EU_ROWS:
        low = previous.get(tier, 0 if tier != "standard_envelope" else 100) + 1
        previous[tier] = up_to
        for mk, columns in _fees.EU_COLUMNS.items():
            for column in columns:
                yield mk, column, tier, low, up_to


@pytest.mark.parametrize(("marketplace", "column", "tier", "low_g", "up_to_g"), list(_eu_cases()))
def test_every_uk_and_de_row_agrees_with_the_rate_card(marketplace, column, tier, low_g, up_to_g):
    checked = 0
    for on in EU_DAYS:
        card = ratecards.table_for("fulfillment", marketplace, on)
        for grams in {low_g, up_to_g}:
            unit = ratecards_fulfilment.Unit(tuple(Decimal(s) for s in EU_SIDES[tier]), Decimal(grams))
            mine_tier, billed = _fees.eu_size_tier(unit.sides_cm, unit.unit_g)
            mine = _fees.eu_fulfilment_fee(marketplace, column, mine_tier, billed, on)
            if card is None:
                assert mine is None, (on, grams)
                continue
            program = {c.column: c for c in ratecards_fulfilment.candidates(card, unit, Decimal(30), on,
                                                                            selected=False)
                       if c.rate == "standard"}[column]
            assert (mine_tier, mine) == (program.tier, None if program.fee is None else _cents(program.fee)), \
                (on, grams)
            checked += 1
    assert checked == 6 * len({low_g, up_to_g})  # six days have a card


def test_uk_and_de_fees_quoted_from_the_card():
    # Research section 2.3, "Std parcel 900 g | UK 3.06 | CEP 3.18 | DE 3.44"; from 2026-04-17 plus 1.5 %:
    # 3.06 x 1.015 = 3.1059 -> 3.11; 3.18 x 1.015 = 3.2277 -> 3.23; 3.44 x 1.015 = 3.4916 -> 3.49.
    on, before = dt.date(2026, 5, 4), dt.date(2026, 3, 2)
    assert _fees.eu_fulfilment_fee("UK", "local", "standard_parcel", Decimal(900), before) == 306
    assert _fees.eu_fulfilment_fee("UK", "local", "standard_parcel", Decimal(900), on) == 311
    assert _fees.eu_fulfilment_fee("DE", "local_cep", "standard_parcel", Decimal(900), on) == 323
    assert _fees.eu_fulfilment_fee("DE", "local_de_only", "standard_parcel", Decimal(900), on) == 349
    # "Light env. 100 g | 2.08 | 2.28 | 2.54": envelopes have no 2026 peak, parcels' peak amounts are unknown.
    assert _fees.eu_fulfilment_fee("DE", "local_de_only", "light_envelope", Decimal(100), before) == 254
    assert _fees.eu_fulfilment_fee("UK", "local", "light_envelope", Decimal(100), dt.date(2026, 11, 1)) == 211
    assert _fees.eu_fulfilment_fee("UK", "local", "small_parcel", Decimal(100), dt.date(2026, 11, 1)) is None


def test_eu_size_tiers_by_the_greater_of_unit_and_dimensional_weight():
    # 30 x 20 x 10 cm = 6,000 cm3 / 5,000 = 1.2 kg dimensional: a 500 g unit is billed on 1,200 g.
    assert _fees.eu_size_tier((Decimal(30), Decimal(20), Decimal(10)), Decimal(500)) == ("small_parcel", Decimal(1200))
    # An envelope is billed on its unit weight: 33 x 23 x 2.5 cm, 460 g.
    assert _fees.eu_size_tier((Decimal(23), Decimal(33), Decimal("2.5")), Decimal(460)) == (
        "standard_envelope", Decimal(460))
    # 35 x 25 x 12 cm is 2.1 kg dimensional, the small parcel's limit; 0.1 cm more is a standard parcel.
    assert _fees.eu_size_tier((Decimal(35), Decimal(25), Decimal(12)), Decimal(100))[0] == "small_parcel"
    assert _fees.eu_size_tier((Decimal("35.1"), Decimal(25), Decimal(12)), Decimal(100))[0] == "standard_parcel"
    with pytest.raises(ValueError, match="above a standard parcel"):
        _fees.eu_size_tier((Decimal(46), Decimal(20), Decimal(10)), Decimal(100))


# A day under each UK/EU referral schedule: 2025 (back-derived), from 2025-12-15, from 2026-01-05, from 2026-02-01.
EU_REFERRAL_DAYS = [dt.date(2025, 6, 1), dt.date(2025, 12, 20), dt.date(2026, 1, 10), dt.date(2026, 5, 1)]


@pytest.mark.parametrize("marketplace", ["UK", "DE"])
@pytest.mark.parametrize("category", sorted(_fees.EU_REFERRAL["UK"][0]))
def test_uk_and_de_referral_rules_agree_with_the_schedules(marketplace, category):
    for on in EU_REFERRAL_DAYS:
        for price_cents in (100, 999, 1000, 1001, 22500, 25000, 30000):
            program = ratecards.expected_referral_fee(category, Decimal(price_cents) / 100, marketplace=marketplace,
                                                     on=on)
            assert _fees.referral_cents(category, price_cents, marketplace) == _cents(program.fee), (on, price_cents)


def test_uk_and_de_referral_fees_quoted_from_the_card():
    # Jewellery, "20 % up to T, 5 % above (portion) | £225 | €250": at 300, UK 45.00 + 3.75; DE 50.00 + 2.50.
    assert _fees.referral_cents("Jewellery", 30000, "UK") == 4875
    assert _fees.referral_cents("Jewellery", 30000, "DE") == 5250
    # "Minimum per item: £0.25 / €0.30": 7 % of 1.00 is 0.07.
    assert _fees.referral_cents("Computers", 100, "UK") == 25
    assert _fees.referral_cents("Computers", 100, "DE") == 30
    # Beauty "8 % if total <= T, else 15 % (whole price)", T = 10: 0.80 at 10.00, 1.50 at 10.01 (rounded half up).
    assert _fees.referral_cents("Beauty, Health and Personal Care", 1000, "DE") == 80
    assert _fees.referral_cents("Beauty, Health and Personal Care", 1001, "DE") == 150
    with pytest.raises(ValueError, match="UK referral table"):
        _fees.referral_cents("Jewelry", 1000, "UK")  # the US name: the UK card says Jewellery


@pytest.mark.parametrize("marketplace", ["UK", "DE"])
@pytest.mark.parametrize("on", [dt.date(2024, 9, 30), dt.date(2024, 10, 1), dt.date(2026, 3, 20), dt.date(2026, 11, 1)])
def test_the_dsf_of_a_china_established_seller_agrees_with_the_dsf_table(marketplace, on):
    program = digital_services_fee.rates("CN", marketplace, on)
    if on < _fees.DSF_FROM:
        assert program == ()
        return
    assert [(r.selling, r.fba) for r in program] == [_fees.DSF_CN_SELLER[marketplace]]


def test_dsf_amounts_quoted_from_amazons_example():
    # Amazon's 2024 example at the UK rates: "2 % ($0.05) on Selling on Amazon fees ($2.25) and a 2 % ($0.07) on FBA
    # fees ($3.30)": 0.045 -> 0.05 and 0.066 -> 0.07, each on its own line.
    assert _fees.dsf_cents("UK", 225, 330, dt.date(2026, 5, 1)) == (5, 7)
    assert _fees.dsf_cents("UK", 225, 330, dt.date(2024, 9, 30)) == (0, 0)
    assert _fees.dsf_cents("DE", 225, 330, dt.date(2026, 5, 1)) == (0, 0)
