"""Refuses secrets a guesser could find: SWARM_SECRET_KEY (it signs the sessions and is the at-rest key of every
stored OAuth token) and SWARM_WEB_TOKEN (it opens every page and /metrics). `swarm serve` will not start with one
shorter than MIN_LENGTH or with less than MIN_BITS of estimated randomness, and says so in one line.

The estimate is the string's Shannon entropy (from its own character frequencies) times its length, and nothing for
a string that repeats a shorter one (`changeme` five times): a cheap lower-ish bound that random secrets pass
(32 hex digits: about 115 bits, `secrets.token_urlsafe(32)`: about 215) and words, names and keyboard walks fail."""

from __future__ import annotations

import math
from collections import Counter

MIN_LENGTH = 32
MIN_BITS = 80.0
HOW = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'


def estimated_bits(secret: str) -> float:
    if not secret or (secret + secret).find(secret, 1) < len(secret):  # empty, or a repetition of a shorter unit
        return 0.0
    length = len(secret)
    return 0.0 - sum(n * math.log2(n / length) for n in Counter(secret).values())


def weakness(name: str, secret: str | None) -> str | None:
    """The line that refuses `secret` (the value of the variable `name`), or None if it is strong enough or unset."""
    if not secret:
        return None
    bits = estimated_bits(secret)
    if len(secret) >= MIN_LENGTH and bits >= MIN_BITS:
        return None
    return (
        f"{name} is too weak (length {len(secret)}, about {bits:.0f} bits of randomness): use at least "
        f"{MIN_LENGTH} random characters, such as the output of `{HOW}` (docs/security.md#secrets)."
    )
