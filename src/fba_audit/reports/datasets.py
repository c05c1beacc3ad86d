"""The validated frames detectors read: one pandera model per dataset.

Several report kinds feed one dataset (the settlement flat files V1 and V2 and the Date Range transaction
report all become `transactions`; the legacy Inventory Adjustments and Received Inventory reports become
rows of `inventory_ledger`). Column names are snake_case and mean the same thing whatever file they came
from; `source_file` and `source_line` point every row back at the line of the export it was read from.

Money is `Decimal(18, 2)`, never float. Dates are `pl.Date` in the marketplace's own calendar as Amazon
printed them; `*_at` columns are UTC datetimes where the file gave a time.
"""

from __future__ import annotations

from typing import Annotated

import pandera.polars as pa
import polars as pl

MONEY = pl.Decimal(18, 2)
UTC_DATETIME = pl.Datetime("us", "UTC")

Money = Annotated[pl.Decimal, 18, 2]
UtcDatetime = Annotated[pl.Datetime, "us", "UTC"]


def _opt(description: str, **checks) -> pa.Field:
    return pa.Field(nullable=True, description=description, **checks)


def _req(description: str, **checks) -> pa.Field:
    return pa.Field(nullable=False, description=description, **checks)


# How a yes/no about the carrier may be written (JSON booleans are read as True / False).
PARTNERED_PATTERN = r"(?i)^\s*(true|false|yes|no|y|n|1|0)\s*$"
PARTNERED_YES = ("true", "yes", "y", "1")


def partnered_flag(column: str = "is_partnered") -> pl.Expr:
    """`column` as a boolean: True, False, or null when not given."""
    text = pl.col(column).cast(pl.String).str.strip_chars().str.to_lowercase()
    return pl.when(text.is_null() | (text == "")).then(None).otherwise(text.is_in(list(PARTNERED_YES)))


class _Sourced(pa.DataFrameModel):
    source_file: str = _req("The file the row was read from (`archive.zip!member.txt` inside archives).")
    source_line: pl.Int64 = _req(
        "1-based line of the row in that file (for JSON inputs: the 1-based item number in the array)."
    )

    class Config:
        strict = "filter"


class InventoryLedger(_Sourced):
    """Inventory Ledger, detailed view (plus legacy Inventory Adjustments and Received Inventory rows)."""

    date: pl.Date = _req("`Date` (MM/DD/YYYY): the day of the inventory event.")
    date_time: UtcDatetime = _opt("`Date and Time`, in UTC; only in downloads with 15 or more columns.")
    fnsku: str = _req("`FNSKU`.")
    asin: str = _opt("`ASIN`.")
    sku: str = _opt("`MSKU`, the seller SKU.")
    title: str = _opt("`Title`.")
    event_type: str = _req(
        "`Event Type`: Shipments, CustomerReturns, Receipts, Adjustments, VendorReturns, WhseTransfers (open set)."
    )
    reference_id: str = _opt("`Reference ID`: shipment id for Receipts, adjustment/transaction id otherwise.")
    quantity: pl.Int64 = _req("`Quantity`, signed: negative when units left the seller's inventory.")
    fulfillment_center: str = _opt("`Fulfillment Center` code.")
    disposition: str = _opt("`Disposition`: SELLABLE, CUSTOMER_DAMAGED, CARRIER_DAMAGED, ... (open set).")
    reason: str = _opt("`Reason` code on Adjustments rows (M, 5, E, 6, 7, F, N, ...); see `source_report` for era.")
    country: str = _opt("`Country`.")
    reconciled_quantity: pl.Int64 = _opt("`Reconciled Quantity`.")
    unreconciled_quantity: pl.Int64 = _opt("`Unreconciled Quantity`: units Amazon has not yet found or paid.")
    store: str = _opt("`Store` (16-column downloads).")
    source_report: str = _req(
        "Which export the row came from: `ledger_detail`, `inventory_adjustments` (legacy codes) or "
        "`received_inventory` (legacy receipts).",
        isin=["ledger_detail", "inventory_adjustments", "received_inventory"],
    )


