"""The report rows a finding cites, as text staff can read beside its `file:line` on the Evidence sheet.

`file:line` alone sends staff off to open a file of a hundred thousand lines; the row itself (its key columns, under
the headers Amazon wrote) lets them check a finding, and paste the row into a case, from the workbook. The rows come
from the frames the audit already loaded (each keeps `source_file` and `source_line`), so no file is read again:
only the cited lines are looked up, one semi-join per dataset. An audit loads only the columns its detectors read,
which are the key columns of each report (ids, dates, quantities, amounts, codes). A line that is in no loaded frame
(a row the loader rejected, or a result built without loading) shows nothing, and the `file:line` still stands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import polars as pl

from fba_audit.reports.datasets import keyed_like
from fba_audit.reports.kinds import KINDS_BY_KEY
from fba_audit.reports.model import LoadResult

SOURCE_COLUMNS = ("source_file", "source_line")
# A cell of a report can hold anything, up to megabytes: the shown row is cut to stay readable.
MAX_VALUE_CHARS = 80
MAX_ROW_CHARS = 400


def report_rows(load: LoadResult | None, cited: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """`(file, line) -> "order-id=111-...; sku=A; quantity=2"` for every cited line found in the loaded frames.

    Columns appear in the dataset's order under the header the file's report kind gives them; empty values are left
    out. A line found in several datasets (a file can feed more than one) shows the first, by dataset name.
    """
    wanted = sorted(set(cited))
    if load is None or not wanted:
        return {}
    headers = {summary.file: _headers(summary.kind) for summary in load.files}
    keys = pl.DataFrame({"source_file": [file for file, _ in wanted], "source_line": [line for _, line in wanted]},
                        schema={"source_file": pl.String, "source_line": pl.Int64})
    shown: dict[tuple[str, int], str] = {}
    for name in sorted(load.datasets):
        frame = load.datasets[name]
        if frame.is_empty() or not set(SOURCE_COLUMNS) <= set(frame.columns):
            continue
        found = frame.join(keyed_like(keys, frame, list(SOURCE_COLUMNS)), on=list(SOURCE_COLUMNS), how="semi")
        for row in found.iter_rows(named=True):
            key = (str(row["source_file"]), row["source_line"])
            if key not in shown:
                shown[key] = _row_text(row, headers.get(key[0]))
    return shown


def _headers(kind_key: str | None) -> dict[str, str] | None:
    """Column name -> the header Amazon writes for it (the newest spelling), for a recognised report kind."""
    kind = KINDS_BY_KEY.get(kind_key or "")
    return {column.name: column.headers[0] for column in kind.columns} if kind is not None else None


def _row_text(row: dict[str, object], headers: dict[str, str] | None) -> str:
    parts = []
    for name, value in row.items():
        if name in SOURCE_COLUMNS or value is None or value == "":
            continue
        if headers is not None and name not in headers:
            continue  # a column the loader derived (e.g. which export a ledger row came from), not one of the file's
        parts.append(f"{headers[name] if headers else name}={_shorten(_text(value), MAX_VALUE_CHARS)}")
    return _shorten("; ".join(parts), MAX_ROW_CHARS)


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
