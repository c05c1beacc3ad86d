"""What the terminal shows: the `check` table of input files, and the `run` summary."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from fba_audit.reports.model import FileSummary, Problem

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
        table.add_row(f.file, report, f"{f.rows_read:,}", f"{f.rows_kept:,}", f"{f.duplicates:,}",
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
    warnings = [p for p in problems if p.severity != "error"]
    for label, group, style in (("Problems", errors, "red"), ("Warnings", warnings, "yellow")):
        if not group:
            continue
        console.print(f"\n[bold {style}]{label} ({len(group)})[/bold {style}]")
        for problem in group[:MAX_PROBLEMS_SHOWN]:
            console.print(f"  {problem}", markup=False, highlight=False)
        if len(group) > MAX_PROBLEMS_SHOWN:
            console.print(f"  ... and {len(group) - MAX_PROBLEMS_SHOWN} more (see the Input problems sheet of "
                          "`fba-audit run`).")
