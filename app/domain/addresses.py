"""Where a webhook may be sent (SEC-08, API-06): the classes of address it may not reach,
and the check of a webhook URL when it is saved.

A webhook makes megabird's workers open a connection to an address a customer chose. Left
unchecked, that is a way into what only our servers can reach: the loopback interface, the
private network, a cloud's metadata service (which hands out credentials). So a webhook goes
only to a public unicast address, and `refusal()` names the class of any other one. The
tables are ours rather than `ipaddress.is_global` alone, whose answers change between Python
versions and count multicast as global; `is_global` is only the last net under them.

An IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
`::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) reaches that IPv4 address, so it is
judged by it: `::ffff:10.0.0.1` is a private address, `64:ff9b::808:808` a public one.

`check_url()` refuses a malformed URL and a host written as a refused address — also in the
short, decimal and hex forms (`127.1`, `2130706433`, `0x7f.1`) that `inet_aton`, and so the
system's resolver, reads as IPv4. It resolves nothing (no I/O here): a host name is looked up
at every delivery by app/gateways/webhook_http.py, which checks every answer, because a
name's answer can change after the URL was saved.

Outside production a receiver on the developer's own machine is allowed: loopback addresses
and plain http.
"""
from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
import urllib.parse
from dataclasses import dataclass

from app.domain.korean import particle
from app.errors import ValidationError

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA = "클라우드 메타데이터 주소"
LOOPBACK = "루프백 주소"
PRIVATE = "사설망 주소"
LINK_LOCAL = "링크 로컬 주소"
CGNAT = "CGNAT 주소(100.64.0.0/10)"
MULTICAST = "멀티캐스트 주소"
UNSPECIFIED = "지정되지 않은 주소"
RESERVED = "예약된 주소"

#: AWS, GCP and Oracle (and AWS's IPv6 one), Alibaba, Azure's wire server (a public address
#: otherwise); named before link-local and CGNAT so that this reason wins
_METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16"))


def _table(*rows: tuple[str, tuple[str, ...]]) -> list[tuple[str, list]]:
    return [(reason, [ipaddress.ip_network(n) for n in networks]) for reason, networks in rows]


_V4 = _table(
    (LOOPBACK, ("127.0.0.0/8",)),
    (UNSPECIFIED, ("0.0.0.0/8",)),
    (PRIVATE, ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")),
    (LINK_LOCAL, ("169.254.0.0/16",)),
    (CGNAT, ("100.64.0.0/10",)),
    (MULTICAST, ("224.0.0.0/4",)),
    # IETF protocol assignments, documentation, the old 6to4 relay, benchmarking, 240/4
    # (with the broadcast address 255.255.255.255)
    (RESERVED, ("192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15",
                "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4")),
)
_V6 = _table(
    (PRIVATE, ("fc00::/7", "fec0::/10")),          # unique local; the deprecated site-local
    (LINK_LOCAL, ("fe80::/10",)),
    (MULTICAST, ("ff00::/8",)),
    # IETF protocol assignments (Teredo, benchmarking, ORCHID), documentation
    (RESERVED, ("2001::/23", "2001:db8::/32", "3fff::/20")),
)
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")


def refusal(ip: IP, *, allow_loopback: bool) -> str | None:
    """None when `ip` is a public unicast address a webhook may go to; otherwise the Korean
    name of its class (LOOPBACK, PRIVATE, …). Loopback is allowed only with `allow_loopback`
    (a local receiver outside production)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(int(ip))          # fe80::1%eth0 is judged as fe80::1
    if ip in _METADATA:
        return METADATA
    if ip.is_loopback:                               # 127.0.0.0/8 and ::1
        return None if allow_loopback else LOOPBACK
    if ip.is_unspecified:                            # :: (0.0.0.0 is in the table's 0/8)
        return UNSPECIFIED
    if isinstance(ip, ipaddress.IPv6Address):
        return _refusal_v6(ip, allow_loopback)
    for reason, networks in _V4:
        if any(ip in network for network in networks):
            return reason
    return None if ip.is_global else RESERVED


def _refusal_v6(ip: ipaddress.IPv6Address, allow_loopback: bool) -> str | None:
    if ip.ipv4_mapped is not None:                   # the same socket, an IPv4 peer
        return refusal(ip.ipv4_mapped, allow_loopback=allow_loopback)
    if ip.sixtofour is not None or ip in _NAT64:     # a relay reaches the embedded address,
        embedded = ip.sixtofour or ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        return refusal(embedded, allow_loopback=False)   # never this machine's loopback
    if ip in _COMPATIBLE:                            # deprecated, routed nowhere
        return refusal(ipaddress.IPv4Address(int(ip)), allow_loopback=False) or RESERVED
    for reason, networks in _V6:
        if any(ip in network for network in networks):
            return reason
    return None if ip in _GLOBAL_UNICAST and ip.is_global else RESERVED


def described(reason: str, address) -> str:
    """The class with the address: "루프백 주소(127.0.0.1)", and for a name that carries its
    range already, "CGNAT 주소(100.64.0.0/10 대역의 100.64.0.1)"."""
    if reason.endswith(")"):
        return f"{reason[:-1]} 대역의 {address})"
    return f"{reason}({address})"


def refusal_message(reason: str, address, host: str | None = None) -> str:
    """The Korean refusal of a URL whose host is (`host` None) or resolves to a refused
    address. The particle follows the class's name, not the address in brackets."""
    name = reason.split("(", 1)[0]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = f"::ffff:{address.ipv4_mapped}"      # as written, not ::ffff:7f00:1
    if host is None:
        said = f"웹훅 URL이 {described(reason, address)}{particle(name, '을/를')} 가리킵니다."
    else:                 # the address a name resolves to is not told: it would map internal names
        said = f"웹훅 URL의 호스트 {host}{particle(host, '이/가')} {name}{particle(name, '으로/로')} 연결됩니다."
    return said + " 인터넷에서 접속할 수 있는 공개 주소만 쓸 수 있습니다."


@dataclass(frozen=True)
class Target:
    """A checked webhook URL, in the parts a connection needs."""
    scheme: str              # "https" ("http" only outside production)
    host: str                # lowercased, IDNA-encoded; an IP in its canonical form, no brackets
    port: int
    path_and_query: str      # at least "/", non-ASCII percent-encoded, no fragment
    host_header: str         # host[:port] as sent ("[2001:db8::1]:8443"); no port when default


MAX_URL = 2000
_DEFAULT_PORTS = {"https": 443, "http": 80}
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_ASCII_PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F))
_NUMERIC = frozenset("0123456789abcdefx.")


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, field="URL", code="invalid_webhook_url")


