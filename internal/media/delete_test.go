package media_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func TestDeleteHandler(t *testing.T) {
	ctx := context.Background()
	b := diskStore(t)
	for _, k := range []string{"images/aa/1-display.jpg", "images/aa/1-thumb.jpg", "images/bb/2-display.jpg"} {
		if err := b.Put(ctx, k, strings.NewReader("x"), 1, "image/jpeg"); err != nil {
			t.Fatal(err)
		}
	}
	good, err := media.DeleteMessage("1", "images/aa/1-display.jpg", "images/aa/1-thumb.jpg", "images/cc/never-stored.jpg")
	if err != nil {
		t.Fatal(err)
	}
	var p media.DeletePayload
	if err := json.Unmarshal(good.Payload, &p); err != nil || good.Topic != media.TopicDelete || len(p.Keys) != 3 {
		t.Fatalf("message: %+v %v", good, err)
	}
	bad := ocop.OutboxMessage{Topic: media.TopicDelete, Key: "2", Payload: []byte(`{"keys":`)}
	errs := media.DeleteHandler(b)(ctx, []ocop.OutboxMessage{good, bad, good})
	if len(errs) != 3 || errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("errors: %v", errs)
	}
	for k, gone := range map[string]bool{"images/aa/1-display.jpg": true, "images/aa/1-thumb.jpg": true, "images/bb/2-display.jpg": false} {
		_, err := b.Stat(ctx, k)
		if gone != (ocop.ErrorCode(err) == ocop.CodeNotFound) {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if _, err := media.DeleteMessage("x"); err == nil {
		t.Fatal("a message without keys was built")
	}
}
