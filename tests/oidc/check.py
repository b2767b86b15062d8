"""The OpenID Connect provider, driven by a client we did not write:
Authlib's OAuth 2.0 session (PyPI `authlib`) for the protocol, and joserfc
(Authlib's JOSE library) to check ID tokens against the published keys.
Run by scripts/test.sh against a running portal with the demo organisation:

    python check.py BASE_URL

As people and apps would: the app admin registers a confidential client
over the admin API, the privileged admin consents for the organisation, the
employee signs in through the browser's forms; then the client discovers the
provider, sends the employee through authorize with PKCE (S256), redeems the
code, checks the ID token (RS256, then EdDSA for a client registered for it),
calls userinfo, refreshes (rotation), introspects (RFC 7662) and revokes
(RFC 7009). Any failed expectation fails the run.
"""

import re
import secrets
import sys
import urllib.parse

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

PASSWORD = "Northwind-Demo-2026"
APP_ADMIN = "sam.patel@northwind.example"
PRIVILEGED_ADMIN = "morgan.lee@northwind.example"
EMPLOYEE = "alex.wu@northwind.example"
CALLBACK = "http://127.0.0.1:8765/callback"

failures = []


def expect(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def signed_in(base, upn):
    """A browser session after the sign-in form, and its CSRF token."""
    browser = requests.Session()
    page = browser.get(f"{base}/sign-in", headers={"accept": "text/html"}).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    browser.post(
        f"{base}/auth/sign-in",
        data={"csrf_token": csrf, "upn": upn, "password": PASSWORD},
        headers={"accept": "text/html"},
        allow_redirects=False,
    )
    me = browser.get(f"{base}/api/v1/me").json()
    return browser, me["csrf_token"]


def register_client(base, name, alg):
    admin, csrf = signed_in(base, APP_ADMIN)
    headers = {"x-csrf-token": csrf}
    catalogue = admin.get(f"{base}/api/v1/admin/permissions", headers=headers).json()
    wanted = {"openid", "profile", "email", "offline_access"}
    ids = [p["id"] for api in catalogue for p in api["permissions"] if p["value"] in wanted]
    created = admin.post(
        f"{base}/api/v1/admin/apps",
        headers=headers,
        json={
            "name": name,
            "sign_on_mode": "oidc",
            "assignment_required": False,
            "publisher_verified": True,
            "launch_url": "http://127.0.0.1:8765/",
            "redirect_uris": [CALLBACK],
            "id_token_signed_response_alg": alg,
            "permission_ids": ids,
        },
    )
    assert created.status_code == 201, created.text
    app = created.json()
    privileged, csrf = signed_in(base, PRIVILEGED_ADMIN)
    granted = privileged.post(f"{base}/api/v1/admin/apps/{app['id']}/consents", headers={"x-csrf-token": csrf}, json={})
    assert granted.status_code < 300, granted.text
    return app


def through_the_portal(base, browser, url):
    """Follows the portal's redirects (sign-in already done) to the callback."""
    for _ in range(10):
        res = browser.get(url, headers={"accept": "text/html"}, allow_redirects=False)
        location = res.headers.get("location", "")
        if location.startswith(CALLBACK):
            return location
        if not location:
            raise AssertionError(f"stopped at {url}: {res.status_code}")
        url = urllib.parse.urljoin(base, location)
    raise AssertionError("too many redirects")


def run(base, name, alg):
    print(f"--- {name} ({alg})")
    app = register_client(base, name, alg)
    metadata = requests.get(f"{base}/.well-known/openid-configuration").json()
    expect(metadata["issuer"] == base, "discovery: the issuer is the portal")
    client = OAuth2Session(
        app["client_id"],
        app["client_secret"],
        scope="openid profile email offline_access",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    browser, _ = signed_in(base, EMPLOYEE)
    callback = through_the_portal(base, browser, url)
    token = client.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    expect("id_token" in token and "refresh_token" in token, "code + PKCE: an ID token and a refresh token")

    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"]).json())
    decoded = jwt.decode(token["id_token"], keys, algorithms=[alg])
    expect(decoded.header["alg"] == alg, f"the ID token is signed {alg}")
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": base},
        aud={"essential": True, "value": app["client_id"]},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        exp={"essential": True},
    )
    try:
        registry.validate(decoded.claims)
        expect(True, "the ID token's iss, aud, nonce, exp are right")
    except Exception as e:  # noqa: BLE001 - reported, then the run fails
        expect(False, f"the ID token's claims: {e}")
    expect(decoded.claims.get("preferred_username") == EMPLOYEE, "the ID token names the employee")

    info = client.get(metadata["userinfo_endpoint"]).json()
    expect(info.get("sub") == decoded.claims["sub"], "userinfo answers for the same subject")

    old_refresh = token["refresh_token"]
    refreshed = client.refresh_token(metadata["token_endpoint"], refresh_token=old_refresh)
    expect(refreshed["refresh_token"] != old_refresh, "refresh rotates the refresh token")

    seen = client.introspect_token(metadata["introspection_endpoint"], token=refreshed["access_token"]).json()
    expect(seen.get("active") is True and seen.get("sub") == decoded.claims["sub"], "introspection: the new access token is active")

    revoked = client.revoke_token(metadata["revocation_endpoint"], token=refreshed["refresh_token"], token_type_hint="refresh_token")
    expect(revoked.status_code == 200, "revocation answers 200")
    seen = client.introspect_token(metadata["introspection_endpoint"], token=refreshed["access_token"]).json()
    expect(seen.get("active") is False, "revoking the refresh token revokes its access tokens")
    try:
        client.refresh_token(metadata["token_endpoint"], refresh_token=refreshed["refresh_token"])
        expect(False, "a revoked refresh token is refused")
    except Exception as e:  # noqa: BLE001
        expect("invalid_grant" in str(e), "a revoked refresh token is refused (invalid_grant)")


def main():
    base = sys.argv[1].rstrip("/")
    run(base, "Authlib RS256 client", "RS256")
    run(base, "Authlib EdDSA client", "EdDSA")
    if failures:
        print(f"{len(failures)} expectation(s) failed")
        sys.exit(1)
    print("the OpenID Connect provider passed Authlib's client")


if __name__ == "__main__":
    main()
