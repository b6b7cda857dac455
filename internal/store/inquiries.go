package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type inquiryRow struct {
	ID                   string `gorm:"primaryKey"`
	ListingID            string
	ProducerID           string
	BuyerID              string
	ListingTitle         string
	Quantity             int64
	Unit                 string
	TargetPriceVND       *int64 `gorm:"column:target_price_vnd"`
	DeliveryProvinceCode string
	NeededBy             string
	SampleRequested      bool
	Status               string
	MessageCount         int
	FirstResponseAt      *time.Time
	LastMessageAt        time.Time
	ExpiryWarnedAt       *time.Time
	ClosedAt             *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

func (inquiryRow) TableName() string { return "inquiries" }

func (r *inquiryRow) toDomain() (*ocop.Inquiry, error) {
	nb, err := ocop.ParseDate(r.NeededBy)
	if err != nil {
		return nil, err
	}
	return &ocop.Inquiry{
		ID: r.ID, ListingID: r.ListingID, ProducerID: r.ProducerID, BuyerID: r.BuyerID, ListingTitle: r.ListingTitle,
		Quantity: r.Quantity, Unit: r.Unit, TargetPriceVND: r.TargetPriceVND, DeliveryProvinceCode: r.DeliveryProvinceCode,
		NeededBy: nb, SampleRequested: r.SampleRequested, Status: ocop.InquiryStatus(r.Status), MessageCount: r.MessageCount,
		FirstResponseAt: utcPtr(r.FirstResponseAt), LastMessageAt: r.LastMessageAt.UTC(), ExpiryWarnedAt: utcPtr(r.ExpiryWarnedAt),
		ClosedAt: utcPtr(r.ClosedAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}, nil
}

func inquiryRowOf(q *ocop.Inquiry) inquiryRow {
	return inquiryRow{
		ID: q.ID, ListingID: q.ListingID, ProducerID: q.ProducerID, BuyerID: q.BuyerID, ListingTitle: q.ListingTitle,
		Quantity: q.Quantity, Unit: q.Unit, TargetPriceVND: q.TargetPriceVND, DeliveryProvinceCode: q.DeliveryProvinceCode,
		NeededBy: q.NeededBy.String(), SampleRequested: q.SampleRequested, Status: string(q.Status), MessageCount: q.MessageCount,
		FirstResponseAt: utcPtr(q.FirstResponseAt), LastMessageAt: q.LastMessageAt.UTC(), ExpiryWarnedAt: utcPtr(q.ExpiryWarnedAt),
		ClosedAt: utcPtr(q.ClosedAt), CreatedAt: q.CreatedAt.UTC(), UpdatedAt: q.UpdatedAt.UTC(),
	}
}

type inquiryMessageRow struct {
	ID        string `gorm:"primaryKey"`
	InquiryID string
	Seq       int
	AuthorID  *string
	Side      string
	Body      string
	QuoteID   *string
	CreatedAt time.Time
}

func (inquiryMessageRow) TableName() string { return "inquiry_messages" }

type inquiryAttachmentRow struct {
	ID          string `gorm:"primaryKey"`
	MessageID   string
	InquiryID   string
	Kind        string
	ObjectKey   string
	ThumbKey    *string
	ContentType string
	SizeBytes   int64
	Width       int
	Height      int
	CreatedAt   time.Time
}

func (inquiryAttachmentRow) TableName() string { return "inquiry_attachments" }

func (r *inquiryAttachmentRow) toDomain() ocop.InquiryAttachment {
	return ocop.InquiryAttachment{ID: r.ID, MessageID: r.MessageID, Kind: r.Kind, Key: r.ObjectKey, ThumbKey: strVal(r.ThumbKey),
		ContentType: r.ContentType, Size: r.SizeBytes, Width: r.Width, Height: r.Height, CreatedAt: r.CreatedAt.UTC()}
}

type inquiryQuoteRow struct {
	ID            string `gorm:"primaryKey"`
	InquiryID     string
	UnitPriceVND  int64 `gorm:"column:unit_price_vnd"`
	Quantity      int64
	Unit          string
	DeliveryTerms string
	DeliveryPlace string
	ValidUntil    string
	Note          string
	Status        string
	CreatedBy     *string
	CreatedAt     time.Time
	SupersededAt  *time.Time
}

func (inquiryQuoteRow) TableName() string { return "inquiry_quotes" }

type inquiryEventRow struct {
	ID         string `gorm:"primaryKey"`
	InquiryID  string
	ActorID    *string
	Action     string
	FromStatus string
	ToStatus   string
	Reason     string
	At         time.Time
}

func (inquiryEventRow) TableName() string { return "inquiry_events" }

// Inquiries is the inquiry repository: inquiries, their threads, quotes,
// read markers and transition history.
type Inquiries struct{ s *Store }

// Inquiries returns the inquiry repository.
func (s *Store) Inquiries() *Inquiries { return &Inquiries{s} }

// Create inserts an inquiry.
func (r *Inquiries) Create(ctx context.Context, q *ocop.Inquiry) error {
	row := inquiryRowOf(q)
	return translate(r.s.conn(ctx).Create(&row).Error)
}

func (r *Inquiries) get(ctx context.Context, id string, lock bool) (*ocop.Inquiry, error) {
	q := r.s.conn(ctx).Where("id = ?", id)
	if lock && r.s.isPostgres() {
		q = q.Clauses(lockingUpdate())
	}
	var row inquiryRow
	err := q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("inquiry")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain()
}

// Get loads an inquiry.
func (r *Inquiries) Get(ctx context.Context, id string) (*ocop.Inquiry, error) {
	return r.get(ctx, id, false)
}

// GetForUpdate loads an inquiry inside a transaction, locking its row on
// PostgreSQL (SQLite transactions hold the write lock already).
func (r *Inquiries) GetForUpdate(ctx context.Context, id string) (*ocop.Inquiry, error) {
	return r.get(ctx, id, true)
}

// Update writes the mutable columns of q, provided its status is still
// from; it reports false when another change got there first.
func (r *Inquiries) Update(ctx context.Context, q *ocop.Inquiry, from ocop.InquiryStatus) (bool, error) {
	res := r.s.conn(ctx).Model(&inquiryRow{}).Where("id = ? AND status = ?", q.ID, string(from)).Updates(map[string]any{
		"status": string(q.Status), "message_count": q.MessageCount, "first_response_at": utcPtr(q.FirstResponseAt),
		"last_message_at": q.LastMessageAt.UTC(), "expiry_warned_at": utcPtr(q.ExpiryWarnedAt), "closed_at": utcPtr(q.ClosedAt),
		"updated_at": q.UpdatedAt.UTC(),
	})
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// AddMessage inserts a message and its attachments.
func (r *Inquiries) AddMessage(ctx context.Context, m *ocop.InquiryMessage) error {
	db := r.s.conn(ctx)
	row := inquiryMessageRow{ID: m.ID, InquiryID: m.InquiryID, Seq: m.Seq, AuthorID: strPtr(m.AuthorID), Side: string(m.Side),
		Body: m.Body, QuoteID: strPtr(m.QuoteID), CreatedAt: m.CreatedAt.UTC()}
	if err := db.Create(&row).Error; err != nil {
		return translate(err)
	}
	if len(m.Attachments) == 0 {
		return nil
	}
	rows := make([]inquiryAttachmentRow, len(m.Attachments))
	for i, a := range m.Attachments {
		rows[i] = inquiryAttachmentRow{ID: a.ID, MessageID: m.ID, InquiryID: m.InquiryID, Kind: a.Kind, ObjectKey: a.Key,
			ThumbKey: strPtr(a.ThumbKey), ContentType: a.ContentType, SizeBytes: a.Size, Width: a.Width, Height: a.Height,
			CreatedAt: a.CreatedAt.UTC()}
	}
	return translate(db.Create(&rows).Error)
}

// Messages lists a thread, oldest first, with attachments.
func (r *Inquiries) Messages(ctx context.Context, inquiryID string) ([]ocop.InquiryMessage, error) {
	db := r.s.conn(ctx)
	var rows []inquiryMessageRow
	if err := db.Where("inquiry_id = ?", inquiryID).Order("seq").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	var atts []inquiryAttachmentRow
	if err := db.Where("inquiry_id = ?", inquiryID).Order("created_at, id").Find(&atts).Error; err != nil {
		return nil, translate(err)
	}
	byMsg := map[string][]ocop.InquiryAttachment{}
	for i := range atts {
		byMsg[atts[i].MessageID] = append(byMsg[atts[i].MessageID], atts[i].toDomain())
	}
	out := make([]ocop.InquiryMessage, len(rows))
	for i, m := range rows {
		out[i] = ocop.InquiryMessage{ID: m.ID, InquiryID: m.InquiryID, Seq: m.Seq, AuthorID: strVal(m.AuthorID),
			Side: ocop.InquirySide(m.Side), Body: m.Body, QuoteID: strVal(m.QuoteID), Attachments: byMsg[m.ID], CreatedAt: m.CreatedAt.UTC()}
	}
	return out, nil
}

// Attachment loads one attachment of an inquiry.
func (r *Inquiries) Attachment(ctx context.Context, inquiryID, id string) (*ocop.InquiryAttachment, error) {
	var row inquiryAttachmentRow
	err := r.s.conn(ctx).Where("id = ? AND inquiry_id = ?", id, inquiryID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("attachment")
	}
	if err != nil {
		return nil, translate(err)
	}
	a := row.toDomain()
	return &a, nil
}

// SupersedeQuotes marks the inquiry's active quote superseded.
func (r *Inquiries) SupersedeQuotes(ctx context.Context, inquiryID string, at time.Time) error {
	return translate(r.s.conn(ctx).Model(&inquiryQuoteRow{}).Where("inquiry_id = ? AND status = ?", inquiryID, string(ocop.QuoteActive)).
		Updates(map[string]any{"status": string(ocop.QuoteSuperseded), "superseded_at": at.UTC()}).Error)
}

// AddQuote inserts a quote; the one-active index refuses a second active one.
func (r *Inquiries) AddQuote(ctx context.Context, q *ocop.Quote) error {
	row := inquiryQuoteRow{ID: q.ID, InquiryID: q.InquiryID, UnitPriceVND: q.UnitPriceVND, Quantity: q.Quantity, Unit: q.Unit,
		DeliveryTerms: q.DeliveryTerms, DeliveryPlace: q.DeliveryPlace, ValidUntil: q.ValidUntil.String(), Note: q.Note,
		Status: string(q.Status), CreatedBy: strPtr(q.CreatedBy), CreatedAt: q.CreatedAt.UTC(), SupersededAt: utcPtr(q.SupersededAt)}
	return translate(r.s.conn(ctx).Create(&row).Error)
}

// Quotes lists an inquiry's quotes, oldest first.
func (r *Inquiries) Quotes(ctx context.Context, inquiryID string) ([]ocop.Quote, error) {
	var rows []inquiryQuoteRow
	if err := r.s.conn(ctx).Where("inquiry_id = ?", inquiryID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.Quote, 0, len(rows))
	for _, q := range rows {
		vu, err := ocop.ParseDate(q.ValidUntil)
		if err != nil {
			return nil, err
		}
		out = append(out, ocop.Quote{ID: q.ID, InquiryID: q.InquiryID, UnitPriceVND: q.UnitPriceVND, Quantity: q.Quantity,
			Unit: q.Unit, DeliveryTerms: q.DeliveryTerms, DeliveryPlace: q.DeliveryPlace, ValidUntil: vu, Note: q.Note,
			Status: ocop.QuoteStatus(q.Status), CreatedBy: strVal(q.CreatedBy), CreatedAt: q.CreatedAt.UTC(), SupersededAt: utcPtr(q.SupersededAt)})
	}
	return out, nil
}

// AddEvent records a transition.
func (r *Inquiries) AddEvent(ctx context.Context, e *ocop.InquiryEvent) error {
	row := inquiryEventRow{ID: e.ID, InquiryID: e.InquiryID, ActorID: strPtr(e.ActorID), Action: e.Action,
		FromStatus: string(e.From), ToStatus: string(e.To), Reason: e.Reason, At: e.At.UTC()}
	return translate(r.s.conn(ctx).Create(&row).Error)
}

// Events lists an inquiry's history, oldest first.
func (r *Inquiries) Events(ctx context.Context, inquiryID string) ([]ocop.InquiryEvent, error) {
	var rows []inquiryEventRow
	if err := r.s.conn(ctx).Where("inquiry_id = ?", inquiryID).Order("at, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.InquiryEvent, len(rows))
	for i, e := range rows {
		out[i] = ocop.InquiryEvent{ID: e.ID, InquiryID: e.InquiryID, ActorID: strVal(e.ActorID), Action: e.Action,
			From: ocop.InquiryStatus(e.FromStatus), To: ocop.InquiryStatus(e.ToStatus), Reason: e.Reason, At: e.At.UTC()}
	}
	return out, nil
}

// MarkRead moves the user's read marker forward to seq (never back).
func (r *Inquiries) MarkRead(ctx context.Context, inquiryID, userID string, seq int, at time.Time) error {
	return translate(r.s.conn(ctx).Exec(`INSERT INTO inquiry_reads (inquiry_id, user_id, last_read_seq, read_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (inquiry_id, user_id) DO UPDATE SET
		last_read_seq = CASE WHEN excluded.last_read_seq > inquiry_reads.last_read_seq THEN excluded.last_read_seq ELSE inquiry_reads.last_read_seq END,
		read_at = excluded.read_at`, inquiryID, userID, seq, at.UTC()).Error)
}

// Unread counts the messages of an inquiry others wrote after the user's
// read marker.
func (r *Inquiries) Unread(ctx context.Context, inquiryID, userID string) (int, error) {
	var n int
	err := r.s.conn(ctx).Raw(`SELECT COUNT(*) FROM inquiry_messages m WHERE m.inquiry_id = ? AND `+unreadCond,
		inquiryID, userID, userID).Scan(&n).Error
	return n, translate(err)
}

// unreadCond selects messages (m) of inquiry (m.inquiry_id) that the user
// (two ? args) has not read: after the read marker, written by someone else.
const unreadCond = `m.seq > COALESCE((SELECT r.last_read_seq FROM inquiry_reads r WHERE r.inquiry_id = m.inquiry_id AND r.user_id = ?), 0)
	AND (m.author_id IS NULL OR m.author_id <> ?)`

// participantCond selects inquiries (i) the user (two ? args) takes part in.
const participantCond = `(i.buyer_id = ? OR i.producer_id IN (SELECT pm.producer_id FROM producer_members pm WHERE pm.user_id = ?))`

type inquirySummaryRow struct {
	Row    inquiryRow `gorm:"embedded"`
	Side   string
	Unread int
}

// List returns a page of the inquiries a user takes part in, newest first
// (ids are UUIDv7, so id order is creation order and a cursor on the id
// stays stable however the inquiries change), with unread counts.
func (r *Inquiries) List(ctx context.Context, f ocop.InquiryFilter) ([]ocop.InquirySummary, error) {
	var where []string
	args := []any{f.UserID, f.UserID, f.UserID}
	switch f.Side {
	case ocop.SideBuyer:
		where = append(where, "i.buyer_id = ?")
		args = append(args, f.UserID)
	case ocop.SideProducer:
		where = append(where, "i.producer_id IN (SELECT pm.producer_id FROM producer_members pm WHERE pm.user_id = ?)")
		args = append(args, f.UserID)
	default:
		where = append(where, participantCond)
		args = append(args, f.UserID, f.UserID)
	}
	if len(f.Statuses) > 0 {
		where = append(where, "i.status IN ("+placeholders(len(f.Statuses))+")")
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if f.ListingID != "" {
		where = append(where, "i.listing_id = ?")
		args = append(args, f.ListingID)
	}
	if f.From != nil {
		where = append(where, "i.created_at >= ?")
		args = append(args, f.From.UTC())
	}
	if f.To != nil {
		where = append(where, "i.created_at < ?")
		args = append(args, f.To.UTC())
	}
	if f.Before != "" {
		where = append(where, "i.id < ?")
		args = append(args, f.Before)
	}
	args = append(args, f.Limit)
	q := `SELECT i.*, CASE WHEN i.buyer_id = ? THEN 'buyer' ELSE 'producer' END AS side,
		(SELECT COUNT(*) FROM inquiry_messages m WHERE m.inquiry_id = i.id AND ` + unreadCond + `) AS unread
		FROM inquiries i WHERE ` + strings.Join(where, " AND ") + ` ORDER BY i.id DESC LIMIT ?`
	var rows []inquirySummaryRow
	if err := r.s.conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.InquirySummary, 0, len(rows))
	for i := range rows {
		q, err := rows[i].Row.toDomain()
		if err != nil {
			return nil, err
		}
		out = append(out, ocop.InquirySummary{Inquiry: *q, Side: ocop.InquirySide(rows[i].Side), Unread: rows[i].Unread})
	}
	return out, nil
}

// UnreadInquiries counts the user's inquiries with at least one unread message.
func (r *Inquiries) UnreadInquiries(ctx context.Context, userID string) (int, error) {
	var n int
	err := r.s.conn(ctx).Raw(`SELECT COUNT(*) FROM inquiries i WHERE `+participantCond+`
		AND EXISTS (SELECT 1 FROM inquiry_messages m WHERE m.inquiry_id = i.id AND `+unreadCond+`)`,
		userID, userID, userID, userID).Scan(&n).Error
	return n, translate(err)
}

// OpenCreatedBefore lists open inquiries (no producer reply) created before
// t, oldest first; with unwarned, only those not yet warned of expiry.
func (r *Inquiries) OpenCreatedBefore(ctx context.Context, t time.Time, unwarned bool, limit int) ([]ocop.Inquiry, error) {
	q := r.s.conn(ctx).Where("status = ? AND created_at < ?", string(ocop.InquiryOpen), t.UTC())
	if unwarned {
		q = q.Where("expiry_warned_at IS NULL")
	}
	var rows []inquiryRow
	if err := q.Order("created_at, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.Inquiry, 0, len(rows))
	for i := range rows {
		q, err := rows[i].toDomain()
		if err != nil {
			return nil, err
		}
		out = append(out, *q)
	}
	return out, nil
}

// SpamReporters counts the distinct producers that reported the buyer's
// inquiries as spam since t.
func (r *Inquiries) SpamReporters(ctx context.Context, buyerID string, since time.Time) (int, error) {
	var n int
	err := r.s.conn(ctx).Raw(`SELECT COUNT(DISTINCT producer_id) FROM inquiries WHERE buyer_id = ? AND status = ? AND closed_at >= ?`,
		buyerID, string(ocop.InquirySpam), since.UTC()).Scan(&n).Error
	return n, translate(err)
}

// ResponseSamples lists the inquiries the producers received since t that
// count for responsiveness: spam does not, nor an inquiry the buyer
// withdrew before any answer.
func (r *Inquiries) ResponseSamples(ctx context.Context, producerIDs []string, since time.Time) ([]ocop.ResponseSample, error) {
	if len(producerIDs) == 0 {
		return nil, nil
	}
	var rows []inquiryRow
	err := r.s.conn(ctx).Select("producer_id", "created_at", "first_response_at").
		Where("producer_id IN ? AND created_at >= ? AND status <> ?", producerIDs, since.UTC(), string(ocop.InquirySpam)).
		Where("NOT (status = ? AND first_response_at IS NULL)", string(ocop.InquiryWithdrawn)).
		Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.ResponseSample, len(rows))
	for i, row := range rows {
		out[i] = ocop.ResponseSample{ProducerID: row.ProducerID, CreatedAt: row.CreatedAt.UTC(), FirstResponseAt: utcPtr(row.FirstResponseAt)}
	}
	return out, nil
}
