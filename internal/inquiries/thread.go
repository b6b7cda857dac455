package inquiries

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// CanWrite checks, before an upload is stored, that the caller may add to
// the inquiry: a participant, while it is active.
func (s *Service) CanWrite(ctx context.Context, id string) error {
	q, _, _, err := s.load(ctx, id, false)
	if err != nil {
		return err
	}
	if !q.Status.Active() {
		return errClosed(q)
	}
	return nil
}

// reply records a message or quote announcement of one side: numbers it,
// moves the read marker of its author, and marks the first producer reply
// (open -> answered, unless the caller moves the inquiry on itself).
func (s *Service) reply(ctx context.Context, q *ocop.Inquiry, p ocop.Principal, side ocop.InquirySide, m *ocop.InquiryMessage) error {
	now := s.Now()
	q.MessageCount++
	m.ID, m.InquiryID, m.Seq, m.AuthorID, m.Side, m.CreatedAt = newID(), q.ID, q.MessageCount, p.UserID, side, now
	for i := range m.Attachments {
		m.Attachments[i].MessageID = m.ID
	}
	if err := s.Inquiries.AddMessage(ctx, m); err != nil {
		return err
	}
	q.LastMessageAt, q.UpdatedAt = now, now
	if side == ocop.SideProducer && q.FirstResponseAt == nil {
		q.FirstResponseAt = &now
	}
	if err := s.Inquiries.MarkRead(ctx, q.ID, p.UserID, m.Seq, now); err != nil {
		return err
	}
	if side == ocop.SideProducer && q.Status == ocop.InquiryOpen && m.QuoteID == "" {
		return s.transition(ctx, q, ocop.InquiryAnswered, p.UserID, "answered", "")
	}
	ok, err := s.Inquiries.Update(ctx, q, q.Status)
	if err != nil {
		return err
	}
	if !ok {
		return ocop.Errorf(ocop.CodeConflict, "the inquiry changed meanwhile; reload it and try again")
	}
	return nil
}

// PostMessage adds a message (text and/or attachments already stored by
// StoreAttachment) to the thread. If it cannot be recorded, the stored
// attachments are removed again.
func (s *Service) PostMessage(ctx context.Context, id, body string, attachments []ocop.InquiryAttachment) (*ocop.InquiryMessage, error) {
	body = strings.TrimSpace(body)
	var m *ocop.InquiryMessage
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		q, p, side, err := s.load(ctx, id, true)
		if err != nil {
			return err
		}
		if !q.Status.Active() {
			return errClosed(q)
		}
		var v ocop.Validation
		ocop.ValidateMessage(&v, "body", body, len(attachments))
		if err := v.Err(); err != nil {
			return err
		}
		m = &ocop.InquiryMessage{Body: body, Attachments: attachments}
		if err := s.reply(ctx, q, p, side, m); err != nil {
			return err
		}
		text := body
		if text == "" {
			text = "(" + itoa(int64(len(attachments))) + " attachment(s))"
		}
		return s.notifyOther(ctx, q, side, p.UserID, ocop.NotifyInquiryReply, map[string]string{
			"listing_title": q.ListingTitle, "author_name": s.displayName(ctx, p), "excerpt": excerpt(text),
		})
	})
	if err != nil {
		s.Discard(ctx, attachments)
		return nil, err
	}
	return m, nil
}

// QuoteInput is a producer's offer.
type QuoteInput struct {
	UnitPriceVND  int64
	Quantity      int64
	Unit          string
	DeliveryTerms string
	DeliveryPlace string
	ValidUntil    string // YYYY-MM-DD
	Note          string
}

