"""The parse cache (fba_audit.reports.cache): a warm load gives what a cold one gives, row rejections and
duplicates included; a damaged, stale, cut-short or missing entry is parsed again; two runs at once share it; it
is pruned; `check` names the files it took from it."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from loader_helpers import accounting, copy_into
from typer.testing import CliRunner

from fba_audit.cli import app
from fba_audit.detectors import columns_read
from fba_audit.reports import cache as parse_cache
from fba_audit.reports import load_folder
from fba_audit.reports.cache import ENTRY_SUFFIX, ParseCache

SAMPLES = Path(__file__).parents[2] / "sample_reports"

# A ledger row and a settlement amount that are rejected (with file, line and column), a settlement downloaded twice
# and a ledger downloaded twice (counted as duplicates across files).
FILES = ("ledger_detail/bad_quantity.txt", "settlement_v2/bad_amount_three_decimals.txt", "settlement_v2/ok.txt",
         "ledger_detail/ok.csv", ("ledger_detail/ok.csv", "ledger_again.csv"))


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    copy_into(folder, *FILES)
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{ENTRY_SUFFIX}"))


def load(reports: Path, folder: Path, **options) -> tuple:
    cache = ParseCache(folder)
    return load_folder(reports, cache=cache, **options), cache


def same_load(a, b) -> None:
    """Everything a load gives, but whether a file came from the cache."""
    assert [dataclasses.replace(f, cached=False) for f in a.files] == [
        dataclasses.replace(f, cached=False) for f in b.files]
    assert a.datasets.keys() == b.datasets.keys()
    for name, frame in a.datasets.items():
        other = b.datasets[name]
        assert frame.schema == other.schema, name
        assert frame.sort(pl.all()).equals(other.sort(pl.all())), name
    assert a.titles.sort("sku").equals(b.titles.sort("sku"))
    assert a.marketplace == b.marketplace


@pytest.mark.parametrize("compact", [False, True], ids=["check", "run"])
def test_warm_load_gives_the_same_rows_rejections_and_duplicates(reports: Path, tmp_path: Path, compact: bool):
    options = {"columns": columns_read()} if compact else {}
    cold, first = load(reports, tmp_path / "cache", **options)
    warm, second = load(reports, tmp_path / "cache", **options)
    assert first.hits == [] and not any(f.cached for f in cold.files)
    assert sorted(second.hits) == sorted(f.file for f in warm.files) and all(f.cached for f in warm.files)
    assert len(entries(tmp_path / "cache")) == 5
    same_load(cold, warm)
    # What the cached files report is what parsing reported: the rejected rows with their lines, the duplicates.
    assert accounting(warm) == {
        "bad_amount_three_decimals.txt": (8, 7, 0, 1),
        "bad_quantity.txt": (3, 2, 0, 1),
        "ledger_again.csv": (4, 4, 0, 0),
        "ok.csv": (4, 0, 4, 0),
        "ok.txt": (8, 0, 8, 0),
    }
    rejected = {(p.file, p.line, p.column, p.value) for p in warm.problems if p.line is not None}
    assert rejected >= {("bad_quantity.txt", 3, "Quantity", "one"), ("bad_amount_three_decimals.txt", 5, "amount",
                                                                    "2.005")}


def test_sample_account_warm_equals_cold(tmp_path: Path):
    """Every report kind of the sample account (zip member, JSON, Date Range skipping repeated settlements)."""
    cold, _ = load(SAMPLES, tmp_path / "cache", columns=columns_read())
    warm, second = load(SAMPLES, tmp_path / "cache", columns=columns_read())
    # truth.json is not a report: never stored.
    assert sorted(second.hits) == sorted(f.file for f in cold.files if f.file != "truth.json")
    same_load(cold, warm)
    assert sum(f.duplicates for f in warm.files) > 0


def test_run_and_check_keep_entries_of_their_own(reports: Path, tmp_path: Path):
    """run parses fewer columns than check: a check never takes run's rows for its own."""
    load(reports, tmp_path / "cache", columns=columns_read())
    _, second = load(reports, tmp_path / "cache")
    assert second.hits == []
    assert len(entries(tmp_path / "cache")) == 10


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "empty", "not an entry"])
def test_a_damaged_entry_is_parsed_again_and_replaced(reports: Path, tmp_path: Path, damage: str):
    cold, _ = load(reports, tmp_path / "cache")
    for entry in entries(tmp_path / "cache"):
        data = bytearray(entry.read_bytes())
        if damage == "flip a byte":
            data[len(data) * 2 // 3] ^= 0x01
        elif damage == "cut short":
            data = data[: len(data) // 2]
        elif damage == "empty":
            data = bytearray()
        else:
            data = bytearray(b"PAR1" + bytes(data[4:]))
        entry.write_bytes(bytes(data))
    again, second = load(reports, tmp_path / "cache")
    assert second.hits == []
    assert sorted(second.damaged) == sorted(f.file for f in cold.files)
    same_load(cold, again)
    warm, third = load(reports, tmp_path / "cache")
    assert len(third.hits) == 5 and third.damaged == []
    same_load(cold, warm)


def test_a_deleted_entry_is_parsed_again(reports: Path, tmp_path: Path):
    cold, _ = load(reports, tmp_path / "cache")
    gone = entries(tmp_path / "cache")[:2]
    for entry in gone:
        entry.unlink()
    warm, second = load(reports, tmp_path / "cache")
    assert len(second.hits) == 3 and second.damaged == []
    same_load(cold, warm)
    assert all(entry.exists() for entry in gone)


def test_another_parser_version_does_not_use_the_entries(reports: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    load(reports, tmp_path / "cache")
    monkeypatch.setattr(parse_cache, "parser_version", lambda: "0" * 64)
    _, second = load(reports, tmp_path / "cache")
    assert second.hits == []
    assert len(entries(tmp_path / "cache")) == 10  # the old ones stay until pruned


def test_an_entry_written_by_another_parser_under_this_key_is_not_trusted(reports: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    """The key names the parser, and the entry says again which parser wrote it."""
    cold, _ = load(reports, tmp_path / "cache")
    real = parse_cache.parser_version()
    names = [e.name for e in entries(tmp_path / "cache")]
    monkeypatch.setattr(parse_cache, "parser_version", lambda: "1" * 64)
    monkeypatch.setattr(parse_cache, "_key", lambda *a: "k")  # every file's entry at one name
    load(reports, tmp_path / "other")
    written = (tmp_path / "other" / f"k{ENTRY_SUFFIX}").read_bytes()
    monkeypatch.undo()
    for name in names:
        (tmp_path / "cache" / name).write_bytes(written)
    assert parse_cache.parser_version() == real
    again, second = load(reports, tmp_path / "cache")
    assert second.hits == [] and len(second.damaged) == 5
    same_load(cold, again)


def test_the_parser_version_follows_the_parser_source(monkeypatch: pytest.MonkeyPatch):
    before = parse_cache.parser_version.__wrapped__()
    original = Path.read_bytes

    def edited(path: Path) -> bytes:
        data = original(path)
        return data + b"\n# edited\n" if path.name == "_parse.py" else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert parse_cache.parser_version.__wrapped__() != before


def test_the_parser_version_covers_every_module_the_loader_imports():
    code = ("import sys, fba_audit.reports.loader, fba_audit.reports.cache; "
            "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('fba_audit.'))))")
    modules = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    outside = {m for m in modules if not m.startswith("fba_audit.reports")}
    assert outside <= set(parse_cache.PARSER_MODULES), outside - set(parse_cache.PARSER_MODULES)


def test_a_changed_file_is_parsed_again_even_with_its_old_size_and_times(reports: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    """The remembered hash is used only while size, modification and change time and inode are the same."""
    monkeypatch.setattr(parse_cache, "RACY_SECONDS", -1)  # remember the hashes of these fresh copies
    load(reports, tmp_path / "cache")
    path = reports / "bad_quantity.txt"
    text = path.read_text(encoding="utf-8")
    stat = path.stat()
    assert '\tone\t' in text
    time.sleep(0.05)
    path.write_text(text.replace("\tone\t", "\t111\t"), encoding="utf-8")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    warm, second = load(reports, tmp_path / "cache")
    assert "bad_quantity.txt" not in second.hits and len(second.hits) == 4
    assert accounting(warm)["bad_quantity.txt"] == (3, 3, 0, 0)


def test_hashes_of_unchanged_files_are_remembered(reports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(parse_cache, "RACY_SECONDS", -1)
    load(reports, tmp_path / "cache")
    remembered = json.loads((tmp_path / "cache" / parse_cache.HASHES_FILE).read_text(encoding="utf-8"))["files"]
    assert sorted(Path(p).name for p in remembered) == sorted(p.name for p in reports.iterdir())
    hashed = []
    monkeypatch.setattr(parse_cache, "_sha256", lambda path: hashed.append(path))
    _, second = load(reports, tmp_path / "cache")
    assert hashed == [] and len(second.hits) == 5


def test_a_file_written_just_now_is_hashed_again(reports: Path, tmp_path: Path):
    load(reports, tmp_path / "cache")  # the copies are fresh: younger than RACY_SECONDS
    assert not (tmp_path / "cache" / parse_cache.HASHES_FILE).exists()


def test_two_runs_at_once_share_the_cache(reports: Path, tmp_path: Path):
    command = [sys.executable, "-m", "fba_audit", "check", str(reports), "--cache", str(tmp_path / "cache"),
               "--as-of", "2026-01-15"]
    env = {**os.environ, "COLUMNS": "200"}
    both = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in both]
    assert [p.returncode for p in both] == [2, 2], outputs  # 2: the rejected rows
    third = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert third.returncode == 2
    assert "From the parse cache" in third.stdout and "(5 of 5 files" in " ".join(third.stdout.split())
    assert not list((tmp_path / "cache").glob(f"*{parse_cache.TEMP_SUFFIX}"))

    def files_table(output: str) -> str:
        return output[output.index("Input files"):output.index("Total")]

    assert files_table(outputs[0][0]) == files_table(outputs[1][0]) == files_table(third.stdout)


def test_check_says_which_files_came_from_the_cache(reports: Path, tmp_path: Path):
    args = ["check", str(reports), "--cache", str(tmp_path / "cache"), "--as-of", "2026-01-15"]
    first = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert "parse cache" not in first.output
    (reports / "new.txt").write_bytes((reports / "ok.txt").read_bytes())
    second = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert first.exit_code == second.exit_code == 2
    assert (f"From the parse cache {tmp_path / 'cache'} (5 of 6 files, unchanged since a run parsed them): "
            "bad_amount_three_decimals.txt, bad_quantity.txt, ledger_again.csv, ok.csv, ok.txt") in " ".join(
        second.output.split())  # the console wraps the line at a space


def test_no_cache_keeps_nothing(reports: Path, tmp_path: Path):
    result = CliRunner().invoke(app, ["check", str(reports), "--no-cache"])
    assert result.exit_code == 2
    assert not any(Path(os.environ["FBA_AUDIT_CACHE"]).iterdir())


def test_cache_and_no_cache_together_are_refused(reports: Path, tmp_path: Path):
    for command in (["check", str(reports)], ["run", str(reports), "--out", str(tmp_path / "out")],
                    ["batch", str(tmp_path), "--out", str(tmp_path / "out")]):
        result = CliRunner().invoke(app, [*command, "--cache", str(tmp_path / "c"), "--no-cache"])
        assert result.exit_code == 2, command
        assert "--cache and --no-cache: give one of them." in result.output


def test_the_default_cache_is_used_by_run(reports: Path, tmp_path: Path):
    args = ["run", str(reports), "--out", str(tmp_path / "out"), "--as-of", "2026-01-15", "--no-ledger"]
    CliRunner().invoke(app, args)
    assert len(entries(Path(os.environ["FBA_AUDIT_CACHE"]))) == 5
    second = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert second.exit_code == 0, second.output
    assert "(5 of 5 files, unchanged since a run parsed them)" in " ".join(second.output.split())


def test_an_unusable_cache_folder_is_said_and_the_run_goes_on(reports: Path, tmp_path: Path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(app, ["check", str(reports), "--cache", str(blocker / "cache")])
    assert result.exit_code == 2  # the rejected rows, as without a cache
    said = " ".join(result.output.split())
    assert f"cannot use the parse cache folder {blocker / 'cache'}" in said
    assert "every file is parsed (use --cache DIR or --no-cache)" in said
    assert "bad_quantity.txt:3: column Quantity has" in result.output


def test_pruning_drops_old_entries_and_the_least_recently_used_past_the_size_cap(reports: Path, tmp_path: Path):
    folder = tmp_path / "cache"
    load(reports, folder)
    names = entries(folder)
    sizes = {p: p.stat().st_size for p in names}
    now = time.time()
    for age, path in enumerate(names):  # names[0] the most recently used
        os.utime(path, (now - age * 3600, now - age * 3600))
    cap = sum(sizes[p] for p in names[:3])
    ParseCache(folder, max_bytes=cap).prune()
    assert entries(folder) == names[:3]
    old = now - 100 * 86400
    os.utime(names[0], (old, old))
    ParseCache(folder, max_bytes=cap).prune()
    assert entries(folder) == names[1:3]


def test_pruning_keeps_what_the_run_used(reports: Path, tmp_path: Path):
    folder = tmp_path / "cache"
    cache = ParseCache(folder, max_bytes=1)
    load_folder(reports, cache=cache)  # prunes at the end of the load
    assert len(entries(folder)) == 5
    ParseCache(folder, max_bytes=1).prune()
    assert entries(folder) == []


def test_pruning_removes_temporary_files_a_crashed_run_left(tmp_path: Path):
    folder = tmp_path / "cache"
    cache = ParseCache(folder)
    stale, fresh = folder / f"a.1{parse_cache.TEMP_SUFFIX}", folder / f"b.2{parse_cache.TEMP_SUFFIX}"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    cache.prune()
    assert not stale.exists() and fresh.exists()


def test_the_ledger_takes_the_hashes_the_cache_knows(reports: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`run` records its input files in the claim ledger by SHA-256: a file the cache knows is not read again."""
    import hashlib

    from fba_audit.ledger.store import file_hashes

    monkeypatch.setattr(parse_cache, "RACY_SECONDS", -1)
    cache = ParseCache(tmp_path / "cache")
    path = reports / "ok.txt"
    assert cache.known_hash(path) is None
    load_folder(reports, cache=cache)
    assert cache.known_hash(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_hashes(reports, ParseCache(tmp_path / "cache").known_hash) == file_hashes(reports)
    told = file_hashes(reports, lambda p: "f" * 64 if p.name == "ok.txt" else None)
    assert told["ok.txt"] == ("f" * 64, path.stat().st_size)
    time.sleep(0.05)
    path.write_bytes(path.read_bytes() + b"\n")
    assert ParseCache(tmp_path / "cache").known_hash(path) is None


def test_every_field_of_a_files_read_comes_back_from_the_cache(tmp_path: Path):
    """Each file of the sample account, read as the loader reads it, stored and read back: field by field."""
    from fba_audit.reports import loader
    from fba_audit.reports._sources import WorkDir, discover

    assert tuple(f.name for f in dataclasses.fields(loader._FileRead)) == parse_cache.FILE_READ_FIELDS
    keep = {d: c | loader._loader_reads(d) for d, c in
            {d: frozenset(c) for d, c in columns_read().items()}.items()}
    sources, _ = discover(SAMPLES)
    seen_signs = 0
    with WorkDir() as workdir:
        for source in sources:
            read = loader._read_source(source, workdir, None, keep)
            if not parse_cache._storable(read):
                continue
            back = parse_cache._decode(parse_cache._encode(read, "k"), "k", source, keep, frozenset())
            for name in parse_cache.FILE_READ_FIELDS:
                mine, theirs = getattr(read, name), getattr(back, name)
                if name == "summary":
                    assert dataclasses.replace(theirs, cached=False) == mine
                elif name == "frames":
                    assert mine.keys() == theirs.keys()
                    assert all(mine[d].equals(theirs[d]) and mine[d].schema == theirs[d].schema for d in mine)
                elif name == "titles":
                    assert len(mine) == len(theirs) and all(a.equals(b) for a, b in zip(mine, theirs))
                else:
                    assert mine == theirs, (source.display, name)
            seen_signs += read.signs is not None and read.signs.kind != ""
    assert seen_signs > 0
