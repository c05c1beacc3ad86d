"""The claim ledger: every finding followed from first seen to filed to paid, across monthly runs.

Why a database and not a file beside the workbook: staff work (which finding was filed under which case, what
Amazon answered) must survive the next month's workbook, and Amazon's payments arrive months later in other
reports. SQLite is the default (one file, nothing to set up); PostgreSQL is the same schema for teams that share
one ledger. SQLAlchemy Core speaks to both; Alembic migrations (shipped in the package) bring a ledger written by
an older fba-audit up to date when it is opened.

Two runs on one ledger: every change happens in one transaction that takes the ledger's write lock first
(SQLite `BEGIN IMMEDIATE`; a PostgreSQL advisory lock). The second run waits for the first (up to
`LOCK_WAIT_SECONDS`) and then fails with `LedgerBusy`, never half-written.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fba_audit import __version__
from fba_audit._names import printable_name
from fba_audit.context import MARKETPLACE_CURRENCY
from fba_audit.ledger import is_postgres_url
from fba_audit.ledger import schema as t
from fba_audit.ledger.staff import StaffProblem, StaffRow, read_workbook
from fba_audit.ledger.view import (
    CaseInfo,
    DetectorRecovery,
    FollowUp,
    LedgerView,
    StaffEntry,
)
from fba_audit.results import AuditResult

ENV_VAR = "FBA_AUDIT_LEDGER"
DEFAULT_FILE_NAME = "ledger.sqlite3"
LOCK_WAIT_SECONDS = 60
# Any number, the same in every fba-audit: the PostgreSQL advisory lock that serialises writers of one ledger.
PG_LOCK_KEY = 0x0FBA_17
CHUNK = 5_000  # ids per IN (...) list: SQLite allows 32,766 parameters a statement
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class LedgerError(ValueError):
    """A ledger problem with a message for people (where the ledger is and what to do)."""


class LedgerBusy(LedgerError):
    pass


def default_location() -> Path:
    """The per-user data folder the operating system gives programs (e.g. ~/.local/share/fba-audit on Linux,
    ~/Library/Application Support/fba-audit on macOS, %LOCALAPPDATA%\\fba-audit on Windows), so one seller's
    monthly runs share one ledger whatever folder they run from."""
    import platformdirs

    return Path(platformdirs.user_data_dir("fba-audit", appauthor=False)) / DEFAULT_FILE_NAME


def resolve(target: str | os.PathLike[str] | None) -> str:
    """The database URL for `--ledger` (a path or a URL), else $FBA_AUDIT_LEDGER, else the default file."""
    chosen = os.fspath(target) if target is not None else os.environ.get(ENV_VAR) or None
    if chosen is None:
        chosen = os.fspath(default_location())
    if is_postgres_url(chosen):
        rest = chosen.split("://", 1)[1]
        return "postgresql+psycopg://" + rest
    if chosen.startswith("sqlite:///"):
        return chosen
    if "://" in chosen:
        raise LedgerError(f"--ledger {chosen!r}: give a file path (SQLite) or a postgresql://user@host/database URL.")
    path = Path(chosen).expanduser()
    if path.is_dir():
        path = path / DEFAULT_FILE_NAME
    return f"sqlite:///{path.resolve()}"


def open_ledger(target: str | os.PathLike[str] | None = None) -> Ledger:
    return Ledger(resolve(target))


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT)


@cache
def follow_up_rules() -> dict[str, int]:
    """`data/follow_up.csv`: rule -> days (each row names its source)."""
    text = resources.files("fba_audit").joinpath("data/follow_up.csv").read_text(encoding="utf-8")
    return {row["rule"]: int(row["days"]) for row in csv.DictReader(io.StringIO(text))}


@dataclass(frozen=True)
class InputFile:
    file: str
    kind: str | None
    sha256: str
    size: int


def file_hashes(folder: Path, known: Callable[[Path], str | None] | None = None) -> dict[str, tuple[str, int]]:
    """SHA-256 and size of every file under `folder`, by its path relative to it (as the loader names files).

    Meant to run in a thread while the detectors work: hashlib lets go of the GIL on large blocks, so the extra read
    of the reports overlaps the audit instead of adding to it. `known(path)` gives a hash already known for a file
    that has not changed (the parse cache's, `reports.cache.ParseCache.known_hash`), or None."""
    hashes: dict[str, tuple[str, int]] = {}
    root = Path(folder)
    for path in sorted(root.rglob("*")):
        if not path.is_file() or (path.is_symlink() and not path.resolve().is_relative_to(root.resolve())):
            continue  # the loader does not read links that lead outside the reports folder either
        remembered = known(path) if known is not None else None
        if remembered is not None:
            with contextlib.suppress(OSError):
                hashes[path.relative_to(root).as_posix()] = (remembered, path.stat().st_size)
                continue
        digest = hashlib.sha256()
        size = 0
        with contextlib.suppress(OSError), open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
                size += len(block)
        hashes[path.relative_to(root).as_posix()] = (digest.hexdigest(), size)
    return hashes


def hash_inputs(folder: Path, files: Iterable[object], hashes: Mapping[str, tuple[str, int]] | None = None
                ) -> list[InputFile]:
    """The input files of a run (`FileSummary` items) with their content hashes; a zip member is recorded as its
    whole archive. `hashes`: from `file_hashes`, when it ran beforehand."""
    if hashes is None:
        hashes = file_hashes(folder)
    seen: dict[str, InputFile] = {}
    for summary in files:
        name = summary.file.split("!", 1)[0]
        if name not in seen and name in hashes:
            digest, size = hashes[name]
            seen[name] = InputFile(name, summary.kind, digest, size)
    return sorted(seen.values(), key=lambda f: f.file)


class _Tx:
    """One transaction: the connection, the time it began, and the event log writer."""

    def __init__(self, conn: Connection, actor: str, source: str) -> None:
        self.conn = conn
        self.actor = actor
        self.source = source
        self.at = dt.datetime.now(dt.UTC)
        self.run_id: int | None = None  # set while a run is recorded: closures name the run that made them
        self._events: list[dict[str, object]] = []

    def log(self, subject: str, subject_id: object, action: str, **detail: object) -> None:
        self._events.append({
            "at": self.at, "actor": self.actor, "source": printable_name(self.source), "subject": subject,
            "subject_id": str(subject_id), "action": action,
            "detail": json.dumps(detail, default=_json_default, sort_keys=True, ensure_ascii=False),
        })

    def flush(self) -> None:
        if self._events:
            _bulk_insert(self.conn, t.events, self._events)
            self._events = []


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class Ledger:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = Path(url.removeprefix("sqlite:///"))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(f"cannot create the folder of the ledger {path}: {exc}") from exc
            self.location = printable_name(str(path))
            self.engine = sa.create_engine(url, connect_args={"timeout": LOCK_WAIT_SECONDS})
            _sqlite_begins_immediate(self.engine)
        else:
            self.location = sa.engine.make_url(url).render_as_string(hide_password=True).replace(
                "postgresql+psycopg://", "postgresql://")
            self.engine = sa.create_engine(url)
        self._migrate()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- transactions and migrations ----

    @contextlib.contextmanager
    def transaction(self, actor: str, source: str) -> Iterator[_Tx]:
        try:
            with self.engine.begin() as conn:
                if not self.is_sqlite:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'")
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
                tx = _Tx(conn, actor, source)
                yield tx
                tx.flush()
        except sa.exc.OperationalError as exc:
            text = str(exc.orig)
            if "locked" in text or "lock timeout" in text or "LockNotAvailable" in type(exc.orig).__name__:
                raise LedgerBusy(
                    f"the ledger {self.location} is in use by another fba-audit run (waited {LOCK_WAIT_SECONDS} s); "
                    "nothing was recorded. Run again when the other run has finished.") from exc
            raise LedgerError(f"the ledger {self.location} could not be written: {text}") from exc

    def _migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(resources.files("fba_audit.ledger") / "migrations"))
        try:
            with self.transaction("fba-audit", "open") as tx:
                config.attributes["connection"] = tx.conn
                command.upgrade(config, "head")
        except sa.exc.DBAPIError as exc:
            raise LedgerError(f"cannot open the ledger {self.location}: {exc.orig}") from exc

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # ---- a run ----

    def record_run(
        self,
        result: AuditResult,
        *,
        inputs: Sequence[InputFile] = (),
        out_dir: Path | None = None,
        staff: Sequence[tuple[str, Sequence[StaffRow]]] = (),
        filed_ids: Sequence[str] = (),
        filed_source: str = "--claimed",
    ) -> LedgerView:
        """Record one run and everything it brings, in one transaction: its findings; staff's workbook entries
        (`staff`: (workbook name, rows) read before the workbook was replaced); finding ids filed outside the
        workbook (`filed_ids`); Amazon's payments matched to cases and findings; findings that went away. Returns
        what the outputs show."""
        marketplace = result.marketplace
        currency = MARKETPLACE_CURRENCY.get(marketplace, "")
        with self.transaction("run", "run") as tx:
            conn = tx.conn
            run_id = conn.execute(t.runs.insert().values(
                recorded_at=tx.at, as_of=result.as_of, marketplace=marketplace, version=__version__,
                detectors_ran=",".join(result.ran), findings=result.findings.height,
                out_dir=printable_name(str(out_dir)) if out_dir is not None else None,
            ).returning(t.runs.c.run_id)).scalar_one()
            tx.source = f"run {run_id}"
            tx.run_id = run_id
            if inputs:
                conn.execute(t.run_inputs.insert(), [
                    {"run_id": run_id, "file": printable_name(f.file), "kind": f.kind, "sha256": f.sha256,
                     "bytes": f.size}
                    for f in inputs])
            # Staff filed from the last workbook: entries on findings the ledger knows are applied before this run's
            # amounts replace the last ones (a case claims what the workbook showed); entries on findings new to the
            # ledger (a workbook older than the ledger) after this run has recorded them.
            known = self._known_ids(conn, [fid for _, rows in staff for row in rows for fid in row.finding_ids])
            problems: list[StaffProblem] = []
            later = []
            for workbook, rows in staff:
                tx.actor, tx.source = "workbook", workbook
                problems += self._apply_staff(tx, workbook, [r for r in rows if set(r.finding_ids) <= known],
                                              result.as_of)
                later.append((workbook, [r for r in rows if not set(r.finding_ids) <= known]))
            tx.actor, tx.source = "run", f"run {run_id}"
            counts = self._record_findings(tx, run_id, result)
            for workbook, rows in later:
                tx.actor, tx.source = "workbook", workbook
                problems += self._apply_staff(tx, workbook, rows, result.as_of)
            if filed_ids:
                tx.actor, tx.source = "claimed-list", filed_source
                problems += self._apply_filed_ids(tx, filed_ids, result.as_of, filed_source)
            tx.actor, tx.source = "run", f"run {run_id}"
            events = _payment_events(result, currency)
            self._reconcile(tx, run_id, events, marketplace)
            self._close_gone(tx, run_id, result)
            closed = dict(conn.execute(
                sa.select(t.findings.c.resolution, sa.func.count()).where(t.findings.c.resolved_run_id == run_id)
                .group_by(t.findings.c.resolution).order_by(t.findings.c.resolution)).all())
            tx.log("run", run_id, "recorded", as_of=result.as_of, marketplace=marketplace, **counts,
                   closed=closed, inputs=len(inputs))
            tx.flush()
            view = self._view(conn, run_id, result, currency)
            view.closed = closed
            view.import_problems = problems
        return view

    def _known_ids(self, conn: Connection, ids: Sequence[str]) -> set[str]:
        return {row[0] for row in _select_in(conn, "finding_id", "findings", "finding_id", sorted(set(ids)))}

    def _record_findings(self, tx: _Tx, run_id: int, result: AuditResult) -> dict[str, int]:
        """Insert the findings new to the ledger, update the ones seen before, and record each one's status and
        amount in this run. Built with polars and written with executemany: 25,000 findings are one statement each
        way, not 25,000 (docs/performance.md)."""
        conn = tx.conn
        as_of = result.as_of
        frame = result.findings.select(
            "finding_id", "code", "status", "marketplace", "currency", "sku", "fnsku", "asin", "order_id",
            "shipment_id", "reference_id", "quantity", pl.col("amount").cast(pl.Decimal(18, 2)), "event_date")
        ids = frame["finding_id"].to_list()
        # Dates come back as text from SQLite and as dates from PostgreSQL: both become ISO text here.
        found = [(fid, resolution, str(first), str(last)) for fid, resolution, first, last in _select_in(
            conn, "finding_id, resolution, first_seen, last_seen", "findings", "finding_id", ids)]
        known = pl.DataFrame(
            found,
            schema={"finding_id": pl.String, "resolution": pl.String, "first_seen": pl.String,
                    "last_seen": pl.String}, orient="row",
        ).with_columns(pl.col("first_seen", "last_seen").cast(pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d"))
        joined = frame.join(known, on="finding_id", how="left")
        is_new = pl.col("first_seen").is_null()
        new = joined.filter(is_new).select(
            "finding_id", "code", "marketplace", "currency", "sku", "fnsku", "asin", "order_id", "shipment_id",
            "reference_id", "event_date", first_seen=pl.lit(as_of), first_run_id=pl.lit(run_id),
            last_seen=pl.lit(as_of), last_run_id=pl.lit(run_id), last_status=pl.col("status"),
            last_amount=pl.col("amount"))
        seen = joined.filter(~is_new)
        again = seen.filter(pl.col("last_seen") <= as_of).select(
            last_status="status", last_amount="amount", last_seen=pl.lit(as_of), last_run_id=pl.lit(run_id),
            finding_id="finding_id")
        earlier = seen.filter(pl.col("first_seen") > as_of).select(
            first_seen=pl.lit(as_of), first_run_id=pl.lit(run_id), finding_id="finding_id")
        reopened = seen.filter((pl.col("last_seen") <= as_of) & (pl.col("resolution") == "evidence_changed"))[
            "finding_id"].to_list()
        _bulk_insert_frame(conn, t.findings, new)
        _bulk_update_frame(conn, t.findings, "finding_id", again)
        _bulk_update_frame(conn, t.findings, "finding_id", earlier)
        for fid in reopened:
            conn.execute(t.findings.update().where(t.findings.c.finding_id == fid).values(
                resolution=None, resolved_on=None, resolved_run_id=None))
            tx.log("finding", fid, "reported again", note="the finding went away in an earlier run and is back")
        _bulk_insert_frame(conn, t.finding_runs, frame.select(
            run_id=pl.lit(run_id), finding_id="finding_id", status="status", quantity="quantity", amount="amount"))
        return {"findings": frame.height, "new": new.height, "seen_again": again.height, "reopened": len(reopened)}

    # ---- staff entries ----

    def import_workbook(self, path: Path, *, today: dt.date | None = None, source: str | None = None
                        ) -> list[StaffProblem]:
        """`fba-audit ledger import claims.xlsx`: apply staff's entries; returns the cells that could not be used."""
        read = read_workbook(path)
        name = source or str(path)
        with self.transaction("workbook", name) as tx:
            problems = self._apply_staff(tx, Path(path).name, read.rows, today or dt.date.today())
        return read.problems + problems

    def staff_entries(self, extra: Sequence[StaffRow] = ()) -> dict[str, StaffEntry]:
        """finding id -> the staff columns the workbook shows: the ledger's cases, then `extra` rows on top (entries
        read from the old workbook that the run has not recorded yet), so a rewritten workbook keeps them."""
        entries: dict[str, StaffEntry] = {}
        with self.engine.connect() as conn:
            query = sa.select(t.case_findings.c.finding_id, t.cases).join(
                t.cases, t.cases.c.case_pk == t.case_findings.c.case_pk)
            for row in conn.execute(query):
                entries[row.finding_id] = StaffEntry(row.filed_on, row.case_id, row.outcome, row.notes)
        for row in extra:
            for fid in row.finding_ids:
                old = entries.get(fid, StaffEntry())
                entries[fid] = StaffEntry(row.filed_on or old.filed_on, row.case_id or old.case_id,
                                          row.outcome or old.outcome, row.notes or old.notes)
        return entries

    def _apply_staff(self, tx: _Tx, workbook: str, rows: Sequence[StaffRow], today: dt.date) -> list[StaffProblem]:
        conn = tx.conn
        problems: list[StaffProblem] = []
        ids = sorted({fid for row in rows for fid in row.finding_ids})
        known: dict[str, sa.Row] = {}
        for part in _chunks(ids):
            for found in conn.execute(sa.select(t.findings).where(t.findings.c.finding_id.in_(part))):
                known[found.finding_id] = found
        for row in rows:
            def problem(message: str, severity: str = "error") -> None:
                problems.append(StaffProblem(workbook, row.sheet, row.finding_cell, message, severity))

            unknown = [fid for fid in row.finding_ids if fid not in known]
            if unknown:
                problem(f"finding id {unknown[0]!r} was not reported by any run recorded in the ledger; it may have "
                        "been edited. Put back the id fba-audit wrote (the Evidence sheet lists every id); the row's "
                        "entries were not imported.")
                continue
            edited = _edited(row, known)
            if edited:
                problem(edited + " The row's entries were not imported.")
                continue
            if row.filed_on is None and row.outcome in (None, "filed") and row.case_id is None:
                continue  # notes alone: kept below on an existing case only
            problems += self._apply_entry(tx, workbook, row, known, today)
        for row in rows:
            if row.filed_on is None and row.outcome in (None, "filed") and row.case_id is None and row.notes:
                case_pk = self._case_of(conn, row.finding_ids[0])
                if case_pk is None:
                    problems.append(StaffProblem(
                        workbook, row.sheet, row.finding_cell,
                        "notes on a finding that is not filed are kept in the workbook only; add filed_on, case_id "
                        "or an outcome to record them in the ledger.", "warning"))
                else:
                    self._update_case(tx, case_pk, {"notes": row.notes})
        return problems

    def _apply_entry(self, tx: _Tx, workbook: str, row: StaffRow, known: Mapping[str, sa.Row],
                     today: dt.date) -> list[StaffProblem]:
        conn = tx.conn
        problems = []
        case_pk = None
        if row.case_id is not None:
            case_pk = conn.execute(sa.select(t.cases.c.case_pk).where(t.cases.c.case_id == row.case_id)
                                   ).scalar_one_or_none()
        current = {fid: self._case_of(conn, fid) for fid in row.finding_ids}
        if case_pk is None:
            existing = sorted({pk for pk in current.values() if pk is not None})
            if len(existing) == 1 and (row.case_id is None or self._case_id_of(conn, existing[0]) is None):
                case_pk = existing[0]
        filed_on = row.filed_on
        if case_pk is None:
            if filed_on is None and row.outcome != "not filing":
                filed_on = today
                problems.append(StaffProblem(workbook, row.sheet, row.finding_cell,
                                             f"filed_on is empty: the case is recorded as filed on {today}; enter "
                                             "the real date on the sheet if it differs.", "warning"))
            outcome = row.outcome or "filed"
            case_pk = conn.execute(t.cases.insert().values(
                case_id=row.case_id, filed_on=filed_on, outcome=outcome, outcome_on=today, state=outcome,
                currency=None, notes=row.notes, claimed=None,
            ).returning(t.cases.c.case_pk)).scalar_one()
            tx.log("case", case_pk, "case recorded", case_id=row.case_id, filed_on=filed_on, outcome=outcome,
                   notes=row.notes, sheet=row.sheet, row=row.row)
        else:
            changes: dict[str, object] = {}
            if row.case_id is not None:
                changes["case_id"] = row.case_id
            if row.filed_on is not None:
                changes["filed_on"] = row.filed_on
            if row.outcome is not None:
                changes["outcome"] = row.outcome
            if row.notes is not None:
                changes["notes"] = row.notes
            self._update_case(tx, case_pk, changes, today=today, sheet=row.sheet, row=row.row)
        linked = False
        for fid in row.finding_ids:
            old = current[fid]
            if old == case_pk:
                continue
            if old is not None:
                if self._has_payments(conn, old):
                    problems.append(StaffProblem(
                        workbook, row.sheet, row.finding_cell,
                        f"finding {fid} is already in case {self._case_id_of(conn, old) or old}, which Amazon has "
                        "paid on; it was not moved to another case."))
                    continue
                conn.execute(t.case_findings.delete().where(t.case_findings.c.finding_id == fid))
                tx.log("finding", fid, "moved to another case", from_case=old, to_case=case_pk)
                self._refresh_claimed(conn, old)
                self._drop_if_empty(tx, old)
            conn.execute(t.case_findings.insert().values(case_pk=case_pk, finding_id=fid))
            tx.log("finding", fid, "filed", case=case_pk, case_id=row.case_id)
            linked = True
        if linked:
            self._refresh_claimed(conn, case_pk)
        self._refresh_state(tx, case_pk)
        return problems

    def _apply_filed_ids(self, tx: _Tx, ids: Sequence[str], today: dt.date, source: str) -> list[StaffProblem]:
        conn = tx.conn
        problems = []
        for fid in dict.fromkeys(i.strip() for i in ids if i.strip()):
            if conn.execute(sa.select(t.findings.c.finding_id).where(t.findings.c.finding_id == fid)
                            ).scalar_one_or_none() is None:
                problems.append(StaffProblem(source, "-", None, f"finding id {fid!r} was not reported by any run "
                                             "recorded in the ledger; check the id (it is kept out of nothing)."))
                continue
            if self._case_of(conn, fid) is not None:
                continue
            case_pk = conn.execute(t.cases.insert().values(
                case_id=None, filed_on=today, outcome="filed", outcome_on=today, state="filed",
                notes=f"filed per {source}").returning(t.cases.c.case_pk)).scalar_one()
            conn.execute(t.case_findings.insert().values(case_pk=case_pk, finding_id=fid))
            self._refresh_claimed(conn, case_pk)
            tx.log("case", case_pk, "case recorded", finding_id=fid, filed_on=today, outcome="filed")
        return problems

    def record_case(self, *, finding_ids: Sequence[str], case_id: str | None, filed_on: dt.date | None,
                    outcome: str | None, notes: str | None, source: str, today: dt.date | None = None
                    ) -> list[StaffProblem]:
        """`fba-audit ledger case`: the same as a workbook row, typed on the command line."""
        row = StaffRow("command line", 0, tuple(finding_ids), filed_on, case_id, outcome, notes,
                       finding_cell="")
        with self.transaction("command", source) as tx:
            problems = self._apply_staff(tx, "command line", [row], today or dt.date.today())
        return problems

    # ---- cases ----

    def _case_of(self, conn: Connection, finding_id: str) -> int | None:
        return conn.execute(sa.select(t.case_findings.c.case_pk).where(t.case_findings.c.finding_id == finding_id)
                            ).scalar_one_or_none()

    def _case_id_of(self, conn: Connection, case_pk: int) -> str | None:
        return conn.execute(sa.select(t.cases.c.case_id).where(t.cases.c.case_pk == case_pk)).scalar_one_or_none()

    def _has_payments(self, conn: Connection, case_pk: int) -> bool:
        return conn.execute(sa.select(sa.func.count()).select_from(t.reimbursements).where(
            t.reimbursements.c.case_pk == case_pk)).scalar_one() > 0

    def _drop_if_empty(self, tx: _Tx, case_pk: int) -> None:
        conn = tx.conn
        left = conn.execute(sa.select(sa.func.count()).select_from(t.case_findings).where(
            t.case_findings.c.case_pk == case_pk)).scalar_one()
        if left == 0 and not self._has_payments(conn, case_pk):
            conn.execute(t.cases.delete().where(t.cases.c.case_pk == case_pk))
            tx.log("case", case_pk, "case removed", reason="its findings were moved to another case")

    def _update_case(self, tx: _Tx, case_pk: int, changes: Mapping[str, object], *, today: dt.date | None = None,
                     **where: object) -> None:
        conn = tx.conn
        old = conn.execute(sa.select(t.cases).where(t.cases.c.case_pk == case_pk)).one()
        different = {key: value for key, value in changes.items() if getattr(old, key) != value}
        if not different:
            return
        if "outcome" in different and today is not None:
            different["outcome_on"] = today
        conn.execute(t.cases.update().where(t.cases.c.case_pk == case_pk).values(**different))
        tx.log("case", case_pk, "case updated", **{k: {"from": getattr(old, k), "to": v} for k, v in
                                                   different.items()}, **where)
        self._refresh_state(tx, case_pk)

    def _refresh_claimed(self, conn: Connection, case_pk: int) -> None:
        """The amount claimed: the findings' amounts as last reported when they joined the case (not updated when
        later runs report less, e.g. after a partial payment)."""
        rows = conn.execute(sa.select(t.findings.c.last_amount, t.findings.c.currency).join(
            t.case_findings, t.case_findings.c.finding_id == t.findings.c.finding_id).where(
            t.case_findings.c.case_pk == case_pk)).all()
        amounts = [r.last_amount for r in rows if r.last_amount is not None]
        currency = next((r.currency for r in rows if r.currency), None)
        conn.execute(t.cases.update().where(t.cases.c.case_pk == case_pk).values(
            claimed=_money(sum(amounts, ZERO)) if amounts else None, currency=currency))

    def _refresh_state(self, tx: _Tx, case_pk: int) -> None:
        """The case's state from staff's outcome and the payments matched to it; a paid case closes its findings."""
        conn = tx.conn
        case = conn.execute(sa.select(t.cases).where(t.cases.c.case_pk == case_pk)).one()
        lines = conn.execute(sa.select(t.reimbursements.c.amount, t.reimbursements.c.approval_date).where(
            t.reimbursements.c.case_pk == case_pk)).all()
        paid = _money(sum((line.amount for line in lines), ZERO)) if lines else None
        paid_on = max((line.approval_date for line in lines if line.amount > 0), default=None)
        reversed_ = any(line.amount < 0 for line in lines)
        claimed = case.claimed
        if lines and reversed_ and (claimed is None or paid < claimed):
            state = "reversed"
        elif lines and paid > 0 and (claimed is None or paid >= claimed):
            state = "paid"
        elif lines and paid > 0:
            state = "partly paid"
        elif case.outcome == "reimbursed":
            state = "paid"
        else:
            state = case.outcome if case.outcome in ("denied", "not filing") else "filed"
        values = {"state": state, "reimbursed": paid, "reimbursed_on": paid_on}
        if (case.state, case.reimbursed, case.reimbursed_on) != (state, paid, paid_on):
            conn.execute(t.cases.update().where(t.cases.c.case_pk == case_pk).values(**values))
            if case.state != state:
                tx.log("case", case_pk, "state changed", case_id=case.case_id, **{"from": case.state, "to": state},
                       reimbursed=paid)
        fids = conn.execute(sa.select(t.case_findings.c.finding_id).where(t.case_findings.c.case_pk == case_pk)
                            ).scalars().all()
        if state == "paid":
            for fid in fids:
                done = conn.execute(t.findings.update().where(
                    (t.findings.c.finding_id == fid) & t.findings.c.resolution.is_(None)).values(
                    resolution="paid", resolved_on=paid_on or tx.at.date(), resolved_run_id=tx.run_id))
                if done.rowcount:
                    tx.log("finding", fid, "closed", resolution="paid", case=case.case_id)
        elif state in ("reversed", "partly paid", "filed"):
            for fid in fids:
                done = conn.execute(t.findings.update().where(
                    (t.findings.c.finding_id == fid) & (t.findings.c.resolution == "paid")).values(
                    resolution=None, resolved_on=None, resolved_run_id=None))
                if done.rowcount:
                    tx.log("finding", fid, "reopened", case=case.case_id, state=state)

    # ---- Amazon's payments ----

    def _reconcile(self, tx: _Tx, run_id: int, events: list[dict[str, object]], marketplace: str) -> None:
        """Store the payment lines not seen before and match each to a case or a finding.

        Order of matching: the `case-id` Amazon printed; for a reversal, whatever its original was matched to; then,
        for Amazon's automatic payments, an open finding of the same order id, shipment id, or FNSKU (SKU for
        settlement lines) whose event is on or before the approval date, oldest event first. Only a finding seen in
        an earlier run is matched that way: the detectors already net payments that were in this run's reports.
        """
        conn = tx.conn
        if not events:
            return
        keys = [e["line_key"] for e in events]
        stored = set()
        for part in _chunks(keys):
            stored |= set(conn.execute(sa.select(t.reimbursements.c.line_key).where(
                t.reimbursements.c.line_key.in_(part))).scalars())
        fresh = [e for e in events if e["line_key"] not in stored]
        if not fresh:
            return
        case_by_id = dict(conn.execute(sa.select(t.cases.c.case_id, t.cases.c.case_pk).where(
            t.cases.c.case_id.is_not(None))).all())
        touched: set[int] = set()
        inserted = []
        for event in fresh:
            row = {**event, "first_run_id": run_id, "case_pk": None, "finding_id": None, "matched_by": None}
            if event["case_id"] and event["case_id"] in case_by_id:
                row["case_pk"], row["matched_by"] = case_by_id[event["case_id"]], "case-id"
            elif event["amount"] < 0 and event["original_reimbursement_id"]:
                original = conn.execute(sa.select(t.reimbursements.c.case_pk, t.reimbursements.c.finding_id).where(
                    t.reimbursements.c.reimbursement_id == event["original_reimbursement_id"]).where(
                    (t.reimbursements.c.case_pk.is_not(None)) | (t.reimbursements.c.finding_id.is_not(None)))
                ).first()
                if original is not None:
                    row["case_pk"], row["finding_id"], row["matched_by"] = (original.case_pk, original.finding_id,
                                                                            "reversal")
            if row["matched_by"] is None and event["amount"] > 0:
                match = self._automatic_match(conn, run_id, event, marketplace)
                if match is not None:
                    row["finding_id"], row["matched_by"] = match
                    row["case_pk"] = self._case_of(conn, match[0])
            conn.execute(t.reimbursements.insert().values(**row))
            inserted.append(row)
            if row["case_pk"] is not None:
                touched.add(row["case_pk"])
            if row["matched_by"] is not None:
                tx.log("reimbursement", event["reimbursement_id"], "matched", by=row["matched_by"],
                       case=row["case_pk"], finding_id=row["finding_id"], amount=event["amount"],
                       approval_date=event["approval_date"])
        for case_pk in sorted(touched):
            self._refresh_state(tx, case_pk)
        # A finding Amazon paid without any case closes as paid by Amazon once the payments cover it.
        for fid in sorted({r["finding_id"] for r in inserted if r["finding_id"] and r["case_pk"] is None}):
            finding = conn.execute(sa.select(t.findings).where(t.findings.c.finding_id == fid)).one()
            paid = conn.execute(sa.select(_sum(t.reimbursements.c.amount)).where(
                t.reimbursements.c.finding_id == fid).where(t.reimbursements.c.case_pk.is_(None))).scalar_one()
            if finding.resolution is None and paid is not None and (
                    finding.last_amount is None or Decimal(paid) >= finding.last_amount):
                on = max(r["approval_date"] for r in inserted if r["finding_id"] == fid)
                conn.execute(t.findings.update().where(t.findings.c.finding_id == fid).values(
                    resolution="paid_by_amazon", resolved_on=on, resolved_run_id=run_id))
                tx.log("finding", fid, "closed", resolution="paid_by_amazon", paid=_money(Decimal(paid)))

    def _automatic_match(self, conn: Connection, run_id: int, event: Mapping[str, object], marketplace: str
                         ) -> tuple[str, str] | None:
        f = t.findings
        base = sa.select(f.c.finding_id, f.c.last_amount).where(
            f.c.marketplace == marketplace, f.c.resolution.is_(None), f.c.first_run_id < run_id,
            sa.or_(f.c.event_date.is_(None), f.c.event_date <= event["approval_date"]),
        ).order_by(f.c.event_date, f.c.finding_id)
        tries = [
            ("order id", f.c.order_id, event["order_id"]),
            ("shipment id", f.c.shipment_id, event["shipment_id"]),
            ("fnsku and date", f.c.fnsku, event["fnsku"]),
            ("sku and date", f.c.sku, event["sku"] if event["source"] == "settlement" else None),
        ]
        for label, column, value in tries:
            if not value:
                continue
            for candidate in conn.execute(base.where(column == value)):
                already = conn.execute(sa.select(_sum(t.reimbursements.c.amount)).where(
                    t.reimbursements.c.finding_id == candidate.finding_id)).scalar_one()
                if candidate.last_amount is None or already is None or Decimal(already) < candidate.last_amount:
                    return candidate.finding_id, label
        return None

    def _close_gone(self, tx: _Tx, run_id: int, result: AuditResult) -> dict[str, int]:
        """Open findings of the detectors that ran which this run no longer reports: paid, or evidence changed.

        A detector that did not run (its report missing, or not selected) says nothing about its findings: they stay
        open. Nothing is dropped silently: each closure is an event, and the run's totals count them.
        """
        conn = tx.conn
        f = t.findings
        if not result.ran:
            return {}
        r, cf, c = t.reimbursements, t.case_findings, t.cases
        paid = sa.select(r.c.finding_id, _sum(r.c.amount).label("paid")).group_by(r.c.finding_id).subquery()
        gone = conn.execute(
            sa.select(f.c.finding_id, paid.c.paid, c.c.state)
            .select_from(f.outerjoin(paid, paid.c.finding_id == f.c.finding_id)
                         .outerjoin(cf, cf.c.finding_id == f.c.finding_id).outerjoin(c, c.c.case_pk == cf.c.case_pk))
            .where(f.c.marketplace == result.marketplace, f.c.resolution.is_(None), f.c.last_run_id != run_id,
                   f.c.last_seen <= result.as_of, f.c.code.in_(result.ran))
            .order_by(f.c.finding_id)).all()
        closed: dict[str, int] = defaultdict(int)
        updates = []
        for fid, paid_amount, state in gone:
            if paid_amount is not None and paid_amount > 0:
                resolution = "paid_by_amazon"
            elif state == "paid":
                resolution = "paid"
            else:
                resolution = "evidence_changed"
            updates.append({"resolution": resolution, "resolved_on": result.as_of, "resolved_run_id": run_id,
                            "finding_id": fid})
            tx.log("finding", fid, "closed", resolution=resolution, reason="no longer in the reports of this run")
            closed[resolution] += 1
        _bulk_update(conn, f, "finding_id", updates)
        return dict(sorted(closed.items()))

    # ---- what the outputs show ----

    def _view(self, conn: Connection, run_id: int, result: AuditResult, currency: str) -> LedgerView:
        view = LedgerView(location=self.location, run_id=run_id, currency=currency)
        f, cf, c, fr = t.findings, t.case_findings, t.cases, t.finding_runs
        view.first_seen = dict(conn.execute(sa.select(f.c.finding_id, f.c.first_seen).join(
            fr, fr.c.finding_id == f.c.finding_id).where(fr.c.run_id == run_id)).all())
        cases_rows = conn.execute(sa.select(cf.c.finding_id, c).join(c, c.c.case_pk == cf.c.case_pk)).all()
        for row in cases_rows:
            view.staff[row.finding_id] = StaffEntry(row.filed_on, row.case_id, row.outcome, row.notes)
            if row.finding_id in view.first_seen:
                view.cases[row.finding_id] = CaseInfo(row.case_id, row.filed_on, row.state, _money(row.claimed),
                                                      _money(row.reimbursed), row.reimbursed_on)
        view.follow_up = self._follow_up(conn, result)
        as_of = result.as_of
        r = t.reimbursements
        matched = sa.or_(r.c.case_pk.is_not(None), r.c.finding_id.is_not(None))
        year_start = as_of.replace(month=1, day=1)
        month_start = as_of.replace(day=1)
        lines = conn.execute(sa.select(r.c.amount, r.c.approval_date, r.c.currency).where(
            matched, r.c.approval_date >= year_start, r.c.approval_date <= as_of)).all()
        mine = [line for line in lines if line.currency in (None, currency)]
        view.recovered_this_year = _money(sum((line.amount for line in mine), ZERO))
        view.recovered_this_month = _money(sum((line.amount for line in mine if line.approval_date >= month_start),
                                               ZERO))
        view.by_detector = self._by_detector(conn, result.marketplace)
        return view

    def _by_detector(self, conn: Connection, marketplace: str) -> list[DetectorRecovery]:
        """Per detector, all time: claimed (cases filed), paid on those cases, and paid for findings without a case."""
        f, cf, c, r = t.findings, t.case_findings, t.cases, t.reimbursements
        claimed: dict[str, Decimal] = defaultdict(lambda: ZERO)
        case_code = {}
        for row in conn.execute(sa.select(c.c.case_pk, c.c.claimed, c.c.state, sa.func.min(f.c.code).label("code"))
                                .join(cf, cf.c.case_pk == c.c.case_pk).join(f, f.c.finding_id == cf.c.finding_id)
                                .where(f.c.marketplace == marketplace).group_by(c.c.case_pk, c.c.claimed, c.c.state)):
            case_code[row.case_pk] = row.code
            if row.state != "not filing":
                claimed[row.code] += row.claimed or ZERO
        paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
        without_case: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for row in conn.execute(sa.select(r.c.amount, r.c.case_pk, f.c.code, f.c.marketplace).select_from(
                r.outerjoin(f, f.c.finding_id == r.c.finding_id)).where(
                sa.or_(r.c.case_pk.is_not(None), r.c.finding_id.is_not(None)))):
            if row.case_pk is not None and row.case_pk in case_code:
                paid[case_code[row.case_pk]] += row.amount
            elif row.case_pk is None and row.marketplace == marketplace:
                without_case[row.code] += row.amount
        codes = sorted(set(claimed) | set(paid) | set(without_case))
        return [DetectorRecovery(code, _money(claimed[code]), _money(paid[code]), _money(without_case[code]))
                for code in codes]

    def _follow_up(self, conn: Connection, result: AuditResult) -> list[FollowUp]:
        rules = follow_up_rules()
        as_of = result.as_of
        f, cf, c, r = t.findings, t.case_findings, t.cases, t.reimbursements
        members: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for row in conn.execute(sa.select(cf.c.case_pk, f.c.finding_id, f.c.code).join(
                f, f.c.finding_id == cf.c.finding_id).where(f.c.marketplace == result.marketplace)):
            members[row.case_pk].append((row.finding_id, row.code))
        window_end = self._window_ends(result)
        items = []
        for case in conn.execute(sa.select(c).where(c.c.case_pk.in_(list(members))).order_by(c.c.case_pk)):
            fids = tuple(sorted(fid for fid, _ in members[case.case_pk]))
            code = min(code for _, code in members[case.case_pk])
            outstanding = (case.claimed - (case.reimbursed or ZERO)) if case.claimed is not None else None
            label = case.case_id or "(no case id yet)"

            def item(kind: str, action: str, act_by: dt.date | None = None) -> FollowUp:
                return FollowUp(kind, case.case_id, code, fids, case.filed_on, _money(case.claimed),
                                _money(case.reimbursed), _money(outstanding), act_by, action)

            if case.state == "filed":
                due = (case.filed_on or as_of) + dt.timedelta(days=rules["unpaid_after"])
                if case.case_id is None:
                    items.append(item("no case id", "Enter Amazon's case id on the Cases or detector sheet "
                                      "(case_id column), so that Amazon's payment can be matched to it."))
                elif as_of >= due:
                    days = (as_of - case.filed_on).days if case.filed_on else None
                    items.append(item("unpaid", f"Case {label} is unpaid {days} days after filing: reply on the case "
                                      "in Seller Central's case log asking for the status (do not open a new case "
                                      "for the same units)."))
            elif case.state == "denied":
                decided = case.outcome_on or case.filed_on or as_of
                act_by = decided + dt.timedelta(days=rules["denied_reopen"])
                closes = [window_end[fid] for fid in fids if window_end.get(fid)]
                if closes:
                    act_by = min(act_by, min(closes))
                if as_of <= act_by:
                    items.append(item("denied", f"Amazon denied case {label}: if you have the evidence (see the "
                                      f"Evidence sheet), reopen the case by {act_by.isoformat()} and attach it, "
                                      "rather than opening a new case.", act_by))
            elif case.state == "partly paid":
                ids = conn.execute(sa.select(r.c.reimbursement_id).where(r.c.case_pk == case.case_pk).order_by(
                    r.c.reimbursement_id)).scalars().all()
                items.append(item("partly paid", f"Amazon paid {case.reimbursed} of {case.claimed} on case {label} "
                                  f"(reimbursement {', '.join(dict.fromkeys(ids))}): reply on the case asking for "
                                  f"the remaining {_money(outstanding)}, quoting the reimbursement id."))
            elif case.state == "reversed":
                ids = conn.execute(sa.select(r.c.reimbursement_id).where(r.c.case_pk == case.case_pk,
                                                                         r.c.amount < 0).order_by(
                    r.c.reimbursement_id)).scalars().all()
                items.append(item("reversed", f"Amazon took back a payment on case {label} (reimbursement "
                                  f"{', '.join(dict.fromkeys(ids))}): check in the Inventory Ledger that the units "
                                  "really came back to your inventory; if not, reply on the case with the ledger "
                                  "rows."))
        order = {"reversed": 0, "partly paid": 1, "denied": 2, "unpaid": 3, "no case id": 4}
        return sorted(items, key=lambda i: (order[i.kind], i.filed_on or dt.date.min, i.case_id or "", i.finding_ids))

    def _window_ends(self, result: AuditResult) -> dict[str, dt.date]:
        frame = result.findings.select("finding_id", "window_closes").drop_nulls()
        return dict(frame.iter_rows())

    # ---- ledger commands ----

    def status(self, marketplace: str | None = None) -> list[dict[str, object]]:
        """Cases by detector and month filed: count, claimed, paid, and how many are open, paid, denied."""
        f, cf, c = t.findings, t.case_findings, t.cases
        query = sa.select(c, sa.func.min(f.c.code).label("code")).join(cf, cf.c.case_pk == c.c.case_pk).join(
            f, f.c.finding_id == cf.c.finding_id)
        if marketplace:
            query = query.where(f.c.marketplace == marketplace)
        query = query.group_by(*c.c)
        groups: dict[tuple[str, str], dict[str, object]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                month = row.filed_on.strftime("%Y-%m") if row.filed_on else "-"
                g = groups.setdefault((row.code, month), {
                    "code": row.code, "month": month, "cases": 0, "claimed": ZERO, "paid": ZERO, "open": 0,
                    "paid_cases": 0, "partly_paid": 0, "denied": 0, "reversed": 0, "not_filing": 0})
                g["cases"] += 1
                if row.state != "not filing":
                    g["claimed"] += row.claimed or ZERO
                g["paid"] += row.reimbursed or ZERO
                key = {"filed": "open", "paid": "paid_cases", "partly paid": "partly_paid", "denied": "denied",
                       "reversed": "reversed", "not filing": "not_filing"}[row.state]
                g[key] += 1
        return [groups[key] for key in sorted(groups)]

    def export_rows(self) -> list[dict[str, object]]:
        """Every finding the ledger knows, with its case and payments: what `fba-audit ledger export` writes."""
        f, cf, c = t.findings, t.case_findings, t.cases
        query = sa.select(
            f.c.finding_id, f.c.code, f.c.marketplace, f.c.sku, f.c.fnsku, f.c.asin, f.c.order_id, f.c.shipment_id,
            f.c.first_seen, f.c.last_seen, f.c.last_status, f.c.last_amount, f.c.currency, f.c.resolution,
            f.c.resolved_on, c.c.case_id, c.c.filed_on, c.c.outcome, c.c.state, c.c.claimed, c.c.reimbursed,
            c.c.reimbursed_on, c.c.notes,
        ).select_from(f.outerjoin(cf, cf.c.finding_id == f.c.finding_id).outerjoin(c, c.c.case_pk == cf.c.case_pk)
                      ).order_by(f.c.finding_id)
        with self.engine.connect() as conn:
            paid_by_finding = dict(conn.execute(sa.select(t.reimbursements.c.finding_id,
                                                          _sum(t.reimbursements.c.amount)).where(
                t.reimbursements.c.finding_id.is_not(None)).group_by(t.reimbursements.c.finding_id)).all())
            rows = []
            for row in conn.execute(query):
                record = dict(row._mapping)
                record["paid_to_finding"] = _money(Decimal(paid_by_finding[row.finding_id])) if (
                    row.finding_id in paid_by_finding) else None
                rows.append(record)
        return rows

    def events(self) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.select(t.events).order_by(t.events.c.event_id))]


def _edited(row: StaffRow, known: Mapping[str, sa.Row]) -> str | None:
    """A message when a detector-sheet row's own cells (code, SKU, FNSKU) disagree with the finding its id names:
    the id was typed over, and the entry would land on the wrong finding."""
    if len(row.finding_ids) != 1 or not row.identity:
        return None
    finding = known[row.finding_ids[0]]
    for key, value in row.identity.items():
        recorded = getattr(finding, key)
        if value is not None and recorded is not None and value != recorded:
            return (f"the row's finding_id {finding.finding_id!r} belongs to {key} {recorded}, but the row shows "
                    f"{key} {value}: the finding id was edited. Put back the id fba-audit wrote.")
    return None


def _sum(column: sa.ColumnElement) -> sa.ColumnElement:
    """SUM of money as money: SQLite keeps NUMERIC as a float, so the total is read back as a Decimal of two places
    (exact for any total below 2**53 cents), never compared as a float."""
    return sa.func.sum(column, type_=t.MONEY)


def _sql_value(value: object, sqlite: bool) -> object:
    """A parameter as SQLAlchemy's own types would bind it (dates as ISO text, money as a number for SQLite)."""
    if not sqlite:
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _bulk_insert(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, object]]) -> None:
    """Many rows in one executemany, past SQLAlchemy's per-row parameter handling (3/4 of the time for 25,000
    findings): the values are bound the way the column types would bind them."""
    if not rows:
        return
    sqlite = conn.dialect.name == "sqlite"
    names = list(rows[0])
    marker = "?" if sqlite else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
    conn.exec_driver_sql(sql, [tuple(_sql_value(row[name], sqlite) for name in names) for row in rows])


