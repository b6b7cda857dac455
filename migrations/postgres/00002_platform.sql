-- +goose Up
-- Cross-process platform state: rate-limit counters, the outbox of background
-- work, leases for periodic jobs, the audit trail and idempotency keys. All of
-- it lives here rather than in process memory so that several API and worker
-- processes act as one.

CREATE TABLE rate_counters (
    bucket       TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    hits         INTEGER NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_counters_expires_idx ON rate_counters (expires_at);

CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    topic        TEXT NOT NULL,
    key          TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL,
    run_after    TIMESTAMPTZ NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    locked_by    TEXT,
    last_error   TEXT,
    dead_at      TIMESTAMPTZ
);
CREATE INDEX outbox_ready_idx ON outbox (run_after, id) WHERE dead_at IS NULL;
CREATE INDEX outbox_topic_idx ON outbox (topic) WHERE dead_at IS NULL;

CREATE TABLE job_leases (
    name         TEXT PRIMARY KEY,
    locked_until TIMESTAMPTZ,
    locked_by    TEXT,
    last_run_at  TIMESTAMPTZ,
    last_error   TEXT
);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor_id    TEXT,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    request_id  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, at);

-- Idempotency keys are scoped to the user. The stored response is replayed for
-- a retry with the same key and the same request fingerprint.
CREATE TABLE idempotency_keys (
    user_id          TEXT NOT NULL,
    key              TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    response_status  INTEGER NOT NULL,
    response_headers TEXT NOT NULL DEFAULT '{}',
    response_body    BYTEA NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE audit_log;
DROP TABLE job_leases;
DROP TABLE outbox;
DROP TABLE rate_counters;
