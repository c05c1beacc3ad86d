"""Checks that keep rows but tell the seller something is off: unknown codes, settlement totals."""

from __future__ import annotations

import polars as pl

from fba_audit.reports.kinds import ReportKind
from fba_audit.reports.model import Problem

MAX_LINES_NAMED = 20

# Amazon's enumerations are open sets (docs/report-formats.md): an unknown value is reported as a
# warning and the row is kept. These are the values documented or seen in real files so far.
KNOWN_VALUES: dict[str, dict[str, frozenset[str]]] = {
    "ledger_detail": {
        "event_type": frozenset({"Shipments", "CustomerReturns", "Receipts", "Adjustments", "VendorReturns",
                                 "WhseTransfers"}),
        "disposition": frozenset({"SELLABLE", "DEFECTIVE", "CUSTOMER_DAMAGED", "CARRIER_DAMAGED",
                                  "DISTRIBUTOR_DAMAGED", "WAREHOUSE_DAMAGED", "EXPIRED"}),
        # Current ledger reason codes, help page G4FKT5KQWFFJ7LDN (docs/report-formats.md, "Inventory Ledger").
        "reason": frozenset("67EHKUDFNM534OPQG"),
    },
    "inventory_adjustments": {
        # Legacy Inventory Adjustments codes (docs/report-formats.md, "Legacy Inventory Adjustments").
        "reason": frozenset({"F", "M", "P", "6", "E", "H", "K", "Q", "U", "5", "D", "X", "1", "2", "J", "N", "O",
                             "3", "4"}),
    },
    "customer_returns": {
        "detailed_disposition": frozenset({"SELLABLE", "DAMAGED", "CUSTOMER_DAMAGED", "DEFECTIVE",
                                           "CARRIER_DAMAGED", "EXPIRED", "WAREHOUSE_DAMAGED",
                                           "DISTRIBUTOR_DAMAGED"}),
        "status": frozenset({"Unit returned to inventory", "Reimbursed", "Repackaged Successfully",
                             "Pending repackaging", "IMMEDIATE_DONATION", "IMMEDIATE_DISPOSAL", "Disposed"}),
    },
    "reimbursements": {
        "reason": frozenset({"CustomerReturn", "Damaged_Warehouse", "Reimbursement_Reversal",
                             "CustomerServiceIssue", "Lost_Warehouse", "Lost_Inbound", "Damaged_Inbound",
                             "FeeCorrection"}),
    },
}


def unknown_values(kind: ReportKind, frame: pl.DataFrame, headers: dict[str, str], file: str) -> list[Problem]:
    problems = []
    for column, known in KNOWN_VALUES.get(kind.key, {}).items():
        if column not in frame.columns:
            continue
        unknown = (
            frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(list(known)))
            .group_by(column)
            .agg(pl.len().alias("rows"), pl.col("source_line").min().alias("first"))
            .sort("first")
        )
        header = headers.get(column, column)
        for value, rows, first in unknown.iter_rows():
            problems.append(Problem(
                file, first, header, value,
                f'column {header} has "{value}" on {rows} row{"s" if rows != 1 else ""} (first here), a value '
                "fba-audit does not know; the rows were kept, but no detector acts on them.",
                "If Amazon has added this value, please report it so the detectors learn it.",
                severity="warning",
            ))
    return problems


def settlement_totals(frames: dict[str, pl.DataFrame], file: str, rejected_lines: list[int] = ()) -> list[Problem]:
    """In Amazon's settlement files the amounts add up to total-amount; when not, rows are missing. The lines of
    the file rejected while reading are named: each is a hole in the money, and the seller must see which."""
    summary, lines = frames["settlements"], frames["transactions"]
    if summary.is_empty():
        return []
    sums = lines.group_by("settlement_id").agg(pl.col("amount").sum().alias("sum"))
    checked = summary.join(sums, on="settlement_id", how="left").with_columns(pl.col("sum").fill_null(0))
    problems = []
    for settlement, total, added, line in checked.select(
        "settlement_id", "total_amount", "sum", "source_line"
    ).iter_rows():
        if total is not None and added != total:
            if rejected_lines:
                shown = sorted(set(rejected_lines))
                named = ", ".join(f"{file}:{n}" for n in shown[:MAX_LINES_NAMED])
                more = f" and {len(shown) - MAX_LINES_NAMED} more" if len(shown) > MAX_LINES_NAMED else ""
                lines = f"line {named} was" if len(shown) == 1 else f"lines {named}{more} were"
                cause = f"{lines} rejected (see above), so {'its' if len(shown) == 1 else 'their'} money is missing."
                hint = "Correct or re-download those lines; until then the settlement's money is incomplete."
            else:
                cause = "the file may be incomplete."
                hint = "Download the settlement flat file again."
            problems.append(Problem(
                file, line, "total-amount", str(total),
                f"settlement {settlement} has total-amount {total} but its rows add up to {added}: {cause}",
                hint, severity="warning",
            ))
    return problems


def date_range_totals(frame: pl.DataFrame, file: str) -> list[Problem]:
    """In a Date Range report the amount columns of a row add up to its `total`; when not, a column is missing."""
    from fba_audit.reports.kinds import DATE_RANGE_AMOUNTS

    amounts = [c for c, _, _ in DATE_RANGE_AMOUNTS if c in frame.columns and frame[c].dtype != pl.Null]
    if "total" not in frame.columns or not amounts:
        return []
    added = pl.sum_horizontal([pl.col(c).fill_null(0) for c in amounts])
    # Transfers print only a total; those rows are read as one line of that total.
    itemised = pl.any_horizontal([pl.col(c).is_not_null() & (pl.col(c) != 0) for c in amounts])
    off = frame.filter(pl.col("total").is_not_null() & itemised & (added != pl.col("total")))
    if off.is_empty():
        return []
    first = off.sort("source_line").row(0, named=True)
    return [Problem(
        file, first["source_line"], "total", str(first["total"]),
        f"{off.height} row{'s' if off.height != 1 else ''} (first here) have amounts that do not add up to their "
        "total: the file may have a column fba-audit does not read; the rows were kept.",
        "Please report the file's header so that fba-audit learns the column.", severity="warning",
    )]
