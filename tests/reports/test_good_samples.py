"""One good sample per report kind and version, in the real export format: what the loader recognises, how it
decodes it, how many rows it keeps, and the exact typed values of a row or two (STYLE.md §9.3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from fba_audit.reports import REPORT_KINDS

from loader_helpers import FIXTURES, accounting

UTC = dt.timezone.utc

# fixture, kind, encoding label, delimiter, rows read (= kept; no duplicates or rejects), first date, last date
GOOD = [
    ("ledger_detail/ok.csv", "ledger_detail", "UTF-8 with BOM", "comma", 4, dt.date(2026, 7, 6), dt.date(2026, 7, 12)),
    ("ledger_detail/ok_14col.txt", "ledger_detail", "UTF-8", "tab", 4, dt.date(2026, 5, 1), dt.date(2026, 5, 8)),
    ("ledger_detail/ok_15col.txt", "ledger_detail", "UTF-8", "tab", 3, dt.date(2026, 5, 13), dt.date(2026, 5, 14)),
    ("inventory_adjustments/ok_9col.txt", "inventory_adjustments", "UTF-8", "tab", 3, dt.date(2021, 3, 4),
     dt.date(2021, 3, 11)),
    ("inventory_adjustments/ok_11col.txt", "inventory_adjustments", "UTF-8", "tab", 2, dt.date(2022, 8, 1),
     dt.date(2022, 8, 2)),
    ("received_inventory/ok.txt", "received_inventory", "UTF-8", "tab", 2, dt.date(2022, 11, 2),
     dt.date(2022, 11, 3)),
    ("customer_returns/ok.txt", "customer_returns", "UTF-8", "tab", 2, dt.date(2025, 6, 5), dt.date(2026, 1, 14)),
    ("customer_returns/ok_amazon_order_id.txt", "customer_returns", "UTF-8", "tab", 1, dt.date(2026, 2, 1),
     dt.date(2026, 2, 1)),
    ("reimbursements/ok.txt", "reimbursements", "Windows-1252", "tab", 3, dt.date(2026, 4, 29), dt.date(2026, 5, 12)),
    ("fee_preview/ok_us_2026.txt", "fee_preview", "UTF-8", "tab", 2, None, None),
    ("fee_preview/ok_us_2020.txt", "fee_preview", "UTF-8", "tab", 1, None, None),
    ("fee_preview/ok_uk.txt", "fee_preview", "UTF-8", "tab", 1, None, None),
    ("settlement_v2/ok.txt", "settlement_v2", "UTF-8", "tab", 8, dt.date(2025, 10, 5), dt.date(2025, 10, 9)),
    ("settlement_v2/ok_de.txt", "settlement_v2", "UTF-8", "tab", 4, dt.date(2026, 3, 14), dt.date(2026, 3, 14)),
    ("settlement_v1/ok.txt", "settlement_v1", "UTF-8", "tab", 8, dt.date(2025, 10, 5), dt.date(2025, 10, 9)),
    ("settlement_v1/ok_33col.txt", "settlement_v1", "UTF-8", "tab", 5, dt.date(2025, 6, 5), dt.date(2025, 6, 10)),
    ("date_range/ok_us.csv", "date_range", "UTF-8", "comma", 3, dt.date(2026, 1, 5), dt.date(2026, 1, 7)),
    ("date_range/ok_ca.csv", "date_range", "UTF-8", "comma", 2, dt.date(2025, 10, 5), dt.date(2025, 10, 9)),
    ("date_range/ok_de.csv", "date_range", "UTF-8", "comma", 2, dt.date(2026, 1, 5), dt.date(2026, 1, 6)),
    ("date_range/ok_fr.csv", "date_range", "UTF-8", "comma", 1, dt.date(2026, 1, 5), dt.date(2026, 1, 5)),
    ("date_range/ok_it.csv", "date_range", "UTF-8", "comma", 1, dt.date(2026, 1, 5), dt.date(2026, 1, 5)),
    ("date_range/ok_es.csv", "date_range", "UTF-8", "comma", 1, dt.date(2026, 1, 5), dt.date(2026, 1, 5)),
    ("date_range/ok_mx.csv", "date_range", "UTF-8", "comma", 1, dt.date(2026, 1, 5), dt.date(2026, 1, 5)),
    ("date_range/ok_jp.csv", "date_range", "Shift_JIS (cp932)", "comma", 2, dt.date(2026, 1, 5), dt.date(2026, 1, 6)),
    ("amazon_fulfilled_shipments/ok.txt", "amazon_fulfilled_shipments", "UTF-8", "tab", 2, dt.date(2026, 5, 2),
     dt.date(2026, 5, 4)),
    ("all_orders/ok.txt", "all_orders", "UTF-8 with BOM", "tab", 2, dt.date(2026, 5, 8), dt.date(2026, 5, 9)),
    ("inbound_shipments/ok.json", "inbound_shipments", "UTF-8", "json", 2, None, None),
    ("inbound_shipments/ok.csv", "inbound_shipments", "UTF-8", "comma", 2, None, None),
    ("inbound_shipment_items/ok.json", "inbound_shipment_items", "UTF-8", "json", 2, None, None),
    ("inbound_shipment_items/ok.csv", "inbound_shipment_items", "UTF-8", "comma", 3, None, None),
    ("inbound_transport/ok.json", "inbound_transport", "UTF-8", "json", 1, None, None),
    ("inbound_transport/ok.csv", "inbound_transport", "UTF-8", "comma", 2, None, None),
    ("products/ok.csv", "products", "UTF-8", "comma", 2, None, None),
    ("sku_economics/ok.csv", "sku_economics", "UTF-8", "comma", 2, dt.date(2026, 11, 1), dt.date(2026, 11, 1)),
]


def test_every_report_kind_has_a_good_sample() -> None:
    assert sorted({kind for _, kind, *_ in GOOD}) == sorted(k.key for k in REPORT_KINDS)
    on_disk = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/ok*"))
    assert on_disk == sorted(name for name, *_ in GOOD)


@pytest.mark.parametrize(("name", "kind", "encoding", "delimiter", "rows", "first", "last"), GOOD,
                         ids=[g[0] for g in GOOD])
def test_good_sample_is_recognised_and_read_whole(load_fixtures, name, kind, encoding, delimiter, rows, first,
                                                  last) -> None:
    result = load_fixtures(name)
    (summary,) = result.files
    file = name.split("/")[-1]
    assert (summary.file, summary.kind, summary.encoding, summary.delimiter) == (file, kind, encoding, delimiter)
    assert accounting(result) == {file: (rows, rows, 0, 0)}
    assert (summary.first_date, summary.last_date) == (first, last)
    assert summary.problems == []


def ordered(frame: pl.DataFrame) -> pl.DataFrame:
    """Dataset row order is not part of the contract (polars 2 may reorder): compare in file and line order."""
    return frame.sort("source_file", "source_line")


def rows_at(frame: pl.DataFrame, *lines: int) -> list[dict]:
    """The rows of the given source lines, in line order, as plain dicts (every column compared)."""
    return frame.filter(pl.col("source_line").is_in(lines)).sort("source_line").to_dicts()


LEDGER_ROW = dict(source_file="ok.csv", date=None, date_time=None, fnsku="X00EXAMPL1", asin="B0EXAMPLE1", sku="SKU-1",
                  title="Widget", fulfillment_center="PHX7", country="US", store=None, source_report="ledger_detail")


def test_ledger_quoted_csv_with_bom_16_columns(load_fixtures) -> None:
    ledger = load_fixtures("ledger_detail/ok.csv").datasets["inventory_ledger"]
    assert rows_at(ledger, 2, 3, 5) == [
        # a comma inside a quoted title stays in the title; empty Reference ID is null
        LEDGER_ROW | dict(source_line=2, date=dt.date(2026, 7, 6), date_time=dt.datetime(2026, 7, 6, 7, tzinfo=UTC),
                          fnsku="X004XONY53", asin="B0G51NDRX4", sku="FB-COF-HGE-250",
                          title="Example Coffee 250g, whole bean", event_type="Shipments", reference_id=None,
                          quantity=-1, fulfillment_center="ACY1", disposition="SELLABLE", reason=None,
                          reconciled_quantity=None, unreconciled_quantity=None),
        LEDGER_ROW | dict(source_line=3, date=dt.date(2026, 7, 10),
                          date_time=dt.datetime(2026, 7, 10, 7, tzinfo=UTC), event_type="Adjustments",
                          reference_id="2107733001", quantity=-1, disposition="SELLABLE", reason="E",
                          reconciled_quantity=0, unreconciled_quantity=1),
        # -0700 offset without a colon, converted to UTC; Store filled
        LEDGER_ROW | dict(source_line=5, date=dt.date(2026, 7, 12),
                          date_time=dt.datetime(2026, 7, 12, 16, 30, tzinfo=UTC), event_type="Receipts",
                          reference_id="FBA197BYW7TJ", quantity=12, fulfillment_center="XCND",
                          disposition="SELLABLE", reason=None, country="CN", reconciled_quantity=None,
                          unreconciled_quantity=None, store="Low-Cost Store"),
    ]


def test_ledger_14_and_15_column_tab_files(load_fixtures) -> None:
    ledger = load_fixtures("ledger_detail/ok_14col.txt", "ledger_detail/ok_15col.txt").datasets["inventory_ledger"]
    fourteen = ledger.filter(pl.col("source_file") == "ok_14col.txt")
    assert rows_at(fourteen, 4) == [
        LEDGER_ROW | dict(source_file="ok_14col.txt", source_line=4, date=dt.date(2026, 5, 6), event_type="Adjustments",
                          reference_id="2107733001", quantity=-2, disposition="SELLABLE", reason="M",
                          reconciled_quantity=0, unreconciled_quantity=2),
    ]
    fifteen = ordered(ledger.filter(pl.col("source_file") == "ok_15col.txt"))
    assert fifteen.select("date", "date_time", "event_type", "quantity", "store").rows() == [
        (dt.date(2026, 5, 13), dt.datetime(2026, 5, 13, 7, tzinfo=UTC), "Shipments", -1, None),
        (dt.date(2026, 5, 13), dt.datetime(2026, 5, 13, 7, tzinfo=UTC), "WhseTransfers", -16, None),
        (dt.date(2026, 5, 14), dt.datetime(2026, 5, 14, 7, tzinfo=UTC), "Adjustments", 1, None),
    ]


def test_legacy_adjustments_9_and_11_columns_become_ledger_rows(load_fixtures) -> None:
    ledger = load_fixtures("inventory_adjustments/ok_9col.txt",
                           "inventory_adjustments/ok_11col.txt").datasets["inventory_ledger"]
    assert ordered(ledger).select("source_file", "source_line", "date", "date_time", "event_type", "reference_id",
                         "quantity", "reason", "disposition", "reconciled_quantity", "unreconciled_quantity",
                         "source_report").rows() == [
        ("ok_11col.txt", 2, dt.date(2022, 8, 1), dt.datetime(2022, 8, 1, 8, tzinfo=UTC), "Adjustments",
         "223456789012", -2, "5", "SELLABLE", 1, 1, "inventory_adjustments"),
        ("ok_11col.txt", 3, dt.date(2022, 8, 2), dt.datetime(2022, 8, 2, 9, 30, tzinfo=UTC), "Adjustments",
         "223456789013", 2, "X", "SELLABLE", None, None, "inventory_adjustments"),
        ("ok_9col.txt", 2, dt.date(2021, 3, 4), dt.datetime(2021, 3, 4, 11, 22, 33, tzinfo=UTC), "Adjustments",
         "123456789012", -1, "M", "SELLABLE", None, None, "inventory_adjustments"),
        ("ok_9col.txt", 3, dt.date(2021, 3, 9), dt.datetime(2021, 3, 9, 2, 10, tzinfo=UTC), "Adjustments",
         "123456789013", 1, "F", "SELLABLE", None, None, "inventory_adjustments"),
        # the printed date is kept (03-11) although the instant is 03-12 in UTC
        ("ok_9col.txt", 4, dt.date(2021, 3, 11), dt.datetime(2021, 3, 12, 7, 59, 59, tzinfo=UTC), "Adjustments",
         "123456789014", -3, "E", "UNSELLABLE", None, None, "inventory_adjustments"),
    ]


def test_received_inventory_becomes_ledger_receipts(load_fixtures) -> None:
    ledger = load_fixtures("received_inventory/ok.txt").datasets["inventory_ledger"]
    assert ordered(ledger).select("date", "date_time", "fnsku", "sku", "event_type", "reference_id", "quantity",
                         "fulfillment_center", "source_report").rows() == [
        (dt.date(2022, 11, 2), dt.datetime(2022, 11, 2, 7, 14, 51, tzinfo=UTC), "X00EXAMPL1", "SKU-1", "Receipts",
         "FBA15ABCDE01", 12, "PHX7", "received_inventory"),
        (dt.date(2022, 11, 3), dt.datetime(2022, 11, 3, 16, 40, 5, tzinfo=UTC), "X00EXAMPL1", "SKU-1", "Receipts",
         "FBA15ABCDE01", 11, "PHX7", "received_inventory"),
    ]


def test_customer_returns_with_order_id_and_amazon_order_id(load_fixtures) -> None:
    returns = load_fixtures("customer_returns/ok.txt",
                            "customer_returns/ok_amazon_order_id.txt").datasets["customer_returns"]
    assert ordered(returns).to_dicts() == [
        dict(source_file="ok.txt", source_line=2, return_date=dt.date(2025, 6, 5),
             returned_at=dt.datetime(2025, 6, 5, 15, 31, 40, tzinfo=UTC), order_id="114-2962899-5762619",
             sku="LVA1004-UPC", asin="B00TZ73MUY", fnsku="B00TZ73MUY", product_name="Air Pressure Mattress Pad",
             quantity=1, fulfillment_center_id="LEX1", detailed_disposition="CUSTOMER_DAMAGED",
             reason="NOT_COMPATIBLE", status="IMMEDIATE_DONATION", license_plate_number="LPNNC5N165ZVR",
             customer_comments=None),
        dict(source_file="ok.txt", source_line=3, return_date=dt.date(2026, 1, 14),
             returned_at=dt.datetime(2026, 1, 14, 18, 2, 11, tzinfo=UTC), order_id="113-0000000-0000001",
             sku="SKU-1", asin="B0EXAMPLE1", fnsku="X00EXAMPL1", product_name="Widget", quantity=1,
             fulfillment_center_id="ONT8", detailed_disposition="DAMAGED", reason="DEFECTIVE", status="Reimbursed",
             license_plate_number="LPNEXAMPLE01", customer_comments="Not Compatible|Wifi"),
        dict(source_file="ok_amazon_order_id.txt", source_line=2, return_date=dt.date(2026, 2, 1),
             returned_at=dt.datetime(2026, 2, 1, 9, tzinfo=UTC), order_id="113-0000000-0000002", sku="SKU-1",
             asin="B0EXAMPLE1", fnsku="X00EXAMPL1", product_name="Widget", quantity=1, fulfillment_center_id="ONT8",
             detailed_disposition="SELLABLE", reason="UNWANTED_ITEM", status="Unit returned to inventory",
             license_plate_number="LPNEXAMPLE02", customer_comments=None),
    ]


def test_reimbursements_cp1252_with_reversal(load_fixtures) -> None:
    reimbursements = load_fixtures("reimbursements/ok.txt").datasets["reimbursements"]
    assert rows_at(reimbursements, 2, 3) == [
        dict(source_file="ok.txt", source_line=2, approval_date=dt.date(2026, 5, 12),
             approved_at=dt.datetime(2026, 5, 12, 9, 59, 13, tzinfo=UTC), reimbursement_id="12345678901",
             case_id=None, amazon_order_id="113-0000000-0000001", reason="CustomerReturn", sku="SKU-1",
             fnsku="X00EXAMPL1", asin="B0EXAMPLE1", product_name="Café – Bürste", condition="NewItem",
             currency="USD", amount_per_unit=Decimal("15.45"), amount_total=Decimal("15.45"),
             quantity_reimbursed_cash=1, quantity_reimbursed_inventory=0, quantity_reimbursed_total=1,
             original_reimbursement_id=None, original_reimbursement_type=None),
        dict(source_file="ok.txt", source_line=3, approval_date=dt.date(2026, 4, 29),
             approved_at=dt.datetime(2026, 4, 29, 22, 44, 7, tzinfo=UTC), reimbursement_id="12345678902",
             case_id=None, amazon_order_id=None, reason="Reimbursement_Reversal", sku="SKU-1", fnsku="X00EXAMPL1",
             asin="B0EXAMPLE1", product_name="Café – Bürste", condition="NewItem", currency="USD",
             amount_per_unit=Decimal("-6.38"), amount_total=Decimal("-6.38"), quantity_reimbursed_cash=-1,
             quantity_reimbursed_inventory=1, quantity_reimbursed_total=0, original_reimbursement_id="12345678800",
             original_reimbursement_type="Lost_Warehouse"),
    ]
    assert reimbursements["amount_total"].sum() == Decimal("29.39")


def test_fee_preview_us_2026_with_store_and_double_dash_nulls(load_fixtures) -> None:
    fees = load_fixtures("fee_preview/ok_us_2026.txt").datasets["fee_preview"]
    assert ordered(fees).to_dicts() == [
        dict(source_file="ok_us_2026.txt", source_line=2, sku="SKU-1", fnsku="X00EXAMPL1", asin="B0EXAMPLE1",
             amazon_store="US", product_name="Travel Wallet", product_group="Luggage", brand="ExampleBrand",
             fulfilled_by="Amazon", your_price=Decimal("25.00"), sales_price=Decimal("25.00"), longest_side=7.72,
             median_side=6.54, shortest_side=1.22, length_and_girth=23.24, unit_of_dimension="inches",
             item_package_weight=0.18, unit_of_weight="pounds", product_size_tier="UsLargeStandardSize",
             currency="USD", estimated_fee_total=Decimal("7.80"), estimated_referral_fee_per_unit=Decimal("3.75"),
             estimated_variable_closing_fee=Decimal("0.00"), expected_fulfillment_fee_per_unit=Decimal("4.05")),
        dict(source_file="ok_us_2026.txt", source_line=3, sku="SKU-1", fnsku="X00EXAMPL1", asin="B0EXAMPLE1",
             amazon_store="CA", product_name="Travel Wallet", product_group="Luggage", brand="ExampleBrand",
             fulfilled_by="Amazon", your_price=Decimal("32.99"), sales_price=Decimal("32.99"), longest_side=19.61,
             median_side=16.61, shortest_side=3.1, length_and_girth=59.03, unit_of_dimension="centimeters",
             item_package_weight=81.65, unit_of_weight="grams", product_size_tier="Standard", currency="CAD",
             estimated_fee_total=Decimal("15.11"), estimated_referral_fee_per_unit=Decimal("4.95"),
             estimated_variable_closing_fee=Decimal("0.00"), expected_fulfillment_fee_per_unit=Decimal("10.16")),
    ]


def test_fee_preview_older_us_and_uk_variants(load_fixtures) -> None:
    fees = load_fixtures("fee_preview/ok_us_2020.txt", "fee_preview/ok_uk.txt").datasets["fee_preview"]
    assert ordered(fees).select("source_file", "sku", "amazon_store", "your_price", "sales_price", "product_size_tier",
                       "currency", "expected_fulfillment_fee_per_unit").rows() == [
        # UK: product-size-weight-band and expected-domestic-fulfilment-fee-per-unit (British spelling)
        ("ok_uk.txt", "SKU-UK-1", None, Decimal("9.99"), Decimal("9.99"), "Small Parcel", "GBP", Decimal("2.89")),
        # US 2020: no amazon-store column; an empty sales-price is null
        ("ok_us_2020.txt", "SKU-3", None, Decimal("12.99"), None, "UsSmallStandardSize", "USD", Decimal("3.22")),
    ]


SETTLEMENT = dict(source_file="ok.txt", settlement_id="24000000001",
                  start_at=dt.datetime(2025, 10, 1, tzinfo=UTC), end_at=dt.datetime(2025, 10, 15, tzinfo=UTC),
                  deposit_at=dt.datetime(2025, 10, 17, tzinfo=UTC), total_amount=Decimal("21.79"), currency="CAD")
# (transaction_type, amount_type, amount_description, amount, quantity_purchased, posted_date) of the V1 and V2
# samples: the same settlement in the two formats gives the same money lines.
SETTLEMENT_LINES = [
    ("Order", "ItemFees", "Commission", Decimal("-3.75"), 1, dt.date(2025, 10, 5)),
    ("Order", "ItemFees", "FBAPerUnitFulfillmentFee", Decimal("-5.55"), 1, dt.date(2025, 10, 5)),
    ("Order", "ItemPrice", "Principal", Decimal("25.00"), 1, dt.date(2025, 10, 5)),
    ("Order", "ItemPrice", "Shipping", Decimal("2.00"), 1, dt.date(2025, 10, 5)),
    ("Order", "Promotion", "Shipping", Decimal("-2.00"), 1, dt.date(2025, 10, 5)),
]


def test_settlement_v2(load_fixtures) -> None:
    result = load_fixtures("settlement_v2/ok.txt")
    assert result.datasets["settlements"].to_dicts() == [
        SETTLEMENT | dict(source_line=2, source_format="settlement_v2")]
    lines = result.datasets["transactions"].sort("source_line")
    assert lines.select("transaction_type", "amount_type", "amount_description", "amount", "quantity_purchased",
                        "posted_date").sort("transaction_type", "amount_type", "amount_description").rows() == (
        SETTLEMENT_LINES + [
            ("other-transaction", "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE", Decimal("2.00"), 1,
             dt.date(2025, 10, 9)),
            ("other-transaction", "other-transaction", "Successful charge", Decimal("4.09"), None,
             dt.date(2025, 10, 7)),
        ])
    assert lines.row(0, named=True) == dict(
        source_file="ok.txt", source_line=3, settlement_id="24000000001", transaction_type="Order",
        order_id="702-0000001-0000001", merchant_order_id="702-0000001-0000001", adjustment_id=None,
        shipment_id="DkXyz1abC", marketplace_name="Amazon.ca", amount_type="ItemPrice",
        amount_description="Principal", amount=Decimal("25.00"), currency="CAD", fulfillment_id="AFN",
        posted_date=dt.date(2025, 10, 5), posted_at=dt.datetime(2025, 10, 5, 10, 20, 2, tzinfo=UTC),
        order_item_code="11111111111111", sku="SKU-1", quantity_purchased=1, source_format="settlement_v2")
    assert lines["amount"].sum() == Decimal("21.79")


def test_settlement_v2_eu_decimal_comma(load_fixtures) -> None:
    """EU V2 files write 1234,56 and dd.mm.yyyy (docs/report-formats.md, "Dates and numbers": not verified on a real file)."""
    result = load_fixtures("settlement_v2/ok_de.txt")
    assert result.datasets["settlements"].select("settlement_id", "total_amount", "currency", "start_at").rows() == [
        ("24000000003", Decimal("1043.83"), "EUR", dt.datetime(2026, 3, 13, 20, 21, 38, tzinfo=UTC))]
    lines = result.datasets["transactions"].sort("source_line")
    posted = dt.datetime(2026, 3, 14, 8, 49, 4, tzinfo=UTC)
    assert lines.select("source_line", "amount_description", "amount", "currency", "posted_date", "posted_at").rows() == [
        (3, "Principal", Decimal("1234.56"), "EUR", dt.date(2026, 3, 14), posted),
        (4, "Commission", Decimal("-185.18"), "EUR", dt.date(2026, 3, 14), posted),
        (5, "FBAPerUnitFulfillmentFee", Decimal("-5.55"), "EUR", dt.date(2026, 3, 14), posted),
    ]
    assert result.problems == []


def test_settlement_v1_long_form(load_fixtures) -> None:
    result = load_fixtures("settlement_v1/ok.txt")
    assert result.datasets["settlements"].to_dicts() == [
        SETTLEMENT | dict(source_line=2, source_format="settlement_v1")]
    lines = result.datasets["transactions"]
    assert lines.select("transaction_type", "amount_type", "amount_description", "amount", "quantity_purchased",
                        "posted_date").sort("transaction_type", "amount_type", "amount_description").rows() == (
        SETTLEMENT_LINES + [
            # "4.09    " (trailing spaces, as in Amazon's own files) is 4.09
            ("Successful charge", "other-transaction", "Successful charge", Decimal("4.09"), None,
             dt.date(2025, 10, 7)),
            ("WAREHOUSE_DAMAGE", "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE", Decimal("2.00"), 1,
             dt.date(2025, 10, 9)),
        ])
    # line 5 holds both a price (Shipping 2.00) and a promotion (-2.00): two money lines from one file line
    assert lines.filter(pl.col("source_line") == 5).sort("amount").select(
        "amount_type", "amount_description", "amount", "posted_at").rows() == [
        ("Promotion", "Shipping", Decimal("-2.00"), dt.datetime(2025, 10, 5, 10, 20, 2, tzinfo=UTC)),
        ("ItemPrice", "Shipping", Decimal("2.00"), dt.datetime(2025, 10, 5, 10, 20, 2, tzinfo=UTC)),
    ]
    # the quantity-only line 3 gives no money line of its own
    assert sorted(set(lines["source_line"].to_list())) == [4, 5, 6, 7, 8, 9]
    assert lines["amount"].sum() == Decimal("21.79")


def test_settlement_quantity_per_shipment_run_not_the_largest() -> None:
    """An order item with quantity rows 1 then 2 under one shipment and time (the shape of a genuine Amazon.ca V1
    file, docs/reports.md "Order items in several shipments"): each line keeps its own run's quantity, so units
    summed over the runs (3) match the fees written per run; the largest (2) on every line made a false claim."""
    from fba_audit.reports import load_folder

    folder = FIXTURES.parent / "detectors" / "FBA01" / "clean_order_item_quantity_in_two_lines_v1" / "reports"
    lines = load_folder(folder).datasets["transactions"]
    assert lines.sort("source_line").select("source_line", "amount_description", "amount", "quantity_purchased").rows(
    ) == [
        (4, "Principal", Decimal("19.99"), 1),
        (5, "FBAPerUnitFulfillmentFee", Decimal("-3.54"), 1),
        (6, "Commission", Decimal("-9.00"), 1),
        (8, "Principal", Decimal("39.98"), 2),
        (9, "FBAPerUnitFulfillmentFee", Decimal("-7.08"), 2),
    ]


def test_settlement_line_apart_from_its_quantity_line_takes_the_items_largest(tmp_path) -> None:
    """A V2 fee line separated from its item's Principal line by another order's lines has no run quantity of its
    own: it takes the largest of its item's lines (as every line did before runs were read)."""
    from fba_audit.reports import load_folder

    def line(order: str, description: str, amount: str, code: str, quantity: str) -> str:
        typ = "ItemPrice" if description == "Principal" else "ItemFees"
        return "\t".join(["25900000081", "", "", "", "", "", "Order", order, order, "", "DxZ", "Amazon.com", typ,
                          description, amount, "AFN", "2026-03-05", "2026-03-05 10:00:00 UTC", code, "", "", "MAT",
                          quantity, ""])

    header = ("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\t"
              "transaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\t"
              "amount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\t"
              "order-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\t"
              "promotion-id")
    summary = "\t".join(["25900000081", "2026-03-01 00:00:00 UTC", "2026-03-15 00:00:00 UTC",
                         "2026-03-17 00:00:00 UTC", "46.77", "USD", *[""] * 18])
    (tmp_path / "settlement.txt").write_text("\n".join([
        header, summary,
        line("113-0000081-0000001", "Principal", "39.98", "70000000000081", "2"),
        line("113-0000081-0000002", "Principal", "19.99", "70000000000082", "1"),
        line("113-0000081-0000001", "FBAPerUnitFulfillmentFee", "-9.20", "70000000000081", ""),
        line("113-0000081-0000002", "FBAPerUnitFulfillmentFee", "-4.00", "70000000000082", ""),
    ]) + "\n", encoding="utf-8")
    result = load_folder(tmp_path)
    assert result.problems == []
    assert result.datasets["transactions"].sort("source_line").select("source_line", "quantity_purchased").rows() == [
        (3, 2), (4, 1), (5, 2), (6, 1)]


