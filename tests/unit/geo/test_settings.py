from pathlib import Path

from geo.cluster import LocalCluster
from geo.settings import Settings


def test_defaults_use_the_local_cluster():
    s = Settings.from_env({})
    assert s.database_url is None and s.territory_size == "demo" and not s.pg_tcp


def test_environment_overrides():
    s = Settings.from_env({"DATABASE_URL": "postgresql://x@h/db", "PORT": "8080",
                           "FQ_STATE_DIR": "/tmp/fq", "FQ_PG_TCP": "1"})
    assert s.database_url == "postgresql://x@h/db"
    assert s.state_dir == Path("/tmp/fq") and s.pg_tcp


def test_cluster_url_is_a_unix_socket_in_the_state_folder(tmp_path):
    url = LocalCluster(state_dir=tmp_path, port=5499).url("fengqiao")
    assert url.startswith("postgresql+psycopg://fq@/fengqiao?host=")
    assert str(tmp_path) in url and url.endswith("port=5499")
