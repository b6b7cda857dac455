package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/inquiries"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// messagesPath is the message route; with attachments its body may be large.
const messagesPath = "/api/v1/inquiries/:id/messages"

func (a *API) routesInquiries(v1 *gin.RouterGroup) {
	if a.Inquiries == nil {
		return
	}
	v1.POST("/listings/:id/inquiries", a.requireAuth, a.idempotent, a.createInquiry)
	v1.GET("/inquiries", a.requireAuth, a.listInquiries)
	v1.GET("/inquiries/:id", a.requireAuth, a.getInquiry)
	a.bodyLimits[messagesPath] = int64(ocop.InquiryMaxAttachments)*a.uploadBodyLimit() + multipartOverhead
	v1.POST("/inquiries/:id/messages", a.requireAuth, a.postInquiryMessage)
	v1.POST("/inquiries/:id/quote", a.requireAuth, a.quoteInquiry)
	v1.POST("/inquiries/:id/close", a.requireAuth, a.closeInquiry)
	v1.POST("/inquiries/:id/read", a.requireAuth, a.readInquiry)
	v1.GET("/inquiries/:id/attachments/:attachment_id", a.requireAuth, a.downloadInquiryAttachment)
	v1.GET("/notifications", a.requireAuth, a.listNotifications)
	v1.POST("/notifications/read", a.requireAuth, a.readAllNotifications)
	v1.POST("/notifications/:id/read", a.requireAuth, a.readNotification)
}

