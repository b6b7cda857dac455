package httpapi

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/events"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func (a *API) routesEvents(v1 *gin.RouterGroup) {
	if a.Events == nil {
		return
	}
	organiser := a.requireRole(ocop.RoleOrganiser, ocop.RoleAdmin)
	v1.POST("/events", a.requireAuth, organiser, a.createEvent)
	v1.GET("/events", a.optionalAuth, a.listEvents)
	v1.GET("/events/:id", a.optionalAuth, a.getEvent)
	v1.PATCH("/events/:id", a.requireAuth, organiser, a.updateEvent)
	v1.POST("/events/:id/publish", a.requireAuth, organiser, a.publishEvent)
	v1.POST("/events/:id/cancel", a.requireAuth, organiser, a.cancelEvent)
	v1.POST("/events/:id/booths", a.requireAuth, organiser, a.importBooths)
	v1.GET("/events/:id/booths", a.optionalAuth, a.listBooths)
	v1.PATCH("/booths/:id", a.requireAuth, organiser, a.updateBooth)
	v1.GET("/events/:id/floorplan.svg", a.optionalAuth, a.floorPlan)
	v1.GET("/events/:id/calendar.ics", a.optionalAuth, a.calendar)
	v1.POST("/events/:id/bookings", a.requireAuth, a.requireRole(ocop.RoleProducer), a.idempotent, a.book)
	v1.GET("/events/:id/bookings", a.requireAuth, organiser, a.eventBookings)
	v1.POST("/events/:id/waitlist", a.requireAuth, a.requireRole(ocop.RoleProducer), a.joinWaitlist)
	v1.GET("/events/:id/waitlist", a.requireAuth, organiser, a.listWaitlist)
	v1.GET("/me/bookings", a.requireAuth, a.myBookings)
	v1.GET("/bookings/:id", a.requireAuth, a.getBooking)
	v1.POST("/bookings/:id/confirm", a.requireAuth, a.bookingAction(func(c *gin.Context, id, _ string) (*ocop.Booking, error) {
		return a.Events.Confirm(c.Request.Context(), id)
	}))
	v1.POST("/bookings/:id/reject", a.requireAuth, a.bookingAction(func(c *gin.Context, id, reason string) (*ocop.Booking, error) {
		return a.Events.Reject(c.Request.Context(), id, reason)
	}))
	v1.POST("/bookings/:id/cancel", a.requireAuth, a.bookingAction(func(c *gin.Context, id, reason string) (*ocop.Booking, error) {
		return a.Events.Cancel(c.Request.Context(), id, reason)
	}))
	v1.POST("/bookings/:id/accept", a.requireAuth, a.bookingAction(func(c *gin.Context, id, _ string) (*ocop.Booking, error) {
		return a.Events.Accept(c.Request.Context(), id)
	}))
}

// --- requests ---

type eligibilityRequest struct {
	MinStars          *int      `json:"min_stars"`
	ProductGroups     *[]string `json:"product_groups"`
	ProducerProvinces *[]string `json:"producer_provinces"`
}

type eventRequest struct {
	Name                 *string             `json:"name"`
	Description          *string             `json:"description"`
	DescriptionEN        *string             `json:"description_en"`
	Venue                *string             `json:"venue"`
	Address              *string             `json:"address"`
	ProvinceCode         *string             `json:"province_code"`
	CommuneCode          *string             `json:"commune_code"`
	TimeZone             *string             `json:"time_zone"`
	StartsAt             *string             `json:"starts_at"`
	EndsAt               *string             `json:"ends_at"`
	BookingOpensAt       *string             `json:"booking_opens_at"`
	BookingClosesAt      *string             `json:"booking_closes_at"`
	Eligibility          *eligibilityRequest `json:"eligibility"`
	MaxBoothsPerProducer *int                `json:"max_booths_per_producer"`
	SubsidisedQuota      *int                `json:"subsidised_quota"`
	SubsidisedPriceVND   *int64              `json:"subsidised_price_vnd"`
}

func (r *eventRequest) input() events.EventInput {
	in := events.EventInput{
		Name: r.Name, Description: r.Description, DescriptionEN: r.DescriptionEN, Venue: r.Venue, Address: r.Address,
		ProvinceCode: r.ProvinceCode, CommuneCode: r.CommuneCode, TimeZone: r.TimeZone, StartsAt: r.StartsAt, EndsAt: r.EndsAt,
		BookingOpensAt: r.BookingOpensAt, BookingClosesAt: r.BookingClosesAt, MaxBoothsPerProducer: r.MaxBoothsPerProducer,
		SubsidisedQuota: r.SubsidisedQuota, SubsidisedPriceVND: r.SubsidisedPriceVND,
	}
	if el := r.Eligibility; el != nil {
		in.MinStars, in.ProductGroups, in.ProducerProvinces = el.MinStars, el.ProductGroups, el.ProducerProvinces
	}
	return in
}

