"""Property: validly signed webhooks with arbitrary JSON bodies and headers, to every provider's receiver, are
never answered 5xx, and store an event only for a branch push of the repo a source tracks."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_webhooks import CASES, signed
from webhook_fixtures import body

# The real deliveries that are branch pushes (provider, fixture, host, secret, event headers, signature header,
# the tracked repo and branch): each is mutated, or replaced by arbitrary JSON.
PUSHES = [(c[1], c[0], c[2], c[3], c[4], c[5], c[6][0], c[6][1]) for c in CASES
          if isinstance(c[6], tuple) and len(c[6]) == 2]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
header_names = st.from_regex(r"X-[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True)
header_values = st.from_regex(r"[ -~]{0,60}", fullmatch=True)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member or item of a parsed document."""
    found = []
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return found
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[int, bytes, dict[str, str]]:
    """A case index, a body (a real push with some members replaced or removed, or arbitrary JSON), and headers
    (the provider's event header, sometimes with another value, plus arbitrary ones)."""
    index = draw(st.integers(0, len(PUSHES) - 1))
    provider, fixture, _host, _secret, event_headers, _sig, _repo, _branch = PUSHES[index]
    document: Any = json.loads(body(fixture))
    if draw(st.booleans()):
        document = draw(json_values)
    else:
        for _ in range(draw(st.integers(1, 4))):
            candidates = paths(document)
            if not candidates:
                break
            path = draw(st.sampled_from(candidates))
            parent = document
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.booleans()):
                parent[path[-1]] = draw(json_values)
            elif isinstance(parent, dict):
                del parent[path[-1]]
    headers = dict(draw(st.dictionaries(header_names, header_values, max_size=3)))
    for name, value in event_headers.items():
        headers[name] = draw(st.sampled_from([value, "push", "ping", "", value + "x"]))
    return index, json.dumps(document).encode(), headers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(delivery=deliveries())
def test_signed_arbitrary_deliveries_never_5xx_and_store_only_covered_branch_pushes(
        client: FlaskClient, db: object, delivery: tuple[int, bytes, dict[str, str]]) -> None:
    from eventhelp import make_integration, make_org, make_source

    from jolli.events.tables import SourceEvent
    from jolli.store.models import Integration, Org

    index, data, headers = delivery
    provider, _fixture, host, secret, _events, sig_header, repo, branch = PUSHES[index]
    org = Org.get_or_none(Org.name == "acme") or make_org("acme")
    integration = Integration.get_or_none(Integration.name == f"case-{index}")
    if integration is None:
        integration = make_integration(org, provider=provider, host=host, secret=secret, name=f"case-{index}")
        make_source(org, f"src-{index}", repo, branch=branch)
    before = SourceEvent.select().count()

    response = client.post(f"/api/webhooks/{integration.id}", data=data,
                           headers={"Content-Type": "application/json", **headers,
                                    **signed(sig_header, secret, data)})

    assert response.status_code < 500, response.get_data(as_text=True)
    new = list(SourceEvent.select().order_by(SourceEvent.id).offset(before))
    for event in new:  # only a push to the tracked branch of the tracked repo becomes an event
        assert (event.repo.lower(), event.branch) == (repo.lower(), branch)
        assert branch.encode() in data
    if response.status_code == 202:
        assert new or response.get_json()["status"] == "duplicate"
