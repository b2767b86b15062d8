-- Who holds a seat, without a row per claimant. Seats go in seat order
-- (earliest effective time, ties by user id), so the holders are exactly the
-- claimants up to and including the last one who got a seat: storing that
-- one claimant's place (last_holder_at, last_holder_user_id) on the license
-- says, for any claimant, whether they hold a seat. A change on a group of
-- 100,000 then writes one row instead of 100,000 (BENCHMARKS.md, "License
-- seats"). NULL: nobody holds one (no seats, or no claimants). A claimant the
-- recompute has not counted yet sorts after the last holder: no seat until
-- it has (every change recomputes in its own transaction).
-- claimants: how many users claim the license (seats used = the lesser of
-- it and seats).
ALTER TABLE licenses ADD COLUMN claimants BIGINT NOT NULL DEFAULT 0;
ALTER TABLE licenses ADD COLUMN last_holder_at BIGINT;
ALTER TABLE licenses ADD COLUMN last_holder_user_id TEXT;

UPDATE licenses SET
    claimants = (SELECT COUNT(*) FROM license_seats s WHERE s.license_id = licenses.id),
    last_holder_at = (SELECT s.effective_at FROM license_seats s WHERE s.license_id = licenses.id AND s.has_seat
                      ORDER BY s.effective_at DESC, s.user_id DESC LIMIT 1),
    last_holder_user_id = (SELECT s.user_id FROM license_seats s WHERE s.license_id = licenses.id AND s.has_seat
                           ORDER BY s.effective_at DESC, s.user_id DESC LIMIT 1);
