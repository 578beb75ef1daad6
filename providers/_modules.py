"""Base of the built-in providers: their webhook and API halves live in sibling modules, imported on first use.

``jolli.providers.webhooks.<module>`` holds ``verify`` and ``parse``; ``jolli.providers.api.<module>`` holds
``Client`` (it imports ``requests``, so loading the plugins stays light).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import replace
from types import ModuleType

from jolli.provider import CanonicalPush, GitProvider, IntegrationRef, ProviderClient


class ModuleBackedProvider(GitProvider):
    """A provider whose webhook and API code sit in ``webhooks/<module>.py`` and ``api/<module>.py``."""

    #: The module name under ``jolli.providers.webhooks`` and ``jolli.providers.api``.
    module: str = ""

    def _half(self, package: str) -> ModuleType:
        return importlib.import_module(f"jolli.providers.{package}.{self.module}")

    def default_api_base_url(self, host: str) -> str:
        from jolli.providers.api.base_urls import default_api_base_url  # one table for providers and clients

        return default_api_base_url(self.name, host)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool:
        return bool(self._half("webhooks").verify(headers, body, secret))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[CanonicalPush]:
        pushes: list[CanonicalPush] = self._half("webhooks").parse(headers, body)
        return pushes

    def client(self, integration: IntegrationRef) -> ProviderClient:
        if integration.credential is None:
            integration = replace(integration, credential=self.credential(integration))
        client: ProviderClient = self._half("api").Client(integration)
        return client
