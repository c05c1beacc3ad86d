"""The reports of the UK, EU and Japanese stores, read on the line shapes Amazon writes there (docs/reports.md,
"Localized reports"): decimal commas and German dates in settlement V2, Japanese monthly transaction reports with
their preamble and JST times, in the encodings Amazon ships them in. Exact values, and exact messages for the
numbers that read two ways."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from loader_helpers import accounting

from fba_audit.reports import load_folder

UTC = dt.timezone.utc

V2_HEADER = ("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\t"
             "transaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\t"
             "amount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\t"
             "order-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\t"
             "promotion-id")

# The summary line of a genuine German settlement flat file V2, as posted in abuzuhri/Amazon-SP-API-CSharp issue
# #571 (2023-05-12): "settlement-id settlement-start-date settlement-end-date deposit-date total-amount . . . /
# 19482314502 14.03.2023 07:49:55 UTC 28.03.2023 07:49:55 UTC 30.03.2023 07:49:55 UTC 1141,18 . . .". The poster
# cut the line after total-amount; the currency and the order lines below are in the V2 shape
# (docs/report-formats.md, Settlement and transaction lines), with amounts that add up to its 1141,18.
GENUINE_DE_SUMMARY = "19482314502\t14.03.2023 07:49:55 UTC\t28.03.2023 07:49:55 UTC\t30.03.2023 07:49:55 UTC\t1141,18"


def v2_line(settlement: str, order: str, kind: str, description: str, amount: str, sku: str = "SKU-DE-1",
            quantity: str = "", posted: str = "15.03.2023", at: str = "15.03.2023 10:11:12 UTC",
            item: str = "12345678901234", marketplace: str = "Amazon.de") -> str:
    return "\t".join([settlement, "", "", "", "", "", "Order", order, order, "", "DkXyz9abC", marketplace, kind,
                      description, amount, "AFN", posted, at, item, "", "", sku, quantity, ""])


def write(folder: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_genuine_german_settlement_line_with_both_decimal_marks(tmp_path: Path) -> None:
    """The genuine summary line (German dates, 1141,18), and order lines in both writing styles: "Amazon is sending
    both writing styles (5,05 and 5.05) in one report" (abuzuhri/Amazon-SP-API-CSharp PR #706, 2024-01-26)."""
    s = "19482314502"
    write(tmp_path, "de.txt", [
        V2_HEADER,
        GENUINE_DE_SUMMARY + "\tEUR" + "\t" * 18,
        v2_line(s, "302-1111111-1111111", "ItemPrice", "Principal", "1.000,00", quantity="1"),
        v2_line(s, "302-1111111-1111111", "ItemFees", "Commission", "-114,40"),
        v2_line(s, "302-1111111-1111111", "ItemFees", "FBAPerUnitFulfillmentFee", "-5,05"),
        v2_line(s, "302-2222222-2222222", "ItemPrice", "Principal", "300.00", sku="SKU-DE-2", quantity="1",
                item="22345678901234"),
        v2_line(s, "302-2222222-2222222", "ItemFees", "Commission", "-34.32", sku="SKU-DE-2", item="22345678901234"),
        v2_line(s, "302-2222222-2222222", "ItemFees", "FBAPerUnitFulfillmentFee", "-5.05", sku="SKU-DE-2",
                item="22345678901234"),
    ])
    result = load_folder(tmp_path)
    assert result.problems == []
    assert accounting(result) == {"de.txt": (7, 7, 0, 0)}
    assert result.datasets["settlements"].select("settlement_id", "total_amount", "currency", "start_at", "end_at",
                                                  "deposit_at").rows() == [
        ("19482314502", Decimal("1141.18"), "EUR", dt.datetime(2023, 3, 14, 7, 49, 55, tzinfo=UTC),
         dt.datetime(2023, 3, 28, 7, 49, 55, tzinfo=UTC), dt.datetime(2023, 3, 30, 7, 49, 55, tzinfo=UTC))]
    lines = result.datasets["transactions"].sort("source_line")
    assert lines.select("source_line", "sku", "amount_description", "amount", "currency", "posted_date",
                        "marketplace_name").rows() == [
        (3, "SKU-DE-1", "Principal", Decimal("1000.00"), "EUR", dt.date(2023, 3, 15), "Amazon.de"),
        (4, "SKU-DE-1", "Commission", Decimal("-114.40"), "EUR", dt.date(2023, 3, 15), "Amazon.de"),
        (5, "SKU-DE-1", "FBAPerUnitFulfillmentFee", Decimal("-5.05"), "EUR", dt.date(2023, 3, 15), "Amazon.de"),
        (6, "SKU-DE-2", "Principal", Decimal("300.00"), "EUR", dt.date(2023, 3, 15), "Amazon.de"),
        (7, "SKU-DE-2", "Commission", Decimal("-34.32"), "EUR", dt.date(2023, 3, 15), "Amazon.de"),
        (8, "SKU-DE-2", "FBAPerUnitFulfillmentFee", Decimal("-5.05"), "EUR", dt.date(2023, 3, 15), "Amazon.de"),
    ]
    assert lines["amount"].sum() == Decimal("1141.18")
    assert lines["posted_at"].unique().to_list() == [dt.datetime(2023, 3, 15, 10, 11, 12, tzinfo=UTC)]


