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
import pytest
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


def test_folders_with_names_that_are_not_utf8_are_shown_escaped(tmp_path: Path) -> None:
    reports = bytes_name(tmp_path, b"d\xe9p\xf4t")
    shutil.copytree(LOST_UNITS, reports)
    out = bytes_name(tmp_path, b"sorti\xe9")
    result = invoke("run", str(reports), "--out", str(out), "--as-of", "2026-05-15", "--select", "FBA02,FBA07")
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path}/sorti\\xe9/claims.xlsx" in result.output
    skipped = json.loads((out / "findings.json").read_text(encoding="utf-8"))["skipped"]
    assert skipped[0]["reason"].endswith(f"no usable report for it in {tmp_path}/d\\xe9p\\xf4t")


# ------------------------------------------------------------------------- exit statuses a CI job can trust


def main(*args: str) -> int:
    from fba_audit.cli import main as command_line

    return command_line(list(args))


def test_an_out_below_a_file_is_refused_before_the_audit(tmp_path: Path, monkeypatch, capsys) -> None:
    from fba_audit import api

    def must_not_run(*_args, **_kwargs):
        raise AssertionError("the audit ran although its outputs could not be written")

    monkeypatch.setattr(api, "audit", must_not_run)
    (tmp_path / "file.txt").write_text("notes\n", encoding="utf-8")
    out = tmp_path / "file.txt" / "sub"
    assert main("run", str(LOST_UNITS), "--out", str(out), "--as-of", "2026-05-15") == 2
    assert capsys.readouterr().err == (
        f"--out {out}: cannot write there (it, or a folder above it, is a file). Choose a folder you can write to "
        "(it is created if missing).\n")


def test_an_out_that_is_a_file_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "claims").write_text("notes\n", encoding="utf-8")
    assert main("run", str(LOST_UNITS), "--out", str(tmp_path / "claims"), "--as-of", "2026-05-15") == 2
    assert f"Error: Invalid value for '--out': dir '{tmp_path / 'claims'}' is a file." in capsys.readouterr().err
    assert (tmp_path / "claims").read_text(encoding="utf-8") == "notes\n"


def test_a_new_out_is_not_left_behind_when_the_run_stops_early(tmp_path: Path) -> None:
    empty = tmp_path / "reports"
    empty.mkdir()
    assert main("run", str(empty), "--out", str(tmp_path / "a" / "b"), "--as-of", "2026-05-15") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_the_command_as_installed_exits_2_with_one_line_when_out_cannot_be_written(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "file.txt").write_text("notes\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "fba_audit", "run", str(LOST_UNITS), "--out",
                           str(tmp_path / "file.txt" / "sub")], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot write there" in done.stderr
    assert done.stdout == ""


def test_an_unexpected_error_is_exit_2_with_one_line_and_the_traceback_in_a_log(tmp_path: Path, monkeypatch,
                                                                                capsys) -> None:
    from fba_audit import api

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(api, "audit", broken)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    assert main("run", str(LOST_UNITS), "--out", str(tmp_path / "out"), "--as-of", "2026-05-15",
                "--fail-on-findings") == 2
    err = capsys.readouterr().err
    (log,) = tmp_path.glob("fba-audit-error-*.log")
    assert err == (f"fba-audit: unexpected error: RuntimeError: boom (details in {log}; `fba-audit --debug COMMAND "
                   "...` prints them here).\n")
    text = log.read_text(encoding="utf-8")
    assert f"command: fba-audit run {LOST_UNITS} --out {tmp_path / 'out'} --as-of 2026-05-15 --fail-on-findings\n" in text
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom\nsecond line" in text


