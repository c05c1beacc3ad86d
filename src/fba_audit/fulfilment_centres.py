"""Which country an Amazon fulfilment centre is in, and so which fee columns a UK or EU charge can be on.

Why: a UK or EU fulfilment charge can be on several columns of the rate card (local, Pan-EU, EFN, remote), and the
settlement line does not say which (docs/rate-cards.md, "Which column applies"). The Amazon Fulfilled Shipments
report names the centre that shipped each order item (`fulfillment-center-id`); its country narrows the columns.

Amazon names its centres after the IATA code of a nearby airport plus a number (LEJ1: Leipzig/Halle; the
convention as described in "Decoding Amazon's DAX codes", oreateai.com), but an airport's catchment can cross a
border, so the table (`data/fulfilment_centres.csv`) holds whole codes only, each with the airport and the site it
names (public lists of Amazon's European sites; no real Amazon Fulfilled Shipments file was seen, so the table
holds the large, long-established centres only and grows as users' files show more codes). A code not in the table gives no country: the charge is then judged against every column,
as without the report, and the run counts the item with its code (never guessed from the prefix).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

# The stores of the European Union on the cards (EFN between them); the UK is reached by remote fulfilment.
EU_COUNTRIES = frozenset({"DE", "FR", "IT", "ES", "NL", "SE", "PL", "BE", "CZ", "IE"})


@cache
def _table() -> dict[str, str]:
    text = resources.files("fba_audit").joinpath("data/fulfilment_centres.csv").read_text(encoding="utf-8")
    return {row["code"].strip().upper(): row["country"].strip().upper() for row in csv.DictReader(text.splitlines())}


def countries() -> dict[str, str]:
    """Every centre code in the table with its country (codes upper case)."""
    return dict(_table())


def country_of(fc_code: str | None) -> str | None:
    """The country of a fulfilment centre code (`LEJ1` -> `DE`), None when the code is not in the table."""
    return None if not fc_code else _table().get(fc_code.strip().upper())


def route_columns(store: str, origin: str, columns: list[str]) -> frozenset[str] | None:
    """The columns of a `store`'s card (`columns`, the card's column names) a unit shipped from `origin` can be on;
    None when the route says nothing the card can use (all columns stay).

    * Same country: the local columns (in DE both CEP and "DE only": whether the seller is in the Central Europe
      Programme is not in the reports).
    * UK <-> EU: the remote column of that direction (Pan-EU does not include the UK).
    * EU -> another EU store: EFN, from German stock also EFN without CEP, and the local column: a Pan-EU offer pays
      the local fee of the store even when Amazon ships it from another country (Amazon Seller Central DE help on
      Small and Light: Pan-EU offers "enjoy local ... fees in countries that enable inventory placement").
    """
    if origin == store:
        wanted = {c for c in columns if c.startswith("local")}
    elif store == "UK":
        wanted = {"remote_from_eu"} if origin in ("DE", "FR", "IT", "ES") else set()
    elif origin == "UK":
        wanted = {"remote_from_uk"}
    elif origin in EU_COUNTRIES and store in EU_COUNTRIES:
        # Pan-EU pays the local fee of the store, on the CEP/Pan-EU column in DE (never "DE only": the unit is not in
        # a German centre).
        wanted = {"efn"} | {c for c in columns if c.startswith("local") and c != "local_de_only"}
        if origin == "DE":
            wanted.add("efn_from_de_without_cep")
    else:
        wanted = set()
    found = frozenset(wanted & set(columns))
    return found or None