AMBIGUOUS = ("which reads two ways: its separator may group thousands or be the decimal mark (1,234 is 1234 or "
             "1.234); the row was rejected. fba-audit does not guess amounts. Look the line up in Seller Central "
             "(Reports > Payments) and download the report again; in a file you edited, write the amount with its "
             "decimals (1234,00 or 1,23).")
THREE_DECIMALS = ("expected an amount with at most two decimals such as 12.34 or -6.38; the row was rejected. Check "
                  "the file, or download the Settlement flat file V2 again (Seller Central > Reports > Payments > "
                  "All Statements > Download Flat File V2).")

# (amount as written in a German settlement, what it is: a Decimal, or the end of the message that rejects it)
EU_AMOUNTS = [
    ("12,34", Decimal("12.34")),  # a 12,34 EUR fee is 12.34, never 1234
    ("-12,34", Decimal("-12.34")),
    ("1141,18", Decimal("1141.18")),
    ("-0,5", Decimal("-0.50")),
    ("1.234,56", Decimal("1234.56")),
    ("1.234.567,89", Decimal("1234567.89")),
    ("5.05", Decimal("5.05")),
    ("1,234.56", Decimal("1234.56")),
    ("1,234", AMBIGUOUS),
    ("1.234", AMBIGUOUS),
    ("-12,345", AMBIGUOUS),
    ("1234,567", THREE_DECIMALS),
]


def one_order(folder: Path, name: str, total: str, lines: list[tuple[str, str, str]], german: bool,
              currency: str = "EUR", marketplace: str = "Amazon.de") -> None:
    """A settlement of one order: (amount-type, amount-description, amount) per line, the first with quantity 1;
    German dates (13.03.2026) or ISO ones."""
    def day(iso: str) -> str:
        return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}" if german else iso

    s = "24000000077"
    write(folder, name, [
        V2_HEADER,
        "\t".join([s, *(f"{day(d)} 20:21:38 UTC" for d in ("2026-03-13", "2026-03-27", "2026-03-29")), total,
                   currency]) + "\t" * 18,
        *(v2_line(s, "302-3333333-3333333", kind, description, amount, quantity="1" if n == 0 else "",
                  posted=day("2026-03-14"), at=f"{day('2026-03-14')} 08:49:04 UTC", marketplace=marketplace)
          for n, (kind, description, amount) in enumerate(lines)),
    ])


@pytest.mark.parametrize(("written", "expected"), EU_AMOUNTS, ids=[w for w, _ in EU_AMOUNTS])
def test_decimal_comma_settlement_amount(tmp_path: Path, written: str, expected: Decimal | str) -> None:
    one_order(tmp_path, "de.txt", "19,99", [("ItemPrice", "Principal", "19,99"), ("ItemFees", "Commission", written)],
              german=True)
    result = load_folder(tmp_path)
    errors = [str(p) for p in result.problems if p.severity == "error"]
    commission = result.datasets["transactions"].filter(pl.col("amount_description") == "Commission")
    if isinstance(expected, Decimal):
        assert errors == []
        assert commission["amount"].to_list() == [expected]
    else:
        assert errors == [f'de.txt:4: column amount has "{written}", {expected}']
        assert commission.is_empty()
        assert accounting(result) == {"de.txt": (3, 2, 0, 1)}


def test_point_decimal_eu_settlement_reads_a_stray_decimal_comma(tmp_path: Path) -> None:
    """The other half of PR #706: a file written mostly with points, one fee with a comma. A comma followed by two
    digits groups no thousands, so the value is read (5.05), on the second reading of the lines the file's form
    did not fit."""
    one_order(tmp_path, "eu.txt", "11.93", [("ItemPrice", "Principal", "19.99"), ("ItemFees", "Commission", "-3.01"),
                                            ("ItemFees", "FBAPerUnitFulfillmentFee", "-5,05")], german=False)
    result = load_folder(tmp_path)
    assert result.problems == []
    assert result.datasets["transactions"].sort("source_line")["amount"].to_list() == [
        Decimal("19.99"), Decimal("-3.01"), Decimal("-5.05")]


