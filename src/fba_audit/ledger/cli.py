"""`fba-audit ledger ...`: the claim ledger for staff who want an overview, a CSV, or to record a case by hand."""

from __future__ import annotations

import csv
import datetime as dt
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True, add_completion=False)

LedgerOption = Annotated[str | None, typer.Option("--ledger", help="A SQLite file or a postgresql:// URL. Default: "
                                                  "$FBA_AUDIT_LEDGER, else ledger.sqlite3 in your user data "
                                                  "folder.")]
ERROR = 2


def _open(target: str | None):
    from fba_audit.ledger.store import open_ledger

    try:
        return open_ledger(target)
    except ValueError as exc:
        Console(stderr=True, highlight=False).print(str(exc), markup=False)
        raise typer.Exit(ERROR)


def _command_line() -> str:
    return "fba-audit " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])


@app.command()
def status(ledger: LedgerOption = None,
           marketplace: Annotated[str | None, typer.Option("--marketplace", help="Only this marketplace.")] = None
           ) -> None:
    """Cases by detector and month filed: claimed, paid, and how many are open, paid, partly paid, denied."""
    console = Console(highlight=False, width=160)
    with _open(ledger) as book:
        rows = book.status(marketplace.upper() if marketplace else None)
        console.print(f"claim ledger: {book.location}", markup=False)
    table = Table(title="Cases by detector and month filed")
    headers = ("Code", "Month", "Cases", "Claimed", "Paid", "Open", "Paid in full", "Partly paid", "Reversed",
               "Denied", "Not filing")
    for header in headers:
        table.add_column(header, justify="left" if header in ("Code", "Month") else "right")
    for row in rows:
        table.add_row(row["code"], row["month"], str(row["cases"]), f"{row['claimed']:,.2f}", f"{row['paid']:,.2f}",
                      str(row["open"]), str(row["paid_cases"]), str(row["partly_paid"]), str(row["reversed"]),
                      str(row["denied"]), str(row["not_filing"]))
    if not rows:
        table.add_row("", "no cases recorded", *[""] * (len(headers) - 2))
    console.print(table)


EXPORT_COLUMNS = ("finding_id", "code", "marketplace", "sku", "fnsku", "asin", "order_id", "shipment_id",
                  "first_seen", "last_seen", "last_status", "last_amount", "currency", "resolution", "resolved_on",
                  "case_id", "filed_on", "outcome", "state", "claimed", "reimbursed", "reimbursed_on",
                  "paid_to_finding", "notes")


@app.command()
def export(out: Annotated[Path, typer.Argument(help="The CSV file to write.", dir_okay=False)],
           ledger: LedgerOption = None) -> None:
    """Every finding the ledger knows, with its case and what Amazon paid, as CSV (UTF-8, formula-safe)."""
    from fba_audit.writers._common import atomic_write, plain_value
    from fba_audit.writers.csv_out import defuse_formula

    with _open(ledger) as book:
        rows = book.export_rows()

    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\r\n")
            writer.writerow(EXPORT_COLUMNS)
            for row in rows:
                cells = []
                for name in EXPORT_COLUMNS:
                    value = plain_value(row[name])
                    cells.append("" if value is None else defuse_formula(value) if isinstance(value, str)
                                 and name not in ("last_amount", "claimed", "reimbursed", "paid_to_finding")
                                 else value)
                writer.writerow(cells)

    atomic_write(out, write)
    typer.echo(f"wrote {len(rows)} findings to {out}")


@app.command("import")
def import_(workbook: Annotated[Path, typer.Argument(help="A claims.xlsx with staff's filed_on / case_id / outcome "
                                                          "/ notes entries.", exists=True, dir_okay=False)],
            ledger: LedgerOption = None) -> None:
    """Read staff's entries from a claims workbook into the ledger. Exit status 2 when a cell could not be used
    (every other entry is still imported)."""
    from fba_audit.writers.console import print_staff_problems

    console = Console(highlight=False, width=160)
    with _open(ledger) as book:
        try:
            problems = book.import_workbook(workbook, source=_command_line())
        except ValueError as exc:
            Console(stderr=True, highlight=False).print(str(exc), markup=False)
            raise typer.Exit(ERROR)
        console.print(f"imported staff entries from {workbook} into {book.location}", markup=False)
    print_staff_problems(console, problems)
    raise typer.Exit(ERROR if any(p.severity == "error" for p in problems) else 0)


@app.command()
def case(
    finding_ids: Annotated[list[str], typer.Argument(help="The finding ids the case covers.")],
    case_id: Annotated[str | None, typer.Option("--case-id", help="Amazon's case id (10 or 11 digits).")] = None,
    filed_on: Annotated[str | None, typer.Option("--filed-on", help="YYYY-MM-DD. Default: today.")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="filed, reimbursed, denied or 'not filing'.")
                       ] = None,
    notes: Annotated[str | None, typer.Option("--notes")] = None,
    ledger: LedgerOption = None,
) -> None:
    """Record a case by hand (for staff who do not use the workbook)."""
    from fba_audit.ledger.staff import CASE_ID, OUTCOME_LABELS
    from fba_audit.writers.console import print_staff_problems

    err = Console(stderr=True, highlight=False)
    try:
        filed = dt.date.fromisoformat(filed_on) if filed_on else None
    except ValueError:
        err.print(f"--filed-on {filed_on!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-25.", markup=False)
        raise typer.Exit(ERROR)
    if case_id is not None and not CASE_ID.match(case_id.strip()):
        err.print(f"--case-id {case_id!r} is not an Amazon case id: 10 or 11 digits, as Seller Central's case log "
                  "shows it.", markup=False)
        raise typer.Exit(ERROR)
    chosen = OUTCOME_LABELS.get(outcome.strip().lower()) if outcome else None
    if outcome and chosen is None:
        err.print(f"--outcome {outcome!r}: use filed, reimbursed, denied or 'not filing'.", markup=False)
        raise typer.Exit(ERROR)
    console = Console(highlight=False, width=160)
    with _open(ledger) as book:
        problems = book.record_case(finding_ids=finding_ids, case_id=case_id.strip() if case_id else None,
                                    filed_on=filed or dt.date.today(), outcome=chosen, notes=notes,
                                    source=_command_line())
    print_staff_problems(console, problems)
    if any(p.severity == "error" for p in problems):
        raise typer.Exit(ERROR)
    console.print(f"recorded case {case_id or '(no case id yet)'} for {', '.join(finding_ids)}", markup=False)
