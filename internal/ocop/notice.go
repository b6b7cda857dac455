package ocop

import (
	"context"
	"encoding/json"
)

// Notifier records notifications (and queues their e-mails) in the
// caller's transaction. The trade-fair use cases turn their outbox notices
// into notifications through it.
type Notifier interface {
	Notify(ctx context.Context, ns ...Notification) error
}

// MemberLister tells who acts for a producer (owner and staff).
type MemberLister interface {
	Members(ctx context.Context, producerID string) ([]ProducerMember, error)
}

// Recipients collects the notifications one notice becomes: one per user
// (the first audience named wins), none for the user whose action caused
// the notice. Each gets a copy of the base notification with its own Data,
// which adds "audience".
type Recipients struct {
	base Notification
	seen map[string]bool
	list []Notification
}

// NewRecipients starts the recipients of a notice; actorID ("" for a
// sweep) is never notified.
func NewRecipients(base Notification, actorID string) *Recipients {
	return &Recipients{base: base, seen: map[string]bool{actorID: true, "": true}}
}

// Add notifies userID as audience (e.g. "producer", "organiser", "buyer").
func (r *Recipients) Add(userID, audience string) {
	if r.seen[userID] {
		return
	}
	r.seen[userID] = true
	n := r.base
	n.UserID = userID
	n.Data = make(map[string]string, len(r.base.Data)+1)
	for k, v := range r.base.Data {
		n.Data[k] = v
	}
	n.Data["audience"] = audience
	r.list = append(r.list, n)
}

// AddMembers notifies every member (owner and staff) of a producer.
func (r *Recipients) AddMembers(ctx context.Context, ml MemberLister, producerID, audience string) error {
	ms, err := ml.Members(ctx, producerID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		r.Add(m.UserID, audience)
	}
	return nil
}

// List is the notifications collected so far.
func (r *Recipients) List() []Notification { return r.list }

// DeliverNotices is the body of an outbox handler for notices of type N:
// each message's payload is decoded and delivered in a transaction of its
// own, so one failing notice does not hold the others back. A payload that
// does not decode, or that valid rejects, is dropped: retrying cannot fix
// it.
func DeliverNotices[N any](ctx context.Context, tx Transactor, msgs []OutboxMessage, valid func(N) bool, deliver func(ctx context.Context, n N) error) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		var n N
		if err := json.Unmarshal(m.Payload, &n); err != nil || !valid(n) {
			continue
		}
		errs[i] = tx.InTx(ctx, func(ctx context.Context) error { return deliver(ctx, n) })
	}
	return errs
}