def test_point_decimal_settlement_refuses_a_comma_before_three_digits(tmp_path: Path) -> None:
    """In a file written with decimal points, "1,234" is 1234 only if the comma groups thousands, which settlement
    flat files never do; "2.005" there is three decimals, not an amount (the message says which)."""
    one_order(tmp_path, "uk.txt", "19.99", [("ItemPrice", "Principal", "19.99"), ("ItemFees", "Commission", "1,234"),
                                            ("ItemFees", "FBAPerUnitFulfillmentFee", "2.005")], german=False,
              currency="GBP", marketplace="Amazon.co.uk")
    result = load_folder(tmp_path)
    assert [str(p) for p in result.problems if p.severity == "error"] == [
        f'uk.txt:4: column amount has "1,234", {AMBIGUOUS}',
        f'uk.txt:5: column amount has "2.005", {THREE_DECIMALS}',
    ]


# The header of a real Amazon.co.jp monthly transaction report, in file order (docs/report-formats.md, Date Range
# transaction files: public scripts written against a real "2026AugMonthlyTransaction.csv", 30 columns; the same 30
# names in a public accounting app's test of its payment-CSV parser). The last two are new against the older map.
JP_HEADER = ["日付/時間", "決済番号", "トランザクションの種類", "注文番号", "SKU", "説明", "数量", "Amazon 出品サービス",
             "フルフィルメント", "市町村", "都道府県", "郵便番号", "税金徴収型", "商品売上", "商品の売上税", "配送料",
             "配送料の税金", "ギフト包装手数料", "ギフト包装クレジットの税金", "Amazonポイントの費用", "プロモーション割引額",
             "プロモーション割引の税金", "源泉徴収税を伴うマーケットプレイス", "手数料", "FBA 手数料",
             "トランザクションに関するその他の手数料", "その他", "合計", "トランザクションのステータス", "トランザクション開始日"]
# Nine lines before the header (R-JP: the header is searched "within the first 40 lines" since the count varies by
# month). The first three are Amazon's as quoted by that test; the definition lines are shape-only illustrations.
JP_PREAMBLE = ["Amazon 出品サービス、フルフィルメント by Amazon (FBA)", "指定のない場合、単位は円", "定義：",
               "商品の売上税：商品の売上、配送料、ギフト包装手数料に対して徴収された消費税を含みます。",
               "手数料：販売手数料とカテゴリー成約料を含みます。",
               "トランザクションに関するその他の手数料：配送料の返金に関する手数料などを含みます。",
               "その他：注文以外の取引金額を含みます。",
               "詳しくは、各注文番号の「トランザクションの種類」と「説明」の列をご覧ください。",
               "トランザクションの種類：注文、返金、調整など。"]


def jp_row(when: str, kind: str, order: str, sku: str, description: str, quantity: str, marketplace: str,
           amounts: dict[str, str], total: str) -> list[str]:
    row = {h: "" for h in JP_HEADER}
    row.update({"日付/時間": when, "決済番号": "12345678901", "トランザクションの種類": kind, "注文番号": order, "SKU": sku,
                "説明": description, "数量": quantity, "Amazon 出品サービス": marketplace,
                "フルフィルメント": "Amazon" if order else "", "合計": total,
                "トランザクションのステータス": "支払い実行済み", "トランザクション開始日": when[:10]})
    for column in JP_HEADER[13:27]:
        row[column] = amounts.get(column, "0")
    return [row[h] for h in JP_HEADER]


JP_ROWS = [
    jp_row("2026/08/01 3:21:05 JST", "注文", "503-1111111-1111111", "SKU-JP-1", "テスト商品, ブラシ", "2", "Amazon.co.jp",
           {"商品売上": "3,960", "手数料": "-396", "FBA 手数料": "-636"}, "2,928"),
    jp_row("2026/08/03 23:59:59 JST", "返金", "503-2222222-2222222", "SKU-JP-1", "テスト商品, ブラシ", "1",
           "Amazon.co.jp", {"商品売上": "-1,980", "手数料": "158"}, "-1,822"),
    jp_row("2026/08/31 12:00:00 JST", "Amazon手数料", "", "", "Amazon Easy Ship料金", "", "", {"手数料": "-180"}, "-180"),
    jp_row("2026/08/31 12:00:01 JST", "振込み", "", "", "末尾が029のアカウントへ", "", "", {}, "-926"),
]


def _csv(rows: list[list[str]]) -> list[str]:
    return [",".join('"' + c + '"' for c in row) for row in rows]


