"""Every detector, in code order. Adding one = one import + one line in ALL_DETECTORS.

A tuple, so nobody can `+=` it at import time; no folder scanning (tests/test_registry.py checks that every
`fbaNN_*.py` module on disk is listed here).
"""

from __future__ import annotations

from fba_audit.detectors import fba01_fee_size_tier
from fba_audit.detectors import fba02_warehouse_lost_damaged
from fba_audit.detectors import fba03_refund_exceeds_charge
from fba_audit.detectors import fba04_inbound_carrier_lost_damaged
from fba_audit.detectors import fba05_return_not_restocked
from fba_audit.detectors import fba06_restocking_fee_not_credited
from fba_audit.detectors import fba07_refund_without_return
from fba_audit.detectors import fba08_inbound_shortfall
from fba_audit.detectors import fba09_return_damaged_by_amazon
from fba_audit.detectors import fba10_referral_fee_rate
from fba_audit.detectors._base import Detector

ALL_DETECTORS: tuple[Detector, ...] = (
    fba01_fee_size_tier.DETECTOR,
    fba02_warehouse_lost_damaged.DETECTOR,
    fba03_refund_exceeds_charge.DETECTOR,
    fba04_inbound_carrier_lost_damaged.DETECTOR,
    fba05_return_not_restocked.DETECTOR,
    fba06_restocking_fee_not_credited.DETECTOR,
    fba07_refund_without_return.DETECTOR,
    fba08_inbound_shortfall.DETECTOR,
    fba09_return_damaged_by_amazon.DETECTOR,
    fba10_referral_fee_rate.DETECTOR,
)

BY_CODE: dict[str, Detector] = {d.code: d for d in ALL_DETECTORS}
