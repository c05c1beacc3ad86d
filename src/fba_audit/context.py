"""The audit context every detector receives: the audit date and the marketplace."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Seller Central marketplace code -> currency Amazon settles in.
MARKETPLACE_CURRENCY = {
    "US": "USD", "CA": "CAD", "MX": "MXN", "BR": "BRL",
    "UK": "GBP", "DE": "EUR", "FR": "EUR", "IT": "EUR", "ES": "EUR", "NL": "EUR", "BE": "EUR", "IE": "EUR",
    "SE": "SEK", "PL": "PLN", "TR": "TRY",
    "JP": "JPY", "IN": "INR", "AU": "AUD", "SG": "SGD", "AE": "AED", "SA": "SAR",
}


@dataclass(frozen=True)
class AuditContext:
    """`as_of` is the day the claims would be filed; windows are judged on that day."""

    as_of: dt.date
    marketplace: str = "US"

    def __post_init__(self) -> None:
        if isinstance(self.as_of, str):
            object.__setattr__(self, "as_of", dt.date.fromisoformat(self.as_of))
        object.__setattr__(self, "marketplace", self.marketplace.upper())
        if self.marketplace not in MARKETPLACE_CURRENCY:
            raise ValueError(
                f"unknown marketplace {self.marketplace!r}; use one of {', '.join(sorted(MARKETPLACE_CURRENCY))}"
            )

    @property
    def currency(self) -> str:
        return MARKETPLACE_CURRENCY[self.marketplace]
