"""``prewarm.importing``: the module is loaded by the end of the block, failures stay silent there."""

from __future__ import annotations

import sys
import threading

from costctl.prewarm import importing


def test_module_is_imported_on_another_thread_before_the_block_ends(tmp_path, monkeypatch) -> None:
    (tmp_path / "costctl_prewarm_probe.py").write_text(
        "import threading\nLOADED_ON = threading.current_thread().name\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "costctl_prewarm_probe", raising=False)
    with importing("costctl_prewarm_probe"):
        pass
    module = sys.modules["costctl_prewarm_probe"]
    assert module.LOADED_ON == "costctl-prewarm" != threading.current_thread().name


def test_a_module_that_fails_to_import_is_left_to_the_main_thread(tmp_path, monkeypatch) -> None:
    (tmp_path / "costctl_prewarm_broken.py").write_text("raise RuntimeError('broken on import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with importing("costctl_prewarm_broken", "costctl_prewarm_absent"):
        pass  # no exception escapes the block
    assert "costctl_prewarm_broken" not in sys.modules


def test_loaded_modules_start_no_thread(monkeypatch) -> None:
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    with importing("json", "sys"):
        pass
    assert started == []
