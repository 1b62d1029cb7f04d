"""What the gateway lets through: Host names, browser origins, routes and the editor-facing key.

Pure and stdlib-only, so the tray's Settings can import `DEFAULT_ORIGINS` and `check_origin_pattern` to
validate the list the user edits before it is sent over the control socket.

The floor is Ollama's (the API every editor integration here imitates): a browser request from an origin
not on the allow-list gets 403 and no CORS grant, and a Host that is not loopback gets 403, which defeats
DNS rebinding (an attacker's name resolving to 127.0.0.1 still arrives with the attacker's name as Host).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

# Ollama's defaults (envconfig.AllowedOrigins), with [::1] for 0.0.0.0: loopback pages on any port, plus
# the schemes desktop shells and editor webviews load their pages from.
_LOOPBACK_NAMES: Final = ("localhost", "127.0.0.1", "[::1]")
DEFAULT_ORIGINS: Final[tuple[str, ...]] = (
    *(f"{scheme}://{name}{port}" for name in _LOOPBACK_NAMES for scheme in ("http", "https") for port in ("", ":*")),
    "app://*",
    "file://*",
    "tauri://*",
    "vscode-webview://*",
    "vscode-file://*",
)

# llm-link's unauthenticated management API and its debug routes: only the supervisor, on the private port.
_MANAGEMENT_PREFIXES: Final = ("/api/config", "/debug")

# Hop-by-hop headers (RFC 9110 §7.6.1) never cross the gateway; framing is redone by h11 on each side.
HOP_BY_HOP: Final = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)


def check_origin_pattern(pattern: str) -> str:
    """The pattern, normalised; ValueError says why it is not one.

    `scheme://host` or `scheme://host:port` matches exactly; `scheme://host:*` any port; a `*` elsewhere
    any run of characters (`app://*`). `null` (sandboxed frames, some file pages) is refused: every page
    can make itself `null`, so allowing it would allow everyone.
    """
    value = pattern.strip().lower()
    if "://" not in value:
        raise ValueError(f"origin {pattern!r} has no scheme: write it like http://localhost:3000")
    if value.endswith("/") and not value.endswith("://"):
        value = value.rstrip("/")
    if "/" in value.split("://", 1)[1]:
        raise ValueError(f"origin {pattern!r} has a path: an origin is scheme://host[:port] only")
    return value


def _compile(pattern: str) -> re.Pattern[str]:
    if pattern.endswith(":*") and not pattern.endswith("://*"):
        # Any port, and only a port: `http://localhost:*` must not match `http://localhost:1.evil.example`.
        return re.compile(re.escape(pattern[:-2]) + r":[0-9]{1,5}")
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def host_is_local(host: bytes | None) -> bool:
    """Whether a Host header names this machine's loopback: `localhost` or a loopback IP, any port.

    A missing Host (an HTTP/1.0 tool) passes: browsers always send one, and rebinding needs a browser.
    """
    if host is None:
        return True
    try:
        text = host.decode("ascii").strip().lower()
    except UnicodeDecodeError:
        return False
    if text.startswith("["):
        name, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not _is_port_suffix(rest)):
            return False
    else:
        name, colon, port = text.partition(":")
        if colon and not port.isdigit():
            return False
    if name in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _is_port_suffix(text: str) -> bool:
    return text.startswith(":") and text[1:].isdigit()


def is_management_path(target: bytes) -> bool:
    """Whether a request target reaches llm-link's management or debug routes, however it is spelled.

    Percent-escapes, repeated slashes, dot segments and case are undone first, so `/API//%63onfig/../config/x`
    counts as `/api/config/x` whatever llm-link's router would make of it.
    """
    path = target.split(b"?", 1)[0].split(b"#", 1)[0]
    text = _percent_decode(path).lower()
    segments: list[str] = []
    for segment in text.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    normal = "/" + "/".join(segments)
    # A prefix, not a route list: `/api/configX` or `/debugger` reach nothing an editor needs either.
    return any(normal.startswith(prefix) for prefix in _MANAGEMENT_PREFIXES)


def _percent_decode(raw: bytes) -> str:
    # Decoded twice: a proxy or framework that decodes once more must not turn %2563 into a match.
    text = raw.decode("latin-1")
    for _ in range(2):
        text = re.sub(r"%([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), text)
    return text


@dataclass(frozen=True)
class Policy:
    """The allow-list and the editor-facing key, replaced whole by `set_policy` on the control socket."""

    allowed_origins: tuple[str, ...] = DEFAULT_ORIGINS
    # When set, every request must carry it (`Authorization: Bearer K` or `x-api-key: K`).
    access_key: str | None = None
    _patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_patterns", tuple(_compile(p) for p in self.allowed_origins))

    @classmethod
    def build(cls, allowed_origins: Iterable[str] | None = None, access_key: str | None = None) -> Policy:
        """Validated construction; ValueError names the bad entry."""
        origins = DEFAULT_ORIGINS if allowed_origins is None else tuple(allowed_origins)
        if access_key is not None and not access_key.strip():
            raise ValueError("the access key is empty: send null to turn the key check off")
        return cls(tuple(check_origin_pattern(p) for p in origins), access_key)

    def origin_allowed(self, origin: bytes) -> bool:
        try:
            text = origin.decode("ascii").strip().lower()
        except UnicodeDecodeError:
            return False
        return any(p.fullmatch(text) for p in self._patterns)

    def key_accepted(self, authorization: bytes | None, x_api_key: bytes | None) -> bool:
        if self.access_key is None:
            return True
        expected = self.access_key.encode()
        offered = x_api_key
        if authorization is not None:
            scheme, _, token = authorization.strip().partition(b" ")
            if scheme.lower() == b"bearer":
                offered = token.strip()
        # compare_digest: the time taken must not tell a caller how much of a guess was right.
        return offered is not None and hmac.compare_digest(offered, expected)
