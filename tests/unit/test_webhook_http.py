"""The webhook transport (SEC-08, API-06; app/gateways/webhook_http.py) against real local
servers: the answer read within limits, no redirect followed, every way of getting no answer
told apart, and addresses refused by literal and by DNS answer before anything connects."""
import contextlib
import email.utils
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from app.domain import addresses
from app.domain.addresses import check_url
from app.gateways.webhook_http import (
    DeliveryFailed,
    RefusedAddress,
    post,
    resolve,
    retry_after_seconds,
)

BIG = 1024 * 1024


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path.startswith("/redirect"):
            self._answer(302, b"", Location="/ok")
        elif self.path.startswith("/big"):
            self._answer(200, b"x" * BIG)
        else:
            self._answer(200, b'{"ok": true}', **{"X-Echo": "one", "x-echo": "two"})

    def _answer(self, status, body, **headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(ConnectionError):       # the client stops reading at 64 KB
            self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen, self.connections = [], 0

    def verify_request(self, request, client_address):
        self.connections += 1
        return True

    def handle_error(self, request, client_address):
        pass


@contextlib.contextmanager
def _serving(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver():
    with _serving(_Server()) as server:
        yield server


def _local(server, path="/ok", host="127.0.0.1"):
    """The server's address as a Target (built directly for a made-up name: plain http is
    for local receivers only, and the test resolves the name itself)."""
    port = server.server_address[1]
    if host == "127.0.0.1":
        return check_url(f"http://{host}:{port}{path}", production=False)
    return addresses.Target("http", host, port, path, f"{host}:{port}")


def _answers(*addresses_):
    """A resolver answering `addresses_` for any name, as getaddrinfo does."""
    def resolver(host, port, *args, **kwargs):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port, 0, 0) if ":" in a else (a, port)) for a in addresses_]
    return resolver


def test_a_200_with_its_body_and_our_headers(receiver):
    body = b'{"type": "send.completed"}'
    answer = post(_local(receiver, "/ok?x=1"), body, {"webhook-id": "msg_1", "Content-Type": "application/json; charset=utf-8"},
                  allow_loopback=True)
    assert (answer.status, answer.excerpt, answer.address) == (200, b'{"ok": true}', "127.0.0.1")
    assert answer.headers["x-echo"] == "one, two" and answer.headers["content-length"] == "12"
    assert isinstance(answer.latency_ms, int) and answer.latency_ms >= 0
    [seen] = receiver.seen
    assert seen["path"] == "/ok?x=1" and seen["body"] == body
    assert seen["headers"]["Host"] == f"127.0.0.1:{receiver.server_address[1]}"
    assert seen["headers"]["User-Agent"] == "megabird-webhooks/1"
    assert seen["headers"]["Content-Type"] == "application/json; charset=utf-8"   # the caller's wins
    assert seen["headers"]["Content-Length"] == str(len(body))
    assert seen["headers"]["webhook-id"] == "msg_1"


def test_a_redirect_is_returned_not_followed(receiver):
    answer = post(_local(receiver, "/redirect"), b"{}", {}, allow_loopback=True)
    assert (answer.status, answer.headers["location"]) == (302, "/ok")
    assert [s["path"] for s in receiver.seen] == ["/redirect"]


def test_the_body_is_read_up_to_64_kb(receiver):
    answer = post(_local(receiver, "/big"), b"{}", {}, allow_loopback=True)
    assert answer.status == 200 and answer.headers["content-length"] == str(BIG)
    assert len(answer.excerpt) == 64 * 1024
    assert len(post(_local(receiver, "/big"), b"{}", {}, allow_loopback=True, max_read=10).excerpt) == 10


def test_the_name_is_resolved_once_and_the_connection_pinned(receiver):
    """`.invalid` never resolves: a second lookup by http.client would fail."""
    target = _local(receiver, host="receiver.invalid")
    answer = post(target, b"{}", {}, allow_loopback=True, resolver=_answers("127.0.0.1"))
    assert (answer.status, answer.address) == (200, "127.0.0.1")
    assert receiver.seen[0]["headers"]["Host"] == f"receiver.invalid:{receiver.server_address[1]}"


