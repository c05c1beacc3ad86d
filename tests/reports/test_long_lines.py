"""Issue 22 item 6: one enormous line in a report. A 16 MB line took `check` 93 s (the rejected value was echoed in
full, and wrapping it for the terminal grew with its square) and `run` wrote a 419 MB findings.json. A field past
MAX_FIELD_BYTES, or a line whose fields add up past MAX_LINE_BYTES, rejects its row with a short excerpt; the
other rows are read as usual."""

from __future__ import annotations

import json
from pathlib import Path

from loader_helpers import FIXTURES, accounting, redownload
from typer.testing import CliRunner

from fba_audit.cli import app
from fba_audit.reports import load_folder
from fba_audit.reports.loader import MAX_FIELD_BYTES, MAX_LINE_BYTES

RETURNS = (FIXTURES / "customer_returns/ok.txt").read_text(encoding="utf-8").splitlines(keepends=True)
HINT = redownload("customer_returns")


def returns_with(folder: Path, line: str) -> Path:
    """The genuine two-row returns fixture with `line` between its rows (it becomes line 3)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "returns.txt").write_text(RETURNS[0] + RETURNS[1] + line + "\n" + RETURNS[2], encoding="utf-8")
    return folder


def with_comment(comment: str) -> str:
    cells = RETURNS[1].rstrip("\n").split("\t")
    cells[-1] = comment  # customer-comments: free text, the column such a line would land in
    return "\t".join(cells)


def test_a_field_past_the_cap_rejects_its_row_with_an_excerpt(tmp_path: Path) -> None:
    result = load_folder(returns_with(tmp_path / "reports", with_comment("Broken " + "z" * 4_000_000)))
    assert accounting(result) == {"returns.txt": (3, 2, 0, 1)}
    (problem,) = result.problems
    assert str(problem) == (
        'returns.txt:3: column customer-comments has "Broken ' + "z" * 73 + '…" (4,000,007 bytes), more than the '
        f"10,000 bytes a report field can hold; the row was rejected. {HINT}")
    assert problem.value == "Broken " + "z" * 73 + "…"


def test_a_field_at_the_cap_is_kept(tmp_path: Path) -> None:
    comment = "é" * (MAX_FIELD_BYTES // 2)  # 10,000 bytes of UTF-8
    result = load_folder(returns_with(tmp_path / "reports", with_comment(comment)))
    assert accounting(result) == {"returns.txt": (3, 3, 0, 0)}
    assert comment in result.datasets["customer_returns"]["customer_comments"].to_list()


def test_a_line_whose_fields_add_up_past_the_cap_is_rejected(tmp_path: Path) -> None:
    cells = RETURNS[1].rstrip("\n").split("\t")
    for at in (1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12):  # every text column but the date and the quantity
        cells[at] = "w" * MAX_FIELD_BYTES
    result = load_folder(returns_with(tmp_path / "reports", "\t".join(cells)))
    assert accounting(result) == {"returns.txt": (3, 2, 0, 1)}
    assert [str(p) for p in result.problems] == [
        f"returns.txt:3: has 110,026 bytes in its fields, more than the {MAX_LINE_BYTES:,} bytes a report line can "
        f"hold; the row was rejected. {HINT}"]


def test_a_line_with_too_many_fields_and_a_field_past_128_kib_is_counted(tmp_path: Path) -> None:
    # The count of fields of ragged lines used the csv module, which stops at a 128 KiB field with _csv.Error.
    result = load_folder(returns_with(tmp_path / "reports", with_comment("x" * 200_000) + "\textra"))
    assert accounting(result) == {"returns.txt": (3, 2, 0, 1)}
    assert [str(p).split(";")[0] for p in result.problems] == [
        "returns.txt:3: has 14 fields where the header has 13"]


def check_output(folder: Path) -> str:
    result = CliRunner().invoke(app, ["check", str(folder)], catch_exceptions=False)
    assert result.exit_code == 2
    return result.output


def test_check_prints_an_excerpt_of_a_long_line(tmp_path: Path) -> None:
    # The whole line is one field: a download whose tabs were lost. It lands in the first column (return-date).
    small = check_output(returns_with(tmp_path / "one", "y" * 1_000_000))
    large = check_output(returns_with(tmp_path / "eight", "y" * 8_000_000))
    assert len(small) < 20_000 and len(large) < 20_000
    assert '"' + "y" * 80 + '…" (8,000,000 bytes), more than the 10,000 bytes' in " ".join(large.split())


def test_run_writes_small_outputs(tmp_path: Path) -> None:
    # A field no detector reads is not parsed by `run` (nor kept); this line lands in return-date, which is read.
    reports = returns_with(tmp_path / "reports", "q" * 5_000_000)
    result = CliRunner().invoke(app, ["run", str(reports), "--out", str(tmp_path / "out"), "--as-of", "2026-05-15"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    written = {p.name: p.stat().st_size for p in (tmp_path / "out").iterdir()}
    assert max(written.values()) < 100_000, written
    problems = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))["input_problems"]
    assert [(p["line"], p["column"], p["value"]) for p in problems] == [(3, "return-date", "q" * 80 + "…")]
