"""The country of a fulfilment centre code and the fee columns a shipping country leaves (issue 24, item 3).

Expected fees are the rows of Amazon's 'Rate Card - Europe' effective 1 February 2026 (read through the shared
research note, crossborder.md 2.3 "2026 local (and Pan-EU) fees" and 2.7 "Which column applies"), quoted in each
test; the 0.10 dangerous goods / lithium battery fee that may be inside a charge (rate card p.6) is added to each,
as `with_extras` does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fba_audit import fulfilment_centres as fc
from fba_audit import ratecards as rc

MARCH_2026 = dt.date(2026, 3, 10)  # after the 2025-12-15 parcel cut, before the 2026-04-17 fuel surcharge


def card_columns(marketplace: str) -> list[str]:
    return [c["name"] for c in rc.table_for("fulfillment", marketplace, MARCH_2026).data["columns"]]


@pytest.mark.parametrize(("code", "country"), [
    ("LEJ1", "DE"), ("FRA3", "DE"), ("DTM2", "DE"), ("BHX4", "UK"), ("MAN1", "UK"), ("ORY1", "FR"), ("LYS1", "FR"),
    ("MXP5", "IT"), ("FCO1", "IT"), ("MAD4", "ES"), ("BCN1", "ES"),
    (" lej1 ", "DE"),  # as a spreadsheet may write it
])
def test_known_centre_codes(code, country):
    assert fc.country_of(code) == country


@pytest.mark.parametrize("code", ["LEJ9", "LEJ", "XQZ9", "", None])
def test_unknown_code_has_no_country_never_a_guess_from_the_airport_prefix(code):
    assert fc.country_of(code) is None


def test_same_country_leaves_the_local_columns():
    assert fc.route_columns("UK", "UK", card_columns("UK")) == {"local"}
    assert fc.route_columns("FR", "FR", card_columns("FR")) == {"local"}
    # In DE the reports do not say whether the seller is in the Central Europe Programme: both stay.
    assert fc.route_columns("DE", "DE", card_columns("DE")) == {"local_cep", "local_de_only"}


def test_across_the_channel_leaves_the_remote_column():
    assert fc.route_columns("UK", "IT", card_columns("UK")) == {"remote_from_eu"}
    assert fc.route_columns("DE", "UK", card_columns("DE")) == {"remote_from_uk"}
    assert fc.route_columns("ES", "UK", card_columns("ES")) == {"remote_from_uk"}


def test_another_eu_country_leaves_efn_and_the_pan_eu_local_fee():
    assert fc.route_columns("DE", "FR", card_columns("DE")) == {"efn", "local_cep"}
    assert fc.route_columns("FR", "IT", card_columns("FR")) == {"efn", "local"}
    # German stock sold in France: EFN, or EFN + 0.26 outside CEP.
    assert fc.route_columns("FR", "DE", card_columns("FR")) == {"efn", "efn_from_de_without_cep", "local"}


def test_a_route_the_card_has_no_column_for_narrows_nothing():
    # Polish stock sold in the UK: the UK card's remote column names DE/FR/IT/ES stock only.
    assert fc.route_columns("UK", "PL", card_columns("UK")) is None


def envelope(marketplace: str, columns: frozenset[str] | None) -> rc.FeeResult:
    """A 20 x 15 x 1 cm, 50 g unit (a light envelope up to 60 g) sold at 30 on 2026-03-10."""
    return rc.expected_fulfillment_fee(20, 15, 1, "cm", 50, "g", "30", marketplace=marketplace, on=MARCH_2026,
                                       columns=columns)


def test_uk_stock_judges_a_uk_charge_on_the_local_column_alone():
    # "Light env. 60 g | UK £ 1.89" (2.3) and "DE/FR/IT/ES -> UK £ 3.33 / 3.35 / 3.39" (2.7, the 60 g band: 3.39).
    every = envelope("UK", None)
    assert (every.fee_with_extras, every.highest_fee) == (Decimal("1.99"), Decimal("3.49"))
    assert every.guesses  # without the report, the charge does not show where the unit shipped from
    local = envelope("UK", frozenset({"local"}))
    assert (local.fee_with_extras, local.highest_fee, local.highest_verified) == (Decimal("1.99"), Decimal("1.99"),
                                                                                  True)
    assert [c.column for c in local.columns] == ["local"]
    assert local.guesses == ()
    remote = envelope("UK", frozenset({"remote_from_eu"}))
    assert (remote.fee_with_extras, remote.highest_fee) == (Decimal("3.49"), Decimal("3.49"))


def test_german_stock_in_the_german_store_is_cep_or_de_only():
    # "Light env. 60 g | CEP € 2.13 | DE € 2.39" (2.3); EFN "to DE/FR/IT/ES from CEP/FR/IT/ES €" 60 g: 5.16 (2.7).
    german = envelope("DE", fc.route_columns("DE", "DE", card_columns("DE")))
    assert sorted((c.column, c.with_extras) for c in german.columns) == [
        ("local_cep", Decimal("2.23")), ("local_de_only", Decimal("2.49"))]
    assert german.highest_fee == Decimal("2.49")
    french = envelope("DE", fc.route_columns("DE", "FR", card_columns("DE")))
    assert sorted((c.column, c.with_extras) for c in french.columns) == [
        ("efn", Decimal("5.26")), ("local_cep", Decimal("2.23"))]
