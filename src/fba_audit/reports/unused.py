"""Seller Central reports that fba-audit knows but does not read, so that `check` can name them."""

from __future__ import annotations

UNUSED_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Inventory Ledger (summary view)", frozenset({"starting warehouse balance", "ending warehouse balance"})),
    ("Manage FBA Inventory", frozenset({"afn-fulfillable-quantity", "afn-warehouse-quantity"})),
    ("Removal Order Detail", frozenset({"requested-quantity", "removal-fee"})),
    ("Removal Shipment Detail", frozenset({"removal-order-type", "tracking-number", "shipped-quantity"})),
    ("Monthly Storage Fees", frozenset({"estimated_monthly_storage_fee"})),
    ("Inbound Performance (non-compliance)", frozenset({"problem-type", "fba-carton-id"})),
)


def recognise_unused(header: list[str]) -> str | None:
    folded = {h.strip().casefold() for h in header}
    for title, signature in UNUSED_KINDS:
        if signature <= folded:
            return title
    return None
