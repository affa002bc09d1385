"""Is a request Slack's? Its signature headers are checked for shape before slack_sdk's SignatureVerifier reads
them: the verifier calls `int()` on the timestamp (`abc` or `1.5` raised ValueError, a 500 to anyone) and
`hmac.compare_digest` on the signature (a non-ASCII one raised TypeError). A header of any other shape is simply
not Slack's signature: the request is refused like a wrong one (401), before its body is parsed."""

from __future__ import annotations

import re
from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier

TIMESTAMP = re.compile(r"[0-9]{1,12}")  # epoch seconds, ASCII digits (int() also takes " 1_5 ", "١٥", "+15")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")  # v0=hex(HMAC-SHA256)


def signed_by_slack(verifier: SignatureVerifier, body: str, headers: Mapping[str, str]) -> bool:
    """True if `body` carries a valid, fresh signature of Slack's in `headers`; False for anything else, of any
    shape, without raising."""
    timestamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if timestamp is None or signature is None:
        return False
    if not TIMESTAMP.fullmatch(timestamp) or not SIGNATURE.fullmatch(signature):
        return False
    return verifier.is_valid(body, timestamp, signature)
