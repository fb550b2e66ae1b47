"""Config: file + --set -> RunConfig; every error text in full."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanse.config import load_config, parse_set
from cleanse.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cleanse.toml"
    path.write_text(text)
    return path


def test_file_then_set_then_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'pipeline = ["fix_encoding", "exact_dedup"]\nworkers = 3\n'
        '[input]\ntext_column = "body"\n[exact_dedup]\n',
    )
    config = load_config(
        inputs=["x"], output="out", config_file=path, sets=["input.text_column=content"]
    )
    assert config.pipeline == ("fix_encoding", "exact_dedup")
    assert config.workers == 3
    assert config.mapping.text_column == "content"
    assert config.batch_size == 1000


def test_cli_workers_beat_file(tmp_path: Path) -> None:
    path = write(tmp_path, "workers = 3\n")
    assert load_config(inputs=["x"], output="o", config_file=path, workers=1).workers == 1


def test_unknown_stage_in_pipeline_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, 'pipeline = ["fix_encodng"]\n')
    with pytest.raises(ConfigError) as err:
        load_config(inputs=["x"], output="o", config_file=path)
    assert str(err.value) == (
        f'config error in {path}: "fix_encodng" is not a stage\n'
        '  hint: did you mean "fix_encoding"?'
    )
    assert err.value.exit_code == 2


def test_unknown_top_level_key_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, "worker = 2\n")
    with pytest.raises(ConfigError) as err:
        load_config(inputs=["x"], output="o", config_file=path)
    assert str(err.value) == (
        f'config error in {path}: worker is not a setting\n  hint: did you mean "workers"?'
    )


def test_unknown_stage_option_suggests() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(inputs=["x"], output="o", sets=["exact_dedup.treshold=0.5"])
    assert str(err.value).startswith(
        'config error: exact_dedup.treshold is not an option of "exact_dedup"'
    )


def test_wrong_type_is_named() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(inputs=["x"], output="o", sets=["input.text_column=3"])
    assert str(err.value) == "config error: input.text_column must be a string (got 3)"


def test_unknown_input_key_suggests() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(inputs=["x"], output="o", sets=["input.text_colum=body"])
    assert str(err.value) == (
        "config error: input.text_colum is not a setting of [input]\n"
        '  hint: did you mean "text_column"?'
    )


def test_bad_toml_names_file(tmp_path: Path) -> None:
    path = write(tmp_path, "pipeline = [\n")
    with pytest.raises(ConfigError, match=f"config error in {path}: not valid TOML"):
        load_config(inputs=["x"], output="o", config_file=path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(inputs=["x"], output="o", config_file=tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("a.b=1", (["a", "b"], 1)),
        ("a.b=true", (["a", "b"], True)),
        ('a.b="x y"', (["a", "b"], "x y")),
        ("a.b=plain words", (["a", "b"], "plain words")),
        ('a.b=["x", "y"]', (["a", "b"], ["x", "y"])),
    ],
    ids=["int", "bool", "quoted", "bare-string", "list"],
)
def test_parse_set(item: str, expected: tuple[list[str], object]) -> None:
    assert parse_set(item) == expected


def test_parse_set_without_equals() -> None:
    with pytest.raises(ConfigError, match="is not key=value"):
        parse_set("near_dedup.threshold")
