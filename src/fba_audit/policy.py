"""Claim windows: when Amazon accepts a claim, per claim family, marketplace and date.

The values live in `fba_audit/data/claim_windows.csv` (one row per family, marketplace and `effective_from`,
each with its Seller Central source and the date it was last checked), never in detector code. Amazon changes
these windows (the US shortened them on 2024-10-23), so the rules in force on the audit date apply: the row
with the latest `effective_from` on or before `as_of`; an empty `effective_from` means "in force before any
change we recorded".

A marketplace without a row has **no** window: `window_for` returns None and `with_window` marks the finding
`review`. There is deliberately no fallback to the US values.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

# Which claim family each detector files under (docs/claim-rules.md, "Claim windows").
CODE_FAMILY: dict[str, str] = {
    "FBA01": "fee",
    "FBA02": "warehouse",
    "FBA03": "refund_anomaly",
    "FBA04": "inbound",
    "FBA05": "warehouse",
    "FBA06": "refund_anomaly",
    "FBA07": "customer_return",
    "FBA08": "inbound",
    "FBA09": "customer_return",
    "FBA10": "fee",
}
FAMILIES = ("warehouse", "customer_return", "refund_anomaly", "inbound", "fee")
CLOSES_UNITS = ("days", "months")
_CSV_COLUMNS = (
    "family", "marketplace", "effective_from", "opens_after_days", "closes_after", "closes_unit", "counts_from",
    "status_cap", "source_id", "source_url", "checked_on", "note",
)


@dataclass(frozen=True)
class ClaimWindow:
    """One row of claim_windows.csv: a claim may be filed from event + `opens_after_days` to event + `closes_after`
    `closes_unit` (both days inclusive)."""

    family: str
    marketplace: str
    effective_from: dt.date | None  # None: in force before the first change we recorded
    opens_after_days: int
    closes_after: int
    closes_unit: str  # "days" or "months"
    counts_from: str  # what the event date is for this family, in words
    status_cap: str | None  # "review": findings of this family are never `claimable`
    source_id: str  # Seller Central help page id(s), "; "-separated, or "assumption"
    source_url: str  # "; "-separated, parallel to source_id; empty for assumptions
    checked_on: dt.date
    note: str

    @property
    def opens_offset(self) -> str:
        """The opening offset in polars `dt.offset_by` syntax."""
        return f"{self.opens_after_days}d"

    @property
    def closes_offset(self) -> str:
        """The closing offset in polars `dt.offset_by` syntax (`60d`, `18mo`)."""
        return f"{self.closes_after}{'d' if self.closes_unit == 'days' else 'mo'}"

    def opens_on(self, event: dt.date) -> dt.date:
        return event + dt.timedelta(days=self.opens_after_days)

    def closes_on(self, event: dt.date) -> dt.date:
        if self.closes_unit == "days":
            return event + dt.timedelta(days=self.closes_after)
        # Same clamping as polars `offset_by("18mo")`: Aug 31 + 18 months = the last day of February.
        months = event.month - 1 + self.closes_after
        year, month = event.year + months // 12, months % 12 + 1
        return dt.date(year, month, min(event.day, calendar.monthrange(year, month)[1]))

    def describe(self) -> str:
        """`opens 14 days and closes 60 days after <counts_from>`, for messages and docs."""
        unit = "day" if self.closes_unit == "days" else "month"
        closes = f"{self.closes_after} {unit}{'s' if self.closes_after != 1 else ''}"
        if self.opens_after_days == 0:
            return f"from {self.counts_from} until {closes} after it"
        return f"from {self.opens_after_days} days until {closes} after {self.counts_from}"

    @property
    def sources(self) -> list[tuple[str, str]]:
        """(page id, url) pairs; the url is empty for fba-audit's own assumptions."""
        ids = [s.strip() for s in self.source_id.split(";")]
        urls = [u.strip() for u in self.source_url.split(";")] if self.source_url else []
        return [(i, urls[n] if n < len(urls) else "") for n, i in enumerate(ids)]


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text.strip() else None


