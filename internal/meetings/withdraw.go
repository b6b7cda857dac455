package meetings

import (
	"context"
	"slices"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Reasons given to both sides when a meeting is called off with its booth
// or its fair.
const (
	ReasonNoLongerExhibiting = "the producer no longer exhibits at this fair"
	ReasonFairCancelled      = "the fair was cancelled"
)

// BoothWithdrawn calls off the open meetings (pending or accepted, not
// begun) of a producer left without a confirmed booth at the fair: only
// exhibitors meet buyers. The events use case calls it inside the
// transaction that cancels the booking, so the booth and the meetings go
// together; both sides are told.
func (s *Service) BoothWithdrawn(ctx context.Context, e *ocop.Event, producerID string, now time.Time) error {
	xs, err := s.Repo.Exhibitors(ctx, e.ID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(xs, func(x ocop.MeetingExhibitor) bool { return x.ProducerID == producerID }) {
		return nil // another confirmed booth at the same fair
	}
	return s.callOff(ctx, e, ocop.MeetingFilter{EventID: e.ID, ProducerIDs: []string{producerID}}, ReasonNoLongerExhibiting, now)
}

// EventCancelled calls off every open meeting of a cancelled fair (inside
// the transaction that cancels it).
func (s *Service) EventCancelled(ctx context.Context, e *ocop.Event, now time.Time) error {
	return s.callOff(ctx, e, ocop.MeetingFilter{EventID: e.ID}, ReasonFairCancelled, now)
}

func (s *Service) callOff(ctx context.Context, e *ocop.Event, f ocop.MeetingFilter, reason string, now time.Time) error {
	f.Statuses, f.From = []ocop.MeetingStatus{ocop.MeetingPending, ocop.MeetingAccepted}, &now
	open, err := s.Repo.List(ctx, f)
	if err != nil {
		return err
	}
	actor := ""
	if p, ok := ocop.PrincipalFrom(ctx); ok {
		actor = p.UserID
	}
	for _, m := range open {
		if !now.Before(m.SlotStart) {
			continue // begun: the producer records whether it was held
		}
		if err := s.move(ctx, m, e, ocop.MeetingTransition{From: []ocop.MeetingStatus{m.Status}, To: ocop.MeetingCancelled, At: now, Reason: reason}, NoticeCancelled); err != nil {
			return err
		}
		if err := s.Audit.Record(ctx, ocop.AuditEntry{ActorID: actor, Action: "meeting." + string(ocop.MeetingCancelled), ObjectType: "meeting", ObjectID: m.ID,
			Before: map[string]any{"status": m.Status}, After: map[string]any{"status": ocop.MeetingCancelled, "reason": reason}}); err != nil {
			return err
		}
	}
	return nil
}
