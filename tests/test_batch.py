"""`fba-audit batch`: many accounts in one run, each exactly as `fba-audit run` audits it alone.

The accounts are tiny folders of real-format reports (copies of detector fixtures). Every account runs as a real
`fba-audit run` process; the Dask test starts a real scheduler and two worker processes on localhost.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from fba_audit import batch
from fba_audit.batch import (
    AccountConfigError,
    AccountOptions,
    AccountTask,
    parse_account_options,
    run_account,
    run_batch,
)
from fba_audit.cli import app

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "detectors"
REFUND_NOT_RETURNED = FIXTURES / "FBA07" / "finds_refund_not_returned" / "reports"
WAITING_AND_EXPIRED = FIXTURES / "FBA02" / "finds_window_waiting_and_expired" / "reports"
AS_OF = "2026-05-15"
# FBA10 ran on north's settlement but knows no referral category for WIDGET-BLU (no products.csv, no Fee Preview).
NORTH_NOT_CHECKED = {"FBA10": 1}


def make_accounts(root: Path) -> Path:
    """north: its own name and audit date in account.toml; south: the batch's defaults; empty: no report;
    badconf: an account.toml whose as_of is not a date."""
    accounts = root / "accounts"
    shutil.copytree(REFUND_NOT_RETURNED, accounts / "north")
    (accounts / "north" / "account.toml").write_text('name = "North Goods"\nas_of = 2026-05-15\n', encoding="utf-8")
    shutil.copytree(WAITING_AND_EXPIRED, accounts / "south")
    (accounts / "empty").mkdir()
    (accounts / "empty" / "notes.txt").write_text("call the seller about March\n", encoding="utf-8")
    shutil.copytree(REFUND_NOT_RETURNED, accounts / "badconf")
    (accounts / "badconf" / "account.toml").write_text('name = "Bad Config"\nas_of = "next week"\n',
                                                       encoding="utf-8")
    (accounts / ".hidden").mkdir()  # hidden folders are not accounts
    return accounts


@pytest.fixture(scope="module")
def local_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    root = tmp_path_factory.mktemp("batch")
    accounts = make_accounts(root)
    out = root / "out"
    result = CliRunner().invoke(app, ["batch", str(accounts), "--out", str(out), "--as-of", AS_OF, "--workers", "2"])
    return accounts, out, result


def agency(out: Path) -> dict:
    return json.loads((out / "agency.json").read_text(encoding="utf-8"))


def without_timing(document: dict) -> dict:
    for row in document["accounts"]:
        row.pop("seconds")
        row.pop("peak_memory_mb")
    return document


def test_a_failed_account_makes_exit_2_and_the_others_still_run(local_batch) -> None:
    accounts, out, result = local_batch
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert "4 accounts: 2 ran, 0 skipped (nothing new), 2 failed" in lines
    assert any(line.startswith("[") and "North Goods  ran (" in line
               and line.endswith("1 findings, 1 claimable worth 21.24 USD, nearest deadline 2026-06-20")
               for line in lines), result.output
    assert sorted(p.name for p in out.iterdir()) == [".batch-manifest.json", ".logs", "agency.json",
                                                      "agency.xlsx", "empty", "north", "south"]
    # The account without reports wrote no outputs; its folder holds only its (empty) claim ledger.
    assert sorted(p.name for p in (out / "empty").iterdir()) == ["ledger.sqlite3"]


def test_each_account_gets_exactly_what_run_writes_for_it_alone(local_batch, tmp_path: Path) -> None:
    accounts, out, _ = local_batch
    for key in ("north", "south"):
        alone = tmp_path / key
        run = subprocess.run([sys.executable, "-m", "fba_audit", "run", str(accounts / key), "--out", str(alone),
                              "--as-of", AS_OF], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        for name in ("findings.json", "findings.csv"):
            assert (out / key / name).read_bytes() == (alone / name).read_bytes(), f"{key}/{name}"


def test_agency_json_one_row_per_account_sorted_by_money_then_deadline(local_batch) -> None:
    accounts, out, _ = local_batch
    document = without_timing(agency(out))
    assert document["totals"] == {"accounts": 4, "ran": 2, "skipped": 0, "failed": 2, "claimable_findings": 2,
                                  "claimable_value": {"USD": "21.24"}}
    rows = document["accounts"]
    assert [row["folder"] for row in rows] == ["north", "south", "badconf", "empty"]
    north, south, badconf, empty = rows
    assert north == {
        "account": "North Goods", "folder": "north", "status": "ran", "error": None, "log": ".logs/north.log",
        "marketplace": "US", "as_of": "2026-05-15", "findings": 1,
        "claimable": {"findings": 1, "units": 1, "value": {"USD": "21.24"}},
        "review": {"findings": 0, "units": 0, "value": {}},
        "waiting": {"findings": 0, "units": 0, "value": {}},
        "expired": {"findings": 0, "units": 0, "value": {}},
        "by_detector": {"FBA07": {"findings": 1, "claimable_findings": 1, "claimable_units": 1,
                                  "claimable_value": {"USD": "21.24"}}},
        "nearest_deadline": "2026-06-20", "input_errors": 0, "input_warnings": 0,
        "skipped_detectors": north["skipped_detectors"], "not_checked": NORTH_NOT_CHECKED,
        "ledger": str(out / "north" / "ledger.sqlite3"),
    }
    assert "FBA07" not in north["skipped_detectors"]
    # No amount: the ledger fixture has no cost file and no past reimbursement to value the unit with.
    assert (south["account"], south["status"], south["nearest_deadline"]) == ("south", "ran", "2026-05-31")
    assert {s: south[s]["findings"] for s in ("claimable", "review", "waiting", "expired")} == {
        "claimable": 1, "review": 0, "waiting": 1, "expired": 1}
    assert south["claimable"]["value"] == {}
    assert badconf == {"account": "badconf", "folder": "badconf", "status": "failed", "log": ".logs/badconf.log",
                       "ledger": None,
                       "error": f"{accounts / 'badconf'}/account.toml:2: as_of = 'next week': expected a date, "
                                "e.g. as_of = 2026-11-30."}
    assert empty["status"] == "failed"
    assert empty["error"] == (f"fba-audit run exited with status 2: No Seller Central report recognised in "
                              f"{accounts / 'empty'}; nothing to audit. Put the report downloads in it (see "
                              "`fba-audit check --help` for the list).")
    command = (out / ".logs" / "empty.log").read_text(encoding="utf-8").splitlines()[0]
    assert command.startswith(f"$ fba-audit run {accounts / 'empty'} --out {out / 'empty'} --as-of 2026-05-15 "
                              f"--ledger {out / 'empty' / 'ledger.sqlite3'} --cache ")
    # Each account its own parse cache, under the default one (a $FBA_AUDIT_CACHE of the tests).
    assert re.search(r"--cache \S*parse-cache\d*/accounts/empty$", command), command


def test_agency_workbook_opens_on_the_summary_sorted_by_money(local_batch) -> None:
    _, out, _ = local_batch
    book = load_workbook(out / "agency.xlsx")
    assert book.sheetnames == ["Summary", "By detector"]
    assert book.active.title == "Summary"
    summary = book["Summary"]
    rows = list(summary.iter_rows(values_only=True))
    assert rows[0][:8] == ("Account", "Status", "Marketplace", "Claimable value", "Currency", "Nearest deadline",
                           "Claimable findings", "Claimable units")
    assert [row[0] for row in rows[1:]] == ["North Goods", "south", "badconf", "empty"]
    assert rows[1][:8] == ("North Goods", "ran", "US", 21.24, "USD", dt.datetime(2026, 6, 20), 1, 1)
    assert summary["D2"].number_format == "#,##0.00"
    assert summary.freeze_panes == "B2"
    assert summary.page_setup.orientation == "landscape"
    detectors = list(book["By detector"].iter_rows(values_only=True))
    assert detectors[1] == ("North Goods", "FBA07", 1, 1, 1, 21.24, "USD", "north")


def test_resume_skips_unchanged_accounts_and_reruns_changed_and_failed_ones(local_batch, tmp_path: Path) -> None:
    accounts_src, out_src, _ = local_batch
    accounts, out = tmp_path / "accounts", tmp_path / "out"
    shutil.copytree(accounts_src, accounts)
    shutil.copytree(out_src, out)
    # The manifest records the fingerprints of the first run's folders: the copies have the same content.
    again = run_batch(str(accounts), out, workers=2, resume=True, defaults=AccountOptions(
        name="", as_of=dt.date(2026, 5, 15)))
    assert {o.key: o.status for o in again.outcomes} == {"badconf": "failed", "empty": "failed", "north": "skipped",
                                                         "south": "skipped"}
    # A skipped account keeps its figures in the overview.
    assert agency(out)["accounts"][0]["claimable"]["value"] == {"USD": "21.24"}
    with open(accounts / "south" / "ledger.txt", "a", encoding="utf-8") as ledger:
        ledger.write("\n")  # any change to a file's bytes makes the account run again
    third = run_batch(str(accounts), out, workers=2, resume=True, defaults=AccountOptions(
        name="", as_of=dt.date(2026, 5, 15)))
    assert {o.key: o.status for o in third.outcomes}["south"] == "ran"
    assert {o.key: o.status for o in third.outcomes}["north"] == "skipped"
    # Other options are another fingerprint: a different audit date runs the account again.
    fourth = run_batch(str(accounts), out, workers=2, resume=True, defaults=AccountOptions(
        name="", as_of=dt.date(2026, 5, 20)))
    assert {o.key: o.status for o in fourth.outcomes}["south"] == "ran"


def test_time_and_memory_limits_stop_one_account(tmp_path: Path) -> None:
    base = dict(key="north", folder=str(REFUND_NOT_RETURNED), out_dir=str(tmp_path / "north"),
                log_path=str(tmp_path / "north.log"), options=AccountOptions(name="North", as_of=dt.date(2026, 5, 15)))
    slow = run_account(AccountTask(**base, timeout_s=0.05))
    assert (slow.status, slow.error) == ("failed", "stopped after the time limit of 0.05 s")
    hungry = run_account(AccountTask(**base, max_memory_mb=20))
    assert hungry.status == "failed"
    assert hungry.error.startswith("stopped at ") and hungry.error.endswith(" MB, above the memory limit of 20 MB")
    assert not (tmp_path / "north" / "findings.json").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "A"\nmarketplce = "US"\n',
         "acct/account.toml:2: unknown key 'marketplce'; the keys are name, marketplace, as_of, select, ignore, "
         "lang, per_case, seller_country."),
        ('seller_country = "China"\n',
         "acct/account.toml:1: seller_country = 'China': expected the two-letter code of the country the business is "
         "established in, e.g. seller_country = \"CN\"."),
        ('select = "FBA02;FBA07"\n',
         "acct/account.toml:1: select = 'FBA02;FBA07': expected detector codes, e.g. select = \"FBA02,FBA07\" or "
         "select = [\"FBA02\", \"FBA07\"]."),
        ("per_case = 0\n", "acct/account.toml:1: per_case = 0: expected a whole number of at least 1, e.g. "
                           "per_case = 5."),
        ('lang = "fr"\n', "acct/account.toml:1: lang = 'fr': expected en or zh."),
        ("name = \n", "acct/account.toml: not valid TOML (Invalid value (at line 1, column 8)); see "
                      "docs/agencies.md for the keys."),
    ],
)
def test_account_toml_errors_name_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(AccountConfigError) as raised:
        parse_account_options(text, where="acct/account.toml", folder_name="acct")
    assert str(raised.value) == message


def test_account_toml_values_and_defaults() -> None:
    defaults = AccountOptions(name="acct", as_of=dt.date(2026, 11, 30), lang="zh")
    options = parse_account_options('name = " Acme "\nmarketplace = "us"\nselect = ["fba02", "FBA07"]\n'
                                    'as_of = "2026-11-22"\nper_case = 3\n', where="x", folder_name="acct",
                                    defaults=defaults)
    assert options == AccountOptions(name="Acme", marketplace="US", as_of=dt.date(2026, 11, 22),
                                     select="FBA02,FBA07", lang="zh", per_case=3)
    assert options.run_arguments() == ["--as-of", "2026-11-22", "--marketplace", "US", "--select", "FBA02,FBA07",
                                       "--lang", "zh", "--per-case", "3"]


def test_dask_cluster_gives_the_local_results(local_batch, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="the Dask test needs `distributed` (in .[test])")
    accounts, out_local, _ = local_batch
    out = tmp_path / "out"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster:
        result = run_batch(str(accounts), out, scheduler=cluster.scheduler_address,
                           defaults=AccountOptions(name="", as_of=dt.date(2026, 5, 15)))
        workers = {o.worker for o in result.outcomes if o.status == "ran"}
        with distributed.Client(cluster) as client:
            # The nanny's tuning of its own workers (aggressive malloc trimming) is not handed on to `run`.
            worker_env, run_env = client.submit(lambda: (dict(os.environ), batch._run_environment())).result()
        assert worker_env["MALLOC_TRIM_THRESHOLD_"] == "65536"
        assert "MALLOC_TRIM_THRESHOLD_" not in run_env and run_env["PATH"] == worker_env["PATH"]
    local = without_timing(agency(out_local))
    remote = without_timing(agency(out))
    assert remote["totals"] == local["totals"]
    assert [r["folder"] for r in remote["accounts"]] == [r["folder"] for r in local["accounts"]]
    for a, b in zip(remote["accounts"], local["accounts"]):
        # Each batch keeps the accounts' ledgers in its own output folder.
        assert (a.pop("ledger") or "").replace(str(out), "OUT") == (b.pop("ledger") or "").replace(str(out_local),
                                                                                                    "OUT")
        assert a == b
    for key in ("north", "south"):
        assert (out / key / "findings.json").read_bytes() == (out_local / key / "findings.json").read_bytes()
    assert all(not w.endswith(f":{os.getpid()}") for w in workers)  # each ran in a Dask worker


def test_accounts_given_as_a_url(local_batch, tmp_path: Path) -> None:
    pytest.importorskip("fsspec", reason="URL accounts need fsspec (installed with distributed)")
    accounts, out_local, _ = local_batch
    only = tmp_path / "accounts"
    shutil.copytree(accounts / "north", only / "north")
    out = tmp_path / "out"
    result = run_batch(only.as_uri(), out, workers=1)
    assert [(o.key, o.status) for o in result.outcomes] == [("north", "ran")]
    assert (json.loads((out / "north" / "findings.json").read_text())["findings"]
            == json.loads((out_local / "north" / "findings.json").read_text())["findings"])


def test_account_toml_seller_country_becomes_the_run_option() -> None:
    # The Digital Services Fee depends on the seller's country of establishment (issue 24); GB is the UK store's UK.
    options = parse_account_options('seller_country = "gb"\n', where="acct/account.toml", folder_name="acct")
    assert options.seller_country == "UK"
    assert options.run_arguments() == ["--seller-country", "UK"]
    # Without the key, the batch's --seller-country holds.
    batch_default = AccountOptions(name="acct", seller_country="CN")
    assert parse_account_options('name = "A"\n', where="acct/account.toml", folder_name="acct",
                                 defaults=batch_default).seller_country == "CN"


def test_each_account_has_a_parse_cache_of_its_own(tmp_path: Path) -> None:
    accounts = [batch.AccountFolder("north", str(tmp_path / "north"), None),
                batch.AccountFolder("south", str(tmp_path / "south"), 'name = "South"\n')]
    given = batch.plan_tasks(accounts, tmp_path / "out", cache=tmp_path / "caches")
    assert [t.options.run_arguments()[-2:] for t in given] == [
        ["--cache", str(tmp_path / "caches" / "north")], ["--cache", str(tmp_path / "caches" / "south")]]
    default = batch.plan_tasks(accounts, tmp_path / "out")
    root = Path(os.environ["FBA_AUDIT_CACHE"]) / "accounts"
    assert [t.options.cache for t in default] == [str(root / "north"), str(root / "south")]
    none = batch.plan_tasks(accounts, tmp_path / "out", no_cache=True)
    assert [t.options.run_arguments()[-1] for t in none] == ["--no-cache", "--no-cache"]
