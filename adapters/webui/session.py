"""The web session: a signed cookie that says who signed in, into which workspace, until when.

No server-side state: the cookie carries a small JSON document and an HMAC-SHA256 of it, under a key derived from
SWARM_SECRET_KEY (or, without one, from SWARM_WEB_TOKEN and the Slack secrets, so restarts keep people signed in).
A session signed in with the token also carries a tag of that token: change SWARM_WEB_TOKEN and those sessions end.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

COOKIE = "swarm_session"
LIFETIME = 7 * 24 * 3600  # seconds
TOKEN = "token"
SLACK = "slack"


@dataclass(frozen=True)
class Session:
    workspace: str  # the workspace key whose data every page shows: a Slack team id, a Teams tenant, "console"
    user: str  # who signed in, as shown in the page header
    via: str  # TOKEN or SLACK
    expires: int  # epoch seconds
    token_tag: str = ""  # for TOKEN sessions: which token signed them in
    team_name: str = ""


class Signer:
    """Signs and checks cookie values (and the short-lived sign-in state cookie) with one key."""

    def __init__(self, key: bytes, clock: Callable[[], float] = time.time) -> None:
        self.key = key
        self.clock = clock

    @classmethod
    def from_secrets(cls, *secrets_: str | None) -> Signer:
        """A key from whatever secrets are configured (the first non-empty ones); none at all: a random key, and
        sessions end when the server restarts."""
        material = "\0".join(s for s in secrets_ if s)
        if not material:
            return cls(secrets.token_bytes(32))
        return cls(hashlib.sha256(b"swarm web session\0" + material.encode()).digest())

    def sign(self, data: dict[str, object]) -> str:
        payload = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{self._mac(payload)}"

    def unsign(self, value: str) -> dict[str, object] | None:
        if not value.isascii():  # ours are base64url; compare_digest raises on non-ASCII text (a 500 to anyone)
            return None
        payload, _, mac = value.partition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
        except (ValueError, binascii.Error):
            return None
        return data if isinstance(data, dict) else None

    def tag(self, token: str) -> str:
        """A short fingerprint of a token: says which token, and tells nothing about it."""
        return hmac.new(self.key, b"token\0" + token.encode(), hashlib.sha256).hexdigest()[:16]

    def session(self, session: Session) -> str:
        return self.sign(asdict(session))

    def read(self, value: str | None) -> Session | None:
        """The session in a cookie value, if it is signed with our key and not expired."""
        if not value:
            return None
        data = self.unsign(value)
        if data is None:
            return None
        try:
            session = Session(**data)  # type: ignore[arg-type]
        except TypeError:
            return None
        if not isinstance(session.expires, int) or session.expires < self.clock():
            return None
        if not isinstance(session.workspace, str) or not session.workspace:
            return None
        return session

    def new(self, workspace: str, user: str, via: str, token: str = "", team_name: str = "") -> Session:
        return Session(
            workspace=workspace,
            user=user,
            via=via,
            expires=int(self.clock()) + LIFETIME,
            token_tag=self.tag(token) if token else "",
            team_name=team_name,
        )

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