class CustomerReturns(_Sourced):
    """FBA customer returns."""

    return_date: pl.Date = _req("`return-date` as a date.")
    returned_at: UtcDatetime = _opt("`return-date` in UTC when the file gave a time.")
    order_id: str = _req("`order-id` (also read from `amazon-order-id`).")
    sku: str = _opt("`sku`.")
    asin: str = _opt("`asin`.")
    fnsku: str = _opt("`fnsku`.")
    product_name: str = _opt("`product-name`.")
    quantity: pl.Int64 = _req("`quantity` returned.", ge=0)
    fulfillment_center_id: str = _opt("`fulfillment-center-id`.")
    detailed_disposition: str = _opt("`detailed-disposition`: SELLABLE, DAMAGED, CUSTOMER_DAMAGED, ... (open set).")
    reason: str = _opt("`reason` the customer gave.")
    status: str = _opt("`status`: Unit returned to inventory, Reimbursed, ... (open set).")
    license_plate_number: str = _opt("`license-plate-number`, one per returned unit.")
    customer_comments: str = _opt("`customer-comments`.")


class Reimbursements(_Sourced):
    """Reimbursements report."""

    approval_date: pl.Date = _req("`approval-date` as a date (UTC).")
    approved_at: UtcDatetime = _opt("`approval-date` in UTC.")
    reimbursement_id: str = _req("`reimbursement-id`.")
    case_id: str = _opt("`case-id` (empty for automatic reimbursements).")
    amazon_order_id: str = _opt("`amazon-order-id`.")
    reason: str = _req("`reason`: Lost_Warehouse, Damaged_Warehouse, CustomerReturn, Reimbursement_Reversal, ...")
    sku: str = _opt("`sku`.")
    fnsku: str = _opt("`fnsku`.")
    asin: str = _opt("`asin`.")
    product_name: str = _opt("`product-name`.")
    condition: str = _opt("`condition`.")
    currency: str = _opt("`currency-unit`.")
    amount_per_unit: Money = _opt("`amount-per-unit`.")
    amount_total: Money = _opt("`amount-total` (negative on reversals).")
    quantity_reimbursed_cash: pl.Int64 = _opt("`quantity-reimbursed-cash` (negative on reversals).")
    quantity_reimbursed_inventory: pl.Int64 = _opt("`quantity-reimbursed-inventory`.")
    quantity_reimbursed_total: pl.Int64 = _opt("`quantity-reimbursed-total`.")
    original_reimbursement_id: str = _opt("`original-reimbursement-id` (reversals).")
    original_reimbursement_type: str = _opt("`original-reimbursement-type` (reversals).")


class FeePreview(_Sourced):
    """Fee Preview (estimated FBA fees): one row per SKU and store."""

    sku: str = _req("`sku`.")
    fnsku: str = _opt("`fnsku`.")
    asin: str = _opt("`asin`.")
    amazon_store: str = _opt("`amazon-store` (US, CA, ...), 2025+ downloads only.")
    product_name: str = _opt("`product-name`.")
    product_group: str = _opt("`product-group`: Amazon's category group for the referral fee.")
    brand: str = _opt("`brand`.")
    fulfilled_by: str = _opt("`fulfilled-by`.")
    your_price: Money = _opt("`your-price`.")
    sales_price: Money = _opt("`sales-price`.")
    longest_side: pl.Float64 = _opt("`longest-side` as Amazon measured it.")
    median_side: pl.Float64 = _opt("`median-side`.")
    shortest_side: pl.Float64 = _opt("`shortest-side`.")
    length_and_girth: pl.Float64 = _opt("`length-and-girth`.")
    unit_of_dimension: str = _opt("`unit-of-dimension`: inches or centimeters.")
    item_package_weight: pl.Float64 = _opt("`item-package-weight`.")
    unit_of_weight: str = _opt("`unit-of-weight`: pounds, ounces, grams or kilograms.")
    product_size_tier: str = _opt("`product-size-tier` (UK/EU: `product-size-weight-band`).")
    currency: str = _opt("`currency`.")
    estimated_fee_total: Money = _opt("`estimated-fee-total`.")
    estimated_referral_fee_per_unit: Money = _opt("`estimated-referral-fee-per-unit`.")
    estimated_variable_closing_fee: Money = _opt("`estimated-variable-closing-fee`.")
    expected_fulfillment_fee_per_unit: Money = _opt(
        "`expected-fulfillment-fee-per-unit` (UK/EU: `expected-domestic-fulfilment-fee-per-unit`)."
    )


