-- The same shape as SQLite's (migrations/sqlite/0005, where the table is
-- clustered this way): keyed by (org_id, created_at, id), the primary key is
-- also the organisation-and-time index, and the separate one goes — one
-- index fewer to keep up for every launch's event.
ALTER TABLE sign_in_events DROP CONSTRAINT sign_in_events_pkey;
ALTER TABLE sign_in_events ADD CONSTRAINT sign_in_events_pkey PRIMARY KEY (org_id, created_at, id);
DROP INDEX sign_in_events_org_time_idx;
