"""URL helpers shared by the client and the verifier."""

from __future__ import annotations

import re
import warnings
from typing import Mapping
from urllib.parse import urlsplit


class InsecureUrlWarning(UserWarning):
    """Plain http to a host other than the loopback: secrets, tokens, keys and revocations cross in clear."""


# 127.0.0.0/8, localhost and ::1 (urlsplit gives the IPv6 host without brackets).
_LOOPBACK_HOST = re.compile(r"^(?:localhost|127(?:\.\d{1,3}){3}|::1)$")


def endpoint(base_url: str, path: str) -> str:
    """Joins a base URL that may carry a path prefix (``https://host/auth``) with an absolute path."""
    return base_url.rstrip("/") + path


def check_http_url(value: str, name: str) -> str:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise ValueError(f'{name} must be an absolute http(s) URL, got "{value}"') from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f'{name} must be an absolute http(s) URL, got "{value}"')
    return value


def _origin(value: str) -> str:
    # Scheme, host and port only: a URL's userinfo is a credential.
    parts = urlsplit(value)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def warn_if_insecure(urls: Mapping[str, str], stacklevel: int = 3) -> None:
    """One warning naming every insecure URL of a client, so that a forgotten ``http://`` shows up.

    The SDK never logs; applications see this through the ``warnings`` machinery.
    """
    insecure = [
        f"{name} ({_origin(url)})"
        for name, url in urls.items()
        if urlsplit(url).scheme == "http" and not _LOOPBACK_HOST.match(urlsplit(url).hostname or "")
    ]
    if insecure:
        warnings.warn(
            f"scope-auth: {', '.join(insecure)}: plain http to a host other than localhost; API secrets, "
            "tokens, signing keys and revocations cross the network in clear and can be read or changed "
            "on the way: use https",
            InsecureUrlWarning,
            stacklevel=stacklevel,
        )