class Transactions(_Sourced):
    """Money lines from settlement flat files (V1 and V2) and Date Range transaction reports, one amount each."""

    settlement_id: str = _opt("`settlement-id` / `settlement id`.")
    transaction_type: str = _req(
        "`transaction-type` (`type` in Date Range files, localized values mapped to English): Order, Refund, "
        "other-transaction, ... V1 reimbursement rows keep their own type (WAREHOUSE_DAMAGE, REVERSAL_REIMBURSEMENT)."
    )
    order_id: str = _opt("`order-id`.")
    merchant_order_id: str = _opt("`merchant-order-id`.")
    adjustment_id: str = _opt("`adjustment-id` (refunds and reimbursements).")
    shipment_id: str = _opt("`shipment-id`.")
    marketplace_name: str = _opt("`marketplace-name` (Amazon.com, Amazon.ca, ...).")
    amount_type: str = _opt(
        "V2 `amount-type`: ItemPrice, ItemFees, Promotion, FBA Inventory Reimbursement, other-transaction, ... "
        "V1 rows are mapped to the same names (price-type -> ItemPrice, item-related-fee-type -> ItemFees, ...)."
    )
    amount_description: str = _opt(
        "V2 `amount-description`: Principal, Shipping, Commission, FBAPerUnitFulfillmentFee, RestockingFee, "
        "WAREHOUSE_LOST, ... Date Range columns become ProductSales, ShippingCredits, GiftWrapCredits, "
        "PromotionalRebates, SellingFees, FBAFees, OtherTransactionFees, Other."
    )
    amount: Money = _req("The signed amount of this line (negative = charged to the seller).")
    currency: str = _opt("The settlement's currency.")
    fulfillment_id: str = _opt("`fulfillment-id`: AFN (fulfilled by Amazon) or MFN.")
    posted_date: pl.Date = _opt("`posted-date` (Date Range: the local date of `date/time`).")
    posted_at: UtcDatetime = _opt("`posted-date-time` in UTC, where the file gives a time.")
    order_item_code: str = _opt("`order-item-code`.")
    sku: str = _opt("`sku`.")
    quantity_purchased: pl.Int64 = _opt(
        "`quantity-purchased` (`quantity` in Date Range files), copied to every line of the same shipment of the "
        "order item (docs/reports.md, \"Order items in several shipments\")."
    )
    source_format: str = _req(
        "settlement_v1, settlement_v2 or date_range.", isin=["settlement_v1", "settlement_v2", "date_range"]
    )


class Settlements(_Sourced):
    """The summary row of each settlement flat file: the period and the total deposited."""

    settlement_id: str = _req("`settlement-id`.")
    start_at: UtcDatetime = _opt("`settlement-start-date` in UTC.")
    end_at: UtcDatetime = _opt("`settlement-end-date` in UTC.")
    deposit_at: UtcDatetime = _opt("`deposit-date` in UTC.")
    total_amount: Money = _opt("`total-amount`.")
    currency: str = _opt("`currency`.")
    source_format: str = _req("settlement_v1 or settlement_v2.")


