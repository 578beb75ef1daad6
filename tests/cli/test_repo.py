"""``jolli repo parse``: canonical coordinates and derived URLs, in-process and as the real console script."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from jolli.cli.main import cli
from jolli.providers import azure_devops, bitbucket, bitbucket_datacenter, gitea, github, gitlab
from jolli.registry import Plugins, reset_plugins

JOLLI = str(Path(sys.executable).with_name("jolli"))


@pytest.fixture(autouse=True)
def builtin_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The six built-in providers as the process-wide plugins; no JOLLI_HOSTS from the environment."""
    monkeypatch.delenv("JOLLI_HOSTS", raising=False)
    plugins = Plugins(load_entry_points=False)
    for module in (github, gitlab, bitbucket, bitbucket_datacenter, gitea, azure_devops):
        plugins.register(module, module.__name__.rsplit(".", 1)[1])
    previous = reset_plugins(plugins)
    try:
        yield
    finally:
        reset_plugins(previous)


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["repo", "parse", *args], input=input, env=env)


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_human_block_shows_the_coordinate_and_its_urls() -> None:
    result = run("git@github.com:Org/Repo.git")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "github.com/Org/Repo"
    text = result.stdout
    for expected in ("git@github.com:Org/Repo.git", "github", "https://github.com/Org/Repo.git",
                     "https://github.com/Org/Repo", "https://api.github.com"):
        assert expected in text
    assert result.stderr == ""


def test_json_line_per_input_with_every_field() -> None:
    result = run("--json", "https://gitlab.com/group/sub/repo/-/tree/main", "bitbucket.org/team/infra")
    assert result.exit_code == 0
    first, second = json_lines(result.stdout)
    assert first == {
        "input": "https://gitlab.com/group/sub/repo/-/tree/main",
        "repo": "gitlab.com/group/sub/repo",
        "host": "gitlab.com",
        "owner": "group/sub",
        "name": "repo",
        "provider": "gitlab",
        "httpsCloneUrl": "https://gitlab.com/group/sub/repo.git",
        "sshCloneUrl": "git@gitlab.com:group/sub/repo.git",
        "webUrl": "https://gitlab.com/group/sub/repo",
        "apiBaseUrl": "https://gitlab.com/api/v4",
    }
    assert second["repo"] == "bitbucket.org/team/infra" and second["provider"] == "bitbucket"


def test_rejected_inputs_exit_2_and_the_others_are_still_printed() -> None:
    result = run("--json", "owner/repo", "github.com/a/b", "https://alice:hunter22@github.com/a")
    assert result.exit_code == 2
    bare, good, secret = json_lines(result.stdout)
    assert bare["input"] == "owner/repo" and "github.com/owner/repo" in bare["error"]
    assert good["repo"] == "github.com/a/b"
    assert secret["input"] == "https://***@github.com/a" and "error" in secret
    assert "hunter22" not in result.output and "alice" not in result.output


def test_human_errors_go_to_stderr_masked() -> None:
    result = run("github.com/a/b", "https://ghp_SECRET123@github.com/a")
    assert result.exit_code == 2
    assert result.stdout.startswith("github.com/a/b\n")
    assert "error: 'https://***@github.com/a' is not a repository address" in result.stderr
    assert "ghp_SECRET123" not in result.output


def test_tokens_are_masked_in_the_echoed_input_of_accepted_urls() -> None:
    result = run("--json", "https://x-access-token:ghs_T0KEN@github.com/org/repo.git")
    assert result.exit_code == 0
    (line,) = json_lines(result.stdout)
    assert line["input"] == "https://***@github.com/org/repo.git"
    assert "ghs_T0KEN" not in result.output


def test_stdin_skips_blank_lines_and_comments() -> None:
    result = run("--stdin", "--json", input="# my repos\ngithub.com/a/b\n\n  git@gitlab.com:g/r.git  \n")
    assert result.exit_code == 0
    assert [line["repo"] for line in json_lines(result.stdout)] == ["github.com/a/b", "gitlab.com/g/r"]


def test_self_hosted_hosts_from_option_and_environment() -> None:
    result = run("--json", "--host", "Git.Corp.example=gitlab", "https://git.corp.example/a/b/c/-/tree/main",
                 "https://bb.corp.example/scm/proj/repo.git",
                 env={"JOLLI_HOSTS": "bb.corp.example=bitbucket-datacenter, code.corp.example=gitea"})
    assert result.exit_code == 0, result.output
    gitlab_line, dc_line = json_lines(result.stdout)
    assert gitlab_line["repo"] == "git.corp.example/a/b/c" and gitlab_line["provider"] == "gitlab"
    assert dc_line["repo"] == "bb.corp.example/PROJ/repo"
    assert dc_line["webUrl"] == "https://bb.corp.example/projects/PROJ/repos/repo/browse"


