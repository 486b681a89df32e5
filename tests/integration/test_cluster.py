"""A second local cluster in its own folder starts, answers and stops cleanly."""

import os

import pytest
from sqlalchemy import create_engine, text

from geo.cluster import LocalCluster, missing_packages


@pytest.mark.skipif(bool(missing_packages()), reason="PostgreSQL/PostGIS not installed")
def test_own_folder_cluster_lifecycle(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    if os.geteuid() == 0:
        os.chmod(state, 0o755)
        os.chmod(state.parent, 0o755)
    cluster = LocalCluster(state_dir=state, port=5432)
    try:
        cluster.start()
        assert cluster.running()
        cluster.start()  # idempotent
        engine = create_engine(cluster.url("postgres"))
        with engine.connect() as conn:
            assert conn.scalar(text("SHOW lc_ctype")) == "C.UTF-8"
            assert conn.scalar(text("SHOW listen_addresses")) == ""
        engine.dispose()
    finally:
        assert cluster.stop() is True
    assert not cluster.running()
    assert not (cluster.socket_dir / ".s.PGSQL.5432").exists()
    assert cluster.stop() is False
    cluster.destroy()
    assert not cluster.home.exists() and not cluster.home.is_symlink()
