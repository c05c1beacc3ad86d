"""Agency mode: audit every seller account of a folder in one batch, on this machine or on a Dask cluster.

Each sub-folder of the accounts folder is one account. Each account runs as its own `fba-audit run` process, so
the output of an account is exactly what `run` writes for that folder alone, and one account that fails, hangs
or eats memory is stopped and recorded without touching the others: the batch kills its process at the time or
memory limit, notes why, and goes on.

The unit of work is `run_account(AccountTask) -> AccountOutcome`, a plain picklable function. The local mode
calls it from a pool of threads (each waiting on its account's process); the Dask mode submits the same function
to the workers of a `distributed` scheduler. There is no scheduler of our own.

`--resume` skips an account whose inputs (every file's content), options and fba-audit version hash to the same
fingerprint as at its last successful run, recorded in `OUT_DIR/.batch-manifest.json`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from fba_audit import __version__
from fba_audit._names import printable_name
from fba_audit.ledger import is_postgres_url

ACCOUNT_FILE = "account.toml"
MANIFEST_NAME = ".batch-manifest.json"
LOGS_DIR = ".logs"
AGENCY_JSON = "agency.json"
AGENCY_XLSX = "agency.xlsx"
# Names in OUT_DIR the batch writes itself: an account folder may not take them.
RESERVED_NAMES = frozenset({MANIFEST_NAME, LOGS_DIR, AGENCY_JSON, AGENCY_XLSX})
DEFAULT_TIMEOUT_S = 3600.0
POLL_SECONDS = 0.1

# account.toml keys, named as `fba-audit run` names its options (lower case, `_` for `-`).
_LANGS = ("en", "zh")
_CODE_LIST = re.compile(r"^\s*FBA\d{2}\s*(,\s*FBA\d{2}\s*)*$", re.IGNORECASE)


class AccountConfigError(ValueError):
    """A bad account.toml: the message names the file, the line and what is expected."""


@dataclass(frozen=True)
class AccountOptions:
    """What `fba-audit run` is told for one account; None leaves `run`'s own default."""

    name: str
    marketplace: str | None = None
    as_of: dt.date | None = None
    select: str | None = None
    ignore: str | None = None
    lang: str | None = None
    per_case: int | None = None
    seller_country: str | None = None
    # Set by the batch, never by account.toml: the account's own claim ledger ("" = --no-ledger) and parse cache
    # ("" = --no-cache).
    ledger: str | None = None
    cache: str | None = None

    def run_arguments(self) -> list[str]:
        """The `fba-audit run` options, in a fixed order (they are part of the resume fingerprint)."""
        args: list[str] = []
        for option, value in (("--as-of", self.as_of), ("--marketplace", self.marketplace),
                              ("--select", self.select), ("--ignore", self.ignore), ("--lang", self.lang),
                              ("--per-case", self.per_case), ("--seller-country", self.seller_country)):
            if value is not None:
                args += [option, value.isoformat() if isinstance(value, dt.date) else str(value)]
        if self.ledger == "":
            args.append("--no-ledger")
        elif self.ledger is not None:
            args += ["--ledger", self.ledger]
        if self.cache == "":
            args.append("--no-cache")
        elif self.cache is not None:
            args += ["--cache", self.cache]
        return args


def _key_line(text: str, key: str) -> int | None:
    """The line of `key = ...` in a TOML text (tomllib does not report positions)."""
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _codes(value: object) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)
    if isinstance(value, str) and _CODE_LIST.match(value):
        return ",".join(code.strip().upper() for code in value.split(","))
    return None


