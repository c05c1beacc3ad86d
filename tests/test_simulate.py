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
    # Amazon's partnered-carrier charge in the settlements instead. The Amazon Fulfilled Shipments report narrows
    # UK/EU fee columns; the simulated account is a US one.
    for dataset, frame in loaded.datasets.items():
        assert frame.height > 0 or dataset in ("inbound_transport", "fulfilled_shipments"), dataset


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


# ------------------------------------------------------------------------------------------- account shapes
# (issue 18) What real folders have and the base account does not: each shape in Amazon's formats, with its
# planted claims and traps in truth.json, and the audit of a shaped account agreeing with its truth.

from fba_audit.accuracy import compare  # noqa: E402
from fba_audit.api import audit  # noqa: E402
from fba_audit.simulate._shapes import PRESETS, SHAPES, resolve  # noqa: E402

SETTLEMENT_SHAPES = [n for n in SHAPES if n not in ("sparse_returns", "date_range_only")]


def _with_header(folder: Path, header: str, encoding: str = "utf-8") -> list[list[str]]:
    """Rows (tab-split) of every .txt file of `folder` whose first line starts with `header`."""
    rows = []
    for path in sorted(folder.glob("*.txt")):
        with path.open("rb") as handle:
            if not handle.read(len(header.encode())).decode(encoding, "replace") == header:
                continue
        lines = path.read_text(encoding=encoding).splitlines()
        if lines and lines[0].startswith(header):
            rows += [line.split("\t") for line in lines]
    return rows


def _v2_lines(folder: Path) -> list[list[str]]:
    rows = _with_header(folder, "settlement-id\tsettlement-start-date")
    return [r for r in rows if len(r) == 24 and r[6]]


