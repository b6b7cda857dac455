package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// TopicDelete is the outbox topic that removes objects from the media store.
const TopicDelete = "media.delete"

// DeletePayload is the message body of TopicDelete.
type DeletePayload struct {
	Keys []string `json:"keys"`
}

// DeleteMessage builds the outbox message that removes keys; owner names
// what the objects belonged to (an image or listing ID) for logs and the
// dead-letter list.
func DeleteMessage(owner string, keys ...string) (ocop.OutboxMessage, error) {
	if len(keys) == 0 {
		return ocop.OutboxMessage{}, errors.New("media.delete: no keys")
	}
	b, err := json.Marshal(DeletePayload{Keys: keys})
	if err != nil {
		return ocop.OutboxMessage{}, err
	}
	return ocop.OutboxMessage{Topic: TopicDelete, Key: owner, Payload: b}, nil
}

// EnqueueDelete records the removal of keys in the caller's transaction (the
// ctx of Transactor.InTx): the objects go only if the transaction commits,
// and then certainly, because the runner retries until the store answers.
// Call it when an image is deleted or its listing archived, and when an
// upload's objects were stored but the row recording them failed.
func EnqueueDelete(ctx context.Context, outbox ocop.Outbox, owner string, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	m, err := DeleteMessage(owner, keys...)
	if err != nil {
		return err
	}
	return outbox.Enqueue(ctx, m)
}

// DeleteHandler handles TopicDelete messages (its signature is
// jobs.Handler). Deleting a missing object succeeds, so a redelivered
// message is harmless; a store that is down fails the message, and the
// runner retries it with backoff. Trusting the payload is safe here, unlike
// for index updates: keys are generated once and never reused, so a stale
// message can only remove what was meant to go.
func DeleteHandler(blobs ocop.Blobs) func(ctx context.Context, msgs []ocop.OutboxMessage) []error {
	return func(ctx context.Context, msgs []ocop.OutboxMessage) []error {
		errs := make([]error, len(msgs))
		for i, m := range msgs {
			var p DeletePayload
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				errs[i] = fmt.Errorf("media.delete payload: %w", err)
				continue
			}
			for _, k := range p.Keys {
				if err := blobs.Delete(ctx, k); err != nil {
					errs[i] = fmt.Errorf("delete %s: %w", k, err)
					break
				}
			}
		}
		return errs
	}
}
