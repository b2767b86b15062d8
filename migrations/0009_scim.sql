-- SCIM provisioning (RFC 7643): the client's own ids for users and groups,
-- and a user's name in parts as HR systems send it.
ALTER TABLE users ADD COLUMN external_id TEXT;
ALTER TABLE users ADD COLUMN given_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN family_name TEXT NOT NULL DEFAULT '';
CREATE INDEX users_org_external_id_idx ON users (org_id, external_id);
ALTER TABLE user_groups ADD COLUMN external_id TEXT;
CREATE INDEX user_groups_org_external_id_idx ON user_groups (org_id, external_id);
