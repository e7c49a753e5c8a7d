"""The one way a webhook leaves megabird (API-06, SEC-08): a POST to a checked address that
the connection is pinned to. Nothing else opens a socket for webhooks.

The URL was checked when it was saved (app/domain/addresses.check_url), but what a name
resolves to can change after that — to 127.0.0.1, to the metadata service (DNS rebinding). So
every delivery resolves the host again and refuses it when ANY answer is not a public address
(a name answering both a public and a private address would reach the private one on some
attempts), then connects to the first answer itself: http.client never looks the name up a
second time, so the address checked is the address used. HTTPS verifies the certificate
against the host name (SNI and the hostname check), not against the address.

What comes back is read within limits: a redirect is never followed (a 3xx is returned like
any status; the caller counts it as a failure), at most `max_read` bytes of the body are read
before the connection is closed, and `timeout` bounds the whole exchange from the connect
(each read waits at most the time left), so a receiver that trickles bytes cannot hold a
worker. Every way of getting no answer is a `DeliveryFailed` with a `kind` the delivery log
shows and a short Korean message.
"""
from __future__ import annotations

import datetime
import email.utils
import concurrent.futures
import http.client
import ipaddress
import math
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from app.domain import addresses
from app.domain.addresses import IP, Target
from app.domain.korean import josa

USER_AGENT = "megabird-webhooks/1"


