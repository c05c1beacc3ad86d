"""Every detector, in code order. Adding one = one import + one line in ALL_DETECTORS.

A tuple, so nobody can `+=` it at import time; no folder scanning (tests/test_registry.py checks that every
`fbaNN_*.py` module on disk is listed here).
"""

from __future__ import annotations

from fba_audit.detectors._base import Detector

ALL_DETECTORS: tuple[Detector, ...] = ()

BY_CODE: dict[str, Detector] = {d.code: d for d in ALL_DETECTORS}