def _db_frame(conn: Connection, frame: pl.DataFrame) -> list[tuple]:
    """The rows of `frame` as the driver takes them: for SQLite dates as ISO text and money as numbers (what
    SQLAlchemy's Date and Numeric bind), converted by polars for all rows at once."""
    if conn.dialect.name == "sqlite":
        frame = frame.with_columns(
            *(pl.col(name).dt.to_string("%Y-%m-%d") for name, dtype in frame.schema.items() if dtype == pl.Date),
            *(pl.col(name).cast(pl.Float64) for name, dtype in frame.schema.items() if isinstance(dtype, pl.Decimal)),
        )
    return frame.rows()


def _copy(conn: Connection, table: str, frame: pl.DataFrame) -> None:
    """PostgreSQL's COPY, on the transaction's own connection: 25,000 rows in one stream instead of 25,000
    statements (psycopg's executemany took 5-6 s for a run of 25,000 findings)."""
    cursor = conn.connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN") as copy:
        for row in frame.iter_rows():
            copy.write_row(row)


def _bulk_insert_frame(conn: Connection, table: sa.Table, frame: pl.DataFrame) -> None:
    if frame.is_empty():
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, frame)
        return
    marker = "?" if conn.dialect.name == "sqlite" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(frame.columns)}) VALUES ({', '.join([marker] * frame.width)})"
    conn.exec_driver_sql(sql, _db_frame(conn, frame))


