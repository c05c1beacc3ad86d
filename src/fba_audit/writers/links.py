"""Addresses of the Seller Central and Amazon pages behind an id, for the workbook's hyperlinks.

A hyperlink in a workbook staff click on must never lead where a report's text says: an address is only ever built
here, from a fixed host per marketplace and a fixed path, and only around an id that has exactly the form Amazon gives
that kind of id. Anything else (a blank, an id of another form, text that merely contains an id) gets no link.

Hosts and paths, and where they are written down:
- Seller Central host per marketplace: Amazon's SP-API page "Seller Central URLs"
  (developer-docs.amazon.com/sp-api/docs/seller-central-urls) and its copy in the Apideck Seller Central connector
  guide (developers.apideck.com/connectors/amazon-seller-central/docs/consumer+connection): sellercentral.amazon.com,
  .ca, .com.mx, .com.br, .co.uk, .de, .fr, .it, .es, .nl, .com.be, .ie, .se, .pl, .com.tr, .co.jp, .in, .com.au, .sg,
  .ae, .sa. The European stores also answer on sellercentral-europe.amazon.com; each store's own host is used so that
  a link opens the store the claim belongs to.
- Order details: `/orders-v3/order/<order id>` (the address Seller Central's Manage Orders page opens; the same form
  is built by many public seller tools, e.g. order links `https://sellercentral.amazon.com/orders-v3/order/${id}`).
- Case Log: `/cu/case-lobby` (Seller Central's "Case Log" under Help; the address Amazon's own SP-API docs link
  to for opening a case: `https://sellercentral.amazon.com/cu/case-lobby`).
- Inbound shipment: `/fba/inbound-shipment/summary/<shipment id>/contents` (the Shipping Queue's shipment summary,
  Contents tab).
- Product page: `https://www.amazon.<domain>/dp/<ASIN>` on the marketplace's own retail site.
- Id forms: an Amazon order id is 3-7-7 digits (SP-API Orders model: "An Amazon-defined order identifier, in 3-7-7
  format"); an ASIN is 10 capitals and digits; an FBA shipment id is `FBA` and 8 to 10 capitals and digits
  (e.g. FBA15GBW843C).
"""

from __future__ import annotations

import re

# Marketplace code (fba_audit.context.MARKETPLACE_CURRENCY) -> the domain both Seller Central and the store use.
DOMAINS: dict[str, str] = {
    "US": "com", "CA": "ca", "MX": "com.mx", "BR": "com.br",
    "UK": "co.uk", "DE": "de", "FR": "fr", "IT": "it", "ES": "es", "NL": "nl", "BE": "com.be", "IE": "ie",
    "SE": "se", "PL": "pl", "TR": "com.tr",
    "JP": "co.jp", "IN": "in", "AU": "com.au", "SG": "sg", "AE": "ae", "SA": "sa",
}

ORDER_ID = re.compile(r"\d{3}-\d{7}-\d{7}", re.ASCII)  # \d alone would take any script's digits
ASIN = re.compile(r"[A-Z0-9]{10}")
SHIPMENT_ID = re.compile(r"FBA[A-Z0-9]{8,10}")


def seller_central(marketplace: str | None) -> str | None:
    domain = DOMAINS.get(marketplace or "")
    return f"https://sellercentral.amazon.{domain}" if domain else None


def order_url(order_id: object, marketplace: str | None) -> str | None:
    """The order's details page in Seller Central; None unless `order_id` is a 3-7-7 order id."""
    host = seller_central(marketplace)
    if host and isinstance(order_id, str) and ORDER_ID.fullmatch(order_id):
        return f"{host}/orders-v3/order/{order_id}"
    return None


def shipment_url(shipment_id: object, marketplace: str | None) -> str | None:
    """The inbound shipment's contents in Seller Central; None unless `shipment_id` is an FBA shipment id."""
    host = seller_central(marketplace)
    if host and isinstance(shipment_id, str) and SHIPMENT_ID.fullmatch(shipment_id):
        return f"{host}/fba/inbound-shipment/summary/{shipment_id}/contents"
    return None


def product_url(asin: object, marketplace: str | None) -> str | None:
    """The ASIN's product page on the marketplace's store; None unless `asin` has an ASIN's form."""
    domain = DOMAINS.get(marketplace or "")
    if domain and isinstance(asin, str) and ASIN.fullmatch(asin):
        return f"https://www.amazon.{domain}/dp/{asin}"
    return None


def reference_url(reference_id: object, marketplace: str | None) -> str | None:
    """A reference id is an order id, a shipment id or an adjustment id: the first two have a page."""
    return order_url(reference_id, marketplace) or shipment_url(reference_id, marketplace)


def case_log_url(marketplace: str | None) -> str | None:
    host = seller_central(marketplace)
    return f"{host}/cu/case-lobby" if host else None


def _case_log(_value: object, marketplace: str | None) -> str | None:
    return case_log_url(marketplace)


# The link kinds a workbook column can have; each builds its address from the cell's value and the marketplace.
LINKS = {"order": order_url, "shipment": shipment_url, "asin": product_url, "reference": reference_url,
         "case_log": _case_log}


def url_for(kind: str, value: object, marketplace: str | None) -> str | None:
    return LINKS[kind](value, marketplace)
