package inquiries

import (
	"context"
	"strings"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
)

// CreateInput is a new inquiry.
type CreateInput struct {
	ListingID            string
	Quantity             int64
	Unit                 string
	TargetPriceVND       *int64
	DeliveryProvinceCode string
	NeededBy             string // YYYY-MM-DD
	Message              string
	SampleRequested      bool
}

// Create sends a buyer's inquiry about a published listing. The listing's
// own producer cannot ask about it; the buyer's hourly and daily limits
// apply (rate_limited with a retry time when exceeded).
func (s *Service) Create(ctx context.Context, in CreateInput) (*ocop.Inquiry, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	l, err := s.Listings.ListingRef(ctx, in.ListingID)
	if err != nil {
		return nil, err
	}
	role, err := s.Members.MemberRole(ctx, l.ProducerID, p.UserID)
	if err != nil {
		return nil, err
	}
	if role != "" {
		return nil, ocop.Errorf(ocop.CodeOwnListing, "you act for the producer of this listing and cannot send it an inquiry")
	}
	if !l.Published {
		return nil, ocop.Errorf(ocop.CodeNotFound, "listing not found (only published listings take inquiries)")
	}
	if !p.HasRole(ocop.RoleBuyer) && !p.HasRole(ocop.RoleProducer) {
		return nil, ocop.Errorf(ocop.CodeForbidden, "only buyer and producer accounts can send inquiries")
	}
	now := s.Now()
	today := ocop.DateOf(now)
	q := &ocop.Inquiry{
		ID: newID(), ListingID: l.ID, ProducerID: l.ProducerID, BuyerID: p.UserID, ListingTitle: l.Title,
		Quantity: in.Quantity, Unit: strings.TrimSpace(in.Unit), TargetPriceVND: in.TargetPriceVND,
		DeliveryProvinceCode: strings.TrimSpace(in.DeliveryProvinceCode), SampleRequested: in.SampleRequested,
		Status: ocop.InquiryOpen, MessageCount: 1, LastMessageAt: now, CreatedAt: now, UpdatedAt: now,
	}
	message := strings.TrimSpace(in.Message)
	var v ocop.Validation
	if in.NeededBy != "" {
		d, err := ocop.ParseDate(in.NeededBy)
		if err != nil {
			v.Add("needed_by", "must be a date YYYY-MM-DD")
		}
		q.NeededBy = d
	}
	q.Validate(&v, today, message)
	if _, ok := places.LookupProvince(q.DeliveryProvinceCode); !ok {
		v.Add("delivery_province_code", "must be the 2-digit code of one of the 34 provinces (GET /places/provinces)")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	msg := &ocop.InquiryMessage{ID: newID(), InquiryID: q.ID, Seq: 1, AuthorID: p.UserID, Side: ocop.SideBuyer, Body: message, CreatedAt: now}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkRate(ctx, p.UserID); err != nil {
			return err
		}
		if err := s.Inquiries.Create(ctx, q); err != nil {
			return err
		}
		if err := s.Inquiries.AddMessage(ctx, msg); err != nil {
			return err
		}
		if err := s.Inquiries.MarkRead(ctx, q.ID, p.UserID, 1, now); err != nil {
			return err
		}
		if err := s.Inquiries.AddEvent(ctx, &ocop.InquiryEvent{ID: newID(), InquiryID: q.ID, ActorID: p.UserID,
			Action: "created", To: ocop.InquiryOpen, At: now}); err != nil {
			return err
		}
		data := map[string]string{
			"listing_title": q.ListingTitle, "buyer_name": s.displayName(ctx, p), "quantity": itoa(q.Quantity), "unit": q.Unit,
			"needed_by": q.NeededBy.String(), "excerpt": excerpt(message), "expiry_days": itoa(int64(s.Limits.ExpiryDays)),
		}
		if q.TargetPriceVND != nil {
			data["target_price_vnd"] = itoa(*q.TargetPriceVND)
		}
		if q.SampleRequested {
			data["sample_requested"] = "true"
		}
		return s.notifyProducer(ctx, q, ocop.NotifyInquiryNew, "", data)
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// checkRate counts a new inquiry of the buyer against the hourly and daily
// limits (tighter for a buyer several producers reported as spam). It runs
// in the creating transaction, so a refused or failed inquiry counts
// nothing.
func (s *Service) checkRate(ctx context.Context, buyerID string) error {
	perHour, perDay := s.Limits.PerHour, s.Limits.PerDay
	if s.Limits.SpamReporters > 0 {
		n, err := s.Inquiries.SpamReporters(ctx, buyerID, s.Now().Add(-s.Limits.SpamWindow))
		if err != nil {
			return err
		}
		if n >= s.Limits.SpamReporters {
			perHour, perDay = min(perHour, 1), min(perDay, s.Limits.SpamPerDay)
		}
	}
	for _, lim := range []struct {
		key    string
		limit  int
		window time.Duration
		what   string
	}{
		{"inquiry:hour:" + buyerID, perHour, time.Hour, "per hour"},
		{"inquiry:day:" + buyerID, perDay, 24 * time.Hour, "per day"},
	} {
		d, err := s.Limiter.Hit(ctx, lim.key, lim.limit, lim.window)
		if err != nil {
			return err
		}
		if !d.Allowed {
			return &ocop.Error{Code: ocop.CodeRateLimited, RetryAfter: d.RetryAfter,
				Message: "too many new inquiries: at most " + itoa(int64(lim.limit)) + " " + lim.what + "; try again later"}
		}
	}
	return nil
}

// Thread is an inquiry as a participant sees it.
type Thread struct {
	Inquiry  *ocop.Inquiry
	Side     ocop.InquirySide
	Unread   int
	Messages []ocop.InquiryMessage
	Quotes   []ocop.Quote
	Events   []ocop.InquiryEvent
}

// Get returns the whole thread of an inquiry the caller takes part in.
func (s *Service) Get(ctx context.Context, id string) (*Thread, error) {
	q, p, side, err := s.load(ctx, id, false)
	if err != nil {
		return nil, err
	}
	t := &Thread{Inquiry: q, Side: side}
	if t.Messages, err = s.Inquiries.Messages(ctx, id); err != nil {
		return nil, err
	}
	if t.Quotes, err = s.Inquiries.Quotes(ctx, id); err != nil {
		return nil, err
	}
	if t.Events, err = s.Inquiries.Events(ctx, id); err != nil {
		return nil, err
	}
	if t.Unread, err = s.Inquiries.Unread(ctx, id, p.UserID); err != nil {
		return nil, err
	}
	return t, nil
}

// MarkRead records that the caller has read the whole thread.
func (s *Service) MarkRead(ctx context.Context, id string) error {
	q, p, _, err := s.load(ctx, id, false)
	if err != nil {
		return err
	}
	return s.Inquiries.MarkRead(ctx, id, p.UserID, q.MessageCount, s.Now())
}

// ListInput filters the caller's inquiries.
type ListInput struct {
	Side        ocop.InquirySide // "" both
	Statuses    []ocop.InquiryStatus
	ListingID   string
	CreatedFrom string // YYYY-MM-DD, inclusive, Vietnam time
	CreatedTo   string // YYYY-MM-DD, inclusive
	Cursor      string
	Limit       int
}

// Page is a page of inquiries with the caller's unread counts.
type Page struct {
	Items      []ocop.InquirySummary
	NextCursor string
	// UnreadInquiries counts all the caller's inquiries with unread
	// messages, whatever the filter.
	UnreadInquiries int
}

// List returns the inquiries the caller takes part in (as buyer or as a
// member of the producer), newest first.
func (s *Service) List(ctx context.Context, in ListInput) (*Page, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var v ocop.Validation
	f := ocop.InquiryFilter{UserID: p.UserID, Side: in.Side, Statuses: in.Statuses, ListingID: in.ListingID, Limit: in.Limit + 1}
	v.Check(in.Side == "" || in.Side == ocop.SideBuyer || in.Side == ocop.SideProducer, "role", "must be buyer or producer")
	for _, st := range in.Statuses {
		v.Check(st.Valid(), "status", "%q is not a status", st)
	}
	day := func(field, s string, next bool) *time.Time {
		if s == "" {
			return nil
		}
		d, err := ocop.ParseDate(s)
		if err != nil {
			v.Add(field, "must be a date YYYY-MM-DD")
			return nil
		}
		if next {
			d.Time = d.AddDate(0, 0, 1)
		}
		t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, ocop.Zone)
		return &t
	}
	f.From, f.To = day("created_from", in.CreatedFrom, false), day("created_to", in.CreatedTo, true)
	if f.Before, err = ocop.DecodeCursor(in.Cursor); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	items, err := s.Inquiries.List(ctx, f)
	if err != nil {
		return nil, err
	}
	page := &Page{Items: items}
	if len(items) > in.Limit {
		page.Items = items[:in.Limit]
		page.NextCursor = ocop.EncodeCursor(items[in.Limit-1].ID)
	}
	if page.UnreadInquiries, err = s.Inquiries.UnreadInquiries(ctx, p.UserID); err != nil {
		return nil, err
	}
	return page, nil
}
