"""A webhook for an integration whose provider plugin is not loaded (uninstalled, or left out of
JOLLI_LOAD_PLUGINS): 422 naming the provider, nothing stored, as docs/plugins.md says."""

from __future__ import annotations

from typing import Any

import pytest

from jolli.registry import Plugins, reset_plugins


def test_a_webhook_whose_provider_is_not_loaded_is_422(jolli_plugins: Plugins, jolli_client: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "github,git")
    created = jolli_client.post("/api/integrations", json={"provider": "github", "host": "github.com",
                                                           "owner": "acme", "webhookSecret": "s3cret"})
    assert created.status_code == 201, created.json
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git")  # as if the github plugin were uninstalled
    reset_plugins(Plugins())

    answer = jolli_client.post(f"/api/webhooks/{created.json['id']}", data=b"{}",
                               headers={"Content-Type": "application/json", "X-GitHub-Event": "push"})

    assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    assert "provider 'github' is not available (plugin may not be installed)" in answer.json["detail"]
    assert jolli_client.get("/api/events").json["items"] == []
