"""The check process's CPU priority (``JOLLI_CHECK_PRIORITY``), set in a child process of the test's own:
a lowered priority cannot be raised again by an ordinary user, so it is never lowered in the test itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")

PROBE = """
import logging, os, sys
logging.basicConfig(level=logging.WARNING, format="%(message)s")
if sys.argv[2] == "refuse":
    def refused(*args):
        raise PermissionError(1, "Operation not permitted")
    os.sched_setscheduler = refused
from jolli.events.check_process import lower_priority
lower_priority(sys.argv[1])
print(os.nice(0), os.sched_getscheduler(0))
"""


def _probe(priority: str, refuse: bool = False) -> tuple[tuple[int, int], str]:
    done = subprocess.run([sys.executable, "-c", PROBE, priority, "refuse" if refuse else "-"], capture_output=True,
                          text=True, check=True, timeout=60, cwd=Path(__file__).parent)
    nice, policy = done.stdout.split()
    return (int(nice), int(policy)), done.stderr


@pytest.mark.parametrize(("priority", "added", "policy"), [
    ("idle", 19, os.SCHED_IDLE if hasattr(os, "SCHED_IDLE") else 0),
    ("low", 10, os.SCHED_OTHER if hasattr(os, "SCHED_OTHER") else 0),
    ("normal", 0, os.SCHED_OTHER if hasattr(os, "SCHED_OTHER") else 0),
])
def test_each_priority_sets_its_policy_and_nice_value(priority: str, added: int, policy: int) -> None:
    found, said = _probe(priority)
    assert found == (min(19, os.nice(0) + added), policy) and said == ""


def test_a_refused_policy_still_leaves_the_lower_nice_value_and_says_so() -> None:
    found, said = _probe("idle", refuse=True)
    assert found == (min(19, os.nice(0) + 19), os.SCHED_OTHER)
    assert "cannot give the check process SCHED_IDLE (" in said and "it runs without" in said