def parse_account_options(text: str, *, where: str, folder_name: str,
                          defaults: AccountOptions | None = None) -> AccountOptions:
    """account.toml text -> the account's options over the batch's `defaults`; AccountConfigError names the line."""
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccountConfigError(f"{where}: not valid TOML ({exc}); see docs/agencies.md for the keys.") from None
    base = defaults or AccountOptions(name=folder_name)
    values: dict[str, object] = {}

    def bad(key: str, expected: str) -> AccountConfigError:
        line = _key_line(text, key)
        at = f"{where}:{line}" if line else where
        return AccountConfigError(f"{at}: {key} = {table[key]!r}: expected {expected}.")

    for key, value in table.items():
        if key == "name":
            if not isinstance(value, str) or not value.strip():
                raise bad(key, "the account's display name as text, e.g. name = \"Acme Home\"")
            values["name"] = value.strip()
        elif key == "marketplace":
            if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2,4}", value.strip()):
                raise bad(key, "a marketplace code as text, e.g. marketplace = \"US\"")
            values["marketplace"] = value.strip().upper()
        elif key == "as_of":
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value.strip())
                except ValueError:
                    raise bad(key, "a date, e.g. as_of = 2026-11-30") from None
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise bad(key, "a date, e.g. as_of = 2026-11-30")
            values["as_of"] = value
        elif key in ("select", "ignore"):
            codes = _codes(value)
            if codes is None:
                raise bad(key, f"detector codes, e.g. {key} = \"FBA02,FBA07\" or {key} = [\"FBA02\", \"FBA07\"]")
            values[key] = codes
        elif key == "lang":
            if value not in _LANGS:
                raise bad(key, "en or zh")
            values["lang"] = value
        elif key == "seller_country":
            from fba_audit.digital_services_fee import seller_country

            try:
                values["seller_country"] = seller_country(value) if isinstance(value, str) else None
            except ValueError:
                values["seller_country"] = None
            if values["seller_country"] is None:
                raise bad(key, "the two-letter code of the country the business is established in, e.g. "
                               "seller_country = \"CN\"")
        elif key == "per_case":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise bad(key, "a whole number of at least 1, e.g. per_case = 5")
            values["per_case"] = value
        else:
            line = _key_line(text, key)
            at = f"{where}:{line}" if line else where
            known = "name, marketplace, as_of, select, ignore, lang, per_case, seller_country"
            raise AccountConfigError(f"{at}: unknown key {key!r}; the keys are {known}.")
    if "name" not in values:
        values["name"] = folder_name
    return replace(base, **values)


@dataclass(frozen=True)
class AccountTask:
    """One account to audit: everything `run_account` needs, picklable for Dask."""

    key: str  # the account folder's name, also its output folder's name
    folder: str  # a local path, or a URL fsspec reads (copied to a temporary folder first)
    out_dir: str  # OUT_DIR/<key>, where `fba-audit run --out` writes
    log_path: str
    options: AccountOptions | None  # None when account.toml was bad (config_error says why)
    config_error: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_memory_mb: int | None = None
    previous_fingerprint: str | None = None  # from the manifest, with --resume


@dataclass(frozen=True)
class AccountOutcome:
    key: str
    name: str
    status: str  # "ran", "skipped" (nothing new since its last run) or "failed"
    error: str | None = None
    exit_code: int | None = None
    seconds: float = 0.0
    peak_memory_mb: float | None = None
    fingerprint: str | None = None
    worker: str = ""
    ledger: str | None = None  # where its claim ledger is, password left out


def shown(argument: str) -> str:
    """A command-line argument as logs and overviews show it: a database password is never written out."""
    return re.sub(r"(://[^:/@?]+):[^@/?]*@", r"\1:***@", argument)


def fingerprint(folder: Path, arguments: Sequence[str]) -> str:
    """A hash of the run options, the version, and every file under `folder` by its relative path and content
    (the ledger's `file_hashes`: the same files a run records as its inputs)."""
    from fba_audit.ledger.store import file_hashes

    files = sorted(file_hashes(folder).items())
    return hashlib.blake2b(json.dumps([__version__, list(arguments), files]).encode(), digest_size=20).hexdigest()


def _is_url(folder: str) -> bool:
    return "://" in folder


