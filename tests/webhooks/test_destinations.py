"""Where webhooks may go: a URL naming a non-public address is refused when it is given; a
name is resolved at delivery and refused if any address is not allowed, the delivery failed
at once with the reason in the log; the connection goes to the address that was checked;
redirects are not followed. The receiver is real (127.0.0.1); only name lookups are faked."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from tests.webhooks.receiver import FakeDNS, Receiver

from datafab.services import webhooks
from datafab.services.webhooks import Deliverer
from datafab.store.tables import webhook_endpoints, webhook_secrets

SETTING = "DATAFAB_WEBHOOK_ALLOWED_NETWORKS"


@pytest.fixture
def settings_overrides() -> dict:
    return {}  # the default: public addresses only (the directory's conftest allows loopback)


@pytest.fixture
def dns(monkeypatch) -> FakeDNS:
    return FakeDNS(monkeypatch)


def _count(foundry, table) -> int:
    with foundry.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def _deliver(foundry) -> list[webhooks.Attempt]:
    deliverer = Deliverer(foundry)
    try:
        return deliverer.run_once()
    finally:
        deliverer.stop()


def _log(api, org) -> list[dict]:
    return api.get("/v1/webhooks/deliveries", headers=org.headers).json()["data"]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://127.0.0.2/", "http://10.0.0.5/hook",
    "http://172.16.0.1/", "http://192.168.0.10:9000/x", "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0:8000/", "http://100.64.0.1/", "http://[::1]:8000/hook", "http://[::]/",
    "http://[fc00::1]/", "http://[fd00:ec2::254]/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/",
    "http://2130706433/", "http://0x7f.1/", "http://localhost:8000/hook", "https://LocalHost/",
    "http://api.localhost/",
])
def test_a_non_public_address_is_refused_when_registered(api, foundry, make_org, url):
    org = make_org()
    r = api.post("/v1/webhooks/endpoints", json={"url": url}, headers=org.headers)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_input" and error["field"] == "url"
    assert error["message"].startswith("url: ") and SETTING in error["message"]
    assert api.get("/v1/webhooks/endpoints", headers=org.headers).json() == {"data": []}
    assert _count(foundry, webhook_endpoints) == 0 and _count(foundry, webhook_secrets) == 0


def test_a_host_name_is_kept_and_checked_later(api, make_org):
    org = make_org()
    r = api.post("/v1/webhooks/endpoints", json={"url": "https://hooks.example.org/datafab"},
                 headers=org.headers)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("settings_overrides", [
    {"webhook_allowed_networks": "10.0.0.0/8, fd00::/8, localhost"}])
def test_the_operator_allows_networks_and_names(api, make_org, settings_overrides):
    org = make_org()
    for url in ("http://10.1.2.3/hook", "http://[fd00::5]:8080/", "http://localhost:9/x"):
        r = api.post("/v1/webhooks/endpoints", json={"url": url}, headers=org.headers)
        assert r.status_code == 201, (url, r.text)
    for url in ("http://192.168.1.1/", "http://11.0.0.1.localhost/", "http://[::1]/"):
        r = api.post("/v1/webhooks/endpoints", json={"url": url}, headers=org.headers)
        assert r.status_code == 422 and r.json()["error"]["field"] == "url", url


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_a_name_resolving_to_loopback_is_refused_at_delivery(api, foundry, clock, make_org,
                                                             dns, address):
    org = make_org()
    with Receiver() as receiver:
        receiver.up()
        dns.add("receiver.test", [address])
        url = f"http://receiver.test:{receiver.port}/hook"
        r = api.post("/v1/webhooks/endpoints", json={"url": url}, headers=org.headers)
        assert r.status_code == 201, r.text  # a name: nothing to judge before it is resolved
        with foundry.db.write() as conn:
            for step in range(2):
                webhooks.emit(conn, org.id, "budget.reached", "project:1", {"step": step},
                              clock())
        first = _deliver(foundry)
        assert [a.ok for a in first] == [False] and first[0].status_code is None
        second = _deliver(foundry)  # the refused one does not hold its chain for 24 hours
        assert [a.ok for a in second] == [False]
        assert receiver.received == [] and receiver.refused == 0  # never contacted
    log = _log(api, org)
    assert [d["status"] for d in log] == ["failed", "failed"]
    assert all(d["attempts"] == 1 and d["next_attempt_at"] is None for d in log)
    reason = log[0]["last_error"]
    assert reason.startswith("refused: receiver.test resolves to " + address)
    assert "loopback" in reason and SETTING in reason
    clock.advance(3600)
    assert _deliver(foundry) == []  # nothing left to retry


def test_an_address_stored_before_the_rule_is_refused_at_delivery(api, foundry, clock,
                                                                  make_org):
    org = make_org()
    with Receiver() as receiver:
        receiver.up()
        with foundry.db.write() as conn:  # as an older Datafab would have accepted them
            conn.execute(insert(webhook_endpoints), [
                {"organization_id": org.id, "url": url, "events": None, "active": True,
                 "created_at": clock()}
                for url in (receiver.url, f"http://[::1]:{receiver.port}/hook",
                            f"http://localhost:{receiver.port}/hook")])
            webhooks.emit(conn, org.id, "budget.reached", "project:1", {}, clock())
        attempts = _deliver(foundry)
        assert len(attempts) == 3 and not any(a.ok for a in attempts)
        assert receiver.received == []
    log = _log(api, org)
    assert [d["status"] for d in log] == ["failed"] * 3
    assert log[0]["last_error"].startswith("refused: 127.0.0.1 is a loopback address")
    assert log[1]["last_error"].startswith("refused: ::1 is a loopback address")
    assert log[2]["last_error"].startswith("refused: localhost resolves to ")


@pytest.mark.parametrize("settings_overrides", [{"webhook_allowed_networks": "127.0.0.0/8"}])
def test_an_allowed_network_is_delivered_to_with_the_name_kept(api, foundry, clock, make_org,
                                                               dns, settings_overrides):
    org = make_org()
    with Receiver() as receiver:
        receiver.up()
        dns.add("receiver.test", ["127.0.0.1"])
        url = f"http://receiver.test:{receiver.port}/hook"
        assert api.post("/v1/webhooks/endpoints", json={"url": url},
                        headers=org.headers).status_code == 201
        with foundry.db.write() as conn:
            webhooks.emit(conn, org.id, "budget.reached", "project:1", {"n": 1}, clock())
        assert [a.ok for a in _deliver(foundry)] == [True]
        (message,) = receiver.received
        assert message["headers"]["Host"] == f"receiver.test:{receiver.port}"
        assert message["json"]["data"] == {"n": 1}
    assert [d["status"] for d in _log(api, org)] == ["delivered"]


@pytest.mark.parametrize("settings_overrides", [{"webhook_allowed_networks": "127.0.0.1"}])
def test_the_connection_goes_to_the_address_that_was_checked(api, foundry, clock, make_org,
                                                             dns, settings_overrides):
    """DNS rebinding: the name answers an allowed address once, then something else (here:
    nothing). A client that looked the name up again to connect would fail."""
    org = make_org()
    with Receiver() as receiver:
        receiver.up()
        dns.add("rebind.test", ["127.0.0.1"], None)
        webhooks.create_endpoint(foundry, org.id,
                                 {"url": f"http://rebind.test:{receiver.port}/hook"})
        with foundry.db.write() as conn:
            webhooks.emit(conn, org.id, "budget.reached", "project:1", {}, clock())
        assert [a.ok for a in _deliver(foundry)] == [True]
        assert len(receiver.received) == 1
    assert dns.lookups == ["rebind.test"]


@pytest.mark.parametrize("settings_overrides", [{"webhook_allowed_networks": "127.0.0.1"}])
def test_redirects_are_not_followed(api, foundry, clock, make_org, settings_overrides):
    org = make_org()
    with Receiver() as receiver:
        receiver.up()
        receiver.redirect_to = f"http://127.0.0.1:{receiver.port}/elsewhere"
        webhooks.create_endpoint(foundry, org.id, {"url": receiver.url})
        with foundry.db.write() as conn:
            webhooks.emit(conn, org.id, "budget.reached", "project:1", {}, clock())
        (attempt,) = _deliver(foundry)
        assert not attempt.ok and attempt.status_code == 307
        assert receiver.refused == 1 and receiver.received == []  # /elsewhere never asked
    (entry,) = _log(api, org)
    assert entry["status"] == "pending" and entry["last_error"] == "HTTP 307"  # retried later


def test_a_name_that_does_not_resolve_is_retried(api, foundry, clock, make_org, dns):
    org = make_org()
    dns.add("gone.test", None)
    webhooks.create_endpoint(foundry, org.id, {"url": "http://gone.test/hook"})
    with foundry.db.write() as conn:
        webhooks.emit(conn, org.id, "budget.reached", "project:1", {}, clock())
    (attempt,) = _deliver(foundry)
    assert not attempt.ok and attempt.error.startswith("ConnectError: gone.test")
    (entry,) = _log(api, org)
    assert entry["status"] == "pending" and entry["next_attempt_at"] > clock()


def _https_receiver(tmp_path, name: str):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for ``name`` only."""
    import datetime
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, cert_file, received


@pytest.mark.parametrize("settings_overrides", [{"webhook_allowed_networks": "127.0.0.1"}])
def test_https_verifies_the_certificate_against_the_name(api, foundry, clock, make_org, dns,
                                                        tmp_path, monkeypatch,
                                                        settings_overrides):
    server, cert_file, received = _https_receiver(tmp_path, "secure.test")
    port = server.server_address[1]
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # trust the test certificate
    try:
        org = make_org()
        dns.add("secure.test", ["127.0.0.1"])
        dns.add("impostor.test", ["127.0.0.1"])
        for host in ("secure.test", "impostor.test"):
            webhooks.create_endpoint(foundry, org.id, {"url": f"https://{host}:{port}/hook"})
        with foundry.db.write() as conn:
            webhooks.emit(conn, org.id, "budget.reached", "project:1", {}, clock())
        good, bad = _deliver(foundry)
        assert good.ok and received == [f"secure.test:{port}"]
        assert not bad.ok and "CERTIFICATE_VERIFY_FAILED" in bad.error  # same address
    finally:
        server.shutdown()
        server.server_close()
