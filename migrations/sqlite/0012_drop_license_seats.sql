-- The per-claimant seat rows, replaced by the last holder's place on each
-- license (../0011_license_seat_cutoff.sql, which copied them over). Runs
-- here, after the triggers of 0004 on this table: the shared migrations all
-- run before this directory's. Its row triggers go with it.
DROP TABLE license_seats;
