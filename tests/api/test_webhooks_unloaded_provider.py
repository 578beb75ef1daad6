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


class _Quiet:
    """A provider plugin whose provider has no webhook verification (API calls only)."""

    @staticmethod
    def provider() -> Any:
        from jolli.provider import GitProvider

        class Quiet(GitProvider):
            name, title, hosts = "quiet", "Quiet", ("quiet.example",)

            def split_path(self, segments: Any) -> tuple[str, str] | None:
                return (segments[0], segments[1]) if len(segments) == 2 else None

        return Quiet()

    from jolli import hookimpl

    @hookimpl
    def jolli_register_providers(self, registry: Any) -> None:
        registry.add(self.provider())


def test_a_webhook_for_a_provider_that_verifies_none_is_422_not_a_crash(
        jolli_register_plugin: Any, jolli_client: Any) -> None:
    jolli_register_plugin(_Quiet(), name="quiet")
    from jolli.store.models import Integration, Org

    integration = Integration.create(org=Org.get(), provider="quiet", host="quiet.example", webhook_secret="s")
    answer = jolli_client.post(f"/api/webhooks/{integration.id}", data=b"{}",
                               headers={"Content-Type": "application/json"})
    assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    assert "provider 'quiet' of integration" in answer.json["detail"] and "does not receive webhooks" in (
        answer.json["detail"])
    assert jolli_client.get("/api/events").json["items"] == []


def test_integrations_of_a_provider_not_loaded_are_still_listed_and_explained(
        jolli_plugins: Plugins, jolli_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    created = jolli_client.post("/api/integrations", json={"provider": "github", "host": "github.com",
                                                           "owner": "acme", "accessToken": "ghp_secret"})
    assert created.status_code == 201 and created.json["credentialKind"] == "token"
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git")  # as if the github plugin were uninstalled
    reset_plugins(Plugins())

    listed = jolli_client.get("/api/integrations")
    explained = jolli_client.get("/api/integrations/explain", query_string={"repo": "github.com/acme/app"})

    assert listed.status_code == 200 and listed.json["items"][0]["credentialKind"] is None
    assert explained.status_code == 200, explained.json
    assert explained.json["integration"]["id"] == created.json["id"] and explained.json["credential"] is None
    assert "provider 'github' is not available" in explained.json["problem"]
