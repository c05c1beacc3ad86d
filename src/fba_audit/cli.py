"""The `fba-audit` command: thin, it parses options, calls the library, prints, and picks an exit code.

CI jobs read the exit status: 1 means "claimable findings" (with --fail-on-findings) and nothing else, so every
error, an unexpected one included, is 2 with one line saying what went wrong (`main`); the traceback goes to a
log file, or to the terminal with --debug.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fba_audit import __version__
from fba_audit._names import printable_name
from fba_audit.context import MARKETPLACE_CURRENCY

app = typer.Typer(
    help="Find the money Amazon owes you in your Seller Central FBA report exports.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


# From this size of reports on, `run` writes the workbook in a process of its own while the detectors run; below it,
# in the run's process after them: a second interpreter costs about 0.5 s of CPU in imports, more than the whole
# workbook of a small account (docs/performance.md).
WORKBOOK_PROCESS_FROM_BYTES = 50 * 1024**2


class Exit(IntEnum):
    OK = 0  # ran (findings or not)
    FINDINGS = 1  # --fail-on-findings and at least one claimable finding
    ERROR = 2  # unusable input or options


MarketplaceOption = Annotated[
    str, typer.Option("--marketplace", help="auto (read it from the reports), or a code the reports must agree "
                                            "with: US, CA, UK, DE, JP, ... A folder with reports of several "
                                            "marketplaces needs a code: the other marketplaces' files are then "
                                            "left out.")]

SellerCountryOption = Annotated[
    str | None, typer.Option("--seller-country", help="The country your business is established in (two letters, "
                                                      "e.g. CN, UK, DE, US): the Digital Services Fee depends on it. "
                                                      "Without it, DSF lines are listed as not checked.")]

ReportsDir = Annotated[
    Path,
    typer.Argument(help="Folder with your Seller Central report downloads (zipped or not; sub-folders are read).",
                   exists=True, file_okay=False, dir_okay=True, readable=True),
]


def _errors() -> Console:
    # Messages are single lines (soft_wrap): a CI log or a script reading stderr gets each one whole. Not markup:
    # they quote paths and values, which may hold brackets.
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _console() -> Console:
    # Logs of CI jobs are not terminals: give tables room instead of rich's 80-column default.
    probe = Console()
    return Console(highlight=False, width=None if probe.is_terminal else 160)


def _print_version(value: bool) -> None:
    # An eager option's callback runs while the options are parsed, before the group asks for a command.
    if value:
        typer.echo(f"fba-audit {__version__}")
        raise typer.Exit()


class _Settings:
    debug = False  # --debug: an unexpected error prints its traceback instead of one line


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", is_eager=True,
                                          callback=_print_version, expose_value=False)] = False,
    debug: Annotated[bool, typer.Option("--debug", help="On an unexpected error, print the whole traceback "
                                                        "(otherwise it goes to a log file).")] = False,
) -> None:
    _Settings.debug = debug


def main(args: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status: 0, 1 (claimable findings) or 2 (any error)."""
    _Settings.debug = False
    args = list(args) if args is not None else sys.argv[1:]
    try:
        # Not standalone: click would exit 1 on an abort and typer would let an unexpected error out as a
        # traceback with status 1, which a CI job reads as "findings".
        status = app(args=args, prog_name="fba-audit", standalone_mode=False)
    except typer.exceptions.TyperException as exc:  # click's usage errors: a bad option or argument
        exc.show()
        return Exit.ERROR
    except typer.Abort:
        return Exit.ERROR
    except SystemExit as exc:  # typer exits 1 when stdout is a closed pipe; no findings were judged then
        return Exit.ERROR if exc.code == 1 else exc.code
    except Exception as exc:  # noqa: BLE001 - whatever it was, one line and exit 2
        return _crashed(exc, args)
    return status if isinstance(status, int) else Exit.OK


