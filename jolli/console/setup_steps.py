"""How to point each provider's push webhook at jolli (docs/providers.md has the same table)."""

from __future__ import annotations

#: provider name -> (where to set it up, content type, events to send)
STEPS: dict[str, tuple[str, str, str]] = {
    "github": ("the repository's or organization's Settings › Webhooks › Add webhook (or the GitHub App's webhook)",
               "application/json", "Just the push event"),
    "gitlab": ("the project's or group's Settings › Webhooks (or an admin System Hook)", "JSON (fixed)",
               "Push events and Tag push events"),
    "bitbucket": ("Repository settings › Webhooks › Add webhook (or the workspace's webhooks)", "JSON (fixed)",
                  "Repository › Push"),
    "bitbucket_datacenter": ("Repository settings › Webhooks › Create webhook", "JSON (fixed)",
                             "Repository › Push"),
    "gitea": ("the repository's or organization's Settings › Webhooks › Add webhook › Gitea / Forgejo",
              "application/json", "Push events, plus Delete to record branch deletions"),
    "azure_devops": ("Project settings › Service hooks › Create subscription › Web Hooks (Resource details to "
                     "send: All)", "JSON", "Code pushed; the secret goes in Basic authentication's password"),
}

GENERIC = ("the provider's webhook settings", "JSON", "push events")


def setup_steps(provider: str) -> list[str]:
    """The steps, in order, to make ``provider`` deliver pushes to an integration's webhook URL."""
    where, content_type, events = STEPS.get(provider, GENERIC)
    return [
        f"Open {where}.",
        "Paste the webhook URL above as the payload URL.",
        f"Content type: {content_type}.",
        "Secret: the same value as this integration's webhookSecret (set through the API or `jolli integration`).",
        f"Events: {events}.",
        "Save, then push a commit: its event appears on the Events page within seconds.",
    ]
