"""What the terminal shows: the `check` table of input files, the `run` summary, and each detector's coverage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from fba_audit._names import printable_name
from fba_audit.coverage import STATUS_RAN, STATUS_SKIPPED, Coverage
from fba_audit.findings import STATUSES
from fba_audit.ledger.view import LedgerView
from fba_audit.reports.model import FileSummary, Problem
from fba_audit.writers._common import DEADLINE_WEEK_DAYS, URGENT_STATUSES

MAX_PROBLEMS_SHOWN = 200


def _dates(summary: FileSummary) -> str:
    if summary.first_date is None:
        return ""
    if summary.first_date == summary.last_date:
        return summary.first_date.isoformat()
    return f"{summary.first_date.isoformat()} .. {summary.last_date.isoformat()}"


def files_table(files: Sequence[FileSummary]) -> Table:
    table = Table(title="Input files", show_lines=False)
    for header, justify in (("File", "left"), ("Report", "left"), ("Rows read", "right"), ("Kept", "right"),
                            ("Duplicates", "right"), ("Rejected", "right"), ("Dates", "left"),
                            ("Encoding", "left")):
        table.add_column(header, justify=justify, overflow="fold")
    for f in files:
        report = f.title or "[red]not recognised[/red]"
        # Text, not markup: a file may be called "[bold]x.txt".
        table.add_row(Text(f.file), report, f"{f.rows_read:,}", f"{f.rows_kept:,}", f"{f.duplicates:,}",
                      f"{f.rows_rejected:,}", _dates(f), f.encoding or "")
    read = sum(f.rows_read for f in files)
    kept = sum(f.rows_kept for f in files)
    dups = sum(f.duplicates for f in files)
    rejected = sum(f.rows_rejected for f in files)
    table.add_section()
    table.add_row("Total", f"{len(files)} files", f"{read:,}", f"{kept:,}", f"{dups:,}", f"{rejected:,}", "", "")
    return table


def print_problems(console: Console, problems: Sequence[Problem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    for label, group, style in (("Problems", errors, "red"), ("Warnings", warnings, "yellow")):
        if not group:
            continue
        console.print(f"\n[bold {style}]{label} ({len(group)})[/bold {style}]")
        for problem in group[:MAX_PROBLEMS_SHOWN]:
            console.print(f"  {problem}", markup=False, highlight=False)
        if len(group) > MAX_PROBLEMS_SHOWN:
            console.print(f"  ... and {len(group) - MAX_PROBLEMS_SHOWN} more (see the Input problems sheet of "
                          "`fba-audit run`).")


def findings_summary(findings: pl.DataFrame, titles: dict[str, str], marketplace: str | None = None) -> Table:
    """Claims by detector and status: count, units, value, and the nearest deadline; `marketplace` names the block
    of one marketplace in a run over several."""
    table = Table(title=f"Findings, marketplace {escape(marketplace)}" if marketplace else "Findings")
    for header, justify in (("Code", "left"), ("Detector", "left"), ("Status", "left"), ("Findings", "right"),
                            ("Units", "right"), ("Value", "right"), ("Nearest deadline", "left")):
        table.add_column(header, justify=justify)
    if findings.is_empty():
        table.add_row("", "no findings", "", "0", "0", "", "")
        return table
    order = {status: i for i, status in enumerate(STATUSES)}
    grouped = (
        findings.group_by("code", "status", "currency")
        .agg(
            pl.len().alias("findings"),
            pl.col("quantity").sum().alias("units"),
            # Findings without a basis for a value (amount empty) add nothing, and a group of only those shows none.
            pl.when(pl.col("amount").is_not_null().any()).then(pl.col("amount").sum()).alias("value"),
            pl.col("window_closes").filter(pl.col("status").is_in(["claimable", "review"])).min().alias("deadline"),
        )
        .with_columns(pl.col("status").replace_strict(order, return_dtype=pl.Int32).alias("_order"))
        .sort("code", "_order", "currency", nulls_last=True)
    )
    for row in grouped.iter_rows(named=True):
        value = "" if row["value"] is None else f"{row['value']:,.2f} {row['currency'] or ''}".strip()
        deadline = row["deadline"].isoformat() if row["deadline"] else ""
        table.add_row(row["code"], titles.get(row["code"], ""), row["status"], f"{row['findings']:,}",
                      f"{row['units']:,}", value, deadline)
    return table


def grand_total(findings: pl.DataFrame, as_of: dt.date, filed: Collection[str] = ()) -> str:
    """The run in one line: the money claimable now, per currency, and how many deadlines fall this week.

    "208.41 USD claimable now, 3 deadlines this week". A week is the audit date and the 7 days after it (the
    workbook's red deadlines and its Expiring soon sheet, which lists the same findings); a deadline is that of a
    claimable or review finding. Claimable findings without a value are counted beside the money, never hidden.
    `filed` holds the finding ids the claim ledger knows a case for: they are not money to claim now (the Cases
    sheet leaves them out too), so they are counted apart: "(2 claimable findings already filed)".
    """
    not_filed = ~pl.col("finding_id").is_in(list(filed)) if filed else pl.lit(True)
    findings = findings.with_columns(filed=~not_filed)
    claimable = findings.filter((pl.col("status") == "claimable") & ~pl.col("filed"))
    valued = claimable.filter(pl.col("amount").is_not_null())
    per_currency = valued.group_by("currency").agg(pl.col("amount").sum()).sort("currency", nulls_last=True)
    money = " + ".join(f"{amount:,.2f} {currency or ''}".rstrip() for currency, amount in per_currency.iter_rows())
    line = f"{money or 'nothing'} claimable now"
    not_valued = claimable.height - valued.height
    already = findings.filter((pl.col("status") == "claimable") & pl.col("filed")).height
    notes = ([f"+{_count(not_valued, 'claimable finding')} not valued"] if not_valued else []) + (
        [f"{_count(already, 'claimable finding')} already filed"] if already else [])
    if notes:
        line += f" ({'; '.join(notes)})"
    last_day = as_of + dt.timedelta(days=DEADLINE_WEEK_DAYS)
    due = findings.filter(pl.col("status").is_in(URGENT_STATUSES) & ~pl.col("filed")
                          & pl.col("window_closes").is_between(as_of, last_day))
    return f"{line}, {_count(due.height, 'deadline') if due.height else 'no deadlines'} this week"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def ledger_lines(console: Console, ledger: LedgerView, marketplace: str | None = None) -> None:
    """Where the ledger is, then the recovery totals in two lines (the same figures as the Summary sheet);
    `marketplace` names the block of one marketplace in a run over several."""
    closed = ", ".join(f"{n} {resolution.replace('_', ' ')}" for resolution, n in ledger.closed.items())
    console.print((f"{marketplace}: " if marketplace else "") + f"claim ledger: {ledger.location} (run "
                  f"{ledger.run_id}" + (f"; findings closed: {closed}" if closed else "") + ")", markup=False,
                  highlight=False)
    currency = ledger.currency
    console.print(f"Recovered: {ledger.recovered_this_month:,.2f} {currency} this month, "
                  f"{ledger.recovered_this_year:,.2f} {currency} this year", markup=False, highlight=False)
    rate = ledger.recovery_rate
    console.print(f"Cases: claimed {ledger.claimed_total:,.2f} {currency}, paid {ledger.paid_total:,.2f} {currency}"
                  f" (recovery rate {'-' if rate is None else f'{rate * 100:.1f} %'}), paid without a case "
                  f"{ledger.paid_without_case_total:,.2f} {currency}; {len(ledger.follow_up)} to follow up",
                  markup=False, highlight=False)


def print_staff_problems(console: Console, problems: Sequence[object]) -> None:
    """Staff entries (workbook cells, --claimed ids) that could not be used, or were used with an assumption."""
    if not problems:
        return
    console.print(f"\n[bold yellow]Staff entries to check ({len(problems)})[/bold yellow]")
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        label = "warning: " if getattr(problem, "severity", "error") == "warning" else ""
        console.print(f"  {label}{printable_name(str(problem))}", markup=False, highlight=False)


ITEMS_SHOWN = 5  # items listed per reason on the console; findings.json and the workbook list them all


def coverage_table(coverage: Sequence[Coverage], marketplace: str | None = None) -> Table:
    """What each detector judged and what it could not, with the reason and the first items (a skipped or failed
    detector is one row, with why it did not run); `marketplace` names the block of one marketplace."""
    title = "Coverage: what each detector judged, and what it could not"
    table = Table(title=f"{title}, marketplace {escape(marketplace)}" if marketplace else title)
    for header, justify in (("Code", "left"), ("Detector", "left"), ("Judged", "right"), ("Findings", "right"),
                            ("Not checked", "right"), ("Why not checked", "left")):
        table.add_column(header, justify=justify, overflow="fold")
    for entry in coverage:
        if entry.status != STATUS_RAN:
            reason = entry.not_checked[0].reason if entry.not_checked else ""
            why = [reason if reason.startswith(entry.status) else f"{entry.status}: {reason}"]
            if entry.download:
                why.append(("Download: " if entry.status == STATUS_SKIPPED else "") + entry.download)
            table.add_row(entry.code, entry.name, "-", "-", "all", escape("\n".join(why)))
            continue
        reasons = [f"{r.count} {r.reason}: {', '.join(r.items[:ITEMS_SHOWN])}"
                   + (f" ... and {len(r.items) - ITEMS_SHOWN} more" if len(r.items) > ITEMS_SHOWN else "")
                   for r in entry.not_checked]
        notes = [f"Note: {note}" for note in entry.notes]
        table.add_row(entry.code, escape(f"{entry.name}\n(items: {entry.item})"), f"{entry.judged:,}",
                      f"{entry.findings:,}",
                      f"{entry.not_checked_count:,}", escape("\n".join(reasons + notes)))
    return table
