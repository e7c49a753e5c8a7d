"""HTTP to NHN Cloud's KakaoTalk Bizmessage API (docs/research/nhn-bizmessage.md §1): JSON
in and out, the app key in the path, `X-Secret-Key` on every call, one kept-alive connection
per client. It tells apart the three ways a call can end, because what the caller may do next
depends on it:

- an answer (`Envelope`): the dealer's header says what happened (`resultCode` 0 or an error
  code) — decided by the envelope, never by the HTTP status alone (the guide never states the
  status that comes with an error);
- `NotSent`: the request never reached the dealer (no connection, refused, DNS) — safe to
  send again;
- `MaybeSent`: it may have been processed (a timeout after writing, the connection dropped,
  a 5xx without an envelope) — the caller looks up before sending again;
- `Throttled`: HTTP 429 (the guide names no rate limit; an NHN notice quotes 300 requests a
  second): not processed, sent again after `Retry-After`."""
from __future__ import annotations

import http.client
import json
import secrets
import urllib.parse
from dataclasses import dataclass

PRODUCTION_URL = "https://kakaotalk-bizmessage.api.nhncloudservice.com"
ALIMTALK = "/alimtalk/v2.3/appkeys/{appkey}"
BRAND = "/brand-message/v1.0/appkeys/{appkey}"
IDEMPOTENCY_HEADER = "X-NC-API-IDEMPOTENCY-KEY"


class DealerError(Exception):
    """The dealer could not be asked (the subclasses say whether it may have acted)."""


class NotSent(DealerError):
    """The request never reached the dealer."""


class MaybeSent(DealerError):
    """The request may have been processed; its outcome is unknown."""


class Throttled(DealerError):
    def __init__(self, retry_after: float):
        super().__init__(f"throttled (Retry-After {retry_after:g} s)")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Envelope:
    """The answer every endpoint gives: header.resultCode (0 = success) and the rest."""
    code: int
    message: str
    body: dict

    @property
    def ok(self) -> bool:
        return self.code == 0 and bool(self.body.get("header", {}).get("isSuccessful", True))


class Client:
    def __init__(self, base_url: str, appkey: str, secret: str, *, timeout: float = 10.0):
        parts = urllib.parse.urlsplit(base_url or PRODUCTION_URL)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"NHN_KAKAO_URL must be an http(s) address, not {base_url!r}")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/")
        self.appkey, self.secret, self.timeout = appkey, secret, timeout
        self._conn: http.client.HTTPConnection | None = None

    def alimtalk(self, path: str) -> str:
        return ALIMTALK.format(appkey=urllib.parse.quote(self.appkey, safe="")) + path

    def brand(self, path: str) -> str:
        return BRAND.format(appkey=urllib.parse.quote(self.appkey, safe="")) + path

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            self._conn = kind(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def call(self, method: str, path: str, *, body: dict | None = None, query: dict | None = None,
             headers: dict | None = None, files: dict | None = None) -> Envelope:
        """One call. `files` ({field: (filename, bytes, content type)}) makes it multipart."""
        target = self.prefix + path
        if query:
            target += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v not in (None, "")})
        sent_headers = {"X-Secret-Key": self.secret, **(headers or {})}
        payload = None
        if files is not None:
            payload, sent_headers["Content-Type"] = _multipart(body or {}, files)
        elif body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            sent_headers["Content-Type"] = "application/json;charset=UTF-8"
        for _ in range(2):
            conn = self._connection()
            reused = conn.sock is not None
            try:
                if not reused:
                    conn.connect()
            except OSError as error:         # refused, unreachable, DNS, a connect timeout: nothing written
                self.close()
                raise NotSent(str(error)) from error
            try:
                conn.request(method, target, body=payload, headers=sent_headers)
                response = conn.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self.close()
                # a kept-alive connection the server had closed meanwhile: a read, or a write that
                # never got through, goes once more on a new connection
                if reused and (method == "GET" or isinstance(error, BrokenPipeError)):
                    continue
                raise MaybeSent(f"the connection closed before the answer: {error}") from error
            except (OSError, http.client.HTTPException) as error:
                self.close()
                raise MaybeSent(f"no answer: {error}") from error
            break
        if response.status == 429:
            try:
                wait = float(response.getheader("Retry-After") or 1)
            except ValueError:
                wait = 1.0
            raise Throttled(max(wait, 0.0))
        try:
            answer = json.loads(raw.decode("utf-8")) if raw else {}
            header = answer["header"]
            code = int(header["resultCode"])
        except (ValueError, KeyError, TypeError) as error:
            if response.status >= 500 or not raw:
                raise MaybeSent(f"HTTP {response.status} without the dealer's answer") from error
            raise MaybeSent(f"HTTP {response.status}: not the dealer's answer ({raw[:80]!r})") from error
        return Envelope(code, str(header.get("resultMessage") or ""), answer)


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = "megabird" + secrets.token_hex(12)
    lines = []
    for name, value in fields.items():
        lines += [f"--{boundary}".encode(), f'Content-Disposition: form-data; name="{name}"'.encode(), b"",
                  str(value).encode("utf-8")]
    for name, (filename, data, content_type) in files.items():
        lines += [f"--{boundary}".encode(),
                  f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'.encode(),
                  f"Content-Type: {content_type}".encode(), b"", data]
    lines += [f"--{boundary}--".encode(), b""]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"