def test_settlement_v1_33_columns_without_promotion(load_fixtures) -> None:
    result = load_fixtures("settlement_v1/ok_33col.txt")
    assert result.datasets["settlements"].select("settlement_id", "total_amount", "start_at").rows() == [
        ("24000000002", Decimal("-11.19"), dt.datetime(2025, 6, 1, tzinfo=UTC))]
    assert result.datasets["transactions"].sort("source_line").select(
        "source_line", "transaction_type", "amount_type", "amount_description", "amount", "quantity_purchased").rows(
    ) == [
        (4, "Order", "ItemPrice", "Principal", Decimal("40.00"), 2),
        (5, "Order", "ItemFees", "Commission", Decimal("-6.00"), 2),
        (6, "Subscription Fee", "other-transaction", "Subscription Fee", Decimal("-45.19"), None),
    ]


DATE_RANGE_COLUMNS = ("source_line", "settlement_id", "transaction_type", "order_id", "amount_type",
                      "amount_description", "amount", "currency", "fulfillment_id", "posted_date", "posted_at",
                      "quantity_purchased")


def date_range_lines(result) -> list[tuple]:
    return result.datasets["transactions"].select(DATE_RANGE_COLUMNS).sort(
        "source_line", "amount_type", "amount_description").rows()


def test_date_range_us_with_preamble_and_thousands_separator(load_fixtures) -> None:
    at = dt.datetime(2026, 1, 5, 21, 23, 45, tzinfo=UTC)  # 1:23:45 PM PST
    order = ("25889786381", "Order", "113-0000000-0000001")
    assert date_range_lines(load_fixtures("date_range/ok_us.csv")) == [
        (9, *order, "ItemFees", "FBAFees", Decimal("-4.05"), "USD", "AFN", dt.date(2026, 1, 5), at, 1),
        (9, *order, "ItemFees", "SellingFees", Decimal("-3.75"), "USD", "AFN", dt.date(2026, 1, 5), at, 1),
        (9, *order, "ItemPrice", "ProductSales", Decimal("25.00"), "USD", "AFN", dt.date(2026, 1, 5), at, 1),
        (9, *order, "ItemPrice", "ProductSalesTax", Decimal("1.66"), "USD", "AFN", dt.date(2026, 1, 5), at, 1),
        (9, *order, "ItemWithheldTax", "MarketplaceWithheldTax", Decimal("-1.66"), "USD", "AFN", dt.date(2026, 1, 5),
         at, 1),
        (10, "25889786381", "Adjustment", None, "FBA Inventory Reimbursement", "WAREHOUSE_LOST", Decimal("15.45"),
         "USD", None, dt.date(2026, 1, 6), dt.datetime(2026, 1, 6, 17, tzinfo=UTC), 1),
        (11, "25889786381", "Transfer", None, "other-transaction", "To account ending in: 123", Decimal("-1052.64"),
         "USD", None, dt.date(2026, 1, 7), dt.datetime(2026, 1, 7, 8, 38, 23, tzinfo=UTC), None),
    ]