def check_url(url, *, production: bool) -> Target:
    """The `Target` of a webhook URL, or a ValidationError on the field "URL" (code
    invalid_webhook_url) saying what is wrong. A fragment is dropped."""
    if not isinstance(url, str) or not url:
        raise _invalid("웹훅 URL을 입력해 주세요.")
    if len(url) > MAX_URL:
        raise _invalid(f"웹훅 URL은 {MAX_URL:,}자를 넘을 수 없습니다.")
    if any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in url):
        raise _invalid("웹훅 URL에 공백이나 제어 문자를 넣을 수 없습니다.")
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        raise _invalid("웹훅 URL의 형식이 올바르지 않습니다.") from None
    if parts.scheme != "https" and (production or parts.scheme != "http"):
        raise _invalid("웹훅 URL은 https://로 시작해야 합니다." if production
                       else "웹훅 URL은 https:// 또는 http://로 시작해야 합니다.")
    if "@" in parts.netloc:
        raise _invalid("웹훅 URL에 사용자 이름이나 비밀번호를 넣을 수 없습니다.")
    host, ip, port_text = _host_and_port(parts.netloc)
    if ip is not None:
        reason = refusal(ip, allow_loopback=not production)
        if reason:
            raise _invalid(refusal_message(reason, ip))
    elif production and is_localhost_name(host):     # known without asking DNS
        raise _invalid(refusal_message(LOOPBACK, host))
    if parts.scheme == "http" and not (is_localhost_name(host) or (
            ip is not None and refusal(ip, allow_loopback=False) == LOOPBACK)):
        raise _invalid("웹훅 URL은 https://로 시작해야 합니다. http://는 개발 환경의 로컬 수신 서버"
                       "(127.0.0.1, localhost)에만 쓸 수 있습니다.")
    default = _DEFAULT_PORTS[parts.scheme]
    if not port_text:                                # "host:" is the default port too
        port = default
    elif port_text.isascii() and port_text.isdigit() and 1 <= int(port_text) <= 65535:
        port = int(port_text)
    else:
        raise _invalid("웹훅 URL의 포트는 1부터 65535까지의 숫자여야 합니다.")
    header = f"[{host}]" if ":" in host else host
    if port != default:
        header += f":{port}"
    path = urllib.parse.quote(parts.path or "/", safe=_ASCII_PRINTABLE)
    if parts.query:
        path += "?" + urllib.parse.quote(parts.query, safe=_ASCII_PRINTABLE)
    return Target(parts.scheme, host, port, path, header)


def _host_and_port(netloc: str) -> tuple[str, IP | None, str | None]:
    """(host, its address when it is an IP literal, the port's text) of a netloc."""
    if netloc.startswith("["):
        inside, bracket, rest = netloc[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise _invalid("웹훅 URL의 형식이 올바르지 않습니다.")
        if "%" in inside:
            raise _invalid("웹훅 URL의 IPv6 주소에는 영역 표시(%)를 쓸 수 없습니다.")
        try:
            ip = ipaddress.IPv6Address(inside)
        except ValueError:
            raise _invalid("웹훅 URL의 IPv6 주소가 올바르지 않습니다.") from None
        return str(ip), ip, rest[1:] or None
    host, _, port_text = netloc.partition(":")
    if not host:
        raise _invalid("웹훅 URL에 호스트가 없습니다.")
    try:          # IDNA first: full-width digits and dots ("１２７。０。０。１") become ASCII
        host = (host if host.isascii() else host.encode("idna").decode("ascii")).lower()
    except UnicodeError:
        raise _invalid("웹훅 URL의 호스트 이름이 올바르지 않습니다.") from None
    ip = ipv4_literal(host)
    if ip is not None:
        return str(ip), ip, port_text
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _invalid("웹훅 URL의 호스트 이름이 올바르지 않습니다.")
    return host, None, port_text


def is_localhost_name(host: str) -> bool:
    """`localhost` and names under it, which resolvers answer with loopback (RFC 6761)."""
    host = host.removesuffix(".")
    return host == "localhost" or host.endswith(".localhost")


def ipv4_literal(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address `host` is written as, in any form the system's resolver reads as one:
    a dotted quad, or the short, decimal, octal and hex forms of inet_aton (`127.1`,
    `2130706433`, `0x7f.1`, `0177.0.0.1`); a trailing dot ignored. None for a name. glibc's
    getaddrinfo parses numbers with this same inet_aton, so the two never disagree."""
    candidate = host.removesuffix(".")
    if not candidate or not set(candidate) <= _NUMERIC:
        return None
    try:
        return ipaddress.IPv4Address(candidate)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(candidate))
    except OSError:
        return None
