"""The built-in ``git`` source type against real repositories made in temp folders."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jolli.errors import InvalidInput
from jolli.plugins.git import GitSourceType, LocalRepo, branch_problem
from jolli.registry import Plugins
from jolli.source_type import ChangeSet

GIT = GitSourceType()


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity and no user or system config; return stdout stripped."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for name in ("GIT_DIR", "GIT_WORK_TREE"):
        env.pop(name, None)
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main",
         *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=True,
    )
    return done.stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    git(path, "init", "-q")
    return path


@pytest.fixture
def history(repo: Path) -> dict[str, str]:
    """main: A -> B -> C; side (from A): D. Each commit touches known files."""
    shas = {"A": commit(repo, {"README.md": "a", "docs/intro.md": "a"})}
    shas["B"] = commit(repo, {"docs/intro.md": "b", "name with space.txt": "b"})
    shas["C"] = commit(repo, {"src/app.py": "c"})
    git(repo, "checkout", "-q", "-b", "side", shas["A"])
    shas["D"] = commit(repo, {"README.md": "d"})
    git(repo, "checkout", "-q", "main")
    return shas


def field_errors(excinfo: pytest.ExceptionInfo[InvalidInput]) -> dict[str, list[str]]:
    return excinfo.value.fields


# --- registration -----------------------------------------------------------------------------------
def test_git_is_registered_through_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOLLI_LOAD_PLUGINS", "git")
    plugins = Plugins()
    source_type = plugins.source_type("git")
    assert isinstance(source_type, GitSourceType)
    assert source_type.uses_repo is True
    assert plugins.source_types.owner("git") == "git"


# --- mounts -----------------------------------------------------------------------------------------
def test_relative_mount_path_is_rejected_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        GIT.validate_mount("src/backend")
    assert "absolute" in excinfo.value.message
    assert "src/backend" in excinfo.value.message
    assert list(field_errors(excinfo)) == ["mountPath"]


def test_missing_mount_path_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        GIT.validate_mount(str(tmp_path / "nowhere"))


def test_a_file_is_not_a_mount(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InvalidInput, match="is not a directory"):
        GIT.validate_mount(str(tmp_path / "notes.txt"))


def test_a_plain_folder_is_not_a_git_work_tree(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is not a git work tree") as excinfo:
        GIT.validate_mount(str(tmp_path))
    assert "git init" in excinfo.value.message
    assert "mountPath" in field_errors(excinfo)


def test_a_bare_repository_is_not_a_work_tree(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "bare.git")
    with pytest.raises(InvalidInput, match="is not a git work tree"):
        GIT.validate_mount(str(tmp_path / "bare.git"))


def test_the_git_folder_itself_is_not_a_work_tree(repo: Path) -> None:
    with pytest.raises(InvalidInput, match="is not a git work tree"):
        GIT.validate_mount(str(repo / ".git"))


def test_mount_resolves_top_level_origin_and_branch(repo: Path, history: dict[str, str]) -> None:
    git(repo, "remote", "add", "origin", "git@github.com:Acme/Backend.git")
    (repo / "docs").mkdir(exist_ok=True)
    info = GIT.validate_mount(str(repo / "docs"))
    assert info.path == os.path.realpath(repo)
    assert info.repo == "github.com/Acme/Backend"
    assert info.branch == "main"
    assert info.detail["head"] == history["C"]


def test_mount_reports_a_branch_with_slashes(repo: Path, history: dict[str, str]) -> None:
    git(repo, "checkout", "-q", "-b", "feature/login")
    assert GIT.validate_mount(str(repo)).branch == "feature/login"


def test_detached_head_has_no_branch(repo: Path, history: dict[str, str]) -> None:
    git(repo, "checkout", "-q", "--detach", history["B"])
    info = GIT.validate_mount(str(repo))
    assert info.branch is None
    assert info.detail["head"] == history["B"]


def test_a_fresh_repository_has_its_unborn_branch_and_no_head(repo: Path) -> None:
    info = GIT.validate_mount(str(repo))
    assert info.branch == "main"
    assert info.detail["head"] is None


def test_without_origin_the_repo_is_unknown(repo: Path) -> None:
    git(repo, "remote", "add", "upstream", "https://github.com/acme/backend.git")
    info = GIT.validate_mount(str(repo))
    assert info.repo is None
    assert "origin" in info.detail["remoteProblem"]


def test_an_origin_that_is_a_local_path_leaves_the_repo_unknown(repo: Path, tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "upstream.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "upstream.git"))
    info = GIT.validate_mount(str(repo))
    assert info.repo is None
    assert info.detail["remoteProblem"]


def test_credentials_in_origin_are_dropped(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "https://bot:s3cr3t-token@gitlab.com/acme/backend.git")
    info = GIT.validate_mount(str(repo))
    assert info.repo == "gitlab.com/acme/backend"
    assert "s3cr3t-token" not in repr(info)


def test_mount_ignores_the_callers_git_dir(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    git(other, "checkout", "-q", "-b", "elsewhere")
    git(repo, "checkout", "-q", "-b", "here")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    assert GIT.validate_mount(str(repo)).branch == "here"


# --- cursors ----------------------------------------------------------------------------------------
def test_cursor_accepts_sha1_and_sha256_lower_cased() -> None:
    assert GIT.validate_cursor("ABCDEF" + "0" * 34) == "abcdef" + "0" * 34
    assert GIT.validate_cursor("a" * 64) == "a" * 64
    assert GIT.validate_cursor(" " + "b" * 40 + "\n") == "b" * 40


@pytest.mark.parametrize("value", ["", "abc1234", "g" * 40, "a" * 41, "a" * 63, "HEAD", "refs/heads/main"])
def test_cursor_rejects_anything_but_a_full_sha(value: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        GIT.validate_cursor(value)
    assert list(field_errors(excinfo)) == ["value"]
    assert "40" in excinfo.value.message and "64" in excinfo.value.message


# --- fields -----------------------------------------------------------------------------------------
def test_fields_normalise_repo_and_keep_a_valid_branch() -> None:
    fields = GIT.validate_fields({"repo": "https://github.com/acme/backend.git", "branch": "release/1.x"})
    assert fields == {"repo": "github.com/acme/backend", "branch": "release/1.x"}


def test_a_bad_repo_is_reported_on_repo() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        GIT.validate_fields({"repo": "acme/backend"})
    assert list(field_errors(excinfo)) == ["repo"]


@pytest.mark.parametrize("branch", ["", "a b", "a..b", "feature/", "/x", "a//b", "x.lock", ".hidden", "a~1",
                                    "a^", "a:b", "what?", "a*", "a[1]", "a\\b", "-x", "HEAD", "a@{1}", "end.",
                                    "tab\there", "a/.b/c"])
def test_invalid_branch_names_are_rejected_on_branch(branch: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        GIT.validate_fields({"branch": branch})
    assert list(field_errors(excinfo)) == ["branch"]
    assert repr(branch) in excinfo.value.message


@pytest.mark.parametrize("branch", ["main", "feature/login", "release/1.x", "v1.0", "@", "a.lock.b", "ünïcode"])
def test_valid_branch_names_pass(branch: str) -> None:
    assert GIT.validate_fields({"branch": branch}) == {"branch": branch}


def test_linking_an_integration_needs_a_repo() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        GIT.validate_fields({"integrationId": 4, "branch": "main"})
    assert list(field_errors(excinfo)) == ["integrationId"]
    assert "repo" in excinfo.value.message


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        GIT.validate_fields({"integration_id": 4, "branch": "a..b"})
    assert set(field_errors(excinfo)) == {"integration_id", "branch"}


_ref_text = st.text(
    alphabet=st.sampled_from(list("ab/.-@{}~^:?*[\\ lockHED") + ["\t", "\x7f", "é"]), min_size=1, max_size=12
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_ref_text)
@example(name="@")
@example(name="a.lock")
@example(name="x/.y")
@example(name="HEAD")
@example(name="-a")
def test_branch_rules_agree_with_git_check_ref_format(name: str, tmp_path: Path) -> None:
    accepted_by_git = subprocess.run(
        ["git", "check-ref-format", "--branch", name], cwd=tmp_path, capture_output=True
    ).returncode == 0
    assert (branch_problem(name) is None) == accepted_by_git


# --- staleness and changes --------------------------------------------------------------------------
def test_head_equal_to_cursor_is_stale_without_a_repo() -> None:
    sha = "c" * 40
    assert GIT.is_stale(sha, sha.upper()) is True
    assert GIT.is_stale(None, sha) is False
    assert GIT.is_stale("d" * 40, sha) is None


def test_an_ancestor_of_the_cursor_is_stale(repo: Path, history: dict[str, str]) -> None:
    local = LocalRepo(str(repo))
    assert GIT.is_stale(history["C"], history["B"], local) is True
    assert GIT.is_stale(history["B"], history["C"], local) is False
    assert GIT.is_stale(history["C"], history["D"], local) is False


def test_staleness_accepts_a_mapping_context(repo: Path, history: dict[str, str]) -> None:
    assert GIT.is_stale(history["C"], history["A"], {"repo_path": str(repo)}) is True


def test_unknown_commits_leave_staleness_undecided(repo: Path, history: dict[str, str]) -> None:
    assert GIT.is_stale(history["C"], "f" * 40, LocalRepo(str(repo))) is None


def test_changes_ahead_list_the_files_that_differ(repo: Path, history: dict[str, str]) -> None:
    changes = GIT.detect_changes(None, history["A"], history["C"], LocalRepo(str(repo)))
    assert changes == ChangeSet(
        base=history["A"], head=history["C"], relation="ahead",
        files=("docs/intro.md", "name with space.txt", "src/app.py"),
    )


def test_changes_behind_and_diverged(repo: Path, history: dict[str, str]) -> None:
    local = LocalRepo(str(repo))
    assert GIT.detect_changes(None, history["C"], history["B"], local).relation == "behind"
    diverged = GIT.detect_changes(None, history["D"], history["C"], local)
    assert diverged.relation == "diverged"
    assert diverged.files == ("README.md", "docs/intro.md", "name with space.txt", "src/app.py")


def test_first_event_lists_every_file_at_head(repo: Path, history: dict[str, str]) -> None:
    changes = GIT.detect_changes(None, None, history["B"], LocalRepo(str(repo)))
    assert changes.files == ("README.md", "docs/intro.md", "name with space.txt")


def test_identical_and_unknown_changes(repo: Path, history: dict[str, str]) -> None:
    local = LocalRepo(str(repo))
    assert GIT.detect_changes(None, history["B"], history["B"].upper(), local).relation == "identical"
    unknown = GIT.detect_changes(None, "e" * 40, history["B"], local)
    assert (unknown.relation, unknown.files) == ("unknown", ())
    assert GIT.detect_changes(None, history["A"], history["B"]).relation == "unknown"  # no local repo


def test_a_bare_mirror_answers_too(repo: Path, history: dict[str, str], tmp_path: Path) -> None:
    git(tmp_path, "clone", "-q", "--mirror", str(repo), "mirror.git")
    mirror = LocalRepo(str(tmp_path / "mirror.git"))
    assert GIT.is_stale(history["C"], history["A"], mirror) is True
    assert GIT.detect_changes(None, history["B"], history["C"], mirror).files == ("src/app.py",)


def test_a_git_source_refuses_type_fields_it_does_not_have() -> None:
    from jolli.errors import InvalidInput
    from jolli.registry import get_plugins

    with pytest.raises(InvalidInput) as caught:
        get_plugins().source_type("git").validate_fields(
            {"name": "b", "type": "git", "repo": "github.com/o/r", "fields": {"url": "https://x"}}
        )
    assert "url" in caught.value.fields["fields"][0]
