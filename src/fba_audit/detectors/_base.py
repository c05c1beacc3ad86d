"""The detector contract and the helpers every detector shares.

A detector module exports one `DETECTOR = Detector(...)`; its module docstring is the user documentation
(title line, then `## What it finds`, `## Why Amazon owes you`, `## Evidence to attach`, `## Claim window` with
a `{claim_window}` placeholder). `run` is pure: validated frames and the `AuditContext` in, a
`fba_audit.coverage.Judged` out (the findings, and what it judged and could not judge, with the reason); no file
I/O, no `date.today()`.

Calling convention (the runner and the fixture tests both use `Detector.judge`): every dataset in `needs` is
passed by keyword; every dataset in `optional` is passed when a file fed it (`LoadResult.has`), else the
keyword gets None. So `run` takes exactly the keyword parameters `needs + optional + ctx`, optional ones
defaulting to None. The tables a detector names in `events` (`fba_audit.events.TABLES`: reimbursements, refunds)
reach it built once for the run, in `ctx.events`; reimbursements only through `ctx.events.allocator`, which hands
each reimbursement unit to one claim of the run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandera.errors
import polars as pl

from fba_audit.context import AuditContext
from fba_audit.coverage import Judged
from fba_audit.events import TABLES, Events
from fba_audit.findings import FILLED_BY_RUN, FINDINGS_COLUMNS, FINDINGS_SCHEMA, Findings
from fba_audit.policy import CODE_FAMILY, no_window_message, window_for, windows_for_family, with_window
from fba_audit.reports.periods import report_periods

if TYPE_CHECKING:
    from fba_audit.reports.model import LoadResult

CODE_PATTERN = re.compile(r"^FBA\d{2}$")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DOC_HEADINGS = ("## What it finds", "## Why Amazon owes you", "## Evidence to attach", "## Claim window")
CLAIM_WINDOW_PLACEHOLDER = "{claim_window}"
_DAY = dt.timedelta(days=1)
NULL_PART = "-"  # stands for a missing key part in a finding id

# Columns `to_findings` fills when the detector leaves them out.
_REQUIRED_INPUT = ("finding_id", "event_date", "quantity", "confidence", "message", "evidence", "case_text")
_DEFAULTED_INPUT = ("sku", "fnsku", "asin", "order_id", "shipment_id", "reference_id", "amount", "currency",
                    "valuation_basis", *FILLED_BY_RUN)
_HELPER_INPUT = ("needs_review", "window_opens")


@dataclass(frozen=True)
class Detector:
    code: str  # "FBA02". Permanent; a retired code is never reused.
    name: str  # "warehouse-lost-damaged": names the discrepancy, not the remedy
    family: str  # claim family in fba_audit.policy (decides the claim window)
    needs: tuple[str, ...]  # dataset keys (fba_audit.reports.datasets.DATASET_MODELS) it cannot run without
    run: Callable[..., Judged]  # pure: run(**frames, ctx=AuditContext) -> Judged (findings and coverage)
    doc: str  # the module's __doc__: title line, then the four headings
    optional: tuple[str, ...] = ()  # dataset keys used when present (None otherwise)
    # Where in Seller Central to get each needed dataset, when the detector wants to say more than the loader.
    downloads: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    events: tuple[str, ...] = ()  # derived tables it reads (fba_audit.events.TABLES), built once per run

    def __post_init__(self) -> None:
        if not CODE_PATTERN.match(self.code):
            raise ValueError(f"detector code {self.code!r} must look like FBA01")
        if not SLUG_PATTERN.match(self.name):
            raise ValueError(f"{self.code}: name {self.name!r} must be a lower-case slug like refund-without-return")
        if CODE_FAMILY.get(self.code) != self.family:
            raise ValueError(
                f"{self.code}: family {self.family!r} differs from fba_audit.policy.CODE_FAMILY "
                f"({CODE_FAMILY.get(self.code)!r})"
            )
        for attr in ("needs", "optional", "events"):
            if not isinstance(getattr(self, attr), tuple):
                raise TypeError(f"{self.code}: {attr} must be a tuple")
        unknown = [name for name in self.events if name not in TABLES]
        if unknown:
            raise ValueError(f"{self.code}: unknown event tables {unknown}; known: {', '.join(TABLES)}")

    @property
    def title(self) -> str:
        """The docstring's first line."""
        return textwrap.dedent(self.doc).strip().splitlines()[0].strip()

    def missing(self, load: LoadResult) -> tuple[str, ...]:
        """The needed datasets no usable file fed (the runner skips the detector and says so)."""
        return tuple(d for d in self.needs if not load.has(d))

    def judge(self, load: LoadResult, ctx: AuditContext) -> Judged:
        """Run on a loaded folder with the calling convention above: findings sorted by finding_id, and coverage.

        The periods the folder's reports cover (`fba_audit.reports.periods`) reach the detector in `ctx`.
        """
        missing = self.missing(load)
        if missing:
            raise ValueError(f"{self.code} needs {', '.join(missing)}")
        frames: dict[str, pl.DataFrame | None] = {d: load.datasets[d] for d in self.needs}
        frames.update({d: load.datasets[d] if load.has(d) else None for d in self.optional})
        if not ctx.periods:
            ctx = dataclasses.replace(ctx, periods=report_periods(load))
        alone = ctx.events is None
        if alone:  # run by itself: the tables are its own, and so are all the reimbursements
            ctx = dataclasses.replace(ctx, events=Events.for_run(load, ctx.currency, [self]))
        try:
            judged = self.run(**frames, ctx=ctx)
        finally:
            if alone:
                ctx.events.allocator.release(self.code)
        if not isinstance(judged, Judged):
            raise TypeError(f"{self.code}: run must return fba_audit.coverage.Judged, not {type(judged).__name__}")
        return dataclasses.replace(judged, findings=judged.findings.sort("finding_id"))

    def run_on(self, load: LoadResult, ctx: AuditContext) -> pl.DataFrame:
        """The findings of `judge`, sorted by finding_id."""
        return self.judge(load, ctx).findings

    def run_parameters(self) -> tuple[str, ...]:
        """The keyword parameters of `run` other than ctx (the registry test compares them with needs/optional)."""
        return tuple(p for p in inspect.signature(self.run).parameters if p != "ctx")


