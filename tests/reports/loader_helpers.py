"""Helpers for the loader tests (imported by name: tests/ is not a package)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fba_audit.reports import LoadResult

FIXTURES = Path(__file__).parents[1] / "fixtures" / "reports"

# The hint every row-level problem ends with: where Seller Central offers the report again (kinds.py `download`).
WHERE = {
    "ledger_detail": ("Inventory Ledger (detailed view)", "Seller Central > Reports > Fulfillment > Inventory Ledger "
                      "> Detailed view > Generate report (.txt or .csv) > Download"),
    "inventory_adjustments": ("Inventory Adjustments (legacy)", "Discontinued in Seller Central on 2023-01-31; use "
                              "the Inventory Ledger (detailed view) instead"),
    "received_inventory": ("Received Inventory (legacy)", "Discontinued in Seller Central on 2023-01-31; use the "
                           "Inventory Ledger (detailed view, event type Receipts) instead"),
    "customer_returns": ("FBA customer returns", "Seller Central > Reports > Fulfillment > Customer Concessions > "
                         "FBA customer returns > Request .txt download"),
    "reimbursements": ("Reimbursements", "Seller Central > Reports > Fulfillment > Payments > Reimbursements > "
                       "Request .txt download"),
    "fee_preview": ("Fee Preview", "Seller Central > Reports > Fulfillment > Payments > Fee Preview > Request .txt "
                    "download"),
    "settlement_v2": ("Settlement flat file V2", "Seller Central > Reports > Payments > All Statements > Download "
                      "Flat File V2"),
    "date_range": ("Date Range transaction report", "Seller Central > Reports > Payments > Date Range Reports > "
                   "Generate Report (Transaction) > Download"),
    "all_orders": ("All Orders", "Seller Central > Reports > Fulfillment > Sales > All Orders > Request .txt "
                   "download"),
    "inbound_shipment_items": ("Inbound shipment items (Fulfillment Inbound API v0 fields)", "Save the Fulfillment "
                               "Inbound API v0 getShipmentItems response as JSON, or export a CSV with the fields "
                               "ShipmentId, ShipmentName, ShipmentStatus, DestinationFulfillmentCenterId, "
                               "SellerSKU, FulfillmentNetworkSKU, QuantityShipped, QuantityReceived, "
                               "QuantityInCase"),
    "inbound_shipments": ("Inbound shipments (Fulfillment Inbound API v0 fields)", "Save the Fulfillment Inbound API "
                          "v0 getShipments response as JSON, or export a CSV with the fields ShipmentId, ShipmentName, "
                          "ShipmentStatus, DestinationFulfillmentCenterId (and, if you like, your own is_partnered "
                          "column: true when an Amazon-partnered carrier took the shipment)"),
    "products": ("Your products file (products.csv)", "Write products.csv yourself: header sku,unit_cost,currency,"
                 "length,width,height,dimension_unit,weight,weight_unit,referral_category (every column but sku "
                 "may be empty)"),
    "sku_economics": ("SKU Economics", "Seller Central > Reports > Payments > SKU Economics "
                      "(sellercentral.amazon.com/sereport) > choose the period, Fee data: Fulfillment base rate and "
                      "surcharges > Generate report > Download CSV"),
}


def redownload(kind: str) -> str:
    if kind == "products":
        return "Correct the value in your products.csv."
    title, where = WHERE[kind]
    return f"Check the file, or download the {title} again ({where})."


def copy_into(folder: Path, *names: str | tuple[str, str]) -> list[Path]:
    """Copy fixtures (paths relative to FIXTURES, or (path, new name) pairs) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in names:
        source, target_name = name if isinstance(name, tuple) else (name, Path(name).name)
        target = folder / target_name
        assert not target.exists(), f"two fixtures named {target.name}"
        shutil.copyfile(FIXTURES / source, target)
        copied.append(target)
    return copied


def accounting(result: LoadResult) -> dict[str, tuple[int, int, int, int]]:
    """file -> (rows_read, rows_kept, duplicates, rows_rejected), checking the invariant on the way."""
    out = {}
    for f in result.files:
        assert f.rows_read == f.rows_kept + f.duplicates + f.rows_rejected, f
        out[f.file] = (f.rows_read, f.rows_kept, f.duplicates, f.rows_rejected)
    return out
