"""Find the files in a reports folder and open them, archives included, without trusting their contents.

Sellers save Seller Central downloads as they come: plain `.txt`/`.csv`/`.tsv`/`.json`, `.zip` archives and
`.gz` files (the SP-API hands reports out gzipped). Archive members are read in place. A member whose name
would escape the folder (`../x`, `/etc/x`, `C:\\x`) or an archive that would expand past a sane bound is
refused with a message; nothing is ever extracted next to the seller's files.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from fba_audit._names import printable_name
from fba_audit.reports.model import Problem

# A year of a very large seller's ledger is about 2 GB of text; anything bigger than this inside one archive is
# far more likely a zip bomb than a report.
MAX_EXPANDED_BYTES = 8 * 1024**3
# Text reports compress about 10-20x; a ratio past this is what zip bombs look like. Checked once the content is
# past RATIO_CHECKED_FROM: a small report of repeated lines may compress better and is harmless.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_FROM = 64 * 1024**2
# Decompressed in pieces of this size, each checked before it is written: a bomb is stopped one piece past a limit.
COPY_CHUNK = 1024**2
MAX_ARCHIVE_MEMBERS = 1000

REPORT_SUFFIXES = {".txt", ".tsv", ".csv", ".tab", ".json", ".tdf", ""}
# account.toml holds an account's `fba-audit batch` settings (docs/agencies.md), next to its reports.
IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "account.toml"}


@dataclass(frozen=True)
class Source:
    """One report file to read: a path on disk, or a member of an archive."""

    display: str  # what messages and evidence call it, relative to the reports folder
    path: Path  # the file on disk (the archive itself for members)
    member: str | None = None  # zip member name
    gzipped: bool = False
    mtime: float = 0.0

    def materialize(self, workdir: Path) -> Path:
        """A plain file on disk with the report's bytes (the original when it already is one)."""
        if self.member is None and not self.gzipped:
            return self.path if _utf8_path(self.path) else _utf8_alias(self.path, workdir)
        target = Path(tempfile.mkstemp(dir=workdir, suffix=".raw")[1])
        if self.gzipped:
            # A gzip file does not say how big it expands (its size field is 32 bits and unchecked): the ratio
            # is watched while it is decompressed, against the compressed bytes read so far.
            with open(self.path, "rb") as packed, gzip.GzipFile(fileobj=packed) as src, open(target, "wb") as dst:
                _copy_bounded(src, dst, packed.tell)
            return target
        with self._open_raw() as src, open(target, "wb") as dst:
            _copy_bounded(src, dst)
        return target

    def head(self, size: int) -> bytes:
        with self._open_raw() as src:
            return src.read(size)

    def _open_raw(self):
        if self.member is not None:
            archive = zipfile.ZipFile(self.path)
            return _ClosingMember(archive, archive.open(self.member))
        if self.gzipped:
            return gzip.open(self.path, "rb")
        return open(self.path, "rb")


class _ClosingMember:
    def __init__(self, archive: zipfile.ZipFile, handle) -> None:
        self._archive, self._handle = archive, handle

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._handle.close()
        self._archive.close()


class ArchiveTooLarge(Exception):
    pass


# What reading a damaged download raises: a truncated or corrupt gzip or zip member fails inside zlib or zipfile,
# not with an OSError. The loader reports the file as unreadable and goes on with the others.
UNREADABLE = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


def _copy_bounded(src, dst, packed_so_far: Callable[[], int] | None = None) -> None:
    """Copy decompressed bytes, stopping (ArchiveTooLarge) past the size or, given `packed_so_far`, the ratio that
    zip members are held to before they are opened."""
    written = 0
    while chunk := src.read(COPY_CHUNK):
        written += len(chunk)
        if written > MAX_EXPANDED_BYTES:
            raise ArchiveTooLarge(f"expands to more than {MAX_EXPANDED_BYTES:,} bytes")
        if packed_so_far is not None and written > RATIO_CHECKED_FROM:
            if written > MAX_COMPRESSION_RATIO * max(packed_so_far(), 1):
                raise ArchiveTooLarge(f"expands to more than {RATIO_CHECKED_FROM:,} bytes at more than "
                                      f"{MAX_COMPRESSION_RATIO} times its compressed size")
        dst.write(chunk)


