"""The signed session cookie."""

from __future__ import annotations

from adapters.webui.session import LIFETIME, SLACK, TOKEN, Signer


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_reads_back_as_it_was_signed() -> None:
    signer = Signer.from_secrets("secret")
    session = signer.new("T0001", "Ana", SLACK, team_name="Acme")
    assert signer.read(signer.session(session)) == session


def test_a_changed_cookie_or_another_key_is_refused() -> None:
    signer = Signer.from_secrets("secret")
    value = signer.session(signer.new("T0001", "Ana", SLACK))
    payload, _, mac = value.partition(".")
    tampered = signer.sign({"workspace": "T0002"}).partition(".")[0] + "." + mac
    assert signer.read(tampered) is None
    assert Signer.from_secrets("other").read(value) is None
    for junk in ("", ".", "abc", "abc.def", payload):
        assert signer.read(junk) is None


def test_a_session_ends_after_its_lifetime() -> None:
    clock = Clock()
    signer = Signer(b"k" * 32, clock)
    value = signer.session(signer.new("console", "token", TOKEN, token="t"))
    clock.now += LIFETIME - 1
    assert signer.read(value) is not None
    clock.now += 2
    assert signer.read(value) is None


def test_keys_come_from_the_secrets_and_a_random_one_without() -> None:
    assert Signer.from_secrets("a", None, "b").key == Signer.from_secrets("a", "", "b").key
    assert Signer.from_secrets(None, None).key != Signer.from_secrets(None, None).key
    signer = Signer.from_secrets("x")
    assert signer.tag("token-1") != signer.tag("token-2") and len(signer.tag("token-1")) == 16
