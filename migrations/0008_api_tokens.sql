-- API tokens for automation (scripts, HR systems over SCIM): each acts for
-- one organisation with one admin role, whoever created it. Only the
-- SHA-256 digest of the secret is kept; the secret is shown once.
-- Revoked tokens stay listed (who revoked, when) and never work again.
-- The first schema sketched a table of this name that nothing ever wrote
-- (scopes instead of a role, no digest index of its own): replaced.
DROP TABLE api_tokens;
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- lower(name): names are unique among the organisation's live tokens
    name_normalized TEXT NOT NULL,
    role TEXT NOT NULL
        CONSTRAINT api_tokens_role_check CHECK (role IN ('app_admin', 'privileged_admin')),
    secret_digest TEXT NOT NULL UNIQUE,
    -- the secret's last four characters, to tell tokens apart in a list
    secret_hint TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    -- written at most once a minute per token
    last_used_at BIGINT,
    revoked_at BIGINT,
    revoked_by TEXT
);
CREATE UNIQUE INDEX api_tokens_org_live_name_key ON api_tokens (org_id, name_normalized) WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_org_created_idx ON api_tokens (org_id, created_at);

-- Changes made with an API token name it as their actor.
ALTER TABLE audit_events ADD COLUMN actor_token_id TEXT;
