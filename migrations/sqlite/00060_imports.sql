-- +goose Up
-- Imports of official OCOP lists started by an admin upload. The file is
-- kept with the job so that any worker process can run it (and run it again
-- after a crash: imports are idempotent); the result and the per-row report
-- stay for the admin to read. Progress is updated after every batch.
CREATE TABLE import_jobs (
    id             TEXT PRIMARY KEY,
    status         TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    file_size      BIGINT NOT NULL,
    content        BLOB NOT NULL,
    options        TEXT NOT NULL,
    total_rows     INTEGER NOT NULL DEFAULT 0,
    processed_rows INTEGER NOT NULL DEFAULT 0,
    result         TEXT,
    report         TEXT,
    error          TEXT NOT NULL DEFAULT '',
    attempts       INTEGER NOT NULL DEFAULT 0,
    created_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMP NOT NULL,
    started_at     TIMESTAMP,
    finished_at    TIMESTAMP,
    updated_at     TIMESTAMP NOT NULL,
    CONSTRAINT import_jobs_status_known CHECK (status IN ('queued', 'running', 'succeeded', 'failed'))
);
CREATE INDEX import_jobs_created_idx ON import_jobs (created_at);

-- +goose Down
DROP TABLE import_jobs;
