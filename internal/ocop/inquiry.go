package ocop

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// InquiryStatus is where a buyer's inquiry stands:
//
//	open -> answered (first producer reply) -> quoted -> closed_won | closed_lost
//	open | answered | quoted -> withdrawn (buyer) | spam (producer) | closed_lost
//	open -> expired (no producer reply within the configured days; a daily job)
//
// The last five are final: nothing more can be written to the thread.
type InquiryStatus string

const (
	InquiryOpen       InquiryStatus = "open"
	InquiryAnswered   InquiryStatus = "answered"
	InquiryQuoted     InquiryStatus = "quoted"
	InquiryClosedWon  InquiryStatus = "closed_won"
	InquiryClosedLost InquiryStatus = "closed_lost"
	InquiryWithdrawn  InquiryStatus = "withdrawn"
	InquiryExpired    InquiryStatus = "expired"
	InquirySpam       InquiryStatus = "spam"
)

// InquiryStatuses lists every status in life-cycle order.
var InquiryStatuses = []InquiryStatus{InquiryOpen, InquiryAnswered, InquiryQuoted, InquiryClosedWon,
	InquiryClosedLost, InquiryWithdrawn, InquiryExpired, InquirySpam}

// Valid reports whether s is a known status.
func (s InquiryStatus) Valid() bool { return slices.Contains(InquiryStatuses, s) }

// Active reports whether the conversation can still go on.
func (s InquiryStatus) Active() bool {
	return s == InquiryOpen || s == InquiryAnswered || s == InquiryQuoted
}

// InquirySide is which party wrote something.
type InquirySide string

const (
	SideBuyer    InquirySide = "buyer"
	SideProducer InquirySide = "producer"
)

// Inquiry limits, shared by validation and the API contract.
const (
	InquiryMessageMax     = 5000
	InquiryUnitMax        = 40
	InquiryNoteMax        = 2000
	InquiryMaxAttachments = 5
	InquiryQtyMax         = 1_000_000_000
	// InquiryPriceMaxVND bounds prices far above any OCOP product.
	InquiryPriceMaxVND = 10_000_000_000_000
	// QuoteUnitPriceMaxVND keeps price times quantity within an int64.
	QuoteUnitPriceMaxVND = 1_000_000_000
	// InquiryNeededByMaxDays is how far ahead a needed-by date may be.
	InquiryNeededByMaxDays = 730
	// QuoteValidMaxDays is how long a quote may stay open.
	QuoteValidMaxDays = 365
)

