"""The Digital Services Fee table (issue 24): the rows before and after each change date, and Amazon's own worked
examples. Sources: Amazon's 'Digital services fee effective October 1' (2024), the SellerAmp/asinzen knowledge bases
('As of 15th August 2025, the Digital Services fee was removed for businesses that are established in Canada or sell
products in the Amazon.ca store'), genuine Amazon.ca settlement lines of 2025, and the 2026-03-20 FR/IT/ES change as
reported by valuezon.de and go2market.eu."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fba_audit import digital_services_fee as dsf
from fba_audit.context import AuditContext
from fba_audit.detectors import _dsf


def shares(seller: str, store: str, on: str) -> list[tuple[str, str, bool]]:
    return sorted((str(r.selling), str(r.fba), r.verified) for r in dsf.rates(seller, store, dt.date.fromisoformat(on)))


@pytest.mark.parametrize(("seller", "store", "on", "expected"), [
    # 2024-10-01 start: before it the tax sat inside the rates (no row).
    ("CN", "UK", "2024-09-30", []),
    ("CN", "UK", "2024-10-01", [("0.02", "0.02", True)]),  # "any other country | UK and FR stores | 2 % | 2 %"
    ("CN", "DE", "2025-05-01", [("0", "0", True)]),  # "any other country | other stores (DE, ...) | - | -"
    ("CN", "IT", "2025-05-01", [("0.02", "0", True)]),  # "any other country | IT, ES, CA stores | 2 % | -"
    ("UK", "DE", "2025-05-01", [("0.02", "0.02", True)]),  # "UK | UK, FR, IT, ES, CA, US, DE, ... | 2 % | 2 %"
    ("FR", "US", "2025-05-01", [("0.03", "0.03", True)]),  # "France | same list | 3 % | 3 %"
    ("ES", "UK", "2025-05-01", [("0.03", "0", True)]),  # "Italy, Spain, Canada | same list | 3 % | -"
    # Canada: removed "as of 15th August 2025"; genuine lines were still posted up to 2025-08-24: both readings.
    ("CA", "US", "2025-08-14", [("0.03", "0", True)]),
    ("CA", "US", "2025-08-20", [("0", "0", True), ("0.03", "0", True)]),
    ("CA", "US", "2025-08-25", [("0", "0", True)]),
    ("CN", "CA", "2025-08-14", [("0.02", "0", True)]),
    ("CN", "CA", "2025-08-20", [("0", "0", True), ("0.02", "0", True)]),
    ("CN", "CA", "2025-08-25", [("0", "0", True)]),
    ("UK", "CA", "2025-08-25", [("0", "0", True)]),  # "or sell products in the Amazon.ca store"
    # FR, IT, ES from 2026-03-20: 3 % on selling fees, in France also on FBA fees, for sellers based elsewhere.
    ("CN", "FR", "2026-03-19", [("0.02", "0.02", True)]),
    ("CN", "FR", "2026-03-20", [("0.03", "0.03", False)]),
    ("CN", "IT", "2026-03-19", [("0.02", "0", True)]),
    ("CN", "ES", "2026-03-20", [("0.03", "0", False)]),
    ("CN", "UK", "2026-03-20", [("0.02", "0.02", True)]),  # the UK store is unchanged
    # Not known: UK-established sellers in the FR/IT/ES stores after the change; the IE store.
    ("UK", "FR", "2026-03-20", []),
    ("US", "IE", "2025-05-01", []),
])
def test_dsf_rows_by_seller_store_and_date(seller, store, on, expected):
    assert shares(seller, store, on) == expected


def test_the_country_of_establishment_is_two_letters_and_gb_is_the_uk():
    assert dsf.seller_country(" gb ") == "UK"
    assert dsf.seller_country("cn") == "CN"
    with pytest.raises(ValueError, match="two-letter code"):
        dsf.seller_country("China")
    assert AuditContext(as_of=dt.date(2026, 4, 1), marketplace="UK", seller_country="gb").seller_country == "UK"


def test_amazons_worked_examples():
    # "If your business is established in Canada and you sell a $15 item in the US store, you'll be charged a 3 %
    # digital services fee ($0.07) on Selling on Amazon fees ($2.25)".
    canada = dsf.rates("CA", "US", dt.date(2024, 11, 1))
    assert _dsf._expected(Decimal("2.25"), Decimal("3.30"), canada)[0] == Decimal("0.07")
    # "established in the UK ... 2 % ($0.05) on Selling on Amazon fees ($2.25) and a 2 % digital services fee ($0.07)
    # on FBA fees ($3.30)": 0.12 when the two are rounded apart, 0.11 together; the higher is expected.
    uk = dsf.rates("UK", "US", dt.date(2024, 11, 1))
    assert _dsf._expected(Decimal("2.25"), Decimal("3.30"), uk)[0] == Decimal("0.12")
    # Genuine Amazon.ca lines (Canada-established seller, 2025): DSF 0.29 on a Commission of 9.63, 0.17 on 5.62.
    canada_2025 = dsf.rates("CA", "CA", dt.date(2025, 7, 1))
    assert _dsf._expected(Decimal("9.63"), Decimal("7.95"), canada_2025)[0] == Decimal("0.29")
    assert _dsf._expected(Decimal("5.62"), Decimal("6.12"), canada_2025)[0] == Decimal("0.17")
