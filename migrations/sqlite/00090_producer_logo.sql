-- +goose Up
-- A producer's logo is stored like a listing photo: a display variant
-- (logo_key, there since 00010) and a thumbnail for lists and cards.
ALTER TABLE producers ADD COLUMN logo_thumb_key TEXT;

-- +goose Down
ALTER TABLE producers DROP COLUMN logo_thumb_key;
