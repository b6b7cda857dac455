-- +goose Up
-- Buyer inquiries about listings: the thread (messages with attachments and
-- quote announcements), quotes, per-user read markers for unread counts,
-- the transition history, and in-app notifications (also e-mailed through
-- the notify.email outbox topic). needed_by and valid_until are calendar
-- days stored as YYYY-MM-DD text, which sorts correctly on both dialects.

CREATE TABLE inquiries (
    id                     TEXT PRIMARY KEY,
    listing_id             TEXT NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    producer_id            TEXT NOT NULL REFERENCES producers (id) ON DELETE CASCADE,
    buyer_id               TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    listing_title          TEXT NOT NULL,
    quantity               BIGINT NOT NULL,
    unit                   TEXT NOT NULL,
    target_price_vnd       BIGINT,
    delivery_province_code TEXT NOT NULL,
    needed_by              TEXT NOT NULL,
    sample_requested       BOOLEAN NOT NULL DEFAULT FALSE,
    status                 TEXT NOT NULL,
    message_count          INTEGER NOT NULL DEFAULT 0,
    first_response_at      TIMESTAMPTZ,
    last_message_at        TIMESTAMPTZ NOT NULL,
    expiry_warned_at       TIMESTAMPTZ,
    closed_at              TIMESTAMPTZ,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    CONSTRAINT inquiries_status_known CHECK (status IN ('open', 'answered', 'quoted', 'closed_won', 'closed_lost', 'withdrawn', 'expired', 'spam')),
    CONSTRAINT inquiries_quantity_positive CHECK (quantity > 0)
);
CREATE INDEX inquiries_buyer_idx ON inquiries (buyer_id, id);
CREATE INDEX inquiries_producer_idx ON inquiries (producer_id, id);
CREATE INDEX inquiries_listing_idx ON inquiries (listing_id);
CREATE INDEX inquiries_open_idx ON inquiries (status, created_at);
CREATE INDEX inquiries_producer_created_idx ON inquiries (producer_id, created_at);

CREATE TABLE inquiry_messages (
    id         TEXT PRIMARY KEY,
    inquiry_id TEXT NOT NULL REFERENCES inquiries (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    author_id  TEXT REFERENCES users (id) ON DELETE SET NULL,
    side       TEXT NOT NULL,
    body       TEXT NOT NULL,
    quote_id   TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT inquiry_messages_side_known CHECK (side IN ('buyer', 'producer'))
);
CREATE UNIQUE INDEX inquiry_messages_seq_key ON inquiry_messages (inquiry_id, seq);

CREATE TABLE inquiry_attachments (
    id           TEXT PRIMARY KEY,
    message_id   TEXT NOT NULL REFERENCES inquiry_messages (id) ON DELETE CASCADE,
    inquiry_id   TEXT NOT NULL REFERENCES inquiries (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    object_key   TEXT NOT NULL,
    thumb_key    TEXT,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT inquiry_attachments_kind_known CHECK (kind IN ('image', 'document'))
);
CREATE INDEX inquiry_attachments_message_idx ON inquiry_attachments (message_id);
CREATE INDEX inquiry_attachments_inquiry_idx ON inquiry_attachments (inquiry_id);

CREATE TABLE inquiry_quotes (
    id             TEXT PRIMARY KEY,
    inquiry_id     TEXT NOT NULL REFERENCES inquiries (id) ON DELETE CASCADE,
    unit_price_vnd BIGINT NOT NULL,
    quantity       BIGINT NOT NULL,
    unit           TEXT NOT NULL,
    delivery_terms TEXT NOT NULL,
    delivery_place TEXT NOT NULL DEFAULT '',
    valid_until    TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    created_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    superseded_at  TIMESTAMPTZ,
    CONSTRAINT inquiry_quotes_status_known CHECK (status IN ('active', 'superseded')),
    CONSTRAINT inquiry_quotes_positive CHECK (unit_price_vnd > 0 AND quantity > 0)
);
-- A newer quote supersedes the older one: at most one active per inquiry.
CREATE UNIQUE INDEX inquiry_quotes_one_active ON inquiry_quotes (inquiry_id) WHERE status = 'active';
CREATE INDEX inquiry_quotes_inquiry_idx ON inquiry_quotes (inquiry_id, created_at);

-- What each participant has read: messages with a higher seq, written by
-- someone else, are unread.
CREATE TABLE inquiry_reads (
    inquiry_id    TEXT NOT NULL REFERENCES inquiries (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_read_seq INTEGER NOT NULL,
    read_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (inquiry_id, user_id)
);

CREATE TABLE inquiry_events (
    id          TEXT PRIMARY KEY,
    inquiry_id  TEXT NOT NULL REFERENCES inquiries (id) ON DELETE CASCADE,
    actor_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX inquiry_events_inquiry_idx ON inquiry_events (inquiry_id, at);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    inquiry_id TEXT REFERENCES inquiries (id) ON DELETE CASCADE,
    data       TEXT NOT NULL DEFAULT '{}',
    read_at    TIMESTAMPTZ,
    emailed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

-- +goose Down
DROP TABLE notifications;
DROP TABLE inquiry_events;
DROP TABLE inquiry_reads;
DROP TABLE inquiry_quotes;
DROP TABLE inquiry_attachments;
DROP TABLE inquiry_messages;
DROP TABLE inquiries;