@pytest.mark.parametrize(("encoding", "label"), [
    ("utf-8", "UTF-8"),  # R-JP: the 2026 file decoded as UTF-8
    ("utf-8-sig", "UTF-8 with BOM"),
    ("cp932", "Shift_JIS (cp932)"),  # older reports (docs/report-formats.md, Delivery and encodings)
])
def test_japanese_monthly_transactions_with_preamble(tmp_path: Path, encoding: str, label: str) -> None:
    lines = _csv([[p] for p in JP_PREAMBLE]) + _csv([JP_HEADER]) + _csv(JP_ROWS)
    write(tmp_path, "2026AugMonthlyTransaction.csv", lines, encoding)
    result = load_folder(tmp_path)
    (summary,) = result.files
    assert (summary.kind, summary.encoding, summary.delimiter) == ("date_range", label, "comma")
    assert result.problems == []
    assert accounting(result) == {"2026AugMonthlyTransaction.csv": (4, 4, 0, 0)}
    lines = result.datasets["transactions"].sort("source_line", "amount_description")
    assert lines.select("source_line", "transaction_type", "sku", "amount_description", "amount", "currency",
                        "quantity_purchased", "posted_date", "posted_at").rows() == [
        # line 11 is the first row: nine preamble lines, then the header
        (11, "Order", "SKU-JP-1", "FBAFees", Decimal("-636"), "JPY", 2, dt.date(2026, 8, 1),
         dt.datetime(2026, 7, 31, 18, 21, 5, tzinfo=UTC)),
        (11, "Order", "SKU-JP-1", "ProductSales", Decimal("3960"), "JPY", 2, dt.date(2026, 8, 1),
         dt.datetime(2026, 7, 31, 18, 21, 5, tzinfo=UTC)),
        (11, "Order", "SKU-JP-1", "SellingFees", Decimal("-396"), "JPY", 2, dt.date(2026, 8, 1),
         dt.datetime(2026, 7, 31, 18, 21, 5, tzinfo=UTC)),
        (12, "Refund", "SKU-JP-1", "ProductSales", Decimal("-1980"), "JPY", 1, dt.date(2026, 8, 3),
         dt.datetime(2026, 8, 3, 14, 59, 59, tzinfo=UTC)),
        (12, "Refund", "SKU-JP-1", "SellingFees", Decimal("158"), "JPY", 1, dt.date(2026, 8, 3),
         dt.datetime(2026, 8, 3, 14, 59, 59, tzinfo=UTC)),
        # no marketplace on this line: the preamble's 単位は円 gives its currency
        (13, "Amazon手数料", None, "SellingFees", Decimal("-180"), "JPY", None, dt.date(2026, 8, 31),
         dt.datetime(2026, 8, 31, 3, 0, 0, tzinfo=UTC)),
        (14, "Transfer", None, "末尾が029のアカウントへ", Decimal("-926"), "JPY", None, dt.date(2026, 8, 31),
         dt.datetime(2026, 8, 31, 3, 0, 1, tzinfo=UTC)),
    ]
    assert result.marketplace is not None and result.marketplace.code == "JP"


# (Umsätze as written in a German Date Range report, what it is: a Decimal, or None for a rejected row)
DE_DATE_RANGE_AMOUNTS = [
    ("1.234,56", Decimal("1234.56")),
    ("1 234,56", Decimal("1234.56")),  # grouped with a space
    ("1\u00a0234,56", Decimal("1234.56")),  # grouped with a no-break space
    ("12 34,56", None),  # a space that groups no thousands is not taken out
    ("12,34", Decimal("12.34")),
    ("12.99", Decimal("12.99")),
    ("2.000", None),  # reads two ways
    ("2.000,00", Decimal("2000.00")),
]


@pytest.mark.parametrize(("written", "expected"), DE_DATE_RANGE_AMOUNTS, ids=[w for w, _ in DE_DATE_RANGE_AMOUNTS])
def test_german_date_range_amount(tmp_path: Path, written: str, expected: Decimal | None) -> None:
    fixtures = Path(__file__).parents[1] / "fixtures" / "reports"
    header = (fixtures / "date_range" / "ok_de.csv").read_text(encoding="utf-8").splitlines()[1]
    # Umsätze, the twelve amount columns after it, and Gesamt (the same amount: the row adds up).
    cells = ["05.01.2026 13:23:45 MEZ", "11800000001", "Bestellung", "302-0000000-0000001", "SKU-DE-1", "Bürste", "1",
             "amazon.de", "Amazon", "", "", "", "", written, *["0"] * 12, written]
    write(tmp_path, "de.csv", [header, ",".join(f'"{c}"' for c in cells)])
    result = load_folder(tmp_path)
    sales = result.datasets["transactions"].filter(pl.col("amount_description") == "ProductSales")
    if expected is None:
        assert sales.is_empty()
        assert [(p.line, p.column, p.value) for p in result.problems if p.severity == "error"] == [
            (2, "Umsätze", written), (2, "Gesamt", written)]
    else:
        assert [str(p) for p in result.problems] == []
        assert sales.select("amount", "currency", "posted_at").rows() == [
            (expected, "EUR", dt.datetime(2026, 1, 5, 12, 23, 45, tzinfo=UTC))]  # MEZ is UTC+1
