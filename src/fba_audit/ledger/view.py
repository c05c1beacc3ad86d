"""What a run's outputs show from the ledger: each finding's case and first sighting, what to follow up, and the
money recovered. Plain values only (no database), so the writers never touch the ledger themselves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

# The outcomes staff pick in the workbook (the keys of writers.i18n "outcome.*" labels, in English).
STAFF_OUTCOMES = ("filed", "reimbursed", "denied", "not filing")
# What the ledger concludes about a case from staff's outcome and Amazon's payments.
CASE_STATES = ("filed", "paid", "partly paid", "reversed", "denied", "not filing")
# Why a finding is closed.
RESOLUTIONS = ("paid", "paid_by_amazon", "evidence_changed")


@dataclass(frozen=True)
class CaseInfo:
    """A case as findings.json and the workbook show it. `outcome` is the ledger's state of the case."""

    case_id: str | None
    filed_on: dt.date | None
    outcome: str
    claimed: Decimal | None
    reimbursed: Decimal | None
    reimbursed_on: dt.date | None


@dataclass(frozen=True)
class StaffEntry:
    """The staff columns of one finding, as the workbook shows them (written back so a new workbook keeps them)."""

    filed_on: dt.date | None = None
    case_id: str | None = None
    outcome: str | None = None  # one of STAFF_OUTCOMES
    notes: str | None = None


@dataclass(frozen=True)
class FollowUp:
    """One case that needs staff's attention, and what to do next."""

    kind: str  # unpaid | denied | partly paid | reversed | no case id
    case_id: str | None
    code: str
    finding_ids: tuple[str, ...]
    filed_on: dt.date | None
    claimed: Decimal | None
    reimbursed: Decimal | None
    outstanding: Decimal | None
    act_by: dt.date | None  # the last day the action makes sense (reopen window), when there is one
    action: str


@dataclass(frozen=True)
class DetectorRecovery:
    """All cases of one detector in the ledger: what was claimed, what Amazon paid on those cases, and what it paid
    for the detector's findings without a case (automatic reimbursements after fba-audit reported them)."""

    code: str
    claimed: Decimal
    paid: Decimal
    paid_without_case: Decimal = Decimal("0.00")

    @property
    def rate(self) -> Decimal | None:
        """Paid on cases / claimed, to three decimals (0.415 is 41.5 %); None without any claim."""
        return (self.paid / self.claimed).quantize(Decimal("0.001")) if self.claimed else None


@dataclass
class LedgerView:
    location: str  # where the ledger is (a path, or the database URL without its password)
    run_id: int
    currency: str
    cases: dict[str, CaseInfo] = field(default_factory=dict)  # by finding id
    first_seen: dict[str, dt.date] = field(default_factory=dict)  # by finding id
    staff: dict[str, StaffEntry] = field(default_factory=dict)  # by finding id
    follow_up: list[FollowUp] = field(default_factory=list)
    recovered_this_month: Decimal = Decimal("0.00")
    recovered_this_year: Decimal = Decimal("0.00")
    by_detector: list[DetectorRecovery] = field(default_factory=list)
    closed: dict[str, int] = field(default_factory=dict)  # resolution -> findings closed by this run
    import_problems: list[object] = field(default_factory=list)  # fba_audit.ledger.staff.StaffProblem

    @property
    def claimed_total(self) -> Decimal:
        return sum((d.claimed for d in self.by_detector), Decimal("0.00"))

    @property
    def paid_total(self) -> Decimal:
        return sum((d.paid for d in self.by_detector), Decimal("0.00"))

    @property
    def paid_without_case_total(self) -> Decimal:
        return sum((d.paid_without_case for d in self.by_detector), Decimal("0.00"))

    @property
    def recovery_rate(self) -> Decimal | None:
        claimed = self.claimed_total
        return (self.paid_total / claimed).quantize(Decimal("0.001")) if claimed else None

    @classmethod
    def together(cls, views: list[LedgerView]) -> LedgerView:
        """The views of the runs recorded for a folder of several marketplaces, as one for what is kept per finding
        (cases, first sightings, staff's entries, follow-up). Money totals are per marketplace and currency: they
        stay in each part's own view (`AuditResult.parts`), never added up here."""
        view = cls(location=views[0].location, run_id=views[-1].run_id, currency="")
        for part in views:
            view.cases.update(part.cases)
            view.first_seen.update(part.first_seen)
            view.staff.update(part.staff)
            view.follow_up += part.follow_up
            for resolution, count in part.closed.items():
                view.closed[resolution] = view.closed.get(resolution, 0) + count
            view.import_problems += part.import_problems
        return view

    def is_filed(self, finding_id: str) -> bool:
        """Filed (or decided against): such a finding is never offered again as a new claim."""
        return finding_id in self.cases
