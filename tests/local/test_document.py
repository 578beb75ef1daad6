"""The quick reader of well-formed files agrees with the marshmallow schemas that define the format."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jolli import contracts, formats, repo_coordinate
from jolli.local import document, schema
from jolli.local.document import quick_config
from jolli.local.records import LocalConfigError
from jolli.local.schema import dump_config, load_with_schema


def test_the_patterns_are_the_contracts_own():
    assert document._NAME.pattern is formats.NAME_RE is contracts.NAME_RE is schema.NAME_RE
    assert document._SOURCE_ID.pattern is formats.SOURCE_ID_RE is schema.SOURCE_ID_RE
    assert document._COORDINATE is repo_coordinate.COORDINATE_RE is contracts.COORDINATE_RE


def test_the_quick_reader_knows_the_fields_the_schemas_define():
    def json_keys(entry_schema: Any) -> set[str]:
        return {field.data_key or name for name, field in entry_schema().fields.items()}

    assert json_keys(schema.VirtualEntrySchema) == document._ENTRY_KEYS == json_keys(contracts.LocalSourceEntrySchema)
    assert json_keys(schema.MountEntrySchema) == document._ENTRY_KEYS | {"name"}
    assert json_keys(schema.SourcesFileSchema) == document._FILE_KEYS


good_names = st.sampled_from(["backend", "web.app", "a_b-c", "12", "x" * 128])
bad_names = st.sampled_from(["", "bad name", "-dash", "x" * 129])
good_entry = st.fixed_dictionaries(
    {"mountPath": st.sampled_from(["/abs/path", "/"])},
    optional={"type": st.sampled_from(["git", "file"]), "repo": st.sampled_from([None, "github.com/acme/backend"]),
              "branch": st.one_of(st.none(), st.text(max_size=5))},
)
good_mount = st.builds(lambda e, n: {**e, **n}, good_entry,
                       st.fixed_dictionaries({}, optional={"name": st.one_of(st.none(), good_names)}))
valid_documents = st.fixed_dictionaries(
    {"version": st.just(1)},
    optional={"mounts": st.dictionaries(st.sampled_from(["1", "42", "999"]), good_mount, max_size=3),
              "virtualSources": st.dictionaries(good_names, good_entry, max_size=3)},
)
#: one thing made wrong (or odd) somewhere in a valid document
bad_values = st.sampled_from([None, "", "relative", "acme/backend", "https://github.com/a/b", 3, True, 1.0, "1",
                              [], {}, "bad name", "0", "abc"])


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    document = draw(valid_documents)
    where = draw(st.sampled_from(["none", "top", "version", "mounts", "virtualSources", "mount", "virtual",
                                  "mount-key", "virtual-key"]))
    value = draw(bad_values)
    field = draw(st.sampled_from(["mountPath", "type", "repo", "branch", "name", "extra"]))
    mounts, virtual = document.get("mounts"), document.get("virtualSources")
    if where == "top":
        document[draw(st.sampled_from(["sources", "other"]))] = value
    elif where in ("version", "mounts", "virtualSources"):
        document[where] = value
    elif where == "mount" and mounts:
        next(iter(mounts.values()))[field] = value
    elif where == "virtual" and virtual:
        next(iter(virtual.values()))[field] = value
    elif where == "mount-key" and mounts:
        mounts[draw(st.sampled_from(["0", "abc", "01", "-1"]))] = next(iter(mounts.values()))
    elif where == "virtual-key" and virtual:
        virtual[draw(bad_names)] = next(iter(virtual.values()))
    return document


@settings(max_examples=600, deadline=None)
@given(documents())
def test_quick_reading_never_accepts_what_the_schemas_reject(document):
    quick = quick_config(document)
    if quick is None:
        return  # not sure: the schemas decide
    assert load_with_schema(document, "sources.json") == quick


def test_a_valid_file_is_read_quickly_and_round_trips():
    document = {
        "version": 1,
        "mounts": {"7": {"mountPath": "/w/api", "type": "git", "repo": "github.com/acme/api", "branch": "main",
                         "name": "api"}},
        "virtualSources": {"web": {"mountPath": "/w/web", "type": "git"}},
    }

    config = quick_config(document)

    assert config is not None
    assert dump_config(config) == document
    assert load_with_schema(document, "x") == config


def test_schema_errors_name_each_problem():
    try:
        load_with_schema({"version": 1, "mounts": {"7": {"mountPath": "rel", "name": "bad name"}}}, "/p/s.json")
    except LocalConfigError as exc:
        assert exc.path == "/p/s.json"
        assert "mounts.7.mountPath: must be an absolute path, got 'rel'" in exc.details
        assert any(d.startswith("mounts.7.name: must be 1-128 characters") for d in exc.details)
    else:
        raise AssertionError("expected a LocalConfigError")
