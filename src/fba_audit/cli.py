"""The `fba-audit` command: thin, it parses options, calls the library, prints, and picks an exit code."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fba_audit import __version__

app = typer.Typer(
    help="Find the money Amazon owes you in your Seller Central FBA report exports.",
    no_args_is_help=True,
    add_completion=False,
)


class Exit(IntEnum):
    OK = 0  # ran (findings or not)
    FINDINGS = 1  # --fail-on-findings and at least one claimable finding
    ERROR = 2  # unusable input or options


ReportsDir = Annotated[
    Path,
    typer.Argument(help="Folder with your Seller Central report downloads (zipped or not; sub-folders are read).",
                   exists=True, file_okay=False, dir_okay=True, readable=True),
]


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False, width=None)


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        typer.echo(f"fba-audit {__version__}")
        raise typer.Exit()


@app.command()
def check(reports_dir: ReportsDir) -> None:
    """Check a folder of reports: what each file is, rows read/kept/duplicate/rejected, and every problem.

    Exit status 0 when every file was usable, 2 when any file (or row) was not; the other files are still
    checked. Recognised reports: Inventory Ledger (detailed view), legacy Inventory Adjustments and Received
    Inventory, FBA customer returns, Reimbursements, Fee Preview, settlement flat files V1 and V2, Date Range
    transaction reports, All Orders, inbound shipments (Fulfillment Inbound API JSON or CSV) and your own
    products.csv.
    """
    from fba_audit.readiness import detector_readiness
    from fba_audit.reports import load_folder
    from fba_audit.writers.console import files_table, print_problems

    console = _console()
    result = load_folder(reports_dir)
    console.print(files_table(result.files))
    print_problems(console, result.problems)
    console.print()
    console.print(detector_readiness(result))
    unusable = [p for p in result.problems if p.severity == "error"]
    raise typer.Exit(Exit.ERROR if unusable else Exit.OK)
