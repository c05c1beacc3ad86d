"""The claim windows the simulator plants against, written by hand from Amazon's pages, not read from fba_audit.policy.

truth.json says, for every planted claim, when its window opens and closes and what its status is on the audit date.
If the simulator asked `fba_audit.policy` for those windows, a wrong number in `data/claim_windows.csv` would be wrong
in the truth too, and the accuracy tests would pass on it. So the simulator keeps its own copy of the US numbers,
copied from the Seller Central pages named on each row (as summarised in the project's claim rules), and a test
(tests/test_simulate_windows.py) checks that the two copies agree: a change to one that is not made, deliberately, to
the other fails there.

The US rows, and the UK and DE rows for the European accounts (`simulate --marketplace UK|DE`), each copied from the
store's copy of the page named on the row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class TruthWindow:
    """A claim may be filed from event + `opens_after_days` to event + `closes_after` `closes_unit`, both inclusive."""

    family: str
    effective_from: dt.date | None  # None: the rule before the first change recorded
    opens_after_days: int
    closes_after: int
    closes_unit: str  # "days" or "months"
    status_cap: str | None  # "review": never claimable
    source: str


# The detectors each claim under one family (Amazon's page that governs the claim).
FAMILY_OF = {
    "FBA01": "fee", "FBA10": "fee",
    "FBA02": "warehouse", "FBA05": "warehouse",
    "FBA03": "refund_anomaly", "FBA06": "refund_anomaly",
    "FBA04": "inbound", "FBA08": "inbound",
    "FBA07": "customer_return", "FBA09": "customer_return",
}

US_WINDOWS = (
    # Fulfillment center lost or damaged: "no later than 60 days after the item was reported lost or damaged" from
    # 2024-10-23 (18 months before). The 14 days before it opens are fba-audit's allowance for found units and
    # automatic reimbursements to appear, not Amazon's.
    TruthWindow("warehouse", None, 14, 18, "months", None, "GGEV4254LJJ9BAEG; Seller Forums 6605eede (2024-07-24)"),
    TruthWindow("warehouse", dt.date(2024, 10, 23), 14, 60, "days", None, "GGEV4254LJJ9BAEG; G4FKT5KQWFFJ7LDN"),
    # Customer returns (refund without return, return damaged): "no sooner than 60 days and no later than 120 days"
    # after the refund from 2024-10-23; 45 days to 18 months before.
    TruthWindow("customer_return", None, 45, 18, "months", None, "G9N934L7Y4SFWPJ4 (older copies)"),
    TruthWindow("customer_return", dt.date(2024, 10, 23), 60, 120, "days", None, "G9N934L7Y4SFWPJ4?locale=en-US"),
    # Refunds larger than the charge, restocking fees not credited: no Amazon page; the customer-return window's end
    # is assumed and the finding is never claimable.
    TruthWindow("refund_anomaly", None, 0, 120, "days", "review", "assumption"),
    # Inbound shipments: 9 months after delivery, unchanged in 2024; opens when the shipment closed, else 30 days after
    # the first receipt (fba-audit's allowance).
    TruthWindow("inbound", None, 30, 9, "months", None, "GEYPWTSQRTXXXMVB"),
    # FBA fee (weight and dimensions) and referral fee reimbursement: within 90 days of the charge.
    TruthWindow("fee", None, 0, 90, "days", None, "GL7U4JFSDXUTQAJ; GRRJCFXD6474GRLY"),
)


# Amazon Europe (UK and DE alike; the .co.uk and .de copies of the same pages).
EU_WINDOWS = (
    # Fulfilment centre lost or damaged: "no sooner than 30 days and no later than 18 months after the date the item was
    # reported lost or damaged" (GGEV4254LJJ9BAEG, UK copy); from 2025-01-09 Amazon Europe's new eligibility windows:
    # "no later than 60 days" (announcement reposted on seller-forum.com/t/7594; the start date rests on one secondary
    # summary). The 14 days before it opens are fba-audit's allowance, as in the US.
    TruthWindow("warehouse", None, 30, 18, "months", None, "GGEV4254LJJ9BAEG (UK copy)"),
    TruthWindow("warehouse", dt.date(2025, 1, 9), 14, 60, "days", None, "GGEV4254LJJ9BAEG; seller-forum.com/t/7594"),
    # Customer returns: "between 45 and 105 days" after the refund or replacement (G9N934L7Y4SFWPJ4, UK/EU copies).
    TruthWindow("customer_return", None, 45, 105, "days", None, "G9N934L7Y4SFWPJ4 (UK/EU copies)"),
    # No Amazon page: the end of the store's customer-return window is assumed, never claimable.
    TruthWindow("refund_anomaly", None, 0, 105, "days", "review", "assumption"),
    # Inbound: "no later than six months after the verified delivery date" (GEYPWTSQRTXXXMVB, European copies).
    TruthWindow("inbound", None, 30, 6, "months", None, "GEYPWTSQRTXXXMVB (UK/EU copies)"),
    # Fees: 90 days from the charge on the FR and AU copies of GL7U4JFSDXUTQAJ; the UK/DE copies were not read, and a
    # fee outside the US rests on a guessed fee column (docs/rate-cards.md "Which column applies"): never claimable.
    TruthWindow("fee", None, 0, 90, "days", "review", "GL7U4JFSDXUTQAJ (FR/AU copies)"),
)

WINDOWS = {"US": US_WINDOWS, "UK": EU_WINDOWS, "DE": EU_WINDOWS}


def window_on(code: str, as_of: dt.date, marketplace: str = "US") -> TruthWindow:
    """The window of detector `code` in `marketplace` in force on `as_of` (the day the claim would be filed)."""
    family = FAMILY_OF[code]
    rows = [w for w in WINDOWS[marketplace] if w.family == family
            and (w.effective_from is None or w.effective_from <= as_of)]
    return max(rows, key=lambda w: w.effective_from or dt.date.min)


def opens_on(window: TruthWindow, event: dt.date) -> dt.date:
    return event + dt.timedelta(days=window.opens_after_days)


def closes_on(window: TruthWindow, event: dt.date) -> dt.date:
    if window.closes_unit == "days":
        return event + dt.timedelta(days=window.closes_after)
    # NOTE: a month later is polars' `offset_by` (Aug 31 + 18 months = the last day of February), the calendar the
    # detectors use on their frames.
    return pl.select(pl.lit(event, dtype=pl.Date).dt.offset_by(f"{window.closes_after}mo")).item()
