"""The chaos run, shortened: contributors against a real `datafab serve` on PostgreSQL, the
server SIGKILLed twice; nothing acknowledged is lost or doubled, no double leases."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "chaos.py"


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("DATAFAB_TEST_DATABASE_URL"),
                    reason="needs DATAFAB_TEST_DATABASE_URL (PostgreSQL)")
def test_nothing_acknowledged_is_lost_or_doubled_across_sigkills():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--seconds", "6", "--kills", "2", "--contributors", "8",
         "--items", "150", "--max-requests", "20000"],
        capture_output=True, text=True, timeout=240,
    )
    result = re.search(r"^RESULT (.*)$", done.stdout, re.MULTILINE)
    assert result, done.stdout + done.stderr
    figures = dict(pair.split("=") for pair in result.group(1).split())
    assert int(figures["acked"]) > 0
    assert int(figures["stored"]) >= int(figures["acked"])
    for name in ("lost", "duplicated", "double_leases", "unsettled", "mismatched"):
        assert figures[name] == "0", done.stdout
    assert figures["kills"] == "2"
    assert done.returncode == 0, done.stdout