def parse_claim_windows(text: str) -> tuple[ClaimWindow, ...]:
    """Parse and check claim_windows.csv text; raises ValueError naming the line of any bad row."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != _CSV_COLUMNS:
        raise ValueError(f"claim_windows.csv: header must be {','.join(_CSV_COLUMNS)}, got {reader.fieldnames}")
    rows: list[ClaimWindow] = []
    seen: set[tuple[str, str, dt.date | None]] = set()
    for line, raw in enumerate(reader, start=2):
        try:
            window = ClaimWindow(
                family=raw["family"],
                marketplace=raw["marketplace"],
                effective_from=_date(raw["effective_from"]),
                opens_after_days=int(raw["opens_after_days"]),
                closes_after=int(raw["closes_after"]),
                closes_unit=raw["closes_unit"],
                counts_from=raw["counts_from"],
                status_cap=raw["status_cap"] or None,
                source_id=raw["source_id"],
                source_url=raw["source_url"],
                checked_on=dt.date.fromisoformat(raw["checked_on"]),
                note=raw["note"],
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"claim_windows.csv:{line}: {exc}") from exc
        problems = []
        if window.family not in FAMILIES:
            problems.append(f"unknown family {window.family!r}")
        if window.closes_unit not in CLOSES_UNITS:
            problems.append(f"closes_unit must be days or months, got {window.closes_unit!r}")
        if window.status_cap not in (None, "review"):
            problems.append(f"status_cap must be empty or review, got {window.status_cap!r}")
        if window.opens_after_days < 0 or window.closes_after <= 0:
            problems.append("opens_after_days must be >= 0 and closes_after > 0")
        if not window.source_id or (window.source_id != "assumption" and not window.source_url):
            problems.append("every window needs a source id and url (or source_id `assumption`)")
        key = (window.family, window.marketplace, window.effective_from)
        if key in seen:
            problems.append(f"duplicate row for {key}")
        seen.add(key)
        if problems:
            raise ValueError(f"claim_windows.csv:{line}: {'; '.join(problems)}")
        rows.append(window)
    return tuple(rows)


@cache
def claim_windows() -> tuple[ClaimWindow, ...]:
    """Every row of the packaged claim_windows.csv, in file order."""
    text = resources.files("fba_audit").joinpath("data/claim_windows.csv").read_text(encoding="utf-8")
    return parse_claim_windows(text)


def family_of(code: str) -> str:
    try:
        return CODE_FAMILY[code]
    except KeyError:
        raise KeyError(f"{code} has no claim family; add it to fba_audit.policy.CODE_FAMILY") from None


def family_window(family: str, marketplace: str, as_of: dt.date) -> ClaimWindow | None:
    """The window of `family` in `marketplace` in force on `as_of`, or None when none is known."""
    if family not in FAMILIES:
        raise KeyError(f"unknown claim family {family!r}")
    candidates = [
        w for w in claim_windows()
        if w.family == family and w.marketplace == marketplace.upper()
        and (w.effective_from is None or w.effective_from <= as_of)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda w: w.effective_from or dt.date.min)


def window_for(code: str, marketplace: str, as_of: dt.date) -> ClaimWindow | None:
    """The window for detector `code` in `marketplace` in force on `as_of` (the day the claim would be filed).

    None means no window is known for that marketplace: the finding must be `review` and say so (see
    `no_window_message`). It never falls back to another marketplace.
    """
    return family_window(family_of(code), marketplace, as_of)


def windows_for_family(family: str) -> tuple[ClaimWindow, ...]:
    """Every row of a family, sorted by marketplace then effective date (for the docs)."""
    rows = [w for w in claim_windows() if w.family == family]
    return tuple(sorted(rows, key=lambda w: (w.marketplace != "US", w.marketplace, w.effective_from or dt.date.min)))


def no_window_message(marketplace: str) -> str:
    return f"No claim window known for {marketplace}: check Seller Central before filing."


def with_window(
    frame: pl.DataFrame,
    window: ClaimWindow | None,
    as_of: dt.date,
    *,
    event_date: str = "event_date",
    opens: pl.Expr | None = None,
    needs_review: str | None = "needs_review",
) -> pl.DataFrame:
    """Add `window_opens`, `window_closes` and `status` to a frame of findings.

    status, in this order: `waiting` before the window opens, `expired` after it closes (both shown so the
    seller sees timing), else `review` when there is no window, the family caps it (`status_cap`) or the
    boolean column `needs_review` is true; else `claimable`. `opens` replaces the computed opening date
    where it is not null (inbound: the day the shipment closed).
    """
    flagged = (
        pl.col(needs_review).fill_null(False)
        if needs_review is not None and needs_review in frame.columns
        else pl.lit(False)
    )
    if window is None:
        return frame.with_columns(
            window_opens=pl.lit(None, dtype=pl.Date),
            window_closes=pl.lit(None, dtype=pl.Date),
            status=pl.lit("review"),
        )
    event = pl.col(event_date)
    computed_opens = event.dt.offset_by(window.opens_offset)
    opens_expr = computed_opens if opens is None else pl.coalesce(opens, computed_opens)
    out = frame.with_columns(
        window_opens=opens_expr.cast(pl.Date),
        window_closes=event.dt.offset_by(window.closes_offset).cast(pl.Date),
    )
    as_of_lit = pl.lit(as_of, dtype=pl.Date)
    capped = pl.lit(window.status_cap == "review")
    return out.with_columns(
        status=pl.when(as_of_lit < pl.col("window_opens")).then(pl.lit("waiting"))
        .when(as_of_lit > pl.col("window_closes")).then(pl.lit("expired"))
        .when(capped | flagged).then(pl.lit("review"))
        .otherwise(pl.lit("claimable"))
    )
