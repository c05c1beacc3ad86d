"""`fba-audit batch` with the claim ledger: one ledger per account, never one account's findings in another's.

SQLite: one file per account in its output folder. PostgreSQL: one database for the agency, a schema per account,
on the real server the ledger tests start (tests/ledger/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from fba_audit.batch import AccountOptions, account_ledger, account_schema, run_batch, shown
from fba_audit.ledger.store import open_ledger

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "detectors"
ACCOUNTS = {"north": FIXTURES / "FBA07" / "finds_refund_not_returned" / "reports",
            "south": FIXTURES / "FBA02" / "finds_window_waiting_and_expired" / "reports"}
DEFAULTS = AccountOptions(name="", as_of=dt.date(2026, 5, 15))


def accounts(root: Path) -> Path:
    for key, reports in ACCOUNTS.items():
        shutil.copytree(reports, root / "accounts" / key)
    return root / "accounts"


def finding_ids(out: Path, key: str) -> list[str]:
    document = json.loads((out / key / "findings.json").read_text(encoding="utf-8"))
    return sorted(f["finding_id"] for f in document["findings"])


def ledger_ids(ledger: str) -> list[str]:
    with open_ledger(ledger) as book:
        return sorted(row["finding_id"] for row in book.export_rows())


def test_without_ledger_option_each_account_keeps_a_sqlite_ledger_in_its_output_folder(tmp_path: Path,
                                                                                       monkeypatch) -> None:
    monkeypatch.delenv("FBA_AUDIT_LEDGER", raising=False)
    out = tmp_path / "out"
    result = run_batch(str(accounts(tmp_path)), out, workers=2, defaults=DEFAULTS)
    assert [(o.key, o.status) for o in result.outcomes] == [("north", "ran"), ("south", "ran")]
    for key in ACCOUNTS:
        assert ledger_ids(str(out / key / "ledger.sqlite3")) == finding_ids(out, key)
    rows = {row["folder"]: row for row in json.loads((out / "agency.json").read_text())["accounts"]}
    assert rows["north"]["ledger"] == str(out / "north" / "ledger.sqlite3")


def test_a_ledger_folder_holds_one_sqlite_file_per_account(tmp_path: Path) -> None:
    out, folder = tmp_path / "out", tmp_path / "ledgers"
    run_batch(str(accounts(tmp_path)), out, workers=2, defaults=DEFAULTS, ledger=str(folder))
    assert sorted(p.name for p in folder.iterdir()) == ["north.sqlite3", "south.sqlite3"]
    assert ledger_ids(str(folder / "south.sqlite3")) == finding_ids(out, "south")
    for one_file in (tmp_path / "one.sqlite3", tmp_path / "new.db"):
        with pytest.raises(ValueError, match="a batch keeps one ledger per account; give a folder"):
            run_batch(str(accounts(tmp_path / one_file.stem)), out, defaults=DEFAULTS, ledger=str(one_file))


def test_a_sqlite_ledger_in_the_environment_is_one_sellers_and_not_shared(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FBA_AUDIT_LEDGER", str(tmp_path / "mine.sqlite3"))
    out = tmp_path / "out"
    run_batch(str(accounts(tmp_path)), out, workers=2, defaults=DEFAULTS)
    assert not (tmp_path / "mine.sqlite3").exists()
    assert ledger_ids(str(out / "north" / "ledger.sqlite3")) == finding_ids(out, "north")


def test_postgresql_one_database_a_schema_per_account(tmp_path: Path, postgres_url: str) -> None:
    import psycopg

    out = tmp_path / "out"
    url = postgres_url.replace("postgresql://postgres@", "postgresql://postgres:secret@")  # trust: any password
    result = run_batch(str(accounts(tmp_path)), out, workers=2, defaults=DEFAULTS, ledger=url)
    assert [(o.key, o.status) for o in result.outcomes] == [("north", "ran"), ("south", "ran")], result.outcomes
    for key in ACCOUNTS:
        assert ledger_ids(account_ledger(url, out, key)) == finding_ids(out, key)
    assert set(finding_ids(out, "north")).isdisjoint(finding_ids(out, "south"))
    params = dict(part.split("=", 1) for part in postgres_url.split("?", 1)[1].split("&"))
    with psycopg.connect(host=params["host"], port=params["port"], user="postgres",
                         dbname=postgres_url.split("?")[0].rsplit("/", 1)[1]) as conn:
        schemas = {row[0] for row in conn.execute("SELECT schema_name FROM information_schema.schemata")}
    assert {account_schema("north"), account_schema("south")} <= schemas
    # The password never reaches the overview or the logs.
    overview = (out / "agency.json").read_text(encoding="utf-8")
    assert "secret" not in overview and "postgres:***@" in overview
    assert "secret" not in (out / ".logs" / "north.log").read_text(encoding="utf-8")
    assert shown("postgresql://u:p@h/db?x=1") == "postgresql://u:***@h/db?x=1"


def test_account_schema_names_are_readable_unique_and_short() -> None:
    assert account_schema("North Goods") == account_schema("North Goods")
    assert account_schema("North Goods").startswith("fba_north_goods_")
    assert account_schema("north-goods") != account_schema("North Goods")
    assert len(account_schema("x" * 300)) <= 63
