"""Settings from defaults, rse.toml and RSE_* variables; the generated secret key."""

from __future__ import annotations

import stat

import pytest

from rse_core.settings import Settings

pytestmark = pytest.mark.portable


def test_defaults_put_everything_in_the_data_dir(tmp_path):
    settings = Settings.load(env={"RSE_DATA_DIR": str(tmp_path / "d")})
    assert settings.data_dir == tmp_path / "d"
    assert settings.database_url == f"sqlite:///{tmp_path / 'd' / 'rse.db'}"


def test_environment_beats_toml_and_keywords_beat_both(tmp_path):
    config = tmp_path / "rse.toml"
    config.write_text('data_dir = "from-toml"\ndebug = true\nallowed_hosts = ["a.example"]\n')
    env = {"RSE_CONFIG": str(config), "RSE_DATA_DIR": str(tmp_path / "from-env")}
    settings = Settings.load(env=env)
    assert settings.data_dir == tmp_path / "from-env"
    assert settings.debug is True
    assert settings.allowed_hosts == ("a.example",)
    assert Settings.load(env=env, debug=False).debug is False


def test_boolean_and_list_variables_are_parsed():
    env = {"RSE_TRACE_HOOKS": "1", "RSE_ALLOWED_HOSTS": "intranet.example, localhost"}
    settings = Settings.load(env=env)
    assert settings.trace_hooks is True
    assert settings.allowed_hosts == ("intranet.example", "localhost")


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    settings = Settings.load(env={"RSE_DATA_DIR": str(tmp_path)}).ensure_secret_key()
    again = Settings.load(env={"RSE_DATA_DIR": str(tmp_path)}).ensure_secret_key()
    assert len(settings.secret_key) >= 40
    assert settings.secret_key == again.secret_key
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_explicit_secret_key_wins(tmp_path):
    settings = Settings.load(env={"RSE_DATA_DIR": str(tmp_path), "RSE_SECRET_KEY": "k" * 40})
    assert settings.ensure_secret_key().secret_key == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_unknown_keys_reach_plugins_through_extra(tmp_path):
    config = tmp_path / "rse.toml"
    config.write_text("bookmarks_fetch_titles = true\n")
    settings = Settings.load(env={"RSE_CONFIG": str(config), "RSE_FEED_MAX": "9"})
    assert settings.extra == {"bookmarks_fetch_titles": True, "feed_max": "9"}
