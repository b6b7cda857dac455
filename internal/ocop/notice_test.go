package ocop

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

type countingTx struct{ n int }

func (t *countingTx) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	t.n++
	return fn(ctx)
}

func TestDeliverNotices(t *testing.T) {
	type notice struct {
		ID string `json:"id"`
	}
	msgs := []OutboxMessage{
		{Payload: json.RawMessage(`{"id":"a"}`)},
		{Payload: json.RawMessage(`not json`)},
		{Payload: json.RawMessage(`{"id":""}`)},
		{Payload: json.RawMessage(`{"id":"fails"}`)},
		{Payload: json.RawMessage(`{"id":"b"}`)},
	}
	boom := errors.New("boom")
	var delivered []string
	tx := &countingTx{}
	errs := DeliverNotices(context.Background(), tx, msgs, func(n notice) bool { return n.ID != "" }, func(_ context.Context, n notice) error {
		if n.ID == "fails" {
			return boom
		}
		delivered = append(delivered, n.ID)
		return nil
	})
	// Malformed and invalid ones are dropped (no error: retrying cannot
	// help); a failure is reported for its message alone; each delivery has
	// its own transaction.
	if !slices.Equal(delivered, []string{"a", "b"}) || tx.n != 3 {
		t.Fatalf("delivered %v in %d transactions", delivered, tx.n)
	}
	if len(errs) != len(msgs) || errs[0] != nil || errs[1] != nil || errs[2] != nil || !errors.Is(errs[3], boom) || errs[4] != nil {
		t.Fatalf("errors %v", errs)
	}
}
