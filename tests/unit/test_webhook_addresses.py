"""Where a webhook may go (SEC-08, API-06): the refused classes of address, IPv4 and IPv6,
and the check of a webhook URL at save time (app/domain/addresses.py)."""
import ipaddress

import pytest

from app.domain import addresses
from app.domain.addresses import Target, check_url, ipv4_literal, refusal
from app.errors import ValidationError

REFUSED = [
    ("127.0.0.1", addresses.LOOPBACK), ("127.8.9.10", addresses.LOOPBACK),
    ("::1", addresses.LOOPBACK), ("::ffff:127.0.0.1", addresses.LOOPBACK),
    ("10.0.0.1", addresses.PRIVATE), ("10.255.255.255", addresses.PRIVATE),
    ("172.16.0.1", addresses.PRIVATE), ("172.31.255.255", addresses.PRIVATE),
    ("192.168.1.1", addresses.PRIVATE), ("fc00::1", addresses.PRIVATE), ("fd12::1", addresses.PRIVATE),
    ("169.254.1.1", addresses.LINK_LOCAL), ("fe80::1", addresses.LINK_LOCAL),
    ("fe80::1%eth0", addresses.LINK_LOCAL),
    ("100.64.0.1", addresses.CGNAT), ("100.127.255.254", addresses.CGNAT),
    ("169.254.169.254", addresses.METADATA), ("fd00:ec2::254", addresses.METADATA),
    ("100.100.100.200", addresses.METADATA), ("168.63.129.16", addresses.METADATA),
    ("::ffff:169.254.169.254", addresses.METADATA),
    ("224.0.0.1", addresses.MULTICAST), ("239.255.255.250", addresses.MULTICAST),
    ("ff02::1", addresses.MULTICAST),
    ("0.0.0.0", addresses.UNSPECIFIED), ("0.1.2.3", addresses.UNSPECIFIED), ("::", addresses.UNSPECIFIED),
    ("240.0.0.1", addresses.RESERVED), ("255.255.255.255", addresses.RESERVED),
    ("192.0.2.1", addresses.RESERVED), ("198.51.100.7", addresses.RESERVED),
    ("203.0.113.9", addresses.RESERVED), ("198.18.0.1", addresses.RESERVED),
    ("192.0.0.8", addresses.RESERVED), ("2001:db8::1", addresses.RESERVED),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", addresses.RESERVED),     # Teredo
    ("::8.8.8.8", addresses.RESERVED),                                 # IPv4-compatible, deprecated
    ("5f00::1", addresses.RESERVED),                                   # outside 2000::/3
    # IPv6 carrying a refused IPv4 address is judged by it
    ("::ffff:10.0.0.1", addresses.PRIVATE), ("64:ff9b::a00:1", addresses.PRIVATE),
    ("2002:a00:1::", addresses.PRIVATE), ("::10.0.0.1", addresses.PRIVATE),
    ("64:ff9b::a9fe:a9fe", addresses.METADATA), ("2002:6440:1::1", addresses.CGNAT),
    ("64:ff9b::7f00:1", addresses.LOOPBACK), ("2002:7f00:1::", addresses.LOOPBACK),
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2001:4860:4860::8888",
          "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize("address, reason", REFUSED)
def test_refused_classes(address, reason):
    assert refusal(ipaddress.ip_address(address), allow_loopback=False) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_unicast_is_accepted(address):
    assert refusal(ipaddress.ip_address(address), allow_loopback=False) is None
    assert refusal(ipaddress.ip_address(address), allow_loopback=True) is None


@pytest.mark.parametrize("address, allowed", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True),
    # through a NAT64 or 6to4 relay it is not this machine's loopback
    ("64:ff9b::7f00:1", False), ("2002:7f00:1::", False),
    ("10.0.0.1", False), ("169.254.169.254", False), ("0.0.0.0", False),
])
def test_loopback_only_with_allow_loopback(address, allowed):
    got = refusal(ipaddress.ip_address(address), allow_loopback=True)
    assert (got is None) is allowed


