-- License seats, and indexes for the My Apps queries.
-- Who holds a seat of each license, kept up to date in the same transaction
-- as every change that can move a seat (license, assignment, membership), so
-- reading a user's licenses costs one indexed lookup however large the org.
-- Rows exist for every claimant: has_seat = FALSE means "not enough seats".
CREATE TABLE license_seats (
    org_id TEXT NOT NULL,
    license_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    effective_at BIGINT NOT NULL,
    has_seat BOOLEAN NOT NULL,
    PRIMARY KEY (license_id, user_id),
    FOREIGN KEY (org_id, license_id) REFERENCES licenses (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX license_seats_user_idx ON license_seats (user_id);

-- Launch lookups of a user's own events by correlation id.
CREATE INDEX sign_in_events_user_idx ON sign_in_events (user_id, created_at);

-- The apps open to everyone in an org (no assignment required): part of
-- every employee's list.
CREATE INDEX applications_open_idx ON applications (org_id) WHERE assignment_required = FALSE;
