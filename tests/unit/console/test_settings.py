"""The console's settings: read once from the environment, checked, and passed down."""

from pathlib import Path

import pytest

from console.settings import VARIABLES, ConsoleSettings
from geo.settings import Settings
from layers.tiles import TileSettings


def test_defaults_serve_on_port_5006_with_no_tiles_and_no_tls():
    s = ConsoleSettings.from_env({})
    assert s.http_port == 5006 and s.allowed_hosts == () and not s.tls.enabled
    assert s.tiles == TileSettings() and s.files == s.state_dir / "attachments"
    assert (s.sim_user, s.sim_password) == ("duty", "demo12345")
    assert s.database_url is None and s.territory_size == "demo"  # the ground's, the same object


def test_environment_overrides():
    s = ConsoleSettings.from_env({"DATABASE_URL": "postgresql://x@h/db", "PORT": "8080",
                                  "FQ_ALLOWED_HOSTS": " fq.intranet:443 , 10.0.0.5:443,",
                                  "FQ_FILES_DIR": "/srv/fq", "FQ_SIM_USER": "sim1",
                                  "FQ_SIM_PASSWORD": "s3cret-pw", "FQ_STATE_DIR": "/tmp/fq"})
    assert s.database_url == "postgresql://x@h/db" and s.http_port == 8080
    assert s.allowed_hosts == ("fq.intranet:443", "10.0.0.5:443")
    assert s.files == Path("/srv/fq") and s.state_dir == Path("/tmp/fq")
    assert (s.sim_user, s.sim_password) == ("sim1", "s3cret-pw")
    assert ConsoleSettings.from_env({"FQ_PORT": "7000"}).http_port == 7000
    assert ConsoleSettings.from_env({"FQ_PORT": "7000", "PORT": "7001"}).http_port == 7001


def test_a_bad_value_is_refused_naming_the_variable():
    with pytest.raises(ValueError, match="FQ_TILE_CRS"):
        ConsoleSettings.from_env({"FQ_TILE_CRS": "bd09"})
    with pytest.raises(ValueError, match="FQ_TLS_CERT 与 FQ_TLS_KEY"):
        ConsoleSettings.from_env({"FQ_TLS_CERT": "/nowhere.crt"})


def test_what_a_backup_records_leaves_secrets_out():
    s = ConsoleSettings.from_env({"DATABASE_URL": "postgresql://fq:hunter2@db.intra/fq",
                                  "FQ_SIM_PASSWORD": "s3cret-pw", "FQ_SEED": "7", "HOME": "/root"})
    recorded = dict(s.recorded)
    assert recorded == {"DATABASE_URL": "postgresql://fq:***@db.intra/fq", "FQ_SEED": "7"}
    assert "s3cret-pw" not in repr(s) and "hunter2" not in str(recorded)


def test_a_ground_only_settings_gets_the_console_s_defaults():
    ground = Settings.from_env({"FQ_DB_NAME": "other"})
    s = ConsoleSettings.extend(ground)
    assert s.db_name == "other" and s.http_port == 5006 and s.tiles == TileSettings()
    assert ConsoleSettings.extend(s) is s


def test_every_variable_read_is_in_the_table():
    """from_env reads no variable the README's table (VARIABLES) does not list."""
    seen: set[str] = set()

    class Spy(dict[str, str]):
        def get(self, key, default=None):  # type: ignore[override]
            seen.add(key)
            return super().get(key, default)

        def __contains__(self, key: object) -> bool:
            seen.add(str(key))
            return super().__contains__(key)

    ConsoleSettings.from_env(Spy())
    assert seen == set(VARIABLES), sorted(seen ^ set(VARIABLES))