class DeliveryFailed(Exception):
    """No HTTP answer. `kind`: "dns", "connect", "timeout", "tls", "protocol" or
    "refused_address"; `message` is Korean, for the delivery log."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


class RefusedAddress(DeliveryFailed):
    """The host is, or resolves to, an address a webhook may not reach (nothing was sent)."""

    def __init__(self, reason: str, address: str, host: str | None = None):
        super().__init__("refused_address", addresses.refusal_message(reason, address, host))
        self.reason, self.address = reason, address


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]      # lowercased names; a repeated header joined with ", "
    excerpt: bytes               # the body's first max_read bytes
    latency_ms: int              # from the connect to the end of the excerpt
    address: str                 # the address connected to


DNS_TIMEOUT = 5.0                # getaddrinfo has no timeout of its own
_resolvers = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


def _bounded(resolver, host: str, port: int):
    """The resolver's answer within DNS_TIMEOUT (a lookup still running after it is left
    to end in its thread; the caller gets a timeout)."""
    future = _resolvers.submit(resolver, host, port, type=socket.SOCK_STREAM)
    try:
        return future.result(timeout=DNS_TIMEOUT)
    except concurrent.futures.TimeoutError:
        raise TimeoutError(f"no DNS answer in {DNS_TIMEOUT:g} s") from None


def resolve(target: Target, *, allow_loopback: bool, resolver=socket.getaddrinfo) -> list[IP]:
    """Every address `target.host` resolves to (IPv4 and IPv6, without repeats, in the
    resolver's order), or RefusedAddress when any of them is refused; an IP literal is its
    own answer. `resolver` has getaddrinfo's signature and answer."""
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        found = [literal]
    else:
        try:
            answers = _bounded(resolver, target.host, target.port)
        except (OSError, UnicodeError) as error:     # socket.gaierror is an OSError
            raise DeliveryFailed("dns", f"호스트 {josa(target.host, '을/를')} 찾을 수 없습니다.") from error
        found = []
        for family, _, _, _, sockaddr in answers:
            if family in (socket.AF_INET, socket.AF_INET6):
                ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
                if ip not in found:
                    found.append(ip)
        if not found:
            raise DeliveryFailed("dns", f"호스트 {target.host}의 주소가 없습니다.")
    for ip in found:
        reason = addresses.refusal(ip, allow_loopback=allow_loopback)
        if reason:
            raise RefusedAddress(reason, str(ip), None if literal is not None else target.host)
    return found


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to `address` for `target.host`: the name is never resolved."""

    def __init__(self, target: Target, address: str, timeout: float, context: ssl.SSLContext | None):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address, self.context = address, context

    raw: socket.socket | None = None
    expired = False                  # the watchdog shut the socket: what was read is not the answer

    def connect(self) -> None:
        sock = self.raw = socket.create_connection((self.address, self.port), self.timeout)
        if self.context is not None:
            try:
                sock = self.context.wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
        self.sock = sock


def post(target: Target, body: bytes, headers: dict[str, str], *, allow_loopback: bool,
         timeout: float = 15.0, max_read: int = 64 * 1024, resolver=socket.getaddrinfo,
         context: ssl.SSLContext | None = None) -> Response:
    """POST `body` to `target` once: resolve and check, connect to the first address, read
    the status, the headers and at most `max_read` bytes of the body. `context` is the TLS
    trust for https (default: the system's, `ssl.create_default_context()`)."""
    address = str(resolve(target, allow_loopback=allow_loopback, resolver=resolver)[0])
    tls = (context or ssl.create_default_context()) if target.scheme == "https" else None
    conn = _PinnedConnection(target, address, timeout, tls)
    started = time.monotonic()
    deadline = started + timeout
    step = "connect"
    # the deadline, whatever the receiver does (a byte of its headers now and then, a slow
    # TLS handshake): the socket is shut when the time is up, and every wait on it ends
    watchdog = threading.Timer(timeout, _shut, (conn,))
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.connect()
        sock = conn.sock
        step = "exchange"
        _wait_at_most(sock, deadline)
        conn.request("POST", target.path_and_query, body=body, headers=_request_headers(target, body, headers))
        _wait_at_most(sock, deadline)
        response = conn.getresponse()
        excerpt = _read_at_most(response, sock, max_read, deadline)
        if conn.expired:
            raise TimeoutError
    except Exception as error:
        seen = TimeoutError() if conn.expired or time.monotonic() >= deadline else error
        failure = _failure(seen, step, timeout)
        if failure is None:                          # not the network's doing: a bug of ours
            raise
        raise failure from error
    finally:
        watchdog.cancel()
        conn.close()
    return Response(response.status, _lowered(response.getheaders()), excerpt,
                    round((time.monotonic() - started) * 1000), address)


def _shut(conn: _PinnedConnection) -> None:
    conn.expired = True
    if conn.raw is not None:
        try:
            conn.raw.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _request_headers(target: Target, body: bytes, given: dict[str, str]) -> dict[str, str]:
    """Ours, overridden by the caller's where the caller names one (in any case), except the
    Host and Content-Length, which are always the target's and the body's."""
    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    for name, value in given.items():
        for ours in [key for key in sent if key.lower() == name.lower()]:
            del sent[ours]
        if name.lower() not in ("host", "content-length"):
            sent[name] = value
    return {**sent, "Host": target.host_header, "Content-Length": str(len(body))}


def _wait_at_most(sock, deadline: float) -> None:
    """Let the next read wait only the time left before `deadline`."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    sock.settimeout(left)


def _read_at_most(response, sock, max_read: int, deadline: float) -> bytes:
    chunks, size = [], 0
    while size < max_read:
        _wait_at_most(sock, deadline)
        chunk = response.read1(max_read - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _lowered(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        name = name.lower()
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _failure(error: Exception, step: str, timeout: float) -> DeliveryFailed | None:
    """The kind and Korean message of a failed exchange (`step`: "connect" or "exchange")."""
    if isinstance(error, TimeoutError):              # socket.timeout, the handshake's too
        if step == "connect":
            return DeliveryFailed("timeout", f"{timeout:g}초 안에 연결되지 않았습니다.")
        return DeliveryFailed("timeout", f"{timeout:g}초 안에 응답을 다 받지 못했습니다.")
    if isinstance(error, ssl.SSLCertVerificationError):
        return DeliveryFailed("tls", f"TLS 인증서를 확인할 수 없습니다({error.verify_message}).")
    if isinstance(error, ssl.SSLError):
        return DeliveryFailed("tls", "TLS 연결에 실패했습니다.")
    if isinstance(error, http.client.RemoteDisconnected):
        return DeliveryFailed("protocol", "응답 없이 연결이 닫혔습니다.")
    if isinstance(error, http.client.HTTPException):
        return DeliveryFailed("protocol", "올바른 HTTP 응답이 아닙니다.")
    if isinstance(error, ConnectionRefusedError):
        return DeliveryFailed("connect", "연결이 거부되었습니다.")
    if isinstance(error, ConnectionError):
        return DeliveryFailed("connect", "연결이 끊겼습니다.")
    if isinstance(error, OSError):                   # unreachable, no route, …
        return DeliveryFailed("connect", "연결할 수 없습니다.")
    return None


_DELTA = re.compile(r"-?\d+")


def retry_after_seconds(headers: dict[str, str], now_epoch: float) -> int | None:
    """Seconds to wait from a Retry-After header (any case of the name): delta-seconds or
    an HTTP-date; a date in the past (or a negative delta) is 0; None when absent or
    unreadable."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    if _DELTA.fullmatch(value):
        return max(0, int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:                          # "-0000": UTC, not local time
        when = when.replace(tzinfo=datetime.UTC)
    return max(0, math.ceil(when.timestamp() - now_epoch))
