"""Who holds a claim (REL-03, issue 13): a process named so that another process can tell
whether it is still running. A dispatch batch records its claimer; recovery takes the
batch back at once when the claimer is known dead, instead of waiting for the time cutoff.

`host` is where a pid names one process: the hostname, plus (on Linux) a short tag of
the kernel's boot id and the pid namespace, so that two containers that share a
hostname, or one machine after a reboot, are never taken for the same pid space.
`started` is the process's start time (clock ticks after boot): a pid the kernel has
given to another process since is another owner.

`is_dead` answers True only when it is sure; a claimer of another host, or one it cannot
see, is left to the time cutoff. Standard library only: it sits with app.clock."""
from __future__ import annotations

import functools
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

HOST_LENGTH = 255          # dispatch_batch.owner_host


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    started: int | None      # None where /proc is not there to tell


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


@functools.cache
def _pid_space() -> str:
    """A tag of this kernel boot and pid namespace ('' where there is no /proc)."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = None
    if boot is None and namespace is None:
        return ""
    return hashlib.sha256(f"{boot}|{namespace}".encode()).hexdigest()[:12]


def host() -> str:
    tag = _pid_space()
    name = socket.gethostname() or "localhost"
    if not tag:
        return name[:HOST_LENGTH]
    return f"{name[:HOST_LENGTH - len(tag) - 1]}/{tag}"


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time) of a process from /proc/<pid>/stat, None if unreadable."""
    text = _read(f"/proc/{pid}/stat")
    if not text or ")" not in text:
        return None
    fields = text.rsplit(")", 1)[1].split()       # after "pid (comm)": state is field 3, starttime 22
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def of(pid: int) -> Owner:
    """The process `pid` of this host, as a claim records it."""
    stat = _stat(pid)
    return Owner(host(), pid, stat[1] if stat else None)


_me: Owner | None = None


def current() -> Owner:
    """This process (read once per process: a forked child is another owner)."""
    global _me
    if _me is None or _me.pid != os.getpid():
        _me = of(os.getpid())
    return _me


def is_dead(owner: Owner) -> bool:
    """True only when `owner` is surely not running: of this host (and pid space), and its
    pid is gone, a zombie, or a later process's."""
    if not owner.pid or owner.pid <= 0 or owner.host != host():
        return False
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:       # it exists, as another user's process
        pass
    except OSError:
        return False
    stat = _stat(owner.pid)
    if stat is None:
        return False
    state, started = stat
    if state in ("Z", "X"):       # killed, not yet reaped by its parent
        return True
    return owner.started is not None and started != owner.started
