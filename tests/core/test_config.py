"""Config files: valid ones load, bad ones fail with one line naming the key and file."""

import os
from pathlib import Path

import pytest

from tickwire.core.config import ClientConfig, Credentials, SubscriptionConfig, load_config
from tickwire.core.errors import ConfigError
from tickwire.core.types import Channel


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


PER_VENUE = """venue = "kraken"
[credentials.kraken]
api_key_env = "TW_NO_KRAKEN_KEY"
api_secret_env = "TW_NO_KRAKEN_SECRET"
"""


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
        (
            'venue = "kraken"\n[credentials]\napi_key_env = "TW_MISSING_KEY"\n'
            'api_secret_env = "TW_MISSING_SECRET"\n',
            "credentials.api_secret_env",
        ),
        ('venue = "kraken"\n[endpoints]\nws_ulr = "ws://x"\n', "endpoints.ws_ulr"),
        ('venue = "kraken"\n[queue]\noverflow = "sometimes"\n', "queue.overflow"),
        ('venue = "kraken"\nrequest_timeout = "10s"\n', "request_timeout"),
        ('venue = "kraken"\n[[subscriptions]]\nchannel = "tickr"\n', "subscriptions[0].channel"),
        (
            'venue = "kraken"\n[[subscriptions]]\nchannel = "ticker"\nsymbol = ["BTC/USD"]\n',
            "subscriptions[0].symbol",
        ),
        (
            'venue = "kraken"\n[[subscriptions]]\nchannel = "ticker"\nsymbols = "BTC/USD"\n',
            "subscriptions[0].symbols",
        ),
        ('venue = "kraken"\n[reconnect\n', "not valid TOML"),
        # One table per venue: every table is checked, the key named with its venue.
        (
            PER_VENUE + '[credentials.kucoin]\napi_key_envv = "A"\napi_secret_env = "B"\n',
            "unknown key 'credentials.kucoin.api_key_envv'",
        ),
        (
            'venue = "kucoin"\n[credentials.kucoin]\napi_key_env = "A"\n',
            "missing key 'credentials.kucoin.api_secret_env'",
        ),
        (
            'venue = "kraken"\n[credentials.kraken]\napi_key_env = 1\napi_secret_env = "B"\n',
            "key 'credentials.kraken.api_key_env': expected str",
        ),
        (PER_VENUE, "credentials.kraken.api_key_env: environment variable TW_NO_KRAKEN_KEY"),
        # Flat keys and per-venue tables do not mix.
        (PER_VENUE + '[credentials]\napi_key_env = "A"\n', "unknown key 'credentials.kraken'"),
        ('venue = "kraken"\napp = 1\n', "key 'app'"),
    ],
)
def test_bad_config_fails_with_one_line_naming_key_and_file(tmp_path, body, named):
    for name in ("TW_NO_KRAKEN_KEY", "TW_NO_KRAKEN_SECRET"):
        assert name not in os.environ
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert named in message
    assert str(path) in message
    assert "\n" not in message


def test_a_missing_secret_names_the_key_and_the_variable_but_never_a_value(tmp_path, monkeypatch):
    monkeypatch.setenv("TW_KEY", "the-key-value")
    monkeypatch.delenv("TW_UNSET_SECRET", raising=False)
    path = write(
        tmp_path,
        'venue = "kucoin"\n[credentials]\napi_key_env = "TW_KEY"\n'
        'api_secret_env = "TW_UNSET_SECRET"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message == (
        f"{path}: missing secret: credentials.api_secret_env: "
        "environment variable TW_UNSET_SECRET is not set"
    )
    assert "the-key-value" not in message


def test_subscriptions_are_loaded_in_file_order(tmp_path):
    path = write(
        tmp_path,
        """
venue = "kucoin"
[[subscriptions]]
channel = "ticker"
symbols = ["BTC/USDT", "ETH/USDT"]
[[subscriptions]]
channel = "book"
symbols = ["BTC/USDT"]
options = { depth = 50 }
[[subscriptions]]
channel = "orders"
""",
    )
    config = load_config(path)
    assert config.subscriptions == (
        SubscriptionConfig(channel=Channel.TICKER, symbols=("BTC/USDT", "ETH/USDT")),
        SubscriptionConfig(channel=Channel.BOOK, symbols=("BTC/USDT",), options={"depth": 50}),
        SubscriptionConfig(channel=Channel.ORDERS),
    )
    assert ClientConfig(venue="kucoin").subscriptions == ()


def test_the_documented_example_config_loads(tmp_path, monkeypatch):
    """The schema in core/config.py's docstring is a real, loadable file."""
    from tickwire.core import config as config_module

    doc = config_module.__doc__ or ""
    start = doc.index('    venue = "kraken"')
    end = doc.index("Rate limits:")
    text = "\n".join(line[4:] for line in doc[start:end].splitlines())
    for name in ("KRAKEN_API_KEY", "KRAKEN_API_SECRET", "KUCOIN_PASSPHRASE"):
        monkeypatch.setenv(name, f"value-of-{name}")
    config = load_config(write(tmp_path, text))
    assert config.venue == "kraken"
    assert config.heartbeat.stale_after == {"book": 30.0}
    assert config.reconnect.max_attempts == 20
    assert [s.channel for s in config.subscriptions] == [Channel.TICKER, Channel.BOOK]
    assert config.subscriptions[1].options == {"depth": 10}
    assert config.options == {"msg_limit": 100, "msg_window": 10.0}


