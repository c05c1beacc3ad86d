"""How polars' allocator gives memory back, set before polars is imported (the `fba-audit` command does it).

polars allocates through its own jemalloc and, on import, asks it to keep freed pages for 500 ms and then mark
them reusable for another second (`dirty_decay_ms:500,muzzy_decay_ms:1000`, polars/__init__.py; see
pola-rs/polars#18088). Marked pages still count in the process's memory until they are really given back. An
audit frees large frames all the time (each file's text columns once typed, the merge's copies, each detector's
work), so those pages add up: `fba-audit run` asks for 100 ms and no second stage, which lowers the peak in the
same time; giving pages back at once lowers it further but costs time.

Returned pages cost time too: each one faults again when polars allocates it anew. The pages held back cost a
roughly fixed amount of memory whatever the account's size, while the time they save grows with it, so from 4 GB
of reports on `fba-audit run` keeps them for 3 s (below that size the longer decay would put the peak above the
reports' size on disk).

Both settings keep one arena (`narenas:1`; jemalloc's default is four per core). The likely reason it pays:
polars' threads free memory that other threads allocated, and with several arenas the freed pages wait in one
arena while another faults in new ones.

The measurements behind each choice are in docs/performance.md ("The allocator's settings").

polars appends the value of `_RJEM_MALLOC_CONF` to its own options, and in jemalloc the later option wins.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# jemalloc's option string; polars' build reads it under this name (its jemalloc symbols carry the `_rjem_` prefix).
ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
_EVERY_SIZE = "muzzy_decay_ms:0,narenas:1"  # no second stage, one arena
ALLOCATOR_OPTIONS = f"dirty_decay_ms:100,{_EVERY_SIZE}"
# From this many bytes of reports on, freed pages are kept 3 s (docs/performance.md, "The allocator's settings").
LARGE_INPUT_BYTES = 4 * 1024**3
LARGE_INPUT_OPTIONS = f"dirty_decay_ms:3000,{_EVERY_SIZE}"


# What polars itself writes into the variable on import (polars/__init__.py). A child process started by a Python
# program that imported polars inherits it: that is polars' default, not a choice of the user's.
_POLARS_OWN = frozenset({"dirty_decay_ms:500", "muzzy_decay_ms:1000", "thp:always", "metadata_thp:always"})


_chosen: str | None = None  # what this process wrote into the variable, so that a later call may change it


def configure_allocator(input_bytes: int = 0) -> bool:
    """Ask polars' allocator for one arena that returns freed memory after 100 ms (after 3 s for `input_bytes` of
    4 GB and more), unless the user set options of their own. Only works before polars is first imported (jemalloc
    reads the options once); says whether it applies."""
    global _chosen
    if "polars" in sys.modules:
        return False
    current = os.environ.get(ALLOCATOR_ENV, "")
    if current != _chosen and not set(filter(None, current.split(","))) <= _POLARS_OWN:
        return True  # the user's own options: polars applies them after its defaults
    _chosen = LARGE_INPUT_OPTIONS if input_bytes >= LARGE_INPUT_BYTES else ALLOCATOR_OPTIONS
    os.environ[ALLOCATOR_ENV] = _chosen
    return True


def reports_size(folder: Path) -> int:
    """Bytes of the files under `folder` (zips as stored), for `configure_allocator`."""
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:
            continue  # unreadable entries are the loader's to report
    return total
