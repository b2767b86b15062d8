-- Access requests (requests.kind = 'access'): why the requester's launch
-- was refused when they asked (not_assigned | license_missing).
ALTER TABLE requests ADD COLUMN reason_code TEXT;

-- The users and groups named on an app to review its access requests.
-- An app with none has its requests reviewed by the organisation's app
-- admins and privileged admins.
CREATE TABLE app_reviewers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    user_id TEXT,
    group_id TEXT,
    CONSTRAINT app_reviewers_one_principal_check CHECK ((user_id IS NULL) <> (group_id IS NULL)),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, group_id) REFERENCES user_groups (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX app_reviewers_key ON app_reviewers (app_id, COALESCE(user_id, ''), COALESCE(group_id, ''));
CREATE INDEX app_reviewers_user_idx ON app_reviewers (user_id);
CREATE INDEX app_reviewers_group_idx ON app_reviewers (group_id);