type inquiryResponse struct {
	ID                   string     `json:"id"`
	ListingID            string     `json:"listing_id"`
	ProducerID           string     `json:"producer_id"`
	BuyerID              string     `json:"buyer_id"`
	ListingTitle         string     `json:"listing_title"`
	Quantity             int64      `json:"quantity"`
	Unit                 string     `json:"unit"`
	TargetPriceVND       *int64     `json:"target_price_vnd"`
	DeliveryProvinceCode string     `json:"delivery_province_code"`
	NeededBy             string     `json:"needed_by"`
	SampleRequested      bool       `json:"sample_requested"`
	Status               string     `json:"status"`
	Role                 string     `json:"role"`
	UnreadCount          int        `json:"unread_count"`
	MessageCount         int        `json:"message_count"`
	FirstResponseAt      *time.Time `json:"first_response_at"`
	LastMessageAt        time.Time  `json:"last_message_at"`
	ClosedAt             *time.Time `json:"closed_at"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
}

func toInquiryResponse(q *ocop.Inquiry, side ocop.InquirySide, unread int) inquiryResponse {
	return inquiryResponse{
		ID: q.ID, ListingID: q.ListingID, ProducerID: q.ProducerID, BuyerID: q.BuyerID, ListingTitle: q.ListingTitle,
		Quantity: q.Quantity, Unit: q.Unit, TargetPriceVND: q.TargetPriceVND, DeliveryProvinceCode: q.DeliveryProvinceCode,
		NeededBy: q.NeededBy.String(), SampleRequested: q.SampleRequested, Status: string(q.Status), Role: string(side),
		UnreadCount: unread, MessageCount: q.MessageCount, FirstResponseAt: q.FirstResponseAt, LastMessageAt: q.LastMessageAt,
		ClosedAt: q.ClosedAt, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
	}
}

type attachmentResponse struct {
	ID           string  `json:"id"`
	Kind         string  `json:"kind"`
	ContentType  string  `json:"content_type"`
	Size         int64   `json:"size"`
	Width        *int    `json:"width"`
	Height       *int    `json:"height"`
	URL          string  `json:"url"`
	ThumbnailURL *string `json:"thumbnail_url"`
}

type messageResponse struct {
	ID          string               `json:"id"`
	Seq         int                  `json:"seq"`
	AuthorID    *string              `json:"author_id"`
	Side        string               `json:"side"`
	Body        string               `json:"body"`
	QuoteID     *string              `json:"quote_id"`
	Attachments []attachmentResponse `json:"attachments"`
	CreatedAt   time.Time            `json:"created_at"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toMessageResponse(m *ocop.InquiryMessage) messageResponse {
	r := messageResponse{ID: m.ID, Seq: m.Seq, AuthorID: optString(m.AuthorID), Side: string(m.Side), Body: m.Body,
		QuoteID: optString(m.QuoteID), Attachments: []attachmentResponse{}, CreatedAt: m.CreatedAt}
	for _, at := range m.Attachments {
		url := "/api/v1/inquiries/" + m.InquiryID + "/attachments/" + at.ID
		ar := attachmentResponse{ID: at.ID, Kind: at.Kind, ContentType: at.ContentType, Size: at.Size, URL: url}
		if at.Kind == "image" {
			w, h, thumb := at.Width, at.Height, url+"?variant=thumb"
			ar.Width, ar.Height, ar.ThumbnailURL = &w, &h, &thumb
		}
		r.Attachments = append(r.Attachments, ar)
	}
	return r
}

type quoteResponse struct {
	ID            string     `json:"id"`
	UnitPriceVND  int64      `json:"unit_price_vnd"`
	Quantity      int64      `json:"quantity"`
	Unit          string     `json:"unit"`
	TotalVND      int64      `json:"total_vnd"`
	DeliveryTerms string     `json:"delivery_terms"`
	DeliveryPlace string     `json:"delivery_place"`
	ValidUntil    string     `json:"valid_until"`
	Note          string     `json:"note"`
	Status        string     `json:"status"`
	CreatedBy     *string    `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	SupersededAt  *time.Time `json:"superseded_at"`
}

func toQuoteResponse(q *ocop.Quote) quoteResponse {
	return quoteResponse{ID: q.ID, UnitPriceVND: q.UnitPriceVND, Quantity: q.Quantity, Unit: q.Unit, TotalVND: q.TotalVND(),
		DeliveryTerms: q.DeliveryTerms, DeliveryPlace: q.DeliveryPlace, ValidUntil: q.ValidUntil.String(), Note: q.Note,
		Status: string(q.Status), CreatedBy: optString(q.CreatedBy), CreatedAt: q.CreatedAt, SupersededAt: q.SupersededAt}
}

type inquiryEventResponse struct {
	ActorID *string   `json:"actor_id"`
	Action  string    `json:"action"`
	From    *string   `json:"from_status"`
	To      string    `json:"to_status"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

type threadResponse struct {
	inquiryResponse
	Messages []messageResponse      `json:"messages"`
	Quotes   []quoteResponse        `json:"quotes"`
	History  []inquiryEventResponse `json:"history"`
}

func toThreadResponse(t *inquiries.Thread) threadResponse {
	r := threadResponse{inquiryResponse: toInquiryResponse(t.Inquiry, t.Side, t.Unread),
		Messages: make([]messageResponse, len(t.Messages)), Quotes: make([]quoteResponse, len(t.Quotes)), History: make([]inquiryEventResponse, len(t.Events))}
	for i := range t.Messages {
		r.Messages[i] = toMessageResponse(&t.Messages[i])
	}
	for i := range t.Quotes {
		r.Quotes[i] = toQuoteResponse(&t.Quotes[i])
	}
	for i, e := range t.Events {
		r.History[i] = inquiryEventResponse{ActorID: optString(e.ActorID), Action: e.Action, From: optString(string(e.From)), To: string(e.To), Reason: e.Reason, At: e.At}
	}
	return r
}

func (a *API) writeThread(c *gin.Context, status int, id string) {
	t, err := a.Inquiries.Get(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	if status == http.StatusCreated {
		c.Header("Location", "/api/v1/inquiries/"+id)
	}
	c.JSON(status, toThreadResponse(t))
}

type createInquiryRequest struct {
	Quantity             int64  `json:"quantity"`
	Unit                 string `json:"unit"`
	TargetPriceVND       *int64 `json:"target_price_vnd"`
	DeliveryProvinceCode string `json:"delivery_province_code"`
	NeededBy             string `json:"needed_by"`
	Message              string `json:"message"`
	SampleRequested      bool   `json:"sample_requested"`
}

func (a *API) createInquiry(c *gin.Context) {
	var req createInquiryRequest
	if !bindJSON(c, &req) {
		return
	}
	q, err := a.Inquiries.Create(c.Request.Context(), inquiries.CreateInput{
		ListingID: c.Param("id"), Quantity: req.Quantity, Unit: req.Unit, TargetPriceVND: req.TargetPriceVND,
		DeliveryProvinceCode: req.DeliveryProvinceCode, NeededBy: req.NeededBy, Message: req.Message, SampleRequested: req.SampleRequested,
	})
	if err != nil {
		fail(c, err)
		return
	}
	a.writeThread(c, http.StatusCreated, q.ID)
}

// queryLimit reads the limit parameter (default 20, 1..100).
func queryLimit(c *gin.Context, v *ocop.Validation) int {
	s := c.Query("limit")
	if s == "" {
		return 20
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100 {
		v.Add("limit", "must be an integer between 1 and 100")
	}
	return n
}

func (a *API) listInquiries(c *gin.Context) {
	var v ocop.Validation
	in := inquiries.ListInput{Side: ocop.InquirySide(c.Query("role")), ListingID: c.Query("listing_id"),
		CreatedFrom: c.Query("created_from"), CreatedTo: c.Query("created_to"), Cursor: c.Query("cursor"), Limit: queryLimit(c, &v)}
	for _, s := range c.QueryArray("status") {
		for _, part := range strings.Split(s, ",") {
			in.Statuses = append(in.Statuses, ocop.InquiryStatus(strings.TrimSpace(part)))
		}
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	page, err := a.Inquiries.List(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]inquiryResponse, len(page.Items))
	for i := range page.Items {
		it := &page.Items[i]
		items[i] = toInquiryResponse(&it.Inquiry, it.Side, it.Unread)
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": optString(page.NextCursor), "unread_inquiries": page.UnreadInquiries})
}

func (a *API) getInquiry(c *gin.Context) { a.writeThread(c, http.StatusOK, c.Param("id")) }

type messageRequest struct {
	Body string `json:"body"`
}

// postInquiryMessage takes a JSON body {"body": ...} or a multipart body
// with a "body" field and up to InquiryMaxAttachments "file" parts (JPEG,
// PNG, WebP images through the media pipeline, or PDF documents). The
// caller's right to write is checked before anything is stored.
func (a *API) postInquiryMessage(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt != "multipart/form-data" {
		// The route's limit is sized for attachments; JSON gets the usual one.
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, a.MaxBodyBytes)
		var req messageRequest
		if !bindJSON(c, &req) {
			return
		}
		m, err := a.Inquiries.PostMessage(ctx, id, req.Body, nil)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, toMessageResponse(m))
		return
	}
	if err := a.Inquiries.CanWrite(ctx, id); err != nil {
		fail(c, err)
		return
	}
	body, atts, err := a.readMessageParts(c, id)
	if err != nil {
		a.Inquiries.Discard(ctx, atts)
		fail(c, err)
		return
	}
	m, err := a.Inquiries.PostMessage(ctx, id, body, atts)
	if err != nil {
		fail(c, err) // PostMessage removed the stored attachments
		return
	}
	c.JSON(http.StatusCreated, toMessageResponse(m))
}

// readMessageParts streams the multipart body: the text field "body" and
// each "file" part, stored as it arrives (nothing is spooled to disk). It
// returns what it stored even on error, for the caller to discard.
func (a *API) readMessageParts(c *gin.Context, inquiryID string) (string, []ocop.InquiryAttachment, error) {
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return "", nil, ocop.FieldInvalid("file", "the multipart body is malformed")
	}
	var (
		body string
		atts []ocop.InquiryAttachment
	)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return body, atts, nil
		}
		if err != nil {
			if tooLarge(err) {
				return body, atts, ocop.Errorf(ocop.CodeTooLarge, "the body is larger than allowed")
			}
			return body, atts, ocop.FieldInvalid("file", "the multipart body is malformed")
		}
		switch {
		case part.FormName() == "body" && part.FileName() == "":
			b, err := io.ReadAll(io.LimitReader(part, ocop.InquiryMessageMax*4+1))
			part.Close()
			if err != nil {
				return body, atts, ocop.FieldInvalid("body", "could not be read")
			}
			if len(b) > ocop.InquiryMessageMax*4 {
				return body, atts, ocop.FieldInvalid("body", "must be at most %d characters", ocop.InquiryMessageMax)
			}
			body = string(b)
		case part.FormName() == "file":
			if len(atts) == ocop.InquiryMaxAttachments {
				part.Close()
				return body, atts, ocop.FieldInvalid("file", "at most %d attachments per message", ocop.InquiryMaxAttachments)
			}
			at, err := a.Inquiries.StoreAttachment(c.Request.Context(), inquiryID, part)
			part.Close()
			if err != nil {
				return body, atts, err
			}
			atts = append(atts, at)
		default:
			part.Close() // unknown fields are skipped; the body limit bounds them
		}
	}
}

