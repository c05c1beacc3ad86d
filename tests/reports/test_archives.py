"""Zipped and gzipped downloads are read in place; archives that try to escape the folder or expand without bound
are refused with a message; nothing is ever written next to the seller's files or left behind."""

from __future__ import annotations

import gzip
import tempfile
import zipfile
from pathlib import Path

import pytest
from loader_helpers import FIXTURES, accounting

from fba_audit.reports import load_folder

ESCAPE = ("has a path that would escape the reports folder; refused. Do not use this archive; download the report "
          "from Seller Central again.")


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under `folder` with its size and modification time."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture
def private_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The loader's temporary folders go here (outside tmp_path), so a test can see that they are removed."""
    scratch = tmp_path_factory.mktemp("loader-tmp")
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def test_members_escaping_the_folder_are_refused_and_the_rest_is_read(tmp_path: Path, private_tmp: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    with zipfile.ZipFile(folder / "evil.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../evil.txt", "received-date\tfnsku\n")
        archive.writestr("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
        archive.writestr("C:\\Windows\\evil.txt", "x\n")
        archive.write(FIXTURES / "received_inventory/ok.txt", "2022/received.txt")
        archive.write(FIXTURES / "customer_returns/ok.txt", "returns.txt")
    before = snapshot(tmp_path)
    result = load_folder(folder)
    assert accounting(result) == {
        "evil.zip!../evil.txt": (0, 0, 0, 0),
        "evil.zip!/etc/passwd": (0, 0, 0, 0),
        "evil.zip!2022/received.txt": (2, 2, 0, 0),
        "evil.zip!C:\\Windows\\evil.txt": (0, 0, 0, 0),
        "evil.zip!returns.txt": (2, 2, 0, 0),
    }
    assert [(p.severity, str(p)) for p in result.problems] == [
        ("error", f"evil.zip!../evil.txt: {ESCAPE}"),
        ("error", f"evil.zip!/etc/passwd: {ESCAPE}"),
        ("error", f"evil.zip!C:\\Windows\\evil.txt: {ESCAPE}"),
    ]
    assert result.datasets["customer_returns"]["source_file"].unique().to_list() == ["evil.zip!returns.txt"]
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "evil.txt").exists()
    assert list(private_tmp.iterdir()) == []


def test_zip_bomb_is_refused_without_being_expanded(tmp_path: Path, private_tmp: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    copy = folder / "ledger.txt"
    copy.write_bytes((FIXTURES / "ledger_detail/ok_14col.txt").read_bytes())
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("ledger.txt", "w") as member:
            zeros = bytes(1024 * 1024)
            for _ in range(100):
                member.write(zeros)
    with zipfile.ZipFile(folder / "bomb.zip") as archive:
        (info,) = archive.infolist()
    assert info.file_size == 100 * 1024 * 1024 > 64 * 1024 * 1024
    assert info.file_size / info.compress_size > 200
    before = snapshot(tmp_path)
    result = load_folder(folder)
    assert accounting(result) == {"bomb.zip": (0, 0, 0, 0), "ledger.txt": (4, 4, 0, 0)}
    assert [(p.severity, str(p)) for p in result.problems] == [
        ("error", f"bomb.zip: would expand to 104,857,600 bytes from {info.compress_size:,} "
                  f"(ratio {info.file_size / info.compress_size:.0f}:1); refused as a possible zip bomb. Unzip the "
                  "reports you need into the folder.")]
    assert snapshot(tmp_path) == before
    assert list(private_tmp.iterdir()) == []


def test_highly_compressible_small_report_is_not_a_bomb(tmp_path: Path) -> None:
    # A real report compresses 10-20x; even a ratio above 200 is fine while the content is small.
    folder = tmp_path / "reports"
    folder.mkdir()
    text = (FIXTURES / "ledger_detail/ok_14col.txt").read_text()
    rows = text.splitlines(keepends=True)
    with zipfile.ZipFile(folder / "ledger.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ledger.txt", rows[0] + rows[2] * 20_000)
    result = load_folder(folder)
    assert accounting(result) == {"ledger.zip!ledger.txt": (20_000, 20_000, 0, 0)}
    assert result.problems == []


def test_gzip_is_read_in_place(tmp_path: Path, private_tmp: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    with gzip.open(folder / "reimbursements.txt.gz", "wb") as packed:
        packed.write((FIXTURES / "reimbursements/ok.txt").read_bytes())
    before = snapshot(tmp_path)
    result = load_folder(folder)
    (summary,) = result.files
    assert (summary.file, summary.kind, summary.encoding) == ("reimbursements.txt.gz", "reimbursements",
                                                              "Windows-1252")
    assert accounting(result) == {"reimbursements.txt.gz": (3, 3, 0, 0)}
    assert sorted(result.datasets["reimbursements"]["product_name"].to_list()) == [
        "Café – Bürste", "Café – Bürste", "Travel Wallet"]
    assert snapshot(tmp_path) == before
    assert list(private_tmp.iterdir()) == []


def test_gzip_bomb_behind_a_valid_header_is_stopped_before_much_is_written(tmp_path: Path, private_tmp: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 22 item 7: 14 MB that expanded to 3 GB was written out whole (3.1 GB in the temporary folder, 6.3 GB
    # of memory, then an internal polars error). Here 100 MiB of zeros behind a genuine FBA customer returns header:
    # it compresses about 1000:1.
    from fba_audit.reports import _sources

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "ledger.txt").write_bytes((FIXTURES / "ledger_detail/ok_14col.txt").read_bytes())
    header = (FIXTURES / "customer_returns/ok.txt").read_bytes().splitlines(keepends=True)[0]
    with gzip.open(folder / "returns.txt.gz", "wb") as packed:
        packed.write(header)
        zeros = bytes(1024 * 1024)
        for _ in range(100):
            packed.write(zeros)
    assert (folder / "returns.txt.gz").stat().st_size < 200_000
    largest: list[int] = []
    real_exit = _sources.WorkDir.__exit__

    def note_size(self, *exc):  # what the temporary folder held when it was removed
        largest.append(sum(p.stat().st_size for p in self._path.rglob("*") if p.is_file()))
        return real_exit(self, *exc)

    monkeypatch.setattr(_sources.WorkDir, "__exit__", note_size)
    before = snapshot(tmp_path)
    result = load_folder(folder)
    assert accounting(result) == {"ledger.txt": (4, 4, 0, 0), "returns.txt.gz": (0, 0, 0, 0)}
    assert [(p.severity, str(p)) for p in result.problems] == [
        ("error", "returns.txt.gz: expands to more than 67,108,864 bytes at more than 200 times its compressed "
                  "size; refused as a possible gzip bomb. Decompress the reports you need into the folder.")]
    assert max(largest) <= 64 * 1024**2 + _sources.COPY_CHUNK
    assert snapshot(tmp_path) == before
    assert list(private_tmp.iterdir()) == []


def test_a_big_gzipped_report_that_compresses_like_text_is_read(tmp_path: Path) -> None:
    # Past 64 MiB the ratio is checked; a report of varied lines stays far below 200:1.
    folder = tmp_path / "reports"
    folder.mkdir()
    rows = (FIXTURES / "ledger_detail/ok_14col.txt").read_text().splitlines(keepends=True)
    line = rows[2]
    lines = 900_000
    with gzip.open(folder / "ledger.txt.gz", "wt", compresslevel=1) as packed:
        packed.write(rows[0])
        for block in range(0, lines, 50_000):  # every other line with a distinct Reference ID
            packed.write("".join(line.replace("\tReceipts\t", f"\tReceipts\t{n:09d}", 1) if n % 2 else line
                                 for n in range(block, block + 50_000)))
    with gzip.open(folder / "ledger.txt.gz", "rb") as packed:
        expanded = sum(len(chunk) for chunk in iter(lambda: packed.read(1 << 20), b""))
    assert expanded > 64 * 1024**2
    result = load_folder(folder)
    assert [str(p) for p in result.problems if p.severity == "error"] == []
    assert result.files[0].rows_read == lines


def test_damaged_gzip_and_zip_member_are_named_and_the_rest_is_read(tmp_path: Path, private_tmp: Path) -> None:
    # Bytes flipped inside the compressed data: zlib fails (zlib.error, not an OSError), which stopped the whole
    # check with a traceback.
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "ledger.txt").write_bytes((FIXTURES / "ledger_detail/ok_14col.txt").read_bytes())
    packed = bytearray(gzip.compress((FIXTURES / "ledger_detail/ok_15col.txt").read_bytes() * 50, mtime=0))
    packed[30:60] = bytes(b ^ 0x5A for b in packed[30:60])
    (folder / "ledger2.txt.gz").write_bytes(bytes(packed))
    with zipfile.ZipFile(folder / "returns.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("returns.txt", (FIXTURES / "customer_returns/ok.txt").read_bytes() * 50)
    damaged = bytearray((folder / "returns.zip").read_bytes())
    damaged[60:90] = bytes(b ^ 0x5A for b in damaged[60:90])
    (folder / "returns.zip").write_bytes(bytes(damaged))
    result = load_folder(folder)
    assert accounting(result) == {"ledger.txt": (4, 4, 0, 0), "ledger2.txt.gz": (0, 0, 0, 0),
                                  "returns.zip!returns.txt": (0, 0, 0, 0)}
    assert [(p.file, p.message.split(" (")[0], p.hint) for p in result.problems] == [
        ("ledger2.txt.gz", "cannot be read", "Download the report again."),
        ("returns.zip!returns.txt", "cannot be read", "Download the report again.")]
    assert all("while decompressing data" in p.message for p in result.problems)
    assert list(private_tmp.iterdir()) == []


def test_links_and_pipes_are_named_not_followed(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "ledger.txt").write_bytes((FIXTURES / "ledger_detail/ok_14col.txt").read_bytes())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "returns.txt").write_bytes((FIXTURES / "customer_returns/ok.txt").read_bytes())
    (folder / "more").symlink_to(elsewhere)
    (folder / "loop").symlink_to(folder)
    (folder / "gone.txt").symlink_to(tmp_path / "deleted.txt")
    os.mkfifo(folder / "pipe.txt")
    result = load_folder(folder)
    assert accounting(result) == {"gone.txt": (0, 0, 0, 0), "ledger.txt": (4, 4, 0, 0), "loop": (0, 0, 0, 0),
                                  "more": (0, 0, 0, 0), "pipe.txt": (0, 0, 0, 0)}
    hint = "Copy the reports themselves into the folder."
    assert [(p.severity, str(p)) for p in result.problems] == [
        ("warning", f"gone.txt: is a broken link; not read. {hint}"),
        ("warning", f"loop: is a link to a folder; not read. {hint}"),
        ("warning", f"more: is a link to a folder; not read. {hint}"),
        ("warning", f"pipe.txt: is not a regular file (a pipe, socket or device); not read. {hint}")]


def test_folder_with_every_kind_zipped_and_plain_is_left_unchanged(tmp_path: Path, private_tmp: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    goods = sorted(FIXTURES.glob("*/ok*"))
    with zipfile.ZipFile(folder / "all.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in goods:
            archive.write(path, path.relative_to(FIXTURES).as_posix())
    (folder / "ledger.txt").write_bytes((FIXTURES / "ledger_detail/ok_15col.txt").read_bytes())
    before = snapshot(tmp_path)
    result = load_folder(folder)
    assert sorted(f.file for f in result.files) == sorted(
        ["ledger.txt"] + [f"all.zip!{p.relative_to(FIXTURES).as_posix()}" for p in goods])
    assert [f.file for f in result.files if f.kind is None] == []
    accounting(result)
    assert snapshot(tmp_path) == before
    assert list(private_tmp.iterdir()) == []
