"""What one audit run produces: the findings, which detectors ran or were skipped, what each could not judge, and the
input accounting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from fba_audit.coverage import Coverage
from fba_audit.reports.model import LoadResult

if TYPE_CHECKING:
    from fba_audit.ledger.view import LedgerView


@dataclass(frozen=True)
class SkippedDetector:
    code: str  # "FBA05"
    name: str  # "return-not-restocked"
    reason: str  # "needs customer_returns: no FBA customer returns report in ./2026-10/"
    download: str  # where in Seller Central to get the missing report


@dataclass
class AuditResult:
    as_of: dt.date
    marketplace: str
    findings: pl.DataFrame  # fba_audit.findings.Findings, sorted by finding_id
    ran: list[str] = field(default_factory=list)  # detector codes that ran
    skipped: list[SkippedDetector] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # codes of detectors that raised (also listed in skipped)
    load: LoadResult | None = None
    ledger: LedgerView | None = None  # cases, follow-up and money recovered, when the run was recorded in a ledger
    # One entry per detector asked for, in code order: what it judged and what it could not (skipped and failed
    # detectors included, with their reason).
    coverage: list[Coverage] = field(default_factory=list)
    # A folder of several marketplaces: one result per marketplace, audited side by side (its own windows, rate
    # cards and currency). The fields above then hold them together: `marketplace` lists the codes ("DE,UK,US"),
    # `coverage` and `skipped` are the parts' one after another (per part: `parts`), findings carry their own.
    parts: list[AuditResult] = field(default_factory=list)

    @property
    def marketplaces(self) -> list[str]:
        return [part.marketplace for part in self.parts] or [self.marketplace]

    def by_marketplace(self) -> list[AuditResult]:
        """The result of each marketplace audited: the parts, or the result itself for one marketplace."""
        return self.parts or [self]