def test_date_range_ca_with_a_m_and_p_m(load_fixtures) -> None:
    rows = date_range_lines(load_fixtures("date_range/ok_ca.csv"))
    assert [(r[0], r[4], r[5], r[6], r[7], r[10]) for r in rows] == [
        (4, "ItemFees", "FBAFees", Decimal("-5.55"), "CAD", dt.datetime(2025, 10, 5, 10, 20, 2, tzinfo=UTC)),
        (4, "ItemFees", "SellingFees", Decimal("-3.75"), "CAD", dt.datetime(2025, 10, 5, 10, 20, 2, tzinfo=UTC)),
        (4, "ItemPrice", "ProductSales", Decimal("25.00"), "CAD", dt.datetime(2025, 10, 5, 10, 20, 2, tzinfo=UTC)),
        (4, "ItemPrice", "ShippingCredits", Decimal("2.00"), "CAD", dt.datetime(2025, 10, 5, 10, 20, 2, tzinfo=UTC)),
        (4, "Promotion", "PromotionalRebates", Decimal("-2.00"), "CAD",
         dt.datetime(2025, 10, 5, 10, 20, 2, tzinfo=UTC)),
        # 4:05:10 p.m. PDT
        (5, "FBA Inventory Reimbursement", "WAREHOUSE_DAMAGE", Decimal("2.00"), "CAD",
         dt.datetime(2025, 10, 9, 23, 5, 10, tzinfo=UTC)),
    ]


