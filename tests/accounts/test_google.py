"""POST /api/v1/auth/google: ID tokens verified against a JWKS served on loopback with locally generated keys."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers import DEFAULT_PASSWORD, create_user

GOOGLE = "/api/v1/auth/google"
CLIENT_ID = "salon-test.apps.googleusercontent.com"
KID = "test-key-1"


class Keys:
    def __init__(self) -> None:
        self.signing = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> bytes:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.signing.public_key()))
        return json.dumps({"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}).encode()

    def token(self, *, key: Any = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://accounts.google.com",
            "aud": CLIENT_ID,
            "sub": "google-subject-1",
            "email": "gina@example.com",
            "email_verified": True,
            "name": "Gina G",
            "iat": now,
            "exp": now + 600,
            **overrides,
        }
        return jwt.encode(claims, key or self.signing, algorithm="RS256", headers={"kid": KID})


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def jwks_url(keys: Keys) -> Iterator[str]:
    body = keys.jwks()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/oauth2/v3/certs"
    server.shutdown()
    server.server_close()


@pytest.fixture
def google_app(app_factory: Callable[..., httpx.AsyncClient], jwks_url: str) -> httpx.AsyncClient:
    return app_factory(google_client_id=CLIENT_ID, google_jwks_url=jwks_url)


async def test_good_token_creates_an_account_and_signs_in(google_app: httpx.AsyncClient, keys: Keys) -> None:
    async with google_app as http:
        response = await http.post(GOOGLE, json={"id_token": keys.token()})

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["user"]["email"] == "gina@example.com"
        assert body["user"]["username"] == "gina"
        assert body["user"]["display_name"] == "Gina G"
        assert body["user"]["google_linked"] is True
        assert body["user"]["has_password"] is False
        me = await http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200

        again = await http.post(GOOGLE, json={"id_token": keys.token(iss="accounts.google.com")})
        assert again.status_code == 200
        assert again.json()["user"]["id"] == body["user"]["id"]
        # a Google-only account has no password to guess
        login = await http.post("/api/v1/auth/login", json={"login": "gina", "password": DEFAULT_PASSWORD})
        assert login.status_code == 401


async def test_verified_email_links_the_existing_account(
    client: httpx.AsyncClient, google_app: httpx.AsyncClient, keys: Keys
) -> None:
    existing = await create_user(client, "gina")

    async with google_app as http:
        response = await http.post(GOOGLE, json={"id_token": keys.token(email="GINA@example.com")})

    assert response.status_code == 200
    assert response.json()["user"]["id"] == existing.id
    assert response.json()["user"]["google_linked"] is True


async def test_unverified_email_does_not_link(
    client: httpx.AsyncClient, google_app: httpx.AsyncClient, keys: Keys
) -> None:
    existing = await create_user(client, "gina")

    async with google_app as http:
        response = await http.post(GOOGLE, json={"id_token": keys.token(email_verified=False)})

    assert response.status_code == 200
    assert response.json()["user"]["id"] != existing.id
    assert response.json()["user"]["email"] is None


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "someone-else.apps.googleusercontent.com"}, "another application"),
        ({"iss": "https://evil.example.com"}, "not issued by Google"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
    ],
)
async def test_bad_claims_are_refused(
    google_app: httpx.AsyncClient, keys: Keys, overrides: dict[str, Any], reason: str
) -> None:
    async with google_app as http:
        response = await http.post(GOOGLE, json={"id_token": keys.token(**overrides)})

    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert response.json()["code"] == "invalid_google_token"


async def test_bad_signature_is_refused(google_app: httpx.AsyncClient, keys: Keys) -> None:
    async with google_app as http:
        forged = await http.post(GOOGLE, json={"id_token": keys.token(key=keys.stranger)})
        garbage = await http.post(GOOGLE, json={"id_token": "not.a.jwt"})

    assert forged.status_code == 401
    assert "signature" in forged.json()["detail"]
    assert garbage.status_code == 401


async def test_unconfigured_google_sign_in_is_503(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.post(GOOGLE, json={"id_token": keys.token()})

    assert response.status_code == 503
    assert "SALON_GOOGLE_CLIENT_ID" in response.json()["detail"]