class Orders(_Sourced):
    """All Orders report: one row per order item."""

    amazon_order_id: str = _req("`amazon-order-id`.")
    merchant_order_id: str = _opt("`merchant-order-id`.")
    purchase_date: pl.Date = _req("`purchase-date` as a UTC date.")
    purchased_at: UtcDatetime = _opt("`purchase-date` in UTC.")
    last_updated_at: UtcDatetime = _opt("`last-updated-date` in UTC.")
    order_status: str = _opt("`order-status`.")
    fulfillment_channel: str = _opt("`fulfillment-channel`: Amazon (FBA) or Merchant.")
    sales_channel: str = _opt("`sales-channel`.")
    sku: str = _opt("`sku`.")
    asin: str = _opt("`asin`.")
    item_status: str = _opt("`item-status`.")
    quantity: pl.Int64 = _opt("`quantity`.")
    currency: str = _opt("`currency`.")
    item_price: Money = _opt("`item-price` (for all units of the line).")
    item_tax: Money = _opt("`item-tax`.")
    shipping_price: Money = _opt("`shipping-price`.")
    shipping_tax: Money = _opt("`shipping-tax`.")
    gift_wrap_price: Money = _opt("`gift-wrap-price`.")
    gift_wrap_tax: Money = _opt("`gift-wrap-tax`.")
    item_promotion_discount: Money = _opt("`item-promotion-discount`.")
    ship_promotion_discount: Money = _opt("`ship-promotion-discount`.")
    product_name: str = _opt("`product-name`.")
    ship_country: str = _opt("`ship-country`.")
    is_business_order: str = _opt("`is-business-order`.")


class FulfilledShipments(_Sourced):
    """Amazon Fulfilled Shipments: one row per shipment item, with the fulfilment centre that shipped it."""

    amazon_order_id: str = _req("`amazon-order-id`.")
    shipment_id: str = _opt("`shipment-id`.")
    shipment_item_id: str = _req("`shipment-item-id`.")
    amazon_order_item_id: str = _opt("`amazon-order-item-id`.")
    shipment_date: pl.Date = _opt("`shipment-date`: the date as printed (the offset's own day).")
    shipped_at: UtcDatetime = _opt("`shipment-date` in UTC.")
    sku: str = _req("`sku`.")
    quantity_shipped: pl.Int64 = _req("`quantity-shipped`: units actually shipped.", ge=0)
    currency: str = _opt("`currency`.")
    ship_country: str = _opt("`ship-country` (empty in the non-restricted report).")
    fulfillment_center_id: str = _req(
        "`fulfillment-center-id`: the FC that shipped the item (its country: `fba_audit.fulfilment_centres`).")
    fulfillment_channel: str = _opt("`fulfillment-channel`.")
    sales_channel: str = _opt("`sales-channel` (Amazon.de, Amazon.co.uk, ...).")


class InboundShipments(_Sourced):
    """Inbound shipments (Fulfillment Inbound API v0 `getShipments`, or the CSV with its field names)."""

    shipment_id: str = _req("`ShipmentId`.")
    shipment_name: str = _opt("`ShipmentName`.")
    shipment_status: str = _opt("`ShipmentStatus`: WORKING, SHIPPED, IN_TRANSIT, RECEIVING, CLOSED, ... (open set).")
    destination_fulfillment_center_id: str = _opt("`DestinationFulfillmentCenterId`.")
    confirmed_need_by_date: pl.Date = _opt("`ConfirmedNeedByDate`.")
    is_partnered: str = _opt("`is_partnered` (your own column): whether an Amazon-partnered carrier took the "
                             "shipment: true/false, yes/no or 1/0.", str_matches=PARTNERED_PATTERN)


class InboundTransport(_Sourced):
    """Inbound shipment transport (API v0 `getTransportDetails` `TransportHeader`, or a CSV with its field names)."""

    shipment_id: str = _req("`ShipmentId`.")
    is_partnered: str = _req("`IsPartnered`: true for an Amazon-partnered carrier.", str_matches=PARTNERED_PATTERN)
    shipment_type: str = _opt("`ShipmentType`: SP (small parcel) or LTL (less than / full truckload).")
    transport_status: str = _opt("`TransportStatus` of the partnered-carrier workflow (WORKING, CONFIRMED, ...).")