def test_debug_prints_the_traceback(tmp_path: Path, monkeypatch, capsys) -> None:
    from fba_audit import api

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "audit", broken)
    assert main("--debug", "run", str(LOST_UNITS), "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and 'raise RuntimeError("boom")' in err
    assert err.endswith("fba-audit: unexpected error: RuntimeError: boom\n")


def test_usage_errors_are_exit_2_and_findings_exit_1(tmp_path: Path, capsys) -> None:
    assert main("run", str(LOST_UNITS)) == 2
    assert "Missing option '--out'" in capsys.readouterr().err
    assert main("--version") == 0
    assert main("run", str(LOST_UNITS), "--out", str(tmp_path), "--as-of", "2026-05-15", "--fail-on-findings") == 1
    assert main("run", str(LOST_UNITS), "--out", str(tmp_path), "--as-of", "2026-05-15") == 0


def test_a_claimed_file_that_is_not_text_is_refused_before_the_audit(tmp_path: Path, monkeypatch, capsys) -> None:
    from fba_audit import api

    def must_not_run(*_args, **_kwargs):
        raise AssertionError("the audit ran although --claimed could not be read")

    monkeypatch.setattr(api, "audit", must_not_run)
    claimed = tmp_path / "filed.xlsx"
    claimed.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\xe0\x00")
    assert main("run", str(LOST_UNITS), "--out", str(tmp_path / "out"), "--claimed", str(claimed)) == 2
    # An .xlsx is read as staff's workbook (the claim ledger imports its filed_on / case_id entries); this one is
    # not a workbook at all.
    assert " ".join(capsys.readouterr().err.split()) == (
        f"--claimed {claimed}: cannot be read as an Excel workbook (File is not a zip file). Give the claims.xlsx "
        "that fba-audit wrote and staff filled in, or a text file with one filed finding id per line.")


# -------------------------------------------------------------------------------- empty and non-empty folders


def test_check_on_a_folder_without_reports_exits_2_like_run(tmp_path: Path) -> None:
    empty = tmp_path / "reports"
    empty.mkdir()
    result = runner.invoke(app, ["check", str(empty)])
    assert result.exit_code == 2
    assert (f"No Seller Central report recognised in {empty}; nothing to audit. Put the report downloads in it "
            "(see `fba-audit check --help` for the list).") in " ".join(result.output.split())


def test_simulate_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    products = tmp_path / "products.csv"
    products.write_text("sku,unit_cost\nMY-SKU,4.10\n", encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(tmp_path), "--skus", "3", "--months", "1"])
    assert result.exit_code == 2
    assert (f"{tmp_path} is not empty (1 entries, e.g. products.csv); simulate writes a whole account there. Choose "
            "an empty or new folder, or pass --force to write into it anyway.") in " ".join(result.output.split())
    assert products.read_text(encoding="utf-8") == "sku,unit_cost\nMY-SKU,4.10\n"
    result = runner.invoke(app, ["simulate", str(tmp_path), "--skus", "3", "--months", "1", "--force"])
    assert result.exit_code == 0, result.output
    assert products.read_text(encoding="utf-8").startswith("sku,unit_cost,currency,")


# ------------------------------------------------------------------------ outputs: one set, all new or all old


def small_filesystem(path: Path, size: str, *, read_only: bool = False) -> Path:
    """A real tmpfs of `size` mounted at `path` (root only); skips the test, saying why, where mounting fails."""
    import subprocess

    path.mkdir()
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}); the ENOSPC injection "
                    "tests cover the same code")
    return path


def unmount(path: Path) -> None:
    import subprocess

    subprocess.run(["umount", str(path)], check=True)


