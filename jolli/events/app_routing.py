"""One webhook URL for an App: a delivery routed by the installation it names to the integration of that
installation, then by repository to the sources that integration covers.

An App (a GitHub App) sends the deliveries of all its installations to one URL with one secret. Every
integration of the App (same org, provider, host and ``app_id``) has one installation; a delivery that
reached any of their URLs and verified goes to the one whose installation it names. A delivery naming
no installation, an installation no integration of the App has, or a repository outside that
integration's scope is ignored with the reason, and nothing is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from jolli.events.status import DeliveryOutcome
from jolli.events.store import StoreResult
from jolli.provider import CanonicalPush
from jolli.store import sql as raw

log = logging.getLogger(__name__)


def installation_owner(org_id: int, provider: str, host: str, app_id: str, installation_id: str) -> int | None:
    """The id of the org's integration of App ``app_id`` on ``host`` for ``installation_id``, if any."""
    found = raw.rows(
        "SELECT id FROM integration WHERE org_id = ? AND app_id = ? AND provider = ? AND host = ? "
        "AND installation_id = ? ORDER BY id LIMIT 1",
        (org_id, app_id, provider, host, installation_id),
    )
    return int(found[0][0]) if found else None


def route(org_id: int, provider: str, host: str, app_id: str, pushes: list[CanonicalPush]) -> int | StoreResult:
    """The integration the delivery's installation belongs to, or the ``ignored`` answer saying why none."""
    named = {push.installation_id for push in pushes}
    if not pushes or None in named or len(named) != 1:
        return _ignored(f"the delivery names no installation of App {app_id}: an App's deliveries carry "
                        "installation.id; send this integration's repository webhooks without an App")
    installation = str(named.pop())
    target = installation_owner(org_id, provider, host, app_id, installation)
    if target is None:
        return _ignored(f"installation {installation} is not covered by any integration of App {app_id} on {host}; "
                        "add an integration for the account it is installed on (if the App was installed there "
                        "again, PATCH that integration with installationId null to look the new one up)")
    return target


def outside_scope(pushes: list[CanonicalPush], integration_id: int,
                  covers: Callable[[str], bool]) -> StoreResult | None:
    """The ``ignored`` answer when a push's repository is outside the installation's integration."""
    for push in pushes:
        if not covers(push.repo):
            return _ignored(f"repository {push.repo} is not covered by integration {integration_id} "
                            f"(installation {push.installation_id})")
    return None


def _ignored(reason: str) -> StoreResult:
    log.info("webhook status=ignored reason=%s", reason)
    return StoreResult(str(DeliveryOutcome.IGNORED), reason=reason)