def _last_line(path: Path) -> str:
    try:
        with open(path, "rb") as stream:
            stream.seek(max(0, os.path.getsize(path) - 8192))
            lines = [line.strip() for line in stream.read().decode("utf-8", "replace").splitlines()]
    except OSError:
        return ""
    return next((line for line in reversed(lines) if line), "")


def _watch(process, timeout_s: float, max_memory_mb: int | None) -> tuple[int | None, str | None, float]:
    """Wait for `process`; kill it past the time or memory limit. Returns (exit code, why killed, peak MB)."""
    import psutil

    started = time.monotonic()
    peak = 0
    watched = psutil.Process(process.pid)
    while True:
        try:
            code = process.wait(timeout=POLL_SECONDS)
            return code, None, peak / 2**20
        except subprocess.TimeoutExpired:
            pass
        try:
            family = [watched, *watched.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in family)
        except psutil.Error:
            continue  # it ended between the wait and the look
        peak = max(peak, rss)
        why = None
        if time.monotonic() - started > timeout_s:
            why = f"stopped after the time limit of {timeout_s:g} s"
        elif max_memory_mb is not None and rss > max_memory_mb * 2**20:
            why = f"stopped at {rss / 2**20:,.0f} MB, above the memory limit of {max_memory_mb:,} MB"
        if why:
            for p in reversed(family):
                try:
                    p.kill()
                except psutil.Error:
                    pass
            process.wait()
            return None, why, peak / 2**20


def _run_environment() -> dict[str, str]:
    """The environment for an account's `run`: this process's, less what a Dask nanny set for its own workers.

    A nanny starts its worker with MALLOC_TRIM_THRESHOLD_=65536 and single-threaded OMP/MKL/OpenBLAS (Dask's
    `distributed.nanny.pre-spawn-environ`); inherited by `run`, the aggressive trimming made each account about a
    third slower on a Dask worker than on the same machine without Dask (docs/performance.md).
    """
    env = dict(os.environ)
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return env  # not in a Dask worker: the user's environment, untouched
    import dask

    for name in dask.config.get("distributed.nanny.pre-spawn-environ", {}):
        env.pop(name, None)
    return env


def run_account(task: AccountTask) -> AccountOutcome:
    """Audit one account with `fba-audit run` in its own process. Never raises: a failure is an outcome."""
    started = time.monotonic()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    name = task.options.name if task.options else task.key

    ledger = shown(task.options.ledger) if task.options and task.options.ledger else None

    def failed(error: str, **extra: object) -> AccountOutcome:
        return AccountOutcome(task.key, name, "failed", error=error, seconds=time.monotonic() - started,
                              worker=worker, ledger=ledger, **extra)

    if task.options is None:
        return failed(task.config_error or "unusable account.toml")
    arguments = task.options.run_arguments()
    with tempfile.TemporaryDirectory(prefix="fba-audit-account-") as scratch:
        try:
            folder = Path(task.folder)
            if _is_url(task.folder):
                import fsspec

                fs, root = fsspec.core.url_to_fs(task.folder)
                folder = Path(scratch) / "reports"
                fs.get(root.rstrip("/") + "/", str(folder) + "/", recursive=True)
            # Where the ledger and the parse cache are does not change what the audit finds: moving OUT_DIR keeps
            # --resume working.
            account_print = fingerprint(folder, replace(task.options, ledger=None, cache=None).run_arguments())
        except Exception as exc:  # noqa: BLE001 - an unreadable account is that account's failure
            return failed(f"could not read the account folder {task.folder}: {type(exc).__name__}: {exc}")
        findings = Path(task.out_dir) / "findings.json"
        if task.previous_fingerprint == account_print and findings.is_file():
            return AccountOutcome(task.key, name, "skipped", seconds=time.monotonic() - started,
                                  fingerprint=account_print, worker=worker, ledger=ledger)
        log = Path(task.log_path)
        log.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "fba_audit", "run", str(folder), "--out", task.out_dir, *arguments]
        # Wide lines: the terminal's wrapping would cut the error line the outcome quotes from the log.
        env = {**_run_environment(), "PYTHONIOENCODING": "utf-8", "COLUMNS": "1000"}
        with open(log, "wb") as log_stream:
            header = f"$ fba-audit run {task.folder} --out {task.out_dir} {' '.join(map(shown, arguments))}\n"
            log_stream.write(header.encode("utf-8", "surrogateescape"))
            log_stream.flush()
            try:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log_stream,
                                           stderr=subprocess.STDOUT, env=env)
            except OSError as exc:
                return failed(f"could not start fba-audit run: {exc}")
            code, killed, peak = _watch(process, task.timeout_s, task.max_memory_mb)
    if killed:
        return failed(killed, peak_memory_mb=peak, fingerprint=account_print)
    if code != 0:
        detail = _last_line(log)
        return failed(f"fba-audit run exited with status {code}: {detail}", exit_code=code, peak_memory_mb=peak,
                      fingerprint=account_print)
    return AccountOutcome(task.key, name, "ran", exit_code=0, seconds=time.monotonic() - started,
                          peak_memory_mb=peak, fingerprint=account_print, worker=worker, ledger=ledger)