def _bulk_update_frame(conn: Connection, table: sa.Table, key: str, frame: pl.DataFrame) -> None:
    """UPDATE table SET (every column but the last) WHERE key = (the last column)."""
    if frame.is_empty():
        return
    if conn.dialect.name == "postgresql":
        staging = f"_fba_audit_update_{hashlib.sha256(','.join(frame.columns).encode()).hexdigest()[:12]}"
        conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS SELECT "
                             f"{', '.join(frame.columns)} FROM {table.name} WITH NO DATA")
        conn.exec_driver_sql(f"TRUNCATE {staging}")
        _copy(conn, staging, frame)
        sets = ", ".join(f"{name} = u.{name}" for name in frame.columns[:-1])
        conn.exec_driver_sql(f"UPDATE {table.name} SET {sets} FROM {staging} u WHERE {table.name}.{key} = u.{key}")
        return
    marker = "?" if conn.dialect.name == "sqlite" else "%s"
    names = frame.columns[:-1]
    sql = f"UPDATE {table.name} SET {', '.join(f'{n} = {marker}' for n in names)} WHERE {key} = {marker}"
    conn.exec_driver_sql(sql, _db_frame(conn, frame))


def _bulk_update(conn: Connection, table: sa.Table, key: str, rows: Sequence[Mapping[str, object]]) -> None:
    if not rows:
        return
    sqlite = conn.dialect.name == "sqlite"
    names = [name for name in rows[0] if name != key]
    marker = "?" if sqlite else "%s"
    sql = f"UPDATE {table.name} SET {', '.join(f'{n} = {marker}' for n in names)} WHERE {key} = {marker}"
    conn.exec_driver_sql(sql, [tuple(_sql_value(row[n], sqlite) for n in [*names, key]) for row in rows])