def test_unknown_host_is_accepted_with_provider_unknown() -> None:
    result = run("git.internal.co/team/service")
    assert result.exit_code == 0
    assert "unknown (no provider owns this host; name it with --host HOST=PROVIDER)" in result.stdout
    assert "https://git.internal.co/team/service.git" in result.stdout


def test_unregistered_host_gets_the_provider_its_shape_implies_reported_as_inferred() -> None:
    result = run("--json", "https://bitbucket.example.com/scm/proj/repo.git",
                 "https://git.example.org/group/sub/repo/-/tree/main", "https://github.com/o/r")
    assert result.exit_code == 0, result.output
    dc_line, gitlab_line, github_line = json_lines(result.stdout)
    assert dc_line["repo"] == "bitbucket.example.com/PROJ/repo"
    assert dc_line["provider"] == "bitbucket-datacenter" and dc_line["inferred"] is True
    assert "apiBaseUrl" not in dc_line  # never trusted for API calls until the host is registered
    assert gitlab_line["repo"] == "git.example.org/group/sub/repo" and gitlab_line["inferred"] is True
    assert "inferred" not in github_line
    text = run("https://bitbucket.example.com/scm/proj/repo.git").stdout
    assert ("bitbucket-datacenter (inferred from the URL; not trusted for webhooks or API calls until the host "
            "is registered: --host bitbucket.example.com=bitbucket-datacenter)") in text
    registered = json_lines(run("--json", "--host", "bitbucket.example.com=bitbucket-datacenter",
                                "https://bitbucket.example.com/scm/proj/repo.git").stdout)[0]
    assert "inferred" not in registered and registered["apiBaseUrl"] == "https://bitbucket.example.com/rest/api/1.0"


def test_a_refusal_hints_at_the_provider_the_shape_implies() -> None:
    result = run("https://bitbucket.example.com/projects/PROJ/repos")
    assert result.exit_code == 2
    assert "--host bitbucket.example.com=bitbucket-datacenter" in result.stderr
    assert "=gitlab" not in result.stderr


def test_azure_devops_forms_and_derivations() -> None:
    result = run("--json", "--branch", "main", "--path", "docs/a.md", "https://org.visualstudio.com/proj/_git/repo",
                 "git@ssh.dev.azure.com:v3/org/proj/repo")
    assert result.exit_code == 0, result.output
    legacy, ssh = json_lines(result.stdout)
    assert legacy["repo"] == ssh["repo"] == "dev.azure.com/org/proj/repo"
    assert legacy["owner"] == "org/proj" and legacy["provider"] == "azure-devops"
    assert legacy["httpsCloneUrl"] == "https://dev.azure.com/org/proj/_git/repo"
    assert legacy["sshCloneUrl"] == "git@ssh.dev.azure.com:v3/org/proj/repo"
    assert legacy["branchUrl"] == "https://dev.azure.com/org/proj/_git/repo?version=GBmain"
    assert legacy["fileUrl"] == "https://dev.azure.com/org/proj/_git/repo?path=/docs/a.md&version=GBmain"


def test_branch_commit_and_file_urls_on_request() -> None:
    sha = "a" * 40
    result = run("--json", "--branch", "feature/x", "--commit", sha, "--path", "docs/a.md", "github.com/o/r")
    (line,) = json_lines(result.stdout)
    assert line["branchUrl"] == "https://github.com/o/r/tree/feature/x"
    assert line["commitUrl"] == f"https://github.com/o/r/commit/{sha}"
    assert line["fileUrl"] == f"https://github.com/o/r/blob/{sha}/docs/a.md"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--host", "git.corp.example"], {}, "expected HOST=PROVIDER"),
        (["--host", "git.corp.example=nope"], {}, "provider 'nope' is not available"),
        (["--host", "https://git.corp.example=gitlab"], {}, "is not a host name"),
        ([], {"JOLLI_HOSTS": "git.corp.example=nope"}, "JOLLI_HOSTS"),
    ],
)
def test_bad_host_mappings_exit_2(args: list[str], env: dict[str, str], message: str) -> None:
    result = run(*args, "github.com/a/b", env=env)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_public_host_cannot_be_remapped() -> None:
    result = run("--host", "github.com=gitlab", "--json", "github.com/a/b")
    assert result.exit_code == 0
    assert "github.com always belongs to github; ignored" in result.stderr
    assert json_lines(result.stdout)[0]["provider"] == "github"


def test_no_input_is_a_usage_error() -> None:
    result = run()
    assert result.exit_code == 2
    assert "give at least one TEXT" in result.stderr


def test_console_script_in_a_real_subprocess() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("JOLLI_LOAD_PLUGINS", "JOLLI_HOSTS")}
    out = subprocess.run([JOLLI, "repo", "parse", "git@github.com:Org/Repo.git"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "github.com/Org/Repo"
    assert "https://github.com/Org/Repo.git" in out.stdout
    assert re.search(r"^  provider +github$", out.stdout, re.M)