def _error(url, production=True) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_url(url, production=production)
    assert caught.value.field == "URL" and caught.value.code == "invalid_webhook_url"
    return caught.value


def test_a_plain_https_url():
    assert check_url("https://hooks.example.com/megabird?x=1", production=True) == Target(
        "https", "hooks.example.com", 443, "/megabird?x=1", "hooks.example.com")


def test_http_only_outside_production():
    assert "https://" in _error("http://hooks.example.com/").message
    target = check_url("http://127.0.0.1:8080/hook", production=False)
    assert (target.scheme, target.host, target.port, target.host_header) == (
        "http", "127.0.0.1", 8080, "127.0.0.1:8080")
    assert "https:// 또는 http://" in _error("ftp://hooks.example.com/", production=False).message


@pytest.mark.parametrize("url", [None, "", 42])
def test_missing(url):
    assert _error(url).message == "웹훅 URL을 입력해 주세요."


def test_length_limit():
    url = "https://hooks.example.com/" + "a" * (2001 - len("https://hooks.example.com/"))
    assert len(url) == 2001
    assert "2,000자" in _error(url).message
    assert check_url(url[:-1], production=True).host == "hooks.example.com"


@pytest.mark.parametrize("url", ["https://hooks.example.com/a b", " https://hooks.example.com/",
                                 "https://hooks.example.com/\n", "https://hooks.example.com/\t",
                                 "https://hooks.example.com/\x00", "https://hooks.example.com/\u202e"])
def test_whitespace_and_control_characters(url):
    assert "공백이나 제어 문자" in _error(url).message


@pytest.mark.parametrize("url", ["https://user:pass@hooks.example.com/", "https://user@hooks.example.com/",
                                 "https://hooks.example.com@127.0.0.1/"])
def test_userinfo(url):
    assert "사용자 이름이나 비밀번호" in _error(url).message


@pytest.mark.parametrize("url", ["https:///hook", "https://:443/", "https:hooks.example.com"])
def test_no_host(url):
    assert "호스트가 없습니다" in _error(url).message


@pytest.mark.parametrize("url", ["https://hooks.example.com:0/", "https://hooks.example.com:65536/",
                                 "https://hooks.example.com:http/", "https://hooks.example.com:-1/",
                                 "https://hooks.example.com:80:80/", "https://[2606:4700:4700::1111]:x/"])
def test_bad_port(url):
    assert "포트는 1부터 65535까지" in _error(url).message


@pytest.mark.parametrize("url", ["https://hooks..example.com/", "https://hooks.exa%6Dple.com/",
                                 "https://-hooks.example.com/", "https://hooks.example.com\\x/"])
def test_bad_host_name(url):
    assert "호스트 이름이 올바르지 않습니다" in _error(url).message


