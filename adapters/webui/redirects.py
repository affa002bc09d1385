"""Where a page may send a browser back to after signing in: a path on this site, and nothing else.

The `next` of the sign-in page, its form, and Sign in with Slack's state all go through `local_target`, the one
place that decides. A browser reads a `Location` more loosely than a naive check does (the WHATWG URL standard): it
drops tabs, CRs and LFs anywhere, strips leading and trailing spaces and control characters, and takes a backslash
for a slash. So `/\t/evil.example` and `/\\evil.example` are `//evil.example`, another site. The target is
normalised that way first, then checked, and what is sent is the normalised form: what was checked is what the
browser follows.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

HOME = "/dashboard"
_DROPPED = str.maketrans("", "", "\t\n\r")  # a browser removes these wherever they are
_EDGES = "".join(chr(c) for c in range(0x21))  # C0 controls and space: stripped from both ends
_UNQUOTING = 3  # layers of percent-encoding looked through (a proxy or a framework may decode once more)
# What stays as it is when the target is sent: printable ASCII but the space (anything else is percent-encoded).
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))


def browser_form(target: str) -> str:
    """`target` as a browser reads a Location header or a link: tabs and newlines dropped, ends stripped,
    backslashes as slashes."""
    return target.translate(_DROPPED).strip(_EDGES).replace("\\", "/")


def local_target(target: str | None) -> str:
    """A path on this site to send the browser to (for a `next` it was given), or the dashboard when `target` is
    anything else: another site (`//host`, `https://host`, `/\\host`, `/%09/host`), a scheme (`javascript:`),
    control characters, or not a path at all."""
    if not target:
        return HOME
    normalised = browser_form(target)
    if not all(_is_local(browser_form(layer)) for layer in _layers(normalised)):
        return HOME
    return quote(normalised, safe=_SAFE)


def _layers(target: str) -> list[str]:
    """The target and what it says once percent-decoded, up to _UNQUOTING times."""
    layers = [target]
    for _ in range(_UNQUOTING):
        decoded = unquote(layers[-1])
        if decoded == layers[-1]:
            break
        layers.append(decoded)
    return layers


def _is_local(path: str) -> bool:
    if not path.startswith("/") or path.startswith("//"):
        return False
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc
