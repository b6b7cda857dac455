-- +goose Up
-- Fair-meeting notifications: a notification links to its meeting (and,
-- through event_id, its fair), and a user gets at most one of a kind per
-- meeting, so that a redelivered meetings.notification outbox message adds
-- nothing (the insert is ON CONFLICT DO NOTHING against
-- notifications_meeting_once).

ALTER TABLE notifications ADD COLUMN meeting_id TEXT REFERENCES meetings (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX notifications_meeting_once ON notifications (user_id, meeting_id, kind) WHERE meeting_id IS NOT NULL;

-- +goose Down
DROP INDEX notifications_meeting_once;
ALTER TABLE notifications DROP COLUMN meeting_id;