class InboundShipmentItems(_Sourced):
    """Inbound shipment items (API v0 `getShipmentItems`, the CSV form, or legacy Received Inventory)."""

    shipment_id: str = _req("`ShipmentId`.")
    sku: str = _opt("`SellerSKU`.")
    fnsku: str = _opt("`FulfillmentNetworkSKU`.")
    quantity_shipped: pl.Int64 = _req("`QuantityShipped`.", ge=0)
    quantity_received: pl.Int64 = _opt("`QuantityReceived`.")
    quantity_in_case: pl.Int64 = _opt("`QuantityInCase`.")
    release_date: pl.Date = _opt("`ReleaseDate`.")


class Products(_Sourced):
    """The seller's own `products.csv`: sourcing cost, true packaged dimensions, referral category."""

    sku: str = _req("`sku`.")
    unit_cost: Money = _opt("`unit_cost`: what one unit cost the seller to make or buy.", ge=0)
    currency: str = _opt("`currency` of `unit_cost`.")
    length: pl.Float64 = _opt("`length` of the packaged item.", gt=0)
    width: pl.Float64 = _opt("`width`.", gt=0)
    height: pl.Float64 = _opt("`height`.", gt=0)
    dimension_unit: str = _opt(
        "`dimension_unit`: in or cm, read from the usual spellings (inch, inches, centimeters, ...); mm are read as "
        "cm (the number's decimal point moved, exactly). An unknown unit leaves the row's dimensions empty, with a "
        "warning."
    )
    weight: pl.Float64 = _opt("`weight` of the packaged item.", gt=0)
    weight_unit: str = _opt(
        "`weight_unit`: lb, oz, g or kg, read from the usual spellings (pound, lbs, ounces, grams, kilograms, ...)."
    )
    referral_category: str = _opt(
        "`referral_category`: the referral fee category the seller knows the item belongs to, as Amazon's fee "
        "schedule names it; `&` for `and`, case, commas and Amazon's former names are read too. An unknown name is "
        "left empty, with a warning naming the closest categories."
    )
    sipp_certified: str = _opt(
        "`sipp_certified` (optional): yes or no when the seller knows whether the item is SIPP-certified (Ships In "
        "Product Packaging); empty when not known.",
        isin=["yes", "no", "Yes", "No", "YES", "NO"],
    )


class SkuEconomics(_Sourced):
    """SKU Economics report: per SKU and period, the FBA fulfillment fee split into its parts (when generated with
    "Fulfillment base rate and surcharges"). Amounts are positive charges, in the row's currency."""

    amazon_store: str = _opt("`Amazon store` (US, CA, ...).")
    start_date: pl.Date = _req("`Start date` (MM/DD/YYYY): first day of the period.")
    end_date: pl.Date = _req("`End date`: last day of the period (inclusive).")
    parent_asin: str = _opt("`Parent ASIN`.")
    asin: str = _opt("`ASIN`.")
    fnsku: str = _opt("`FNSKU` (often empty).")
    sku: str = _req("`MSKU`, the seller SKU.")
    currency: str = _opt("`Currency code`.")
    units_sold: pl.Int64 = _opt("`Units sold`.")
    fulfillment_fees_quantity: pl.Int64 = _opt("`FBA fulfillment fees quantity`: units charged the fee.")
    fulfillment_fees_total: Money = _opt(
        "`FBA fulfillment fees total` = base fee + fuel and logistics surcharge + low-inventory-level fee.")
    base_fee_quantity: pl.Int64 = _opt("`Base fulfillment fee quantity`.")
    base_fee_total: Money = _opt("`Base fulfillment fee total`: the rate-card fee, before the surcharge.")
    fuel_surcharge_quantity: pl.Int64 = _opt("`Fuel and Logistics-related surcharge quantity`.")
    fuel_surcharge_total: Money = _opt("`Fuel and Logistics-related surcharge total` (3.5 % from 2026-04-17).")
    low_inventory_fee_quantity: pl.Int64 = _opt("`Low-inventory-level fee quantity`.")
    low_inventory_fee_total: Money = _opt(
        "`Low-inventory-level fee total` (empty: none charged; the column is left out when no SKU had one).")