def test_a_read_only_out_is_refused_before_the_audit(tmp_path: Path, capsys) -> None:
    out = small_filesystem(tmp_path / "mnt", "1m", read_only=True)
    try:
        assert main("run", str(LOST_UNITS), "--out", str(out / "claims"), "--as-of", "2026-05-15") == 2
        assert capsys.readouterr().err == (
            f"--out {out / 'claims'}: cannot write there (Read-only file system). Choose a folder you can write to "
            "(it is created if missing).\n")
    finally:
        unmount(out)


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_full_disk_while_writing_findings_json_keeps_the_old_set(tmp_path: Path, monkeypatch, capsys) -> None:
    import errno

    import fba_audit.writers as writers
    from fba_audit.writers._common import atomic_write

    out = tmp_path / "out"
    assert main("run", str(LOST_UNITS), "--out", str(out), "--as-of", "2026-05-15") == 0
    before = outputs(out)

    def disk_full(result, path):  # the file-write boundary: the disk fills up half-way through findings.json
        def write(temporary: Path) -> None:
            with open(temporary, "wb") as handle:
                handle.write(b'{"as_of": ')
                raise OSError(errno.ENOSPC, "No space left on device")
        return atomic_write(path, write)

    monkeypatch.setattr(writers, "write_json", disk_full)
    capsys.readouterr()
    assert main("run", str(LOST_UNITS), "--out", str(out), "--as-of", "2026-05-20", "--fail-on-findings") == 2
    assert capsys.readouterr().err.endswith(
        f"cannot write the outputs into {out}: [Errno 28] No space left on device. Nothing was replaced: the files "
        "there are those of the previous run, if any.\n")
    assert outputs(out) == before  # the workbook of 2026-05-20 was finished, and was not put in place alone


def test_a_failing_rename_puts_the_old_files_back(tmp_path: Path, monkeypatch) -> None:
    import fba_audit.writers._common as common

    out = tmp_path / "out"
    assert main("run", str(LOST_UNITS), "--out", str(out), "--as-of", "2026-05-15") == 0
    before = outputs(out)
    real_replace = os.replace

    def replace(source, target):
        if Path(target).name == "findings.csv" and str(source).endswith(".tmp"):
            raise OSError(5, "Input/output error")
        return real_replace(source, target)

    monkeypatch.setattr(common.os, "replace", replace)
    assert main("run", str(LOST_UNITS), "--out", str(out), "--as-of", "2026-05-20") == 2
    assert outputs(out) == before


# openpyxl leaves its zip file open when the disk fills up under it, and the garbage collector's second try to
# close it fails the same way; the half-written temporary has been removed by then.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_real_full_disk_never_leaves_a_mixed_set(tmp_path: Path) -> None:
    """On a 1 MB tmpfs, with less and less room left, a second run either replaces all three files or none."""
    mount = small_filesystem(tmp_path / "mnt", "1m")
    try:
        out = mount / "out"
        assert main("run", str(LOST_UNITS), "--out", str(out), "--as-of", "2026-05-15") == 0
        old = outputs(out)
        assert main("run", str(LOST_UNITS), "--out", str(tmp_path / "new"), "--as-of", "2026-05-20") == 0
        new = outputs(tmp_path / "new")
        assert old["findings.json"] != new["findings.json"]
        needed = sum(len(data) for data in new.values())
        results = set()
        # Every point where a file of the new set meets a full disk, then one with room for the files the workbook's
        # process is handed (one Arrow file per detector, the findings and the report rows) besides the new set.
        for room in [*range(0, needed + 16384, 4096), 2 * needed + 65536]:
            stats = os.statvfs(mount)
            filler = mount / "filler"
            with open(filler, "wb") as handle:
                handle.write(b"\0" * max(0, stats.f_bavail * stats.f_frsize - room))
            status = main("run", str(LOST_UNITS), "--out", str(out), "--as-of", "2026-05-20")
            filler.unlink()
            now = outputs(out)
            assert sorted(now) == ["claims.xlsx", "findings.csv", "findings.json"]  # no temporary left behind
            assert (now["findings.json"], now["findings.csv"]) in ((old["findings.json"], old["findings.csv"]),
                                                                     (new["findings.json"], new["findings.csv"]))
            fresh = now["findings.json"] == new["findings.json"]
            assert (now["claims.xlsx"] == old["claims.xlsx"]) is not fresh
            assert status == (0 if fresh else 2)
            results.add(status)
            if fresh:  # put the old set back for the next, roomier try
                for name, data in old.items():
                    (out / name).write_bytes(data)
        assert results == {0, 2}
    finally:
        unmount(mount)
