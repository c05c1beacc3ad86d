"""A real PostgreSQL server for the ledger tests, started by the tests themselves (never a mock database).

The Debian `postgresql-15` server is used (`.ci/run` installs it). `initdb` refuses to run as root, and tests and CI
run as root, so the server runs as the `postgres` system user (runuser), in a temporary folder owned by it,
listening on a unix socket only. Where the server cannot be started (no binaries, no `postgres` user, not root and
not that user), the PostgreSQL tests are skipped with the reason, never passed.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_VERSION_DIRS = ("/usr/lib/postgresql/15/bin",)
_names = itertools.count(1)


def _bindir() -> Path | None:
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        candidates.append(found)
    candidates += PG_VERSION_DIRS
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[dict[str, str]]:
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (pg_config --bindir, /usr/lib/postgresql/15/bin); "
                    "install postgresql-15 to run the PostgreSQL ledger tests")
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no `postgres` system user to run the PostgreSQL test server as")
    if os.geteuid() not in (0, owner.pw_uid):
        pytest.skip("the PostgreSQL test server must be started as root (via runuser) or as the postgres user")
    base = Path(tempfile.mkdtemp(prefix="fba-audit-pg-"))
    os.chown(base, owner.pw_uid, owner.pw_gid)
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    os.chown(sockets, owner.pw_uid, owner.pw_gid)
    port = str(54000 + os.getpid() % 1000)
    initdb = subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                          "--no-sync"]), capture_output=True, text=True, check=False)
    if initdb.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"initdb failed: {initdb.stderr.strip()[-300:]}")
    options = f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off"
    start = subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                                         str(base / "server.log"), "start"]),
                           capture_output=True, text=True, check=False)
    if start.returncode != 0:
        log = (base / "server.log").read_text(errors="replace")[-300:] if (base / "server.log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"pg_ctl start failed: {start.stderr.strip()[-300:]} {log}")
    try:
        yield {"host": str(sockets), "port": port}
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: dict[str, str]) -> str:
    """A fresh, empty database on the test server, as the URL a user gives to --ledger."""
    import psycopg

    name = f"ledger_{os.getpid()}_{next(_names)}"
    with psycopg.connect(host=postgres_server["host"], port=postgres_server["port"], user="postgres",
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@/{name}?host={postgres_server['host']}&port={postgres_server['port']}"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on an SQLite file and on a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite3")
    return request.getfixturevalue("postgres_url")
