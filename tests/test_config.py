"""The mock's world: the built-in default and ``--config`` files, refused by field when wrong."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest
import world

from mockserver.config import DEFAULT_CONFIG_DATA, Config, ConfigError, Timings, load_config, parse_config

GOOD = """\
timings:
  first_segment_seconds: 1
  segment_interval_seconds: 2.5
organizations:
  - id: org_one
    name: One
    segment_quota: 7
  - id: org_two
users:
  - id: usr_a
    api_key: key-aaaa-1234
    organizations: [org_one]
  - id: usr_b
    name: B
    api_key: key-bbbb-1234
    organizations: [org_one, org_two]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "world.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return str(caught.value)


def test_the_default_world_exercises_every_ownership_clause() -> None:
    """D7/I9/I10 need two users in one organization and a third user in another."""
    config = load_config(None)
    members = Counter(org for user in config.users for org in user.organizations)
    shared = [org for org, count in members.items() if count >= 2]
    assert shared
    outsiders = [u for u in config.users if not set(u.organizations) & set(shared)]
    assert outsiders
    assert {o.id for o in config.organizations} >= set(members)


def test_the_tests_view_of_the_default_world_is_current() -> None:
    config = load_config(None)
    users = {u.api_key: u.organizations for u in config.users}
    assert users[world.ALICE] == users[world.BOB] == (world.ORG,)
    assert users[world.CAROL] == (world.OTHER_ORG,)
    assert config.timings == Timings(world.FIRST, world.INTERVAL)
    assert config.organization(world.OTHER_ORG).segment_quota == 20  # type: ignore[union-attr]
    assert load_config(None) == parse_config(DEFAULT_CONFIG_DATA)


def test_a_good_file_is_loaded(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert isinstance(config, Config)
    assert config.timings == Timings(1, 2.5)
    assert [(o.id, o.segment_quota) for o in config.organizations] == [("org_one", 7), ("org_two", 10_000)]
    assert config.users[1].organizations == ("org_one", "org_two")
    assert config.users[0].name == ""


def test_timings_may_be_left_out(tmp_path: Path) -> None:
    text = GOOD.split("organizations:", 1)[1]
    assert load_config(write(tmp_path, "organizations:" + text)).timings == Timings()


@pytest.mark.parametrize(
    ("old", "new", "names"),
    [
        (
            "organizations: [org_one, org_two]",
            "organizations: [org_one, org_nine]",
            "users[1].organizations[1]",
        ),
        ("  - id: usr_b", "  - id: usr_a", "users[1].id"),
        ("  - id: org_two", "  - id: org_one", "organizations[1].id"),
        ("segment_quota: 7", "segment_quota: many", "organizations[0].segment_quota"),
        ("segment_quota: 7", "segment_quota: -1", "organizations[0].segment_quota"),
        ("segment_quota: 7", "segment_quota: true", "organizations[0].segment_quota"),
        ("segment_interval_seconds: 2.5", "segment_interval_seconds: 0", "timings.segment_interval_seconds"),
        ("first_segment_seconds: 1", "first_segment_seconds: soon", "timings.first_segment_seconds"),
        ("api_key: key-aaaa-1234", "api_key: short", "users[0].api_key"),
        ("organizations: [org_one]", "organizations: org_one", "users[0].organizations"),
        ("organizations: [org_one]", "organizations: []", "users[0].organizations"),
        ("  - id: usr_a", "  - id: usr a", "users[0].id"),
    ],
    ids=[
        "unknown-organization",
        "duplicate-user-id",
        "duplicate-organization-id",
        "quota-not-a-number",
        "negative-quota",
        "boolean-quota",
        "zero-interval",
        "first-not-a-number",
        "short-api-key",
        "organizations-not-a-list",
        "no-organizations",
        "id-with-space",
    ],
)
def test_a_bad_file_is_refused_naming_the_field(tmp_path: Path, old: str, new: str, names: str) -> None:
    assert old in GOOD
    assert refused(tmp_path, GOOD.replace(old, new, 1)).startswith(names + ":")


@pytest.mark.parametrize(
    ("edits", "lines"),
    [
        (
            [
                ("  - id: org_two", "  - id: org_one"),
                ("  - id: usr_b", "  - id: usr_a"),
                ("organizations: [org_one, org_two]", "organizations: [org_nope, org_one]"),
            ],
            [
                "organizations[1].id: duplicate value 'org_one'",
                "users[1].id: duplicate value 'usr_a'",
                "users[1].organizations[0]: unknown organization 'org_nope'",
            ],
        ),
        (
            [
                ("segment_quota: 7", "segment_quota: ten"),
                ("  - id: usr_a\n", "  - id: usr_a\n    email: a@example.com\n"),
                ("organizations: [org_one]", "organizations: []"),
                ("    api_key: key-bbbb-1234\n", ""),
            ],
            [
                "organizations[0].segment_quota: must be a whole number, not 'ten'",
                "users[0].email: is not a known key (allowed: id, name, api_key, organizations)",
                "users[0].organizations: must not be empty",
                "users[1].api_key: is required",
            ],
        ),
    ],
    ids=["cross-checks", "schema-in-words"],
)
def test_every_mistake_is_named_in_one_go_in_file_order(
    tmp_path: Path, edits: list[tuple[str, str]], lines: list[str]
) -> None:
    """Regression: only the first duplicate or unknown organization was named (a run per mistake),
    and schema lines mixed jsonschema's own text ("'ten' is not of type 'integer'") with the mock's,
    an unknown key not saying which keys are allowed."""
    text = GOOD
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    assert refused(tmp_path, text).splitlines() == lines


def test_a_duplicate_api_key_is_refused_without_showing_it(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace("key-bbbb-1234", "key-aaaa-1234"))
    assert message.startswith("users[1].api_key:")
    assert "key-aaaa-1234" not in message


@pytest.mark.parametrize(
    ("old", "new", "key", "section"),
    [
        ("    name: B\n", "    name: B\n    email: b@example.com\n", "email", "users[1]"),
        ("    segment_quota: 7\n", "    segment_quota: 7\n    quota: 8\n", "quota", "organizations[0]"),
        ("timings:\n", "timing:\n", "timing", "(top level)"),
    ],
)
def test_an_unknown_key_is_refused_naming_it(
    tmp_path: Path, old: str, new: str, key: str, section: str
) -> None:
    message = refused(tmp_path, GOOD.replace(old, new, 1))
    field = key if section == "(top level)" else f"{section}.{key}"
    assert message.startswith(f"{field}: is not a known key (allowed: ")


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            "    api_key: key-aaaa-1234\n",
            "    api_key: key-aaaa-1234\n    api_key: key-cccc-1234\n",
            "api_key",
        ),
        ("  - id: org_two\n", "  - id: org_two\n    id: org_three\n", "id"),
        ("users:\n", "timings: {}\nusers:\n", "timings"),
    ],
)
def test_a_key_given_twice_is_refused_naming_it(tmp_path: Path, old: str, new: str, key: str) -> None:
    """Regression: YAML quietly kept the last of two equal keys, so a mistake became a wrong world."""
    message = refused(tmp_path, GOOD.replace(old, new, 1))
    assert f"duplicate key {key!r}" in message
    assert "line" in message