def _utf8_path(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _utf8_alias(path: Path, workdir: Path) -> Path:
    """A name polars can open for a file whose path is not UTF-8 (polars takes paths as UTF-8 text only)."""
    alias = Path(tempfile.mkdtemp(dir=workdir)) / "report"
    try:
        alias.symlink_to(path.resolve())
    except OSError:  # a file system without symbolic links: a copy then
        shutil.copyfile(path, alias)
    return alias


def _unsafe_member_name(name: str) -> bool:
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    return (
        posix.is_absolute()
        or windows.is_absolute()
        or bool(windows.drive)
        or ".." in posix.parts
        or ".." in windows.parts
    )


def discover(folder: Path) -> tuple[list[Source], list[Problem]]:
    """Every report file under `folder` (recursively), sorted by name, plus problems with archives."""
    sources: list[Source] = []
    problems: list[Problem] = []
    for path in sorted(p for p in folder.rglob("*") if not p.is_dir() or p.is_symlink()):
        display = printable_name(path.relative_to(folder).as_posix())
        name = path.name.lower()
        if name in IGNORED_NAMES or name.startswith(".") or name.startswith("~$"):
            continue
        if not path.is_file():
            # Not followed, never opened (a pipe would wait for ever), but not passed over in silence either.
            what = ("a link to a folder" if path.is_dir() else "a broken link" if path.is_symlink()
                    else "not a regular file (a pipe, socket or device)")
            problems.append(Problem(display, None, None, None, f"is {what}; not read.",
                                    "Copy the reports themselves into the folder.", "warning"))
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):
            problems.append(
                Problem(display, None, None, None, "is a link to a file outside the reports folder; not read.",
                        "Copy the report into the folder instead.")
            )
            continue
        mtime = path.stat().st_mtime
        if name.endswith(".zip"):
            found, trouble = _zip_members(path, display, mtime)
            sources += found
            problems += trouble
        elif name.endswith(".gz"):
            sources.append(Source(display, path, gzipped=True, mtime=mtime))
        else:
            sources.append(Source(display, path, mtime=mtime))
    return sources, problems


def _zip_members(path: Path, display: str, mtime: float) -> tuple[list[Source], list[Problem]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return [], [Problem(display, None, None, None, f"is not a readable zip archive ({exc}).",
                            "Download the report again.")]
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            return [], [Problem(display, None, None, None,
                                f"holds {len(infos)} files; more than {MAX_ARCHIVE_MEMBERS} is not a report download. "
                                "Not read.", "Unzip the reports you need into the folder.")]
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if total > MAX_EXPANDED_BYTES or (total > RATIO_CHECKED_FROM and total / packed > MAX_COMPRESSION_RATIO):
            return [], [Problem(display, None, None, None,
                                f"would expand to {total:,} bytes from {packed:,} (ratio {total / packed:.0f}:1); "
                                "refused as a possible zip bomb.",
                                "Unzip the reports you need into the folder.")]
        sources: list[Source] = []
        problems: list[Problem] = []
        for info in infos:
            member_display = f"{display}!{printable_name(info.filename)}"
            if _unsafe_member_name(info.filename):
                problems.append(Problem(member_display, None, None, None,
                                        "has a path that would escape the reports folder; refused.",
                                        "Do not use this archive; download the report from Seller Central again."))
                continue
            if info.flag_bits & 0x1:
                problems.append(Problem(member_display, None, None, None, "is encrypted; not read.",
                                        "Unzip it yourself and put the report in the folder."))
                continue
            base = PurePosixPath(info.filename).name.lower()
            if base in IGNORED_NAMES or base.startswith(".") or info.filename.startswith("__MACOSX/"):
                continue
            sources.append(Source(member_display, path, member=info.filename, mtime=mtime))
        return sources, problems


class WorkDir:
    """A private temporary folder for decoded copies, removed when loading ends."""

    def __enter__(self) -> Path:
        self._path = Path(tempfile.mkdtemp(prefix="fba-audit-"))
        return self._path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self._path, ignore_errors=True)


def iter_text_chunks(path: Path, encoding: str, chunk_size: int = 16 * 1024 * 1024, *,
                     lf_line_ends: bool = False) -> Iterator[str]:
    """Decode a file in chunks, so a 2 GB cp1252 file never sits in memory whole. `lf_line_ends` turns CR and CRLF
    line ends into LF (Python's universal newlines, which also join a CRLF split between two chunks)."""
    with open(path, "r", encoding=encoding, errors="strict", newline=None if lf_line_ends else "") as handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def transcode_to_utf8(path: Path, encoding: str, workdir: Path, *, lf_line_ends: bool = False) -> Path:
    """A UTF-8 copy of the file; `lf_line_ends` for files whose lines end in CR alone (the old Mac form, which a
    spreadsheet program may write when it re-saves a report), which polars would read as one line."""
    fd, name = tempfile.mkstemp(dir=workdir, suffix=".utf8")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        for chunk in iter_text_chunks(path, encoding, lf_line_ends=lf_line_ends):
            out.write(chunk)
    return Path(name)
