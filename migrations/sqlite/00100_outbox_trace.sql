-- +goose Up
-- The W3C traceparent of the span that wrote the message (empty outside
-- a traced request or job): the batch that handles it links to that trace.
ALTER TABLE outbox ADD COLUMN trace_parent TEXT;

-- +goose Down
ALTER TABLE outbox DROP COLUMN trace_parent;
