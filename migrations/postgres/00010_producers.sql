-- +goose Up
-- OCOP producers, their members and their certificates. Province and commune
-- codes are checked against the embedded reference data by the use case
-- (internal/places); dates of decisions are calendar days stored as
-- YYYY-MM-DD text, which sorts and compares correctly on both dialects.

CREATE TABLE producers (
    id             TEXT PRIMARY KEY,
    legal_name     TEXT NOT NULL,
    -- folded legal name (no diacritics, lower case): matching on import
    name_key       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    tax_code       TEXT,
    province_code  TEXT NOT NULL,
    commune_code   TEXT NOT NULL,
    address        TEXT NOT NULL DEFAULT '',
    phone          TEXT NOT NULL DEFAULT '',
    email          TEXT NOT NULL DEFAULT '',
    website        TEXT NOT NULL DEFAULT '',
    description_vi TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    logo_key       TEXT,
    status         TEXT NOT NULL DEFAULT 'pending',
    status_reason  TEXT NOT NULL DEFAULT '',
    verified_at    TIMESTAMPTZ,
    created_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT producers_kind_known CHECK (kind IN ('enterprise', 'cooperative', 'cooperative_group', 'household_business')),
    CONSTRAINT producers_status_known CHECK (status IN ('pending', 'verified', 'rejected'))
);
CREATE UNIQUE INDEX producers_tax_code_key ON producers (tax_code) WHERE tax_code IS NOT NULL;
CREATE INDEX producers_name_commune_idx ON producers (name_key, commune_code);
CREATE INDEX producers_province_idx ON producers (province_code, id);
CREATE INDEX producers_status_idx ON producers (status, id);

CREATE TABLE producer_members (
    producer_id TEXT NOT NULL REFERENCES producers (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (producer_id, user_id),
    CONSTRAINT producer_members_role_known CHECK (role IN ('owner', 'staff'))
);
CREATE INDEX producer_members_user_idx ON producer_members (user_id);
CREATE UNIQUE INDEX producer_members_one_owner ON producer_members (producer_id) WHERE role = 'owner';

CREATE TABLE certificates (
    id              TEXT PRIMARY KEY,
    producer_id     TEXT NOT NULL REFERENCES producers (id) ON DELETE CASCADE,
    product_name    TEXT NOT NULL,
    -- folded product name: one certificate per product and decision
    product_key     TEXT NOT NULL,
    legal_basis     TEXT NOT NULL,
    product_group   TEXT NOT NULL,
    product_set     TEXT NOT NULL,
    current_group   TEXT NOT NULL,
    stars           INTEGER NOT NULL,
    decision_number TEXT NOT NULL,
    decision_date   TEXT NOT NULL,
    issuing_level   TEXT NOT NULL,
    issuing_body    TEXT NOT NULL,
    expires_on      TEXT NOT NULL,
    document_key    TEXT,
    document_type   TEXT,
    document_size   BIGINT,
    status          TEXT NOT NULL DEFAULT 'pending',
    status_reason   TEXT NOT NULL DEFAULT '',
    reviewed_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at     TIMESTAMPTZ,
    created_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT certificates_stars_range CHECK (stars BETWEEN 3 AND 5),
    CONSTRAINT certificates_status_known CHECK (status IN ('pending', 'verified', 'rejected', 'expired', 'revoked')),
    CONSTRAINT certificates_level_known CHECK (issuing_level IN ('national', 'provincial')),
    CONSTRAINT certificates_expiry_after_decision CHECK (expires_on > decision_date)
);
-- A rejected submission may be corrected and sent again; anything else is a duplicate.
CREATE UNIQUE INDEX certificates_decision_product_key ON certificates (producer_id, decision_number, product_key) WHERE status <> 'rejected';
CREATE INDEX certificates_producer_idx ON certificates (producer_id, status);
CREATE INDEX certificates_expiry_idx ON certificates (status, expires_on);

-- +goose Down
DROP TABLE certificates;
DROP TABLE producer_members;
DROP TABLE producers;
