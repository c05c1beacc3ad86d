"""Write frames in Amazon's export formats (docs/reports.md, docs/report-formats.md): headers, delimiters, quoting,
encodings.

Large files are written in chunks straight from polars; Windows-1252 files are written as text chunks encoded
by Python. Every writer sorts nothing itself: callers pass frames in the row order Amazon would print.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl

CHUNK_ROWS = 1_000_000

LEDGER_HEADER = ("Date", "FNSKU", "ASIN", "MSKU", "Title", "Event Type", "Reference ID", "Quantity",
                 "Fulfillment Center", "Disposition", "Reason", "Country", "Reconciled Quantity",
                 "Unreconciled Quantity", "Date and Time", "Store")
# The legacy Inventory Adjustments report (GET_FBA_FULFILLMENT_INVENTORY_ADJUSTMENTS_DATA, discontinued in Seller
# Central on 2023-01-31), the version with reconciliation columns (docs/report-formats.md, "What the simulator's account shapes write").
LEGACY_ADJUSTMENTS_HEADER = ("adjusted-date", "transaction-item-id", "fnsku", "sku", "product-name",
                             "fulfillment-center-id", "quantity", "reason", "disposition", "reconciled", "unreconciled")
LEGACY_RECEIPTS_HEADER = ("received-date", "fnsku", "sku", "product-name", "quantity", "fba-shipment-id",
                          "fulfillment-center-id")
RETURNS_HEADER = ("return-date", "order-id", "sku", "asin", "fnsku", "product-name", "quantity",
                  "fulfillment-center-id", "detailed-disposition", "reason", "status", "license-plate-number",
                  "customer-comments")
REIMBURSEMENTS_HEADER = ("approval-date", "reimbursement-id", "case-id", "amazon-order-id", "reason", "sku", "fnsku",
                         "asin", "product-name", "condition", "currency-unit", "amount-per-unit", "amount-total",
                         "quantity-reimbursed-cash", "quantity-reimbursed-inventory", "quantity-reimbursed-total",
                         "original-reimbursement-id", "original-reimbursement-type")
FEE_PREVIEW_HEADER = (
    "sku", "fnsku", "asin", "amazon-store", "product-name", "product-group", "brand", "fulfilled-by", "your-price",
    "sales-price", "longest-side", "median-side", "shortest-side", "length-and-girth", "unit-of-dimension",
    "item-package-weight", "unit-of-weight", "product-size-tier", "currency", "estimated-fee-total",
    "estimated-referral-fee-per-unit", "estimated-variable-closing-fee", "estimated-order-handling-fee-per-order",
    "estimated-pick-pack-fee-per-unit", "estimated-weight-handling-fee-per-unit", "expected-fulfillment-fee-per-unit",
    "estimated-future-fee (Current Selling on Amazon + Future Fulfillment fees)",
    "estimated-future-order-handling-fee-per-order", "estimated-future-pick-pack-fee-per-unit",
    "estimated-future-weight-handling-fee-per-unit", "expected-future-fulfillment-fee-per-unit")
SETTLEMENT_V2_HEADER = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency",
    "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id", "marketplace-name",
    "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date", "posted-date-time",
    "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
    "promotion-id")
SETTLEMENT_V1_HEADER = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency",
    "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id", "marketplace-name",
    "shipment-fee-type", "shipment-fee-amount", "order-fee-type", "order-fee-amount", "fulfillment-id",
    "posted-date", "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku",
    "quantity-purchased", "price-type", "price-amount", "item-related-fee-type", "item-related-fee-amount",
    "misc-fee-amount", "other-fee-amount", "other-fee-reason-description", "promotion-id", "promotion-type",
    "promotion-amount", "direct-payment-type", "direct-payment-amount", "other-amount")
# Date Range transaction report, US, current 30 columns, and the preamble Amazon prints before it
# (docs/report-formats.md, "Date Range transaction files").
DATE_RANGE_PREAMBLE = (
    '"Includes Amazon Marketplace, Fulfillment by Amazon (FBA), and Amazon Webstore transactions"',
    '"All amounts in USD, unless specified"',
    '"Definitions:"',
    '"Sales tax collected: Includes sales tax collected from buyers for product sales, shipping, and gift wrap."',
    '"Selling fees: Includes variable closing fees and referral fees."',
    '"Other transaction fees: Includes shipping chargebacks, shipping holdbacks, per-item fees  and sales tax '
    'collection fees."',
    '"Other: Includes non-order transaction amounts. For more details, see the ""Type"" and ""Description"" columns '
    'for each order ID."',
)
DATE_RANGE_HEADER = (
    "date/time", "settlement id", "type", "order id", "sku", "description", "quantity", "marketplace", "account type",
    "fulfillment", "order city", "order state", "order postal", "tax collection model", "product sales",
    "product sales tax", "shipping credits", "shipping credits tax", "gift wrap credits", "giftwrap credits tax",
    "Regulatory Fee", "Tax On Regulatory Fee", "promotional rebates", "promotional rebates tax",
    "marketplace withheld tax", "selling fees", "fba fees", "other transaction fees", "other", "total")
ALL_ORDERS_HEADER = (
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name", "sku", "asin",
    "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price", "shipping-tax",
    "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount", "ship-promotion-discount", "ship-city",
    "ship-state", "ship-postal-code", "ship-country", "promotion-ids", "cpf", "is-business-order",
    "purchase-order-number", "price-designation", "signature-confirmation-recommended")
# SKU Economics, the 78 columns of a real US export of July 2026 (new_fees.md §1), in its order.
_SKU_ECONOMICS_FEES = (
    "Aged inventory surcharge", "Base fulfillment fee", "Base monthly storage fee", "Coupon participation fee",
    "Coupon performance-based fee", "Deal daily fee", "Deal performance-based fee", "FBA Inventory Reimbursement",
    "FBA disposal order fee", "FBA fulfillment fees", "FBA inbound placement service fee",
    "Fuel and Logistics-related surcharge", "Low-inventory-level fee", "Monthly inventory storage fee",
    "Referral Fee Refunds", "Referral fee", "Refund administration fee",
    "Returns Processing Fee for Non-Apparel and Non-Shoes", "Storage utilization surcharge",
    "Sponsored Products charge")
SKU_ECONOMICS_HEADER = (
    "Amazon store", "Start date", "End date", "Parent ASIN", "ASIN", "FNSKU", "MSKU", "Currency code",
    "Average sales price", "Units sold", "Units returned", "Net units sold", "Sales", "Net sales",
    *(f"{fee} {part}" for fee in _SKU_ECONOMICS_FEES for part in ("per unit", "quantity", "total")),
    "Cost of goods sold per unit", "Miscellaneous cost per unit", "Net proceeds total",
    "Net proceeds per net unit sold")
PRODUCTS_HEADER = ("sku", "unit_cost", "currency", "length", "width", "height", "dimension_unit", "weight",
                   "weight_unit", "referral_category")


def money(col: str | pl.Expr) -> pl.Expr:
    """Integer cents -> `12.34` / `-0.05` text (null stays null)."""
    c = pl.col(col) if isinstance(col, str) else col
    sign = pl.when(c < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    a = c.abs()
    return pl.format("{}{}.{}", sign, (a // 100).cast(pl.String), (a % 100).cast(pl.String).str.zfill(2))


def grouped_money(col: str | pl.Expr) -> pl.Expr:
    """Integer cents -> `1,052.64` / `-0.05` / `0` text, as Date Range reports print amounts (null prints 0)."""
    c = (pl.col(col) if isinstance(col, str) else col).fill_null(0)
    sign = pl.when(c < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = c.abs() // 100
    millions, thousands, units = whole // 1_000_000, (whole // 1000) % 1000, whole % 1000
    padded = lambda part: part.cast(pl.String).str.zfill(3)  # noqa: E731
    grouped = (pl.when(millions > 0).then(pl.format("{},{},{}", millions, padded(thousands), padded(units)))
               .when(thousands > 0).then(pl.format("{},{}", thousands, padded(units)))
               .otherwise(units.cast(pl.String)))
    cents = (c.abs() % 100).cast(pl.String).str.zfill(2)
    return pl.when(c == 0).then(pl.lit("0")).otherwise(pl.format("{}{}.{}", sign, grouped, cents))


def _text(frame: pl.DataFrame, header: tuple[str, ...], **options) -> str:
    text = pl.all().cast(pl.String)
    # Seller Central's quoted .csv prints empty fields as "" too; elsewhere an empty field is just empty.
    if options.get("quote_style") == "always":
        text = text.fill_null("")
    return frame.select(text).rename(dict(zip(frame.columns, header))).write_csv(**options)


def write_tab(path: Path, frame: pl.DataFrame, header: tuple[str, ...], *, bom: bool = False,
              encoding: str = "utf-8") -> int:
    """A tab-delimited flat file, unquoted, as Amazon's .txt downloads; returns the number of data rows."""
    assert len(frame.columns) == len(header), (path.name, len(frame.columns), len(header))
    with open(path, "wb") as handle:
        if bom:
            handle.write(b"\xef\xbb\xbf")
        for start in range(0, max(frame.height, 1), CHUNK_ROWS):
            chunk = frame.slice(start, CHUNK_ROWS)
            text = _text(chunk, header, separator="\t", quote_style="never", include_header=start == 0,
                         line_terminator="\n")
            handle.write(text.encode(encoding))
    return frame.height