type quoteRequest struct {
	UnitPriceVND  int64  `json:"unit_price_vnd"`
	Quantity      int64  `json:"quantity"`
	Unit          string `json:"unit"`
	DeliveryTerms string `json:"delivery_terms"`
	DeliveryPlace string `json:"delivery_place"`
	ValidUntil    string `json:"valid_until"`
	Note          string `json:"note"`
}

func (a *API) quoteInquiry(c *gin.Context) {
	var req quoteRequest
	if !bindJSON(c, &req) {
		return
	}
	q, err := a.Inquiries.Quote(c.Request.Context(), c.Param("id"), inquiries.QuoteInput{
		UnitPriceVND: req.UnitPriceVND, Quantity: req.Quantity, Unit: req.Unit, DeliveryTerms: req.DeliveryTerms,
		DeliveryPlace: req.DeliveryPlace, ValidUntil: req.ValidUntil, Note: req.Note,
	})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toQuoteResponse(q))
}

type closeRequest struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

func (a *API) closeInquiry(c *gin.Context) {
	var req closeRequest
	if !bindJSON(c, &req) {
		return
	}
	if _, err := a.Inquiries.Close(c.Request.Context(), c.Param("id"), req.Outcome, req.Reason); err != nil {
		fail(c, err)
		return
	}
	a.writeThread(c, http.StatusOK, c.Param("id"))
}

