"""Every URL form users paste, from the providers' documentation and the peer parsers' public test suites.

Each case names its source: hosted-git-info (npm/hosted-git-info test/github.js), giturlparse
(nephila/giturlparse giturlparse/tests/parse.py), git-url-parse (IonicaBizau/git-url-parse test/index.js),
git-url-parse-rs (tjtelan/git-url-parse-rs tests/provider.rs), Backstage (backstage/backstage
packages/integration/src/azure/AzureUrl.test.ts), the Azure DevOps service hook sample payload
(MicrosoftDocs/azure-devops-docs docs/service-hooks/events.md), the providers' SSH-over-443 pages, and
issue 15. Where jolli differs from a peer on purpose, the case says so.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from jolli.coordinates import describe, normalize, resolve
from jolli.errors import InvalidCoordinate
from jolli.registry import get_plugins

PLUGINS = get_plugins()

HGI = "hosted-git-info test/github.js"
GUP = "giturlparse tests/parse.py"
GUJ = "git-url-parse test/index.js"
GUR = "git-url-parse-rs tests/provider.rs"
BACKSTAGE = "Backstage AzureUrl.test.ts"
AZURE_DOCS = "Azure DevOps docs: service hooks events, git.push sample remoteUrl"
ISSUE = "issue 15"

#: (source, input, canonical coordinate): hosts a provider owns (public hosts and their aliases).
KNOWN: list[tuple[str, str, str]] = [
    (HGI, "git://github.com/foo/bar", "github.com/foo/bar"),
    (HGI, "git://user:password@github.com/foo/bar.git", "github.com/foo/bar"),
    (HGI, "git://:password@github.com/foo/bar.git", "github.com/foo/bar"),
    (HGI, "user@github.com:foo/bar", "github.com/foo/bar"),
    (HGI, ":password@github.com:foo/bar.git", "github.com/foo/bar"),
    (HGI, "git+ssh://github.com:foo/bar", "github.com/foo/bar"),
    (HGI, "ssh://user@github.com:foo/bar.git", "github.com/foo/bar"),
    (HGI, "git+https://user:password@github.com/foo/bar.git", "github.com/foo/bar"),
    (HGI, "https://:password@github.com/foo/bar.git", "github.com/foo/bar"),
    (HGI, "https://github.com/foo/bar/tree/branch", "github.com/foo/bar"),
    (HGI, "https://www.github.com/foo/bar", "github.com/foo/bar"),
    (GUP, "git@github.com:Org/Repo.git", "github.com/Org/Repo"),
    (GUP, "git+https://github.com/Org/Repo.git", "github.com/Org/Repo"),
    (GUP, "https://github.com/foo-bar/xpwn", "github.com/foo-bar/xpwn"),
    (GUP, "git://github.com/Org/Repo.git", "github.com/Org/Repo"),
    (GUP, "ssh://git@github.com/Org/Repo.git", "github.com/Org/Repo"),
    (GUP, "git@bitbucket.org:Org/Repo.git", "bitbucket.org/Org/Repo"),
    (GUP, "https://github.com/nephila/giturlparse/blob/master/giturlparse/github.py", "github.com/nephila/giturlparse"),
    (GUP, "https://github.com/nephila/giturlparse/tree/feature/py37", "github.com/nephila/giturlparse"),
    (GUP, "https://gitlab.com/nephila/giturlparse/blob/master/giturlparse/github.py", "gitlab.com/nephila/giturlparse"),
    (GUP, "https://gitlab.com/nephila/group2/third-group/giturlparse/blob/master/giturlparse/platforms/github.py",
     "gitlab.com/nephila/group2/third-group/giturlparse"),
    (GUJ, "git@github.com:IonicaBizau/git-url-parse", "github.com/IonicaBizau/git-url-parse"),
    (GUJ, "git+ssh://git@github.com/IonicaBizau/git-url-parse", "github.com/IonicaBizau/git-url-parse"),
    (GUJ, "https://github.com/IonicaBizau/git-url-parse/", "github.com/IonicaBizau/git-url-parse"),
    (GUJ, "https://user:password@github.com/IonicaBizau/git-url-parse", "github.com/IonicaBizau/git-url-parse"),
    (GUJ, "https://github.com/IonicaBizau/git-url-parse/blob/master/test/index.js",
     "github.com/IonicaBizau/git-url-parse"),
    (GUJ, "https://token:x-oauth-basic@github.com/owner/name.git", "github.com/owner/name"),
    (GUJ, "https://x-token-auth:token@bitbucket.org/owner/name.git", "bitbucket.org/owner/name"),
    (GUJ, "https://owner@bitbucket.org/owner/name", "bitbucket.org/owner/name"),
    (GUJ, "https://gitlab.com/group/subgroup/id", "gitlab.com/group/subgroup/id"),
    (GUJ, "git@gitlab.com:a/b/c/d.git", "gitlab.com/a/b/c/d"),
    (GUJ, "https://gitlab.com/a/b/c/d/blob/master/test/index.js", "gitlab.com/a/b/c/d"),
    (GUJ, "https://companyname.visualstudio.com/_git/MyProject", "dev.azure.com/companyname/MyProject/MyProject"),
    (GUJ, "https://companyname.visualstudio.com/MyProject/_git/MyRepo", "dev.azure.com/companyname/MyProject/MyRepo"),
    (GUJ, "https://companyname.visualstudio.com/DefaultCollection/_git/MyRepo", "dev.azure.com/companyname/MyRepo/MyRepo"),
    (GUJ, "https://companyname.visualstudio.com/DefaultCollection/MyProject/_git/MyRepo",
     "dev.azure.com/companyname/MyProject/MyRepo"),
    (GUR, "https://CompanyName@dev.azure.com/CompanyName/ProjectName/_git/RepoName",
     "dev.azure.com/CompanyName/ProjectName/RepoName"),
    (GUR, "git@ssh.dev.azure.com:v3/CompanyName/ProjectName/RepoName.git",
     "dev.azure.com/CompanyName/ProjectName/RepoName"),
    (GUR, "https://github.com/tjtelan/git-url-parse-rs.git", "github.com/tjtelan/git-url-parse-rs"),
    (BACKSTAGE, "https://dev.azure.com/my-org/_git/my-project", "dev.azure.com/my-org/my-project/my-project"),
    (BACKSTAGE, "https://dev.azure.com/my-org/_git/my-project?path=%2Ftest.yaml",
     "dev.azure.com/my-org/my-project/my-project"),
    (BACKSTAGE, "https://dev.azure.com/my-org/_git/my-project?path=%2Ftest.yaml&version=GBtest-branch",
     "dev.azure.com/my-org/my-project/my-project"),
    (BACKSTAGE, "https://my-org.visualstudio.com/my-project/_git/my-repo", "dev.azure.com/my-org/my-project/my-repo"),
    (BACKSTAGE, "https://my-org.visualstudio.com/my-project/_git/my-repo?path=%2Ffolder&version=GBtest-branch",
     "dev.azure.com/my-org/my-project/my-repo"),
    (AZURE_DOCS, "https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/_git/Fabrikam-Fiber-Git",
     "dev.azure.com/fabrikam-fiber-inc/Fabrikam-Fiber-Git/Fabrikam-Fiber-Git"),
    (AZURE_DOCS, "https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/_git/Fabrikam-Fiber-Git/commit/"
     "33b55f7cb7e7e245323987634f960cf4a6e6bc74", "dev.azure.com/fabrikam-fiber-inc/Fabrikam-Fiber-Git/Fabrikam-Fiber-Git"),
    (ISSUE, "https://dev.azure.com/org/project/_git/repo", "dev.azure.com/org/project/repo"),
    (ISSUE, "https://org@dev.azure.com/org/project/_git/repo", "dev.azure.com/org/project/repo"),
    (ISSUE, "https://org.visualstudio.com/project/_git/repo", "dev.azure.com/org/project/repo"),
    (ISSUE, "https://org.visualstudio.com/DefaultCollection/project/_git/repo", "dev.azure.com/org/project/repo"),
    (ISSUE, "git@ssh.dev.azure.com:v3/org/project/repo", "dev.azure.com/org/project/repo"),
    (ISSUE, "org@vs-ssh.visualstudio.com:v3/org/project/repo", "dev.azure.com/org/project/repo"),
    (ISSUE, "https://dev.azure.com/org/project/_git/repo?path=/docs/a.md&version=GBmain", "dev.azure.com/org/project/repo"),
    (ISSUE, "dev.azure.com/org/project/repo", "dev.azure.com/org/project/repo"),
    ("GitHub docs: Using SSH over the HTTPS port", "ssh://git@ssh.github.com:443/org/repo.git", "github.com/org/repo"),
    ("Bitbucket docs: SSH on port 443", "ssh://git@altssh.bitbucket.org:443/team/repo.git", "bitbucket.org/team/repo"),
    ("GitLab docs: SSH on port 443", "ssh://git@altssh.gitlab.com:443/group/sub/repo.git", "gitlab.com/group/sub/repo"),
    (ISSUE, "git:github.com/owner/repo.git", "github.com/owner/repo"),
]

#: (source, input, canonical coordinate, inferred provider): hosts no provider owns, read by the URL's shape.
INFERRED: list[tuple[str, str, str, str]] = [
    (GUP, "git://host.org:9999/Org/Group/subGroup/Repo.git/-/tree/feature/custom-branch",
     "host.org/Org/Group/subGroup/Repo", "gitlab"),
    (GUJ, "http://machine:8080/tfs/Collection/Project.Name/_git/repository",
     "machine/tfs/Collection/Project.Name/repository", "azure-devops"),
    (BACKSTAGE, "http://my-host/my-org/my-project/_git/my-repo", "my-host/my-org/my-project/my-repo", "azure-devops"),
    (BACKSTAGE, "http://my-host/tfs/projects/my-project/_git/my-repo?path=%2Ffolder&version=GBtest-branch",
     "my-host/tfs/projects/my-project/my-repo", "azure-devops"),
    (ISSUE, "https://git.example.org/group/sub/repo/-/tree/main", "git.example.org/group/sub/repo", "gitlab"),
    (ISSUE, "https://bitbucket.example.com/scm/proj/repo.git", "bitbucket.example.com/PROJ/repo", "bitbucket-datacenter"),
    (ISSUE, "https://git.example.com/projects/PROJ/repos/repo/browse", "git.example.com/PROJ/repo", "bitbucket-datacenter"),
    (ISSUE, "https://git.example.com/users/jdoe/repos/repo", "git.example.com/_jdoe/repo", "bitbucket-datacenter"),
    (ISSUE, "ssh://git@git.example.com/~jdoe/repo.git", "git.example.com/_jdoe/repo", "bitbucket-datacenter"),
    (ISSUE, "https://git.example.com/bitbucket/scm/proj/repo.git", "git.example.com/PROJ/repo", "bitbucket-datacenter"),
    (ISSUE, "https://tfs.corp.example/DefaultCollection/project/_git/repo",
     "tfs.corp.example/DefaultCollection/project/repo", "azure-devops"),
    ("Renovate detectPlatform: host name hints", "https://gitlab.corp.example/group/sub/repo", "gitlab.corp.example/group/sub/repo", "gitlab"),
    ("Renovate detectPlatform: host name hints", "https://bitbucket.corp.example/PROJ/repo", "bitbucket.corp.example/PROJ/repo", "bitbucket-datacenter"),
    ("Renovate detectPlatform: host name hints", "https://gitea.corp.example/org/repo/src/branch/main", "gitea.corp.example/org/repo", "gitea"),
    ("Renovate detectPlatform: host name hints", "https://forgejo.corp.example/org/repo", "forgejo.corp.example/org/repo", "gitea"),
    ("Renovate detectPlatform: host name hints", "https://github.corp.example/org/repo/tree/main", "github.corp.example/org/repo", "github"),
]

#: (source, input, what the refusal says).
REFUSED: list[tuple[str, str, str]] = [
    (GUP, "@github.com:Org/Repo.git", "the user name before '@' is empty"),
    (GUP, "git@github.com:Org", "expected owner/repo"),
    (GUP, "https://github.com/Org", "expected owner/repo"),
    (GUP, "git://github.com/Org", "expected owner/repo"),
    (BACKSTAGE, "https://dev.azure.com/my-org/_git", "the repository name is missing after _git"),
    (BACKSTAGE, "https://dev.azure.com/my-org/_git/", "the repository name is missing after _git"),
    (BACKSTAGE, "https://dev.azure.com/my-org/my-project/", "Azure DevOps repositories look like"),
    (BACKSTAGE, "https://dev.azure.com/my-org/my-project/_not-git", "do not start with '_'"),
    (BACKSTAGE, "https://dev.azure.com/my-org/my-project/_not-git/my-repo", "Azure DevOps repositories look like"),
    (BACKSTAGE, "https://dev.azure.com/my-org/_workitems/recentlyupdated/", "do not start with '_'"),
    # on purpose: a coordinate holds letters, digits, '.', '-' and '_' only (git-url-parse decodes spaces)
    (GUJ, "https://companyname.visualstudio.com/My%20Project/_git/My%20Repo", "characters other than letters"),
    # on purpose: ftp is no git transport (git-url-parse accepts it)
    (GUJ, "ftp://github.com/IonicaBizau/git-url-parse", "the scheme 'ftp' is not supported"),
]


def _id(case: tuple[str, ...]) -> str:
    return f"{case[0]}: {case[1]}"


@pytest.mark.parametrize("case", KNOWN, ids=_id)
def test_forms_on_known_hosts(case: tuple[str, str, str]) -> None:
    _, text, expected = case
    found = resolve(text, plugins=PLUGINS)
    assert str(found.coord) == expected
    assert found.provider is not None and not found.inferred


@pytest.mark.parametrize("case", INFERRED, ids=_id)
def test_forms_on_unregistered_hosts_are_inferred_from_their_shape(case: tuple[str, str, str, str]) -> None:
    _, text, expected, provider = case
    found = resolve(text, plugins=PLUGINS)
    assert str(found.coord) == expected
    assert found.provider is not None and found.provider.name == provider and found.inferred
    # registering the host with that provider gives the same coordinate, no longer inferred
    registered = resolve(text, extra_hosts={found.coord.host: provider}, plugins=PLUGINS)
    assert registered.coord == found.coord and not registered.inferred


@pytest.mark.parametrize("case", REFUSED, ids=_id)
def test_refused_forms_say_why(case: tuple[str, str, str]) -> None:
    _, text, reason = case
    with pytest.raises(InvalidCoordinate) as caught:
        normalize(text, plugins=PLUGINS)
    assert reason in caught.value.message


def test_every_form_of_one_repository_gives_one_coordinate() -> None:
    forms: dict[str, set[str]] = defaultdict(set)
    for _, text, expected in KNOWN:
        forms[expected].add(str(normalize(text, plugins=PLUGINS)))
    assert all(found == {expected} for expected, found in forms.items())
    assert len([t for _, t, e in KNOWN if e == "dev.azure.com/org/project/repo"]) >= 8


def test_an_inferred_provider_is_never_trusted_for_api_calls() -> None:
    found = resolve("https://git.example.org/group/sub/repo/-/tree/main", plugins=PLUGINS)
    info = describe(found.coord, plugins=PLUGINS, inferred=found.provider)
    assert info["provider"] == "gitlab" and info["inferred"] is True
    assert "apiBaseUrl" not in info
    assert info["webUrl"] == "https://git.example.org/group/sub/repo"
    registered = describe(found.coord, extra_hosts={"git.example.org": "gitlab"}, plugins=PLUGINS)
    assert "inferred" not in registered and registered["apiBaseUrl"] == "https://git.example.org/api/v4"


def test_a_refusal_on_an_unregistered_host_names_the_provider_its_shape_implies() -> None:
    with pytest.raises(InvalidCoordinate) as caught:
        normalize("https://bitbucket.example.com/projects/PROJ/repos", plugins=PLUGINS)
    message = caught.value.message
    assert "--host bitbucket.example.com=bitbucket-datacenter" in message and "=gitlab" not in message
