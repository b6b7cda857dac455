-- +goose Up
-- Product listings and their photos. A listing's version counts its changes
-- (edits, state changes, photo changes) and is the ETag that makes two
-- editors' PATCHes conflict (412) instead of overwriting each other. Lists
-- (tags, months, markets, certifications) are JSON arrays in TEXT on both
-- dialects; search indexes them, SQL never filters on them.

CREATE TABLE listings (
    id               TEXT PRIMARY KEY,
    producer_id      TEXT NOT NULL REFERENCES producers (id),
    status           TEXT NOT NULL DEFAULT 'draft',
    title_vi         TEXT NOT NULL,
    title_en         TEXT NOT NULL DEFAULT '',
    description_vi   TEXT NOT NULL,
    description_en   TEXT NOT NULL DEFAULT '',
    product_group    TEXT NOT NULL,
    product_set      TEXT NOT NULL,
    certificate_id   TEXT REFERENCES certificates (id) ON DELETE SET NULL,
    unit             TEXT NOT NULL,
    price_min_vnd    BIGINT,
    price_max_vnd    BIGINT,
    min_order_qty    BIGINT NOT NULL DEFAULT 1,
    monthly_capacity BIGINT,
    lead_time_days   INTEGER,
    shelf_life_days  INTEGER,
    packaging        TEXT NOT NULL DEFAULT '',
    tags             TEXT NOT NULL DEFAULT '[]',
    harvest_months   TEXT NOT NULL DEFAULT '[]',
    sample_available BOOLEAN NOT NULL DEFAULT FALSE,
    export_markets   TEXT NOT NULL DEFAULT '[]',
    certifications   TEXT NOT NULL DEFAULT '[]',
    version          BIGINT NOT NULL DEFAULT 1,
    published_at     TIMESTAMPTZ,
    created_by       TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT listings_status_known CHECK (status IN ('draft', 'published', 'paused', 'archived')),
    CONSTRAINT listings_price_order CHECK (price_min_vnd IS NULL OR price_max_vnd IS NULL OR price_min_vnd <= price_max_vnd),
    CONSTRAINT listings_moq_positive CHECK (min_order_qty >= 1)
);
CREATE INDEX listings_producer_idx ON listings (producer_id, id);
CREATE INDEX listings_status_idx ON listings (status, id);
CREATE INDEX listings_certificate_idx ON listings (certificate_id) WHERE certificate_id IS NOT NULL;

CREATE TABLE listing_images (
    id             TEXT PRIMARY KEY,
    listing_id     TEXT NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    source_format  TEXT NOT NULL,
    source_bytes   BIGINT NOT NULL,
    display_key    TEXT NOT NULL,
    display_type   TEXT NOT NULL,
    display_width  INTEGER NOT NULL,
    display_height INTEGER NOT NULL,
    display_size   BIGINT NOT NULL,
    thumb_key      TEXT NOT NULL,
    thumb_type     TEXT NOT NULL,
    thumb_width    INTEGER NOT NULL,
    thumb_height   INTEGER NOT NULL,
    thumb_size     BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX listing_images_listing_idx ON listing_images (listing_id, position);

-- +goose Down
DROP TABLE listing_images;
DROP TABLE listings;
