"""What ``promocast serve`` checks and sets before it listens."""

from __future__ import annotations

import ipaddress
import os

from promocast.data.storage import serve_from_one_process
from promocast.exceptions import UsageError

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without an API token: the store holds a shop's sales,
    costs and customers, and anyone on the network could read or overwrite them."""
    if not is_loopback(host) and not (token and token.strip()):
        raise UsageError(
            f"refusing to listen on {host} without an API token: anyone on the network could "
            "read and change the shop's data. Set PROMOCAST_API_TOKEN (a long random string) "
            "or listen on 127.0.0.1")
    if token is not None and 0 < len(token.strip()) < 16:
        raise UsageError("PROMOCAST_API_TOKEN is too short: use at least 16 characters")


def prepare_store_for_server() -> None:
    """One process serves readers and background writers: open every store read-write."""
    serve_from_one_process()


def default_whatif_workers() -> int:
    """What-if worker processes for ``serve``: one per core up to 4, none on one core (a
    worker there would only compete with the server for it)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 0 if (cores or 1) < 2 else min(4, cores)
