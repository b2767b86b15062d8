-- When a group last changed (SCIM's meta.lastModified; its members or
-- fields through SCIM, its fields in the admin console).
ALTER TABLE user_groups ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE user_groups SET updated_at = created_at;
