"""UK, EU and Japanese referral schedules (issue 24): each expected fee is worked out by hand from the schedule row
quoted beside it (the rows of Amazon's Rate Card - Europe effective 2026-02-01 as the data files cite them, Amazon's
2025-12-02 announcement for the former rates, sell.amazon.co.jp/pricing as read on 2026-10-04 for Japan), never
computed by fba_audit.referral."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fba_audit import ratecards as rc

UK_2026 = dt.date(2026, 3, 2)


def fee(category: str, price: str, marketplace: str, on: dt.date = UK_2026) -> Decimal | None:
    return rc.referral_fee(category, price, marketplace=marketplace, on=on)


@pytest.mark.parametrize(("category", "price", "marketplace", "expected"), [
    # "Baby Products; ...; Beauty, Health and Personal Care | 8 % if total <= T, else 15 % (whole price) | £10 | €10"
    ("Baby Products", "10.00", "UK", "0.80"),
    ("Baby Products", "10.01", "UK", "1.50"),  # 15 % x 10.01 = 1.5015
    ("Beauty, Health & Personal Care", "10.00", "DE", "0.80"),
    # "Home Products (new 2026-02-01) | 8 % if <= T, else 15 % | £20 | €20"
    ("Home Products", "20.00", "UK", "1.60"),
    ("Home Products", "20.01", "FR", "3.00"),  # 15 % x 20.01 = 3.0015
    # "Automotive and Powersports | 15 % on the portion up to T, 9 % above | £45 | €50"
    ("Automotive and Powersports", "100.00", "UK", "11.70"),  # 6.75 + 4.95
    ("Automotive and Powersports", "100.00", "IT", "12.00"),  # 7.50 + 4.50
    # "Clothing and Accessories | whole price: 5 % <= 15, 10 % <= 20, 15 % above; FBA and Seller Fulfilled Prime
    # above T: 15 % on the portion up to T, 7 % above | £40 | €45"
    ("Clothing and Accessories", "15.00", "UK", "0.75"),
    ("Clothing and Accessories", "15.01", "UK", "1.50"),  # 10 % x 15.01 = 1.501
    ("Clothing and Accessories", "20.00", "UK", "2.00"),
    ("Clothing and Accessories", "40.00", "UK", "6.00"),
    ("Clothing and Accessories", "50.00", "UK", "6.70"),  # 15 % x 40 + 7 % x 10
    ("Clothing and Accessories", "50.00", "ES", "7.10"),  # 15 % x 45 + 7 % x 5
    # "Jewellery | 20 % up to T, 5 % above (portion) | £225 | €250"
    ("Jewellery", "300.00", "UK", "48.75"),  # 45.00 + 3.75
    ("Jewellery", "300.00", "DE", "52.50"),  # 50.00 + 2.50
    # "Watches | 15 % up to T, 5 % above (portion) | £225 | €250"
    ("Watches", "300.00", "UK", "37.50"),  # 33.75 + 3.75
    # "Furniture | 15 % up to T, 10 % above (portion) | £175 | €200"
    ("Furniture", "300.00", "UK", "38.75"),  # 26.25 + 12.50
    ("Furniture", "300.00", "DE", "40.00"),  # 30.00 + 10.00
    # "Electronic Accessories; Computer accessories; ... | 15 % up to 100, 8 % above (portion) | £100 | €100"
    ("Computer Accessories", "150.00", "UK", "19.00"),  # 15.00 + 4.00
    # "Consumer Electronics; Computers; Full-Size Appliances; Tyres | 7 %"
    ("Consumer Electronics", "200.00", "UK", "14.00"),
    # "Tools and Home Improvement; ... | 13 %"
    ("Tools and Home Improvement", "20.00", "UK", "2.60"),
    # "Everything else, incl. ... Toys and Games ... | 15 %", "Minimum per item: £0.25 / €0.30"
    ("Toys and Games", "20.00", "UK", "3.00"),
    ("Toys and Games", "1.00", "UK", "0.25"),  # 15 % x 1.00 = 0.15 < £0.25
    ("Toys and Games", "1.00", "DE", "0.30"),  # 0.15 < €0.30
    # "Vitamins, Minerals & Supplements (new 2026-02-01) | 5 % if <= T, else 15 % | £10 | €10"
    ("Vitamins, Minerals & Supplements", "10.00", "UK", "0.50"),
])
def test_uk_and_eu_2026_rows(category, price, marketplace, expected):
    assert fee(category, price, marketplace) == Decimal(expected)


def test_the_2025_clothing_rate_and_the_december_change():
    # Amazon's 2025-12-02 announcement: clothing "from 8 % to 5 % for items at and up to £15/€15 and from 15 % to 10 %
    # for items between £15/€15 and £20/€20" on 2025-12-15. Before: 8 % <= £15, else 15 % (back-derived, unverified).
    before = rc.expected_referral_fee("Clothing and Accessories", "15.00", marketplace="UK", on=dt.date(2025, 12, 14))
    assert (before.fee, before.table_id, before.verified) == (Decimal("1.20"), "uk-referral-2025", False)
    assert fee("Clothing and Accessories", "16.00", "UK", dt.date(2025, 6, 1)) == Decimal("2.40")
    after = rc.expected_referral_fee("Clothing and Accessories", "15.00", marketplace="UK", on=dt.date(2025, 12, 15))
    assert (after.fee, after.table_id, after.verified) == (Decimal("0.75"), "uk-referral-2025-12", True)


def test_the_disputed_january_2026_start_expects_the_higher_reading():
    # Home Products "from 15 % to 8 %" on 2026-02-01 (announcement) or 2026-01-05 (sell.amazon.co.uk): at £15.00 the
    # former rate gives 2.25 and the new one 1.20.
    def home(on: dt.date) -> tuple:
        result = rc.expected_referral_fee("Home Products", "15.00", marketplace="UK", on=on)
        return result.fee, result.table_id, result.verified

    assert home(dt.date(2026, 1, 4)) == (Decimal("2.25"), "uk-referral-2025-12", False)
    assert home(dt.date(2026, 1, 5)) == (Decimal("2.25"), "uk-referral-2026-01", False)
    assert home(dt.date(2026, 1, 31)) == (Decimal("2.25"), "uk-referral-2026-01", False)
    assert home(dt.date(2026, 2, 1)) == (Decimal("1.20"), "uk-referral-2026", True)
    # Grocery "from 8 % to 5 %": £8.00 gives 0.64 or 0.40; both readings, the higher expected.
    assert fee("Grocery and Gourmet", "8.00", "DE", dt.date(2026, 1, 20)) == Decimal("0.64")
    # Categories the change did not touch are verified in that window.
    assert rc.expected_referral_fee("Toys and Games", "20.00", marketplace="UK", on=dt.date(2026, 1, 20)).verified


def test_what_is_not_covered_or_only_assumed():
    assert rc.expected_referral_fee("Toys and Games", "20", marketplace="UK", on=dt.date(2024, 12, 31)).reason == (
        "no UK referral schedule for that date")
    # SE and PL: thresholds and minimums in SEK/PLN not found.
    assert rc.expected_referral_fee("Toys and Games", "20", marketplace="SE", on=UK_2026).reason == (
        "no SE referral schedule for that date")
    # NL, BE, IE: the EU card is only assumed for them.
    nl = rc.expected_referral_fee("Toys and Games", "20.00", marketplace="NL", on=UK_2026)
    assert (nl.fee, nl.verified, nl.doubt) == (Decimal("3.00"), False, "the table is only assumed for the NL store")
    # Cycling Accessories: 15 % in three copies, 8 % in one; grocery: whether the minimum applies is disputed.
    assert rc.expected_referral_fee("Cycling Accessories", "20", marketplace="UK", on=UK_2026).verified is False
    grocery = rc.expected_referral_fee("Grocery and Gourmet", "2.00", marketplace="UK", on=UK_2026)
    assert (grocery.fee, grocery.verified) == (Decimal("0.25"), False)
    # Media are left out (closing fee and minimum disputed).
    assert rc.expected_referral_fee("Books", "20", marketplace="UK", on=UK_2026).reason == (
        "category 'Books' not in uk-referral-2026")


def test_uk_eu_and_jp_rates_apply_to_the_tax_inclusive_price():
    assert rc.prices_include_tax("UK") and rc.prices_include_tax("DE") and rc.prices_include_tax("JP")
    assert not rc.prices_include_tax("US")


@pytest.mark.parametrize(("category", "price", "before_tax", "charged"), [
    # "商品1点あたりの売上の合計が750円以下の場合は商品代金の5%" (a threshold on the whole), min ¥30 before tax, and
    # "手数料はすべて税抜き表示 ... 下記に記載の金額に加えて税金が課金されます" (+10 % consumption tax on the fee).
    ("ホーム&キッチン", "750", "38", "42"),  # 5 % x 750 = 37.5 -> 38; x 1.10 = 41.8 -> 42
    ("ホーム&キッチン", "300", "30", "33"),  # 5 % x 300 = 15 < ¥30
    # Home & Kitchen above ¥750: 15 % + 0.4 point from 2026-04-01 = 15.4 %: 2,000 x 15.4 % = 308; x 1.10 = 338.8
    ("Home & Kitchen", "2000", "308", "339"),
    # Electronics: 8 % + 0.4 = 8.4 %: 10,000 x 8.4 % = 840; x 1.10 = 924
    ("エレクトロニクス", "10000", "840", "924"),
    # Books (media): 15.4 % at every price, no minimum: 100 x 15.4 % = 15.4 -> 15; x 1.10 = 16.5 -> 17
    ("本", "100", "15", "17"),
])
def test_japan_2026_fee_before_and_with_consumption_tax(category, price, before_tax, charged):
    result = rc.expected_referral_fee(category, price, marketplace="JP", on=dt.date(2026, 5, 1))
    assert (result.fee_before_tax, result.fee, result.verified) == (Decimal(before_tax), Decimal(charged), False)


def test_japan_before_the_2026_change():
    # Before the +0.4 point: home and kitchen 15 % above ¥750: 2,000 x 15 % = 300; x 1.10 = 330. Electronics 8 %:
    # 10,000 x 8 % = 800; x 1.10 = 880. At or below ¥750 the same 5 % as after the change: 38 -> 42.
    on = dt.date(2026, 3, 31)
    result = rc.expected_referral_fee("ホーム&キッチン", "2000", marketplace="JP", on=on)
    assert (result.fee_before_tax, result.fee, result.table_id, result.verified) == (
        Decimal("300"), Decimal("330"), "jp-referral-2025", False)
    assert rc.referral_fee("エレクトロニクス", "10000", marketplace="JP", on=on) == Decimal("880")
    assert rc.referral_fee("ホーム&キッチン", "750", marketplace="JP", on=on) == Decimal("42")
    # Before 2025-04-15 (the last category change found): no schedule.
    assert rc.referral_fee("ホーム&キッチン", "2000", marketplace="JP", on=dt.date(2025, 4, 14)) is None


@pytest.mark.parametrize(("written", "marketplace", "category"), [
    ("Jewelry", "UK", "Jewellery"),  # the US name of the same category
    ("Schmuck", "DE", "Jewellery"),  # Amazon.de's fee category name
    ("Bekleidung", "FR", "Clothing and Accessories"),
    ("toys & games", "JP", "おもちゃ&ホビー"),
    ("Electronic Accessories", "US", "Electronics Accessories"),  # a US former name, a UK current one
    ("Electronic Accessories", "UK", "Electronic Accessories"),
])
def test_category_names_per_marketplace(written, marketplace, category):
    assert rc.referral_category(written, marketplace=marketplace) == rc.CategoryName(category, True)


def test_a_category_of_another_store_is_known_to_products_csv_but_not_to_this_store():
    # Pet Products is the US category; the UK splits pet supplies (15 %) from pet clothing and food (5 %/15 %).
    assert rc.referral_category("Pet Products", marketplace="UK").known is False
    assert rc.referral_category("Pet Products", marketplace=None) == rc.CategoryName("Pet Products", True)
    # "Luggage" is a UK/EU category name: products.csv (no marketplace) accepts it; the US schedule does not know it.
    assert rc.referral_category("Luggage", marketplace=None).known
    assert rc.referral_category("Luggage", marketplace="US").known is False


@pytest.mark.parametrize(("written", "kept"), [
    # products.csv does not say its store: a US name keeps its US spelling (as before issue 24), a former US name
    # becomes today's, a name only another store's schedule holds is kept for that store's lookup.
    ("Home & Kitchen", "Home and Kitchen"),
    ("Personal Computers", "Computers"),
    ("Clothing & Accessories", "Clothing and Accessories"),
    ("Pet Supplies", "Pet Supplies"),  # a UK category; in the US the former name of Pet Products
    ("Kitchen", "Kitchen"),
    ("Jewellery", "Jewellery"),
    ("Schmuck", "Schmuck"),
    ("ホーム＆キッチン", "ホーム&キッチン"),
    ("Books", "Books"),
])
def test_products_csv_keeps_a_name_some_store_knows(written, kept):
    assert rc.written_category(written) == rc.CategoryName(kept, True)
    # and each store's lookup reads what was kept
    assert rc.referral_category("Pet Supplies", marketplace="US").category == "Pet Products"
    assert rc.referral_category("Kitchen", marketplace="US").category == "Home and Kitchen"
