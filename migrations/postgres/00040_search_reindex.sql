-- +goose Up
-- Reindex runs requested by `ocopconnect reindex` and carried out by a
-- worker of the serving process (the embedded Bleve index belongs to the one
-- process that opened it). The worker reports progress here; the command
-- follows it and draws its progress bar from it.
CREATE TABLE search_reindex_runs (
    id          TEXT PRIMARY KEY,
    status      TEXT NOT NULL DEFAULT 'pending',
    total       BIGINT NOT NULL DEFAULT 0,
    done        BIGINT NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT search_reindex_runs_status_known CHECK (status IN ('pending', 'running', 'done', 'failed'))
);
CREATE INDEX search_reindex_runs_created_idx ON search_reindex_runs (created_at);

-- +goose Down
DROP TABLE search_reindex_runs;
