"""``generate_config``: a commented example that loads, shows every key, and whose examples work."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator

import pytest
from pydantic import BaseModel

from loka_stratum.config import Settings, generate_config
from loka_stratum.config.generate import EXAMPLE_MARKER
from loka_stratum.config.schema import item_model, iter_leaves, section_model

from .conftest import Loader

COMMENTED_KEY = re.compile(r"^# (\[\[[a-z_.]+\]\]|[a-z_0-9]+ = .*)$")


def all_models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    yield model
    for info in model.model_fields.values():
        nested = section_model(info.annotation) or item_model(info.annotation)
        if nested is not None:
            yield from all_models(nested)


def uncomment_examples(text: str) -> str:
    """What an operator does: uncomment every commented key and example table."""
    return "\n".join(line[2:] if COMMENTED_KEY.match(line) else line for line in text.splitlines())


def test_generated_config_loads_as_the_defaults(load: Loader) -> None:
    loaded = load(generate_config())
    assert loaded.settings == Settings()
    assert "env:" not in "".join(loaded.provenance.values())


def test_every_key_with_a_default_is_set_in_the_file() -> None:
    data = tomllib.loads(generate_config())
    defaults = Settings().model_dump()
    for leaf in iter_leaves(Settings):
        table = data
        for part in leaf.path[:-1]:
            table = table[part]
        default = defaults
        for part in leaf.path:
            default = default[part]
        if default is None or item_model(leaf.info.annotation) is not None:
            assert leaf.path[-1] not in table, leaf.dotted
        else:
            assert leaf.path[-1] in table, leaf.dotted


@pytest.mark.parametrize("model", list(all_models(Settings)), ids=lambda model: model.__name__)
def test_every_field_is_described(model: type[BaseModel]) -> None:
    for name, info in model.model_fields.items():
        nested = section_model(info.annotation)
        assert nested is not None or info.description, f"{model.__name__}.{name}"
        if not info.is_required() and info.default is None:
            assert info.examples, f"{model.__name__}.{name} has no example for generate"


def test_descriptions_become_comments() -> None:
    text = generate_config()
    assert "# The main stratum port.\nport = 3333\n" in text
    assert '# Close a connection that has sent nothing for this long.\nidle_timeout = "10m"' in text
    assert '\n# rpc_url = "http://127.0.0.1:8332"\n' in text


def test_extra_ports_and_upstreams_are_commented_examples() -> None:
    text = generate_config()
    assert text.count("# [[server.ports]]") == 4
    assert text.count("# [[pool.upstreams]]") == 2
    assert "\n[[" not in text


def test_uncommented_examples_load(load: Loader) -> None:
    settings = load(uncomment_examples(generate_config())).settings
    assert [port.port for port in settings.server.ports] == [3334, 3335, 3336, 3337]
    assert [port.name for port in settings.server.ports] == ["cpu", "small", "asic", "rental"]
    assert [upstream.name for upstream in settings.pool.upstreams] == ["primary", "backup"]
    assert settings.pool.upstreams[1].host == "2001:db8::1"
    assert settings.bitcoind.rpc_user == "loka"
    assert settings.http.admin_token is not None


def test_each_example_block_follows_a_marker() -> None:
    blocks = generate_config().split(EXAMPLE_MARKER)[1:]
    assert len(blocks) == 3
    assert [block.splitlines()[2] for block in blocks] == [
        "# [[server.ports]]",
        "# [[pool.upstreams]]",
        "# [[federation.peers]]",
    ]
