"""The claim ledger: findings, cases and Amazon's payments across runs (see docs/ledger.md).

`fba_audit.ledger.view` holds the plain values the writers show; the database code (SQLAlchemy, Alembic) is in
`fba_audit.ledger.store` and is imported only when a ledger is opened, so writing outputs never pays for it.
"""

from __future__ import annotations

from fba_audit.ledger.view import CaseInfo, FollowUp, LedgerView, StaffEntry

_STORE_NAMES = ("ENV_VAR", "Ledger", "LedgerBusy", "LedgerError", "default_location", "hash_inputs", "open_ledger",
                "resolve")


def __getattr__(name: str) -> object:
    if name in _STORE_NAMES:
        from fba_audit.ledger import store

        return getattr(store, name)
    raise AttributeError(name)


__all__ = ["CaseInfo", "FollowUp", "LedgerView", "StaffEntry", *_STORE_NAMES]
