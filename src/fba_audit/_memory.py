"""How polars' allocator gives memory back, set before polars is imported (the `fba-audit` command does it).

polars allocates through its own jemalloc and, on import, asks it to keep freed pages for 500 ms and then mark
them reusable for another second (`dirty_decay_ms:500,muzzy_decay_ms:1000`, polars/__init__.py; see
pola-rs/polars#18088). Marked pages still count in the process's memory until they are really given back. An
audit frees large frames all the time (each file's text columns once typed, the merge's copies, each detector's
work), so those pages added up: measured at 15,000 SKUs, the peak memory was 2.07 GB with polars' options and
1.69 GB with 100 ms and no second stage, in the same time (benchmarks/bench_audit.py, docs/performance.md).
Giving pages back at once (0 ms) lowered the peak further but cost a third more time.

polars appends the value of `_RJEM_MALLOC_CONF` to its own options, and in jemalloc the later option wins.
"""

from __future__ import annotations

import os
import sys

# jemalloc's option string; polars' build reads it under this name (its jemalloc symbols carry the `_rjem_` prefix).
ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
ALLOCATOR_OPTIONS = "dirty_decay_ms:100,muzzy_decay_ms:0"


# What polars itself writes into the variable on import (polars/__init__.py). A child process started by a Python
# program that imported polars inherits it: that is polars' default, not a choice of the user's.
_POLARS_OWN = frozenset({"dirty_decay_ms:500", "muzzy_decay_ms:1000", "thp:always", "metadata_thp:always"})


def configure_allocator() -> bool:
    """Ask polars' allocator to return freed memory after 100 ms, unless the user set options of their own.
    Only works before polars is first imported (jemalloc reads the options once); says whether it applies."""
    if "polars" in sys.modules:
        return False
    current = os.environ.get(ALLOCATOR_ENV, "")
    if not set(filter(None, current.split(","))) <= _POLARS_OWN:
        return True  # the user's own options: polars applies them after its defaults
    os.environ[ALLOCATOR_ENV] = ALLOCATOR_OPTIONS
    return True
