"""Helpers shared by the warehouse-family detectors (FBA02 warehouse-lost-damaged, FBA05 return-not-restocked).

Both compare events against what a later Inventory Ledger download shows (found units, return credits). A
ledger download that stops soon after the event cannot show a unit found (or credited) after it, so a finding
whose ledger evidence ends too early is held at `review` with a note, never filed as `claimable`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fba_audit.context import AuditContext
from fba_audit.policy import window_for


def ledger_span(inventory_ledger: pl.DataFrame) -> tuple[dt.date | None, dt.date | None]:
    """First and last date of the Inventory Ledger rows loaded (every file and event type together)."""
    if inventory_ledger.is_empty():
        return None, None
    return inventory_ledger["date"].min(), inventory_ledger["date"].max()


def settle_days(code: str, ctx: AuditContext) -> int:
    """Days after the event that found units and automatic reimbursements need to appear: the warehouse window's
    opening allowance (policy data), 14 days in the US; 0 where no window is known (findings are `review` there)."""
    window = window_for(code, ctx.marketplace, ctx.as_of)
    return window.opens_after_days if window is not None else 0


def ledger_too_short(event_date: str, last: dt.date | None, days: int) -> pl.Expr:
    """True where the ledger download ends before `event_date + days`: later found units or credits are unseen."""
    if last is None:
        return pl.lit(True)
    return (pl.col(event_date) + pl.duration(days=days)) > pl.lit(last, dtype=pl.Date)


def too_short_note(last: dt.date | None, days: int) -> str:
    return (
        f" The Inventory Ledger download ends on {last}, less than {days} days after this event: download a newer "
        "one and re-run before filing."
    )
