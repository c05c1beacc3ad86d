"""The audit context every detector receives: the audit date, the marketplace, and the run's shared tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fba_audit.events import Events
    from fba_audit.reports.periods import ReportPeriod

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
    # Up to which date each report covers (fba_audit.reports.periods), filled from the loaded folder by
    # `Detector.judge`; empty when a detector is called on frames alone.
    periods: Mapping[str, ReportPeriod] = field(default_factory=dict, compare=False)
    # The country the seller's business is established in (two letters, GB written UK), which the Digital Services
    # Fee depends on and no report carries: an account setting (`--seller-country`, account.toml `seller_country`).
    # None: not given, and DSF lines are listed as not judged.
    seller_country: str | None = None
    # The tables derived once for the run (reimbursements, refunds) and its one reimbursement allocator
    # (fba_audit.events), set by the runner or by `Detector.judge`; None when a detector is called on frames alone.
    events: Events | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.as_of, str):
            object.__setattr__(self, "as_of", dt.date.fromisoformat(self.as_of))
        object.__setattr__(self, "marketplace", self.marketplace.upper())
        if self.marketplace not in MARKETPLACE_CURRENCY:
            raise ValueError(
                f"unknown marketplace {self.marketplace!r}; use one of {', '.join(sorted(MARKETPLACE_CURRENCY))}"
            )
        if self.seller_country is not None:
            from fba_audit.digital_services_fee import seller_country

            object.__setattr__(self, "seller_country", seller_country(self.seller_country))

    @property
    def currency(self) -> str:
        return MARKETPLACE_CURRENCY[self.marketplace]