LOCALIZED = {
    "date_range/ok_de.csv": [
        (3, "11800000001", "Order", "302-0000000-0000001", "ItemFees", "FBAFees", Decimal("-3.52"), "EUR", "AFN",
         dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 1),
        (3, "11800000001", "Order", "302-0000000-0000001", "ItemFees", "SellingFees", Decimal("-185.18"), "EUR",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 1),
        (3, "11800000001", "Order", "302-0000000-0000001", "ItemPrice", "ProductSales", Decimal("1234.56"), "EUR",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 1),
        # Übertrag -> Transfer, "-1.045,86" -> -1045.86
        (4, "11800000001", "Transfer", None, "other-transaction", "Auf Ihr Konto übertragen", Decimal("-1045.86"),
         None, None, dt.date(2026, 1, 6), dt.datetime(2026, 1, 6, 8, tzinfo=UTC), None),
    ],
    "date_range/ok_fr.csv": [
        (2, "11800000002", "Order", "402-0000000-0000001", "ItemFees", "FBAFees", Decimal("-2.80"), "EUR", "AFN",
         dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 1),
        (2, "11800000002", "Order", "402-0000000-0000001", "ItemFees", "SellingFees", Decimal("-3.00"), "EUR",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 1),
        (2, "11800000002", "Order", "402-0000000-0000001", "ItemPrice", "ProductSales", Decimal("19.99"), "EUR",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 1),
    ],
    "date_range/ok_it.csv": [
        (2, "11800000003", "Refund", "403-0000000-0000001", "ItemFees", "SellingFees", Decimal("1.50"), "EUR", "AFN",
         dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 1),
        (2, "11800000003", "Refund", "403-0000000-0000001", "ItemPrice", "ProductSales", Decimal("-12.50"), "EUR",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 1),
    ],
    "date_range/ok_es.csv": [
        (2, "11800000004", "Order", "404-0000000-0000001", "ItemFees", "FBAFees", Decimal("-6.10"), "EUR", "AFN",
         dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 2),
        (2, "11800000004", "Order", "404-0000000-0000001", "ItemFees", "SellingFees", Decimal("-4.50"), "EUR",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 2),
        (2, "11800000004", "Order", "404-0000000-0000001", "ItemPrice", "ProductSales", Decimal("30.00"), "EUR",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 13, 23, 45, tzinfo=UTC), 2),
    ],
    # MX writes decimal points and thousands commas; GMT-06:00
    "date_range/ok_mx.csv": [
        (2, "11800000005", "Order", "701-0000000-0000001", "ItemFees", "FBAFees", Decimal("-71.50"), "MXN", "AFN",
         dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 19, 23, 45, tzinfo=UTC), 1),
        (2, "11800000005", "Order", "701-0000000-0000001", "ItemFees", "SellingFees", Decimal("-194.85"), "MXN",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 19, 23, 45, tzinfo=UTC), 1),
        (2, "11800000005", "Order", "701-0000000-0000001", "ItemPrice", "ProductSales", Decimal("1299.00"), "MXN",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 19, 23, 45, tzinfo=UTC), 1),
    ],
    # cp932; 注文 -> Order, 返金 -> Refund; yen with thousands commas; JST
    "date_range/ok_jp.csv": [
        (2, "11800000006", "Order", "503-0000000-0000001", "ItemFees", "FBAFees", Decimal("-318.00"), "JPY", "AFN",
         dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 4, 23, 45, tzinfo=UTC), 1),
        (2, "11800000006", "Order", "503-0000000-0000001", "ItemFees", "SellingFees", Decimal("-198.00"), "JPY",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 4, 23, 45, tzinfo=UTC), 1),
        (2, "11800000006", "Order", "503-0000000-0000001", "ItemPrice", "ProductSales", Decimal("1980.00"), "JPY",
         "AFN", dt.date(2026, 1, 5), dt.datetime(2026, 1, 5, 4, 23, 45, tzinfo=UTC), 1),
        (3, "11800000006", "Refund", "503-0000000-0000002", "ItemFees", "SellingFees", Decimal("158.00"), "JPY",
         "AFN", dt.date(2026, 1, 6), dt.datetime(2026, 1, 6, 0, 0, 0, tzinfo=UTC), 1),
        (3, "11800000006", "Refund", "503-0000000-0000002", "ItemPrice", "ProductSales", Decimal("-1980.00"), "JPY",
         "AFN", dt.date(2026, 1, 6), dt.datetime(2026, 1, 6, 0, 0, 0, tzinfo=UTC), 1),
    ],
}


