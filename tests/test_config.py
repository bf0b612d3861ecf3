"""Configuration: lookup order, interpolation, and every validation error path."""

from __future__ import annotations

from pathlib import Path

import pytest

from costctl import config
from costctl.errors import ConfigError
from costctl.schema import parse_duration


def files_provider(extra: str = "") -> str:
    return f"providers:\n  local:\n    type: files\n    paths: [/tmp/x.csv]\n{extra}"


def test_an_empty_file_gives_defaults():
    cfg = config.parse("", env={})
    assert cfg.providers == {}
    assert cfg.defaults["days"] == 30
    assert cfg.cache["enabled"] is True


def test_interpolation_replaces_variables_and_defaults():
    text = "providers:\n  p:\n    type: files\n    paths: ['${DIR}/a.csv', '${OTHER:-/srv}/b.csv', 'cost$$.csv']\n"
    cfg = config.parse(text, env={"DIR": "/data"})
    assert cfg.providers["p"]["paths"] == ["/data/a.csv", "/srv/b.csv", "cost$.csv"]


def test_interpolation_treats_an_empty_variable_as_unset():
    assert config.interpolate("${X:-fallback}", {"X": ""}) == "fallback"


def test_an_unset_variable_without_default_names_the_key_and_the_variable():
    text = "providers:\n  p:\n    type: files\n    paths: ['${NOPE}/a.csv']\n"
    with pytest.raises(ConfigError, match=r"providers\.p\.paths\[0\]: environment variable NOPE is not set"):
        config.parse(text, env={})


def test_malformed_yaml_names_line_and_column():
    with pytest.raises(ConfigError, match=r"invalid YAML at line \d+, column \d+"):
        config.parse("providers:\n  p: [unclosed\n", env={})


def test_top_level_must_be_a_mapping():
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        config.parse("- a\n- b\n", env={})


def test_an_unknown_provider_type_lists_the_known_ones():
    with pytest.raises(ConfigError) as info:
        config.parse("providers:\n  prod:\n    type: awz\n", env={})
    assert str(info.value).startswith("providers.prod.type: unknown provider type 'awz' (known: ")
    assert "files" in str(info.value)


def test_a_provider_without_type_is_an_error():
    with pytest.raises(ConfigError, match=r"providers\.prod\.type: required key is missing"):
        config.parse("providers:\n  prod:\n    region: x\n", env={})


def test_a_provider_that_is_not_a_mapping_is_an_error():
    with pytest.raises(ConfigError, match=r"providers\.prod: expected a mapping"):
        config.parse("providers:\n  prod: aws\n", env={})


def test_an_unknown_provider_key_is_named():
    with pytest.raises(ConfigError, match=r"providers\.local\.pathz: unknown key"):
        config.parse("providers:\n  local:\n    type: files\n    pathz: [a]\n", env={})


def test_a_missing_required_provider_key_is_named():
    with pytest.raises(ConfigError, match=r"providers\.local\.paths: required key is missing"):
        config.parse("providers:\n  local:\n    type: files\n", env={})


def test_a_wrong_type_is_named_with_what_was_expected():
    with pytest.raises(ConfigError, match=r"providers\.local\.restatement_days: expected a whole number, got 'x'"):
        config.parse(files_provider("    restatement_days: x\n"), env={})