@pytest.fixture(scope="module")
def shaped(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shaped") / "reports"
    simulate(folder, skus=120, months=12, seed=3, as_of=AS_OF, shapes=SETTLEMENT_SHAPES)
    return folder, json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8")), load_folder(folder)


@pytest.fixture(scope="module")
def ranges(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ranges") / "reports"
    simulate(folder, skus=80, months=12, seed=4, as_of=AS_OF, shapes="date-range-only, sparse-returns")
    return folder, json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8")), load_folder(folder)


def test_shape_names_presets_and_errors() -> None:
    assert resolve(None) == frozenset() and resolve("realistic") == frozenset(SHAPES) == frozenset(PRESETS["realistic"])
    assert resolve(["Split-Shipments", "mfn_orders,promotions"]) == {"split_shipments", "mfn_orders", "promotions"}
    with pytest.raises(ValueError, match="unknown account shape 'bogus'; use one of split-shipments, "):
        resolve("bogus")


def test_base_account_has_no_shapes(account) -> None:
    folder, summary = account
    assert summary.shapes == ()
    assert "shapes" not in json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8"))


def test_shaped_accounts_audit_as_their_truth_says(shaped, ranges) -> None:
    """Every planted claim found with its status, units and value, no false claim, no trap claimed; from Date
    Range reports only, FBA07 values refunds with the net `selling fees` (Commission less RefundCommission)."""
    folder, truth, _ = shaped
    report = compare(truth, audit(folder, as_of=AS_OF).findings)
    assert report.exact, [m.describe() for m in report.mismatches]
    folder, truth, _ = ranges
    report = compare(truth, audit(folder, as_of=AS_OF).findings)
    assert {(m.code, m.kind) for m in report.mismatches} <= {("FBA07", "value")}
    for m in report.mismatches:
        assert Decimal(m.got) > Decimal(m.expected)  # the RefundCommission is not subtracted


def test_split_shipments_two_order_groups_one_item(shaped) -> None:
    folder, truth, loaded = shaped
    principal = [r for r in _v2_lines(folder) if r[6] == "Order" and r[12:14] == ["ItemPrice", "Principal"]]
    by_item: dict[tuple, list] = {}
    for r in principal:
        by_item.setdefault((r[7], r[18]), []).append(r)
    split = {k: v for k, v in by_item.items() if len(v) == 2}
    # (The V1 and the zipped settlement hold the rest.)
    assert 0 < len(split) <= truth["shapes"]["split_shipments"]["order_items"]
    orders = loaded.datasets["orders"].select("amazon_order_id", "quantity")
    quantity = dict(orders.iter_rows())
    for (order_id, _), (first, second) in split.items():
        assert first[10] != second[10]  # a shipment id each
        assert first[17][:10] == second[17][:10] and first[17] < second[17]  # the same day, later
        assert int(first[22]) + int(second[22]) == quantity[order_id]
    traps = {(t["code"], t["variant"]) for t in truth["traps"] if "split_shipments" in t.get("shapes", [])}
    assert traps >= {("FBA01", "trap_split_shipment_correct_fee"), ("FBA10", "trap_split_shipment_correct_fee")}
    assert any("split_shipments" in c.get("shapes", []) and c["code"] == "FBA01" for c in truth["claims"])


def test_unit_spellings_written_as_sellers_write_them(shaped) -> None:
    folder, truth, loaded = shaped
    lines = (folder / "products.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "sku,unit_cost,currency,length,width,height,dimension_unit,weight,weight_unit,referral_category"
    rows = [line.split(",") for line in lines[1:]]
    units = {r[6] for r in rows} | {r[8] for r in rows}
    assert units >= {"inches", "cm", "mm", "lbs", "ounces", "kg", "g"}
    # Exact conversions: 7.00 in = 177.800 mm = 17.7800 cm; 0.30 lb = 4.80 oz = 0.1360777110 kg = 136.0777110 g.
    mm = next(r for r in rows if r[6] == "mm")
    assert re.fullmatch(r"\d+\.\d{3}", mm[3]) and Decimal(mm[3]) % Decimal("0.254") == 0
    kg = next(r for r in rows if r[8] == "kg")
    assert re.fullmatch(r"\d+\.\d{10}", kg[7]) and Decimal(kg[7]) % Decimal("0.0045359237") == 0
    products = loaded.datasets["products"]
    assert set(products["dimension_unit"].drop_nulls()) <= {"in", "cm"}
    assert set(products["weight_unit"].drop_nulls()) <= {"lb", "oz", "g", "kg"}
    spelled = [c for c in truth["claims"] if "unit_spellings" in c.get("shapes", [])]
    assert spelled and {c["code"] for c in spelled} == {"FBA01"}
    assert truth["shapes"]["unit_spellings"]["claims"] == len(spelled)


def test_duplicate_product_rows_and_their_problems(shaped) -> None:
    folder, truth, loaded = shaped
    listed = truth["shapes"]["duplicate_products"]
    assert listed["identical"] and listed["cost"] and listed["dimensions"]
    rows = [line.split(",") for line in (folder / "products.csv").read_text(encoding="utf-8").splitlines()[1:]]
    twice = {r[0] for r in rows if sum(x[0] == r[0] for x in rows) == 2}
    assert twice == set(listed["identical"]) | set(listed["cost"]) | set(listed["dimensions"])
    problems = [str(p) for f in loaded.files if f.kind == "products" for p in f.problems]
    sku = listed["cost"][0]
    assert any(f"SKU {sku} is listed on lines" in p and "with different unit_cost, currency" in p for p in problems)
    assert sum("with the same values" in p for p in problems) == len(listed["identical"])
    traps = [t for t in truth["traps"] if t["variant"] == "trap_conflicting_dimensions"]
    assert [t["keys"]["sku"] for t in traps] == listed["dimensions"]


def test_fee_corrections_itemized_and_not(shaped) -> None:
    folder, truth, _ = shaped
    lines = _v2_lines(folder)
    itemized = [r for r in lines if r[13] == "INCORRECT_FEES_ITEMS"]
    general = [r for r in lines if r[13] == "INCORRECT_FEES_NON_ITEMIZED"]
    assert itemized and all(r[6] == "other-transaction" and r[12] == "FBA Inventory Reimbursement" and r[7] and r[21]
                            for r in itemized)
    assert len(general) == 1 and general[0][7] == general[0][21] == "" and Decimal(general[0][14]) > 0
    report = _with_header(folder, "approval-date", encoding="cp1252")
    corrections = [r for r in report if r[4] == "FeeCorrection"]
    assert {(r[3], r[5], r[12]) for r in corrections} == {(r[7], r[21], r[14]) for r in itemized}
    touched = [c for c in truth["claims"] if "fee_corrections" in c.get("shapes", [])]
    assert {c["status"] for c in touched} <= {"review", "expired"} and any(c["status"] == "review" for c in touched)
    assert any("already paid" in c["explanation"] for c in touched)


def test_mfn_orders_are_the_sellers_own(shaped) -> None:
    folder, truth, loaded = shaped
    lines = _v2_lines(folder)
    mfn_orders = {r[7] for r in lines if r[15] == "MFN"}
    assert mfn_orders
    assert not any(r[7] in mfn_orders and r[13] == "FBAPerUnitFulfillmentFee" for r in lines)
    channel = dict(loaded.datasets["orders"].select("amazon_order_id", "fulfillment_channel").iter_rows())
    assert {channel[o] for o in mfn_orders} == {"Merchant"}
    returned = set(loaded.datasets["customer_returns"]["order_id"])
    assert not mfn_orders & returned
    refunds = [t for t in truth["traps"] if t["variant"] == "trap_merchant_fulfilled_refund"]
    assert refunds and all(t["code"] == "FBA07" and t["keys"]["order_id"] in mfn_orders for t in refunds)


def test_promotions_on_orders_and_refunds(shaped) -> None:
    folder, truth, loaded = shaped
    lines = _v2_lines(folder)
    promo = [r for r in lines if r[12] == "Promotion"]
    given = [r for r in promo if r[6] == "Order"]
    back = [r for r in promo if r[6] == "Refund"]
    assert given and back and all(r[13] == "Principal" and re.fullmatch(r"A\d{13}", r[23]) for r in promo)
    assert all(Decimal(r[14]) < 0 for r in given) and all(Decimal(r[14]) > 0 for r in back)
    ids = {r[7]: r[23] for r in given}
    orders = loaded.datasets["orders"].filter(pl.col("item_promotion_discount").is_not_null())
    assert set(ids) <= set(orders["amazon_order_id"]) and (orders["item_promotion_discount"] < 0).all()
    all_orders = _with_header(folder, "\ufeffamazon-order-id", encoding="utf-8")
    assert {r[0]: r[27] for r in all_orders if r[0] in ids} == ids  # promotion-ids
    traps = {t["variant"] for t in truth["traps"] if "promotions" in t.get("shapes", [])}
    assert traps == {"trap_promotion", "trap_promotion_refund"}


def test_legacy_adjustments_and_received_inventory(shaped) -> None:
    folder, _, loaded = shaped
    adjustments = _with_header(folder, "adjusted-date\t")
    assert adjustments[0] == ["adjusted-date", "transaction-item-id", "fnsku", "sku", "product-name",
                              "fulfillment-center-id", "quantity", "reason", "disposition", "reconciled",
                              "unreconciled"]
    assert re.fullmatch(r"2025-1[12]-\d\dT\d\d:\d\d:\d\d\+00:00", adjustments[1][0])
    assert {r[7] for r in adjustments[1:]} <= {"M", "F", "E", "5", "D", "P", "O", "N", "H", "K", "U"}
    receipts = _with_header(folder, "received-date\t")
    assert receipts[0] == ["received-date", "fnsku", "sku", "product-name", "quantity", "fba-shipment-id",
                           "fulfillment-center-id"]
    assert re.fullmatch(r"FBA[0-9A-Z]{9}", receipts[1][5])
    kept = {f.kind: f.rows_kept for f in loaded.files if f.kind in ("inventory_adjustments", "received_inventory")}
    assert kept == {"inventory_adjustments": len(adjustments) - 1, "received_inventory": len(receipts) - 1}
    ledger = loaded.datasets["inventory_ledger"]
    first_ledger_day = ledger.filter(pl.col("source_report") == "ledger_detail")["date"].min()
    assert ledger.filter(pl.col("source_report") != "ledger_detail")["date"].max() < first_ledger_day


def test_date_range_only_and_sparse_returns(ranges) -> None:
    folder, truth, loaded = ranges
    kinds = {f.kind for f in loaded.files}
    assert not kinds & {"settlement_v1", "settlement_v2"} and "date_range" in kinds
    names = sorted(f.file for f in loaded.files if f.kind == "date_range")
    assert names[0] == "2025Dec1-2025Dec31CustomUnifiedTransaction.csv" or "MonthlyUnified" in " ".join(names)
    assert len(names) == 13 and all(f.duplicates == 0 for f in loaded.files if f.kind == "date_range")
    monthly = (folder / "2026OctMonthlyUnifiedTransaction.csv").read_text(encoding="utf-8-sig").splitlines()
    assert monthly[7].startswith('"date/time","settlement id","type","order id","sku","description"')
    assert not [c for c in truth["claims"] if c["code"] == "FBA06"]
    assert truth["shapes"]["date_range_only"]["not_visible"]
    fees = [c for c in truth["claims"] if c["code"] in ("FBA01", "FBA10") and c["status"] != "expired"]
    assert fees and {c["status"] for c in fees} == {"review"}
    # Sparse returns: nothing in the last 60 days, and a pace at which that silence is ordinary.
    returns = loaded.datasets["customer_returns"]
    end = dt.date.fromisoformat(truth["period"]["end"])
    assert (end - returns["return_date"].max()).days > 60
    assert truth["shapes"]["sparse_returns"]["looks_cut_short"] is False
    assert not [p for f in loaded.files if f.kind == "customer_returns" for p in f.problems]
    touched = [c for c in truth["claims"] if "sparse_returns" in c.get("shapes", [])]
    assert touched and {c["code"] for c in touched} == {"FBA07"}
def test_discrepancy_rate_option_plants_more_customer_stories_and_is_bounded(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fba_audit.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["simulate", str(tmp_path / "high"), "--skus", "30", "--months", "3",
                                 "--discrepancy-rate", "0.05"])
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "high" / TRUTH_FILE).read_text(encoding="utf-8"))
    per_variant = {}
    for claim in truth["claims"]:
        if claim["code"] == "FBA07":
            per_variant[claim["variant"]] = per_variant.get(claim["variant"], 0) + 1
    # Every FBA07 variant that fits in 3 months (not the expired or window-closing ones, 116 days and more before
    # the audit date) has the same, larger count.
    assert sorted(per_variant) == ["refund_without_return", "refund_without_return_partly_reimbursed",
                                   "refund_without_return_waiting"]
    assert len(set(per_variant.values())) == 1 and next(iter(per_variant.values())) > 1
    for bad in ("0.3", "-0.01"):
        refused = runner.invoke(app, ["simulate", str(tmp_path / bad), "--skus", "3", "--discrepancy-rate", bad])
        assert refused.exit_code == 2
        assert "--discrepancy-rate" in refused.output
    with pytest.raises(ValueError, match="discrepancy_rate must be between 0 and 0.2 findings per order item, got 0.5"):
        simulate(tmp_path / "lib", skus=3, months=1, seed=1, discrepancy_rate=0.5)