@pytest.mark.parametrize("name", sorted(LOCALIZED))
def test_date_range_localized_headers(load_fixtures, name: str) -> None:
    assert date_range_lines(load_fixtures(name)) == LOCALIZED[name]


def test_all_orders_with_bom(load_fixtures) -> None:
    orders = load_fixtures("all_orders/ok.txt").datasets["orders"]
    assert ordered(orders).select(
        "amazon_order_id", "merchant_order_id", "purchase_date", "purchased_at", "order_status", "fulfillment_channel",
        "item_status", "quantity", "currency", "item_price", "item_tax", "is_business_order",
    ).rows() == [
        ("113-0000000-0000001", "113-0000000-0000001", dt.date(2026, 5, 8),
         dt.datetime(2026, 5, 8, 23, 36, 26, tzinfo=UTC), "Shipped", "Amazon", "Shipped", 1, "USD",
         Decimal("25.00"), Decimal("1.66"), "false"),
        # a -07:00 offset is converted to UTC; a Pending order has no price: nulls, not zeros
        ("113-0000000-0000002", None, dt.date(2026, 5, 9), dt.datetime(2026, 5, 9, 8, tzinfo=UTC), "Pending",
         "Amazon", "Unshipped", 2, None, None, None, "true"),
    ]


SHIPMENTS = [
    dict(source_line=1, shipment_id="FBA15ABCDE01", shipment_name="May restock", shipment_status="CLOSED",
         destination_fulfillment_center_id="PHX7", confirmed_need_by_date=dt.date(2026, 5, 20), is_partnered=None),
    dict(source_line=2, shipment_id="FBA15ABCDE02", shipment_name="June restock", shipment_status="RECEIVING",
         destination_fulfillment_center_id="LAS2", confirmed_need_by_date=None, is_partnered=None),
]