@pytest.mark.parametrize(("text", "message"), [
    ("cache:\n  size_limit_mb: 0\n", r"cache\.size_limit_mb: expected 1 to 1000000000, got 0"),
    ("cache:\n  size_limit_mb: 99999999999999999999999999\n", r"cache\.size_limit_mb: expected 1 to 1000000000"),
    ("defaults:\n  days: -3\n", r"defaults\.days: expected 1 to 36500, got -3"),
    ("check:\n  top: -1\n", r"check\.top: expected 0 or more, got -1"),
    ("prometheus:\n  top_services: -2\n", r"prometheus\.top_services: expected 0 or more, got -2"),
])
def test_out_of_range_numbers_are_named_with_the_range(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.parse(text, env={})


@pytest.mark.parametrize(("text", "message"), [
    ("budgets:\n  q:\n    amount: 10\n    start: 2026-02-30\n",
     r"budgets\.q\.start: expected a date as YYYY-MM-DD, got '2026-02-30'"),
    ("budgets:\n  q:\n    amount: 10\n    start: 2026-01-01 10:00:00\n",
     r"budgets\.q\.start: expected a date as YYYY-MM-DD, got '2026-01-01 10:00:00'"),
    ("budgets:\n  q:\n    amount: .nan\n", r"budgets\.q\.amount: expected a finite number, got float nan"),
    ("budgets:\n  q:\n    amount: " + "9" * 400 + "\n", r"budgets\.q\.amount: expected a finite number"),
    ("a: &x [*x]\n", r"a YAML alias \(\*name\) is used inside its own anchor"),
    ('cache:\n  path: "/var/a\\0b"\n', r"cache\.path: expected a string, got '/var/a\\x00b'"),
    ("cache:\n  1: a\n  foo: b\n", r"cache\.1: unknown key"),
    ("providers:\n  x:\n    type: [files]\n", r"providers\.x\.type: expected a provider type name .*got list"),
])
def test_odd_yaml_is_one_config_error_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.parse(text, env={})


def test_values_from_environment_variables_are_converted_to_the_key_kind() -> None:
    text = "defaults:\n  days: ${DAYS:-7}\ncache:\n  enabled: ${CACHE:-false}\n" \
           "budgets:\n  q:\n    amount: ${AMOUNT}\n"
    cfg = config.parse(text, env={"AMOUNT": "1250.5"})
    assert cfg.defaults["days"] == 7 and cfg.cache["enabled"] is False
    assert cfg.section("budgets")["q"]["amount"] == "1250.5"  # kept raw; the budget spec parses it
    with pytest.raises(ConfigError, match=r"defaults\.days: expected a whole number, got 'seven'"):
        config.parse(text, env={"DAYS": "seven", "AMOUNT": "1"})
    with pytest.raises(ConfigError, match=r"budgets\.q\.amount: expected a finite number, got 'inf'"):
        config.parse(text, env={"AMOUNT": "inf"})


def test_a_files_provider_needs_at_least_one_path():
    with pytest.raises(ConfigError, match=r"providers\.local\.paths: expected at least one file or glob pattern"):
        config.parse("providers:\n  local:\n    type: files\n    paths: []\n", env={})


def test_a_negative_restatement_window_is_named():
    with pytest.raises(ConfigError, match=r"providers\.local\.restatement_days: expected 0 or more, got -1"):
        config.parse(files_provider("    restatement_days: -1\n"), env={})


def test_a_bad_duration_is_named():
    with pytest.raises(ConfigError, match=r"providers\.local\.ttl: expected a duration"):
        config.parse(files_provider("    ttl: soon\n"), env={})


def test_durations_accept_units():
    cfg = config.parse(files_provider("    ttl: 30m\n"), env={})
    assert cfg.providers["local"]["ttl"] == 1800.0
    assert parse_duration("36h") == 129600
    assert parse_duration(90) == 90


def test_an_unknown_top_level_key_is_named():
    with pytest.raises(ConfigError, match=r"^cahce: unknown key"):
        config.parse("cahce: {}\n", env={})


def test_a_bad_choice_is_named():
    with pytest.raises(ConfigError, match=r"defaults\.metric: expected one of billed, effective, got 'net'"):
        config.parse("defaults:\n  metric: net\n", env={})


def test_a_bad_provider_name_is_rejected():
    with pytest.raises(ConfigError, match=r"providers\.bad name: provider names"):
        config.parse("providers:\n  bad name:\n    type: files\n    paths: [a]\n", env={})


def test_threshold_sections_are_validated():
    with pytest.raises(ConfigError, match=r"thresholds\.day\.warn: unknown key"):
        config.parse("thresholds:\n  day:\n    warn: 10\n", env={})


def test_lookup_order(tmp_path: Path):
    xdg = tmp_path / "xdg"
    (xdg / "costctl").mkdir(parents=True)
    xdg_file = xdg / "costctl" / "config.yaml"
    xdg_file.write_text("")
    env_file = tmp_path / "env.yaml"
    env_file.write_text("")
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text("")
    env = {"COSTCTL_CONFIG": str(env_file), "XDG_CONFIG_HOME": str(xdg), "HOME": str(tmp_path)}
    assert config.find_config(str(explicit), env) == str(explicit)
    assert config.find_config(None, env) == str(env_file)
    assert config.find_config(None, {"XDG_CONFIG_HOME": str(xdg), "HOME": str(tmp_path)}) == str(xdg_file)
    home_default = tmp_path / ".config" / "costctl"
    home_default.mkdir(parents=True)
    (home_default / "config.yaml").write_text("")
    assert config.find_config(None, {"HOME": str(tmp_path)}) == str(home_default / "config.yaml")


def test_a_missing_explicit_config_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        config.find_config(str(tmp_path / "nope.yaml"), {})
    with pytest.raises(ConfigError, match=r"\$COSTCTL_CONFIG"):
        config.find_config(None, {"COSTCTL_CONFIG": str(tmp_path / "nope.yaml")})
    with pytest.raises(ConfigError, match=r"is a directory; give the YAML file"):
        config.find_config(str(tmp_path), {})


def test_the_example_config_is_valid():
    example = Path(__file__).parents[1] / "config.example.yaml"
    env = {"AWS_PROFILE": "x", "AZURE_CLIENT_SECRET": "s", "AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c",
           "GCP_BILLING_TABLE": "p.d.t", "HOME": "/tmp"}
    cfg = config.parse(example.read_text(), str(example), env)
    assert cfg.providers


def test_show_redacts_secrets(fake_plugin):
    cfg = config.parse("providers:\n  f:\n    type: fake\n    log: /tmp/l\n    token: hunter2\n", env={})
    shown = config.redacted(cfg)
    assert shown["providers"]["f"]["token"] == "***"
    assert shown["providers"]["f"]["log"] == "/tmp/l"


def test_show_redacts_nested_secrets_such_as_a_connection_string():
    text = ("providers:\n  az:\n    type: azure\n    scope: subscriptions/00000000-0000-0000-0000-000000000000\n"
            "    exports:\n      connection_string: 'DefaultEndpointsProtocol=https;AccountKey=abc'\n"
            "      container: costs\n")
    shown = config.redacted(config.parse(text, env={}))
    assert shown["providers"]["az"]["exports"]["connection_string"] == "***"
    assert shown["providers"]["az"]["exports"]["container"] == "costs"


def test_the_example_athena_block_is_valid_and_bad_athena_keys_name_their_path():
    """The commented ``athena:`` block of config.example.yaml, switched on, parses; a wrong key is named in full."""
    import re

    example = (Path(__file__).parents[1] / "config.example.yaml").read_text()
    block = re.search(r"^    # athena:.*?(?=^    max_retry_time)", example, re.S | re.M).group(0)
    on = "\n".join(re.sub(r"\s+#.*$", "", re.sub(r"^(\s*)# ?", r"\1", line)) for line in block.splitlines())
    text = "providers:\n  cur:\n    type: aws\n" + on + "\n"
    cfg = config.parse(text, env={})
    assert cfg.providers["cur"]["athena"]["max_scan_gb"] == 50.0
    with pytest.raises(ConfigError, match=r"providers\.cur\.athena: max_scan_gb"):
        config.parse(text.replace("max_scan_gb: 50", "max_scan_gb: lots"), env={})
    with pytest.raises(ConfigError, match=r"providers\.cur\.athena: tabel: unknown key"):
        config.parse(text.replace("table:", "tabel:"), env={})