def _part(value: object) -> pl.Expr:
    if isinstance(value, pl.Expr):
        return value.cast(pl.String).fill_null(NULL_PART)
    return pl.lit(NULL_PART if value is None else str(value), dtype=pl.String)


def finding_id(code: str, marketplace: str | pl.Expr, *parts: object) -> pl.Expr:
    """A readable, stable id from business keys: `FBA02:US:X00ABC123:21180001001`.

    `parts` are expressions or literals (dates print as ISO); a null part prints as `-`. Never use row
    numbers, message text or hashes: the id must survive re-downloads, re-runs and polars upgrades, because the
    seller's list of filed claims is keyed by it.
    """
    return pl.concat_str([pl.lit(code), _part(marketplace), *[_part(p) for p in parts]], separator=":").alias(
        "finding_id"
    )


def finding_id_str(code: str, marketplace: str, *parts: object) -> str:
    """The same id as `finding_id`, for plain Python values (tests, docs)."""
    return ":".join([code, marketplace, *(NULL_PART if p is None else str(p) for p in parts)])


def evidence_ref(file: str = "source_file", line: str = "source_line") -> pl.Expr:
    """`reimbursements.txt:14` for one row (use inside select/with_columns)."""
    return pl.format("{}:{}", pl.col(file), pl.col(line))


def cents(money: str | pl.Expr) -> pl.Expr:
    """A money column (Decimal with two places) as whole cents, Int64: exact, and integer arithmetic on millions of
    rows is far cheaper than Decimal."""
    return ((pl.col(money) if isinstance(money, str) else money) * 100).cast(pl.Int64)


def from_cents(whole_cents: pl.Expr) -> pl.Expr:
    """Whole cents back to money, Decimal(18, 2) (exact: a Decimal of scale 2 divided by 100)."""
    return (whole_cents.cast(pl.Decimal(38, 2)) / 100).cast(pl.Decimal(18, 2))


def evidence_agg(file: str = "source_file", line: str = "source_line") -> pl.Expr:
    """Inside `group_by().agg(...)`: every row of the group as `file:line; file:line`, ordered by file then line
    number (group_by order is not stable in polars 2.x, so the order is fixed here)."""
    return (
        pl.format("{}:{}", pl.col(file), pl.col(line))
        .sort_by([pl.col(file), pl.col(line)])
        .unique(maintain_order=True)
        .str.join("; ")
    )


def with_evidence_of(frame: pl.DataFrame, rows: pl.DataFrame, keys: list[str], alias: str) -> pl.DataFrame:
    """`frame` plus `alias`: `evidence_agg` over the `rows` sharing the `keys` of each row of `frame` (null when
    none; a null key matches a null key, as in `group_by`). The same text as grouping all `rows` first, built only
    for the keys of `frame`: evidence text for every group of a big report costs seconds, and findings are few."""
    wanted = frame.select(keys).unique()
    found = rows.join(wanted, on=keys, how="semi", nulls_equal=True).group_by(keys).agg(evidence_agg().alias(alias))
    return frame.join(found, on=keys, how="left", nulls_equal=True, maintain_order="left")


def join_evidence(*parts: pl.Expr | str) -> pl.Expr:
    """Join evidence strings with `; `, skipping nulls and empty strings. For a List[str] column (netting's
    `reimbursement_evidence`) pass `pl.col("reimbursement_evidence").list.join("; ")`."""
    exprs = [pl.col(p) if isinstance(p, str) else p for p in parts]
    return pl.concat_str(
        [pl.when(e.str.len_chars() > 0).then(e) for e in exprs], separator="; ", ignore_nulls=True
    ).fill_null("")