@dataclass(frozen=True)
class AccountFolder:
    key: str
    folder: str  # path or URL
    account_toml: str | None  # its text, when present


def list_accounts(accounts_dir: str) -> list[AccountFolder]:
    """The account sub-folders (hidden ones left out), sorted by name, with their account.toml text."""
    if _is_url(accounts_dir):
        import fsspec

        fs, root = fsspec.core.url_to_fs(accounts_dir)
        protocol = accounts_dir.split("://", 1)[0]
        found = []
        for entry in sorted(fs.ls(root, detail=True), key=lambda e: e["name"]):
            key = entry["name"].rstrip("/").rsplit("/", 1)[-1]
            if entry["type"] != "directory" or key.startswith("."):
                continue
            toml_path = entry["name"].rstrip("/") + "/" + ACCOUNT_FILE
            text = fs.cat(toml_path).decode("utf-8") if fs.exists(toml_path) else None
            found.append(AccountFolder(key, f"{protocol}://{entry['name'].lstrip('/')}"
                                       if protocol != "file" else f"file://{entry['name']}", text))
        return found
    root_path = Path(accounts_dir)
    found = []
    for path in sorted(p for p in root_path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        toml_path = path / ACCOUNT_FILE
        text = toml_path.read_text(encoding="utf-8-sig") if toml_path.is_file() else None
        found.append(AccountFolder(path.name, str(path), text))
    return found


LEDGER_FILE = "ledger.sqlite3"


def account_schema(key: str) -> str:
    """The PostgreSQL schema of an account in a shared ledger database: readable, unique, at most 63 bytes."""
    slug = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")[:40] or "account"
    return f"fba_{slug}_{hashlib.blake2b(key.encode('utf-8', 'surrogateescape'), digest_size=4).hexdigest()}"


def account_ledger(ledger: str | None, out_dir: Path, key: str) -> str:
    """Where an account's `run` keeps its claim ledger in a batch.

    - no --ledger: its own SQLite file in its output folder (keep OUT_DIR from month to month);
    - a postgresql:// URL: that database, shared by all accounts, each in its own schema (the account's key on
      every row it writes, through the connection's search_path);
    - a folder: one SQLite file per account in it, `<account>.sqlite3`.
    """
    if ledger is None:
        return str(out_dir / key / LEDGER_FILE)
    if is_postgres_url(ledger):
        separator = "&" if "?" in ledger else "?"
        return f"{ledger}{separator}options=-csearch_path%3D{account_schema(key)}"
    if Path(ledger).is_file() or Path(ledger).suffix.lower() in (".sqlite3", ".sqlite", ".db"):
        raise ValueError(f"--ledger {ledger}: a batch keeps one ledger per account; give a folder (one SQLite file "
                         "per account in it) or a postgresql:// URL (one database, a schema per account).")
    return str(Path(ledger) / f"{key}.sqlite3")


def account_cache(cache: Path | str | None, key: str) -> str:
    """An account's own parse cache folder in a batch: `cache/<account>`, by default under the user's parse cache
    (`reports.cache.default_location`), so that one account's year of files does not push out another's."""
    from fba_audit.reports.cache import default_location

    root = Path(cache) if cache is not None else default_location() / "accounts"
    return str(root / key)


def create_account_schemas(ledger: str, keys: Iterable[str]) -> None:
    """Make each account's schema in a shared PostgreSQL ledger (the ledger's migrations then fill it)."""
    import sqlalchemy

    from fba_audit.ledger.store import resolve

    engine = sqlalchemy.create_engine(resolve(ledger))
    try:
        with engine.begin() as conn:
            for key in keys:
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{account_schema(key)}"')
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise RuntimeError(f"the ledger database {shown(ledger)} could not be prepared: "
                           f"{str(exc.orig or exc).strip().splitlines()[0]}") from None
    finally:
        engine.dispose()


def plan_tasks(accounts: Iterable[AccountFolder], out_dir: Path, *, defaults: AccountOptions | None = None,
               timeout_s: float = DEFAULT_TIMEOUT_S, max_memory_mb: int | None = None,
               manifest: dict[str, dict] | None = None, ledger: str | None = None,
               no_ledger: bool = False, cache: Path | str | None = None,
               no_cache: bool = False) -> list[AccountTask]:
    tasks = []
    for account in accounts:
        key = printable_name(account.key)  # also its output folder's name: undecodable bytes shown as \xNN
        if key in RESERVED_NAMES:
            key = f"{key}-account"
        base = replace(defaults, name=key) if defaults else AccountOptions(name=key)
        base = replace(base, ledger="" if no_ledger else account_ledger(ledger, out_dir, key),
                       cache="" if no_cache else account_cache(cache, key))
        options, error = base, None
        if account.account_toml is not None:
            try:
                options = parse_account_options(account.account_toml, where=f"{account.folder}/{ACCOUNT_FILE}",
                                                folder_name=key, defaults=base)
            except AccountConfigError as exc:
                options, error = None, str(exc)
        if options is not None and options.as_of is None:
            # Spelled out, not left to `run`'s default: the audit date is part of the resume fingerprint, so an
            # unchanged account is audited again on a later day (its windows moved).
            options = replace(options, as_of=dt.date.today())
        previous = (manifest or {}).get(key, {}).get("fingerprint")
        tasks.append(AccountTask(key=key, folder=account.folder, out_dir=str(out_dir / key),
                                 log_path=str(out_dir / LOGS_DIR / f"{key}.log"), options=options,
                                 config_error=error, timeout_s=timeout_s, max_memory_mb=max_memory_mb,
                                 previous_fingerprint=previous))
    return tasks


def run_local(tasks: Sequence[AccountTask], workers: int) -> Iterator[AccountOutcome]:
    """Outcomes as accounts finish, `workers` accounts at a time on this machine."""
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fba-audit-account") as pool:
        futures = [pool.submit(run_account, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def run_dask(tasks: Sequence[AccountTask], scheduler: str) -> Iterator[AccountOutcome]:
    """Outcomes as accounts finish, each account one task on the workers of the Dask scheduler at `scheduler`."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise RuntimeError("--scheduler needs Dask: pip install 'fba-audit[dask]' (on the workers too)") from None
    by_key = {task.key: task for task in tasks}
    with Client(scheduler, timeout="30s") as client:
        futures = client.map(run_account, list(tasks), key=[f"fba-audit-account-{t.key}-{time.time_ns()}"
                                                             for t in tasks], pure=False, retries=0)
        owner = {future.key: task.key for future, task in zip(futures, tasks)}
        for future in dask_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker or a cancelled task fails its account only
                task = by_key[owner[future.key]]
                yield AccountOutcome(task.key, task.options.name if task.options else task.key, "failed",
                                     error=f"the Dask task failed: {type(exc).__name__}: {exc}")


@dataclass
class BatchResult:
    out_dir: Path
    outcomes: list[AccountOutcome] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # agency rows, sorted as the agency workbook shows them
    written: dict[str, Path] = field(default_factory=dict)

    @property
    def failed(self) -> list[AccountOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def read_manifest(out_dir: Path) -> dict[str, dict]:
    path = out_dir / MANIFEST_NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    accounts = document.get("accounts") if isinstance(document, dict) else None
    return accounts if isinstance(accounts, dict) else {}


def write_manifest(out_dir: Path, manifest: dict[str, dict]) -> None:
    from fba_audit.writers._common import atomic_write

    text = json.dumps({"generated_by": f"fba-audit {__version__}", "accounts": manifest}, indent=1,
                      sort_keys=True) + "\n"
    atomic_write(out_dir / MANIFEST_NAME, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def run_batch(accounts_dir: str, out_dir: Path, *, workers: int | None = None, scheduler: str | None = None,
              resume: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S, max_memory_mb: int | None = None,
              defaults: AccountOptions | None = None, ledger: str | None = None, no_ledger: bool = False,
              cache: Path | str | None = None, no_cache: bool = False,
              on_outcome: Callable[[AccountOutcome, int, int], None] | None = None) -> BatchResult:
    """Audit every account of `accounts_dir` into `out_dir/<account>/`, then write agency.json and agency.xlsx.

    `ledger` as in `account_ledger`. Without it, $FBA_AUDIT_LEDGER is used when it names a PostgreSQL database (a
    team's); a SQLite file there is one seller's ledger, which many accounts must not share, so each account then
    keeps its own file. `cache` as in `account_cache`. `on_outcome(outcome, done, total)` is called as each account
    finishes.
    """
    from fba_audit.ledger.store import ENV_VAR

    if ledger is None and is_postgres_url(os.environ.get(ENV_VAR) or ""):
        ledger = os.environ[ENV_VAR]
    from fba_audit.writers.agency import agency_rows, write_agency_json, write_agency_workbook

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(out_dir)
    tasks = plan_tasks(list_accounts(accounts_dir), out_dir, defaults=defaults, timeout_s=timeout_s,
                       max_memory_mb=max_memory_mb, manifest=manifest if resume else None, ledger=ledger,
                       no_ledger=no_ledger, cache=cache, no_cache=no_cache)
    if ledger is not None and is_postgres_url(ledger) and not no_ledger:
        create_account_schemas(ledger, [task.key for task in tasks])
    result = BatchResult(out_dir=out_dir)
    stream = run_dask(tasks, scheduler) if scheduler else run_local(tasks, workers or os.cpu_count() or 1)
    for outcome in stream:
        result.outcomes.append(outcome)
        if outcome.status == "ran" and outcome.fingerprint:
            manifest[outcome.key] = {"fingerprint": outcome.fingerprint,
                                     "ran_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
            write_manifest(out_dir, manifest)  # after each account: an interrupted batch resumes where it was
        elif outcome.status == "failed":
            manifest.pop(outcome.key, None)
        if on_outcome is not None:
            on_outcome(outcome, len(result.outcomes), len(tasks))
    write_manifest(out_dir, manifest)
    order = {task.key: n for n, task in enumerate(tasks)}
    result.outcomes.sort(key=lambda o: order[o.key])
    result.rows = agency_rows(result.outcomes, out_dir)
    result.written = {"json": write_agency_json(result.rows, out_dir / AGENCY_JSON),
                      "xlsx": write_agency_workbook(result.rows, out_dir / AGENCY_XLSX)}
    return result