def _select_in(conn: Connection, columns: str, table: str, key: str, ids: Sequence[str]) -> list[tuple]:
    """`SELECT columns FROM table WHERE key IN ids`, in chunks, as plain tuples (dates may come back as text)."""
    sqlite = conn.dialect.name == "sqlite"
    marker = "?" if sqlite else "%s"
    out: list[tuple] = []
    for part in _chunks(ids):
        sql = f"SELECT {columns} FROM {table} WHERE {key} IN ({', '.join([marker] * len(part))})"
        out += [tuple(row) for row in conn.exec_driver_sql(sql, tuple(part))]
    return out


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start:start + CHUNK])


def _payment_events(result: AuditResult, currency: str) -> list[dict[str, object]]:
    """Amazon's payment lines of this run's reports: the Reimbursements report, plus settlement reimbursement lines
    the report does not cover (fba_audit.netting de-duplicates them), each with a key that stays the same when
    next month's download repeats the line."""
    from fba_audit.netting import reimbursement_events

    load = result.load
    if load is None:
        return []
    reimbursements = load.datasets.get("reimbursements")
    transactions = load.datasets.get("transactions")
    events = reimbursement_events(reimbursements, transactions, currency=currency or None,
                                  sku_map=load.datasets.get("inventory_ledger"))
    if events.is_empty():
        return []
    case_ids: dict[str, str] = {}
    if reimbursements is not None and "case_id" in reimbursements.columns:
        for rid, case_id in reimbursements.select("reimbursement_id", "case_id").drop_nulls().iter_rows():
            case_ids[str(rid)] = str(case_id).strip()
    shipments: dict[str, str] = {}
    if transactions is not None and "shipment_id" in transactions.columns and events["source"].eq(
            "transactions").any():
        keyed = transactions.filter(pl.col("shipment_id").is_not_null()).select(
            pl.format("{}:{}", pl.col("source_file"), pl.col("source_line")).alias("evidence"),
            pl.col("shipment_id").cast(pl.String))
        shipments = dict(keyed.join(events.select("evidence"), on="evidence", how="semi").iter_rows())
    out = []
    for e in events.iter_rows(named=True):
        source = "report" if e["source"] == "reimbursements" else "settlement"
        ref = str(e["event_ref"])
        amount = _money(e["amount"]) if e["amount"] is not None else ZERO
        parts = [source, ref, e["fnsku"] or "", e["sku"] or "", e["order_id"] or "", format(amount, "f"),
                 str(e["units"]), e["date"].isoformat() if e["date"] else "", e["original_reimbursement_id"] or ""]
        out.append({
            "line_key": hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:40],
            "source": source, "reimbursement_id": ref, "approval_date": e["date"],
            "case_id": case_ids.get(ref) if source == "report" else None,
            "order_id": e["order_id"], "shipment_id": shipments.get(e["evidence"]),
            "sku": e["sku"], "fnsku": e["fnsku"], "reason": e["code"], "amount": amount,
            "currency": e["currency"], "quantity": e["units"],
            "original_reimbursement_id": e["original_reimbursement_id"],
        })
    # One line per key (the same line in two overlapping downloads), in date order.
    unique = {e["line_key"]: e for e in out if e["approval_date"] is not None}
    return sorted(unique.values(), key=lambda e: (e["approval_date"], e["reimbursement_id"], e["line_key"]))


def _sqlite_begins_immediate(engine: Engine) -> None:
    """Take SQLite's write lock when a transaction begins, not at its first write: two runs then queue instead of
    failing half-way with "database is locked" (SQLAlchemy's documented recipe for pysqlite)."""
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