def test_yaml_merge_keys_may_override_what_they_merge(tmp_path: Path) -> None:
    text = GOOD.replace("  - id: org_one\n", "  - &one\n    id: org_one\n").replace(
        "  - id: org_two\n", "  - <<: *one\n    id: org_two\n"
    )
    config = load_config(write(tmp_path, text))
    assert [(o.id, o.segment_quota) for o in config.organizations] == [("org_one", 7), ("org_two", 7)]


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    """Regression: undecodable bytes escaped as a UnicodeDecodeError instead of a ConfigError."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("name: One", "name: Caf\xe9").encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_invalid_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    message = refused(tmp_path, "organizations: [\n  - id: x\nusers: ]\n")
    assert "not valid YAML" in message
    assert "line" in message


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, "").startswith("(top level):")


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, "- a\n- b\n").startswith("(top level):")


def test_required_sections_are_named(tmp_path: Path) -> None:
    assert "users: is required" in refused(tmp_path, GOOD.split("users:", 1)[0])


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError, match=r"cannot read config file .*nowhere\.yaml"):
        load_config(missing)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path)


def test_an_api_key_is_never_shown_in_an_error(tmp_path: Path) -> None:
    """Regression: a key with a space was echoed back with the pattern it failed."""
    message = refused(tmp_path, GOOD.replace("key-aaaa-1234", '"sk-live SECRET-1234567890"'))
    assert message == "users[0].api_key: must be 8 to 256 printable ASCII characters without spaces"


def test_an_api_key_that_is_not_text_is_not_shown_either(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD.replace("key-aaaa-1234", "123456789"))
    assert message.startswith("users[0].api_key: must be 8 to 256 printable")
    assert "123456789" not in message


def test_a_yaml_syntax_error_does_not_quote_the_line(tmp_path: Path) -> None:
    """PyYAML's message repeats the offending line, which may be the one with the key."""
    message = refused(tmp_path, GOOD.replace("api_key: key-aaaa-1234", "api_key: sk-live: SECRET-12345"))
    assert "SECRET" not in message
    assert "line 11, column 21: mapping values are not allowed here" in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "segment_interval_seconds: 2.5",
            "segment_interval_seconds: 1e3",
            "timings.segment_interval_seconds: "
            "must be a number (YAML reads 1e3 as text; write 1000 or 1.0e+3)",
        ),
        (
            "first_segment_seconds: 1",
            "first_segment_seconds: 1e-9",
            "timings.first_segment_seconds: must be a number (YAML reads 1e-9 as text; write 1.0e-9)",
        ),
        (
            "segment_quota: 7",
            "segment_quota: 1e3",
            "organizations[0].segment_quota: must be a whole number (YAML reads 1e3 as text; write 1000)",
        ),
    ],
    ids=["1e3", "1e-9", "whole-1e3"],
)
def test_a_number_yaml_reads_as_text_is_explained(tmp_path: Path, old: str, new: str, expected: str) -> None:
    """PyYAML (YAML 1.1) loads ``1e3`` as a string; the message says how to write it instead."""
    assert refused(tmp_path, GOOD.replace(old, new, 1)) == expected


def test_the_suggested_spellings_are_read_as_numbers(tmp_path: Path) -> None:
    text = GOOD.replace("segment_interval_seconds: 2.5", "segment_interval_seconds: 1.0e+3").replace(
        "first_segment_seconds: 1", "first_segment_seconds: 1.0e-9"
    )
    assert load_config(write(tmp_path, text)).timings == Timings(1e-9, 1000)


def test_every_mistake_is_reported_in_the_order_of_the_file(tmp_path: Path) -> None:
    text = (
        GOOD.replace("api_key: key-bbbb-1234", "api_key: short")
        .replace("  - id: org_two", "  - id: org two")
        .replace("segment_interval_seconds: 2.5", "segment_interval_seconds: 0")
    )
    assert refused(tmp_path, text).splitlines() == [
        "timings.segment_interval_seconds: must be more than 0, not 0",
        "organizations[1].id: must be 1 to 64 letters, digits, '_' or '-', not 'org two'",
        "users[1].api_key: must be 8 to 256 printable ASCII characters without spaces",
    ]
