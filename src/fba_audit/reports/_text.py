"""Which encoding a report is in, and where its header is.

Amazon does not use one encoding (docs/report-formats.md, "Delivery and encodings"): the real 2026 US ledger and
All Orders files are UTF-8 with a BOM, the Reimbursements and Fee Preview files are Windows-1252, Japanese files are
Shift_JIS (cp932). charset-normalizer guesses cp1250 for cp1252 files, so the chain is explicit: UTF-8
(strict, BOM stripped), then cp932 when the bytes decode as Japanese text, then cp1252.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

HEAD_BYTES = 256 * 1024
MAX_PREAMBLE_LINES = 30  # the Date Range report has 1 to 13 lines of preamble before its header

_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff66-\uff9f]")
_KANA = re.compile(r"[\u3040-\u30ff]")  # hiragana and katakana

ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "cp1252": "Windows-1252",
    "cp932": "Shift_JIS (cp932)",
    "utf-16": "UTF-16",
    "latin-1": "Latin-1 (bytes undefined in Windows-1252)",
}


def _decodes(data: bytes, encoding: str, *, final: bool) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return decoder.decode(data, final=final)
    except UnicodeDecodeError:
        return None


def _looks_japanese(text: str) -> bool:
    # NOTE: Windows-1252 accents often decode as cp932 kanji ("Crème" -> "Cr鑪e"); real Japanese text has kana.
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return (non_ascii > 0 and len(_JAPANESE.findall(text)) >= 0.8 * non_ascii
            and _KANA.search(text) is not None)


def guess_encoding(data: bytes, *, complete: bool) -> str:
    """The encoding of `data`, the first bytes of a file (`complete` when it is the whole file)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(data, "utf-8", final=complete) is not None:
        return "utf-8"
    japanese = _decodes(data, "cp932", final=complete)
    if japanese is not None and _looks_japanese(japanese):
        return "cp932"
    if _decodes(data, "cp1252", final=complete) is not None:
        return "cp1252"
    return "latin-1"


def guess_file_encoding(path: Path) -> str:
    """Like `guess_encoding`, over the whole file, in chunks (a file can be valid UTF-8 for 2 GB and then not)."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
        if head.startswith(codecs.BOM_UTF8):
            decoder = codecs.getincrementaldecoder("utf-8")()
            first = "utf-8-sig"
        else:
            decoder, first = codecs.getincrementaldecoder("utf-8")(), "utf-8"
        try:
            decoder.decode(head)
            while chunk := handle.read(16 * 1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return first
        except UnicodeDecodeError:
            pass
    for candidate in ("cp932", "cp1252"):
        decoder = codecs.getincrementaldecoder(candidate)()
        sample = []
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(16 * 1024 * 1024):
                    text = decoder.decode(chunk)
                    if len(sample) < 4:
                        sample.append(text[:200_000])
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if candidate == "cp1252" or _looks_japanese("".join(sample)):
            return candidate
    return "latin-1"


def has_cr_line_ends(head: bytes) -> bool:
    """True when lines end in CR alone (a CR not followed by LF): polars splits lines at LF only."""
    return re.search(rb"\r(?!\n)", head.rstrip(b"\r")) is not None


def decode_head(data: bytes, encoding: str, *, complete: bool) -> str:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data, final=complete)
    return text.lstrip("\ufeff")


def split_cells(line: str, delimiter: str) -> list[str]:
    row = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
    return [cell.strip().lstrip("\ufeff").strip() for cell in row]


def delimiter_of(line: str) -> str:
    return "\t" if line.count("\t") >= max(1, line.count(",") // 4) else ("," if "," in line else ";" if ";" in line else "\t")


def header_lines(text: str, *, complete: bool) -> list[str]:
    """The first lines of the text; the last one is dropped when it may be cut short."""
    lines = text.splitlines()
    if not complete and lines and not text.endswith(("\n", "\r")):
        lines = lines[:-1]
    return lines[: MAX_PREAMBLE_LINES + 1]
