"""Ingest's worker processes do not re-run the caller's main script (a console script such
as ``datafab`` would import the whole command line in each), and the main module is left
as it was."""

from __future__ import annotations

import sys
import types
from multiprocessing import spawn

from datafab.ingest.workers import _main_left_out


def test_workers_started_inside_do_not_rerun_a_main_script(monkeypatch):
    script = types.ModuleType("__main__")
    script.__file__ = "/usr/local/bin/datafab"
    script.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", script)
    assert spawn.get_preparation_data("w")["init_main_from_path"] == "/usr/local/bin/datafab"
    with _main_left_out():
        data = spawn.get_preparation_data("w")
        assert "init_main_from_path" not in data and "init_main_from_name" not in data
    assert script.__file__ == "/usr/local/bin/datafab"
    try:
        with _main_left_out():
            raise RuntimeError("a submit that fails")
    except RuntimeError:
        pass
    assert script.__file__ == "/usr/local/bin/datafab"


def test_a_main_run_as_a_module_is_left_alone(monkeypatch):
    module = types.ModuleType("__main__")
    module.__file__ = "/src/tool/__main__.py"
    module.__spec__ = types.SimpleNamespace(name="tool.__main__")
    monkeypatch.setitem(sys.modules, "__main__", module)
    with _main_left_out():
        assert spawn.get_preparation_data("w")["init_main_from_name"] == "tool.__main__"
        assert module.__file__ == "/src/tool/__main__.py"
