"""How polars' allocator gives memory back, set before polars is imported (the `fba-audit` command does it).

polars allocates through its own jemalloc and, on import, asks it to keep freed pages for 500 ms and then mark
them reusable for another second (`dirty_decay_ms:500,muzzy_decay_ms:1000`, polars/__init__.py; see
pola-rs/polars#18088). Marked pages still count in the process's memory until they are really given back. An
audit frees large frames all the time (each file's text columns once typed, the merge's copies, each detector's
work), so those pages added up: measured at 15,000 SKUs, the peak memory was 2.07 GB with polars' options and
1.69 GB with 100 ms and no second stage, in the same time (benchmarks/bench_audit.py, docs/performance.md).
Giving pages back at once (0 ms) lowered the peak further but cost a third more time.

Those returned pages cost time, though: each one faults again when polars allocates it anew (about 4 us a page on
this machine kind). The pages held back cost a roughly fixed amount of memory whatever the account's size, the
time they save grows with it, so `fba-audit run` keeps them for 3 s from 4 GB of reports on. Measured on
2026-12-05 with `fba-audit run` (benchmarks/.data, 12 months, alternating runs):

| reports on disk | 100 ms | 3,000 ms | 10,000 ms |
| --- | --- | --- | --- |
| 1.6 GB (15,000 SKUs) | 13.3-13.5 s, 1.40-1.47 GB | 11.6-12.2 s, 2.09-2.16 GB | 11.3-11.5 s, 2.24-2.37 GB |
| 5.3 GB (50,000 SKUs) | 41.6-45.5 s, 4.32-4.34 GB | 37.8-39.8 s, 4.61-4.77 GB | 39.1-39.2 s, 5.47-5.54 GB |

At 1.6 GB the longer decay would put the peak above the reports' size on disk; at 5.3 GB it stays at 0.9 of it
and saves 3-6 s of system time (18-23 s -> 11-13 s).

Both settings also keep one arena (`narenas:1`; jemalloc's default is four per core). The likely reason it pays: polars'
threads free memory that other threads allocated, and with several arenas the freed pages wait in one arena while
another faults in new ones. Measured on 2026-12-05 with `fba-audit run`, alternating runs (wall time, system
time, peak):

| reports on disk | default arenas | `narenas:1` |
| --- | --- | --- |
| 0.5 GB (5,000 SKUs) | 5.01-5.39 s, 1.7-2.0 s sys, 689-714 MB | 4.66-5.19 s, 1.2-1.5 s sys, 651-691 MB |
| 1.6 GB (15,000 SKUs) | 12.3-16.4 s, 5.1-6.5 s sys, 1.39-1.43 GB | 12.1-15.0 s, 4.4-5.6 s sys, 1.39-1.46 GB |
| 5.3 GB (50,000 SKUs) | 36.8-40.8 s, 10.5-16.7 s sys, 4.63-4.70 GB | 35.7-37.5 s, 9.2-11.0 s sys, 4.55-4.76 GB |

Minor page faults fell by 8-44 % at every size; the wall time by 0.1-0.4 s (6 of 6 pairs) at 5,000 SKUs and
1.4-3.3 s (3 of 4 pairs) at 50,000; at 15,000 SKUs the machine was noisy (4 of 6 pairs faster). Two arenas were no
better than one. The peak is unchanged within the noise.

polars appends the value of `_RJEM_MALLOC_CONF` to its own options, and in jemalloc the later option wins.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# jemalloc's option string; polars' build reads it under this name (its jemalloc symbols carry the `_rjem_` prefix).
ALLOCATOR_ENV = "_RJEM_MALLOC_CONF"
_EVERY_SIZE = "muzzy_decay_ms:0,narenas:1"  # no second stage, one arena (the tables above)
ALLOCATOR_OPTIONS = f"dirty_decay_ms:100,{_EVERY_SIZE}"
# From this many bytes of reports on, freed pages are kept 3 s (the table above).
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
