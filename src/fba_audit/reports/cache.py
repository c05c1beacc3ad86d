"""The parse cache: a report file read once is not parsed again while it and the parser stay the same.

A seller re-runs the audit every month over a year of downloads plus the new month's. Parsing is most of the load
(docs/performance.md), and all but the new files give the same rows as last month. So each file's read (the
typed rows of every dataset it feeds, its product titles and its `FileSummary` with the row rejections, each a
`Problem` with file, line and column) is stored after it is parsed, and the next run takes it from here.

What an entry is keyed by, so that it can only be found when it is what parsing would give again:
- the file's content (SHA-256 of the bytes on disk: of the archive for a zip or gzip member, plus the member);
- the name the run gives the file (problems and `source_file` carry it);
- the parser version (`PARSER_VERSION`): a digest of the source of every module that reads reports, of the
  rate-card data products.csv is checked against, of this cache's own format and of the polars version. It
  changes by itself whenever parsing can change: nobody has to remember to bump it;
- what the load asks for: the datasets wanted, the columns kept (`run` keeps fewer than `check`), and for Date
  Range files the settlements flat files already gave (their rows are skipped while parsing).

Only the per-file read is cached. What depends on the other files (pandera's validation over each dataset, the
marketplace decision, de-duplication of overlapping downloads, repeated settlements) runs on the combined data
in every run, as without the cache, so overlapping downloads are never counted twice.

Never trusted: an entry is one file, written under a temporary name and renamed into place (a reader sees the
whole old entry or the whole new one, never half of one, and two runs at once can both write it). It starts with
its length and a SHA-256 of the rest; one that is short, long, damaged, of another key, parser or format, or that
polars cannot read back to the same schema is deleted and the file parsed again.

Knowing a file's hash needs a read of all its bytes (about 1 s for a year of a 15,000-SKU account's 1.5 GB). The
hash of a file whose size, modification time, change time and inode are those it had when it was hashed is taken
from `hashes.json` instead, as git's index and rsync do; the change time is set by the operating system on every
write and cannot be set back by a program, and a file written within `RACY_SECONDS` of its hashing is hashed again.

Pruned after every load (`prune`): entries not used for `MAX_AGE_DAYS`, then the least recently used ones past
`MAX_BYTES` in all, never one used by the run that prunes; temporary files a crashed run left after an hour.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from fba_audit.reports.kinds import KINDS_BY_KEY
from fba_audit.reports.marketplace import FileSigns
from fba_audit.reports.model import FileSummary, Problem

if TYPE_CHECKING:
    from fba_audit.reports._sources import Source
    from fba_audit.reports.loader import _FileRead

ENV_VAR = "FBA_AUDIT_CACHE"
FOLDER_NAME = "parse-cache"
# The layout of an entry file; part of PARSER_VERSION.
FORMAT = 1
MAGIC = b"fba-audit parse cache\n"
_HEADER = struct.Struct(">Q32s")  # length of the body, SHA-256 of the body
ENTRY_SUFFIX = ".entry"
TEMP_SUFFIX = ".tmp"
HASHES_FILE = "hashes.json"

# A year of the 50,000-SKU simulated account (5.3 GB of reports) takes about 1 GB here (docs/performance.md);
# twice that leaves room for check's full reads beside run's compact ones.
MAX_BYTES = 2 * 1024**3
# A file not seen for a quarter has left the reports folder (or the seller stopped running monthly).
MAX_AGE_DAYS = 92
TEMP_MAX_AGE_SECONDS = 3600
# Timestamps of some file systems are coarse (FAT: 2 s): a file written in the same tick as it was hashed could
# change again without its times changing.
RACY_SECONDS = 3

# Modules outside fba_audit.reports that parsing uses (a test checks that this is all of them).
PARSER_MODULES = (
    "fba_audit._names", "fba_audit.context", "fba_audit.ratecards", "fba_audit.referral", "fba_audit.sorted_runs",
)


class CacheError(OSError):
    """The cache folder cannot be used (a message for people); the run goes on without it."""


@cache
def parser_version() -> str:
    """A digest of everything that decides what parsing a file gives (see the module docstring)."""
    import fba_audit.reports as package

    digest = hashlib.sha256(f"format {FORMAT}; polars {pl.__version__}; python {sys.version_info[:2]}".encode())
    folder = Path(package.__file__).parent
    sources = sorted(folder.glob("*.py"))
    root = folder.parent
    sources += [root.joinpath(*name.split(".")[1:]).with_suffix(".py") for name in PARSER_MODULES]
    for path in sources:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    ratecards = resources.files("fba_audit").joinpath("data/ratecards")
    for item in sorted(_data_files(ratecards), key=lambda f: f[0]):
        digest.update(item[0].encode() + b"\0" + item[1] + b"\0")
    return digest.hexdigest()


def _data_files(folder, prefix: str = "") -> Iterable[tuple[str, bytes]]:
    for item in folder.iterdir():
        name = f"{prefix}{item.name}"
        if item.is_dir():
            yield from _data_files(item, f"{name}/")
        elif item.is_file():
            yield name, item.read_bytes()


def default_location() -> Path:
    """$FBA_AUDIT_CACHE, else `parse-cache` in the per-user data folder that holds the claim ledger."""
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("fba-audit", appauthor=False)) / FOLDER_NAME


class ParseCache:
    """One run's use of a cache folder. Thread-safe: the loader reads two files at a time."""

    def __init__(self, folder: Path | str, *, max_bytes: int = MAX_BYTES, max_age_days: float = MAX_AGE_DAYS) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.max_age_days = max_age_days
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self.folder, suffix=TEMP_SUFFIX)
            probe.close()
        except OSError as exc:
            raise CacheError(f"cannot use the parse cache folder {self.folder}: {exc.strerror or exc}") from exc
        self._lock = threading.Lock()
        self._hashes = self._load_hashes()
        self._hashes_changed = False
        self._used: set[str] = set()
        self.hits: list[str] = []  # files taken from the cache by this run, by the name the run gives them
        self.damaged: list[str] = []  # entries found unusable and parsed again

    # ------------------------------------------------------------------------------------------- reading

    def read(self, source: Source, parse: Callable[[], _FileRead], *, wanted: Iterable[str] | None,
             keep: Mapping[str, Iterable[str]] | None, covered: Iterable[str]) -> _FileRead:
        """`parse()`'s result for `source`, from the cache when an entry for the same content, parser and request
        is there; else parsed and stored."""
        content = self._content_hash(source)
        if content is None:  # cannot be read now: parse, which reports why
            return parse()
        key = _key(content, source, wanted, keep, covered)
        path = self.folder / f"{key}{ENTRY_SUFFIX}"
        with self._lock:
            self._used.add(path.name)
        found = self._load(path, key, source, keep, frozenset(covered))
        if found is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # last used: what pruning goes by
            with self._lock:
                self.hits.append(source.display)
            return found
        read = parse()
        if _storable(read):
            self._store(path, key, read)
        return read

    def _load(self, path: Path, key: str, source: Source,
              keep: Mapping[str, Iterable[str]] | None, covered: frozenset[str]) -> _FileRead | None:
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        try:
            return _decode(raw, key, source, keep, covered)
        except Exception:  # noqa: BLE001 - any damage at all means: parse the file again, never trust the entry
            with self._lock:
                self.damaged.append(source.display)
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def _store(self, path: Path, key: str, read: _FileRead) -> None:
        try:
            data = _encode(read, key)
        except Exception:  # noqa: BLE001 - a frame polars cannot store only costs the next run a parse
            return
        try:
            handle, temp = tempfile.mkstemp(dir=self.folder, prefix=f"{key}.", suffix=TEMP_SUFFIX)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError:
            return  # a full disk or a vanished folder costs the next run a parse, not this one its result

    # ------------------------------------------------------------------------------------ content hashes

    def known_hash(self, path: Path) -> str | None:
        """The SHA-256 of the file at `path` when it was hashed before and has not changed since (see the module
        docstring), else None. The claim ledger records the run's input files by the same hash."""
        try:
            stat = path.stat()
            where = str(path.resolve())
        except OSError:
            return None
        with self._lock:
            known = self._hashes.get(where)
            if known is None or known["stat"] != _signature(stat):
                return None
            known["seen"] = time.time()
            self._hashes_changed = True
            return known["sha256"]

    def _content_hash(self, source: Source) -> str | None:
        digest = self.known_hash(source.path)
        if digest is not None:
            return digest
        try:
            stat = source.path.stat()
            where = str(source.path.resolve())
        except OSError:
            return None
        digest = _sha256(source.path)
        if digest is not None and time.time() - max(stat.st_mtime, stat.st_ctime) > RACY_SECONDS:
            with self._lock:
                self._hashes[where] = {"stat": _signature(stat), "sha256": digest, "seen": time.time()}
                self._hashes_changed = True
        return digest

    def _load_hashes(self) -> dict[str, dict[str, Any]]:
        try:
            loaded = json.loads((self.folder / HASHES_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(loaded, dict) or loaded.get("format") != FORMAT or not isinstance(loaded.get("files"), dict):
            return {}
        good = {}
        for where, entry in loaded["files"].items():
            if (isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64
                    and isinstance(entry.get("stat"), list) and len(entry["stat"]) == 4
                    and all(isinstance(v, int) for v in entry["stat"])
                    and isinstance(entry.get("seen"), (int, float))):
                good[where] = entry
        return good

    def _save_hashes(self) -> None:
        cutoff = time.time() - self.max_age_days * 86400
        with self._lock:
            if not self._hashes_changed:
                return
            files = {k: v for k, v in self._hashes.items() if v["seen"] >= cutoff}
        text = json.dumps({"format": FORMAT, "files": files}, sort_keys=True)
        with contextlib.suppress(OSError):
            handle, temp = tempfile.mkstemp(dir=self.folder, prefix="hashes.", suffix=TEMP_SUFFIX)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temp, self.folder / HASHES_FILE)

    # ------------------------------------------------------------------------------------------- pruning

    def finish(self) -> None:
        """After the load: remember the hashes and prune."""
        self._save_hashes()
        self.prune()

    def prune(self) -> None:
        """Delete entries unused for `max_age_days`, then the least recently used past `max_bytes` (never one this
        run used), and temporary files older than an hour."""
        now = time.time()
        entries = []
        for path in self._listing():
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.name.endswith(TEMP_SUFFIX):
                if now - stat.st_mtime > TEMP_MAX_AGE_SECONDS:
                    with contextlib.suppress(OSError):
                        path.unlink()
            elif path.name.endswith(ENTRY_SUFFIX):
                entries.append((stat.st_mtime, stat.st_size, path))
        entries.sort(key=lambda e: e[0])
        total = sum(size for _, size, _ in entries)
        for used, size, path in entries:
            too_old = now - used > self.max_age_days * 86400
            if path.name in self._used or not (too_old or total > self.max_bytes):
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size

    def _listing(self) -> list[Path]:
        try:
            return list(self.folder.iterdir())
        except OSError:
            return []


def _signature(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _key(content: str, source: Source, wanted: Iterable[str] | None, keep: Mapping[str, Iterable[str]] | None,
         covered: Iterable[str]) -> str:
    material = {
        "parser": parser_version(),
        "content": content,
        "file": source.display,
        "member": source.member,
        "gzipped": source.gzipped,
        "wanted": None if wanted is None else sorted(wanted),
        "keep": None if keep is None else {d: sorted(c) for d, c in sorted(keep.items())},
        "covered": sorted(covered),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _storable(read: _FileRead) -> bool:
    """Parsed reports only: a file not recognised costs a look at its first bytes, and one that could not be read
    may read next time."""
    return read.kind is not None and not any(p.message.startswith("cannot be read") for p in read.summary.problems)


# --------------------------------------------------------------------------------------------- entry format

_DATES = ("first_date", "last_date", "period_start", "period_end")
# Every field of the loader's `_FileRead`, each stored or given again by the request (a test checks the list: a new
# field must be stored too, or a cached read would quietly lack it).
FILE_READ_FIELDS = ("summary", "kind", "frames", "headers", "mtime", "settlement_ids", "keep", "titles", "covered",
                    "repeated_dates", "rejected_lines", "signs", "resave_sign")


def _encode(read: _FileRead, key: str) -> bytes:
    blobs: list[bytes] = []

    def frame(df: pl.DataFrame) -> dict[str, Any]:
        buffer = io.BytesIO()
        # lz4: on the 15,000-SKU account's orders and a settlement, 12 % less CPU than zstd (level 1) to write and
        # to read, at 1.8 times its bytes; the statistics are never used.
        df.write_parquet(buffer, compression="lz4", statistics=False)
        blobs.append(buffer.getvalue())
        return {"blob": len(blobs) - 1, "schema": _schema_text(df)}

    summary = dataclasses.asdict(read.summary)
    for name in _DATES:
        summary[name] = None if summary[name] is None else summary[name].isoformat()
    meta = {
        "key": key,
        "parser": parser_version(),
        "summary": summary,
        "kind": read.kind.key if read.kind is not None else None,
        "frames": {name: frame(df) for name, df in read.frames.items()},
        "titles": [frame(df) for df in read.titles],
        "headers": read.headers,
        "settlement_ids": list(read.settlement_ids),
        "repeated_dates": None if read.repeated_dates is None else [d.isoformat() for d in read.repeated_dates],
        "rejected_lines": read.rejected_lines,
        "signs": None if read.signs is None else dataclasses.asdict(read.signs),
        "resave_sign": read.resave_sign,
        "blobs": [len(b) for b in blobs],
    }
    text = json.dumps(meta, ensure_ascii=False).encode()
    body = struct.pack(">Q", len(text)) + text + b"".join(blobs)
    return MAGIC + _HEADER.pack(len(body), hashlib.sha256(body).digest()) + body


def _decode(raw: bytes, key: str, source: Source, keep: Mapping[str, Iterable[str]] | None,
            covered: frozenset[str]) -> _FileRead:
    from fba_audit.reports.loader import _FileRead

    if not raw.startswith(MAGIC):
        raise ValueError("not an entry")
    length, digest = _HEADER.unpack_from(raw, len(MAGIC))
    body = memoryview(raw)[len(MAGIC) + _HEADER.size:]
    if len(body) != length or hashlib.sha256(body).digest() != digest:
        raise ValueError("cut short or damaged")
    (text_length,) = struct.unpack_from(">Q", body)
    meta = json.loads(bytes(body[8:8 + text_length]))
    if meta["key"] != key or meta["parser"] != parser_version():
        raise ValueError("another key or parser")
    starts, at = [], 8 + text_length
    for size in meta["blobs"]:
        starts.append((at, at + size))
        at += size
    if at != len(body):
        raise ValueError("blobs do not fill the entry")

    def frame(spec: dict[str, Any]) -> pl.DataFrame:
        begin, end = starts[spec["blob"]]
        df = pl.read_parquet(io.BytesIO(body[begin:end]))
        if _schema_text(df) != spec["schema"]:
            raise ValueError("schema changed")
        return df

    summary = dict(meta["summary"])
    for name in _DATES:
        summary[name] = None if summary[name] is None else dt.date.fromisoformat(summary[name])
    summary["datasets"] = tuple(summary["datasets"])
    summary["header_cells"] = tuple(summary["header_cells"])
    summary["problems"] = [Problem(**p) for p in summary["problems"]]
    summary["cached"] = True
    if summary["file"] != source.display:
        raise ValueError("another file")
    kind = None if meta["kind"] is None else KINDS_BY_KEY[meta["kind"]]
    signs = meta["signs"]
    return _FileRead(
        FileSummary(**summary),
        kind=kind,
        frames={name: frame(spec) for name, spec in meta["frames"].items()},
        headers=dict(meta["headers"]),
        mtime=source.mtime,
        keep=None if keep is None else {d: frozenset(c) for d, c in keep.items()},
        settlement_ids=tuple(meta["settlement_ids"]),
        covered=covered,
        titles=[frame(spec) for spec in meta["titles"]],
        repeated_dates=None if meta["repeated_dates"] is None else tuple(
            dt.date.fromisoformat(d) for d in meta["repeated_dates"]),
        rejected_lines=list(meta["rejected_lines"]),
        signs=None if signs is None else FileSigns(**{k: tuple(v) if isinstance(v, list) else v
                                                      for k, v in signs.items()}),
        resave_sign=None if meta["resave_sign"] is None else tuple(meta["resave_sign"]),
    )


def _schema_text(df: pl.DataFrame) -> str:
    return repr(list(df.schema.items()))
