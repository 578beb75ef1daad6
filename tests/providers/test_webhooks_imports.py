"""Plugin loading stays light: the webhook modules never import requests, Flask or peewee."""

from __future__ import annotations

import subprocess
import sys

MODULES = ["github", "gitlab", "bitbucket", "bitbucket_datacenter", "gitea"]


def test_webhook_modules_import_without_requests() -> None:
    imports = "; ".join(f"import jolli.providers.webhooks.{m}" for m in MODULES)
    code = (
        f"import sys; {imports}; import jolli.providers.api.base_urls; "
        "heavy = sorted({'requests', 'flask', 'peewee'} & set(sys.modules)); print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
