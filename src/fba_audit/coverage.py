"""What each detector could judge, and what it could not, with the reason.

A detector that ran and found nothing means "nothing is owed" only if it could judge the items in front of it.
When a rate card does not reach the charge dates, a product group is unknown or a fee line is tied to no order
item, the detector cannot say whether Amazon charged right, and "0 findings" would read as "fees are correct".
So every detector says what it judged and what it did not:

- a detector returns a `Judged`: its findings, what one item is (`"refund (order and SKU)"`), how many items it
  judged (each either became a finding or was cleared), and a `not_checked` frame with one row per item it could not
  judge: `reason` (plain words, the same text for every item left out for the same cause) and `item` (the keys a
  person needs to look it up: SKU, order id, shipment id);
- the runner turns that into one `Coverage` per detector, with the items not checked counted and listed per reason;
  a detector that was skipped (a report missing) or failed gets a `Coverage` too, so that nothing that was not
  judged is left out of findings.json, the console and the workbook's "Not checked" sheet.

`notes` say how a detector read its input where that is not evident, e.g. up to which date a report was taken to
cover and why (report periods, `fba_audit.reports.periods`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

NOT_CHECKED_SCHEMA: dict[str, pl.DataType] = {"reason": pl.String(), "item": pl.String()}
STATUS_RAN, STATUS_SKIPPED, STATUS_FAILED = "ran", "skipped", "failed"


def no_items_left_out() -> pl.DataFrame:
    return pl.DataFrame(schema=NOT_CHECKED_SCHEMA)


def not_checked(frame: pl.DataFrame, reason: str | pl.Expr, item: pl.Expr) -> pl.DataFrame:
    """One `NOT_CHECKED_SCHEMA` row per distinct item of `frame`: `reason` (text or an expression) and `item` (an
    expression naming the item, e.g. `pl.format("{} ({})", "order_id", "sku")`)."""
    reason_expr = pl.lit(reason, dtype=pl.String) if isinstance(reason, str) else reason.cast(pl.String)
    return frame.select(reason=reason_expr, item=item.cast(pl.String).fill_null("-")).unique().sort("reason", "item")


@dataclass(frozen=True)
class Judged:
    """What a detector's `run` returns."""

    findings: pl.DataFrame  # fba_audit.findings.Findings
    item: str  # what one judged item is, e.g. "refund (order and SKU)"
    judged: int  # items judged: each became a finding or was cleared
    not_checked: pl.DataFrame = field(default_factory=no_items_left_out)  # NOT_CHECKED_SCHEMA
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.judged < 0:
            raise ValueError(f"judged must be 0 or more, got {self.judged}")
        if dict(self.not_checked.schema) != NOT_CHECKED_SCHEMA:
            raise ValueError(f"not_checked must have the columns {NOT_CHECKED_SCHEMA}, "
                             f"has {dict(self.not_checked.schema)}")


@dataclass(frozen=True)
class Reason:
    """Items a detector could not judge for one reason (`count` of them, `items` sorted); for a detector that did not
    run at all, `count` is None and `items` empty: the reason stands for everything it would have judged."""

    reason: str
    count: int | None
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coverage:
    """One detector in one run: ran (with what it judged and what not), skipped or failed."""

    code: str
    name: str
    status: str  # STATUS_RAN, STATUS_SKIPPED or STATUS_FAILED
    item: str = ""  # what one judged item is ("" when it did not run)
    judged: int | None = None  # None when it did not run
    findings: int = 0
    not_checked: tuple[Reason, ...] = ()
    notes: tuple[str, ...] = ()
    download: str = ""  # for a skipped detector: what to download; for a failed one: what to report

    @property
    def not_checked_count(self) -> int:
        return sum(r.count or 0 for r in self.not_checked)

    @classmethod
    def of(cls, code: str, name: str, judged: Judged, findings: int) -> Coverage:
        """Coverage of a detector that ran; `findings` is the number it reports (after claimed ids left out)."""
        return cls(code, name, STATUS_RAN, judged.item, judged.judged, findings, reasons_of(judged.not_checked),
                   tuple(judged.notes))

    @classmethod
    def did_not_run(cls, code: str, name: str, status: str, reason: str, download: str) -> Coverage:
        return cls(code, name, status, not_checked=(Reason(reason, None),), download=download)


def reasons_of(rows: pl.DataFrame) -> tuple[Reason, ...]:
    """`NOT_CHECKED_SCHEMA` rows counted per reason (each item once), most items first, then by reason text."""
    if rows.is_empty():
        return ()
    grouped = rows.unique().group_by("reason").agg(pl.col("item").sort()).with_columns(
        count=pl.col("item").list.len()).sort(["count", "reason"], descending=[True, False])
    return tuple(Reason(r["reason"], r["count"], tuple(r["item"])) for r in grouped.iter_rows(named=True))

