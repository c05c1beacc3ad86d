"""The simulated seller account: real formats that load cleanly, every detector's truth, determinism."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from fba_audit.reports import load_folder
from fba_audit.simulate import TRUTH_FILE, simulate

AS_OF = dt.date(2026, 11, 22)
CODES = [f"FBA{n:02d}" for n in range(1, 11)]


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def account(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("sim") / "reports"
    summary = simulate(folder, skus=30, months=3, seed=11, as_of=AS_OF)
    return folder, summary


@pytest.fixture(scope="module")
def loaded(account):
    return load_folder(account[0])


def test_loads_without_any_problem(loaded) -> None:
    problems = [str(p) for f in loaded.files for p in f.problems]
    assert problems == [
        "2026Oct15-2026Nov20CustomUnifiedTransaction.csv: 397 rows belong to settlements 24501064169, 24513409848, "
        "24525755527, already read from settlement flat files; they were counted as duplicates.",
        "2026OctMonthlyUnifiedTransaction.csv: 302 rows belong to settlements 24488718490, 24501064169, "
        "24513409848, already read from settlement flat files; they were counted as duplicates.",
        "truth.json: is the truth file of a simulated account (fba-audit simulate); not a report.",
    ]
    for f in loaded.files:
        if f.file == TRUTH_FILE:
            continue
        assert f.rows_read > 0, f.file
        assert f.rows_rejected == 0, f.file
        assert f.rows_read == f.rows_kept + f.duplicates, f.file


def test_every_report_kind_is_present(loaded) -> None:
    kinds = {f.kind for f in loaded.files}
    assert kinds >= {"ledger_detail", "customer_returns", "reimbursements", "fee_preview", "settlement_v2",
                     "settlement_v1", "date_range", "all_orders", "inbound_shipments", "inbound_shipment_items",
                     "products"}
    # getTransportDetails responses are evidence a seller may add; the simulator shows a partnered shipment by
    # Amazon's partnered-carrier charge in the settlements instead.
    for dataset, frame in loaded.datasets.items():
        assert frame.height > 0 or dataset == "inbound_transport", dataset


def test_real_formats_and_encodings(account, loaded) -> None:
    folder, _ = account
    by_kind: dict[str, list] = {}
    for f in loaded.files:
        by_kind.setdefault(f.kind, []).append(f)
    assert {f.encoding for f in by_kind["reimbursements"]} == {"Windows-1252"}
    assert {f.encoding for f in by_kind["fee_preview"]} == {"Windows-1252"}
    assert {f.encoding for f in by_kind["all_orders"]} == {"UTF-8 with BOM"}
    ledgers = sorted(by_kind["ledger_detail"], key=lambda f: f.file)
    assert {f.delimiter for f in ledgers} == {"tab", "comma"}
    assert any("!" in f.file for f in by_kind["settlement_v2"])  # one settlement read from inside a zip
    reimbursements = (folder / by_kind["reimbursements"][0].file).read_bytes()
    assert "Crème".encode("cp1252") in reimbursements
    quoted = (folder / next(f.file for f in ledgers if f.delimiter == "comma")).read_bytes()
    assert quoted.startswith(b'\xef\xbb\xbf"Date","FNSKU","ASIN","MSKU"')
    fee_preview = (folder / by_kind["fee_preview"][0].file).read_text(encoding="cp1252").splitlines()
    assert len(fee_preview[0].split("\t")) == 31 and "\t--\t" in fee_preview[1]
    for items in (folder / "getShipments.json", folder / "getShipmentItems.json"):
        assert set(json.loads(items.read_text())["payload"]) <= {"ShipmentData", "ItemData"}


def test_overlapping_ledger_download_gives_duplicates_not_double_rows(loaded) -> None:
    ledgers = [f for f in loaded.files if f.kind == "ledger_detail"]
    assert sum(f.duplicates for f in ledgers) > 0
    ledger = loaded.datasets["inventory_ledger"]
    assert ledger.height == max(f.rows_read for f in ledgers)


def test_date_range_downloads_repeat_the_settlements_and_are_counted_once(account, loaded) -> None:
    """The bookkeeper's monthly and custom Date Range downloads hold days the settlement flat files already give:
    the same order and refund money, in Amazon's Date Range format, every row a duplicate."""
    folder, _ = account
    ranges = sorted((f for f in loaded.files if f.kind == "date_range"), key=lambda f: f.file)
    assert [(f.file, f.rows_read, f.rows_kept, f.duplicates, f.first_date, f.last_date) for f in ranges] == [
        ("2026Oct15-2026Nov20CustomUnifiedTransaction.csv", 397, 0, 397, dt.date(2026, 10, 15), dt.date(2026, 11, 20)),
        ("2026OctMonthlyUnifiedTransaction.csv", 302, 0, 302, dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
    ]
    assert (loaded.datasets["transactions"]["source_format"] != "date_range").all()
    text = (folder / "2026OctMonthlyUnifiedTransaction.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text[1] == '"All amounts in USD, unless specified"' and text[7].startswith('"date/time","settlement id"')
    assert len(text[7].split('","')) == 30
    assert re.fullmatch(r'"[A-Z][a-z]{2} \d{1,2}, 2026 \d{1,2}:\d\d:\d\d [AP]M P[DS]T"', text[8].split(",")[0] + ","
                        + text[8].split(",")[1]), text[8]
    assert any(re.search(r'"Transfer",.*"-\d{1,3},\d{3}\.\d\d"$', line) for line in text)
    # Read alone, the monthly report gives the money of the settlement lines posted in October, Pacific time.
    alone = folder.parent / "monthly-alone"
    alone.mkdir(exist_ok=True)
    (alone / "month.csv").write_bytes((folder / "2026OctMonthlyUnifiedTransaction.csv").read_bytes())
    month = load_folder(alone).datasets["transactions"]
    flat = loaded.datasets["transactions"].filter(
        pl.col("posted_at").dt.convert_time_zone("America/Los_Angeles").dt.month() == 10)
    for frame in (month, flat):
        assert frame.height > 0

    def per_order(frame: pl.DataFrame) -> dict:
        items = frame.filter(pl.col("transaction_type").is_in(["Order", "Refund"]))
        totals = items.group_by("order_id", "transaction_type").agg(pl.col("amount").sum())
        return {(order, kind): amount for order, kind, amount in totals.iter_rows()}

    assert per_order(month) == per_order(flat)
    # Every other line too (reimbursements, fees), less the payouts, which a flat file prints as its total only.
    payouts = pl.col("transaction_type") == "Transfer"
    assert month.filter(~payouts)["amount"].sum() == flat["amount"].sum()
    paid = month.filter(payouts).select("settlement_id", paid=-pl.col("amount"))
    # (The second settlement holds holiday-peak days from 2026-10-15: charged the 2026 peak table since issue 23.)
    assert paid.rows() == [("24488718490", Decimal("1413.60")), ("24501064169", Decimal("1719.76"))]
    settled = loaded.datasets["settlements"].join(paid, on="settlement_id")
    assert (settled["total_amount"] == settled["paid"]).all() and settled.height == 2


def test_settlement_amounts_add_up_to_their_total(loaded) -> None:
    sums = loaded.datasets["transactions"].group_by("settlement_id").agg(pl.col("amount").sum().alias("sum"))
    totals = loaded.datasets["settlements"].join(sums, on="settlement_id")
    assert totals.height == loaded.datasets["settlements"].height
    assert (totals["sum"] == totals["total_amount"]).all()


def test_truth_has_every_detector_and_traps(account) -> None:
    folder, summary = account
    truth = json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8"))
    assert truth["seed"] == 11 and truth["as_of"] == AS_OF.isoformat()
    assert sorted({c["code"] for c in truth["claims"]}) == CODES
    assert sorted({t["code"] for t in truth["traps"]}) == CODES
    statuses = {c["status"] for c in truth["claims"]}
    assert statuses >= {"claimable", "review", "waiting", "expired"}
    for claim in truth["claims"]:
        assert claim["status"] in ("claimable", "review", "waiting", "expired")
        assert claim["keys"]["marketplace"] == "US" and claim["keys"]["sku"]
        assert claim["units"] >= 0
        if claim["value"] is not None:
            assert claim["value"] == f"{float(claim['value']):.2f}"
    for trap in truth["traps"]:
        assert trap["why"]
    assert summary.claims == {code: sum(c["code"] == code for c in truth["claims"]) for code in CODES}


def test_truth_keys_exist_in_the_reports(account, loaded) -> None:
    folder, _ = account
    truth = json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8"))
    orders = set(loaded.datasets["orders"]["amazon_order_id"].to_list())
    shipments = set(loaded.datasets["inbound_shipments"]["shipment_id"].to_list())
    references = set(loaded.datasets["inventory_ledger"]["reference_id"].drop_nulls().to_list())
    for case in truth["claims"] + truth["traps"]:
        keys = case["keys"]
        assert keys["order_id"] is None or keys["order_id"] in orders, case
        assert keys["shipment_id"] is None or keys["shipment_id"] in shipments, case
        assert keys["reference_id"] is None or keys["reference_id"] in references, case


def test_partnered_carrier_charges_shipment_names_and_restocking_fee_tax(account, loaded) -> None:
    """FBA04 reads Amazon's partnered-carrier charge and the date in the default shipment name; FBA06 the tax
    withheld on a restocking fee the buyer paid."""
    folder, _ = account
    truth = json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8"))
    lines = loaded.datasets["transactions"]
    shipments = loaded.datasets["inbound_shipments"]
    charges = lines.filter(pl.col("amount_description") == "FBAInboundTransportationFee")
    assert charges.height > 0 and (charges["amount"] < 0).all()
    assert set(charges["shipment_id"]) <= set(shipments["shipment_id"])
    assert shipments["shipment_name"].str.contains(r"^FBA STA \(\d\d/\d\d/\d{4} \d\d:\d\d\)-[A-Z0-9]{4}$").all()
    by_variant = {(c["code"], c["variant"]): c for c in truth["claims"]}
    partnered = by_variant[("FBA04", "carrier_damaged_receipt")]["keys"]["shipment_id"]
    own = by_variant[("FBA04", "carrier_damaged_own_carrier")]["keys"]["shipment_id"]
    assert partnered in set(charges["shipment_id"]) and own not in set(charges["shipment_id"])
    tax = lines.filter(pl.col("amount_description") == "MarketplaceFacilitatorTax-RestockingFee")
    fba06 = by_variant[("FBA06", "restocking_fee_not_credited")]["keys"]["order_id"]
    assert fba06 in set(tax["order_id"]) and (tax["amount"] < 0).all()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    first = simulate(tmp_path / "a", skus=12, months=2, seed=5, as_of=AS_OF)
    second = simulate(tmp_path / "b", skus=12, months=2, seed=5, as_of=AS_OF)
    simulate(tmp_path / "c", skus=12, months=2, seed=6, as_of=AS_OF)
    assert first.files == second.files
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert (tmp_path / "a" / TRUTH_FILE).read_bytes() == (tmp_path / "b" / TRUTH_FILE).read_bytes()
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert (tmp_path / "a" / TRUTH_FILE).read_bytes() != (tmp_path / "c" / TRUTH_FILE).read_bytes()


def test_rejects_unsupported_marketplace(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="US"):
        simulate(tmp_path, skus=5, months=1, seed=1, marketplace="DE")
