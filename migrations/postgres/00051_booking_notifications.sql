-- +goose Up
-- Trade-fair booking notifications: a notification links to its fair and
-- booking, and a user gets at most one of a kind per booking, so that a
-- redelivered events.notification outbox message adds nothing (the insert
-- is ON CONFLICT DO NOTHING against notifications_booking_once).

ALTER TABLE notifications ADD COLUMN event_id TEXT REFERENCES events (id) ON DELETE CASCADE;
ALTER TABLE notifications ADD COLUMN booking_id TEXT REFERENCES bookings (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX notifications_booking_once ON notifications (user_id, booking_id, kind) WHERE booking_id IS NOT NULL;

-- +goose Down
DROP INDEX notifications_booking_once;
ALTER TABLE notifications DROP COLUMN booking_id;
ALTER TABLE notifications DROP COLUMN event_id;
