"""The library entry point: audit a folder of reports. The CLI is a thin layer over `audit`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from fba_audit.context import AuditContext
from fba_audit.coverage import STATUS_FAILED, STATUS_SKIPPED, Coverage, Judged
from fba_audit.detectors import ALL_DETECTORS, BY_CODE, RUN_TOGETHER, columns_read, run_order
from fba_audit.detectors._base import Detector
from fba_audit.events import Events
from fba_audit.events.allocator import ALLOCATION_ORDER
from fba_audit.findings import FINDINGS_COLUMNS, empty_findings
from fba_audit.readiness import downloads_for
from fba_audit.reports import load_folder
from fba_audit._names import printable_name
from fba_audit.reports.marketplace import AUTO
from fba_audit.reports.model import LoadResult
from fba_audit.results import AuditResult, SkippedDetector

if TYPE_CHECKING:
    from fba_audit.reports.cache import ParseCache


class UnknownDetector(ValueError):
    pass


class MarketplaceMismatch(ValueError):
    """The marketplace asked for contradicts the reports, or the reports are from several (an input error)."""


# What the claim ledger matches Amazon's payments from (fba_audit.ledger.store._payment_events).
LEDGER_DATASETS = ("reimbursements", "transactions")


def select_detectors(select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> list[Detector]:
    """The registered detectors named by `select` (all when None) minus `ignore`, in code order."""
    chosen = {c.strip().upper() for c in select if c.strip()} if select else set(BY_CODE)
    dropped = {c.strip().upper() for c in ignore if c.strip()} if ignore else set()
    unknown = sorted((chosen | dropped) - set(BY_CODE))
    if unknown:
        known = ", ".join(BY_CODE) or "none registered"
        raise UnknownDetector(f"unknown detector code {', '.join(unknown)}; known codes: {known}")
    return [d for d in ALL_DETECTORS if d.code in chosen and d.code not in dropped]


def audit(
    folder: Path | str,
    *,
    as_of: dt.date,
    marketplace: str = AUTO,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    claimed: Iterable[str] = (),
    progress: Callable[[str, int, int], None] | None = None,
    on_findings: Callable[[str, pl.DataFrame], None] | None = None,
    for_ledger: bool = False,
    seller_country: str | None = None,
    cache: ParseCache | None = None,
) -> AuditResult:
    """Load the reports the chosen detectors need, run each detector that has them, and collect the findings.

    A detector whose reports are missing is skipped with the reason and the report to download; a detector that
    fails is skipped with the error, and the others still run. `claimed` holds finding ids already filed: they
    are left out of the result (the seller's own record of filed claims, keyed by the stable id). `on_findings`, when
    given, is called with each detector's code and findings as soon as it has run (`writers.Outputs.add` begins the
    workbook with them), from the thread that ran it: it should only hand them over. `for_ledger` also loads what the
    claim ledger reconciles with (Amazon's payments, with their `case-id`), whichever detectors run. `cache`: the
    parse cache the load uses (`reports.cache`).

    `marketplace` is `auto` (read from the reports) or a code the reports must agree with; see
    `fba_audit.reports.marketplace` for the rule. `MarketplaceMismatch` when they do not. A folder of several
    marketplaces under `auto` is audited side by side: the result's `parts` hold one result per marketplace.
    `seller_country`: where the seller's business is established (the Digital Services Fee depends on it).
    """
    # An unknown marketplace or seller country fails before the long load.
    AuditContext(as_of=as_of, marketplace="US" if marketplace.strip().lower() == AUTO else marketplace.strip(),
                 seller_country=seller_country)
    detectors = select_detectors(select, ignore)
    wanted = {d for det in detectors for d in (*det.needs, *det.optional)}
    columns = columns_read()
    if for_ledger:
        wanted |= set(LEDGER_DATASETS)
        columns = {**columns, "reimbursements": (*columns["reimbursements"], "case_id")}
    load = load_folder(folder, only=wanted, columns=columns, progress=progress, marketplace=marketplace,
                       cache=cache)
    decision = load.marketplace
    assert decision is not None
    if decision.error:
        raise MarketplaceMismatch(decision.error)
    if decision.several:
        return _run_side_by_side(load, detectors, as_of, claimed=claimed, folder=Path(folder),
                                 on_findings=on_findings, seller_country=seller_country)
    ctx = AuditContext(as_of=as_of, marketplace=decision.code or "", seller_country=seller_country)
    return run_detectors(load, detectors, ctx, claimed=claimed, folder=Path(folder), on_findings=on_findings)


def _run_side_by_side(load: LoadResult, detectors: list[Detector], as_of: dt.date, *, claimed: Iterable[str],
                      folder: Path, on_findings: Callable[[str, pl.DataFrame], None] | None,
                      seller_country: str | None = None) -> AuditResult:
    """Each marketplace of a folder of several audited on its own load, with its own context (claim windows, rate
    cards, currency), and the parts put side by side. `on_findings` gets each detector's findings once, all
    marketplaces together, after the last part (a workbook sheet per detector)."""
    assert load.marketplace is not None
    found: dict[str, list[pl.DataFrame]] = {}
    collect = None if on_findings is None else (lambda code, frame: found.setdefault(code, []).append(frame))
    parts = [run_detectors(load.parts[code], detectors,
                           AuditContext(as_of=as_of, marketplace=code, seller_country=seller_country),
                           claimed=claimed, folder=folder, on_findings=collect)
             for code in load.marketplace.codes]
    if on_findings is not None:
        for detector in detectors:
            if detector.code in found:
                on_findings(detector.code, pl.concat(found[detector.code], how="vertical").sort("finding_id"))
    findings = pl.concat([part.findings for part in parts], how="vertical").sort("finding_id")
    ran = [d.code for d in detectors if any(d.code in part.ran for part in parts)]
    failed = [d.code for d in detectors if any(d.code in part.failed for part in parts)]
    skipped = [dataclasses.replace(s, reason=f"{part.marketplace}: {s.reason}") for part in parts
               for s in part.skipped]
    return AuditResult(as_of=as_of, marketplace=",".join(load.marketplace.codes), findings=findings, ran=ran,
                       skipped=skipped, failed=failed, load=load,
                       coverage=[entry for part in parts for entry in part.coverage], parts=parts)


# Detectors are pure functions of the loaded frames, and polars releases the GIL while it works: one detector keeps
# about 1.3 of 2 cores busy, so the detectors run two at a time. A RUN_TOGETHER group runs by itself, first: the
# work its members share is the largest transient memory of the run.
DETECTOR_THREADS = 2


def run_detectors(load: LoadResult, detectors: list[Detector], ctx: AuditContext, *, claimed: Iterable[str] = (),
                  folder: Path | None = None,
                  on_findings: Callable[[str, pl.DataFrame], None] | None = None) -> AuditResult:
    where = f" in {printable_name(str(folder))}" if folder is not None else ""
    filed = list(set(claimed))

    def outcome(detector: Detector) -> Coverage | SkippedDetector:
        try:
            found = _outcome(detector, load, ctx)
        finally:  # the next detector in ALLOCATION_ORDER may take the reimbursements, whatever happened here
            assert ctx.events is not None
            ctx.events.allocator.release(detector.code)
        if isinstance(found, SkippedDetector):
            return found
        findings = with_titles(found.findings, load.titles)
        if filed:
            findings = findings.filter(~pl.col("finding_id").is_in(filed))
        if on_findings is not None:
            on_findings(detector.code, findings)
        frames[detector.code] = findings
        return Coverage.of(detector.code, detector.name, found, findings.height)

    frames: dict[str, pl.DataFrame] = {}
    outcomes: dict[str, Coverage | SkippedDetector] = {}
    runnable: list[Detector] = []
    for detector in detectors:
        missing = detector.missing(load)
        if missing:
            outcomes[detector.code] = SkippedDetector(
                detector.code, detector.name,
                f"needs {', '.join(missing)}: no usable report for it{where}",
                "; ".join(downloads_for(detector, missing)),
            )
        else:
            runnable.append(detector)
    # One set of derived tables and one reimbursement allocator for every detector of the run.
    ctx = dataclasses.replace(ctx, events=Events.for_run(load, ctx.currency, runnable))
    grouped = {code for group in RUN_TOGETHER for code in group}
    for detector in run_order([d for d in runnable if d.code in grouped]):
        outcomes[detector.code] = outcome(detector)
    others = in_allocation_order([d for d in runnable if d.code not in grouped])
    with ThreadPoolExecutor(max_workers=DETECTOR_THREADS, thread_name_prefix="fba-audit-detect") as pool:
        for detector, found in zip(others, pool.map(outcome, others)):
            outcomes[detector.code] = found
    # Reported in the order asked for, whatever order they ran in.
    ran = [d.code for d in runnable if isinstance(outcomes[d.code], Coverage)]
    failed = [d.code for d in runnable if d.code not in ran]
    skipped = [outcome for d in detectors if isinstance(outcome := outcomes[d.code], SkippedDetector)]
    coverage = [_as_coverage(outcomes[d.code], d.code in failed) for d in detectors]
    findings = (pl.concat([frames[code] for code in ran], how="vertical") if ran else empty_findings()).select(
        FINDINGS_COLUMNS).sort("finding_id")
    return AuditResult(as_of=ctx.as_of, marketplace=ctx.marketplace, findings=findings, ran=ran, skipped=skipped,
                       failed=failed, load=load, coverage=coverage)


def in_allocation_order(detectors: list[Detector]) -> list[Detector]:
    """`detectors`, the ones that net reimbursements reordered among themselves into `ALLOCATION_ORDER`: the pool's
    threads start them in this order, so a detector waiting for its turn only ever waits for one already started."""
    netting = [d for d in detectors if "reimbursements" in d.events]
    turns = iter(sorted(netting, key=lambda d: ALLOCATION_ORDER.index(d.code)))
    return [next(turns) if "reimbursements" in d.events else d for d in detectors]


def with_titles(findings: pl.DataFrame, titles: pl.DataFrame) -> pl.DataFrame:
    """`findings` (`FINDINGS_COLUMNS`, in that order) with the product title of their SKU where the detector gave
    none: attached once here rather than looked up by each of the detectors."""
    if findings.is_empty() or titles.is_empty():
        return findings.select(FINDINGS_COLUMNS)
    known = titles.select(pl.col("sku").cast(pl.String), pl.col("title").alias("_title"))
    return findings.with_columns(pl.col("sku").cast(pl.String)).join(known, on="sku", how="left").with_columns(
        title=pl.coalesce("title", "_title")).select(FINDINGS_COLUMNS).sort("finding_id")


def _as_coverage(outcome: Coverage | SkippedDetector, failed: bool) -> Coverage:
    """Every detector asked for has a coverage entry: one that did not run stands as not checked, with the reason."""
    if isinstance(outcome, Coverage):
        return outcome
    return Coverage.did_not_run(outcome.code, outcome.name, STATUS_FAILED if failed else STATUS_SKIPPED,
                                outcome.reason, outcome.download)


def _outcome(detector: Detector, load: LoadResult, ctx: AuditContext) -> Judged | SkippedDetector:
    """The detector's findings and coverage, or why it was skipped: one broken detector must not stop the others."""
    try:
        return detector.judge(load, ctx)
    except Exception as exc:  # noqa: BLE001
        return SkippedDetector(
            detector.code, detector.name,
            f"failed: {type(exc).__name__}: {exc}",
            "This is a bug in fba-audit; please report it with the traceback: "
            + traceback.format_exc(limit=3).strip().splitlines()[-1],
        )


def read_claimed(path: Path) -> list[str]:
    """Finding ids already filed: one per line, or a CSV with a `finding_id` column of filed ids.

    fba-audit's own findings.csv is refused: it lists every finding of a run (waiting and review ones too), not
    the ones filed, and reading it as filed would keep claims from ever being filed. Raises ValueError with a
    message for people.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"--claimed {path}: not a text file of finding ids. Give a list of filed finding ids (one "
                         "per line, or a CSV with a finding_id column), or the claims.xlsx staff filled in.") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    header = [cell.strip() for cell in lines[0].split(",")] if lines else []
    if "finding_id" in header:
        if {"code", "status", "case_text"} <= set(header):
            raise ValueError(f"--claimed {path}: this is fba-audit's findings.csv, which lists every finding of a "
                             "run, not the ones you filed. Give the claims.xlsx with staff's filed_on / case_id "
                             "entries, or a list of only the filed finding ids.")
        return pl.read_csv(path, infer_schema=False)["finding_id"].drop_nulls().str.strip_chars().to_list()
    return [line for line in lines if not line.startswith("#")]


__all__ = ["MarketplaceMismatch", "UnknownDetector", "audit", "read_claimed", "run_detectors", "select_detectors",
           "with_titles"]
