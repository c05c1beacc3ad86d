"""US referral fees against Amazon's published schedule, copied by hand (issue 18, "truth that is not our own code").

One row per case: category, total sales price, the fee Amazon's schedule gives, and the schedule's wording quoted.
The cases cover each kind of rule on each side of its threshold: a rate for the whole price chosen by the price
(Baby, Beauty, Clothing), a rate per portion of the price (Jewelry, Watches, Furniture, Electronics Accessories,
Compact Appliances), flat rates, and the $0.30 per-item minimum from both sides.

Amazon does not publish how the percentage is rounded to the cent. Every expected value here is either exact in cents
or a product whose rounding half up, half even and down agree (noted "rounds to"), so the cases hold whichever Amazon
uses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

import pytest
from truth_sources import SOURCES

from fba_audit import ratecards


class Case(NamedTuple):
    id: str
    category: str
    price: str
    fee: str
    row: str  # Amazon's wording for the category, with the arithmetic


ON = "2026-05-10"

CASES = [
    # ------------------------------------------------------------------ whole price, the rate picked by the price
    Case("baby-10.00", "Baby Products", "10.00", "0.80",
         "Baby Products: 8% for products with a total sales price of $10.00 or less -> 8% x 10.00"),
    Case("baby-10.01", "Baby Products", "10.01", "1.50",
         "Baby Products: 15% for products with a total sales price greater than $10.00 -> 15% x 10.01 = 1.5015, "
         "rounds to 1.50"),
    Case("beauty-9.99", "Beauty, Health and Personal Care", "9.99", "0.80",
         "Beauty, Health and Personal Care: 8% up to $10.00 total sales price -> 0.7992, rounds to 0.80"),
    Case("beauty-10.00", "Beauty, Health and Personal Care", "10.00", "0.80",
         "Beauty, Health and Personal Care: 8% for $10.00 or less -> 0.80"),
    Case("beauty-20.00", "Beauty, Health and Personal Care", "20.00", "3.00",
         "Beauty, Health and Personal Care: 15% above $10.00 -> 3.00 (whole price, not a portion: not 0.80 + 1.50)"),
    Case("clothing-15.00", "Clothing and Accessories", "15.00", "0.75",
         "Clothing and Accessories: 5% for products with a total sales price of $15.00 or less -> 0.75"),
    Case("clothing-15.01", "Clothing and Accessories", "15.01", "1.50",
         "Clothing and Accessories: 10% for a total sales price greater than $15.00 up to $20.00 -> 1.501, "
         "rounds to 1.50"),
    Case("clothing-20.00", "Clothing and Accessories", "20.00", "2.00",
         "Clothing and Accessories: 10% up to $20.00 -> 2.00"),
    Case("clothing-20.01", "Clothing and Accessories", "20.01", "3.40",
         "Clothing and Accessories: 17% for a total sales price greater than $20.00 -> 3.4017, rounds to 3.40"),
    # ------------------------------------------------------------------ portions of the price at different rates
    Case("jewelry-250.00", "Jewelry", "250.00", "50.00",
         "Jewelry: 20% for the portion of the total sales price up to $250.00 -> 50.00"),
    Case("jewelry-300.00", "Jewelry", "300.00", "52.50",
         "Jewelry: 20% of the first $250.00 plus 5% for any portion greater than $250.00 -> 50.00 + 2.50"),
    Case("jewelry-1000.00", "Jewelry", "1000.00", "87.50",
         "Jewelry: 50.00 + 5% x 750.00 = 50.00 + 37.50"),
    Case("watches-1500.00", "Watches", "1500.00", "240.00",
         "Watches: 16% for the portion of the total sales price up to $1,500.00 -> 240.00"),
    Case("watches-2000.00", "Watches", "2000.00", "255.00",
         "Watches: 240.00 + 3% for any portion greater than $1,500.00 (15.00)"),
    Case("furniture-200.00", "Furniture", "200.00", "30.00",
         "Furniture: 15% for the portion of the total sales price up to $200.00 -> 30.00"),
    Case("furniture-250.00", "Furniture", "250.00", "35.00",
         "Furniture: 30.00 + 10% for any portion greater than $200.00 (5.00)"),
    Case("electronics-accessories-100.00", "Electronics Accessories", "100.00", "15.00",
         "Electronics Accessories: 15% for the portion of the total sales price up to $100.00 -> 15.00"),
    Case("electronics-accessories-150.00", "Electronics Accessories", "150.00", "19.00",
         "Electronics Accessories: 15.00 + 8% for any portion greater than $100.00 (4.00)"),
    Case("compact-appliances-300.00", "Compact Appliances", "300.00", "45.00",
         "Compact Appliances: 15% for the portion of the total sales price up to $300.00 -> 45.00"),
    Case("compact-appliances-400.00", "Compact Appliances", "400.00", "53.00",
         "Compact Appliances: 45.00 + 8% for any portion greater than $300.00 (8.00)"),
    # ------------------------------------------------------------------ flat rates
    Case("consumer-electronics-199.99", "Consumer Electronics", "199.99", "16.00",
         "Consumer Electronics: 8% -> 15.9992, rounds to 16.00"),
    Case("automotive-50.00", "Automotive and Powersports", "50.00", "6.00", "Automotive and Powersports: 12% -> 6.00"),
    Case("device-accessories-20.00", "Amazon Device Accessories", "20.00", "9.00",
         "Amazon Device Accessories: 45% -> 9.00"),
    Case("luggage-25.00", "Backpacks, Handbags, and Luggage", "25.00", "3.75",
         "Backpacks, Handbags, and Luggage: 15% -> 3.75 (also the estimated referral fee of a real May 2026 Fee "
         "Preview row, product-group Luggage, price 25.00)"),
    Case("full-size-appliances-500.00", "Full-Size Appliances", "500.00", "40.00", "Full-Size Appliances: 8% -> 40.00"),
    # ------------------------------------------------------------------ the $0.30 per-item minimum
    Case("minimum-home-1.99", "Home and Kitchen", "1.99", "0.30",
         "Home and Kitchen: 15%, minimum $0.30 -> 0.2985 < 0.30"),
    Case("minimum-home-2.00", "Home and Kitchen", "2.00", "0.30", "Home and Kitchen: 15% x 2.00 = 0.30 exactly"),
    Case("minimum-home-2.40", "Home and Kitchen", "2.40", "0.36", "Home and Kitchen: 15% x 2.40 = 0.36 > 0.30"),
    Case("minimum-computers-2.00", "Computers", "2.00", "0.30", "Computers: 8%, minimum $0.30 -> 0.16 < 0.30"),
    Case("minimum-computers-3.75", "Computers", "3.75", "0.30", "Computers: 8% x 3.75 = 0.30 exactly"),
    Case("minimum-computers-5.00", "Computers", "5.00", "0.40", "Computers: 8% x 5.00 = 0.40 > 0.30"),
    Case("minimum-baby-3.00", "Baby Products", "3.00", "0.30",
         "Baby Products: 8% up to $10.00, minimum $0.30 -> 0.24 < 0.30"),
    Case("minimum-clothing-5.00", "Clothing and Accessories", "5.00", "0.30",
         "Clothing and Accessories: 5% up to $15.00, minimum $0.30 -> 0.25 < 0.30"),
    Case("minimum-jewelry-1.00", "Jewelry", "1.00", "0.30", "Jewelry: 20% portion, minimum $0.30 -> 0.20 < 0.30"),
]


def test_every_case_has_a_unique_id():
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
@pytest.mark.parametrize("on", [ON, "2025-06-01"])
def test_referral_fee_matches_amazons_schedule(case: Case, on: str):
    # The schedule did not change between 2025 and 2026 (see SOURCES["referral"]), so each row holds on both dates.
    result = ratecards.expected_referral_fee(case.category, case.price, marketplace="US", on=dt.date.fromisoformat(on))
    assert (result.category, result.fee) == (case.category, Decimal(case.fee)), f"{case.row} [{SOURCES['referral']}]"
    assert result.verified is True