def test_inbound_transport_json_is_the_get_transport_details_header_and_status(load_fixtures) -> None:
    transport = load_fixtures("inbound_transport/ok.json").datasets["inbound_transport"]
    assert transport.to_dicts() == [dict(source_file="ok.json", source_line=1, shipment_id="FBA15ABCDE01",
                                         is_partnered="True", shipment_type="SP", transport_status="CONFIRMED")]


def test_inbound_transport_csv(load_fixtures) -> None:
    transport = load_fixtures("inbound_transport/ok.csv").datasets["inbound_transport"]
    assert ordered(transport).select("source_line", "shipment_id", "is_partnered", "shipment_type").rows() == [
        (2, "FBA15ABCDE01", "true", "SP"), (3, "FBA15ABCDE02", "false", "LTL")]


def test_inbound_shipments_json_and_csv(load_fixtures) -> None:
    from_json = load_fixtures("inbound_shipments/ok.json").datasets["inbound_shipments"]
    assert ordered(from_json).to_dicts() == [dict(source_file="ok.json") | s for s in SHIPMENTS]


def test_inbound_shipments_csv(load_fixtures) -> None:
    from_csv = load_fixtures("inbound_shipments/ok.csv").datasets["inbound_shipments"]
    # a CSV line number is one more than the JSON item number (the header is line 1)
    assert ordered(from_csv).to_dicts() == [dict(source_file="ok.csv") | s | dict(source_line=s["source_line"] + 1)
                                   for s in SHIPMENTS]


