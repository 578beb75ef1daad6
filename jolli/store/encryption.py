"""The stored secrets as a whole: checked at start, counted for ``jolli db status``, re-encrypted by rotation.

The crypto itself is :mod:`jolli.secrets`; this module knows which columns hold secrets and reads them raw
(the model's :class:`~jolli.store.models.EncryptedTextField` would decrypt them).
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from jolli import secrets

#: Every column holding a secret, encrypted by :class:`jolli.store.models.EncryptedTextField`.
SECRET_COLUMNS = ("webhook_secret", "access_token", "previous_webhook_secret", "private_key", "app_password")
TABLE = "integration"


@dataclass(frozen=True)
class SecretsStatus:
    """How the stored secrets stand: counts by state, and the keys configured."""

    encrypted: int
    plain: int
    older_key: int  # encrypted, but not with the newest key (``jolli secrets rotate`` re-encrypts them)
    keys: int
    key_origin: str | None

    def to_dict(self) -> dict[str, object]:
        return {"encrypted": self.encrypted, "plain": self.plain, "olderKey": self.older_key, "keys": self.keys,
                "keyOrigin": self.key_origin}


def _columns(db: peewee.Database) -> list[str]:
    present = {c.name for c in db.get_columns(TABLE)}
    return [c for c in SECRET_COLUMNS if c in present]


def _rows(db: peewee.Database) -> tuple[list[str], list[tuple[object, ...]]]:
    columns = _columns(db)
    if not columns:
        return [], []
    listed = ", ".join(f'"{c}"' for c in columns)
    return columns, list(db.execute_sql(f'SELECT "id", {listed} FROM "{TABLE}" ORDER BY "id"').fetchall())


def stored_values(db: peewee.Database) -> list[str]:
    """Every non-null stored secret, as stored (encrypted or not)."""
    _columns_, rows = _rows(db)
    return [str(v) for row in rows for v in row[1:] if v is not None]


def check_keys(db: peewee.Database) -> secrets.Keyring:
    """At start: the configured keys decrypt every stored secret (else :class:`secrets.SecretKeyError` naming the
    fix); with no key and nothing encrypted yet, the key file is created."""
    keyring = secrets.check_readable(stored_values(db))
    assert keyring is not None
    return keyring


def status(db: peewee.Database) -> SecretsStatus:
    """Counts of encrypted and plain secrets, and the keys configured (never a key or a secret)."""
    keyring = secrets.load_keyring()
    values = stored_values(db)
    encrypted = [v for v in values if secrets.is_encrypted(v)]
    older = sum(1 for v in encrypted if keyring is None or not secrets.with_newest_key(v, keyring))
    return SecretsStatus(len(encrypted), len(values) - len(encrypted), older,
                         len(keyring.keys) if keyring else 0, keyring.origin if keyring else None)


def rotate_all(db: peewee.Database) -> int:
    """Re-encrypt every stored secret with the newest key, in one transaction; the number of rows changed.

    Every value is decrypted before anything is written, so a key missing from the keyring stops the rotation
    with nothing changed."""
    with db.atomic():
        columns, rows = _rows(db)
        secrets.check_readable(v for row in rows for v in row[1:] if isinstance(v, str))
        param = db.param
        changed = 0
        for row_id, *values in rows:
            updates = {c: secrets.rotate(str(v)) for c, v in zip(columns, values, strict=True) if v is not None}
            if updates:
                assignments = ", ".join(f'"{c}" = {param}' for c in updates)
                db.execute_sql(f'UPDATE "{TABLE}" SET {assignments} WHERE "id" = {param}', (*updates.values(), row_id))
                changed += 1
    return changed