// Quote records a producer's quote; an earlier active quote is superseded
// (and stays in the history). The inquiry becomes quoted.
func (s *Service) Quote(ctx context.Context, id string, in QuoteInput) (*ocop.Quote, error) {
	var out *ocop.Quote
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		q, p, side, err := s.load(ctx, id, true)
		if err != nil {
			return err
		}
		if side != ocop.SideProducer {
			return ocop.Errorf(ocop.CodeForbidden, "only the producer can quote")
		}
		if !q.Status.Active() {
			return errClosed(q)
		}
		now := s.Now()
		qt := &ocop.Quote{ID: newID(), InquiryID: q.ID, UnitPriceVND: in.UnitPriceVND, Quantity: in.Quantity,
			Unit: strings.TrimSpace(in.Unit), DeliveryTerms: strings.ToUpper(strings.TrimSpace(in.DeliveryTerms)),
			DeliveryPlace: strings.TrimSpace(in.DeliveryPlace), Note: strings.TrimSpace(in.Note), Status: ocop.QuoteActive,
			CreatedBy: p.UserID, CreatedAt: now}
		if qt.Unit == "" {
			qt.Unit = q.Unit
		}
		var v ocop.Validation
		if in.ValidUntil != "" {
			if d, err := ocop.ParseDate(in.ValidUntil); err != nil {
				v.Add("valid_until", "must be a date YYYY-MM-DD")
			} else {
				qt.ValidUntil = d
			}
		}
		qt.Validate(&v, ocop.DateOf(now))
		if err := v.Err(); err != nil {
			return err
		}
		if err := s.Inquiries.SupersedeQuotes(ctx, q.ID, now); err != nil {
			return err
		}
		if err := s.Inquiries.AddQuote(ctx, qt); err != nil {
			return err
		}
		if err := s.reply(ctx, q, p, side, &ocop.InquiryMessage{Body: qt.Note, QuoteID: qt.ID}); err != nil {
			return err
		}
		action := "quoted"
		if q.Status == ocop.InquiryQuoted {
			action = "requoted"
		}
		if err := s.transition(ctx, q, ocop.InquiryQuoted, p.UserID, action, ""); err != nil {
			return err
		}
		out = qt
		return s.notifyBuyer(ctx, q, ocop.NotifyInquiryQuote, map[string]string{
			"listing_title": q.ListingTitle, "author_name": s.displayName(ctx, p), "unit_price_vnd": itoa(qt.UnitPriceVND),
			"quantity": itoa(qt.Quantity), "unit": qt.Unit, "total_vnd": itoa(qt.TotalVND()), "delivery_terms": qt.DeliveryTerms,
			"delivery_place": qt.DeliveryPlace, "valid_until": qt.ValidUntil.String(), "excerpt": excerpt(qt.Note),
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Outcomes a participant may close an inquiry with.
const (
	OutcomeWon       = "won"
	OutcomeLost      = "lost"
	OutcomeWithdrawn = "withdrawn"
	OutcomeSpam      = "spam"
)

// Close ends an inquiry: won (a deal; after a producer reply) or lost by
// either side, withdrawn by the buyer, spam reported by the producer (which
// counts against the buyer's rate limit).
func (s *Service) Close(ctx context.Context, id, outcome, reason string) (*ocop.Inquiry, error) {
	reason = strings.TrimSpace(reason)
	var to ocop.InquiryStatus
	switch outcome {
	case OutcomeWon:
		to = ocop.InquiryClosedWon
	case OutcomeLost:
		to = ocop.InquiryClosedLost
	case OutcomeWithdrawn:
		to = ocop.InquiryWithdrawn
	case OutcomeSpam:
		to = ocop.InquirySpam
	default:
		return nil, ocop.FieldInvalid("outcome", "must be won, lost, withdrawn or spam")
	}
	if utf8.RuneCountInString(reason) > 500 {
		return nil, ocop.FieldInvalid("reason", "must be at most 500 characters")
	}
	var out *ocop.Inquiry
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		q, p, side, err := s.load(ctx, id, true)
		if err != nil {
			return err
		}
		switch {
		case to == ocop.InquiryWithdrawn && side != ocop.SideBuyer:
			return ocop.Errorf(ocop.CodeForbidden, "only the buyer can withdraw an inquiry")
		case to == ocop.InquirySpam && side != ocop.SideProducer:
			return ocop.Errorf(ocop.CodeForbidden, "only the producer can report an inquiry as spam")
		case !q.Status.Active():
			return errClosed(q)
		case to == ocop.InquiryClosedWon && q.Status == ocop.InquiryOpen:
			return ocop.Errorf(ocop.CodeInvalidTransition, "an inquiry the producer has not answered cannot be won")
		}
		if err := s.transition(ctx, q, to, p.UserID, string(to), reason); err != nil {
			return err
		}
		out = q
		if to == ocop.InquirySpam {
			return nil // the reported buyer is not told
		}
		return s.notifyOther(ctx, q, side, p.UserID, ocop.NotifyInquiryClosed, map[string]string{
			"listing_title": q.ListingTitle, "status": string(to), "reason": reason,
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