func (a *API) readInquiry(c *gin.Context) {
	if err := a.Inquiries.MarkRead(c.Request.Context(), c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) downloadInquiryAttachment(c *gin.Context) {
	variant := c.DefaultQuery("variant", "original")
	if variant != "original" && variant != "thumb" {
		fail(c, ocop.FieldInvalid("variant", "must be original or thumb"))
		return
	}
	body, info, url, err := a.Inquiries.Attachment(c.Request.Context(), c.Param("id"), c.Param("attachment_id"), variant == "thumb")
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-store")
	if url != "" {
		c.Redirect(http.StatusFound, url)
		return
	}
	defer body.Close()
	c.Header("Content-Disposition", "attachment")
	c.DataFromReader(http.StatusOK, info.Size, info.ContentType, body, nil)
}

type notificationResponse struct {
	ID        string            `json:"id"`
	Kind      string            `json:"kind"`
	InquiryID *string           `json:"inquiry_id"`
	EventID   *string           `json:"event_id"`
	BookingID *string           `json:"booking_id"`
	Data      map[string]string `json:"data"`
	Read      bool              `json:"read"`
	ReadAt    *time.Time        `json:"read_at"`
	CreatedAt time.Time         `json:"created_at"`
}

func (a *API) listNotifications(c *gin.Context) {
	var v ocop.Validation
	limit := queryLimit(c, &v)
	unread := false
	if s := c.Query("unread"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			v.Add("unread", "must be true or false")
		}
		unread = b
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	page, err := a.Notifications.List(c.Request.Context(), unread, c.Query("cursor"), limit)
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]notificationResponse, len(page.Items))
	for i, n := range page.Items {
		data := n.Data
		if data == nil {
			data = map[string]string{}
		}
		items[i] = notificationResponse{ID: n.ID, Kind: string(n.Kind), InquiryID: optString(n.InquiryID),
			EventID: optString(n.EventID), BookingID: optString(n.BookingID), Data: data,
			Read: n.ReadAt != nil, ReadAt: n.ReadAt, CreatedAt: n.CreatedAt}
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": optString(page.NextCursor), "unread_count": page.UnreadCount})
}

func (a *API) readNotification(c *gin.Context) {
	if err := a.Notifications.MarkRead(c.Request.Context(), c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) readAllNotifications(c *gin.Context) {
	n, err := a.Notifications.MarkAllRead(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"marked": n})
}

type responsivenessResponse struct {
	PeriodDays                 int      `json:"period_days"`
	InquiriesReceived          int      `json:"inquiries_received"`
	InquiriesAnswered          int      `json:"inquiries_answered"`
	ResponseRate               *float64 `json:"response_rate"`
	MedianFirstResponseSeconds *int64   `json:"median_first_response_seconds"`
}

func toResponsivenessResponse(r ocop.Responsiveness) *responsivenessResponse {
	out := &responsivenessResponse{PeriodDays: r.Days, InquiriesReceived: r.Received, InquiriesAnswered: r.Responded, ResponseRate: r.ResponseRate()}
	if r.MedianFirstResponse != nil {
		s := int64(r.MedianFirstResponse.Seconds())
		out.MedianFirstResponseSeconds = &s
	}
	return out
}