def test_a_refused_connection():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    target = check_url(f"http://127.0.0.1:{port}/", production=False)
    with pytest.raises(DeliveryFailed) as failed:
        post(target, b"{}", {}, allow_loopback=True)
    assert (failed.value.kind, failed.value.message) == ("connect", "연결이 거부되었습니다.")


def test_a_server_that_never_answers_times_out():
    with socket.socket() as silent:              # the kernel accepts; nobody reads or writes
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        target = check_url(f"http://127.0.0.1:{silent.getsockname()[1]}/", production=False)
        with pytest.raises(DeliveryFailed) as failed:
            post(target, b"{}", {}, allow_loopback=True, timeout=0.5)
    assert (failed.value.kind, failed.value.message) == ("timeout", "0.5초 안에 응답을 다 받지 못했습니다.")


@contextlib.contextmanager
def _raw(reply: bytes):
    """A server that reads one request's head, writes `reply` and then holds the connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve():
        conn, _ = listener.accept()
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            conn.sendall(reply)
            done.wait(10)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield check_url(f"http://127.0.0.1:{listener.getsockname()[1]}/", production=False)
    finally:
        done.set()
        thread.join()
        listener.close()


def test_a_body_that_stops_coming_times_out():
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"
    with _raw(reply) as target, pytest.raises(DeliveryFailed) as failed:
        post(target, b"{}", {}, allow_loopback=True, timeout=0.5)
    assert failed.value.kind == "timeout"


def test_not_http_is_a_protocol_failure():
    with _raw(b"SSH-2.0-OpenSSH_9.2\r\n\r\n") as target, pytest.raises(DeliveryFailed) as failed:
        post(target, b"{}", {}, allow_loopback=True)
    assert (failed.value.kind, failed.value.message) == ("protocol", "올바른 HTTP 응답이 아닙니다.")


def test_loopback_refused_without_connecting(receiver):
    with pytest.raises(RefusedAddress) as refused:
        post(_local(receiver), b"{}", {}, allow_loopback=False)
    assert (refused.value.kind, refused.value.reason, refused.value.address) == (
        "refused_address", addresses.LOOPBACK, "127.0.0.1")
    assert refused.value.message.startswith("웹훅 URL이 루프백 주소(127.0.0.1)를 가리킵니다.")
    assert receiver.connections == 0 and receiver.seen == []


def test_localhost_refused_by_its_dns_answer(receiver):
    with pytest.raises(RefusedAddress) as refused:
        post(_local(receiver, host="localhost"), b"{}", {}, allow_loopback=False)
    assert refused.value.reason == addresses.LOOPBACK
    assert refused.value.message.startswith("웹훅 URL의 호스트 localhost가 루프백 주소로 연결됩니다.")
    assert receiver.connections == 0


def test_a_public_looking_name_answering_a_private_address():
    target = check_url("https://hooks.example.com/megabird", production=True)
    with pytest.raises(RefusedAddress) as refused:
        post(target, b"{}", {}, allow_loopback=False, resolver=_answers("10.0.0.5"))
    assert refused.value.message == (
        "웹훅 URL의 호스트 hooks.example.com이 사설망 주소로 연결됩니다. "
        "인터넷에서 접속할 수 있는 공개 주소만 쓸 수 있습니다.")


@pytest.mark.parametrize("answers, refused_one", [
    (("8.8.8.8", "10.0.0.5"), "10.0.0.5"),                  # any refused answer refuses the name
    (("2606:4700:4700::1111", "fd00:ec2::254"), "fd00:ec2::254"),
    (("1.1.1.1", "::ffff:169.254.169.254"), "::ffff:a9fe:a9fe"),
])
def test_a_name_answering_public_and_refused_addresses(answers, refused_one):
    target = check_url("https://hooks.example.com/", production=True)
    with pytest.raises(RefusedAddress) as refused:
        resolve(target, allow_loopback=False, resolver=_answers(*answers))
    assert refused.value.address == refused_one


def test_resolve_keeps_every_answer_once_in_order():
    target = check_url("https://hooks.example.com/", production=True)
    found = resolve(target, allow_loopback=False,
                    resolver=_answers("8.8.8.8", "2606:4700:4700::1111", "8.8.8.8", "1.1.1.1"))
    assert [str(ip) for ip in found] == ["8.8.8.8", "2606:4700:4700::1111", "1.1.1.1"]


def test_a_dns_failure():
    def no_such_name(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    target = check_url("https://hooks.example.com/", production=True)
    with pytest.raises(DeliveryFailed) as failed:
        post(target, b"{}", {}, allow_loopback=False, resolver=no_such_name)
    assert (failed.value.kind, failed.value.message) == ("dns", "호스트 hooks.example.com을 찾을 수 없습니다.")
    with pytest.raises(DeliveryFailed) as failed:
        resolve(target, allow_loopback=False, resolver=_answers())
    assert failed.value.kind == "dns"


NOW = 1_700_000_000


@pytest.mark.parametrize("headers, expected", [
    ({"Retry-After": "120"}, 120),
    ({"retry-after": email.utils.formatdate(NOW + 30, usegmt=True)}, 30),
    ({"retry-after": email.utils.formatdate(NOW - 30, usegmt=True)}, 0),
    ({"Retry-After": " 0 "}, 0),
    ({"Retry-After": "-5"}, 0),
    ({"Retry-After": "soon"}, None),
    ({"Retry-After": ""}, None),
    ({}, None),
])
def test_retry_after_seconds(headers, expected):
    assert retry_after_seconds(headers, NOW) == expected


# --- HTTPS: the connection goes to the pinned address, the certificate is checked for the name

@pytest.fixture
def tls_receiver(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (used only to make a self-signed certificate)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=receiver.test", "-addext", "subjectAltName=DNS:receiver.test",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server = _Server()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with _serving(server):
        yield server, ssl.create_default_context(cafile=str(cert))


def _tls_target(server, host):
    return check_url(f"https://{host}:{server.server_address[1]}/ok", production=True)


def test_https_to_the_pinned_address_verified_for_the_name(tls_receiver):
    server, trust = tls_receiver
    answer = post(_tls_target(server, "receiver.test"), b"{}", {}, allow_loopback=True,
                  resolver=_answers("127.0.0.1"), context=trust)
    assert (answer.status, answer.address) == (200, "127.0.0.1")
    assert server.seen[0]["headers"]["Host"] == f"receiver.test:{server.server_address[1]}"


def test_https_certificate_for_another_name_fails(tls_receiver):
    server, trust = tls_receiver
    with pytest.raises(DeliveryFailed) as failed:
        post(_tls_target(server, "other.test"), b"{}", {}, allow_loopback=True,
             resolver=_answers("127.0.0.1"), context=trust)
    assert failed.value.kind == "tls" and "TLS 인증서" in failed.value.message
    assert server.seen == []


def test_https_self_signed_is_refused_by_the_system_trust(tls_receiver):
    server, _ = tls_receiver
    with pytest.raises(DeliveryFailed) as failed:
        post(_tls_target(server, "receiver.test"), b"{}", {}, allow_loopback=True,
             resolver=_answers("127.0.0.1"))
    assert failed.value.kind == "tls"


def test_a_receiver_trickling_its_headers_is_cut_at_the_deadline():
    """One byte of the status line now and then never lets a read wait long, yet the whole
    exchange ends at `timeout` (a slow receiver cannot hold a worker past it)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                if stop.wait(0.1):
                    return
                with contextlib.suppress(OSError):
                    conn.sendall(bytes([byte]))
    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    target = check_url(f"http://127.0.0.1:{listener.getsockname()[1]}/", production=False)
    started = time.monotonic()
    try:
        with pytest.raises(DeliveryFailed) as failed:
            post(target, b"{}", {}, allow_loopback=True, timeout=0.8)
    finally:
        stop.set()
        listener.close()
    assert failed.value.kind == "timeout"
    assert time.monotonic() - started < 1.5
