"""What start-up built stays out of the cyclic collector's full passes while the process runs
(api/entrypoints/bootstrap.py, Process.start), and is collectable again once it stops."""

from __future__ import annotations

import gc
from pathlib import Path

from api.entrypoints.bootstrap import Settings, build_process


def test_start_up_objects_are_left_out_of_full_collections_until_the_process_stops(
        tmp_path: Path) -> None:
    process = build_process(Settings(
        _env_file=None, database_url=f"sqlite:///{tmp_path}/connector.db", data_dir=tmp_path,
        inline_worker=False, api_keys="k", inbound_username="u", inbound_password="p"))
    gc.unfreeze()
    process.start(workers=False)
    try:
        # the modules, the app's services, the tables: far more than a few thousand objects
        assert gc.get_freeze_count() > 50_000
    finally:
        process.stop()
    assert gc.get_freeze_count() == 0