def test_inbound_shipment_items_json(load_fixtures) -> None:
    result = load_fixtures("inbound_shipment_items/ok.json")
    assert ordered(result.datasets["inbound_shipment_items"]).to_dicts() == [
        dict(source_file="ok.json", source_line=1, shipment_id="FBA15ABCDE01", sku="SKU-1", fnsku="X00EXAMPL1",
             quantity_shipped=24, quantity_received=23, quantity_in_case=0, release_date=dt.date(2026, 5, 2)),
        dict(source_file="ok.json", source_line=2, shipment_id="FBA15ABCDE01", sku="SKU-2", fnsku="X00EXAMPL2",
             quantity_shipped=10, quantity_received=10, quantity_in_case=0, release_date=None),
    ]
    # the items response carries no shipment status: no shipments come from it
    assert result.datasets["inbound_shipments"].is_empty()


def test_inbound_shipment_items_csv_with_combined_fields_gives_shipments_too(load_fixtures) -> None:
    result = load_fixtures("inbound_shipment_items/ok.csv")
    assert ordered(result.datasets["inbound_shipment_items"]).select(
        "source_line", "shipment_id", "sku", "quantity_shipped", "quantity_received").rows() == [
        (2, "FBA15ABCDE01", "SKU-1", 24, 23),
        (3, "FBA15ABCDE01", "SKU-2", 10, 10),
        (4, "FBA15ABCDE02", "SKU-1", 12, None),
    ]
    assert ordered(result.datasets["inbound_shipments"]).select(
        "source_line", "shipment_id", "shipment_name", "shipment_status", "destination_fulfillment_center_id").rows(
    ) == [(2, "FBA15ABCDE01", "May restock", "CLOSED", "PHX7"),
          (4, "FBA15ABCDE02", "June restock", "RECEIVING", "LAS2")]


def test_products(load_fixtures) -> None:
    # Units and the category as people write them ("inches", "Pounds", "&") are read in the canonical spelling.
    assert load_fixtures("products/ok.csv").datasets["products"].sort("source_line").to_dicts() == [
        dict(source_file="ok.csv", source_line=2, sku="SKU-1", unit_cost=Decimal("6.40"), currency="USD",
             length=7.5, width=6.5, height=1.2, dimension_unit="in", weight=0.17, weight_unit="lb",
             referral_category="Backpacks, Handbags, and Luggage", sipp_certified=None),
        dict(source_file="ok.csv", source_line=3, sku="SKU-2", unit_cost=Decimal("3.10"), currency="USD",
             length=None, width=None, height=None, dimension_unit=None, weight=None, weight_unit=None,
             referral_category=None, sipp_certified=None),  # optional column, absent from this file
    ]


def test_decimal_comma_file_reads_grouped_thousands_keeps_a_point_decimal_and_rejects_the_ambiguous(
        tmp_path) -> None:
    """1.234,56 and 12.99 read one way only; 2.000 reads two ways (2000, or 2 with a decimal point, which German
    files also write) and is rejected with its line and column, never guessed (docs/reports.md)."""
    from fba_audit.reports import load_folder

    header = (FIXTURES / "date_range/ok_de.csv").read_text(encoding="utf-8").splitlines()[1]
    amounts = ["0"] * 12  # the amount columns between Umsätze and Gesamt

    def line(total: str, sales: str) -> str:
        cells = ["05.01.2026 13:23:45 UTC", "11800000001", "Bestellung", "302-0000000-0000001", "SKU-DE-1", "Bürste",
                 "1", "amazon.de", "Amazon", "", "", "", "", sales, *amounts, total]
        return ",".join(f'"{c}"' for c in cells)

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "de.csv").write_text("\n".join([header, line("1.234,56", "1.234,56"), line("-3,50", "-3,50"),
                                              line("12.99", "12.99"), line("2.000", "2.000")]) + "\n",
                                   encoding="utf-8")
    result = load_folder(folder)
    lines = result.datasets["transactions"].filter(pl.col("amount_description") == "ProductSales")
    assert lines.sort("source_line").select("source_line", "amount").rows() == [
        (2, Decimal("1234.56")), (3, Decimal("-3.50")), (4, Decimal("12.99"))]
    assert [(p.line, p.column, p.value) for p in result.problems if p.severity == "error"] == [
        (5, "Umsätze", "2.000"), (5, "Gesamt", "2.000")]
    assert all("reads two ways" in p.message for p in result.problems if p.severity == "error")


