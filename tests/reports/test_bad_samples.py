"""Broken samples, one per problem: the exact message (file:line: message hint), its severity, the accounting,
and that the other rows of the file survive (hledger's test/errors/, STYLE.md §9.3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from loader_helpers import FIXTURES, accounting, redownload

from fba_audit.reports import KINDS_BY_KEY

UNKNOWN = ("a value fba-audit does not know; the rows were kept, but no detector acts on them. If Amazon has added "
           "this value, please report it so the detectors learn it.")
REJECTED = "the row was rejected."
WHOLE = "a whole number such as 3 or -1"
AMOUNT = "an amount with at most two decimals such as 12.34 or -6.38"
INSTANT = "a date and time such as 2026-05-12T09:59:13+00:00"


def row_error(file: str, line: int, text: str, kind: str) -> tuple[str, str]:
    return "error", f"{file}:{line}: {text}; {REJECTED} {redownload(kind)}"


# fixture, kind, (read, kept, rejected), the lines kept in the kind's first dataset, [(severity, str(problem))]
BAD = [
    ("ledger_detail/bad_quantity.txt", "ledger_detail", (3, 2, 1), [2, 4], [
        row_error("bad_quantity.txt", 3, f'column Quantity has "one", expected {WHOLE}', "ledger_detail")]),
    ("ledger_detail/bad_date.txt", "ledger_detail", (3, 1, 2), [2], [
        row_error("bad_date.txt", 3, 'column Date has "2026-05-04", expected a date', "ledger_detail"),
        row_error("bad_date.txt", 4, 'column Date has "13/05/2026", expected a date', "ledger_detail")]),
    ("ledger_detail/bad_empty_fnsku.txt", "ledger_detail", (2, 1, 1), [3], [
        row_error("bad_empty_fnsku.txt", 2, "column FNSKU is empty; a value is required", "ledger_detail")]),
    ("ledger_detail/bad_extra_field.txt", "ledger_detail", (3, 2, 1), [2, 4], [
        ("error", "bad_extra_field.txt:3: has 15 fields where the header has 14; the row was rejected. A value "
                  "probably contains the delimiter. Download the report again, as tab-delimited text.")]),
    # The same on the first data row (polars raises a different error there).
    ("ledger_detail/bad_extra_field_first_row.txt", "ledger_detail", (3, 2, 1), [3, 4], [
        ("error", "bad_extra_field_first_row.txt:2: has 15 fields where the header has 14; the row was rejected. A "
                  "value probably contains the delimiter. Download the report again, as tab-delimited text.")]),
    # The last line stops after "Widg": the file is flagged, the incomplete row rejected, the others kept.
    ("ledger_detail/bad_cut_short.txt", "ledger_detail", (3, 2, 1), [2, 3], [
        ("warning", "bad_cut_short.txt: ends in the middle of a line: the download looks cut short, so the last "
                    "row may be incomplete. Download the report again."),
        row_error("bad_cut_short.txt", 4, "column Event Type is empty; a value is required", "ledger_detail"),
        row_error("bad_cut_short.txt", 4, "column Quantity is empty; a value is required", "ledger_detail")]),
    ("ledger_detail/bad_unknown_reason.txt", "ledger_detail", (3, 3, 0), [2, 3, 4], [
        ("warning", f'bad_unknown_reason.txt:2: column Reason has "W" on 2 rows (first here), {UNKNOWN}')]),
    ("inventory_adjustments/bad_date.txt", "inventory_adjustments", (2, 1, 1), [2], [
        row_error("bad_date.txt", 3, f'column adjusted-date has "03/04/2021 11:22", expected {INSTANT}',
                  "inventory_adjustments")]),
    # 7 is a current ledger code but not a legacy Inventory Adjustments code.
    ("inventory_adjustments/bad_unknown_reason.txt", "inventory_adjustments", (1, 1, 0), [2], [
        ("warning", f'bad_unknown_reason.txt:2: column reason has "7" on 1 row (first here), {UNKNOWN}')]),
    ("received_inventory/bad_empty_fnsku.txt", "received_inventory", (2, 1, 1), [3], [
        row_error("bad_empty_fnsku.txt", 2, "column fnsku is empty; a value is required", "received_inventory")]),
    ("customer_returns/bad_empty_order_id.txt", "customer_returns", (2, 1, 1), [3], [
        row_error("bad_empty_order_id.txt", 2, "column order-id is empty; a value is required",
                  "customer_returns")]),
    ("customer_returns/bad_negative_quantity.txt", "customer_returns", (2, 1, 1), [3], [
        row_error("bad_negative_quantity.txt", 2, 'column quantity has "-1", must be 0 or more',
                  "customer_returns")]),
    ("customer_returns/bad_unknown_status.txt", "customer_returns", (1, 1, 0), [2], [
        ("warning", f'bad_unknown_status.txt:2: column status has "LIQUIDATED" on 1 row (first here), {UNKNOWN}')]),
    ("reimbursements/bad_amount_three_decimals.txt", "reimbursements", (2, 1, 1), [3], [
        row_error("bad_amount_three_decimals.txt", 2, f'column amount-total has "15.455", expected {AMOUNT}',
                  "reimbursements")]),
    ("reimbursements/bad_empty_reimbursement_id.txt", "reimbursements", (2, 1, 1), [3], [
        row_error("bad_empty_reimbursement_id.txt", 2, "column reimbursement-id is empty; a value is required",
                  "reimbursements")]),
    ("reimbursements/bad_unknown_reason.txt", "reimbursements", (1, 1, 0), [2], [
        ("warning", f'bad_unknown_reason.txt:2: column reason has "Damaged_Outbound" on 1 row (first here), '
                    f'{UNKNOWN}')]),
    # "12,99" in a US file is not 1299.00.
    ("fee_preview/bad_price.txt", "fee_preview", (3, 1, 2), [3], [
        row_error("bad_price.txt", 2, f'column your-price has "12,99", expected {AMOUNT}', "fee_preview"),
        row_error("bad_price.txt", 4, 'column longest-side has "six", expected a number such as 7.72',
                  "fee_preview")]),
    ("settlement_v2/bad_total.txt", "settlement_v2", (8, 8, 0), [3, 4, 5, 6, 7, 8, 9], [
        ("warning", "bad_total.txt:2: settlement 24000000001 has total-amount 31.79 but its rows add up to 21.79: "
                    "the file may be incomplete. Download the settlement flat file "
                    "again.")]),
    # A rejected amount line also makes the settlement not add up: both are said.
    ("settlement_v2/bad_amount_three_decimals.txt", "settlement_v2", (8, 7, 1), [3, 4, 6, 7, 8, 9], [
        row_error("bad_amount_three_decimals.txt", 5, f'column amount has "2.005", expected {AMOUNT}',
                  "settlement_v2"),
        ("warning", "bad_amount_three_decimals.txt:2: settlement 24000000001 has total-amount 21.79 but its rows "
                    "add up to 23.79: line bad_amount_three_decimals.txt:5 was rejected (see above), so its money "
                    "is missing. Correct or re-download those lines; until then the settlement's money is "
                    "incomplete.")]),
    ("settlement_v1/bad_total.txt", "settlement_v1", (8, 8, 0), [4, 5, 6, 7, 8, 9], [
        ("warning", "bad_total.txt:2: settlement 24000000001 has total-amount 30.00 but its rows add up to 21.79: "
                    "the file may be incomplete. Download the settlement flat file "
                    "again.")]),
    ("date_range/bad_date.csv", "date_range", (2, 1, 1), [4], [
        row_error("bad_date.csv", 5, 'column date/time has "2026-01-06 09:00", expected a date and time such as '
                  "Jan 5, 2026 1:23:45 PM PST", "date_range")]),
    ("all_orders/bad_date.txt", "all_orders", (2, 1, 1), [3], [
        row_error("bad_date.txt", 2, f'column purchase-date has "08/05/2026", expected {INSTANT}', "all_orders")]),
    # Not knowing whether a shipment was partnered is fine (empty); a value that says neither yes nor no is not.
    ("inbound_shipments/bad_is_partnered.csv", "inbound_shipments", (3, 2, 1), [2, 4], [
        row_error("bad_is_partnered.csv", 3, 'column is_partnered has "maybe", must say yes or no: true/false, yes/no '
                  "or 1/0", "inbound_shipments")]),
    ("inbound_shipment_items/bad_negative_shipped.csv", "inbound_shipment_items", (2, 1, 1), [3], [
        row_error("bad_negative_shipped.csv", 2, 'column QuantityShipped has "-24", must be 0 or more',
                  "inbound_shipment_items")]),
    ("inbound_shipment_items/bad_item_not_object.json", "inbound_shipment_items", (2, 1, 1), [1], [
        ("error", "bad_item_not_object.json:2: item 2 of payload.ItemData is not an object; rejected. Save the API "
                  "response again.")]),
    # Problems are grouped by column, then line.
    # "Luggage Sets" is no referral fee category of any store: a warning, the row is judged on (issue 18). (The
    # product group name "Luggage" is one in the UK and EU schedules since issue 24.)
    ("products/bad_negative_cost.csv", "products", (3, 1, 2), [4], [
        ("warning", 'bad_negative_cost.csv:2: column referral_category has "Luggage Sets" on 1 row (first here), not '
                    "a referral fee category fba-audit knows (closest: Luggage, Luggage Accessories); the rows were "
                    "kept, and their referral fee is judged from the Fee Preview product group, if any. Write the "
                    "category as Amazon's referral fee schedule names it (docs/rate-cards.md lists the names)."),
        row_error("bad_negative_cost.csv", 3, 'column length has "0.0", must be more than 0', "products"),
        row_error("bad_negative_cost.csv", 2, 'column unit_cost has "-6.40", must be 0 or more', "products")]),
    ("products/bad_sipp_certified.csv", "products", (2, 1, 1), [2], [
        row_error("bad_sipp_certified.csv", 3, "column sipp_certified has \"maybe\", must be one of ['yes', 'no', "
                  "'Yes', 'No', 'YES', 'NO']", "products")]),
    ("sku_economics/bad_total.csv", "sku_economics", (2, 1, 1), [2], [
        row_error("bad_total.csv", 3, f'column Base fulfillment fee total has "42.4x", expected {AMOUNT}',
                  "sku_economics")]),
]


@pytest.mark.parametrize(("name", "kind", "counts", "kept_lines", "problems"), BAD, ids=[b[0] for b in BAD])
def test_bad_sample(load_fixtures, name, kind, counts, kept_lines, problems) -> None:
    result = load_fixtures(name)
    file = name.split("/")[-1]
    (summary,) = result.files
    assert summary.kind == kind
    read, kept, rejected = counts
    assert accounting(result) == {file: (read, kept, 0, rejected)}
    assert [(p.severity, str(p)) for p in summary.problems] == problems
    dataset = result.datasets[KINDS_BY_KEY[kind].datasets[0]]
    assert sorted(set(dataset["source_line"].to_list())) == kept_lines


AMBIGUOUS = ("which reads two ways: its separator may group thousands or be the decimal mark (1,234 is 1234 or "
             "1.234); the row was rejected. fba-audit does not guess amounts. Look the line up in Seller Central "
             "(Reports > Payments) and download the report again; in a file you edited, write the amount with its "
             "decimals (1234,00 or 1,23).")


def test_flat_file_amount_with_one_separator_and_three_digits_is_rejected_as_ambiguous(tmp_path) -> None:
    """In a decimal-comma settlement "1.234" may be 1234 (a point grouping thousands) or 1.234 (a decimal point,
    which the same German files also write: docs/reports.md "Localized reports"): it is not guessed at. "1.234,56",
    with both marks, is read (tests/reports/test_local_formats.py)."""
    from fba_audit.reports import load_folder

    lines = (FIXTURES / "settlement_v2" / "ok_de.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace("\t1234,56\t", "\t1.234\t")
    (tmp_path / "v2.txt").write_text("".join(lines), encoding="utf-8")
    result = load_folder(tmp_path)
    assert accounting(result) == {"v2.txt": (4, 3, 0, 1)}
    assert [str(p) for p in result.problems] == [
        f'v2.txt:3: column amount has "1.234", {AMBIGUOUS}',
        "v2.txt:2: settlement 24000000003 has total-amount 1043.83 but its rows add up to -190.73: line v2.txt:3 "
        "was rejected (see above), so its money is missing. Correct or re-download those lines; until then the "
        "settlement's money is incomplete."]
    assert (result.problems[0].line, result.problems[0].column, result.problems[0].value) == (3, "amount", "1.234")


def test_date_range_amount_grouped_wrongly_is_rejected(tmp_path) -> None:
    """A US Date Range file groups thousands with commas ("-1,052.64"): a comma that groups no thousands ("3,75")
    or a space inside a number is not guessed at; the row is rejected and named."""
    from fba_audit.reports import load_folder

    lines = (FIXTURES / "date_range" / "ok_us.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[8] = lines[8].replace('"-3.75"', '"-3,75"')
    lines[9] = lines[9].replace('"15.45","15.45"', '"15.45","1 5.45"')
    (tmp_path / "range.csv").write_text("".join(lines), encoding="utf-8")
    result = load_folder(tmp_path)
    assert accounting(result) == {"range.csv": (3, 1, 0, 2)}
    assert [str(p) for p in result.problems] == [
        row_error("range.csv", 9, f'column selling fees has "-3,75", expected {AMOUNT}', "date_range")[1],
        row_error("range.csv", 10, f'column total has "1 5.45", expected {AMOUNT}', "date_range")[1],
    ]
    assert result.datasets["transactions"]["amount"].to_list() == [Decimal("-1052.64")]


# Whole-file problems: nothing read, the file still listed with what the loader could tell about it.
FILE_PROBLEMS = [
    ("ledger_detail/empty.txt", None, "error",
     "empty.txt: is empty. Download the report again; Seller Central sometimes serves an empty file while a report "
     "is still being generated."),
    ("ledger_detail/bad_header_no_spaces.txt", "UTF-8", "error",
     "bad_header_no_spaces.txt: is not a report fba-audit recognises; its header starts: Date | FNSKU | ASIN | "
     "MSKU | Title | EventType | ReferenceID | Quantity. Put only Seller Central report downloads in the folder "
     "(see `fba-audit check --help` for the list), with their header line as Amazon wrote it."),
    # Known to fba-audit but not used: a warning, not an error.
    ("ledger_detail/summary_view.txt", "UTF-8", "warning",
     "summary_view.txt: is an Inventory Ledger (summary view) report, which fba-audit does not use; not read."),
    ("inbound_shipments/bad_not_a_response.json", "UTF-8", "error",
     "bad_not_a_response.json: is JSON but not a Fulfillment Inbound API getShipments, getShipmentItems or "
     "getTransportDetails response (no payload.ShipmentData or payload.ItemData list, no payload.TransportContent); "
     "its keys: errors. Save the response of getShipments, getShipmentItems or getTransportDetails as it came from "
     "the API."),
]


@pytest.mark.parametrize(("name", "encoding", "severity", "message"), FILE_PROBLEMS, ids=[f[0] for f in FILE_PROBLEMS])
def test_file_not_read(load_fixtures, name, encoding, severity, message) -> None:
    result = load_fixtures(name)
    (summary,) = result.files
    assert (summary.kind, summary.encoding, summary.usable) == (None, encoding, False)
    assert accounting(result) == {name.split("/")[-1]: (0, 0, 0, 0)}
    assert [(p.severity, p.line, str(p)) for p in summary.problems] == [(severity, None, message)]
    assert all(frame.is_empty() for frame in result.datasets.values())


def test_bad_file_does_not_stop_the_good_ones(load_fixtures) -> None:
    result = load_fixtures("ledger_detail/empty.txt", "ledger_detail/bad_header_no_spaces.txt",
                           "reimbursements/ok.txt", "ledger_detail/ok_14col.txt")
    assert accounting(result) == {
        "bad_header_no_spaces.txt": (0, 0, 0, 0),
        "empty.txt": (0, 0, 0, 0),
        "ok.txt": (3, 3, 0, 0),
        "ok_14col.txt": (4, 4, 0, 0),
    }
    assert result.datasets["reimbursements"].height == 3
    assert result.datasets["inventory_ledger"].height == 4
    assert [p.file for p in result.problems] == ["bad_header_no_spaces.txt", "empty.txt"]


def test_binary_file_is_named_with_its_header_made_printable(tmp_path) -> None:
    from fba_audit.reports import load_folder

    (tmp_path / "noise.txt").write_bytes(b"ab\x01cd\tef\x07gh\n1\t2\n")
    (problem,) = load_folder(tmp_path).problems
    assert problem.message == "is not a report fba-audit recognises; its header starts: ab?cd | ef?gh."


def test_a_document_quoting_a_header_is_not_read_as_that_report(tmp_path) -> None:
    """Only the Date Range report has lines above its header: notes that quote a ledger header are not a ledger."""
    from fba_audit.reports import load_folder

    header = "Date\tFNSKU\tASIN\tMSKU\tTitle\tEvent Type\tReference ID\tQuantity\tFulfillment Center\tDisposition\t" \
             "Reason\tCountry\tReconciled Quantity\tUnreconciled Quantity"
    (tmp_path / "NOTES.md").write_text(f"# Where the files came from\n\nThe ledger header is:\n{header}\n",
                                       encoding="utf-8")
    result = load_folder(tmp_path)
    (summary,) = result.files
    assert (summary.kind, summary.rows_read) == (None, 0)
    assert [str(p) for p in result.problems] == [
        "NOTES.md: is not a report fba-audit recognises; its header starts: # Where the files came from. Put only "
        "Seller Central report downloads in the folder (see `fba-audit check --help` for the list), with their "
        "header line as Amazon wrote it."]


@pytest.mark.parametrize("compact", [False, True], ids=["full load", "compact load"])
def test_rows_failing_the_schema_are_reported_in_their_own_file(tmp_path, compact) -> None:
    """Each dataset is validated once for all its files: a failing row is still named by its own file and line,
    and only its own file's row is rejected."""
    from fba_audit.reports import load_folder

    header = ("return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\t"
              "detailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n")

    def row(order: str, quantity: str) -> str:
        return (f"2026-01-14T18:02:11+00:00\t{order}\tSKU-1\tB0EXAMPLE1\tX00EXAMPL1\tWidget\t{quantity}\tONT8\t"
                "DAMAGED\tDEFECTIVE\tReimbursed\tLPNEXAMPLE01\t\n")

    (tmp_path / "returns_a.txt").write_text(header + row("113-0000000-0000001", "1") + row("113-0000000-0000002", "-2"))
    (tmp_path / "returns_b.txt").write_text(header + row("113-0000000-0000003", "-1") + row("113-0000000-0000004", "1")
                                            + row("113-0000000-0000005", "3"))
    columns = {"customer_returns": ["order_id", "quantity", "sku"]} if compact else None
    result = load_folder(tmp_path, columns=columns)
    assert accounting(result) == {"returns_a.txt": (2, 1, 0, 1), "returns_b.txt": (3, 2, 0, 1)}
    assert [(p.severity, str(p)) for p in result.problems] == [
        row_error("returns_a.txt", 3, 'column quantity has "-2", must be 0 or more', "customer_returns"),
        row_error("returns_b.txt", 2, 'column quantity has "-1", must be 0 or more', "customer_returns"),
    ]
    kept = result.datasets["customer_returns"].sort("order_id")
    assert kept["order_id"].to_list() == ["113-0000000-0000001", "113-0000000-0000004", "113-0000000-0000005"]
    assert [(f.file, str(f.first_date), str(f.last_date)) for f in result.files] == [
        ("returns_a.txt", "2026-01-14", "2026-01-14"), ("returns_b.txt", "2026-01-14", "2026-01-14")]