def to_findings(
    frame: pl.DataFrame,
    *,
    code: str,
    ctx: AuditContext,
) -> pl.DataFrame:
    """Turn a detector's final frame into a valid Findings frame.

    The frame must have `finding_id`, `event_date`, `quantity`, `confidence`, `message`, `evidence` and
    `case_text`; it may have `sku`, `fnsku`, `asin`, `order_id`, `shipment_id`, `reference_id`, `amount`,
    `currency` (defaults to the marketplace's when there is an amount), `valuation_basis` (required with an
    amount; `none` otherwise) and `title` (usually left to the run, which fills it from every report), plus two inputs for the claim window:
    `needs_review` (bool: at most `review`, e.g. an inferred match) and `window_opens` (date: overrides the
    computed opening, e.g. the day an inbound shipment closed). Any other column is an error (it is usually a
    typo). `code`, `marketplace`, `window_opens`, `window_closes` and `status` are filled from the claim window in
    force on `ctx.as_of`; with no window known for the marketplace the status is `review` and the message says
    so. Columns come out in `FINDINGS_COLUMNS` order, sorted by finding_id, validated by the Findings model.
    """
    allowed = {*_REQUIRED_INPUT, *_DEFAULTED_INPUT, *_HELPER_INPUT}
    missing = [c for c in _REQUIRED_INPUT if c not in frame.columns]
    extra = [c for c in frame.columns if c not in allowed]
    if missing or extra:
        raise ValueError(
            f"{code}: to_findings got a frame "
            + (f"without {', '.join(missing)}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"with unexpected columns {', '.join(extra)}" if extra else "")
        )
    out = frame.with_columns(
        [pl.lit(None, dtype=FINDINGS_SCHEMA[c]).alias(c) for c in _DEFAULTED_INPUT if c not in frame.columns]
    )
    valued = pl.col("amount").is_not_null()
    unexplained = out.filter(valued & pl.col("valuation_basis").is_null())
    if unexplained.height:
        raise ValueError(f"{code}: amounts without a valuation_basis, e.g. {unexplained['finding_id'][0]}")
    out = out.with_columns(
        code=pl.lit(code),
        marketplace=pl.lit(ctx.marketplace),
        currency=pl.coalesce("currency", pl.when(valued).then(pl.lit(ctx.currency))),
        valuation_basis=pl.coalesce("valuation_basis", pl.lit("none")),
    )
    dupes = out.filter(pl.col("finding_id").is_duplicated())["finding_id"].unique().sort()
    if dupes.len():
        raise ValueError(
            f"{code}: finding_id must be unique; add a business key to tell these apart: {', '.join(dupes.head(5))}"
        )
    window = window_for(code, ctx.marketplace, ctx.as_of)
    override = pl.col("_opens") if "window_opens" in frame.columns else None
    if override is not None:
        out = out.rename({"window_opens": "_opens"})
    out = with_window(out, window, ctx.as_of, opens=override, needs_review="needs_review")
    if window is None:
        out = out.with_columns(message=pl.format("{} {}", pl.col("message"), pl.lit(no_window_message(ctx.marketplace))))
    out = out.select(
        [pl.col(c).cast(dtype) for c, dtype in FINDINGS_SCHEMA.items()]
    ).select(FINDINGS_COLUMNS).sort("finding_id")
    try:
        return Findings.validate(out, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases.select("column", "check", "failure_case").unique().sort("column", "check")
        raise ValueError(f"{code}: findings do not match the Findings model:\n{cases}") from exc


def claim_window_markdown(family: str) -> str:
    """The `{claim_window}` text for a family: one row per marketplace and period, with sources and check dates."""
    rows = windows_for_family(family)
    if not rows:
        return "No claim window is known for any marketplace: every finding is marked `review`."
    lines = [
        f"Counted from {rows[0].counts_from}. The window in force on the audit date (`--as-of`) applies; "
        "one item can have claimable, waiting and expired findings at once.",
        "",
        "| Marketplace | In force | Opens | Closes | Status | Source | Checked on |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    notes = []
    for n, w in enumerate(rows):
        later = [r for r in rows[n + 1:] if r.marketplace == w.marketplace]
        if w.effective_from is None and later:
            period = f"until {later[0].effective_from - _DAY}"
        elif w.effective_from is None:
            period = "as far back as known"
        elif later:
            period = f"{w.effective_from} to {later[0].effective_from - _DAY}"
        else:
            period = f"from {w.effective_from}"
        unit = "days" if w.closes_unit == "days" else "months"
        sources = ", ".join(f"[{i}]({u})" if u else i for i, u in w.sources)
        status = "at most `review`" if w.status_cap == "review" else "normal"
        lines.append(
            f"| {w.marketplace} | {period} | {w.opens_after_days} days after | {w.closes_after} {unit} after | "
            f"{status} | {sources} | {w.checked_on} |"
        )
        notes.append(f"- {w.marketplace}, {period}: {w.note}")
    lines += ["", *notes, "", "Marketplaces not listed have no known window: findings there are marked `review` "
              "and say so. The values live in `src/fba_audit/data/claim_windows.csv`."]
    return "\n".join(lines)


def render_doc(detector: Detector) -> str:
    """The detector's docstring with `{claim_window}` filled from policy (used by `explain` and the docs)."""
    doc = textwrap.dedent(detector.doc).strip()
    return doc.replace(CLAIM_WINDOW_PLACEHOLDER, claim_window_markdown(detector.family)) + "\n"
