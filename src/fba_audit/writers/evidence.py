"""The report rows a finding cites, as text staff can read beside its `file:line` on the Evidence sheet.

`file:line` alone sends staff off to open a file of a hundred thousand lines; the row itself (its key columns, under
the headers Amazon wrote) lets them check a finding, and paste the row into a case, from the workbook. The rows come
from the frames the audit already loaded (each keeps `source_file` and `source_line`), so no file is read again:
only the cited lines are looked up, one semi-join per dataset. An audit loads only the columns its detectors read,
which are the key columns of each report (ids, dates, quantities, amounts, codes). A line that is in no loaded frame
(a row the loader rejected, or a result built without loading) shows nothing, and the `file:line` still stands.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import polars as pl

from fba_audit.ledger.view import StaffEntry
from fba_audit.reports.datasets import keyed_like
from fba_audit.reports.kinds import KINDS_BY_KEY
from fba_audit.reports.model import LoadResult

SOURCE_COLUMNS = ("source_file", "source_line")
# A cell of a report can hold anything, up to megabytes: the shown row is cut to stay readable.
MAX_VALUE_CHARS = 80
MAX_ROW_CHARS = 400
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%:z"


def filed_ids(staff: Mapping[str, StaffEntry]) -> set[str]:
    """The findings staff filed (a case id, a filing date or an outcome entered), from the staff columns known."""
    return {fid for fid, entry in staff.items() if entry.case_id or entry.filed_on or entry.outcome}


def in_workbook(findings: pl.DataFrame, filed: Collection[str] = ()) -> pl.DataFrame:
    """The findings the workbook lists one by one: those staff can act on. An expired finding is only summed up
    (sheet Expired), unless it was filed: its case still needs staff (an outcome to enter, a payment to chase).
    findings.json and findings.csv list them all."""
    keep = pl.col("status") != "expired"
    if filed:
        keep = keep | pl.col("finding_id").is_in(list(filed))
    return findings.filter(keep)


def cited_lines(findings: pl.DataFrame, filed: Collection[str] = ()) -> set[tuple[str, int]]:
    """The report lines the Evidence sheet shows: those cited by the findings in the workbook."""
    return {item for evidence in in_workbook(findings, filed)["evidence"] for item in evidence_items(evidence)
            if item[1] is not None}


def evidence_items(evidence: str) -> list[tuple[str, int | None]]:
    """Split `"file:line; file:line"` into (file, line); an item without a numeric line keeps line None."""
    items = []
    for item in evidence.split(";"):
        item = item.strip()
        if not item:
            continue
        file, separator, line = item.rpartition(":")
        # NOTE: only a numeric tail is a line, so "C:\reports\x.tsv" or "reimbursements:(no match)" stay whole.
        if separator and line.isdigit():
            items.append((file, int(line)))
        else:
            items.append((item, None))
    return items


def report_rows(load: LoadResult | None, cited: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """`(file, line) -> "order-id=111-...; sku=A; quantity=2"` for every cited line found in the loaded frames.

    Columns appear in the dataset's order under the header the file's report kind gives them; empty values are left
    out. A line found in several datasets (a file can feed more than one) shows the first, by dataset name.
    """
    if load is None:
        return {}
    listed = {summary.file for summary in load.files}
    # A detector may label an item ("order price: 2489.txt:33550"): the file is what follows the label.
    source = {(file, line): (file if file in listed else file.rpartition(": ")[2], line) for file, line in cited}
    keys = pl.DataFrame(list(set(source.values())), schema={"source_file": pl.String, "source_line": pl.Int64},
                        orient="row")
    cited_files = set(keys["source_file"])
    unlisted = sorted(cited_files - listed)
    shown: dict[tuple[str, int], str] = {}
    for name in sorted(load.datasets):
        frame = load.datasets[name]
        # The cited files that fed this dataset, by report kind (whose headers name the columns).
        kinds: dict[str | None, list[str]] = {None: unlisted} if unlisted else {}
        for summary in load.files:
            if name in summary.datasets and summary.file in cited_files:
                kinds.setdefault(summary.kind, []).append(summary.file)
        if not kinds or frame.is_empty() or not set(SOURCE_COLUMNS) <= set(frame.columns):
            continue
        here = keys.filter(pl.col("source_file").is_in([file for files in kinds.values() for file in files]))
        # Found on the two source columns alone, by line number first (an integer filter over a big frame is cheap,
        # a join on its file names is not); only the rows found are then taken whole.
        located = (
            frame.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), *SOURCE_COLUMNS)
            .filter(pl.col("source_line").is_in(here["source_line"].unique().implode()))
        )
        rows_found = located.join(keyed_like(here, located, list(SOURCE_COLUMNS)), on=list(SOURCE_COLUMNS),
                                  how="semi")["_row"]
        found = frame[rows_found].with_columns(pl.col("source_file").cast(pl.String))
        for kind, files in kinds.items():
            rows = found.filter(pl.col("source_file").is_in(files)) if len(kinds) > 1 else found
            if rows.is_empty():
                continue
            # The text is built by polars rather than value by value in Python.
            texts = rows.select("source_file", "source_line", _row_text(rows.schema, _headers(kind)))
            for file, line, text in texts.iter_rows():
                shown.setdefault((file, line), text)
    return {item: shown[found] for item, found in source.items() if found in shown}


def _headers(kind_key: str | None) -> dict[str, str] | None:
    """Column name -> the header Amazon writes for it (the newest spelling), for a recognised report kind."""
    kind = KINDS_BY_KEY.get(kind_key or "")
    return {column.name: column.headers[0] for column in kind.columns} if kind is not None else None


def _row_text(schema: Mapping[str, pl.DataType], headers: dict[str, str] | None) -> pl.Expr:
    """`header=value; header=value` of the row's non-empty columns, each value and the whole bounded in length."""
    parts = []
    for name, dtype in schema.items():
        if name in SOURCE_COLUMNS:
            continue
        if headers is not None and name not in headers:
            continue  # a column the loader derived (e.g. which export a ledger row came from), not one of the file's
        # Times as Amazon writes them (2026-05-12T09:59:13+00:00), not polars' text with microseconds.
        value = (pl.col(name).dt.to_string(TIMESTAMP_FORMAT) if isinstance(dtype, pl.Datetime)
                 else pl.col(name).cast(pl.String))
        shortened = pl.when(value.str.len_chars() > MAX_VALUE_CHARS).then(
            value.str.slice(0, MAX_VALUE_CHARS - 1) + "…").otherwise(value)
        parts.append(pl.when(value.is_not_null() & (value != "")).then(
            pl.lit(f"{headers[name] if headers else name}=") + shortened))
    if not parts:
        return pl.lit(None, dtype=pl.String).alias("_text")
    text = pl.concat_str(parts, separator="; ", ignore_nulls=True)
    return (pl.when(text.str.len_chars() > MAX_ROW_CHARS).then(text.str.slice(0, MAX_ROW_CHARS - 1) + "…")
            .otherwise(text).alias("_text"))


