"""The real git, run for the local-config tests without the user's or the system's git config."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    """Run the real git in ``cwd`` without the user's or system config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    result = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-C", str(cwd), *args],
        capture_output=True, text=True, env=env, check=True,
    )
    return result.stdout.strip()


def make_repo(path: Path, remote: str | None = "git@github.com:acme/backend.git", branch: str = "main") -> Path:
    """A git work tree at ``path`` with one commit, on ``branch``, with ``origin`` at ``remote``."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    (path / "README.md").write_text("hello\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "first")
    if remote:
        git(path, "remote", "add", "origin", remote)
    return path
