"""Joining a Ray cluster (or starting one on this machine), and turning Ray's failures into one line.

This is the one module that imports Ray. The package is shipped to the workers with the job
(`py_modules`), so every node runs the driver's own code; the libraries (torch, sentence-transformers,
FAISS, the model) must be installed on every node, as `pip install 'faq-assistant[ray]'` does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from ..errors import AssistantError

INSTALL = "pip install 'faq-assistant[ray]'"
# What the workers need from the driver's environment: offline model loading, quiet libraries, and the
# ONNX export cache (tests point it at their own folder).
_FORWARDED = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_PROGRESS_BARS",
              "TRANSFORMERS_VERBOSITY", "TOKENIZERS_PARALLELISM", "FAQ_ASSISTANT_MODEL_CACHE")
CONNECT_TIMEOUT = 5.0


class ClusterError(AssistantError):
    """Ray is missing, the cluster cannot be reached, or a task on it failed."""


def import_ray():
    """The `ray` module, or a ClusterError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError(f"--ray needs Ray, which is not installed: {INSTALL}") from None
    return ray


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Fail fast on an address nothing answers at: Ray itself retries an unreachable head for minutes.

    `auto` and an empty address are left to Ray (it finds a cluster started on this machine).

    Raises:
        ClusterError: nothing accepts a connection at host:port within `timeout` seconds.
    """
    target = address.removeprefix("ray://")
    if target in ("", "auto", "local"):
        return
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ClusterError(f"--ray-address {address!r} is not host:port (e.g. 10.0.0.5:6379 or ray://head:10001)")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ClusterError(f"cannot reach a Ray cluster at {address} ({exc.strerror or exc}); start one with "
                           "`ray start --head` or check the address") from None


def preflight(address: str | None = None) -> None:
    """What can be checked in a moment, before minutes of loading and embedding: Ray is installed, and
    something answers at `address` (or `$RAY_ADDRESS`).

    Raises:
        ClusterError: it is not, or nothing does.
    """
    import_ray()
    address = address or os.environ.get("RAY_ADDRESS")
    if address:
        check_reachable(address)


def _runtime_env() -> dict:
    package = Path(__file__).resolve().parent.parent
    env_vars = {key: os.environ[key] for key in _FORWARDED if key in os.environ}
    return {"py_modules": [str(package)], "env_vars": env_vars}


@contextlib.contextmanager
def connect(address: str | None = None, num_cpus: int | None = None) -> Iterator:
    """Ray, initialised for the duration of the block.

    Args:
        address: a cluster to join (`host:port` of `ray start --head`, `ray://host:10001`, or `auto`);
            None starts a local cluster on this machine.
        num_cpus: CPUs of the local cluster (None: all of them); ignored when joining a cluster.

    Yields:
        The `ray` module. A cluster this block started is shut down when it ends; one that was
        already initialised in this process (a test session's) is used as it is and left running.

    Raises:
        ClusterError: Ray is missing or the cluster cannot be reached.
    """
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    address = address or os.environ.get("RAY_ADDRESS") or None  # Ray's own variable, checked like the flag
    if address:
        check_reachable(address)
    try:
        # "local": a new cluster, never one that `ray start` left recorded on this machine.
        ray.init(address=address or "local", num_cpus=None if address else num_cpus, runtime_env=_runtime_env(),
                 include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    except Exception as exc:  # noqa: BLE001 - Ray raises ConnectionError, RuntimeError, ValueError, ImportError
        # (a ray:// address without Ray Client's grpcio)...: whichever it is, the user gets one line.
        hint = ""
        if address and "RAY_AUTH_MODE" not in os.environ:
            # A cluster started by `ray start` wants a token, which Ray sends only when asked to.
            hint = ("; if the cluster uses token authentication (Ray's default), set RAY_AUTH_MODE=token and give "
                    "it the head's token (~/.ray/auth_token, or RAY_AUTH_TOKEN)")
        raise ClusterError(f"cannot start or join the Ray cluster{f' at {address}' if address else ''} "
                           f"({first_line(exc)}){hint}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def start_local(num_cpus: int) -> None:
    """Start a local cluster for this process, with the same runtime environment as `connect` (a test
    session starts one, and every `connect` inside it reuses it). Stop it with `ray.shutdown()`."""
    ray = import_ray()
    ray.init(address="local", num_cpus=num_cpus, runtime_env=_runtime_env(), include_dashboard=False,
             log_to_driver=False, logging_level=logging.WARNING)


def workers(ray) -> int:
    """How many tasks the cluster runs at once: its CPUs (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message, without Ray's colour codes."""
    text = str(exc).replace("\x1b[36m", "").replace("\x1b[39m", "")
    return next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
