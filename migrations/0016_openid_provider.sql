-- The OpenID Connect provider (issue 9).

-- Which algorithm signs a client's ID tokens (OpenID Connect Dynamic
-- Client Registration's id_token_signed_response_alg): RS256 unless the
-- client registers for EdDSA.
ALTER TABLE applications ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT 'RS256'
    CONSTRAINT applications_id_token_alg_check CHECK (id_token_signed_response_alg IN ('RS256', 'EdDSA'));

-- Exact addresses an app may send people to after signing them out
-- (OpenID Connect RP-Initiated Logout's post_logout_redirect_uris).
CREATE TABLE application_post_logout_redirect_uris (
    org_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    PRIMARY KEY (app_id, uri),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE
);

-- A code remembers when its user signed in (the ID token's auth_time) and,
-- once redeemed, the token family it started: a second redemption revokes
-- that family (RFC 6749 §4.1.2, RFC 9700 §4.3).
ALTER TABLE oauth_authorization_codes ADD COLUMN auth_time BIGINT;
ALTER TABLE oauth_authorization_codes ADD COLUMN family_id TEXT;
CREATE INDEX oauth_authorization_codes_expiry_idx ON oauth_authorization_codes (expires_at);

-- Access tokens belong to the family of the refresh token they came with,
-- so revoking a family (reuse of a rotated refresh token, a reused code,
-- revocation) revokes them too.
ALTER TABLE oauth_access_tokens ADD COLUMN family_id TEXT;
CREATE INDEX oauth_access_tokens_family_idx ON oauth_access_tokens (family_id);
CREATE INDEX oauth_refresh_tokens_family_idx ON oauth_refresh_tokens (family_id);

-- When a refresh token's user signed in (introspection's auth_time).
ALTER TABLE oauth_refresh_tokens ADD COLUMN auth_time BIGINT;

-- client_credentials: tokens for an app's own access, with no user.
CREATE TABLE oauth_client_tokens (
    token_hash TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_client_tokens_expiry_idx ON oauth_client_tokens (expires_at);
CREATE INDEX oauth_access_tokens_expiry_idx ON oauth_access_tokens (expires_at);
CREATE INDEX oauth_refresh_tokens_expiry_idx ON oauth_refresh_tokens (expires_at);
