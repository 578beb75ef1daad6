"""Secrets hidden in what jolli shows: one address, or free text (messages, logs)."""

from __future__ import annotations

import pytest

from jolli.redaction import mask_credentials, redact

TOKEN = "ghp_S3CR3T0KEN"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("https://user:hunter22@github.com/org", "https://***@github.com/org"),
        ("https://ghp_TOKEN123@github.com/org/repo", "https://***@github.com/org/repo"),
        ("https://x-access-token:ghs_T0K@github.com/o/r.git", "https://***@github.com/o/r.git"),
        ("ssh://git:pw@github.com/o/r", "ssh://***@github.com/o/r"),
        ("user:pw@github.com:o/r.git", "***@github.com:o/r.git"),
        ("https://u:p@ss@github.com/o/r", "https://***@github.com/o/r"),
        ("https://u:pa/ss@github.com/o/r", "https://***@github.com/o/r"),
        ("https://tok/en@github.com/o/r", "https://***@github.com/o/r"),
        ("https://u:p@a/b@github.com/o/r", "https://***@github.com/o/r"),
        ("https://gitlab.com/g/r?private_token=glpat-x&x=1", "https://gitlab.com/g/r?private_token=***&x=1"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("https://github.com/o/r/blob/main/@types/x.ts", "https://github.com/o/r/blob/main/@types/x.ts"),
        ("github.com/o/r", "github.com/o/r"),
    ],
)
def test_mask_credentials(text: str, masked: str) -> None:
    assert mask_credentials(text) == masked


def test_database_urls_show_no_password() -> None:
    assert mask_credentials("postgresql://bob:s3cret@db:5432/jolli") == "postgresql://***@db:5432/jolli"
    assert mask_credentials("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_redact_shapes() -> None:
    text = (
        f"Authorization: Bearer {TOKEN} PRIVATE-TOKEN: {TOKEN} 'authorization': 'token {TOKEN}' "
        f"https://oauth2:{TOKEN}@gitlab.example.com/g/r.git ?access_token={TOKEN}&x=1"
    )
    cleaned = redact(text)
    assert TOKEN not in cleaned
    assert "https://***@gitlab.example.com/g/r.git" in cleaned and "&x=1" in cleaned
    assert redact("plain words", ["words"]) == "plain ***"