def _crashed(exc: BaseException, args: list[str]) -> int:
    err = _errors()
    summary = printable_name(f"{type(exc).__name__}: {exc}".splitlines()[0])[:300]
    if _Settings.debug:
        traceback.print_exception(exc)
        err.print(f"fba-audit: unexpected error: {summary}")
        return Exit.ERROR
    details = "`fba-audit --debug COMMAND ...` prints them here"
    try:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        fd, log = tempfile.mkstemp(prefix=f"fba-audit-error-{stamp}-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(f"fba-audit {__version__}, Python {sys.version.split()[0]}\n")
            handle.write(f"command: fba-audit {' '.join(printable_name(a) for a in args)}\n\n")
            handle.write("".join(traceback.format_exception(exc)))
        details = f"details in {log}; {details}"
    except OSError:
        pass
    err.print(f"fba-audit: unexpected error: {summary} ({details}).")
    return Exit.ERROR


def _shown(path: Path) -> str:
    return printable_name(str(path))


def _nothing_recognised(reports_dir: Path) -> None:
    """The same rule for `check` and `run`: a folder without any report is an error, not an empty success."""
    _errors().print(
        f"No Seller Central report recognised in {_shown(reports_dir)}; nothing to audit. Put the report "
        "downloads in it (see `fba-audit check --help` for the list).")
    raise typer.Exit(Exit.ERROR)

CacheOption = Annotated[
    Path | None, typer.Option("--cache", file_okay=False,
                              help="Folder of the parse cache: files read before with the same content are not "
                                   "parsed again. Default: $FBA_AUDIT_CACHE, else parse-cache in your user data "
                                   "folder (beside the claim ledger).")]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Parse every file, and keep nothing for the next "
                                                                "run.")]


def _open_cache(folder: Path | None, disabled: bool):
    """The run's parse cache (`reports.cache`), or None. A cache folder that cannot be used is said, not fatal."""
    if disabled:
        if folder is not None:
            _errors().print("--cache and --no-cache: give one of them.")
            raise typer.Exit(Exit.ERROR)
        return None
    from fba_audit.reports.cache import CacheError, ParseCache, default_location

    try:
        return ParseCache(folder if folder is not None else default_location())
    except CacheError as exc:
        _errors().print(f"{printable_name(str(exc))}; every file is parsed (use --cache DIR or --no-cache).",
                        markup=False)
        return None


def _cache_line(console: Console, cache, files) -> None:
    """Which files came from the parse cache (unchanged since a run parsed them), and where it is."""
    if cache is None or not cache.hits:
        return
    names = sorted(f.file for f in files if f.cached)
    console.print(f"From the parse cache {_shown(cache.folder)} ({len(names)} of {len(files)} files, unchanged "
                  f"since a run parsed them): {', '.join(printable_name(n) for n in names)}", markup=False,
                  highlight=False)


