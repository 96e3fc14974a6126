"""A full disk, simulated for one block of code: the file size limit (RLIMIT_FSIZE) makes writes past it
fail part-way with EFBIG, as a full disk fails them with ENOSPC. No mount, no root."""

from __future__ import annotations

import contextlib
import resource
import signal


@contextlib.contextmanager
def file_size_limit(limit: int):
    """Writes that would make any file larger than `limit` bytes write what fits, then fail."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