DATASET_MODELS: dict[str, type[_Sourced]] = {
    "inventory_ledger": InventoryLedger,
    "customer_returns": CustomerReturns,
    "reimbursements": Reimbursements,
    "fee_preview": FeePreview,
    "transactions": Transactions,
    "settlements": Settlements,
    "orders": Orders,
    "fulfilled_shipments": FulfilledShipments,
    "inbound_shipments": InboundShipments,
    "inbound_shipment_items": InboundShipmentItems,
    "inbound_transport": InboundTransport,
    "products": Products,
    "sku_economics": SkuEconomics,
}


def in_currency(currency: str) -> pl.Expr:
    """Rows in `currency`, or naming none. A report of the SP-API covers a whole region: another marketplace's
    money must never net or value this marketplace's claims."""
    return pl.col("currency").is_null() | (pl.col("currency") == currency)


# Text whose values repeat over millions of rows (file names, codes, settlement ids). A compact load (what an
# audit uses) stores it as polars Categorical, 4 bytes a row instead of the 16 or more of a string.
REPETITIVE_TEXT: dict[str, frozenset[str]] = {
    "inventory_ledger": frozenset({"event_type", "fulfillment_center", "disposition", "reason", "country", "store",
                                   "source_report"}),
    "customer_returns": frozenset({"fulfillment_center_id", "detailed_disposition", "reason", "status"}),
    "transactions": frozenset({"settlement_id", "transaction_type", "marketplace_name", "amount_type",
                               "amount_description", "currency", "fulfillment_id", "source_format"}),
    "orders": frozenset({"order_status", "fulfillment_channel", "sales_channel", "item_status", "currency",
                         "ship_country", "is_business_order"}),
    "fulfilled_shipments": frozenset({"fulfillment_center_id", "fulfillment_channel", "sales_channel", "currency",
                                      "ship_country"}),
}

# The item ids, and refund ids (one per refund, null on every other settlement line). As text each costs a 16-byte
# view a row plus its characters; as Categorical 4 bytes a row, plus about 130 bytes per distinct value in polars'
# global categories. That pays for ids repeated over many rows, not for order, order item or shipment ids (one
# per order: measured, Categorical took more memory than text there). Categorical in every dataset of a compact
# load, so that joins between datasets match without casts.
IDENTIFIERS = frozenset({"sku", "fnsku", "asin", "adjustment_id"})
ID = pl.Categorical()  # the dtype of IDENTIFIERS in a compact load: frames a detector builds use it to join


def keyed_like(frame: pl.DataFrame, other: pl.DataFrame | pl.LazyFrame, keys: list[str]) -> pl.DataFrame:
    """`frame` with its `keys` cast to their dtypes in `other`, so the two join whether the ids are Categorical
    (an audit's compact load) or text (a frame built by hand)."""
    schema = other.collect_schema()
    return frame.with_columns([pl.col(k).cast(schema[k]) for k in keys if frame.schema[k] != schema[k]])


def compact(dataset: str, frame: pl.DataFrame, keep: frozenset[str]) -> pl.DataFrame:
    """`frame` cut to `source_file`, `source_line` and the columns in `keep`, repetitive text and ids as
    Categorical.

    What an audit holds in memory: the columns no detector reads are dropped as soon as a file is validated.
    """
    categorical = categorical_columns(dataset)
    return frame.select([
        pl.col(c).cast(pl.Categorical) if c in categorical and frame.schema[c] == pl.String else pl.col(c)
        for c in frame.columns if c in keep or c in ("source_file", "source_line")
    ])


def categorical_columns(dataset: str) -> frozenset[str]:
    """The text columns a compact load stores as Categorical."""
    return REPETITIVE_TEXT.get(dataset, frozenset()) | IDENTIFIERS | {"source_file"}


def dataset_schema(name: str) -> dict[str, pl.DataType]:
    """The polars schema of a dataset, in model order (used to build empty frames)."""
    model = DATASET_MODELS[name]
    return {col: spec.dtype.type for col, spec in model.to_schema().columns.items()}


def empty_dataset(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=dataset_schema(name))
