"""Every encoding Amazon (or Excel) writes reports in, decoded to the right text and labelled (docs/report-formats.md,
"Delivery and encodings"). The bytes are built here from text, so each test shows what the file says."""

from __future__ import annotations

from pathlib import Path

import pytest
from loader_helpers import FIXTURES, accounting

from fba_audit.reports import load_folder

RB = ("approval-date\treimbursement-id\tcase-id\tamazon-order-id\treason\tsku\tfnsku\tasin\tproduct-name\tcondition\t"
      "currency-unit\tamount-per-unit\tamount-total\tquantity-reimbursed-cash\tquantity-reimbursed-inventory\t"
      "quantity-reimbursed-total\toriginal-reimbursement-id\toriginal-reimbursement-type\n")


def reimbursement(number: int, name: str) -> str:
    return (f"2026-05-12T09:59:13+00:00\t{number}\t\t\tLost_Warehouse\tSKU-1\tX00EXAMPL1\tB0EXAMPLE1\t{name}\t"
            "NewItem\tUSD\t1.00\t1.00\t1\t0\t1\t\t\n")


def load_bytes(tmp_path: Path, name: str, data: bytes):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / name).write_bytes(data)
    return load_folder(folder)


@pytest.mark.parametrize(("encoding", "label"), [
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 with BOM"),
    ("cp1252", "Windows-1252"),
    ("utf-16", "UTF-16"),  # Excel's "Unicode text" (tab-delimited, with a BOM)
])
@pytest.mark.parametrize("name", ["Café – Bürste", "Crème Brûlée Set", "Größe „XL“ ±5 €", "Plain ASCII"])
def test_latin_text_in_every_encoding(tmp_path: Path, encoding: str, label: str, name: str) -> None:
    result = load_bytes(tmp_path, "reimbursements.txt", (RB + reimbursement(1, name)).encode(encoding))
    (summary,) = result.files
    expected_label = "UTF-8" if name == "Plain ASCII" and encoding == "cp1252" else label
    assert (summary.kind, summary.encoding, summary.problems) == ("reimbursements", expected_label, [])
    assert result.datasets["reimbursements"]["product_name"].to_list() == [name]


def test_cp1252_accents_are_not_taken_for_japanese(tmp_path: Path) -> None:
    # "Crème Brûlée" in Windows-1252 bytes also decodes as Shift_JIS ("Cr鑪e Br璉馥"): kana decide, not kanji.
    data = (RB + reimbursement(1, "Crème Brûlée Set")).encode("cp1252")
    assert data.decode("cp932").count("鑪") == 1
    result = load_bytes(tmp_path, "reimbursements.txt", data)
    assert result.files[0].encoding == "Windows-1252"
    assert result.datasets["reimbursements"]["product_name"].to_list() == ["Crème Brûlée Set"]


def test_cp932_japanese_date_range(tmp_path: Path) -> None:
    data = (FIXTURES / "date_range/ok_jp.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = load_bytes(tmp_path, "ok_jp.csv", data)
    (summary,) = result.files
    assert (summary.kind, summary.encoding, summary.header_cells[:3]) == (
        "date_range", "Shift_JIS (cp932)", ("日付/時間", "決済番号", "トランザクションの種類"))
    lines = result.datasets["transactions"]
    assert sorted(set(lines["sku"].to_list())) == ["SKU-JP-1"]
    assert sorted(set(lines["transaction_type"].to_list())) == ["Order", "Refund"]


def test_japanese_text_in_utf8_stays_utf8(tmp_path: Path) -> None:
    text = (FIXTURES / "date_range/ok_jp.csv").read_bytes().decode("cp932")
    result = load_bytes(tmp_path, "ok_jp.csv", text.encode("utf-8"))
    assert result.files[0].encoding == "UTF-8"
    assert accounting(result) == {"ok_jp.csv": (2, 2, 0, 0)}


def test_utf8_for_300_kb_then_one_cp1252_byte(tmp_path: Path) -> None:
    # The encoding is guessed from the first 256 KB; a cp1252 byte after that must still be decoded as cp1252
    # (the whole file is re-read), not rejected or mangled.
    body = "".join(reimbursement(10_000 + i, "Plain widget, no accents at all") for i in range(3_000))
    head = (RB + body).encode("utf-8")
    assert len(head) > 300 * 1024
    data = head + reimbursement(99_999, "Café – Bürste").encode("cp1252")
    result = load_bytes(tmp_path, "reimbursements.txt", data)
    (summary,) = result.files
    assert (summary.encoding, summary.problems) == ("Windows-1252", [])
    assert accounting(result) == {"reimbursements.txt": (3_001, 3_001, 0, 0)}
    frame = result.datasets["reimbursements"]
    assert frame.filter(frame["reimbursement_id"] == "99999").select("source_line", "product_name").rows() == [
        (3_002, "Café – Bürste")]
