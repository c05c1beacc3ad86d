"""How an audit loads: the compact load (only the columns asked for, repetitive text as Categorical, and a bad
value in a column nobody reads no longer costs the row; `fba-audit check` still reports it), and small files read
two at a time with the same result as one at a time."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from loader_helpers import FIXTURES

from fba_audit.detectors import UNREAD_COLUMNS, columns_read
from fba_audit.reports import load_folder
from fba_audit.reports.datasets import dataset_schema


def _orders_with_bad_tax(folder: Path) -> Path:
    folder.mkdir()
    text = (FIXTURES / "all_orders/ok.txt").read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    cells = lines[1].split("\t")
    header = lines[0].split("\t")
    cells[header.index("item-tax")] = "1.6x"
    lines[1] = "\t".join(cells)
    (folder / "orders.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_compact_load_keeps_the_columns_asked_for_with_repetitive_text_and_item_ids_as_categorical(tmp_path: Path) -> None:
    folder = _orders_with_bad_tax(tmp_path / "reports")
    orders = load_folder(folder, columns={"orders": ("amazon_order_id", "sku", "currency", "item_price")}).datasets[
        "orders"]
    assert dict(orders.schema) == {"source_file": pl.Categorical(), "source_line": pl.Int64,
                                   "amazon_order_id": pl.String, "sku": pl.Categorical(), "currency": pl.Categorical(),
                                   "item_price": pl.Decimal(18, 2)}
    assert orders.sort("source_line")["amazon_order_id"].to_list() == ["113-0000000-0000001", "113-0000000-0000002"]


def test_a_bad_value_in_an_unread_column_rejects_the_row_only_in_a_full_load(tmp_path: Path) -> None:
    folder = _orders_with_bad_tax(tmp_path / "reports")
    full = load_folder(folder)
    assert [p.message for p in full.problems] == [
        'column item-tax has "1.6x", expected an amount with at most two decimals such as 12.34 or -6.38; the row was rejected.']
    assert full.datasets["orders"].height == 1

    compact = load_folder(folder, columns=columns_read())
    assert compact.problems == []
    assert compact.datasets["orders"].height == 2
    (summary,) = compact.files
    assert (summary.rows_read, summary.rows_kept, summary.rows_rejected) == (2, 2, 0)


def test_unread_columns_name_real_dataset_columns() -> None:
    for dataset, columns in UNREAD_COLUMNS.items():
        assert columns <= set(dataset_schema(dataset)), dataset


def test_reading_small_files_two_at_a_time_gives_what_reading_one_at_a_time_gives(tmp_path: Path,
                                                                                   monkeypatch) -> None:
    from loader_helpers import copy_into

    from fba_audit.reports import loader

    names = [str(p.relative_to(FIXTURES)) for p in sorted(FIXTURES.glob("*/ok*")) if p.is_file()]
    names = [(name, name.replace("/", "_")) for name in names]
    assert len(names) >= 10
    copy_into(tmp_path / "reports", *names)
    together = load_folder(tmp_path / "reports")
    monkeypatch.setattr(loader, "SMALL_FILE_BYTES", -1)
    monkeypatch.setattr(loader, "PAIRED_SHARE", 0)
    alone = load_folder(tmp_path / "reports")
    assert together.files == alone.files
    for dataset, frame in together.datasets.items():
        assert frame.equals(alone.datasets[dataset]), dataset


def test_blank_lines_are_not_rows_but_a_line_with_values_only_in_unread_columns_is(tmp_path: Path) -> None:
    """A compact load parses only the columns asked for: a line empty in those is checked again whole."""
    from loader_helpers import accounting

    folder = tmp_path / "reports"
    folder.mkdir()
    lines = (FIXTURES / "all_orders/ok.txt").read_text(encoding="utf-8-sig").splitlines()
    width = len(lines[0].split("\t"))
    only_tax = ["" for _ in range(width)]
    only_tax[lines[0].split("\t").index("item-tax")] = "1.60"
    # line 3 blank, line 4 only tabs, line 5 has an item tax and nothing else
    text = "\n".join([lines[0], lines[1], "", "\t" * (width - 1), "\t".join(only_tax), lines[2]]) + "\n"
    (folder / "orders.txt").write_text(text, encoding="utf-8")
    columns = {"orders": ("amazon_order_id", "sku", "currency", "item_price")}
    for result in (load_folder(folder), load_folder(folder, columns=columns)):
        # Line 5 is a row (read, then rejected: it has no order id), the blank lines 3 and 4 are not rows.
        assert accounting(result) == {"orders.txt": (3, 2, 0, 1)}
        assert sorted(result.datasets["orders"]["source_line"].to_list()) == [2, 6]
        assert [(p.line, p.column) for p in result.problems if p.line is not None] == [
            (5, "amazon-order-id"), (5, "purchase-date")]
