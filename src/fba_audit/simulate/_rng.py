"""Deterministic random numbers as polars expressions (no numpy, no Python loop over rows).

Every draw is a pure function of (seed, stream, integer keys): splitmix64 over UInt64 with wrapping
multiplication. The same arguments give the same numbers on every machine and polars version, because
nothing here uses polars' own hashing (which is not stable across versions) or global random state.
"""

from __future__ import annotations

import math

import polars as pl

U64 = pl.UInt64
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_MASK = (1 << 64) - 1


def _lit(value: int) -> pl.Expr:
    return pl.lit(value & _MASK, dtype=U64)


def _shr(expr: pl.Expr, bits: int) -> pl.Expr:
    return expr // _lit(1 << bits)


def _mix(h: pl.Expr) -> pl.Expr:
    h = (h ^ _shr(h, 30)) * _lit(_M1)
    h = (h ^ _shr(h, 27)) * _lit(_M2)
    return h ^ _shr(h, 31)


def _mix_int(h: int) -> int:
    h &= _MASK
    h = ((h ^ (h >> 30)) * _M1) & _MASK
    h = ((h ^ (h >> 27)) * _M2) & _MASK
    return h ^ (h >> 31)


class Rng:
    """Draws for one simulation seed. `stream` names what a draw is for, so draws never collide."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def key(self, stream: str) -> int:
        h = _mix_int(self.seed * _GOLDEN + 0x1234567)
        for ch in stream.encode():
            h = _mix_int(h ^ (ch * _GOLDEN))
        return h

    def hash(self, stream: str, *keys: pl.Expr | str) -> pl.Expr:
        h = _lit(self.key(stream))
        for k in keys:
            col = pl.col(k) if isinstance(k, str) else k
            h = _mix(h ^ (col.cast(pl.Int64).cast(U64, wrap_numerical=True) * _lit(_GOLDEN) + _lit(0x632BE59BD9B4E019)))
        return h

    def uniform(self, stream: str, *keys: pl.Expr | str) -> pl.Expr:
        """A float in [0, 1)."""
        return _shr(self.hash(stream, *keys), 11).cast(pl.Float64) / float(1 << 53)

    def normal(self, stream: str, *keys: pl.Expr | str) -> pl.Expr:
        u1 = 1.0 - self.uniform(stream + "/a", *keys)
        u2 = self.uniform(stream + "/b", *keys)
        return (-2.0 * u1.log()).sqrt() * (2.0 * math.pi * u2).cos()

    def integer(self, stream: str, low: int, high: int, *keys: pl.Expr | str) -> pl.Expr:
        """An Int64 in [low, high] (both inclusive)."""
        return (pl.lit(low) + (self.uniform(stream, *keys) * (high - low + 1)).floor().cast(pl.Int64)).cast(pl.Int64)

    def pick(self, stream: str, choices: list[str] | tuple[str, ...], *keys: pl.Expr | str,
             weights: list[float] | None = None) -> pl.Expr:
        """One of `choices` (optionally weighted)."""
        u = self.uniform(stream, *keys)
        weights = list(weights or [1.0] * len(choices))
        total = sum(weights)
        expr = None
        cumulative = 0.0
        for choice, weight in zip(choices[:-1], weights[:-1]):
            cumulative += weight / total
            expr = (pl.when(u < cumulative).then(pl.lit(choice)) if expr is None
                    else expr.when(u < cumulative).then(pl.lit(choice)))
        return pl.lit(choices[-1]) if expr is None else expr.otherwise(pl.lit(choices[-1]))

    def offset(self, stream: str, modulus: int) -> int:
        """A seed-dependent constant in [0, modulus) (for id scrambling)."""
        return self.key(stream) % modulus
