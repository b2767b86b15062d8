-- Logos admins upload for their apps, kept in the database (every replica
-- serves them; none holds a file another needs). Only raster images whose
-- type was recognised from their bytes: never SVG, which can carry script.
CREATE TABLE app_logos (
    org_id TEXT NOT NULL,
    app_id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL
        CONSTRAINT app_logos_content_type_check
        CHECK (content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
    -- SHA-256 of the bytes, hex: names the logo's address, so a new logo
    -- is a new address and the old one can be cached for good
    digest TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    FOREIGN KEY (org_id, app_id) REFERENCES applications (org_id, id) ON DELETE CASCADE
);
