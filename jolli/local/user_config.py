"""The user config ``jolli login`` writes: the default server and a token per server.

It lives in ``$JOLLI_CONFIG_DIR/config.json``, else ``$XDG_CONFIG_HOME/jolli/config.json``, else
``~/.config/jolli/config.json``, and is readable only by the user (mode 0600, folder 0700)::

    {"version": 1, "server": "https://jolli.example.com", "tokens": {"https://jolli.example.com": "..."}}

Which server a command talks to: ``--server``, else ``JOLLI_URL``, else the saved default. Which token:
``JOLLI_TOKEN``, else the one saved for that same server, so a token is never sent to another server.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from jolli.errors import InvalidInput
from jolli.redaction import mask_credentials

ENV_DIR = "JOLLI_CONFIG_DIR"
ENV_URL = "JOLLI_URL"
ENV_TOKEN = "JOLLI_TOKEN"


class UserConfigError(InvalidInput):
    """The user config cannot be read or written; the message names the file."""


@dataclass
class UserConfig:
    server: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServerSettings:
    """The server a command talks to, where that choice came from, and the token for it (never printed)."""

    url: str
    token: str | None
    origin: str  # "--server", "JOLLI_URL" or the config path

    def __repr__(self) -> str:
        return f"ServerSettings(url={self.url!r}, token={'***' if self.token else None}, origin={self.origin!r})"


def config_path() -> Path:
    """Where the user config lives."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env) / "config.json"
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "jolli" / "config.json"


def normalize_server_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` without a trailing slash; credentials in the URL are refused."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            f"server URL {mask_credentials(text)!r} must look like https://jolli.example.com or http://127.0.0.1:8000",
            fields={"server": ["must be an http:// or https:// URL"]},
        )
    if parts.username or parts.password:
        raise InvalidInput(
            f"server URL {mask_credentials(text)!r} must not carry credentials; pass the token with --token or JOLLI_TOKEN",
            fields={"server": ["must not carry credentials"]},
        )
    if parts.query or parts.fragment:
        raise InvalidInput(f"server URL {text!r} must not have a query or fragment", fields={"server": ["invalid"]})
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def load_user_config(path: Path | None = None) -> UserConfig:
    """The saved config (empty when there is none)."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UserConfig()
    except OSError as exc:
        raise UserConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserConfigError(f"{path}: is not valid JSON ({exc.msg} at line {exc.lineno}); fix or delete it") from None
    if not isinstance(data, dict):
        raise UserConfigError(f"{path}: expected a JSON object; fix or delete it")
    tokens = data.get("tokens") or {}
    server = data.get("server")
    if not isinstance(tokens, dict) or not all(isinstance(v, str) for v in tokens.values()):
        raise UserConfigError(f"{path}: 'tokens' must map server URLs to tokens; fix or delete it")
    if server is not None and not isinstance(server, str):
        raise UserConfigError(f"{path}: 'server' must be a URL string; fix or delete it")
    return UserConfig(server=server, tokens=dict(tokens))


def loose_permissions(path: Path | None = None) -> bool:
    """Whether the config file can be read by others than the user."""
    path = path or config_path()
    try:
        return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
    except OSError:
        return False


def save_login(server: str, token: str, path: Path | None = None) -> Path:
    """Save ``server`` as the default and ``token`` for it; the file is written atomically with mode 0600."""
    import tempfile

    path = path or config_path()
    config = load_user_config(path)
    config.server = server
    config.tokens[server] = token
    data = {"version": 1, "server": config.server, "tokens": config.tokens}
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".config.", suffix=".tmp", dir=path.parent)  # mkstemp: mode 0600
    except OSError as exc:
        raise UserConfigError(f"{path}: cannot be written: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise UserConfigError(f"{path}: cannot be written: {exc.strerror or exc}") from None
    return path


def resolve_server(flag: str | None = None) -> ServerSettings | None:
    """The server to talk to (``--server``, ``JOLLI_URL``, saved default) and its token, or ``None``."""
    env_url = os.environ.get(ENV_URL)
    config: UserConfig | None = None
    if flag:
        url, origin = flag, "--server"
    elif env_url:
        url, origin = env_url, ENV_URL
    else:
        config = load_user_config()
        if not config.server:
            return None
        url, origin = config.server, str(config_path())
    url = normalize_server_url(url)
    token = os.environ.get(ENV_TOKEN) or None
    if token is None:
        config = config or load_user_config()
        token = config.tokens.get(url)
    return ServerSettings(url=url, token=token, origin=origin)