def write_quoted_csv(path: Path, frame: pl.DataFrame, header: tuple[str, ...], *, preamble: tuple[str, ...] = ()) -> int:
    """Seller Central's `.csv` download: comma-separated, every field double-quoted, UTF-8 with BOM; `preamble`
    lines (already quoted) go before the header, as in Date Range reports."""
    with open(path, "wb") as handle:
        handle.write(b"\xef\xbb\xbf")
        handle.write("".join(line + "\n" for line in preamble).encode("utf-8"))
        for start in range(0, max(frame.height, 1), CHUNK_ROWS):
            chunk = frame.slice(start, CHUNK_ROWS)
            text = _text(chunk, header, separator=",", quote_style="always", include_header=start == 0,
                         line_terminator="\n")
            handle.write(text.encode("utf-8"))
    return frame.height


def write_plain_csv(path: Path, frame: pl.DataFrame, header: tuple[str, ...]) -> int:
    path.write_bytes(_text(frame, header, separator=",", quote_style="necessary", line_terminator="\n")
                     .encode("utf-8"))
    return frame.height


def zip_file(source: Path, archive: Path, date_time: tuple[int, int, int, int, int, int]) -> None:
    """Zip one file with a fixed timestamp, so the archive's bytes depend on its content only."""
    info = zipfile.ZipInfo(source.name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        with open(source, "rb") as handle, z.open(info, "w") as member:
            while block := handle.read(16 * 1024 * 1024):
                member.write(block)
    archive.write_bytes(buffer.getvalue())
    source.unlink()


def json_array(path: Path, key: str, objects: pl.Series) -> int:
    """`{"payload": {key: [ ... ]}}` from pre-rendered JSON object strings (Fulfillment Inbound API v0)."""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write('{"payload": {"' + key + '": [\n')
        if len(objects):
            handle.write(",\n".join(objects.to_list()) if len(objects) < 200_000 else "")
            if len(objects) >= 200_000:
                for start in range(0, len(objects), 200_000):
                    part = objects.slice(start, 200_000).to_list()
                    handle.write(("" if start == 0 else ",\n") + ",\n".join(part))
        handle.write("\n]}}\n")
    return len(objects)
