-- The admin's user search walks an organisation's users in UPN order and
-- tests each one's UPN, name and e-mail: with all three in the index the
-- test reads no table row, and only the page's matching rows are fetched
-- (measured on SQLite, 100,000 users, no match: 220 ms -> see BENCHMARKS.md).
CREATE INDEX users_directory_idx ON users (org_id, upn_normalized, display_name, email);
