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
    # Logs of CI jobs are not terminals: give tables room instead of rich's 80-column default.
    probe = Console()
    return Console(highlight=False, width=None if probe.is_terminal else 160)


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


def _codes(value: str | None) -> list[str] | None:
    return [c for c in value.split(",") if c.strip()] if value else None


@app.command()
def run(
    reports_dir: ReportsDir,
    out: Annotated[Path, typer.Option("--out", help="Folder for claims.xlsx, findings.json and findings.csv "
                                                    "(created if missing).", file_okay=False)],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Audit date (YYYY-MM-DD): the day you would file "
                                                              "the claims. Default: today.")] = None,
    select: Annotated[str | None, typer.Option("--select", help="Only these detectors, e.g. FBA02,FBA07.")] = None,
    ignore: Annotated[str | None, typer.Option("--ignore", help="Skip these detectors, e.g. FBA10.")] = None,
    marketplace: Annotated[str, typer.Option("--marketplace", help="Marketplace code: US, CA, UK, DE, JP, ...")] = "US",
    fail_on_findings: Annotated[bool, typer.Option("--fail-on-findings",
                                                   help="Exit 1 when at least one finding is claimable "
                                                        "(for CI jobs).")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Workbook language: en or zh (case texts stay "
                                                     "English).")] = "en",
    per_case: Annotated[int, typer.Option("--per-case", min=1, help="At most this many findings per case.")] = 5,
    claimed: Annotated[Path | None, typer.Option("--claimed", exists=True, dir_okay=False,
                                                 help="Finding ids already filed (one per line, or a CSV "
                                                      "with a finding_id column): left out.")] = None,
) -> None:
    """Audit a folder of reports and write the claim workbook, findings.json and findings.csv.

    Exit status: 0 when the run succeeded (findings or not); 1 with --fail-on-findings when at least one finding
    is claimable; 2 when the input or the options are unusable.
    """
    import datetime as dt

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from fba_audit._memory import configure_allocator, reports_size

    configure_allocator(reports_size(reports_dir))  # before polars is imported: a big account keeps freed pages longer
    from fba_audit.api import UnknownDetector, audit, read_claimed
    from fba_audit.detectors import ALL_DETECTORS
    from fba_audit.writers import Outputs
    from fba_audit.writers.console import files_table, findings_summary, print_problems, skipped_lines

    console = _console()
    err = Console(stderr=True, highlight=False)
    try:
        audit_date = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        err.print(f"--as-of {as_of!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-22.")
        raise typer.Exit(Exit.ERROR)
    if lang not in ("en", "zh"):
        err.print(f"--lang {lang!r}: use en or zh.")
        raise typer.Exit(Exit.ERROR)
    titles = {d.code: d.title for d in ALL_DETECTORS}
    with Progress(TextColumn("Reading {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar, \
            Outputs(out, lang=lang, per_case=per_case, detector_titles=titles) as outputs:
        task = bar.add_task("reports", total=None)

        def progress(name: str, number: int, total: int) -> None:
            bar.update(task, description=name, completed=number - 1, total=total)

        try:
            result = audit(reports_dir, as_of=audit_date, marketplace=marketplace, select=_codes(select),
                           ignore=_codes(ignore), claimed=read_claimed(claimed) if claimed else (),
                           progress=progress, on_findings=outputs.add)
        except (UnknownDetector, ValueError) as exc:
            err.print(str(exc))
            raise typer.Exit(Exit.ERROR)
        load = result.load
        usable = [f for f in load.files if f.kind is not None]
        if not usable:
            console.print(files_table(load.files))
            print_problems(console, load.problems)
            err.print(f"No Seller Central report recognised in {reports_dir}; nothing to audit.")
            raise typer.Exit(Exit.ERROR)
        written = outputs.finish(result)
    console.print(files_table(load.files))
    print_problems(console, load.problems)
    skipped_lines(console, result.skipped)
    console.print()
    console.print(findings_summary(result.findings, titles))
    for path in written.values():
        console.print(f"wrote {path}")
    if result.failed:
        raise typer.Exit(Exit.ERROR)
    claimable = (result.findings["status"] == "claimable").sum() if fail_on_findings else 0
    raise typer.Exit(Exit.FINDINGS if claimable else Exit.OK)


@app.command()
def detectors() -> None:
    """List the detectors: code, name, and the reports each needs."""
    from rich.table import Table

    from fba_audit.detectors import ALL_DETECTORS

    table = Table(title="Detectors")
    for header in ("Code", "Name", "Finds", "Needs", "Uses when present"):
        table.add_column(header, overflow="fold")
    for detector in ALL_DETECTORS:
        table.add_row(detector.code, detector.name, detector.title, ", ".join(detector.needs),
                      ", ".join(detector.optional))
    _console().print(table)


@app.command()
def explain(code: Annotated[str, typer.Argument(help="Detector code, e.g. FBA07.")]) -> None:
    """Print one detector's documentation: what it finds, why Amazon owes you, evidence, claim window."""
    from fba_audit.detectors import BY_CODE
    from fba_audit.detectors._base import render_doc

    detector = BY_CODE.get(code.strip().upper())
    if detector is None:
        typer.echo(f"Unknown detector {code!r}. Run `fba-audit detectors` for the list.", err=True)
        raise typer.Exit(Exit.ERROR)
    typer.echo(f"{detector.code} ({detector.name})\n\n{render_doc(detector)}")


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the simulated account into (created if missing).",
                                            file_okay=False)],
    skus: Annotated[int, typer.Option("--skus", min=1, help="Number of SKUs.")] = 50,
    months: Annotated[int, typer.Option("--months", min=1, max=24, help="Months of history.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed writes the same bytes.")] = 1,
    marketplace: Annotated[str, typer.Option("--marketplace", help="Marketplace (US only for now).")] = "US",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Audit date the truth is computed for "
                                                              "(YYYY-MM-DD). Default: 2026-11-22.")] = None,
) -> None:
    """Write a simulated seller account with known truth: every report kind in Amazon's formats, plus truth.json
    listing every planted claim and trap (for accuracy tests and benchmarks)."""
    import datetime as dt

    from fba_audit.simulate import simulate as write_account

    err = Console(stderr=True, highlight=False)
    try:
        audit_date = dt.date.fromisoformat(as_of) if as_of else None
        summary = write_account(out_dir, skus=skus, months=months, seed=seed, marketplace=marketplace,
                                as_of=audit_date)
    except ValueError as exc:
        err.print(str(exc))
        raise typer.Exit(Exit.ERROR)
    console = _console()
    console.print(f"wrote {len(summary.files)} files ({summary.bytes_written:,} bytes) to {out_dir}, "
                  f"{summary.start} to {summary.end}; truth in {summary.truth_path}")
    console.print("planted claims: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.claims.items())))
    console.print("planted traps: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.traps.items())))