@app.command()
def check(
    reports_dir: ReportsDir,
    marketplace: MarketplaceOption = "auto",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Audit date (YYYY-MM-DD) the detectors judge on "
                                                              "for the coverage table. Default: today.")] = None,
    seller_country: SellerCountryOption = None,
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Check a folder of reports: what each file is, rows read/kept/duplicate/rejected, every problem, and what each
    detector could judge on them (and what not, with the reason).

    Exit status 0 when every file was usable, 2 when any file (or row) was not; the other files are still
    checked. Recognised reports: Inventory Ledger (detailed view), legacy Inventory Adjustments and Received
    Inventory, FBA customer returns, Reimbursements, Fee Preview, settlement flat files V1 and V2, Date Range
    transaction reports, All Orders, inbound shipments (Fulfillment Inbound API JSON or CSV) and your own
    products.csv.
    """
    from fba_audit.api import run_detectors
    from fba_audit.context import AuditContext
    from fba_audit.detectors import ALL_DETECTORS, columns_read
    from fba_audit.readiness import detector_readiness
    from fba_audit.reports import load_folder
    from fba_audit.writers.console import coverage_table, files_table, print_problems

    console = _console()
    err = _errors()
    if marketplace.strip().lower() != "auto" and marketplace.strip().upper() not in MARKETPLACE_CURRENCY:
        err.print(f"--marketplace {marketplace!r}: use auto or one of {', '.join(sorted(MARKETPLACE_CURRENCY))}.")
        raise typer.Exit(Exit.ERROR)
    try:
        audit_date = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        err.print(f"--as-of {as_of!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-22.")
        raise typer.Exit(Exit.ERROR)
    country = _seller_country(seller_country)
    parse_cache = _open_cache(cache, no_cache)
    result = load_folder(reports_dir, marketplace=marketplace, cache=parse_cache)
    console.print(files_table(result.files))
    _cache_line(console, parse_cache, result.files)
    print_problems(console, result.problems)
    console.print()
    console.print(detector_readiness(result))
    decision = result.marketplace
    if decision is not None and decision.error:
        err.print(decision.error, markup=False)
    elif decision is not None:
        console.print(decision.note, markup=False)
    if not any(f.kind is not None for f in result.files):
        _nothing_recognised(reports_dir)
    unusable = [p for p in result.problems if p.severity == "error"] or (decision is not None and decision.error)
    if decision is not None and decision.codes and not decision.error:
        # The detectors read the compact load an audit makes (the columns they use), not the full one checked above.
        compact = load_folder(reports_dir, columns=columns_read(), marketplace=marketplace,
                              cache=parse_cache)
        for code in decision.codes:
            part = compact.parts.get(code, compact)
            ctx = AuditContext(as_of=audit_date, marketplace=code, seller_country=country)
            console.print()
            console.print(coverage_table(run_detectors(part, list(ALL_DETECTORS), ctx, folder=reports_dir).coverage,
                                         marketplace=_marketplace_label(code) if decision.several else None))
    raise typer.Exit(Exit.ERROR if unusable else Exit.OK)


def _seller_country(value: str | None) -> str | None:
    """--seller-country checked (exit 2 with what to write), or None when not given."""
    from fba_audit.digital_services_fee import seller_country

    try:
        return None if value is None else seller_country(value)
    except ValueError as exc:
        _errors().print(f"--seller-country: {exc}.", markup=False)
        raise typer.Exit(Exit.ERROR)


def _marketplace_label(code: str) -> str:
    return f"{code} ({MARKETPLACE_CURRENCY[code]})" if code in MARKETPLACE_CURRENCY else code


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
    marketplace: MarketplaceOption = "auto",
    seller_country: SellerCountryOption = None,
    fail_on_findings: Annotated[bool, typer.Option("--fail-on-findings",
                                                   help="Exit 1 when at least one finding is claimable "
                                                        "(for CI jobs).")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Workbook language: en or zh (case texts stay "
                                                     "English).")] = "en",
    per_case: Annotated[int, typer.Option("--per-case", min=1, help="At most this many findings per case.")] = 5,
    claimed: Annotated[Path | None, typer.Option("--claimed", exists=True, dir_okay=False,
                                                 help="Record these findings as filed in the claim ledger: a list "
                                                      "of finding ids (one per line, or a CSV with a finding_id "
                                                      "column), or a claims.xlsx staff filled in.")] = None,
    ledger: Annotated[str | None, typer.Option("--ledger", help="The claim ledger: a SQLite file, or a "
                                               "postgresql://user@host/database URL. Default: $FBA_AUDIT_LEDGER, "
                                               "else ledger.sqlite3 in your user data folder (printed after "
                                               "the run).")] = None,
    no_ledger: Annotated[bool, typer.Option("--no-ledger", help="Do not read or record the claim ledger (a "
                                            "one-off look at a folder).")] = False,
    cache: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Audit a folder of reports and write the claim workbook, findings.json and findings.csv.

    The run is recorded in the claim ledger: staff's entries in the claims.xlsx already in --out are read back
    first (the old workbook is kept as a dated backup), Amazon's payments are matched to filed cases, and filed
    findings are never offered again as new claims.

    Exit status: 0 when the run succeeded (findings or not); 1 with --fail-on-findings when at least one claimable
    finding is not filed yet; 2 when the input, the options, the output folder or the ledger are unusable, or
    anything else failed.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from fba_audit._memory import configure_allocator, reports_size

    size = reports_size(reports_dir)
    configure_allocator(size)  # before polars is imported: a big account keeps freed pages longer
    import polars as pl

    from fba_audit.api import UnknownDetector, audit
    from fba_audit.detectors import ALL_DETECTORS
    from fba_audit.ledger.run import LedgerRun
    from fba_audit.writers import OutputFolderError, Outputs, WorkbookWriterError, check_output_folder
    from fba_audit.writers.console import (
        coverage_table,
        files_table,
        findings_summary,
        grand_total,
        ledger_lines,
        print_problems,
        print_staff_problems,
    )

    console = _console()
    err = _errors()
    try:
        audit_date = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        err.print(f"--as-of {as_of!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-22.")
        raise typer.Exit(Exit.ERROR)
    if lang not in ("en", "zh"):
        err.print(f"--lang {lang!r}: use en or zh.")
        raise typer.Exit(Exit.ERROR)
    country = _seller_country(seller_country)
    try:
        check_output_folder(out)  # before the audit, which can take a while
    except OutputFolderError as exc:
        err.print(f"--out {exc}")
        raise typer.Exit(Exit.ERROR)
    titles = {d.code: d.title for d in ALL_DETECTORS}
    parse_cache = _open_cache(cache, no_cache)
    try:
        record = LedgerRun.start(None if no_ledger else ledger, out, claimed=claimed, disabled=no_ledger,
                                 reports_dir=reports_dir,
                                 known_hash=parse_cache.known_hash if parse_cache is not None else None)
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        err.print(printable_name(str(exc)), markup=False)
        raise typer.Exit(Exit.ERROR)
    with record, Progress(TextColumn("Reading {task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar, \
            Outputs(out, lang=lang, per_case=per_case, detector_titles=titles, staff=record.staff,
                    own_process=size >= WORKBOOK_PROCESS_FROM_BYTES) as outputs:
        task = bar.add_task("reports", total=None)

        def progress(name: str, number: int, total: int) -> None:
            bar.update(task, description=name, completed=number - 1, total=total)

        try:
            result = audit(reports_dir, as_of=audit_date, marketplace=marketplace, select=_codes(select),
                           ignore=_codes(ignore), progress=progress, on_findings=outputs.add,
                           for_ledger=record.enabled, seller_country=country, cache=parse_cache)
        except (UnknownDetector, ValueError) as exc:
            err.print(str(exc), markup=False)
            raise typer.Exit(Exit.ERROR)
        load = result.load
        usable = [f for f in load.files if f.kind is not None]
        if not usable:
            console.print(files_table(load.files))
            print_problems(console, load.problems)
            _nothing_recognised(reports_dir)
        try:
            result.ledger = record.finish(result, reports_dir)  # before any output is replaced
        except ValueError as exc:
            err.print(printable_name(str(exc)), markup=False)
            raise typer.Exit(Exit.ERROR)
        try:
            written = outputs.finish(result)
        except OSError as exc:
            # Disk full, or the folder changed under the run: the three files are one set, the old one stays.
            err.print(f"cannot write the outputs into {_shown(out)}: {printable_name(str(exc))}. Nothing was "
                      "replaced: the files there are those of the previous run, if any.")
            raise typer.Exit(Exit.ERROR)
        except WorkbookWriterError as exc:
            if _Settings.debug and exc.details:
                err.print(exc.details, markup=False)
            err.print(f"{printable_name(str(exc)).rstrip('.')}. Nothing in {_shown(out)} was replaced.", markup=False)
            raise typer.Exit(Exit.ERROR)
    console.print(files_table(load.files))
    _cache_line(console, parse_cache, load.files)
    print_problems(console, load.problems)
    if load.marketplace is not None:
        console.print(load.marketplace.note, markup=False)
    filed = result.ledger.cases if result.ledger is not None else {}
    # One block per marketplace audited (a folder of several is audited side by side): money per currency, never
    # added up across marketplaces.
    for part in result.by_marketplace():
        label = _marketplace_label(part.marketplace) if result.parts else None
        console.print()
        console.print(findings_summary(part.findings, titles, marketplace=label))
        console.print((f"{label}: " if label else "") + grand_total(part.findings, result.as_of, filed),
                      style="bold", markup=False, highlight=False)
        console.print()
        console.print(coverage_table(part.coverage, marketplace=label))
    if result.parts:
        console.print(f"All marketplaces ({', '.join(result.marketplaces)}): "
                      + grand_total(result.findings, result.as_of, filed), style="bold", markup=False,
                      highlight=False)
    for path in written.values():
        console.print(f"wrote {_shown(path)}", markup=False)
    if record.backup is not None:
        console.print(f"kept the previous workbook, with staff's entries, as {_shown(record.backup)}", markup=False)
    if result.ledger is not None:
        print_staff_problems(console, result.ledger.import_problems)
        for part in result.by_marketplace():
            if part.ledger is not None:
                ledger_lines(console, part.ledger, _marketplace_label(part.marketplace) if result.parts else None)
    if result.failed:
        raise typer.Exit(Exit.ERROR)
    claimable = record.new_claimable(result) if fail_on_findings else 0
    raise typer.Exit(Exit.FINDINGS if claimable else Exit.OK)


def _ledger_app() -> typer.Typer:
    from fba_audit.ledger.cli import app as ledger_app

    return ledger_app


app.add_typer(_ledger_app(), name="ledger", help="The claim ledger: status, export, import of staff's workbook, "
                                                 "and recording a case by hand.")


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
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty (files of the same "
                                                        "names are replaced).")] = False,
    shape: Annotated[list[str] | None, typer.Option(
        "--shape", help="Add an account shape real folders have (repeat it, or give several separated by commas): "
        "split-shipments, unit-spellings, duplicate-products, fee-corrections, sparse-returns, mfn-orders, "
        "promotions, legacy-adjustments, date-range-only; or realistic for all of them.")] = None,
    discrepancy_rate: Annotated[float | None, typer.Option(
        "--discrepancy-rate", min=0.0, max=0.2,
        help="About this many planted findings per order item, e.g. 0.025 (25,000 per million order items): more "
             "customer-side stories (refunds, returns and their settlement lines). Default: a few per thousand "
             "SKUs.")] = None,
) -> None:
    """Write a simulated seller account with known truth: every report kind in Amazon's formats, plus truth.json
    listing every planted claim and trap (for accuracy tests and benchmarks)."""
    from fba_audit.simulate import simulate as write_account

    err = _errors()
    held = sorted(p.name for p in out_dir.iterdir()) if out_dir.is_dir() else []
    if held and not force:
        # A seller's own products.csv or reports would be silently replaced by simulated ones.
        err.print(f"{_shown(out_dir)} is not empty ({len(held)} entries, e.g. {printable_name(held[0])}); simulate "
                  "writes a whole account there. Choose an empty or new folder, or pass --force to write into it "
                  "anyway.")
        raise typer.Exit(Exit.ERROR)
    try:
        audit_date = dt.date.fromisoformat(as_of) if as_of else None
        summary = write_account(out_dir, skus=skus, months=months, seed=seed, marketplace=marketplace,
                                as_of=audit_date, shapes=shape, discrepancy_rate=discrepancy_rate)
    except ValueError as exc:
        err.print(str(exc))
        raise typer.Exit(Exit.ERROR)
    console = _console()
    console.print(f"wrote {len(summary.files)} files ({summary.bytes_written:,} bytes) to {_shown(out_dir)}, "
                  f"{summary.start} to {summary.end}; truth in {_shown(summary.truth_path)}",
                  markup=False)
    console.print("planted claims: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.claims.items())))
    console.print("planted traps: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.traps.items())))
    if summary.shapes:
        console.print("account shapes: " + ", ".join(s.replace("_", "-") for s in summary.shapes))


@app.command()
def batch(
    accounts_dir: Annotated[str, typer.Argument(help="Folder with one sub-folder per seller account (or a URL fsspec "
                                                     "reads, e.g. s3://bucket/accounts).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for one output folder per account, agency.xlsx and "
                                                    "agency.json (created if missing).", file_okay=False)],
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Accounts audited at once on this "
                                                                          "machine. Default: the cores.")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Run on a Dask cluster instead, e.g. "
                                                                      "tcp://10.0.0.5:8786.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Skip accounts whose files and options did not change "
                                                          "since their last successful run.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", min=0.0, help="Seconds one account may take before it "
                                                                      "is stopped and marked failed.")] = 3600.0,
    max_memory: Annotated[int | None, typer.Option("--max-memory", min=1, help="MB one account may use before it "
                                                                               "is stopped and marked failed. "
                                                                               "Default: the machine's memory "
                                                                               "shared by the workers.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Audit date for every account without its own "
                                                              "as_of (YYYY-MM-DD). Default: today.")] = None,
    marketplace: Annotated[str | None, typer.Option("--marketplace", help="Marketplace for every account without "
                                                                          "its own.")] = None,
    select: Annotated[str | None, typer.Option("--select", help="Only these detectors, e.g. FBA02,FBA07.")] = None,
    ignore: Annotated[str | None, typer.Option("--ignore", help="Skip these detectors, e.g. FBA10.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Workbook language of every account: en or zh.")] = None,
    seller_country: Annotated[str | None, typer.Option(
        "--seller-country", help="Country of establishment (two letters, e.g. CN) for every account without its "
                                 "own seller_country: the Digital Services Fee depends on it.")] = None,
    fail_on_findings: Annotated[bool, typer.Option("--fail-on-findings",
                                                   help="Exit 1 when any account has a claimable finding.")] = False,
    ledger: Annotated[str | None, typer.Option("--ledger", help="Claim ledgers: a postgresql:// URL (one database, "
                                                                "a schema per account) or a folder (one SQLite file "
                                                                "per account). Default: $FBA_AUDIT_LEDGER, else "
                                                                "OUT/<account>/ledger.sqlite3.")] = None,
    no_ledger: Annotated[bool, typer.Option("--no-ledger", help="Do not read or record claim ledgers.")] = False,
    cache: Annotated[Path | None, typer.Option("--cache", file_okay=False,
                                               help="Parse caches: one sub-folder per account. Default: "
                                                    "$FBA_AUDIT_CACHE, else parse-cache in your user data folder, "
                                                    "accounts/<account> under it.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Parse every file of every account.")] = False,
) -> None:
    """Audit many seller accounts in one batch: each sub-folder is one account, audited as `fba-audit run` would.

    An optional account.toml in an account's folder sets that account's name, marketplace, as_of, select,
    ignore, lang, per_case and seller_country. Writes OUT/<account>/ (what `run` writes), OUT/agency.xlsx and OUT/agency.json.
    Exit status: 2 when any account failed (the others still ran); 1 with --fail-on-findings when an account has
    a claimable finding; else 0.
    """
    import datetime as dt

    import psutil
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn

    from fba_audit.batch import AccountOptions, run_batch
    from fba_audit.writers.agency import account_figures

    err = Console(stderr=True, highlight=False)
    console = _console()
    if scheduler is None and "://" not in accounts_dir and not Path(accounts_dir).is_dir():
        err.print(f"{printable_name(accounts_dir)} is not a folder: give the folder that holds one sub-folder per "
                  "account.", markup=False)
        raise typer.Exit(Exit.ERROR)
    try:
        defaults = AccountOptions(
            name="", as_of=dt.date.fromisoformat(as_of) if as_of else None,
            marketplace=marketplace.upper() if marketplace else None, select=select, ignore=ignore, lang=lang,
            seller_country=_seller_country(seller_country))
    except ValueError:
        err.print(f"--as-of {as_of!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-22.")
        raise typer.Exit(Exit.ERROR)
    if lang not in (None, "en", "zh"):
        err.print(f"--lang {lang!r}: use en or zh.")
        raise typer.Exit(Exit.ERROR)
    if cache is not None and no_cache:
        err.print("--cache and --no-cache: give one of them.")
        raise typer.Exit(Exit.ERROR)
    parallel = workers or (psutil.cpu_count() or 1)
    memory_mb = max_memory or (None if scheduler else int(psutil.virtual_memory().total / 2**20 * 0.9 / parallel))

    with Progress(TextColumn("Accounts"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("left"), TimeRemainingColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task("accounts", total=None)

        def finished(outcome, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            # account.toml names and error texts can hold anything: one plain line, never a terminal control.
            head = f"[{done}/{total}] {printable_name(outcome.name)}"
            if outcome.status == "failed":
                console.print(f"{head}  FAILED ({outcome.seconds:.1f} s): {printable_name(outcome.error or '')}",
                              markup=False)
                return
            figures = account_figures(out / outcome.key / "findings.json")
            claimable = figures["claimable"]
            value = ", ".join(f"{v} {c}" for c, v in sorted(claimable["value"].items())) or "0.00"
            deadline = figures["nearest_deadline"]
            console.print(f"{head}  {outcome.status} ({outcome.seconds:.1f} s): {figures['findings']} findings, "
                          f"{claimable['findings']} claimable worth {value}"
                          + (f", nearest deadline {deadline.isoformat()}" if deadline else ""), markup=False)

        try:
            result = run_batch(accounts_dir, out, workers=parallel, scheduler=scheduler, resume=resume,
                               timeout_s=timeout, max_memory_mb=memory_mb, defaults=defaults, ledger=ledger,
                               no_ledger=no_ledger, cache=cache, no_cache=no_cache, on_outcome=finished)
        except (OSError, RuntimeError, ValueError) as exc:
            err.print(f"batch stopped: {printable_name(str(exc))}", markup=False)
            raise typer.Exit(Exit.ERROR)
    counts = {s: sum(1 for o in result.outcomes if o.status == s) for s in ("ran", "skipped", "failed")}
    console.print(f"{len(result.outcomes)} accounts: {counts['ran']} ran, {counts['skipped']} skipped "
                  f"(nothing new), {counts['failed']} failed")
    for path in result.written.values():
        console.print(f"wrote {_shown(path)}", markup=False)
    if result.failed:
        raise typer.Exit(Exit.ERROR)
    claimable = any((row.get("claimable") or {}).get("findings") for row in result.rows)
    raise typer.Exit(Exit.FINDINGS if fail_on_findings and claimable else Exit.OK)
