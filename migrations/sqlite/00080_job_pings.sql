-- +goose Up
-- Pings travel the whole background path (transactional outbox, claim by a
-- worker process, handler) so that an operator can prove, after a deploy or
-- during an incident, that the worker fleet is alive and how long delivery
-- takes (ocopconnect jobs ping). deliveries > 1 shows a redelivery after a
-- worker died mid-batch; handled_at/handled_by keep the first delivery.
CREATE TABLE job_pings (
    key         TEXT PRIMARY KEY,
    enqueued_at TIMESTAMP NOT NULL,
    handled_at  TIMESTAMP,
    handled_by  TEXT,
    deliveries  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX job_pings_enqueued_idx ON job_pings (enqueued_at);

-- +goose Down
DROP TABLE job_pings;