def test_the_readme_config_loads_and_its_errors_read_as_shown(tmp_path, monkeypatch):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Config file") :]
    text = section[section.index("```toml") + len("```toml") : section.index("```\n", 10)]
    monkeypatch.setenv("KRAKEN_API_KEY", "k" * 16)
    monkeypatch.setenv("KRAKEN_API_SECRET", "s" * 32)
    config = load_config(write(tmp_path, text))
    assert [s.channel for s in config.subscriptions] == [Channel.TICKER, Channel.BOOK]
    monkeypatch.delenv("KRAKEN_API_SECRET")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert str(caught.value).endswith(
        "tickwire.toml: missing secret: credentials.api_secret_env: "
        "environment variable KRAKEN_API_SECRET is not set"
    )
    assert f"{tmp_path / 'tickwire.toml'}: " in str(caught.value)
    typo = text.replace("max_delay", "max_dealy")
    with pytest.raises(
        ConfigError,
        match=r"tickwire.toml: unknown key 'reconnect.max_dealy' \(did you mean 'max_delay'\?\)$",
    ):
        load_config(write(tmp_path, typo))


PER_VENUE_FILE = """
venue = "{venue}"
[credentials.kraken]
api_key_env = "TW_KRAKEN_KEY"
api_secret_env = "TW_KRAKEN_SECRET"
[credentials.kucoin]
api_key_env = "TW_KUCOIN_KEY"
api_secret_env = "TW_KUCOIN_SECRET"
passphrase_env = "TW_KUCOIN_PASSPHRASE"
"""


@pytest.mark.parametrize("venue", ["kraken", "kucoin"])
def test_per_venue_credentials_use_the_table_the_venue_line_names(tmp_path, monkeypatch, venue):
    for name in ("KEY", "SECRET", "PASSPHRASE"):
        monkeypatch.setenv(f"TW_KUCOIN_{name}", f"kucoin-{name.lower()}")
    monkeypatch.setenv("TW_KRAKEN_KEY", "kraken-key")
    monkeypatch.setenv("TW_KRAKEN_SECRET", "kraken-secret")
    config = load_config(write(tmp_path, PER_VENUE_FILE.format(venue=venue)))
    assert config.venue == venue and config.credentials is not None
    assert config.credentials.api_key == f"{venue}-key"
    assert config.credentials.api_secret == f"{venue}-secret"
    assert config.credentials.passphrase == ("kucoin-passphrase" if venue == "kucoin" else None)
    # The other venue's variables are not needed: only the selected table is read.
    other = "KUCOIN" if venue == "kraken" else "KRAKEN"
    for name in ("KEY", "SECRET", "PASSPHRASE"):
        monkeypatch.delenv(f"TW_{other}_{name}", raising=False)
    assert load_config(write(tmp_path, PER_VENUE_FILE.format(venue=venue))).credentials
    monkeypatch.delenv(f"TW_{venue.upper()}_SECRET")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, PER_VENUE_FILE.format(venue=venue)))
    assert str(caught.value).endswith(
        f"missing secret: credentials.{venue}.api_secret_env: "
        f"environment variable TW_{venue.upper()}_SECRET is not set"
    )
    assert f"{venue}-key" not in str(caught.value)
    # secrets=False checks the tables and reads no variable.
    assert (
        load_config(write(tmp_path, PER_VENUE_FILE.format(venue=venue)), secrets=False).credentials
        is None
    )


def test_no_table_for_the_selected_venue_means_no_credentials(tmp_path):
    config = load_config(write(tmp_path, PER_VENUE_FILE.format(venue="examplex")))
    assert config.venue == "examplex" and config.credentials is None


def test_the_documented_per_venue_credentials_load(tmp_path, monkeypatch):
    from tickwire.core import config as config_module

    doc = config_module.__doc__ or ""
    start = doc.index("    [credentials.kraken]")
    end = doc.index("Any problem is one")
    tables = "\n".join(line[4:] for line in doc[start:end].splitlines())
    for name in ("KUCOIN_API_KEY", "KUCOIN_API_SECRET", "KUCOIN_PASSPHRASE"):
        monkeypatch.setenv(name, f"value-of-{name}")
    config = load_config(write(tmp_path, f'venue = "kucoin"\n{tables}'))
    assert config.credentials is not None
    assert config.credentials.passphrase == "value-of-KUCOIN_PASSPHRASE"


def test_the_app_table_is_the_programs_own(tmp_path):
    config = load_config(write(tmp_path, 'venue = "kraken"\n[app]\nmarket = "BTC/USD"\n'))
    assert config.app == {"market": "BTC/USD"}
    assert ClientConfig(venue="kraken").app == {}
