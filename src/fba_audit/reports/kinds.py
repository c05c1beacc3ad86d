"""Every Seller Central export fba-audit reads, recognised by its header (never by its file name).

Headers, codes and date forms are those Amazon writes: docs/reports.md lists them, docs/report-formats.md says
what the code relies on and where it comes from (the section is cited per kind).
Columns are found by name, never by position: Amazon inserts and appends columns over time, so each column
lists the header spellings seen (older versions, localized Date Range headers) and extra columns are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Value types a column is parsed into (see fba_audit.reports._parse).
STR, INT, MONEY, FLOAT, DATE, TIMESTAMP, LOCAL_TIMESTAMP = (
    "str", "int", "money", "float", "date", "timestamp", "local_timestamp"
)

EXPECTED = {
    INT: "a whole number such as 3 or -1",
    MONEY: "an amount with at most two decimals such as 12.34 or -6.38",
    FLOAT: "a number such as 7.72",
    DATE: "a date",
    TIMESTAMP: "a date and time such as 2026-05-12T09:59:13+00:00",
    LOCAL_TIMESTAMP: "a date and time such as Jan 5, 2026 1:23:45 PM PST",
}


@dataclass(frozen=True)
class Col:
    """One column of a report: the name detectors use, the header spellings Amazon has used, and its type."""

    name: str
    headers: tuple[str, ...]
    type: str = STR
    required: bool = False  # the header must be present for the file to be read as this kind
    formats: tuple[str, ...] = ()  # for DATE columns: chrono formats to try, in order
    date_name: str | None = None  # for timestamps: also write the printed local date into this column


def col(name: str, *headers: str, type: str = STR, required: bool = False,
        formats: tuple[str, ...] = (), date_name: str | None = None) -> Col:
    return Col(name, headers or (name,), type, required, formats, date_name)


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: str
    datasets: tuple[str, ...]
    columns: tuple[Col, ...]
    download: str  # where in Seller Central the seller gets it, and how
    any_of: tuple[str, ...] = ()  # header names of which at least one must be present (besides required ones)
    localized_numbers: bool = False  # EU downloads may write a decimal comma: decided per file from its values
    # Amounts may group thousands ("-1,052.64", "1.234,56"): Date Range files only. Flat files write plain numbers
    # (EU settlement V2 `1234,56`: docs/report-formats.md, "Dates and numbers"), and leaving the grouping out of their
    # parse keeps it fast.
    grouped_thousands: bool = False
    # Amazon writes description lines above the header (Date Range only). Every other kind has its header on the
    # first line that is not blank: a header found further down is a document quoting one, not a report.
    preamble: bool = False
    source: str = ""  # the section of docs/report-formats.md, and the report type
    notes: tuple[str, ...] = field(default=())

    def required_columns(self) -> tuple[Col, ...]:
        return tuple(c for c in self.columns if c.required)


LEDGER_DATE = ("%m/%d/%Y",)
ISO_DATE = ("%Y-%m-%d",)

INVENTORY_LEDGER = ReportKind(
    key="ledger_detail",
    title="Inventory Ledger (detailed view)",
    datasets=("inventory_ledger",),
    source="report-formats.md: Inventory Ledger (GET_LEDGER_DETAIL_VIEW_DATA; 14, 15 and 16 column versions)",
    download="Seller Central > Reports > Fulfillment > Inventory Ledger > Detailed view > "
    "Generate report (.txt or .csv) > Download",
    columns=(
        col("date", "Date", type=DATE, formats=LEDGER_DATE, required=True),
        col("fnsku", "FNSKU", required=True),
        col("asin", "ASIN"),
        col("sku", "MSKU"),
        col("title", "Title"),
        col("event_type", "Event Type", required=True),
        col("reference_id", "Reference ID", required=True),
        col("quantity", "Quantity", type=INT, required=True),
        col("fulfillment_center", "Fulfillment Center"),
        col("disposition", "Disposition", required=True),
        col("reason", "Reason"),
        col("country", "Country"),
        col("reconciled_quantity", "Reconciled Quantity", type=INT),
        col("unreconciled_quantity", "Unreconciled Quantity", type=INT),
        col("date_time", "Date and Time", type=TIMESTAMP),
        col("store", "Store"),
    ),
)

INVENTORY_ADJUSTMENTS = ReportKind(
    key="inventory_adjustments",
    title="Inventory Adjustments (legacy)",
    datasets=("inventory_ledger",),
    source=("report-formats.md: Legacy Inventory Adjustments "
            "(GET_FBA_FULFILLMENT_INVENTORY_ADJUSTMENTS_DATA; 9 and 11 column versions)"),
    download="Discontinued in Seller Central on 2023-01-31; use the Inventory Ledger (detailed view) instead",
    columns=(
        col("date_time", "adjusted-date", type=TIMESTAMP, date_name="date", required=True),
        col("reference_id", "transaction-item-id", required=True),
        col("fnsku", "fnsku", required=True),
        col("sku", "sku"),
        col("title", "product-name"),
        col("fulfillment_center", "fulfillment-center-id"),
        col("quantity", "quantity", type=INT, required=True),
        col("reason", "reason", required=True),
        col("disposition", "disposition"),
        col("reconciled_quantity", "reconciled", type=INT),
        col("unreconciled_quantity", "unreconciled", type=INT),
    ),
)

RECEIVED_INVENTORY = ReportKind(
    key="received_inventory",
    title="Received Inventory (legacy)",
    datasets=("inventory_ledger",),
    source="report-formats.md: Inbound shipments (GET_FBA_FULFILLMENT_INVENTORY_RECEIPTS_DATA)",
    download="Discontinued in Seller Central on 2023-01-31; use the Inventory Ledger (detailed view, "
    "event type Receipts) instead",
    columns=(
        col("date_time", "received-date", type=TIMESTAMP, date_name="date", required=True),
        col("fnsku", "fnsku", required=True),
        col("sku", "sku"),
        col("title", "product-name"),
        col("quantity", "quantity", type=INT, required=True),
        col("reference_id", "fba-shipment-id", required=True),
        col("fulfillment_center", "fulfillment-center-id"),
    ),
)

CUSTOMER_RETURNS = ReportKind(
    key="customer_returns",
    title="FBA customer returns",
    datasets=("customer_returns",),
    source="report-formats.md: FBA customer returns (GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA)",
    download="Seller Central > Reports > Fulfillment > Customer Concessions > FBA customer returns > "
    "Request .txt download",
    columns=(
        col("returned_at", "return-date", type=TIMESTAMP, date_name="return_date", required=True),
        col("order_id", "order-id", "amazon-order-id", required=True),
        col("sku", "sku"),
        col("asin", "asin"),
        col("fnsku", "fnsku"),
        col("product_name", "product-name"),
        col("quantity", "quantity", type=INT, required=True),
        col("fulfillment_center_id", "fulfillment-center-id"),
        col("detailed_disposition", "detailed-disposition", required=True),
        col("reason", "reason"),
        col("status", "status"),
        col("license_plate_number", "license-plate-number"),
        col("customer_comments", "customer-comments"),
    ),
)

REIMBURSEMENTS = ReportKind(
    key="reimbursements",
    title="Reimbursements",
    datasets=("reimbursements",),
    source="report-formats.md: Reimbursements (GET_FBA_REIMBURSEMENTS_DATA)",
    download="Seller Central > Reports > Fulfillment > Payments > Reimbursements > Request .txt download",
    columns=(
        col("approved_at", "approval-date", type=TIMESTAMP, date_name="approval_date", required=True),
        col("reimbursement_id", "reimbursement-id", required=True),
        col("case_id", "case-id"),
        col("amazon_order_id", "amazon-order-id"),
        col("reason", "reason", required=True),
        col("sku", "sku"),
        col("fnsku", "fnsku"),
        col("asin", "asin"),
        col("product_name", "product-name"),
        col("condition", "condition"),
        col("currency", "currency-unit"),
        col("amount_per_unit", "amount-per-unit", type=MONEY),
        col("amount_total", "amount-total", type=MONEY, required=True),
        col("quantity_reimbursed_cash", "quantity-reimbursed-cash", type=INT),
        col("quantity_reimbursed_inventory", "quantity-reimbursed-inventory", type=INT),
        col("quantity_reimbursed_total", "quantity-reimbursed-total", type=INT, required=True),
        col("original_reimbursement_id", "original-reimbursement-id"),
        col("original_reimbursement_type", "original-reimbursement-type"),
    ),
)

FEE_PREVIEW = ReportKind(
    key="fee_preview",
    title="Fee Preview",
    datasets=("fee_preview",),
    source=("report-formats.md: Fee Preview "
            "(GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA; US 2026 with amazon-store, older US, UK/EU)"),
    download="Seller Central > Reports > Fulfillment > Payments > Fee Preview > Request .txt download",
    any_of=("product-size-tier", "product-size-weight-band"),
    columns=(
        col("sku", "sku", required=True),
        col("fnsku", "fnsku"),
        col("asin", "asin", required=True),
        col("amazon_store", "amazon-store"),
        col("product_name", "product-name"),
        col("product_group", "product-group"),
        col("brand", "brand"),
        col("fulfilled_by", "fulfilled-by"),
        col("your_price", "your-price", type=MONEY),
        col("sales_price", "sales-price", type=MONEY),
        col("longest_side", "longest-side", type=FLOAT),
        col("median_side", "median-side", type=FLOAT),
        col("shortest_side", "shortest-side", type=FLOAT),
        col("length_and_girth", "length-and-girth", type=FLOAT),
        col("unit_of_dimension", "unit-of-dimension"),
        col("item_package_weight", "item-package-weight", type=FLOAT),
        col("unit_of_weight", "unit-of-weight"),
        col("product_size_tier", "product-size-tier", "product-size-weight-band"),
        col("currency", "currency"),
        col("estimated_fee_total", "estimated-fee-total", type=MONEY),
        col("estimated_referral_fee_per_unit", "estimated-referral-fee-per-unit", type=MONEY),
        col("estimated_variable_closing_fee", "estimated-variable-closing-fee", type=MONEY),
        col("expected_fulfillment_fee_per_unit", "expected-fulfillment-fee-per-unit",
            "expected-domestic-fulfilment-fee-per-unit", type=MONEY),
    ),
)

_SETTLEMENT_COMMON = (
    col("settlement_id", "settlement-id", required=True),
    col("start_at", "settlement-start-date", type=TIMESTAMP, required=True),
    col("end_at", "settlement-end-date", type=TIMESTAMP),
    col("deposit_at", "deposit-date", type=TIMESTAMP),
    col("total_amount", "total-amount", type=MONEY, required=True),
    col("currency", "currency"),
    col("transaction_type", "transaction-type", required=True),
    col("order_id", "order-id"),
    col("merchant_order_id", "merchant-order-id"),
    col("adjustment_id", "adjustment-id"),
    col("shipment_id", "shipment-id"),
    col("marketplace_name", "marketplace-name"),
    col("fulfillment_id", "fulfillment-id"),
    col("order_item_code", "order-item-code"),
    col("sku", "sku"),
    col("quantity_purchased", "quantity-purchased", type=INT),
)

SETTLEMENT_V2 = ReportKind(
    key="settlement_v2",
    localized_numbers=True,
    title="Settlement flat file V2",
    datasets=("transactions", "settlements"),
    source="report-formats.md: Settlement and transaction lines (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2)",
    download="Seller Central > Reports > Payments > All Statements > Download Flat File V2",
    columns=_SETTLEMENT_COMMON + (
        col("amount_type", "amount-type", required=True),
        col("amount_description", "amount-description", required=True),
        col("amount", "amount", type=MONEY, required=True),
        col("posted_date", "posted-date", type=DATE, formats=("%Y-%m-%d", "%d.%m.%Y")),
        col("posted_at", "posted-date-time", type=TIMESTAMP),
        col("promotion_id", "promotion-id"),
    ),
)

V1_AMOUNT_COLUMNS = (
    # (amount column, the column naming what the amount is, V2 amount-type it corresponds to)
    ("price_amount", "price_type", "ItemPrice"),
    ("item_related_fee_amount", "item_related_fee_type", "ItemFees"),
    ("promotion_amount", "promotion_type", "Promotion"),
    ("shipment_fee_amount", "shipment_fee_type", "ShipmentFees"),
    ("order_fee_amount", "order_fee_type", "OrderFees"),
    ("misc_fee_amount", None, "ItemFees"),
    ("other_fee_amount", "other_fee_reason_description", "OtherFees"),
    ("direct_payment_amount", "direct_payment_type", "DirectPayment"),
    ("other_amount", None, "other-transaction"),
)

SETTLEMENT_V1 = ReportKind(
    key="settlement_v1",
    title="Settlement flat file (V1)",
    datasets=("transactions", "settlements"),
    source=("report-formats.md: Settlement and transaction lines "
            "(GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE; genuine Amazon.ca files)"),
    download="Seller Central > Reports > Payments > All Statements > Download Flat File",
    columns=_SETTLEMENT_COMMON + (
        col("posted_at", "posted-date", type=TIMESTAMP, date_name="posted_date"),
        col("price_type", "price-type", required=True),
        col("price_amount", "price-amount", type=MONEY, required=True),
        col("item_related_fee_type", "item-related-fee-type", required=True),
        col("item_related_fee_amount", "item-related-fee-amount", type=MONEY, required=True),
        col("shipment_fee_type", "shipment-fee-type"),
        col("shipment_fee_amount", "shipment-fee-amount", type=MONEY),
        col("order_fee_type", "order-fee-type"),
        col("order_fee_amount", "order-fee-amount", type=MONEY),
        col("misc_fee_amount", "misc-fee-amount", type=MONEY),
        col("other_fee_amount", "other-fee-amount", type=MONEY),
        col("other_fee_reason_description", "other-fee-reason-description"),
        col("promotion_id", "promotion-id"),
        col("promotion_type", "promotion-type"),
        col("promotion_amount", "promotion-amount", type=MONEY),
        col("direct_payment_type", "direct-payment-type"),
        col("direct_payment_amount", "direct-payment-amount", type=MONEY),
        col("other_amount", "other-amount", type=MONEY),
    ),
)

# Date Range transaction report: English (US, CA, UK) and localized headers (from three independent public parsers
# that agree on DE/FR/JP: docs/report-formats.md, "Date Range transaction files"). Headers are matched
# case-insensitively.
DATE_RANGE_AMOUNTS = (
    # (column, V2-style amount-type, amount-description)
    ("product_sales", "ItemPrice", "ProductSales"),
    ("product_sales_tax", "ItemPrice", "ProductSalesTax"),
    ("shipping_credits", "ItemPrice", "ShippingCredits"),
    ("shipping_credits_tax", "ItemPrice", "ShippingCreditsTax"),
    ("gift_wrap_credits", "ItemPrice", "GiftWrapCredits"),
    ("giftwrap_credits_tax", "ItemPrice", "GiftWrapCreditsTax"),
    ("regulatory_fee", "ItemPrice", "RegulatoryFee"),
    ("tax_on_regulatory_fee", "ItemPrice", "TaxOnRegulatoryFee"),
    ("promotional_rebates", "Promotion", "PromotionalRebates"),
    ("promotional_rebates_tax", "Promotion", "PromotionalRebatesTax"),
    ("sales_tax_collected", "ItemPrice", "SalesTaxCollected"),
    ("marketplace_facilitator_tax", "ItemWithheldTax", "MarketplaceFacilitatorTax"),
    ("marketplace_withheld_tax", "ItemWithheldTax", "MarketplaceWithheldTax"),
    ("selling_fees", "ItemFees", "SellingFees"),
    ("fba_fees", "ItemFees", "FBAFees"),
    ("other_transaction_fees", "ItemFees", "OtherTransactionFees"),
    ("amazon_points", "ItemPrice", "AmazonPointsCost"),
    ("other", "other-transaction", "Other"),
)

DATE_RANGE = ReportKind(
    key="date_range",
    localized_numbers=True,
    grouped_thousands=True,
    preamble=True,
    title="Date Range transaction report",
    datasets=("transactions",),
    source=("report-formats.md: Date Range transaction files "
            "(GET_DATE_RANGE_FINANCIAL_TRANSACTION_DATA; US, CA, UK and localized)"),
    download="Seller Central > Reports > Payments > Date Range Reports > Generate Report (Transaction) > Download",
    columns=(
        col("posted_at", "date/time", "Datum/Uhrzeit", "date/heure", "Data/Ora:", "Data/Ora", "fecha y hora",
            "日付/時間", "fecha/hora", type=LOCAL_TIMESTAMP, date_name="posted_date", required=True),
        col("settlement_id", "settlement id", "Abrechnungsnummer", "numéro de versement", "Numero pagamento",
            "identificador de pago", "決済番号", "Id. de liquidación", required=True),
        col("transaction_type", "type", "Typ", "Tipo", "トランザクションの種類", required=True),
        col("order_id", "order id", "Bestellnummer", "numéro de la commande", "Numero ordine", "número de pedido",
            "注文番号", "Id. del pedido", required=True),
        col("sku", "sku"),
        col("description", "description", "Beschreibung", "Descrizione", "descripción", "説明"),
        col("quantity_purchased", "quantity", "Menge", "quantité", "Quantità", "cantidad", "数量", type=INT),
        col("marketplace_name", "marketplace", "web de Amazon", "Amazon 出品サービス"),
        col("fulfillment_id", "fulfillment", "fulfilment", "Versand", "traitement", "Gestione",
            "gestión logística", "フルフィルメント", "cumplimiento"),
        col("product_sales", "product sales", "Umsätze", "ventes de produits", "Vendite", "ventas de productos",
            "商品売上", type=MONEY),
        col("product_sales_tax", "product sales tax", "Produktumsatzsteuer", "Taxes sur la vente des produits",
            "imposta sulle vendite dei prodotti", "商品の売上税", "impuesto de ventas de productos", type=MONEY),
        col("shipping_credits", "shipping credits", "postage credits", "Gutschrift für Versandkosten",
            "crédits d'expédition", "Accrediti per le spedizioni", "abonos de envío", "配送料",
            "créditos de envío", type=MONEY),
        col("shipping_credits_tax", "shipping credits tax", "postage credits tax", "Steuer auf Versandgutschrift",
            "taxe sur les crédits d’expédition", "imposta accrediti per le spedizioni",
            "impuestos por abonos de envío", "配送料の税金", "impuesto de abono de envío", type=MONEY),
        col("gift_wrap_credits", "gift wrap credits", "Gutschrift für Geschenkverpackung",
            "crédits sur l'emballage cadeau", "Accrediti per confezioni regalo", "abonos de envoltorio para regalo",
            "ギフト包装手数料", "créditos por envoltorio de regalo", type=MONEY),
        col("giftwrap_credits_tax", "giftwrap credits tax", "gift wrap credits tax",
            "Steuer auf Geschenkverpackungsgutschriften", "Taxes sur les crédits cadeaux",
            "imposta sui crediti confezione regalo", "ギフト包装クレジットの税金", "impuesto de créditos de envoltura",
            type=MONEY),
        col("regulatory_fee", "Regulatory Fee", type=MONEY),
        col("tax_on_regulatory_fee", "Tax On Regulatory Fee", type=MONEY),
        col("promotional_rebates", "promotional rebates", "Rabatte aus Werbeaktionen", "Rabais promotionnels",
            "Sconti promozionali", "devoluciones promocionales", "プロモーション割引額", "descuentos promocionales",
            type=MONEY),
        col("promotional_rebates_tax", "promotional rebates tax", "Steuer auf Aktionsrabatte",
            "Taxes sur les remises promotionnelles", "imposta sugli sconti promozionali",
            "impuestos de descuentos por promociones", "プロモーション割引の税金",
            "impuesto de reembolsos promocionales", type=MONEY),
        col("sales_tax_collected", "sales tax collected", type=MONEY),
        col("marketplace_facilitator_tax", "Marketplace Facilitator Tax", type=MONEY),
        col("marketplace_withheld_tax", "marketplace withheld tax", "Einbehaltene Steuer auf Marketplace",
            "Taxes retenues sur le site de vente", "trattenuta IVA del marketplace",
            "impuesto retenido en el sitio web", "源泉徴収税を伴うマーケットプレイス",
            "impuesto de retenciones en la plataforma", type=MONEY),
        col("selling_fees", "selling fees", "Verkaufsgebühren", "frais de vente", "Commissioni di vendita",
            "tarifas de venta", "手数料", type=MONEY),
        col("fba_fees", "fba fees", "Gebühren zu Versand durch Amazon", "Frais Expédié par Amazon",
            "Costi del servizio Logistica di Amazon", "tarifas de Logística de Amazon", "FBA 手数料", "tarifas fba",
            type=MONEY),
        col("other_transaction_fees", "other transaction fees", "Andere Transaktionsgebühren",
            "autres frais de transaction", "Altri costi relativi alle transazioni", "tarifas de otras transacciones",
            "トランザクションに関するその他の手数料", "tarifas de otra transacción", type=MONEY),
        col("amazon_points", "Amazonポイントの費用", type=MONEY),  # JP only (docs/report-formats.md)
        col("other", "other", "Andere", "autre", "Altro", "otro", "その他", type=MONEY),
        col("total", "total", "Gesamt", "totale", "合計", type=MONEY, required=True),
    ),
)

# Header: the 48 columns of GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL (docs/report-formats.md, "Amazon Fulfilled
# Shipments"). Read for `fulfillment-center-id`: the FC that shipped the order item tells which fee column applies
# outside North America (fba_audit.fulfilment_centres). PII columns are left unread.
AMAZON_FULFILLED_SHIPMENTS = ReportKind(
    key="amazon_fulfilled_shipments",
    title="Amazon Fulfilled Shipments",
    datasets=("fulfilled_shipments",),
    source="report-formats.md: Amazon Fulfilled Shipments (GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL)",
    download="Seller Central > Reports > Fulfillment > Sales > Amazon Fulfilled Shipments > Request .txt download",
    columns=(
        col("amazon_order_id", "amazon-order-id", required=True),
        col("shipment_id", "shipment-id"),
        col("shipment_item_id", "shipment-item-id", required=True),
        col("amazon_order_item_id", "amazon-order-item-id"),
        col("shipped_at", "shipment-date", type=TIMESTAMP, date_name="shipment_date"),
        col("sku", "sku", required=True),
        col("quantity_shipped", "quantity-shipped", type=INT, required=True),
        col("currency", "currency"),
        col("ship_country", "ship-country"),
        col("fulfillment_center_id", "fulfillment-center-id", required=True),
        col("fulfillment_channel", "fulfillment-channel"),
        col("sales_channel", "sales-channel"),
    ),
)

ALL_ORDERS = ReportKind(
    key="all_orders",
    title="All Orders",
    datasets=("orders",),
    source="report-formats.md: All Orders (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL)",
    download="Seller Central > Reports > Fulfillment > Sales > All Orders > Request .txt download",
    columns=(
        col("amazon_order_id", "amazon-order-id", required=True),
        col("merchant_order_id", "merchant-order-id"),
        col("purchased_at", "purchase-date", type=TIMESTAMP, date_name="purchase_date", required=True),
        col("last_updated_at", "last-updated-date", type=TIMESTAMP),
        col("order_status", "order-status", required=True),
        col("fulfillment_channel", "fulfillment-channel", required=True),
        col("sales_channel", "sales-channel"),
        col("sku", "sku"),
        col("asin", "asin"),
        col("item_status", "item-status"),
        col("quantity", "quantity", type=INT),
        col("currency", "currency"),
        col("item_price", "item-price", type=MONEY),
        col("item_tax", "item-tax", type=MONEY),
        col("shipping_price", "shipping-price", type=MONEY),
        col("shipping_tax", "shipping-tax", type=MONEY),
        col("gift_wrap_price", "gift-wrap-price", type=MONEY),
        col("gift_wrap_tax", "gift-wrap-tax", type=MONEY),
        col("item_promotion_discount", "item-promotion-discount", type=MONEY),
        col("ship_promotion_discount", "ship-promotion-discount", type=MONEY),
        col("product_name", "product-name"),
        col("ship_country", "ship-country"),
        col("is_business_order", "is-business-order"),
    ),
)

_SHIPMENT_COLUMNS = (
    col("shipment_id", "ShipmentId", required=True),
    col("shipment_name", "ShipmentName"),
    col("shipment_status", "ShipmentStatus"),
    col("destination_fulfillment_center_id", "DestinationFulfillmentCenterId"),
    col("confirmed_need_by_date", "ConfirmedNeedByDate", type=DATE, formats=ISO_DATE),
    # Not an InboundShipmentInfo field: your own column, saying whether an Amazon-partnered carrier took the
    # shipment (FBA04 claims carrier damage from Amazon only then). true/false, yes/no or 1/0.
    col("is_partnered", "is_partnered", "IsPartnered"),
)

INBOUND_SHIPMENT_ITEMS = ReportKind(
    key="inbound_shipment_items",
    title="Inbound shipment items (Fulfillment Inbound API v0 fields)",
    datasets=("inbound_shipment_items", "inbound_shipments"),
    source="report-formats.md: Inbound shipments (fulfillmentInboundV0 getShipmentItems / InboundShipmentItem)",
    download="Save the Fulfillment Inbound API v0 getShipmentItems response as JSON, or export a CSV with the "
    "fields ShipmentId, ShipmentName, ShipmentStatus, DestinationFulfillmentCenterId, SellerSKU, "
    "FulfillmentNetworkSKU, QuantityShipped, QuantityReceived, QuantityInCase",
    columns=_SHIPMENT_COLUMNS + (
        col("sku", "SellerSKU"),
        col("fnsku", "FulfillmentNetworkSKU", required=True),
        col("quantity_shipped", "QuantityShipped", type=INT, required=True),
        col("quantity_received", "QuantityReceived", type=INT),
        col("quantity_in_case", "QuantityInCase", type=INT),
        col("release_date", "ReleaseDate", type=DATE, formats=ISO_DATE),
    ),
)

INBOUND_SHIPMENTS = ReportKind(
    key="inbound_shipments",
    title="Inbound shipments (Fulfillment Inbound API v0 fields)",
    datasets=("inbound_shipments",),
    source="report-formats.md: Inbound shipments (fulfillmentInboundV0 getShipments / InboundShipmentInfo)",
    download="Save the Fulfillment Inbound API v0 getShipments response as JSON, or export a CSV with the "
    "fields ShipmentId, ShipmentName, ShipmentStatus, DestinationFulfillmentCenterId (and, if you like, your own "
    "is_partnered column: true when an Amazon-partnered carrier took the shipment)",
    columns=tuple(c if c.name != "shipment_status" else col("shipment_status", "ShipmentStatus", required=True)
                  for c in _SHIPMENT_COLUMNS),
)

# Fulfillment Inbound API v0 getTransportDetails (GET /fba/inbound/v0/shipments/{shipmentId}/transport), saved as
# JSON: {"payload": {"TransportContent": {"TransportHeader": {"SellerId", "ShipmentId", "IsPartnered" (boolean),
# "ShipmentType" ("SP" small parcel, "LTL" less than / full truckload)}, "TransportDetails": {...},
# "TransportResult": {"TransportStatus", ...}}}}. Source: amzn/selling-partner-api-models,
# models/fulfillment-inbound-api-model/fulfillmentInboundV0.json (definitions GetTransportDetailsResponse,
# TransportContent, TransportHeader, ShipmentType, TransportResult; the operation's sandbox response), as it was
# before commit b69f57b of 2025-01-21 removed the v0 transport operations. A CSV with these field names is read too.
INBOUND_TRANSPORT = ReportKind(
    key="inbound_transport",
    title="Inbound shipment transport (Fulfillment Inbound API v0 getTransportDetails)",
    datasets=("inbound_transport",),
    source="amzn/selling-partner-api-models fulfillmentInboundV0.json (before b69f57b, 2025-01-21): "
    "getTransportDetails, TransportHeader; docs/coverage.md",
    download="Save the Fulfillment Inbound API v0 getTransportDetails response of each shipment as JSON beside the "
    "shipment files, or write a CSV with the fields ShipmentId, IsPartnered (true/false), ShipmentType",
    columns=(
        col("shipment_id", "ShipmentId", required=True),
        col("is_partnered", "IsPartnered", required=True),
        col("shipment_type", "ShipmentType"),
        col("transport_status", "TransportStatus"),
    ),
)

PRODUCTS = ReportKind(
    key="products",
    title="Your products file (products.csv)",
    datasets=("products",),
    source="fba-audit's own format: sku,unit_cost,currency,length,width,height,dimension_unit,weight,"
    "weight_unit,referral_category",
    download="Write products.csv yourself: header sku,unit_cost,currency,length,width,height,dimension_unit,"
    "weight,weight_unit,referral_category (every column but sku may be empty)",
    any_of=("unit_cost", "length", "weight", "referral_category", "dimension_unit", "weight_unit"),
    columns=(
        col("sku", "sku", required=True),
        col("unit_cost", "unit_cost", type=MONEY),
        col("currency", "currency"),
        col("length", "length", type=FLOAT),
        col("width", "width", type=FLOAT),
        col("height", "height", type=FLOAT),
        col("dimension_unit", "dimension_unit"),
        col("weight", "weight", type=FLOAT),
        col("weight_unit", "weight_unit"),
        col("referral_category", "referral_category"),
        # Optional (issue 23): whether the item is SIPP-certified (yes / no), for the sellers who know. It decides
        # whether the 2026 bulky packaging fee may be in a bulky item's fulfillment fee.
        col("sipp_certified", "sipp_certified"),
    ),
)

# SKU Economics: per SKU and period (week or month), each fee as per unit / quantity / total. Only the fulfillment
# fee columns are read: generated with "Fulfillment base rate and surcharges", the file splits the charged FBA
# fulfillment fee into base fee + fuel and logistics surcharge + low-inventory-level fee, which no settlement or
# transaction line does. Amazon drops columns no SKU has a value in (66 to 78 columns across four real months),
# so only the identity columns are required. Per-unit columns are averages with up to six decimals: the totals
# (cents) and quantities are read, never the averages.
SKU_ECONOMICS = ReportKind(
    key="sku_economics",
    title="SKU Economics",
    datasets=("sku_economics",),
    source="new_fees.md §1 (real US export of July 2026, 78 columns; Seller Central help GZ8Y22NL2FSRY8M5 and "
    "GNG95QWKFKSAMYJV)",
    download="Seller Central > Reports > Payments > SKU Economics (sellercentral.amazon.com/sereport) > choose the "
    "period, Fee data: Fulfillment base rate and surcharges > Generate report > Download CSV",
    any_of=("FBA fulfillment fees total", "Base fulfillment fee total"),
    columns=(
        col("amazon_store", "Amazon store"),
        col("start_date", "Start date", type=DATE, formats=LEDGER_DATE, required=True),
        col("end_date", "End date", type=DATE, formats=LEDGER_DATE, required=True),
        col("parent_asin", "Parent ASIN"),
        col("asin", "ASIN"),
        col("fnsku", "FNSKU"),
        col("sku", "MSKU", required=True),
        col("currency", "Currency code"),
        col("units_sold", "Units sold", type=INT),
        col("fulfillment_fees_quantity", "FBA fulfillment fees quantity", type=INT),
        col("fulfillment_fees_total", "FBA fulfillment fees total", type=MONEY),
        col("base_fee_quantity", "Base fulfillment fee quantity", type=INT),
        col("base_fee_total", "Base fulfillment fee total", type=MONEY),
        col("fuel_surcharge_quantity", "Fuel and Logistics-related surcharge quantity", type=INT),
        col("fuel_surcharge_total", "Fuel and Logistics-related surcharge total", type=MONEY),
        col("low_inventory_fee_quantity", "Low-inventory-level fee quantity", type=INT),
        col("low_inventory_fee_total", "Low-inventory-level fee total", type=MONEY),
    ),
)

# Most specific first: the first kind whose required headers are all present wins.
REPORT_KINDS: tuple[ReportKind, ...] = (
    SETTLEMENT_V2,
    SETTLEMENT_V1,
    DATE_RANGE,
    INVENTORY_LEDGER,
    INVENTORY_ADJUSTMENTS,
    RECEIVED_INVENTORY,
    CUSTOMER_RETURNS,
    REIMBURSEMENTS,
    FEE_PREVIEW,
    AMAZON_FULFILLED_SHIPMENTS,
    ALL_ORDERS,
    INBOUND_SHIPMENT_ITEMS,
    INBOUND_SHIPMENTS,
    INBOUND_TRANSPORT,
    SKU_ECONOMICS,
    PRODUCTS,
)
KINDS_BY_KEY = {k.key: k for k in REPORT_KINDS}

# Which report to download to get a dataset (the first kind feeding it is the one Seller Central offers now).
DATASET_DOWNLOADS: dict[str, str] = {}
for _kind in REPORT_KINDS:
    for _dataset in _kind.datasets:
        if "Discontinued" not in _kind.download:
            DATASET_DOWNLOADS.setdefault(_dataset, f"{_kind.title}: {_kind.download}")


def _fold(header: str) -> str:
    return header.strip().lstrip("\ufeff").strip().strip('"').casefold()


def match_columns(kind: ReportKind, header: list[str]) -> dict[str, int] | None:
    """Map each of the kind's columns found in `header` to its position; None when the file is not this kind."""
    folded = [_fold(h) for h in header]
    found: dict[str, int] = {}
    for column in kind.columns:
        for spelling in column.headers:
            key = _fold(spelling)
            if key in folded:
                found[column.name] = folded.index(key)
                break
    if any(c.name not in found for c in kind.required_columns()):
        return None
    if kind.any_of and not any(_fold(h) in folded for h in kind.any_of):
        return None
    return found


def recognise(header: list[str]) -> tuple[ReportKind, dict[str, int]] | None:
    for kind in REPORT_KINDS:
        found = match_columns(kind, header)
        if found is not None:
            return kind, found
    return None
