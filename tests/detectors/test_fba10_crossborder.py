"""FBA10 outside the US (issue 24): the same order judged the US way (tax excluded from the price) and the UK way
(VAT included), Japan's consumption tax on the fee, and the Digital Services Fee lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fba_audit.context import AuditContext
from fba_audit.detectors import BY_CODE, columns_read
from fba_audit.detectors._dsf import NO_COUNTRY
from fba_audit.reports import load_folder

HEADER = ("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\t"
          "transaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\t"
          "amount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\t"
          "merchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id")
STORE = {"US": ("USD", "Amazon.com"), "UK": ("GBP", "Amazon.co.uk"), "DE": ("EUR", "Amazon.de"),
         "JP": ("JPY", "Amazon.co.jp")}


def judge(tmp_path: Path, marketplace: str, lines: list[tuple[str, str, str]], category: str,
          seller_country: str | None = None):
    """FBA10 on one order item of SKU-1 posted 2026-05-04: `lines` are (amount-type, amount-description, amount)."""
    currency, name = STORE[marketplace]
    total = sum(float(amount) for _, _, amount in lines)
    rows = [HEADER, "\t".join(["1", "2026-05-01 00:00:00 UTC", "2026-05-15 00:00:00 UTC", "2026-05-17 00:00:00 UTC",
                               f"{total:.2f}", currency] + [""] * 18)]
    for number, (kind, description, amount) in enumerate(lines):
        rows.append("\t".join(["1", "", "", "", "", "", "Order", "202-0000001-0000001", "", "", "", name, kind,
                               description, amount, "AFN", "2026-05-04", "2026-05-04 09:00:00 UTC", "50000000000001",
                               "", "", "SKU-1", "1" if number == 0 else "", ""]))
    (tmp_path / "settlement.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "products.csv").write_text(f"sku,referral_category\nSKU-1,{category}\n", encoding="utf-8")
    load = load_folder(tmp_path, columns=columns_read())
    assert [p for p in load.problems if p.severity == "error"] == []
    ctx = AuditContext(as_of=dt.date(2026, 5, 20), marketplace=marketplace, seller_country=seller_country)
    return BY_CODE["FBA10"].judge(load, ctx)


# One clothing order: item price 15.00 and 3.00 of tax on its own line, referral fee 1.80 charged.
ORDER = [("ItemPrice", "Principal", "15.00"), ("ItemPrice", "Tax", "3.00"), ("ItemFees", "Commission", "-1.80")]


def test_the_same_order_judged_the_us_way(tmp_path):
    # US: "excluding any taxes calculated through Amazon tax calculation services": 15.00 is the price, and
    # Clothing and Accessories is 5 % up to $15.00: 0.75 expected, 1.80 charged.
    judged = judge(tmp_path, "US", ORDER, "Clothing and Accessories")
    (finding,) = judged.findings.iter_rows(named=True)
    assert finding["sku"] == "SKU-1"
    assert str(finding["amount"]) == "1.05"
    assert "gives 0.75 per unit (us-referral-2025)" in finding["message"]
    assert "sales price 15.00" in finding["case_text"]


def test_the_same_order_judged_the_uk_way(tmp_path):
    # UK: the rate applies to the VAT-inclusive total, 18.00: Clothing and Accessories 10 % above £15 up to £20
    # (Rate Card - Europe 2026) = 1.80, exactly what was charged.
    judged = judge(tmp_path, "UK", ORDER, "Clothing and Accessories")
    assert judged.findings.is_empty() and judged.judged == 1


def test_a_uk_overcharge_is_measured_on_the_vat_inclusive_price(tmp_path):
    lines = [*ORDER[:2], ("ItemFees", "Commission", "-2.50")]
    (finding,) = judge(tmp_path, "UK", lines, "Clothing and Accessories").findings.iter_rows(named=True)
    assert str(finding["amount"]) == "0.70"  # 2.50 - 1.80
    assert "sales price 18.00, charged 2.50, expected 1.80 per unit" in finding["case_text"]
    assert "The sales prices include VAT" in finding["case_text"]


def test_japan_expects_the_consumption_tax_on_the_fee(tmp_path):
    # ¥1,819 + ¥181 tax = ¥2,000: ホーム&キッチン 15.4 % = 308 before tax, 339 with the 10 % on the fee.
    right = [("ItemPrice", "Principal", "1819"), ("ItemPrice", "Tax", "181"), ("ItemFees", "Commission", "-339")]
    assert judge(tmp_path, "JP", right, "ホーム&キッチン").findings.is_empty()
    over = [*right[:2], ("ItemFees", "Commission", "-400")]
    (finding,) = judge(tmp_path, "JP", over, "Home & Kitchen").findings.iter_rows(named=True)
    assert (str(finding["amount"]), finding["status"]) == ("61.00", "review")
    assert "gives 339.00 per unit (jp-referral-2026)" in finding["message"]
    assert "the expected fees include the consumption tax".lower() in finding["case_text"].lower()


def test_dsf_lines_without_the_sellers_country_are_listed_not_guessed(tmp_path):
    lines = [*ORDER, ("ItemFees", "DigitalServicesFee", "-0.04")]
    judged = judge(tmp_path, "UK", lines, "Clothing and Accessories")
    assert judged.findings.is_empty()
    assert judged.not_checked.to_dicts() == [
        {"reason": NO_COUNTRY, "item": "SKU-1: 1 charge(s), 2026-05-04 to 2026-05-04"}]


def test_a_dsf_where_none_applies_is_a_review_finding(tmp_path):
    # A seller established in China pays no DSF in the German store ("any other country | other stores (DE, ...)").
    lines = [("ItemPrice", "Principal", "20.00"), ("ItemFees", "Commission", "-3.00"),
             ("ItemFees", "DigitalServicesFee", "-0.06")]
    judged = judge(tmp_path, "DE", lines, "Toys and Games", seller_country="CN")
    (finding,) = judged.findings.iter_rows(named=True)
    assert finding["finding_id"] == "FBA10:DE:SKU-1:dsf-2024-other:2026-05"
    assert (str(finding["amount"]), finding["status"]) == ("0.06", "review")
    assert "the DE store's DSF is no DSF (dsf-2024-other): 0.00 expected, 0.06 overcharged" in finding["message"]
    assert judged.notes == ("Digital Services Fee: 1 order item(s) with a DSF line judged against the DSF table for "
                            "a seller established in CN.",)


def test_a_dsf_that_matches_the_table_is_cleared(tmp_path):
    # UK store, established in China: 2 % of the selling fees (1.80) = 0.04.
    lines = [*ORDER, ("ItemFees", "DigitalServicesFee", "-0.04")]
    judged = judge(tmp_path, "UK", lines, "Clothing and Accessories", seller_country="CN")
    assert judged.findings.is_empty() and judged.not_checked.is_empty()


def test_the_dsf_on_fba_fees_may_come_as_a_line_of_its_own(tmp_path):
    # UK store, established in China: 2 % of the selling fees (3.00) = 0.06 and 2 % of the FBA fees (2.50) = 0.05,
    # written as DigitalServicesFee and DigitalServicesFeeFBA (the SP-API fee types): 0.11 in all, right.
    lines = [("ItemPrice", "Principal", "20.00"), ("ItemFees", "Commission", "-3.00"),
             ("ItemFees", "FBAPerUnitFulfillmentFee", "-2.50"), ("ItemFees", "DigitalServicesFee", "-0.06"),
             ("ItemFees", "DigitalServicesFeeFBA", "-0.05")]
    assert judge(tmp_path, "UK", lines, "Toys and Games", seller_country="CN").findings.is_empty()
    lines[-1] = ("ItemFees", "DigitalServicesFeeFBA", "-0.25")
    (finding,) = judge(tmp_path, "UK", lines, "Toys and Games", seller_country="CN").findings.iter_rows(named=True)
    assert str(finding["amount"]) == "0.20"  # 0.31 charged, 0.11 expected
