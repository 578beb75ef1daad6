"""Links to a repo's and a commit's web pages, as the repo's provider spells them
(:func:`jolli.coordinates.describe`)."""

from __future__ import annotations

from collections.abc import Mapping

from jolli.coordinates import describe, parse
from jolli.errors import JolliError
from jolli.registry import get_plugins


def repo_links(repo: str | None, extra_hosts: Mapping[str, str], commit: str | None = None) -> dict[str, str]:
    """``{"web": ..., "commit": ...}`` for ``repo`` (and ``commit``); empty for a source without a repo."""
    if not repo:
        return {}
    try:
        info = describe(parse(repo, extra_hosts=extra_hosts, plugins=get_plugins()), extra_hosts=extra_hosts,
                        plugins=get_plugins(), commit=commit or None)
    except JolliError:
        return {}
    links = {"web": info["webUrl"]} if info.get("webUrl") else {}
    if info.get("commitUrl"):
        links["commit"] = info["commitUrl"]
    return links
