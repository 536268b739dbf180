"""Pseudonymous customer ids: salted SHA-256, applied at ingest so raw ids never reach the store.

``pseudonymise_ids`` replaces each id with the first ``DIGEST_CHARS`` hex characters of
SHA-256(salt + 0x1f + id): the same customer always gets the same pseudonym under one salt (so
RFM, propensity and recommendations work unchanged), and without the salt a pseudonym cannot be
turned back into an id, nor a guessed id checked against it.

Where the salt comes from (``services.ingest`` resolves it):

1. the environment variable ``PROMOCAST_SALT`` when it is set: the stronger choice, because the
   salt then lives outside the store file;
2. otherwise a random salt (128 bits) made on the first pseudonymised ingest and kept in the
   store's ``meta`` table (key ``pseudonymise_salt``), so later loads into the same store hash
   the same customer to the same pseudonym. Anyone who holds the store file then holds the salt
   and could test a guessed id: set ``PROMOCAST_SALT`` when that matters.

The store also keeps a fingerprint of the salt (``pseudonymise_salt_check``, itself a hash) so
a later ingest with another salt, or without ``--pseudonymise``, is refused instead of mixing
two id spaces (or raw ids) in one orders table.
"""

from __future__ import annotations

import hashlib
import os
import secrets

import pandas as pd

SALT_ENV = "PROMOCAST_SALT"
META_SALT = "pseudonymise_salt"
META_CHECK = "pseudonymise_salt_check"
DIGEST_CHARS = 20
"""80 bits: collisions stay negligible (under 1e-9) below about 10 million customers."""


def pseudonymise_ids(ids: pd.Series, salt: str) -> pd.Series:
    """Salted SHA-256 pseudonyms (hex, ``DIGEST_CHARS`` long); missing ids stay missing."""
    if not salt:
        raise ValueError("salt must be a non-empty string")
    prefix = salt.encode("utf-8") + b"\x1f"

    def one(value: object) -> object:
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
            return None
        digest = hashlib.sha256(prefix + str(value).encode("utf-8")).hexdigest()
        return digest[:DIGEST_CHARS]

    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    hashed = [one(u) for u in uniques]
    values = [hashed[c] if c >= 0 else None for c in codes]
    return pd.Series(values, index=ids.index, dtype=object, name=ids.name)


def new_salt() -> str:
    """A random salt (128 bits, hex)."""
    return secrets.token_hex(16)


def env_salt() -> str | None:
    """The salt from ``PROMOCAST_SALT``, or None when unset or empty."""
    return os.environ.get(SALT_ENV) or None


def salt_fingerprint(salt: str) -> str:
    """A hash of the salt: tells two salts apart without revealing either."""
    return hashlib.sha256(b"promocast-salt-check\x1f" + salt.encode("utf-8")).hexdigest()[:16]
