"""REL-03 (issue 13): a claim's owner is dead only when that is sure — a process of this
host whose pid is gone, a zombie, or a pid the kernel has given to a later process; a
live one, one of another host, or one that cannot be told apart is left to the time
cutoff. Real child processes; none sleeps (each waits on its stdin)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace

import pytest

from app import processes
from app.processes import Owner


def child() -> subprocess.Popen:
    """A real process that runs until its stdin closes."""
    return subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)


def test_this_process_is_alive_and_names_its_host_and_start():
    me = processes.current()
    assert me.pid == os.getpid() and me.host == processes.host() and me.started is not None
    assert processes.is_dead(me) is False


def test_a_process_that_exited_is_dead():
    proc = child()
    owner = processes.of(proc.pid)
    assert processes.is_dead(owner) is False            # running
    proc.stdin.close()
    proc.wait()
    assert processes.is_dead(owner) is True


def test_a_killed_process_not_yet_reaped_is_dead():
    proc = child()
    owner = processes.of(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)     # it has died; it stays a zombie
    try:
        assert processes.is_dead(owner) is True
    finally:
        proc.wait()


def test_a_pid_given_to_a_later_process_is_another_owner():
    me = processes.current()
    assert processes.is_dead(replace(me, started=me.started - 1)) is True


@pytest.mark.parametrize("owner", [
    Owner(processes.host(), 0, None),
    Owner(processes.host(), -1, None),
    Owner("another-host/abcdef012345", os.getpid(), None),
], ids=["no pid", "a negative pid", "another host"])
def test_what_cannot_be_told_is_not_dead(owner):
    assert processes.is_dead(owner) is False


def test_a_process_of_another_host_with_a_pid_gone_here_is_not_dead():
    proc = child()
    proc.stdin.close()
    proc.wait()
    assert processes.is_dead(Owner("another-host/abcdef012345", proc.pid, None)) is False
    assert processes.is_dead(Owner(processes.host(), proc.pid, None)) is True


def test_a_live_process_without_a_start_time_is_alive():
    assert processes.is_dead(Owner(processes.host(), os.getpid(), None)) is False
    assert processes.is_dead(processes.of(1)) is False          # init (as another user's, a PermissionError)