@pytest.mark.parametrize("host, shown", [
    ("127.0.0.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
    ("127.0.0.1.", "127.0.0.1"), ("１２７。０。０。１", "127.0.0.1"),   # full-width, through IDNA
    ("[::1]", "::1"), ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
])
def test_loopback_in_any_form_is_refused_in_production(host, shown):
    message = _error(f"https://{host}/hook").message
    assert message == (f"웹훅 URL이 루프백 주소({shown})를 가리킵니다. "
                       "인터넷에서 접속할 수 있는 공개 주소만 쓸 수 있습니다.")


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1", "[::1]"])
def test_loopback_forms_are_a_local_receiver_outside_production(host):
    target = check_url(f"http://{host}:8000/", production=False)
    assert target.host in ("127.0.0.1", "::1")


@pytest.mark.parametrize("url, said", [
    ("https://10.0.0.5/", "사설망 주소(10.0.0.5)를"),
    ("https://169.254.169.254/latest/meta-data/", "클라우드 메타데이터 주소(169.254.169.254)를"),
    ("https://[fd00:ec2::254]/", "클라우드 메타데이터 주소(fd00:ec2::254)를"),
    ("https://100.64.0.1/", "CGNAT 주소(100.64.0.0/10 대역의 100.64.0.1)를"),
    ("https://0/", "지정되지 않은 주소(0.0.0.0)를"),
    ("https://[::ffff:a00:1]/", "사설망 주소(::ffff:10.0.0.1)를"),
    ("http://192.168.0.1/", "사설망 주소(192.168.0.1)를"),   # outside production too
])
def test_other_refused_literals_name_their_class(url, said):
    assert said in _error(url, production="http:" not in url).message


def test_localhost_by_name_in_production():
    assert "루프백 주소(localhost)를" in _error("https://localhost:8443/").message
    assert "루프백 주소" in _error("https://api.localhost/").message
    assert check_url("http://localhost:8000/", production=False).host_header == "localhost:8000"


def test_ipv6_literal():
    target = check_url("https://[2606:4700:4700:0::1111]:8443/hook", production=True)
    assert (target.host, target.port, target.host_header) == (
        "2606:4700:4700::1111", 8443, "[2606:4700:4700::1111]:8443")
    assert check_url("https://[2606:4700:4700::1111]/", production=True).host_header == "[2606:4700:4700::1111]"
    assert "영역 표시" in _error("https://[fe80::1%25eth0]/").message
    for url in ("https://[8.8.8.8]/", "https://[hooks.example.com]/", "https://[::1/", "https://[::1]x/"):
        assert "올바르지 않습니다" in _error(url).message


def test_idn_host_and_non_ascii_path():
    target = check_url("https://한국.example/웹훅?이름=값", production=True)
    assert target.host == "xn--3e0b707e.example"
    assert target.path_and_query == "/%EC%9B%B9%ED%9B%85?%EC%9D%B4%EB%A6%84=%EA%B0%92"
    assert check_url("https://Bücher.Example/", production=True).host == "xn--bcher-kva.example"


def test_host_is_lowercased_and_default_port_left_out():
    target = check_url("HTTPS://Hooks.Example.COM:443", production=True)
    assert (target.scheme, target.host, target.port, target.path_and_query, target.host_header) == (
        "https", "hooks.example.com", 443, "/", "hooks.example.com")


def test_host_header_with_port():
    assert check_url("https://hooks.example.com:8443/x", production=True).host_header == "hooks.example.com:8443"
    assert check_url("https://hooks.example.com:443/x", production=False).host_header == "hooks.example.com"
    assert check_url("https://hooks.example.com:80/x", production=False).host_header == "hooks.example.com:80"
    assert check_url("http://127.0.0.1:80/x", production=False).host_header == "127.0.0.1"


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "http://[2001:4860:4860::8888]/x", "http://8.8.8.8/x"])
def test_plain_http_only_to_a_local_receiver_outside_production(url):
    with pytest.raises(ValidationError) as refused:
        check_url(url, production=False)
    assert "http://는 개발 환경의 로컬 수신 서버" in refused.value.message
    assert check_url("http://localhost:8000/hook", production=False).host == "localhost"


def test_fragment_dropped():
    assert check_url("https://hooks.example.com/a?b=1#secret", production=True).path_and_query == "/a?b=1"
    assert check_url("https://hooks.example.com#top", production=True).path_and_query == "/"


@pytest.mark.parametrize("host, expected", [
    ("8.8.8.8", "8.8.8.8"), ("134744072", "8.8.8.8"), ("0x8.0x8.0x8.0x8", "8.8.8.8"),
    ("hooks.example.com", None), ("cafe", None), ("1.2.3.4.5", None), ("deadbeef", None),
])
def test_ipv4_literal(host, expected):
    got = ipv4_literal(host)
    assert (str(got) if got else None) == expected


def test_public_literal_is_accepted():
    assert check_url("https://134744072/hook", production=True).host == "8.8.8.8"
