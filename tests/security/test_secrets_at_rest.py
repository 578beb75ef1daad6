"""Secrets encrypted at rest: the key file, JOLLI_SECRET_KEY, the migration, rotation, missing and wrong keys."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from apihelp import Api
from click.testing import CliRunner
from flask.testing import FlaskClient

from jolli.cli.main import cli
from jolli.secrets import PREFIX, new_key

SECRET = "hook-secret-for-rotation"
TOKEN = "ghp_accessTOKENforTESTS"
PUSH = json.dumps({"ref": "refs/heads/main", "before": "0" * 40, "after": "a" * 40,
                   "repository": {"full_name": "acme/app", "html_url": "https://github.com/acme/app"},
                   "head_commit": {"id": "a" * 40}}).encode()


def raw_secrets(db: Any) -> list[tuple[Any, ...]]:
    return list(db.execute_sql("SELECT webhook_secret, access_token FROM integration ORDER BY id").fetchall())


def deliver(client: FlaskClient, integration_id: int, secret: str, body: bytes = PUSH) -> int:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(f"/api/webhooks/{integration_id}", data=body, headers={
        "X-GitHub-Event": "push", "X-Hub-Signature-256": signature, "Content-Type": "application/json"})
    return response.status_code


def create(api: Api, name: str = "gh") -> dict[str, Any]:
    return api.created("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme",
                                             "name": name, "webhookSecret": SECRET, "accessToken": TOKEN})


def test_secrets_are_stored_encrypted_under_a_key_file_created_0600(api: Api, db: Any, client: FlaskClient) -> None:
    created = create(api)
    stored = raw_secrets(db)
    assert all(str(v).startswith(PREFIX) for v in stored[0])
    assert SECRET not in str(stored) and TOKEN not in str(stored)
    key_file = Path(os.environ["JOLLI_HOME"]) / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert deliver(client, created["id"], SECRET) in (200, 202)
    assert deliver(client, created["id"], "not-the-secret") == 401
    from jolli.store.models import Integration

    row = Integration.get_by_id(created["id"])
    assert (row.webhook_secret, row.access_token) == (SECRET, TOKEN)


def test_jolli_secret_key_is_used_instead_of_a_key_file(api: Api, db_url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_SECRET_KEY", new_key())
    create(api)
    assert not (Path(os.environ["JOLLI_HOME"]) / "secret.key").exists()
    status = json.loads(CliRunner().invoke(cli, ["db", "status", "--json", "--database-url", db_url]).output)
    assert status["secrets"] == {"encrypted": 2, "plain": 0, "olderKey": 0, "keys": 1, "keyOrigin": "JOLLI_SECRET_KEY"}


def test_migration_encrypts_existing_plain_rows(db_url: str) -> None:
    from jolli.store import db as store_db
    from jolli.store.migrate import upgrade

    database = store_db.open_database(db_url)
    upgrade(database, target="0004_source_repo_lookup_index")
    database.execute_sql("INSERT INTO org (name, created_at) VALUES ('acme', CURRENT_TIMESTAMP)")
    database.execute_sql(
        "INSERT INTO integration (org_id, provider, host, webhook_secret, access_token, created_at, updated_at) "
        f"VALUES (1, 'github', 'github.com', '{SECRET}', '{TOKEN}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
    result = CliRunner().invoke(cli, ["db", "upgrade", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    database = store_db.open_database(db_url)
    stored = raw_secrets(database)
    assert all(str(v).startswith(PREFIX) for v in stored[0]) and SECRET not in str(stored)
    from jolli.store.models import Integration

    row = Integration.get_by_id(1)
    assert (row.webhook_secret, row.access_token) == (SECRET, TOKEN)
    status = CliRunner().invoke(cli, ["db", "status", "--database-url", db_url])
    assert "secrets: 2 encrypted, 0 plain; 1 key(s) from" in status.output
    database.close()


def test_a_missing_key_is_a_clear_error_at_start_and_loses_nothing(api: Api, db: Any, db_url: str) -> None:
    create(api)
    before = raw_secrets(db)
    key_file = Path(os.environ["JOLLI_HOME"]) / "secret.key"
    key_file.rename(key_file.with_name("backup.key"))
    for command in (["db", "upgrade"], ["secrets", "rotate"]):
        result = CliRunner().invoke(cli, [*command, "--database-url", db_url])
        assert result.exit_code == 2, (command, result.output)
        assert "JOLLI_SECRET_KEY" in result.output and str(key_file) in result.output
    status = CliRunner().invoke(cli, ["db", "status", "--database-url", db_url])
    assert "secrets: 2 encrypted, 0 plain; no key configured (stored secrets are encrypted" in status.output
    assert not key_file.exists()  # no new key written over the lost one
    from jolli.store import db as store_db

    assert raw_secrets(store_db.open_database(db_url)) == before


def test_a_wrong_key_is_a_clear_error_and_changes_nothing(api: Api, db: Any, db_url: str) -> None:
    create(api)
    before = raw_secrets(db)
    for command in (["db", "upgrade"], ["secrets", "rotate"]):
        result = CliRunner().invoke(cli, [*command, "--database-url", db_url], env={"JOLLI_SECRET_KEY": new_key()})
        assert result.exit_code == 2, result.output
        assert "do not decrypt the stored secrets" in result.output and "JOLLI_SECRET_KEY" in result.output
    from jolli.store import db as store_db

    assert raw_secrets(store_db.open_database(db_url)) == before


def test_a_malformed_key_names_the_variable(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade", "--database-url", db_url],
                                env={"JOLLI_SECRET_KEY": "not-a-key"})
    assert result.exit_code == 2 and "JOLLI_SECRET_KEY: key 1 of 1 is not a Fernet key" in result.output


def test_rotating_the_key_with_deliveries_in_between(api: Api, db: Any, db_url: str, client: FlaskClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = new_key(), new_key()
    monkeypatch.setenv("JOLLI_SECRET_KEY", old)
    first, second = create(api, "one"), create(api, "two")
    assert deliver(client, first["id"], SECRET) in (200, 202)

    monkeypatch.setenv("JOLLI_SECRET_KEY", f"{new},{old}")  # the operator adds the new key first
    assert deliver(client, second["id"], SECRET) in (200, 202)
    status = CliRunner().invoke(cli, ["db", "status", "--database-url", db_url])
    assert "4 under an older key" in status.output and "2 key(s) from JOLLI_SECRET_KEY" in status.output
    rotated = CliRunner().invoke(cli, ["secrets", "rotate", "--json", "--database-url", db_url])
    assert rotated.exit_code == 0, rotated.output
    assert json.loads(rotated.output)["rotated"] == 2

    monkeypatch.setenv("JOLLI_SECRET_KEY", new)  # then drops the old one
    import time

    time.sleep(1.1)  # the receiver's one-second integration cache
    assert deliver(client, first["id"], SECRET) in (200, 202)
    assert deliver(client, second["id"], SECRET, PUSH.replace(b"a" * 40, b"b" * 40)) in (200, 202)
    status = CliRunner().invoke(cli, ["db", "status", "--database-url", db_url], env={"JOLLI_SECRET_KEY": new})
    assert "secrets: 4 encrypted, 0 plain; 1 key(s)" in status.output and "older key" not in status.output
    from jolli.store.models import Integration

    assert {r.access_token for r in Integration.select()} == {TOKEN}


def test_new_key_prints_a_usable_key() -> None:
    from cryptography.fernet import Fernet

    result = CliRunner().invoke(cli, ["secrets", "new-key"])
    assert result.exit_code == 0
    Fernet(result.output.strip().encode())


def test_app_keys_and_app_passwords_are_encrypted_and_rotated_like_every_secret(
        api: Api, db: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import responses
    from github_app_fake import FakeApp

    from jolli.store.models import Integration

    old, new = new_key(), new_key()
    monkeypatch.setenv("JOLLI_SECRET_KEY", old)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeApp(app_id=77, slug="rotating", installations={"acme": 3}, organizations={"acme"}).register(mock)
        api.created("/api/integrations", {"provider": "github", "host": "github.com", "owner": "acme", "name": "app",
                                          "credentialKind": "app", "appId": "77", "privateKey": fake.pem})
    api.created("/api/integrations", {"provider": "bitbucket", "host": "bitbucket.org", "owner": "ws", "name": "pw",
                                      "credentialKind": "app-password", "username": "jdoe", "appPassword": "pw-secret"})
    stored = db.execute_sql("SELECT private_key, app_password FROM integration ORDER BY id").fetchall()
    assert stored[0][0].startswith(PREFIX) and stored[1][1].startswith(PREFIX)
    assert "PRIVATE KEY" not in str(stored) and "pw-secret" not in str(stored)

    monkeypatch.setenv("JOLLI_SECRET_KEY", f"{new},{old}")
    status = CliRunner().invoke(cli, ["db", "status", "--database-url", db_url])
    assert "secrets: 2 encrypted, 0 plain" in status.output and "2 under an older key" in status.output
    rotated = CliRunner().invoke(cli, ["secrets", "rotate", "--json", "--database-url", db_url])
    assert json.loads(rotated.output)["rotated"] == 2
    monkeypatch.setenv("JOLLI_SECRET_KEY", new)
    assert {r.name: (r.private_key, r.app_password) for r in Integration.select()} == {
        "app": (fake.pem, None), "pw": (None, "pw-secret")}
