"""Secrets at rest: webhook secrets and access tokens encrypted with keys the operator holds.

Keys are Fernet keys (AES-128-CBC with HMAC-SHA256, from ``cryptography``). They come from
``JOLLI_SECRET_KEY`` (comma-separated, newest first: the newest encrypts, every one decrypts, so an old key
keeps reading what it wrote until ``jolli secrets rotate`` has re-encrypted every row), else from the key
file ``$JOLLI_HOME/secret.key``, which is created (mode 0600) the first time a secret is written and no key
exists. A stored value is ``jolli:fernet:`` followed by the Fernet token, so encrypted and plain values
(from before migration 0006) can be told apart. Nothing here logs or returns a secret in an error.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from jolli.errors import JolliError

log = logging.getLogger(__name__)

ENV_VAR = "JOLLI_SECRET_KEY"
KEY_FILE_NAME = "secret.key"
#: Every encrypted value starts with this: plain values (written before encryption) never do.
PREFIX = "jolli:fernet:"


class SecretKeyError(JolliError):
    """The keys are missing, malformed, or do not decrypt what is stored: the server cannot read its secrets."""

    status = 503
    title = "Service unavailable"


@dataclass(frozen=True)
class Keyring:
    """The configured keys, newest first, and where they came from (``JOLLI_SECRET_KEY`` or the key file)."""

    keys: tuple[bytes, ...]
    origin: str

    @property
    def fernet(self) -> MultiFernet:
        return _multi(self.keys)


_MULTI: dict[tuple[bytes, ...], MultiFernet] = {}
#: Key files read by this process, by path and version (a file replaced on disk is read again).
_FILE_KEYS: dict[tuple[str, int, int, int], Keyring] = {}
_ENV_KEYS: dict[str, Keyring] = {}


def _multi(keys: tuple[bytes, ...]) -> MultiFernet:
    found = _MULTI.get(keys)
    if found is None:
        found = _MULTI[keys] = MultiFernet([Fernet(k) for k in keys])
    return found


def key_file() -> Path:
    """Where the embedded default keeps its key: ``$JOLLI_HOME/secret.key``."""
    from jolli.settings import jolli_home

    return jolli_home() / KEY_FILE_NAME


def new_key() -> str:
    """A fresh Fernet key (what ``jolli secrets new-key`` prints)."""
    return Fernet.generate_key().decode("ascii")


def _parse(text: str, origin: str) -> tuple[bytes, ...]:
    parts = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
    if not parts:
        raise SecretKeyError(f"{origin} holds no key; generate one with `jolli secrets new-key`")
    for number, part in enumerate(parts, 1):
        try:
            Fernet(part.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise SecretKeyError(
                f"{origin}: key {number} of {len(parts)} is not a Fernet key (44 URL-safe base64 characters); "
                "generate one with `jolli secrets new-key`"
            ) from None
    return tuple(p.encode("ascii") for p in parts)


def load_keyring() -> Keyring | None:
    """The configured keys (``JOLLI_SECRET_KEY``, else the key file), or ``None`` when neither exists."""
    env = os.environ.get(ENV_VAR, "")
    if env.strip():
        found = _ENV_KEYS.get(env)
        if found is None:
            found = _ENV_KEYS[env] = Keyring(_parse(env, ENV_VAR), ENV_VAR)
        return found
    path = key_file()
    try:
        stat = path.stat()
        marker = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
        cached = _FILE_KEYS.get(marker)
        if cached is not None:
            return cached
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretKeyError(f"cannot read the key file {path}: {type(exc).__name__}; "
                             f"fix its permissions or set {ENV_VAR}") from None
    keyring = Keyring(_parse(text, f"key file {path}"), str(path))
    if len(_FILE_KEYS) > 100:
        _FILE_KEYS.clear()
    _FILE_KEYS[marker] = keyring
    return keyring


def create_key_file() -> Keyring:
    """Create the key file (mode 0600) if there is none and no ``JOLLI_SECRET_KEY``; the keys in use.

    The file is written whole under a temporary name and linked into place, so a concurrent starter
    either creates it or reads the one another process created: never half a key, never a second key.
    """
    existing = load_keyring()
    if existing is not None:
        return existing
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret.key.")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (new_key() + "\n").encode("ascii"))
        os.fsync(fd)
        os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        else:
            log.warning("created the secret key file %s (mode 0600): it encrypts the stored webhook secrets and "
                        "access tokens; back it up, or set %s instead", path, ENV_VAR)
    finally:
        os.unlink(tmp)
    keyring = load_keyring()
    assert keyring is not None
    return keyring


def is_encrypted(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX)


def encrypt(plain: str) -> str:
    """``plain`` encrypted with the newest key (the key file is created if no key exists yet)."""
    keyring = load_keyring() or create_key_file()
    return PREFIX + keyring.fernet.encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(value: str) -> str:
    """The plain text of a stored value (a plain value from before encryption is returned as is)."""
    if not value.startswith(PREFIX):
        return value
    keyring = load_keyring()
    if keyring is None:
        raise missing_key_error()
    try:
        return keyring.fernet.decrypt(value[len(PREFIX):].encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise wrong_key_error(keyring) from None


def rotate(value: str) -> str:
    """``value`` (encrypted or plain) encrypted with the newest key."""
    return encrypt(decrypt(value))


def with_newest_key(value: str, keyring: Keyring) -> bool:
    """Whether an encrypted ``value`` was written with the newest key of ``keyring``."""
    try:
        Fernet(keyring.keys[0]).decrypt(value[len(PREFIX):].encode("ascii"))
    except InvalidToken:
        return False
    return True


def missing_key_error() -> SecretKeyError:
    return SecretKeyError(
        f"stored secrets are encrypted but no key is configured: set {ENV_VAR} to the key(s) they were "
        f"encrypted with, or restore the key file {key_file()}"
    )


def wrong_key_error(keyring: Keyring) -> SecretKeyError:
    return SecretKeyError(
        f"the key(s) from {keyring.origin} do not decrypt the stored secrets: set {ENV_VAR} to the key they "
        f"were encrypted with (several keys, comma-separated, newest first, while rotating)"
    )


def check_readable(values: Iterable[str | None]) -> Keyring | None:
    """Raise :class:`SecretKeyError` unless every encrypted value decrypts with the configured keys; when none
    is encrypted and no key exists yet, create the key file (the embedded default needs no set-up)."""
    encrypted = [v for v in values if v and is_encrypted(v)]
    keyring = load_keyring()
    if keyring is None:
        if encrypted:
            raise missing_key_error()
        return create_key_file()
    for value in encrypted:
        decrypt(value)
    return keyring
