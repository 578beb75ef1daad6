"""Integration matching: which integration covers a repo coordinate."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jolli.coordinates import RepoCoordinate
from jolli.errors import Ambiguous, InvalidInput, NoMatch
from jolli.matching import IntegrationIndex, IntegrationScope


def scope(id: int, host: str, owner: str | None = None, repos: set[str] | None = None,
          provider: str = "github", name: str | None = None) -> IntegrationScope:
    return IntegrationScope(id=id, provider=provider, host=host, owner=owner,
                            repos=frozenset(repos) if repos is not None else None, name=name)


def test_owner_scope_covers_every_repo_of_that_owner_only() -> None:
    index = IntegrationIndex([scope(1, "github.com", "acme"), scope(2, "github.com", "globex")])
    assert index.match("github.com/acme/backend").id == 1
    assert index.match("github.com/globex/backend").id == 2
    with pytest.raises(NoMatch, match="no integration covers github.com/initech/backend"):
        index.match("github.com/initech/backend")


def test_whole_host_scope_covers_any_owner_on_that_host_only() -> None:
    index = IntegrationIndex([scope(7, "git.internal.co", None, provider="gitea")])
    assert index.match("git.internal.co/team/service").id == 7
    with pytest.raises(NoMatch):
        index.match("github.com/team/service")


def test_host_owner_and_repo_compare_case_insensitively() -> None:
    index = IntegrationIndex([
        scope(1, "GitHub.com", "ACME"),
        scope(2, "github.com", "globex", repos={"github.com/Globex/Portal"}),
    ])
    assert index.match("github.com/acme/Backend").id == 1
    assert index.match(RepoCoordinate("github.com", "Acme", "backend")).id == 1
    assert index.match("GITHUB.COM/globex/PORTAL").id == 2


def test_selected_repos_narrow_an_owner_scope() -> None:
    index = IntegrationIndex([scope(3, "github.com", "acme", repos={"github.com/acme/backend"})])
    assert index.match("github.com/acme/backend").id == 3
    with pytest.raises(NoMatch, match="github.com/acme/frontend"):
        index.match("github.com/acme/frontend")


def test_a_group_covers_its_subgroups_but_not_the_other_way_round() -> None:
    index = IntegrationIndex([scope(1, "gitlab.com", "group", provider="gitlab"),
                              scope(2, "gitlab.example.org", "group/sub", provider="gitlab")])
    assert index.match("gitlab.com/group/sub/deeper/repo").id == 1
    assert index.match(RepoCoordinate("gitlab.com", "group/sub", "repo")).id == 1
    assert index.match("gitlab.example.org/group/sub/repo").id == 2
    with pytest.raises(NoMatch):
        index.match("gitlab.example.org/group/repo")


def test_owner_prefixes_are_whole_segments() -> None:
    index = IntegrationIndex([scope(1, "gitlab.com", "gro", provider="gitlab")])
    with pytest.raises(NoMatch):
        index.match("gitlab.com/group/repo")


def test_the_most_specific_covering_integration_wins() -> None:
    index = IntegrationIndex([
        scope(12, "github.com", "acme", name="acme-app"),
        scope(5, "github.com", None, provider="github", name="enterprise-token"),
        scope(9, "github.com", "acme", repos={"github.com/acme/backend", "github.com/acme/web"}),
        scope(30, "github.com", "globex"),
    ])
    assert [s.id for s in index.candidates("github.com/acme/backend")] == [5, 9, 12]
    assert index.match("github.com/acme/backend").id == 9  # its selected repos name it
    assert index.match("github.com/acme/api").id == 12  # the owner over the whole host
    assert index.match("github.com/other/api").id == 5


def test_equally_specific_integrations_are_ambiguous_and_told_apart() -> None:
    index = IntegrationIndex([
        scope(12, "github.com", "acme", name="acme-app"),
        scope(5, "github.com", None, provider="github", name="enterprise-token"),
        scope(7, "github.com", "Acme", name="acme-token"),
    ])
    with pytest.raises(Ambiguous) as excinfo:
        index.match("github.com/acme/backend")
    error = excinfo.value
    assert [c["id"] for c in error.candidates] == [7, 12]
    assert error.candidates[1]["name"] == "acme-app" and error.candidates[0]["owner"] == "Acme"
    for text in ("2 integrations cover github.com/acme/backend", "#7 'acme-token'", "#12 'acme-app'",
                 "--integration-id"):
        assert text in error.message
    assert "enterprise-token" not in error.message


def test_a_subgroup_is_more_specific_than_its_group() -> None:
    index = IntegrationIndex([scope(1, "gitlab.com", "group", provider="gitlab"),
                              scope(2, "gitlab.com", "Group/Sub", provider="gitlab")])
    assert [s.id for s in index.candidates("gitlab.com/group/sub/repo")] == [1, 2]
    assert index.match("gitlab.com/group/sub/repo").id == 2
    assert index.match("gitlab.com/group/other/repo").id == 1


def test_many_integrations_still_find_the_one() -> None:
    """Correctness at scale (speed is measured by bench/bench_matching.py, not here)."""
    scopes = [scope(i, f"host{i % 50}.example", f"owner{i}") for i in range(20_000)]
    index = IntegrationIndex(scopes)
    assert len(index) == 20_000
    assert index.match("host17.example/owner12367/repo").id == 12367
    assert index.candidates("host18.example/owner12367/repo") == []


def test_scopes_build_from_integration_records() -> None:
    record = SimpleNamespace(id=4, provider="gitlab", host="gitlab.com", owner="group",
                             repos=["gitlab.com/group/app"], name="ci")
    index = IntegrationIndex([IntegrationScope.from_record(record)])
    assert index.match("gitlab.com/group/app") == IntegrationScope(
        id=4, provider="gitlab", host="gitlab.com", owner="group", repos=frozenset({"gitlab.com/group/app"}),
        name="ci",
    )


@pytest.mark.parametrize("bad", ["github.com/backend", "github.com", "/acme/backend", "github.com/acme/"])
def test_a_string_that_is_not_a_coordinate_is_rejected(bad: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        IntegrationIndex([scope(1, "github.com")]).match(bad)
    assert "host/owner/repo" in excinfo.value.message
    assert list(excinfo.value.fields) == ["repo"]
