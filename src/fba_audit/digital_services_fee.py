"""The Digital Services Fee table: which share of its fees Amazon adds as a DSF, by the seller's country of
establishment, the store and the date.

Since 2024-10-01 Amazon charges the Digital Services Taxes of the UK, France, Italy, Spain (and, until August 2025,
Canada) as a fee line of its own, `DigitalServicesFee`, instead of folding them into the referral and FBA rates. The
rate does not depend on the product but on where the seller is established and where it sells, and that country is
an account fact no report carries: it is asked for (`AuditContext.seller_country`), never guessed. The rows live in
`data/ratecards/digital_services_fee.toml` with their sources; FBA10 judges each DSF line against them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from fba_audit import ratecards as rc

OTHER, ANY = "other", "any"


@dataclass(frozen=True)
class DsfRate:
    """One row of the table: the share of the Selling on Amazon fees and of the FBA fees charged as DSF."""

    row: str  # the row's id, quoted in findings
    selling: Decimal
    fba: Decimal
    verified: bool
    source: str


@cache
def _rows() -> tuple[dict, ...]:
    return tuple(row | {"_source": card.source} for card in rc._cards() if card.kind == "digital_services_fee"
                 for row in card.data["rows"])


@cache
def _countries_with_rows() -> frozenset[str]:
    return frozenset(s for row in _rows() for s in row["sellers"] if s not in (OTHER, ANY))


def seller_country(code: str) -> str:
    """A country of establishment as the table writes it: two letters, upper case, GB written UK (as Amazon names
    the UK store). ValueError for anything else."""
    country = code.strip().upper()
    if len(country) != 2 or not country.isalpha() or not country.isascii():
        raise ValueError(f"seller country {code!r}: write the two-letter code of the country your business is "
                         "established in, e.g. CN, UK, DE, US")
    return "UK" if country == "GB" else country


def rates(seller: str, store: str, on: dt.date) -> tuple[DsfRate, ...]:
    """The rows in force on `on` for a seller established in `seller` selling in `store` (several on the days two
    readings of a change hold; the higher fee is then expected), or () when the table has no rate for them."""
    return _rates(seller_country(seller), store.upper(), on)


@cache
def _rates(seller: str, store: str, on: dt.date) -> tuple[DsfRate, ...]:
    def holds(row: dict, sellers: set[str]) -> bool:
        return (store in row["stores"] and bool(sellers & set(row["sellers"])) and row["effective_from"] <= on
                and ("effective_to" not in row or on <= row["effective_to"]))

    # A country with rows of its own is judged by them (and the rows for every seller); any other by the "other" rows.
    sellers = {seller, ANY} if seller in _countries_with_rows() else {seller, ANY, OTHER}
    found = [row for row in _rows() if holds(row, sellers)]
    return tuple(DsfRate(row["id"], rc._dec(row["selling"]), rc._dec(row["fba"]), row.get("verified", True),
                         row["_source"]) for row in found)
