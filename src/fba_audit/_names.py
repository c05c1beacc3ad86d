"""File names as text for people: imported by the command line before polars is (see `_memory`), so it imports
nothing heavy."""

from __future__ import annotations

import os


def printable_name(name: str) -> str:
    """A file name as text that every output can hold and no terminal acts on.

    Linux keeps a name as bytes: one saved by a Latin-1 or Shift_JIS system is not UTF-8, Python holds those
    bytes as lone surrogates, and the workbook, JSON and a UTF-8 terminal cannot write them. They are shown
    as `\\xNN` (`r\\xe9turns.txt`), as are control characters (a newline, an escape sequence), so a name is
    always one line of plain text.
    """
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
