"""Fulfilment fees outside the US (issue 24): every expected fee is copied by hand from the research note's tables
(issue 24's research; the row and the source key are quoted at each test), never computed by the module under test.

Source keys (docs/rate-cards.md, "Sources outside the US"): A-MAY25 Amazon's May 2025 announcement with the 900 g
backpack example; C-EU1 the machine extraction of Amazon's Rate Card Europe 260114 (effective 2026-02-01); C-EU2,
C-EU3, C-EU4 copies that agree with it; C-EU6 the 2025 table (one copy); A-FUEL-EU the 1.5 % surcharge from
2026-04-17; A-JP via C-JP1 the Japanese page as seen on 2026-10-04; A-CA the 2024 Remote Fulfillment table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fba_audit import ratecards as rc
from fba_audit import ratecards_fulfilment as rf

FEB_2026 = dt.date(2026, 3, 1)  # the 2026 card, after the 2026-02-01 low-price change, before the fuel surcharge


def fees(*unit, price="45.00", marketplace="UK", on=FEB_2026, category=None, selected=None) -> dict:
    """(column, rate) -> fee of every candidate."""
    found = rf.fee_candidates(*unit, price, marketplace=marketplace, on=on, category=category, selected=selected)
    return {(c.column, c.rate): c.fee for c in found}


# ------------------------------------------------------------------------------ Amazon's own worked example

# A-MAY25: "UK: drops from £3.48 to £3.13; Germany €4.71 to €3.80; France €6.84 to €6.09; Italy €6.05 to €5.31;
# Spain €4.94 to €4.41" for a 900 g backpack when rucksacks moved to the unit-weight tiers on 2025-05-15. A
# 40 x 30 x 6 cm backpack is Medium Parcel 1 (40 x 30 x 6 cm) after, and a standard parcel billed on its 1.44 kg
# dimensional weight (40 x 30 x 6 / 5,000) before: the <= 1.9 kg row of the 2025 table (C-EU6).
BACKPACK = (40, 30, 6, "cm", 900, "g")
AFTER = {"UK": Decimal("3.13"), "DE": Decimal("3.80"), "FR": Decimal("6.09"), "IT": Decimal("5.31"),
         "ES": Decimal("4.41")}
BEFORE = {"UK": Decimal("3.48"), "DE": Decimal("4.71"), "FR": Decimal("6.84"), "IT": Decimal("6.05"),
          "ES": Decimal("4.94")}


@pytest.mark.parametrize("marketplace", sorted(AFTER))
def test_backpack_example_after_the_change(marketplace):
    local = "local_cep" if marketplace == "DE" else "local"  # Amazon's DE figure is the CEP column
    for on in (dt.date(2025, 5, 15), dt.date(2025, 9, 1), FEB_2026):  # 2025 card from 2025-05-15, then the 2026 one
        found = fees(*BACKPACK, marketplace=marketplace, on=on, category="Rucksacks and Handbags")
        assert found[(local, "selected category")] == AFTER[marketplace], (marketplace, on)


@pytest.mark.parametrize("marketplace", sorted(BEFORE))
def test_backpack_example_before_the_change(marketplace):
    local = "local_cep" if marketplace == "DE" else "local"
    found = fees(*BACKPACK, marketplace=marketplace, on=dt.date(2025, 5, 14), category="Rucksacks and Handbags")
    assert found[(local, "standard")] == BEFORE[marketplace]
    assert (local, "selected category") not in found  # no selected-category tiers before 2025-05-15


def test_backpack_in_millimetres_and_kilograms_is_the_same_unit():
    # products.csv accepts mm and kg; 400 x 300 x 60 mm, 0.9 kg is exactly the backpack above.
    found = fees(400, 300, 60, "mm", "0.9", "kg", category="Rucksacks and Handbags")
    assert found[("local", "selected category")] == Decimal("3.13")


def test_backpack_on_the_de_only_column():
    # Selected-category parcels, "Medium Parcel 1", DE column: 3.50 + 0.07 per started 100 g above the first 100 g
    # (C-EU1 = C-EU3): 3.50 + 8 x 0.07 = 4.06 (the DE-only column is CEP + 0.26: 3.80 + 0.26).
    found = fees(*BACKPACK, marketplace="DE", category="Rucksacks and Handbags")
    assert found[("local_de_only", "selected category")] == Decimal("4.06")


def test_unknown_category_keeps_both_tier_sets():
    # Without the category the backpack could be on either set: UK Medium Parcel 1 3.13 or the standard parcel
    # <= 1.9 kg row of the 2026 table, 3.48 (C-EU1).
    found = fees(*BACKPACK)
    assert found[("local", "selected category")] == Decimal("3.13")
    assert found[("local", "standard")] == Decimal("3.48")


# ------------------------------------------------------------------------------ tiers and weights

def test_standard_envelope_460_g_vs_large_envelope_461_g():
    # 2026 UK column (C-EU1 = C-EU2 = C-EU3 = C-EU4): "Std env. 460 g | 2.16"; "Large env. 960 g | 2.72".
    assert fees(20, 15, 1, "cm", 460, "g")[("local", "standard")] == Decimal("2.16")
    assert fees(20, 15, 1, "cm", 461, "g")[("local", "standard")] == Decimal("2.72")


def test_light_envelope_bands_are_upper_inclusive():
    # "Light env. 20 g | 1.83", "Light env. 40 g | 1.87" (UK, 2026).
    assert fees(20, 15, 1, "cm", 20, "g")[("local", "standard")] == Decimal("1.83")
    assert fees(20, 15, 1, "cm", "20.5", "g")[("local", "standard")] == Decimal("1.87")


def test_envelope_is_billed_on_unit_weight():
    # 33 x 23 x 2.5 cm is 379.5 g of dimensional weight, but envelopes go on unit weight: 50 g is the FR light
    # envelope <= 60 g row, 2.78 (C-EU1).
    assert fees(33, 23, "2.5", "cm", 50, "g", marketplace="FR")[("local", "standard")] == Decimal("2.78")


def test_dimensional_weight_tips_a_parcel_into_a_higher_band():
    # 30 x 25 x 12 cm = 1,800 g dimensional weight (/5,000) for a 500 g unit: FR small parcel <= 1.9 kg, 6.10,
    # not the <= 900 g row, 5.79 (C-EU1). A 30 x 25 x 5 cm box (750 g) stays in the <= 900 g row.
    assert fees(30, 25, 12, "cm", 500, "g", marketplace="FR")[("local", "standard")] == Decimal("6.10")
    assert fees(30, 25, 5, "cm", 500, "g", marketplace="FR")[("local", "standard")] == Decimal("5.79")


def test_inches_and_pounds_are_converted_exactly():
    # 10 x 8 x 4 in is 25.4 x 20.32 x 10.16 cm (a small parcel, dimensional weight 1,048.8 g) and 1 lb 453.59 g:
    # UK small parcel <= 1.4 kg, 3.05 (C-EU1).
    assert fees(10, 8, 4, "in", 1, "lb")[("local", "standard")] == Decimal("3.05")


def test_small_oversize_at_base_weight_and_per_kg_above():
    # UK "Small oversize | 3.49 + 0.25/kg" above 0.76 kg (C-EU1, C-EU2, C-EU3; C-EU4 says 0.22). 50 x 10 x 5 cm is
    # 500 g dimensional weight, 300 g unit: the base fee, verified. 50 x 40 x 30 cm is 12 kg dimensional weight:
    # 3.49 + 12 started kg above 0.76 kg x 0.25 = 6.49, unverified (per started kg or pro rata is not stated).
    at_base = rf.fee_candidates(50, 10, 5, "cm", 300, "g", "45", marketplace="UK", on=FEB_2026)[0]
    assert (at_base.tier, at_base.fee, at_base.verified) == ("small_oversize", Decimal("3.49"), True)
    above = rf.fee_candidates(50, 40, 30, "cm", 1500, "g", "45", marketplace="UK", on=FEB_2026)[0]
    assert (above.tier, above.fee, above.verified) == ("small_oversize", Decimal("6.49"), False)


# ------------------------------------------------------------------------------ columns, surcharge, peak

def test_de_only_and_cep_columns_both_could_apply():
    # "Std parcel 900 g | 3.06 (UK) | 3.18 (CEP) | 3.44 (DE)" (C-EU1 = C-EU3); EFN "to DE/FR/IT/ES from
    # CEP/FR/IT/ES", std parcel 900 g: 9.19; UK -> DE/FR/IT/ES: 8.63.
    # 40 x 30 x 3 cm (too long for a small parcel; 720 g dimensional weight), 800 g: standard parcel <= 900 g.
    found = fees(40, 30, 3, "cm", 800, "g", marketplace="DE", category="Toys and Games")
    assert found[("local_cep", "standard")] == Decimal("3.18")
    assert found[("local_de_only", "standard")] == Decimal("3.44")
    assert found[("efn", "standard")] == Decimal("9.19")
    assert found[("remote_from_uk", "standard")] == Decimal("8.63")


def test_cheapest_and_most_expensive_column():
    # UK light envelope <= 20 g: local 1.83, remote DE/FR/IT/ES -> UK 3.33 (C-EU1 = C-EU3); the 0.10 dangerous
    # goods fee (C-EU1 card p.6) may be inside the charge, so the most a correct charge can be is 3.43.
    result = rc.expected_fulfillment_fee(20, 15, 1, "cm", 20, "g", "30", marketplace="UK", on=FEB_2026)
    assert (result.fee, result.fee_with_extras, result.highest_fee) == (Decimal("1.83"), Decimal("1.93"),
                                                                          Decimal("3.43"))
    assert result.verified and result.highest_verified
    assert result.guesses and "where the unit shipped from" in result.guesses[0]


def test_fuel_surcharge_from_2026_04_17():
    # UK "Std env. 460 g | 2.16"; from 2026-04-17 plus 1.5 % (A-FUEL-EU): 2.16 x 1.015 = 2.1924 -> 2.19.
    assert fees(20, 15, 1, "cm", 460, "g", on=dt.date(2026, 4, 16))[("local", "standard")] == Decimal("2.16")
    assert fees(20, 15, 1, "cm", 460, "g", on=dt.date(2026, 4, 17))[("local", "standard")] == Decimal("2.19")


def test_peak_window_after_the_december_cut_is_not_judged():
    # 2025-12-15 .. 2026-01-14: the UK peak overlaps the parcel cut and what was charged is not documented
    #: no parcel fee; light envelopes have no peak, so 1.83 stands.
    on = dt.date(2026, 1, 5)
    parcel = rc.expected_fulfillment_fee(30, 20, 10, "cm", 500, "g", "30", marketplace="UK", on=on)
    assert parcel.fee is None and parcel.reason == "holiday peak 2025-12-15..2026-01-14: peak amounts not known"
    envelope = rc.expected_fulfillment_fee(20, 15, 1, "cm", 20, "g", "30", marketplace="UK", on=on)
    assert envelope.fee == Decimal("1.83")


def test_uk_peak_2025_before_the_cut():
    # UK peak 2025, "Small parcel | <=150 g 3.00" (C-EU5, one copy: unverified); remote EU -> UK peak not known,
    # so the most expensive column is unknown.
    result = rc.expected_fulfillment_fee(20, 15, 5, "cm", 100, "g", "30", marketplace="UK", on=dt.date(2025, 11, 3))
    assert (result.fee, result.verified, result.peak, result.highest_fee) == (Decimal("3.00"), False, True, None)


# ------------------------------------------------------------------------------ low-price

def test_low_price_threshold_moves_on_2026_02_01():
    # UK low-price "Light env. 20 g | 1.46" (C-EU3, C-EU4); threshold £10 to 2026-01-31, £20 from 2026-02-01 in
    # most categories, £10 still in the excluded ones ("Books", quoted from sell.amazon.co.uk in C-EU4).
    assert fees(20, 15, 1, "cm", 20, "g", price="15.00")[("local", "low-price")] == Decimal("1.46")
    assert ("local", "low-price") not in fees(20, 15, 1, "cm", 20, "g", price="15.00", on=dt.date(2026, 1, 20))
    assert ("local", "low-price") not in fees(20, 15, 1, "cm", 20, "g", price="15.00", category="Books")
    assert fees(20, 15, 1, "cm", 20, "g", price="9.99", category="Books")[("local", "low-price")] == Decimal("1.46")
    # Above 400 g a small parcel is not low-price.
    assert ("local", "low-price") not in fees(30, 20, 10, "cm", 450, "g", price="9.99")


# ------------------------------------------------------------------------------ unverified stores, JP, CA

def test_netherlands_rows_are_unverified():
    # NL "Light env. 20 g | 2.31" (C-EU3 only, LOW-MEDIUM).
    result = rc.expected_fulfillment_fee(20, 15, 1, "cm", 20, "g", "30", marketplace="NL", on=FEB_2026)
    assert (result.fee, result.verified, result.highest_verified) == (Decimal("2.31"), False, False)


def test_japan_snapshot_tiers_and_price_columns():
    # As seen on sell.amazon.co.jp on 2026-10-04 (A-JP via C-JP1), tax included: 小型 (<= 25 x 18 x 2.0 cm,
    # <= 250 g) 288 / 222 at <= ¥1,000; 標準1 (<= 35 x 30 x 3.3 cm, <= 1 kg) 318.
    on = dt.date(2026, 11, 2)
    small = rc.expected_fulfillment_fee(25, 18, 2, "cm", 250, "g", "1500", marketplace="JP", on=on)
    assert (small.tier.tier, small.fee, small.verified) == ("small", Decimal("288"), False)
    assert rc.expected_fulfillment_fee(25, 18, 2, "cm", 251, "g", "1500", marketplace="JP", on=on).fee == Decimal("318")
    cheap = rc.expected_fulfillment_fee(25, 18, 2, "cm", 250, "g", "1000", marketplace="JP", on=on)
    assert (cheap.fee, cheap.highest_fee) == (Decimal("222"), Decimal("288"))
    # The snapshot is used from the day it was seen.
    assert rc.table_for("fulfillment", "JP", dt.date(2026, 10, 3)) is None


def test_canada_remote_fulfillment_matches_the_real_fee_preview():
    # R-FP: a real Fee Preview CA row of 2026-05-14, 7.72 x 6.54 x 1.22 in, 0.18 lb: 10.16 CAD = the Remote
    # Fulfillment large standard 4-8 oz row, $9.82 (A-CA), plus 3.5 %. Domestic Canadian FBA could apply too.
    result = rc.expected_fulfillment_fee("7.72", "6.54", "1.22", "inches", "0.18", "pounds", "25",
                                         marketplace="CA", on=dt.date(2026, 5, 14))
    assert (result.tier.tier, result.fee, result.verified) == ("large_standard", Decimal("10.16"), False)
    assert result.doubts and "domestic FBA" in result.doubts[0]


def test_canada_rows_the_note_elides_give_no_fee():
    # Large standard 1.5 lb: the quarter-pound rows between $12.05 and $15.08 are not in the note.
    result = rc.expected_fulfillment_fee(8, 6, 2, "in", "1.4", "lb", "25", marketplace="CA", on=FEB_2026)
    assert result.fee is None and "is not in table ca-remote-fulfillment-2024" in result.reason


# ------------------------------------------------------------------------------ coverage

def test_coverage_by_marketplace_and_date():
    assert [(p.start, p.end, p.table_id, p.status) for p in rf.coverage("UK")] == [
        (None, dt.date(2025, 1, 31), None, "none"),
        (dt.date(2025, 2, 1), dt.date(2025, 12, 14), "uk-fba-fulfilment-2025", "unverified"),
        (dt.date(2025, 12, 15), dt.date(2027, 1, 31), "uk-fba-fulfilment-2026", "partly verified"),
        (dt.date(2027, 2, 1), None, None, "none"),
    ]
    assert [p.status for p in rf.coverage("MX")] == ["none"]


def test_coverage_table_in_the_docs_matches_the_cards():
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "rate-cards.md").read_text(encoding="utf-8")
    for marketplace in ("US", "UK", "DE", "FR", "IT", "ES", "NL", "SE", "PL", "BE", "JP", "CA", "MX", "IE"):
        for period in rf.coverage(marketplace):
            assert rf.coverage_row(marketplace, period) in text, (marketplace, period)
