"""Config files: valid ones load, bad ones fail with one line naming the key and file."""

from pathlib import Path

import pytest

from tickwire.core.config import ClientConfig, Credentials, load_config
from tickwire.core.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tickwire.toml"
    path.write_text(text)
    return path


def test_loads_endpoints_policies_and_secrets_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TW_KEY", "key-value")
    monkeypatch.setenv("TW_SECRET", "secret-value")
    path = write(
        tmp_path,
        """
venue = "kraken"
[endpoints]
ws_url = "ws://127.0.0.1:1/v2"
[credentials]
api_key_env = "TW_KEY"
api_secret_env = "TW_SECRET"
[reconnect]
max_delay = 5.0
[heartbeat.stale_after]
book = 3.0
""",
    )
    config = load_config(path)
    assert config.venue == "kraken"
    assert config.ws_url == "ws://127.0.0.1:1/v2"
    assert config.reconnect.max_delay == 5.0
    assert config.heartbeat.stale_after == {"book": 3.0}
    assert config.credentials is not None
    assert config.credentials.api_secret == "secret-value"


def test_secrets_never_appear_in_reprs(monkeypatch):
    credentials = Credentials("the-key", "the-secret", "the-passphrase")
    config = ClientConfig(venue="kraken", credentials=credentials)
    for text in (repr(credentials), str(credentials), repr(config)):
        assert "the-secret" not in text and "the-key" not in text and "passphrase" not in text


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('venue = "kraken"\n[reconect]\nmax_delay = 1.0\n', "reconect"),
        ('venue = "kraken"\n[reconnect]\nmax_delay = "soon"\n', "max_delay"),
        ('[endpoints]\nws_url = "x"\n', "venue"),
        (
            'venue = "kraken"\n[credentials]\napi_key_env = "TW_MISSING_KEY"\n'
            'api_secret_env = "TW_MISSING_SECRET"\n',
            "TW_MISSING_KEY",
        ),
    ],
)
def test_bad_config_fails_with_one_line_naming_key_and_file(tmp_path, body, named):
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert named in message
    assert str(path) in message
    assert "\n" not in message
