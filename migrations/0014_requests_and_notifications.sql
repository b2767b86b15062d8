-- Requests people make of their reviewers, one table for both kinds:
--   consent: an admin-consent request for an app; while one is pending for
--            an app, everyone who asks joins it (request_requesters);
--   access:  a request to have an app assigned; one per requester and app
--            while pending (subject_user_id is the requester).
-- The admin_consent_* tables of 0001 were never written; they are replaced.
DROP TABLE admin_consent_request_permissions;
DROP TABLE admin_consent_requesters;
DROP TABLE admin_consent_requests;

CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    kind TEXT NOT NULL CONSTRAINT requests_kind_check CHECK (kind IN ('consent', 'access')),
    app_id TEXT NOT NULL,
    subject_user_id TEXT,
    status TEXT NOT NULL DEFAULT 'pending'
        CONSTRAINT requests_status_check
        CHECK (status IN ('pending', 'approved', 'denied', 'blocked', 'expired')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- when reviewers are reminded (once), and whether they were
    remind_at BIGINT NOT NULL,
    reminded_at BIGINT,
    -- the decision (or the expiry, with no decider)
    decided_at BIGINT,
    decided_by_user_id TEXT,
    decided_by_label TEXT,
    decision_reason TEXT,
    -- what an approval did beyond the obvious ("no seat was free", ...)
    outcome TEXT,
    CONSTRAINT requests_org_id_key UNIQUE (org_id, id),
    CONSTRAINT requests_subject_check CHECK ((kind = 'access') = (subject_user_id IS NOT NULL)),
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, subject_user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
-- at most one pending consent request per app, one pending access request
-- per requester and app
CREATE UNIQUE INDEX requests_pending_key ON requests (kind, app_id, COALESCE(subject_user_id, '')) WHERE status = 'pending';
-- the background task's work: pending requests by deadline
CREATE INDEX requests_pending_expiry_idx ON requests (expires_at) WHERE status = 'pending';
CREATE INDEX requests_pending_reminder_idx ON requests (remind_at) WHERE status = 'pending' AND reminded_at IS NULL;
CREATE INDEX requests_org_idx ON requests (org_id, status, created_at);

CREATE TABLE request_requesters (
    org_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    justification TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (request_id, user_id),
    FOREIGN KEY (org_id, request_id) REFERENCES requests (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX request_requesters_user_idx ON request_requesters (user_id, requested_at);

-- the permissions a consent request asks the organisation to grant
CREATE TABLE request_permissions (
    org_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    permission_id TEXT NOT NULL,
    PRIMARY KEY (request_id, permission_id),
    FOREIGN KEY (org_id, request_id) REFERENCES requests (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, permission_id) REFERENCES permissions (org_id, id) ON DELETE CASCADE
);

-- Notifications are also the e-mail outbox: email_to is set when the
-- notification was made while SMTP was configured; the mailer sends those
-- not yet sent and records emailed_at (or gives up after some attempts).
ALTER TABLE notifications ADD COLUMN email_to TEXT;
ALTER TABLE notifications ADD COLUMN email_attempts BIGINT NOT NULL DEFAULT 0;
-- a replica sending the e-mail holds it until then (or until the claim goes stale)
ALTER TABLE notifications ADD COLUMN email_claimed_at BIGINT;
CREATE INDEX notifications_outbox_idx ON notifications (created_at) WHERE email_to IS NOT NULL AND emailed_at IS NULL;
CREATE INDEX notifications_unread_idx ON notifications (user_id, created_at) WHERE read_at IS NULL;

-- Who made a grant, as people read it (an admin, an approval, an API token);
-- a user's own consent leaves it empty (granted_by is the user).
ALTER TABLE consent_grants ADD COLUMN granted_by_label TEXT;
