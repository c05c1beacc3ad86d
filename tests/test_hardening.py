"""Issue 22: what a new user ran into, run again. Each test failed on the code before its fix (see the commits).

File names that are not UTF-8, output folders that cannot be written, a full disk, a 10 MB line, a gzip bomb,
an empty folder: each is a clear message, an exit status a CI job can trust (2 for any error, never 1), and
outputs that are either the new set or the old one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from fba_audit.cli import app

FIXTURES = Path(__file__).parent / "fixtures" / "detectors"
LOST_UNITS = FIXTURES / "FBA02" / "finds_basic_misplaced_and_damaged_not_reimbursed" / "reports"

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def bytes_name(folder: Path, name: bytes) -> Path:
    """A path in `folder` whose last part is `name`, raw bytes as a Linux file system keeps them."""
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name))


# ------------------------------------------------------------------------------- file names that are not UTF-8

LATIN_1 = "r\xe9turns.txt".encode("latin-1")  # b"r\xe9turns.txt": a name saved by a Latin-1 system
# b"\x95\xd4\x95i.txt": a name saved by a Japanese Windows zip tool. Its middle bytes d4 95 happen to be UTF-8
# (U+0515) and the last one is "i", so only the first byte is escaped.
SHIFT_JIS = "返品.txt".encode("cp932")
SHIFT_JIS_SHOWN = "\\x95\u0515i.txt"


def odd_names(tmp_path: Path) -> Path:
    reports = tmp_path / "reports"
    shutil.copytree(LOST_UNITS, reports)
    (reports / "ledger.txt").rename(bytes_name(reports, LATIN_1))
    (reports / "reimbursements.txt").rename(bytes_name(reports, SHIFT_JIS))
    return reports


def test_check_reads_files_whose_names_are_not_utf8_and_shows_the_bytes_escaped(tmp_path: Path) -> None:
    result = invoke("check", str(odd_names(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "r\\xe9turns.txt" in result.output
    assert SHIFT_JIS_SHOWN in result.output
    assert "Inventory Ledger (detailed view)" in result.output and "Reimbursements" in result.output


def test_run_writes_every_output_with_such_names_escaped(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", str(odd_names(tmp_path)), "--out", str(out), "--as-of", "2026-05-15")
    assert result.exit_code == 0, result.output
    document = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert sorted(f["file"] for f in document["files"]) == sorted(["products.csv", "r\\xe9turns.txt", SHIFT_JIS_SHOWN])
    evidence = [f["evidence"] for f in document["findings"]]
    assert len(evidence) == 2 and all("r\\xe9turns.txt:" in e for e in evidence), evidence
    assert (out / "findings.csv").read_text(encoding="utf-8").count("r\\xe9turns.txt:") == 2
    book = openpyxl.load_workbook(out / "claims.xlsx", read_only=True)
    texts = {str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row}
    assert any("r\\xe9turns.txt" in text for text in texts)
    assert SHIFT_JIS_SHOWN in texts


def test_control_characters_in_a_file_name_are_escaped_too(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(LOST_UNITS, reports)
    (reports / "ledger.txt").rename(reports / "ledger\x1b[2J\n[bold]x.txt")
    result = invoke("check", str(reports))
    assert result.exit_code == 0, result.output
    assert "ledger\\x1b[2J\\n[bold]x.txt" in result.output
    assert "\x1b[2J" not in result.output