type boothRequest struct {
	Code     *string   `json:"code"`
	Zone     *string   `json:"zone"`
	SizeM2   *float64  `json:"size_m2"`
	PriceVND *int64    `json:"price_vnd"`
	X        *float64  `json:"x"`
	Y        *float64  `json:"y"`
	Width    *float64  `json:"width"`
	Height   *float64  `json:"height"`
	Features *[]string `json:"features"`
}

func (r *boothRequest) input() events.BoothInput {
	return events.BoothInput{Code: r.Code, Zone: r.Zone, SizeM2: r.SizeM2, PriceVND: r.PriceVND, X: r.X, Y: r.Y,
		Width: r.Width, Height: r.Height, Features: r.Features}
}

type boothsRequest struct {
	Booths []boothRequest `json:"booths"`
}

type bookingRequest struct {
	BoothID    string `json:"booth_id"`
	Zone       string `json:"zone"`
	ProducerID string `json:"producer_id"`
	Subsidised bool   `json:"subsidised"`
	Note       string `json:"note"`
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

type waitlistRequest struct {
	Zone       string `json:"zone"`
	ProducerID string `json:"producer_id"`
}

// --- responses ---

type eligibilityResponse struct {
	MinStars          int      `json:"min_stars"`
	ProductGroups     []string `json:"product_groups"`
	ProducerProvinces []string `json:"producer_provinces"`
}

type eventLinks struct {
	Booths    string `json:"booths"`
	FloorPlan string `json:"floorplan"`
	Calendar  string `json:"calendar"`
}

type eventResponse struct {
	ID                   string              `json:"id"`
	Status               ocop.EventStatus    `json:"status"`
	OrganiserID          string              `json:"organiser_id"`
	Name                 string              `json:"name"`
	Description          string              `json:"description"`
	DescriptionEN        string              `json:"description_en,omitempty"`
	Venue                string              `json:"venue"`
	Address              string              `json:"address"`
	ProvinceCode         string              `json:"province_code"`
	CommuneCode          string              `json:"commune_code,omitempty"`
	TimeZone             string              `json:"time_zone"`
	StartsAt             string              `json:"starts_at"`
	EndsAt               string              `json:"ends_at"`
	BookingOpensAt       string              `json:"booking_opens_at"`
	BookingClosesAt      string              `json:"booking_closes_at"`
	Eligibility          eligibilityResponse `json:"eligibility"`
	MaxBoothsPerProducer int                 `json:"max_booths_per_producer"`
	SubsidisedQuota      int                 `json:"subsidised_quota"`
	SubsidisedPriceVND   int64               `json:"subsidised_price_vnd"`
	CreatedAt            string              `json:"created_at"`
	UpdatedAt            string              `json:"updated_at"`
	PublishedAt          string              `json:"published_at,omitempty"`
	CancelledAt          string              `json:"cancelled_at,omitempty"`
	Links                eventLinks          `json:"links"`
}

type exhibitorResponse struct {
	ProducerID  string `json:"producer_id"`
	Name        string `json:"name"`
	BoothCode   string `json:"booth_code"`
	Zone        string `json:"zone"`
	ListingsURL string `json:"listings_url"`
}

type eventPageResponse struct {
	eventResponse
	Exhibitors []exhibitorResponse `json:"exhibitors"`
}

// localRFC3339 renders an instant in the event's zone (same instant as UTC,
// but what people at the fair read on the wall clock).
func localRFC3339(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

func optLocal(t *time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return localRFC3339(*t, loc)
}

func toEventResponse(e *ocop.Event) eventResponse {
	loc := e.Location()
	base := "/api/v1/events/" + e.ID
	return eventResponse{
		ID: e.ID, Status: e.Status, OrganiserID: e.OrganiserID, Name: e.Name, Description: e.Description, DescriptionEN: e.DescriptionEN,
		Venue: e.Venue, Address: e.Address, ProvinceCode: e.ProvinceCode, CommuneCode: e.CommuneCode, TimeZone: e.TimeZone,
		StartsAt: localRFC3339(e.StartsAt, loc), EndsAt: localRFC3339(e.EndsAt, loc),
		BookingOpensAt: localRFC3339(e.BookingOpensAt, loc), BookingClosesAt: localRFC3339(e.BookingClosesAt, loc),
		Eligibility: eligibilityResponse{MinStars: e.Eligibility.MinStars, ProductGroups: nonNil(e.Eligibility.ProductGroups),
			ProducerProvinces: nonNil(e.Eligibility.ProducerProvinces)},
		MaxBoothsPerProducer: e.MaxBoothsPerProducer, SubsidisedQuota: e.SubsidisedQuota, SubsidisedPriceVND: e.SubsidisedPriceVND,
		CreatedAt: localRFC3339(e.CreatedAt, loc), UpdatedAt: localRFC3339(e.UpdatedAt, loc),
		PublishedAt: optLocal(e.PublishedAt, loc), CancelledAt: optLocal(e.CancelledAt, loc),
		Links: eventLinks{Booths: base + "/booths", FloorPlan: base + "/floorplan.svg", Calendar: base + "/calendar.ics"},
	}
}

type boothExhibitor struct {
	ProducerID string `json:"producer_id"`
	Name       string `json:"name"`
}

type boothResponse struct {
	ID        string             `json:"id"`
	EventID   string             `json:"event_id"`
	Code      string             `json:"code"`
	Zone      string             `json:"zone"`
	SizeM2    float64            `json:"size_m2"`
	PriceVND  int64              `json:"price_vnd"`
	X         float64            `json:"x"`
	Y         float64            `json:"y"`
	Width     float64            `json:"width"`
	Height    float64            `json:"height"`
	Features  []string           `json:"features"`
	Status    events.BoothStatus `json:"status,omitempty"`
	Exhibitor *boothExhibitor    `json:"exhibitor,omitempty"`
	BookingID string             `json:"booking_id,omitempty"`
}

func toBoothResponse(b *ocop.Booth) boothResponse {
	return boothResponse{ID: b.ID, EventID: b.EventID, Code: b.Code, Zone: b.Zone, SizeM2: b.SizeM2, PriceVND: b.PriceVND,
		X: b.X, Y: b.Y, Width: b.Width, Height: b.Height, Features: nonNil(b.Features)}
}

type bookingResponse struct {
	ID               string             `json:"id"`
	EventID          string             `json:"event_id"`
	BoothID          string             `json:"booth_id"`
	BoothCode        string             `json:"booth_code"`
	Zone             string             `json:"zone"`
	ProducerID       string             `json:"producer_id"`
	Status           ocop.BookingStatus `json:"status"`
	PriceVND         int64              `json:"price_vnd"`
	Subsidised       bool               `json:"subsidised"`
	CertificateStars int                `json:"certificate_stars"`
	Note             string             `json:"note,omitempty"`
	Reason           string             `json:"reason,omitempty"`
	HoldExpiresAt    *time.Time         `json:"hold_expires_at,omitempty"`
	CreatedAt        time.Time          `json:"created_at"`
	UpdatedAt        time.Time          `json:"updated_at"`
	ConfirmedAt      *time.Time         `json:"confirmed_at,omitempty"`
}

func toBookingResponse(b *ocop.Booking) bookingResponse {
	return bookingResponse{ID: b.ID, EventID: b.EventID, BoothID: b.BoothID, BoothCode: b.BoothCode, Zone: b.Zone, ProducerID: b.ProducerID,
		Status: b.Status, PriceVND: b.PriceVND, Subsidised: b.Subsidised, CertificateStars: b.Stars, Note: b.Note, Reason: b.Reason,
		HoldExpiresAt: b.HoldExpiresAt, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt, ConfirmedAt: b.ConfirmedAt}
}

type waitlistResponse struct {
	ID         string              `json:"id"`
	EventID    string              `json:"event_id"`
	Zone       string              `json:"zone"`
	ProducerID string              `json:"producer_id"`
	Status     ocop.WaitlistStatus `json:"status"`
	Position   int                 `json:"position,omitempty"`
	BookingID  string              `json:"booking_id,omitempty"`
	CreatedAt  time.Time           `json:"created_at"`
}

func toWaitlistResponse(w *ocop.WaitlistEntry, pos int) waitlistResponse {
	return waitlistResponse{ID: w.ID, EventID: w.EventID, Zone: w.Zone, ProducerID: w.ProducerID, Status: w.Status, Position: pos,
		BookingID: w.BookingID, CreatedAt: w.CreatedAt}
}

type listResponse[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// --- handlers ---

func (a *API) createEvent(c *gin.Context) {
	var req eventRequest
	if !bindJSON(c, &req) {
		return
	}
	e, err := a.Events.CreateEvent(c.Request.Context(), req.input())
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/events/"+e.ID)
	c.JSON(http.StatusCreated, toEventResponse(e))
}

func (a *API) updateEvent(c *gin.Context) {
	var req eventRequest
	if !bindJSON(c, &req) {
		return
	}
	e, err := a.Events.UpdateEvent(c.Request.Context(), c.Param("id"), req.input())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toEventResponse(e))
}

func (a *API) publishEvent(c *gin.Context) {
	e, err := a.Events.PublishEvent(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toEventResponse(e))
}

// optionalReason reads {"reason": "..."} when a body is sent.
func optionalReason(c *gin.Context) (string, bool) {
	var req reasonRequest
	if c.Request.ContentLength != 0 && !bindJSON(c, &req) {
		return "", false
	}
	if len([]rune(req.Reason)) > 1000 {
		fail(c, ocop.FieldInvalid("reason", "must be at most 1000 characters"))
		return "", false
	}
	return req.Reason, true
}

func (a *API) cancelEvent(c *gin.Context) {
	reason, ok := optionalReason(c)
	if !ok {
		return
	}
	e, err := a.Events.CancelEvent(c.Request.Context(), c.Param("id"), reason)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toEventResponse(e))
}

func (a *API) getEvent(c *gin.Context) {
	pg, err := a.Events.GetEvent(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	out := eventPageResponse{eventResponse: toEventResponse(pg.Event), Exhibitors: []exhibitorResponse{}}
	for _, x := range pg.Exhibitors {
		out.Exhibitors = append(out.Exhibitors, exhibitorResponse{ProducerID: x.ProducerID, Name: x.Name, BoothCode: x.BoothCode, Zone: x.Zone,
			ListingsURL: "/api/v1/producers/" + x.ProducerID + "/listings"})
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) listEvents(c *gin.Context) {
	limit, ok := queryInt(c, "limit")
	if !ok {
		return
	}
	list, next, err := a.Events.ListEvents(c.Request.Context(), events.ListInput{
		ProvinceCode: c.Query("province_code"), From: c.Query("from"), To: c.Query("to"), Q: c.Query("q"),
		Mine: c.Query("mine") == "true", Limit: limit, Cursor: c.Query("cursor"),
	})
	if err != nil {
		fail(c, err)
		return
	}
	out := listResponse[eventResponse]{Items: make([]eventResponse, 0, len(list)), NextCursor: next}
	for _, e := range list {
		out.Items = append(out.Items, toEventResponse(e))
	}
	c.JSON(http.StatusOK, out)
}

func queryInt(c *gin.Context, name string) (int, bool) {
	s := c.Query(name)
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		fail(c, ocop.FieldInvalid(name, "must be a positive whole number"))
		return 0, false
	}
	return n, true
}

func (a *API) importBooths(c *gin.Context) {
	var in []events.BoothInput
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt == "text/csv" {
		body, err := readAllLimited(c.Request)
		if err != nil {
			fail(c, err)
			return
		}
		if in, err = events.ParseBoothsCSV(bytes.NewReader(body)); err != nil {
			fail(c, err)
			return
		}
	} else {
		var req boothsRequest
		if !bindJSON(c, &req) {
			return
		}
		for i := range req.Booths {
			in = append(in, req.Booths[i].input())
		}
	}
	booths, err := a.Events.ImportBooths(c.Request.Context(), c.Param("id"), in)
	if err != nil {
		fail(c, err)
		return
	}
	out := listResponse[boothResponse]{Items: make([]boothResponse, 0, len(booths))}
	for _, b := range booths {
		r := toBoothResponse(b)
		r.Status = events.BoothFree
		out.Items = append(out.Items, r)
	}
	c.Header("Location", "/api/v1/events/"+c.Param("id")+"/booths")
	c.JSON(http.StatusCreated, out)
}

func (a *API) listBooths(c *gin.Context) {
	in := events.BoothsInput{EventID: c.Param("id"), Zone: c.Query("zone")}
	if s := c.Query("available"); s != "" {
		v, err := strconv.ParseBool(s)
		if err != nil {
			fail(c, ocop.FieldInvalid("available", "must be true or false"))
			return
		}
		in.Available = &v
	}
	_, views, err := a.Events.ListBooths(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	out := listResponse[boothResponse]{Items: make([]boothResponse, 0, len(views))}
	for _, v := range views {
		r := toBoothResponse(v.Booth)
		r.Status, r.BookingID = v.Status, v.BookingID
		if v.Status == events.BoothConfirmed {
			r.Exhibitor = &boothExhibitor{ProducerID: v.ProducerID, Name: v.Exhibitor}
		}
		out.Items = append(out.Items, r)
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) updateBooth(c *gin.Context) {
	var req boothRequest
	if !bindJSON(c, &req) {
		return
	}
	b, err := a.Events.UpdateBooth(c.Request.Context(), c.Param("id"), req.input())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toBoothResponse(b))
}

func (a *API) floorPlan(c *gin.Context) {
	var buf bytes.Buffer
	if _, err := a.Events.WriteFloorPlan(c.Request.Context(), c.Param("id"), &buf); err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "image/svg+xml; charset=utf-8", buf.Bytes())
}

func (a *API) calendar(c *gin.Context) {
	var buf bytes.Buffer
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	page := scheme + "://" + c.Request.Host + "/api/v1/events/" + c.Param("id")
	e, err := a.Events.WriteCalendar(c.Request.Context(), c.Param("id"), page, &buf)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="event-`+e.ID+`.ics"`)
	c.Data(http.StatusOK, "text/calendar; charset=utf-8", buf.Bytes())
}

func (a *API) book(c *gin.Context) {
	var req bookingRequest
	if !bindJSON(c, &req) {
		return
	}
	b, err := a.Events.Book(c.Request.Context(), events.BookInput{EventID: c.Param("id"), BoothID: req.BoothID, Zone: req.Zone,
		ProducerID: req.ProducerID, Subsidised: req.Subsidised, Note: req.Note})
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/bookings/"+b.ID)
	c.JSON(http.StatusCreated, toBookingResponse(b))
}

func bookingsInput(c *gin.Context) (events.BookingsInput, bool) {
	limit, ok := queryInt(c, "limit")
	return events.BookingsInput{EventID: c.Param("id"), Statuses: c.QueryArray("status"), Limit: limit, Cursor: c.Query("cursor")}, ok
}

// wantsCSV honours ?format=csv, or an Accept header preferring text/csv.
func wantsCSV(c *gin.Context) bool {
	if f := c.Query("format"); f != "" {
		return f == "csv"
	}
	return strings.Contains(c.GetHeader("Accept"), "text/csv")
}

func (a *API) eventBookings(c *gin.Context) {
	in, ok := bookingsInput(c)
	if !ok {
		return
	}
	if f := c.Query("format"); f != "" && f != "csv" && f != "json" {
		fail(c, ocop.FieldInvalid("format", "must be json or csv"))
		return
	}
	if wantsCSV(c) {
		var buf bytes.Buffer
		if err := a.Events.ExportBookingsCSV(c.Request.Context(), in, &buf); err != nil {
			fail(c, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="bookings-`+c.Param("id")+`.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
		return
	}
	_, list, next, err := a.Events.EventBookings(c.Request.Context(), in)
	writeBookings(c, list, next, err)
}

func writeBookings(c *gin.Context, list []*ocop.Booking, next string, err error) {
	if err != nil {
		fail(c, err)
		return
	}
	out := listResponse[bookingResponse]{Items: make([]bookingResponse, 0, len(list)), NextCursor: next}
	for _, b := range list {
		out.Items = append(out.Items, toBookingResponse(b))
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) myBookings(c *gin.Context) {
	in, ok := bookingsInput(c)
	if !ok {
		return
	}
	list, next, err := a.Events.MyBookings(c.Request.Context(), in)
	writeBookings(c, list, next, err)
}

func (a *API) getBooking(c *gin.Context) {
	b, err := a.Events.GetBooking(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toBookingResponse(b))
}

func (a *API) bookingAction(fn func(c *gin.Context, id, reason string) (*ocop.Booking, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		reason, ok := optionalReason(c)
		if !ok {
			return
		}
		b, err := fn(c, c.Param("id"), reason)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, toBookingResponse(b))
	}
}

func (a *API) joinWaitlist(c *gin.Context) {
	var req waitlistRequest
	if !bindJSON(c, &req) {
		return
	}
	w, pos, err := a.Events.JoinWaitlist(c.Request.Context(), c.Param("id"), req.Zone, req.ProducerID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toWaitlistResponse(w, pos))
}

func (a *API) listWaitlist(c *gin.Context) {
	list, err := a.Events.ListWaitlist(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	out := listResponse[waitlistResponse]{Items: make([]waitlistResponse, 0, len(list))}
	for _, w := range list {
		out.Items = append(out.Items, toWaitlistResponse(w, 0))
	}
	c.JSON(http.StatusOK, out)
}