API_RESPONSES = ["inbound_shipments/ok.json", "inbound_shipment_items/ok.json",
                 "inbound_shipment_items/bad_item_not_object.json", "inbound_shipments/bad_not_a_response.json"]


@pytest.mark.parametrize("name", API_RESPONSES)
def test_api_responses_read_by_polars_or_by_python_give_the_same_result(name, tmp_path, monkeypatch) -> None:
    from loader_helpers import copy_into

    from fba_audit.reports import load_folder, loader

    copy_into(tmp_path / "fast", name)
    copy_into(tmp_path / "general", name)
    fast = load_folder(tmp_path / "fast")
    monkeypatch.setattr(loader, "_api_items", lambda raw: None)  # the general path (json + Python rows) only
    general = load_folder(tmp_path / "general")
    assert fast.files == general.files
    for dataset, frame in fast.datasets.items():
        assert ordered(frame).equals(ordered(general.datasets[dataset])), dataset


@pytest.mark.parametrize("name, fast", [("inbound_shipments/ok.json", True), ("inbound_shipment_items/ok.json", True),
                                        ("inbound_shipment_items/bad_item_not_object.json", False),
                                        ("inbound_shipments/bad_not_a_response.json", False)])
def test_well_formed_api_responses_take_the_polars_path(name, fast) -> None:
    from fba_audit.reports.loader import _api_items

    from loader_helpers import FIXTURES

    assert (_api_items((FIXTURES / name).read_bytes()) is not None) is fast
    # a float or a boolean would print differently from Python's str(): such responses go the general way
    with_float = (FIXTURES / "inbound_shipment_items/ok.json").read_text().replace('"QuantityShipped": 24',
                                                                                   '"QuantityShipped": 24.0')
    assert '24.0' in with_float and _api_items(with_float.encode()) is None


def test_sku_economics_78_columns_keeps_the_fulfillment_fee_parts(load_fixtures) -> None:
    # The header is the real 78-column US export of July 2026 (new_fees.md §1); the values are synthetic. Totals are
    # read (cents), never the per-unit averages; a blank low-inventory-level fee is null (none charged).
    frame = load_fixtures("sku_economics/ok.csv").datasets["sku_economics"]
    assert rows_at(frame, 2, 3) == [
        dict(source_file="ok.csv", source_line=2, amazon_store="US", start_date=dt.date(2026, 11, 1),
             end_date=dt.date(2026, 11, 30), parent_asin="B0TOWEL000", asin="B0TOWEL001", fnsku="X00TOWEL01",
             sku="HOME-TOWEL-01", currency="USD", units_sold=40, fulfillment_fees_quantity=40,
             fulfillment_fees_total=Decimal("184.10"), base_fee_quantity=40, base_fee_total=Decimal("168.40"),
             fuel_surcharge_quantity=40, fuel_surcharge_total=Decimal("6.00"), low_inventory_fee_quantity=40,
             low_inventory_fee_total=Decimal("9.70")),
        dict(source_file="ok.csv", source_line=3, amazon_store="US", start_date=dt.date(2026, 11, 1),
             end_date=dt.date(2026, 11, 30), parent_asin="B0MAT00000", asin="B0MAT00001", fnsku=None,
             sku="DESK-MAT-02", currency="USD", units_sold=12, fulfillment_fees_quantity=12,
             fulfillment_fees_total=Decimal("43.92"), base_fee_quantity=12, base_fee_total=Decimal("42.48"),
             fuel_surcharge_quantity=12, fuel_surcharge_total=Decimal("1.44"), low_inventory_fee_quantity=None,
             low_inventory_fee_total=None),
    ]


def test_amazon_fulfilled_shipments_48_columns(load_fixtures) -> None:
    """The 48-column header of GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL (docs/report-formats.md): the fulfilment
    centre and sales channel of each shipment item; blank PII columns are left unread."""
    shipped = ordered(load_fixtures("amazon_fulfilled_shipments/ok.txt").datasets["fulfilled_shipments"])
    assert shipped.drop("source_file").to_dicts() == [
        dict(source_line=2, amazon_order_id="202-0000000-0000001", shipment_id="DkXyz1abC",
             shipment_item_id="DkXyz1abCitem1", amazon_order_item_id="12345678901234",
             shipment_date=dt.date(2026, 5, 2), shipped_at=dt.datetime(2026, 5, 2, 3, 15, 40, tzinfo=UTC),
             sku="SKU-UK-1", quantity_shipped=1, currency="GBP", ship_country="GB", fulfillment_center_id="BHX4",
             fulfillment_channel="Amazon", sales_channel="Amazon.co.uk"),
        # -07:00 offset: 22:30 on 4 May (the date as printed) is 05:30 UTC on 5 May; blank ship-country is null
        dict(source_line=3, amazon_order_id="202-0000000-0000002", shipment_id="DkXyz2abC",
             shipment_item_id="DkXyz2abCitem1", amazon_order_item_id="12345678905678",
             shipment_date=dt.date(2026, 5, 4), shipped_at=dt.datetime(2026, 5, 5, 5, 30, tzinfo=UTC),
             sku="SKU-UK-1", quantity_shipped=2, currency="GBP", ship_country=None, fulfillment_center_id="XQZ9",
             fulfillment_channel="Amazon", sales_channel="Amazon.co.uk"),
    ]


def test_amazon_fulfilled_shipments_bad_quantity_rejected_with_its_line_and_column(tmp_path) -> None:
    """One bad value rejects its row only, named by file, line and column; the rest of the file is read."""
    from fba_audit.reports import load_folder

    lines = (FIXTURES / "amazon_fulfilled_shipments" / "ok.txt").read_text(encoding="utf-8").splitlines()
    cells = lines[2].split("\t")
    cells[15] = "two"  # quantity-shipped
    lines[2] = "\t".join(cells)
    (tmp_path / "shipped.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_folder(tmp_path)
    (summary,) = result.files
    assert [(p.file, p.line, p.column, p.message) for p in summary.problems] == [
        ("shipped.txt", 3, "quantity-shipped",
         'column quantity-shipped has "two", expected a whole number such as 3 or -1; the row was rejected.')]
    assert accounting(result) == {"shipped.txt": (2, 1, 0, 1)}
    assert result.datasets["fulfilled_shipments"]["shipment_item_id"].to_list() == ["DkXyz1abCitem1"]
