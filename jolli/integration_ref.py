"""An integration's stored values as what provider clients take: an :class:`~jolli.provider.IntegrationRef`
carrying its one :class:`~jolli.credential.Credential` (built by its provider)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from jolli.provider import IntegrationRef
from jolli.registry import get_plugins

#: The integration fields an :class:`IntegrationRef` is made of (python names).
REF_FIELDS = ("provider", "host", "owner", "api_base_url", "installation_id", "credential_kind", "app_id",
              "username", "token_expires_at", "access_token", "app_password", "private_key")


def ref_from_values(values: dict[str, Any], with_credential: bool = True) -> IntegrationRef:
    """The client's view of an integration given as a dict of its fields (python names)."""
    ref = IntegrationRef(
        provider=values["provider"], host=values["host"], api_base_url=values.get("api_base_url"),
        token=values.get("access_token"), installation_id=values.get("installation_id"), owner=values.get("owner"),
        credential_kind=values.get("credential_kind"), username=values.get("username"),
        password=values.get("app_password"), app_id=values.get("app_id"), private_key=values.get("private_key"),
        token_expires_at=values.get("token_expires_at"),
    )
    if not with_credential:
        return ref
    return replace(ref, credential=get_plugins().provider(ref.provider).credential(ref))


def ref_of(row: Any) -> IntegrationRef:
    """The client's view of a stored integration (a :class:`jolli.store.models.Integration`)."""
    return ref_from_values({name: getattr(row, name, None) for name in REF_FIELDS})