// Inquiry is a buyer's question about a listing and the thread that follows.
type Inquiry struct {
	ID         string
	ListingID  string
	ProducerID string
	BuyerID    string
	// ListingTitle is the listing's title when the buyer asked: the thread
	// shows what was asked about even if the listing changes later.
	ListingTitle         string
	Quantity             int64
	Unit                 string
	TargetPriceVND       *int64
	DeliveryProvinceCode string
	NeededBy             Date
	SampleRequested      bool
	Status               InquiryStatus
	// MessageCount numbers the thread's messages (the last one's seq).
	MessageCount    int
	FirstResponseAt *time.Time
	LastMessageAt   time.Time
	ExpiryWarnedAt  *time.Time
	ClosedAt        *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// InquiryAttachment is a file sent with a message: an image (re-encoded by
// the media pipeline; Key is its display variant, ThumbKey its thumbnail) or
// a PDF document stored as sent.
type InquiryAttachment struct {
	ID          string
	MessageID   string
	Kind        string // "image" or "document"
	Key         string
	ThumbKey    string
	ContentType string
	Size        int64
	Width       int
	Height      int
	CreatedAt   time.Time
}

// AttachmentKeys lists every stored object of the attachments.
func AttachmentKeys(as []InquiryAttachment) []string {
	var keys []string
	for _, a := range as {
		keys = append(keys, a.Key)
		if a.ThumbKey != "" {
			keys = append(keys, a.ThumbKey)
		}
	}
	return keys
}

// InquiryMessage is one entry of the thread: a text (with attachments) or
// the announcement of a quote.
type InquiryMessage struct {
	ID          string
	InquiryID   string
	Seq         int
	AuthorID    string
	Side        InquirySide
	Body        string
	QuoteID     string // set when the message announces a quote
	Attachments []InquiryAttachment
	CreatedAt   time.Time
}

// Incoterms are the delivery terms of Incoterms 2020 a quote may name.
var Incoterms = []string{"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"}

// QuoteStatus: a newer quote supersedes the active one, which stays in the
// history.
type QuoteStatus string

const (
	QuoteActive     QuoteStatus = "active"
	QuoteSuperseded QuoteStatus = "superseded"
)

// Quote is a producer's offer in answer to an inquiry.
type Quote struct {
	ID            string
	InquiryID     string
	UnitPriceVND  int64
	Quantity      int64
	Unit          string
	DeliveryTerms string // an Incoterm
	DeliveryPlace string
	ValidUntil    Date
	Note          string
	Status        QuoteStatus
	CreatedBy     string
	CreatedAt     time.Time
	SupersededAt  *time.Time
}

// TotalVND is the quote's value (unit price times quantity); both are
// bounded so the product fits in an int64.
func (q *Quote) TotalVND() int64 { return q.UnitPriceVND * q.Quantity }

// Validate checks a quote against the day it is made.
func (q *Quote) Validate(v *Validation, today Date) {
	v.Check(q.UnitPriceVND > 0 && q.UnitPriceVND <= QuoteUnitPriceMaxVND, "unit_price_vnd",
		"must be a positive whole number of đồng up to %d", int64(QuoteUnitPriceMaxVND))
	v.Check(q.Quantity > 0 && q.Quantity <= InquiryQtyMax, "quantity", "must be between 1 and %d", InquiryQtyMax)
	validUnit(v, "unit", q.Unit)
	v.Check(slices.Contains(Incoterms, q.DeliveryTerms), "delivery_terms", "must be an Incoterm 2020: %s", strings.Join(Incoterms, ", "))
	v.Check(utf8.RuneCountInString(q.DeliveryPlace) <= 200, "delivery_place", "must be at most 200 characters")
	v.Check(utf8.RuneCountInString(q.Note) <= InquiryNoteMax, "note", "must be at most %d characters", InquiryNoteMax)
	switch {
	case q.ValidUntil.IsZero():
		v.Add("valid_until", "is required (YYYY-MM-DD)")
	case q.ValidUntil.Before(today):
		v.Add("valid_until", "must not be in the past")
	case today.DaysUntil(q.ValidUntil) > QuoteValidMaxDays:
		v.Add("valid_until", "must be within %d days", QuoteValidMaxDays)
	}
}

func validUnit(v *Validation, field, unit string) {
	n := utf8.RuneCountInString(unit)
	v.Check(n >= 1 && n <= InquiryUnitMax, field, "is required, at most %d characters (e.g. kg, hộp, thùng 24 chai)", InquiryUnitMax)
}

// ValidateMessage checks a message text; attachments may stand alone.
func ValidateMessage(v *Validation, field, body string, attachments int) {
	n := utf8.RuneCountInString(body)
	switch {
	case n == 0 && attachments == 0:
		v.Add(field, "is required")
	case n > InquiryMessageMax:
		v.Add(field, "must be at most %d characters", InquiryMessageMax)
	}
	v.Check(attachments <= InquiryMaxAttachments, "file", "at most %d attachments per message", InquiryMaxAttachments)
}

// Validate checks a new inquiry on the day it is sent. The province code is
// checked against the reference data by the use case.
func (q *Inquiry) Validate(v *Validation, today Date, message string) {
	v.Check(q.Quantity > 0 && q.Quantity <= InquiryQtyMax, "quantity", "must be between 1 and %d", InquiryQtyMax)
	validUnit(v, "unit", q.Unit)
	if q.TargetPriceVND != nil {
		v.Check(*q.TargetPriceVND > 0 && *q.TargetPriceVND <= InquiryPriceMaxVND, "target_price_vnd",
			"must be a positive whole number of đồng up to %d", int64(InquiryPriceMaxVND))
	}
	switch {
	case v.Has("needed_by"): // unreadable, already reported
	case q.NeededBy.IsZero():
		v.Add("needed_by", "is required (YYYY-MM-DD)")
	case q.NeededBy.Before(today):
		v.Add("needed_by", "must not be in the past")
	case today.DaysUntil(q.NeededBy) > InquiryNeededByMaxDays:
		v.Add("needed_by", "must be within %d days", InquiryNeededByMaxDays)
	}
	ValidateMessage(v, "message", message, 0)
}

// InquiryEvent records a transition of an inquiry: who (empty ActorID is
// the system, e.g. the expiry job), what and when.
type InquiryEvent struct {
	ID        string
	InquiryID string
	ActorID   string
	Action    string // created, answered, quoted, closed_won, ..., expired, expiry_warned
	From      InquiryStatus
	To        InquiryStatus
	Reason    string
	At        time.Time
}

// InquiryFilter selects the inquiries a user takes part in.
type InquiryFilter struct {
	UserID    string
	Side      InquirySide // "" = both
	Statuses  []InquiryStatus
	ListingID string
	From, To  *time.Time // created_at in [From, To)
	Before    string     // cursor: inquiries with a smaller id
	Limit     int
}

// InquirySummary is a row of GET /inquiries: the inquiry and what the
// reader has not read yet.
type InquirySummary struct {
	Inquiry
	Side   InquirySide
	Unread int
}

// ResponseSample is one inquiry counted in a producer's responsiveness.
type ResponseSample struct {
	ProducerID      string
	CreatedAt       time.Time
	FirstResponseAt *time.Time
}

// Responsiveness is how a producer answers inquiries over a period.
type Responsiveness struct {
	ProducerID string
	Days       int
	Received   int
	Responded  int
	// MedianFirstResponse is nil when nothing was answered.
	MedianFirstResponse *time.Duration
}

// ResponseRate is Responded/Received, nil when nothing was received.
func (r Responsiveness) ResponseRate() *float64 {
	if r.Received == 0 {
		return nil
	}
	v := float64(r.Responded) / float64(r.Received)
	return &v
}

// NotificationKind names what a notification is about; e-mail templates are
// chosen by it.
type NotificationKind string

const (
	NotifyInquiryNew     NotificationKind = "inquiry.new"
	NotifyInquiryReply   NotificationKind = "inquiry.reply"
	NotifyInquiryQuote   NotificationKind = "inquiry.quote"
	NotifyInquiryClosed  NotificationKind = "inquiry.closed"
	NotifyInquiryExpiry  NotificationKind = "inquiry.expiring"
	NotifyInquiryExpired NotificationKind = "inquiry.expired"
)

// Notification is an in-app notice to one user; when e-mail is configured
// it is also mailed (EmailedAt records that it was).
type Notification struct {
	ID        string
	UserID    string
	Kind      NotificationKind
	InquiryID string
	// EventID and BookingID link a trade-fair notification to its fair and
	// booking. A user gets at most one notification of a kind per booking:
	// the store ignores a repeat (a redelivered outbox message).
	EventID   string
	BookingID string
	// Data carries what the text needs (listing title, status, quote...).
	Data      map[string]string
	ReadAt    *time.Time
	EmailedAt *time.Time
	CreatedAt time.Time
}

// Email is one message to send.
type Email struct {
	To      string
	ToName  string
	Subject string
	Text    string
	// MessageID is stable per notification, so that a resend after a crash
	// is recognisable as the same message.
	MessageID string
}
