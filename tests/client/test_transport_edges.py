"""Transport edges against the emulator: wrong endpoint, TLS, upload limits, concurrent use."""

from __future__ import annotations

import datetime
import ipaddress
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ctask_sync.datarobot.client import DataRobotClient
from ctask_sync.datarobot.retry import RetryPolicy
from ctask_sync.datarobot.upload import UploadFile
from ctask_sync.emulator import PYTHON_SKLEARN_ENV_ID, EmulatorSettings
from ctask_sync.emulator.app import EmulatorApp
from ctask_sync.errors import ApiError


def test_endpoint_without_api_v2_says_so(emulator: Any) -> None:
    root = emulator.endpoint.removesuffix("/api/v2")
    token = os.environ["DATAROBOT_API_TOKEN"]
    with DataRobotClient(root, token) as client, pytest.raises(ApiError) as caught:
        client.list_custom_tasks()
    assert caught.value.status == 404
    assert caught.value.hint == (
        f"the endpoint {root} does not end in /api/v2; DataRobot's API is normally at "
        "https://<your DataRobot host>/api/v2"
    )


def test_too_large_upload_is_a_plain_error_not_an_unknown_outcome(
    emulator_factory: Any, tmp_path: Path
) -> None:
    emu = emulator_factory(max_upload_bytes=1000)
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * 5000)
    with DataRobotClient(emu.endpoint, os.environ["DATAROBOT_API_TOKEN"]) as client:
        task = client.create_custom_task(
            name="t", target_type="Binary", language="python", description=""
        )
        with pytest.raises(ApiError) as caught:
            client.create_version(
                task.id,
                from_previous=False,
                is_major_update=True,
                base_environment_id=PYTHON_SKLEARN_ENV_ID,
                files=[UploadFile("big.bin", source)],
            )
        assert client.list_versions(task.id) == []
    assert type(caught.value) is ApiError
    assert caught.value.status == 413
    assert caught.value.hint == (
        "the request is larger than DataRobot accepts: leave large files out of the "
        "task, or shorten a large setting such as required_metadata"
    )


def test_concurrent_calls_share_one_client(client: DataRobotClient, admin: Any) -> None:
    # The engine applies tasks in parallel through one client: counters must not lose updates.
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(
            pool.map(
                lambda n: client.create_custom_task(
                    name=f"t{n}", target_type="Binary", language="python", description=""
                ),
                range(24),
            )
        )
    assert len({task.id for task in made}) == 24
    assert client.stats.writes == 24
    assert client.stats.by_method == {"POST": 24}
    assert len(admin.log("POST")) == 24


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, as an internal CA would issue."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ctask-sync test CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_endpoint(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The emulator's app served over HTTPS with a certificate no public CA vouches for."""
    from werkzeug.serving import make_server

    cert, key = _self_signed(tmp_path)
    server = make_server(
        "127.0.0.1",
        0,
        EmulatorApp(EmulatorSettings()),
        threaded=True,
        ssl_context=(str(cert), str(key)),
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.port}/api/v2", cert
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_tls_is_verified_and_a_ca_bundle_is_honoured(
    tls_endpoint: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, cert = tls_endpoint
    # requests would otherwise take a CA bundle from the environment instead of verify=True
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    token = os.environ["DATAROBOT_API_TOKEN"]
    with DataRobotClient(endpoint, token, retry=RetryPolicy(attempts=3)) as client:
        with pytest.raises(ApiError) as caught:
            client.list_custom_tasks()
        assert client.stats.reads == 1  # a certificate problem does not go away by retrying
    error = caught.value
    assert error.status is None
    assert str(error).startswith(
        f"DataRobot GET customTasks/ failed (no response): TLS verification of {endpoint} "
        "failed: certificate verify failed: self-signed certificate\n"
    )
    assert error.hint == "pass --ca-bundle PATH with the certificate authorities your network uses"
    with DataRobotClient(endpoint, token, ca_bundle=str(cert)) as trusting:
        assert trusting.list_custom_tasks() == []
