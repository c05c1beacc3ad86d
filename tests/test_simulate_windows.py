"""The simulator's own claim-window table (fba_audit.simulate._windows) against the program's (claim_windows.csv).

The simulator plants claims against windows it keeps itself, so that the accuracy tests do not grade policy.py
against policy.py. These tests say when the two disagree: a window changed in one place and not the other.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest

from fba_audit import policy
from fba_audit.simulate import _window, _windows


def _row(w) -> tuple:
    return (w.family, w.effective_from or dt.date.min, w.opens_after_days, w.closes_after, w.closes_unit,
            w.status_cap)


def _disagreements(marketplace: str = "US") -> tuple[set, set]:
    """(rows of `marketplace` only the program has, rows only the simulator has)."""
    program = {_row(w) for w in policy.claim_windows() if w.marketplace == marketplace}
    simulator = {_row(w) for w in _windows.WINDOWS[marketplace]}
    return program - simulator, simulator - program


@pytest.mark.parametrize("marketplace", ["US", "UK", "DE"])
def test_the_simulators_windows_agree_with_claim_windows_csv(marketplace):
    assert _disagreements(marketplace) == (set(), set())
    rows = _windows.WINDOWS[marketplace]
    assert len(rows) == len({(w.family, w.effective_from) for w in rows})


def test_a_uk_window_changed_in_claim_windows_csv_only_is_caught(monkeypatch):
    text = resources.files("fba_audit").joinpath("data/claim_windows.csv").read_text(encoding="utf-8")
    changed = text.replace("customer_return,UK,,45,105,days", "customer_return,UK,,45,120,days")
    assert changed != text
    monkeypatch.setattr(policy, "claim_windows", lambda: policy.parse_claim_windows(changed))
    assert _disagreements("UK") == ({("customer_return", dt.date.min, 45, 120, "days", None)},
                                    {("customer_return", dt.date.min, 45, 105, "days", None)})
    assert _disagreements("DE") == (set(), set())


def test_the_simulator_files_each_detector_under_the_same_family():
    assert _windows.FAMILY_OF == policy.CODE_FAMILY


def test_a_window_changed_in_claim_windows_csv_only_is_caught(monkeypatch):
    # Someone moves the US warehouse window to 90 days in the CSV and not in the simulator: the row shows up on both
    # sides of the comparison.
    text = resources.files("fba_audit").joinpath("data/claim_windows.csv").read_text(encoding="utf-8")
    changed = text.replace("warehouse,US,2024-10-23,14,60,days", "warehouse,US,2024-10-23,14,90,days")
    assert changed != text
    monkeypatch.setattr(policy, "claim_windows", lambda: policy.parse_claim_windows(changed))
    only_program, only_simulator = _disagreements()
    assert only_program == {("warehouse", dt.date(2024, 10, 23), 14, 90, "days", None)}
    assert only_simulator == {("warehouse", dt.date(2024, 10, 23), 14, 60, "days", None)}


AS_OF = dt.date(2026, 11, 22)


# (code, event, as_of, needs_review, opens override, expected opens, closes, status), each date counted by hand.
WINDOW_CASES = [
    # Refund 2026-06-01: opens +60 days = Jul 31, closes +120 days = Sep 29; the audit is later: expired.
    ("FBA07", "2026-06-01", AS_OF, False, None, "2026-07-31", "2026-09-29", "expired"),
    # Refund 2026-08-01: Sep 30 .. Nov 29: claimable on Nov 22.
    ("FBA09", "2026-08-01", AS_OF, False, None, "2026-09-30", "2026-11-29", "claimable"),
    # Lost 2026-10-01: opens Oct 15 (+14), closes Nov 30 (+60): claimable.
    ("FBA02", "2026-10-01", AS_OF, False, None, "2026-10-15", "2026-11-30", "claimable"),
    # Lost 2026-11-15: opens Nov 29, after the audit date: waiting.
    ("FBA05", "2026-11-15", AS_OF, False, None, "2026-11-29", "2027-01-14", "waiting"),
    # Inside the window but the planted story needs a person: review.
    ("FBA02", "2026-10-01", AS_OF, True, None, "2026-10-15", "2026-11-30", "review"),
    # Refund anomalies are capped at review; 0 .. 120 days.
    ("FBA03", "2026-10-01", AS_OF, False, None, "2026-10-01", "2027-01-29", "review"),
    # Inbound: 9 months after delivery, opening on the day the shipment closed when the story gives it.
    ("FBA08", "2026-03-31", AS_OF, False, "2026-04-02", "2026-04-02", "2026-12-31", "claimable"),
    ("FBA04", "2026-02-28", AS_OF, False, None, "2026-03-30", "2026-11-28", "claimable"),
    # Fee charged 2026-08-23: 90 days to Nov 21, one day before the audit: expired.
    ("FBA01", "2026-08-23", AS_OF, False, None, "2026-08-23", "2026-11-21", "expired"),
    ("FBA10", "2026-08-24", AS_OF, False, None, "2026-08-24", "2026-11-22", "claimable"),
    # An audit dated before 2024-10-23 uses the old windows: lost 2023-08-31 + 18 months = 2025-02-28 (no Feb 31).
    ("FBA02", "2023-08-31", dt.date(2024, 10, 22), False, None, "2023-09-14", "2025-02-28", "claimable"),
    # Refund 2024-01-10, audit 2024-10-22: 45 days .. 18 months.
    ("FBA07", "2024-01-10", dt.date(2024, 10, 22), False, None, "2024-02-24", "2025-07-10", "claimable"),
    # The same refund audited on 2024-10-23 falls under 60 .. 120 days: long expired.
    ("FBA07", "2024-01-10", dt.date(2024, 10, 23), False, None, "2024-03-10", "2024-05-09", "expired"),
]


# The same, in Amazon Europe's windows (UK and DE alike), each date counted by hand.
EU_WINDOW_CASES = [
    # Refund 2026-08-01: 45 days = Sep 15, 105 days = Nov 14; audited Nov 22: expired (in the US: claimable).
    ("FBA09", "2026-08-01", AS_OF, False, None, "2026-09-15", "2026-11-14", "expired"),
    # Refund 2026-09-01: Oct 16 .. Dec 15: claimable.
    ("FBA07", "2026-09-01", AS_OF, False, None, "2026-10-16", "2026-12-15", "claimable"),
    # Lost 2026-10-01: Oct 15 .. Nov 30, as in the US since 2025-01-09.
    ("FBA02", "2026-10-01", AS_OF, False, None, "2026-10-15", "2026-11-30", "claimable"),
    # Before 2025-01-09: 30 days .. 18 months. Lost 2024-06-30, audited 2025-01-08: Jul 30 .. 2025-12-30.
    ("FBA05", "2024-06-30", dt.date(2025, 1, 8), False, None, "2024-07-30", "2025-12-30", "claimable"),
    # Inbound: six months. Delivered 2026-05-31, first receipt + 30 days = Jun 30, closes Nov 30.
    ("FBA04", "2026-05-31", AS_OF, False, None, "2026-06-30", "2026-11-30", "claimable"),
    # Fee charged 2026-08-24: inside the 90 days, but a fee outside the US is never claimable.
    ("FBA01", "2026-08-24", AS_OF, False, None, "2026-08-24", "2026-11-22", "review"),
    ("FBA03", "2026-10-01", AS_OF, False, None, "2026-10-01", "2027-01-14", "review"),
]


@pytest.mark.parametrize(("marketplace", "code", "event", "as_of", "needs_review", "opens", "want_opens",
                          "want_closes", "status"),
                         [("US", *case) for case in WINDOW_CASES]
                         + [(m, *case) for m in ("UK", "DE") for case in EU_WINDOW_CASES])
def test_planted_window_and_status(marketplace, code, event, as_of, needs_review, opens, want_opens, want_closes,
                                   status):
    got = _window(code, dt.date.fromisoformat(event), as_of, needs_review=needs_review,
                  opens=opens and dt.date.fromisoformat(opens), marketplace=marketplace)
    assert got == (dt.date.fromisoformat(want_opens), dt.date.fromisoformat(want_closes), status)
