package httpapi

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/meetings"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func (a *API) routesMeetings(v1 *gin.RouterGroup) {
	if a.Meetings == nil {
		return
	}
	organiser := a.requireRole(ocop.RoleOrganiser, ocop.RoleAdmin)
	v1.PUT("/events/:id/meeting-programme", a.requireAuth, organiser, a.setProgramme)
	v1.GET("/events/:id/meeting-programme", a.optionalAuth, a.getProgramme)
	v1.POST("/events/:id/registrations", a.requireAuth, a.requireRole(ocop.RoleBuyer), a.registerBuyer)
	v1.POST("/events/:id/registrations/verify", a.requireAuth, organiser, a.verifyRegistration)
	v1.GET("/registrations/:id", a.requireAuth, a.getRegistration)
	v1.GET("/registrations/:id/qr.png", a.requireAuth, a.registrationQR)
	v1.GET("/meeting-registrations/public-key", a.registrationKey)
	v1.GET("/events/:id/exhibitors", a.optionalAuth, a.listExhibitors)
	v1.GET("/events/:id/exhibitors/:producer_id/settings", a.requireAuth, a.getExhibitorSettings)
	v1.PUT("/events/:id/exhibitors/:producer_id/settings", a.requireAuth, a.setExhibitorSettings)
	v1.POST("/events/:id/meetings", a.requireAuth, a.requireRole(ocop.RoleBuyer), a.idempotent, a.requestMeeting)
	v1.GET("/meetings/:id", a.requireAuth, a.getMeeting)
	v1.POST("/meetings/:id/accept", a.requireAuth, a.meetingAction(func(c *gin.Context, id, _ string) (*ocop.Meeting, error) {
		return a.Meetings.Accept(c.Request.Context(), id)
	}))
	v1.POST("/meetings/:id/decline", a.requireAuth, a.meetingAction(func(c *gin.Context, id, reason string) (*ocop.Meeting, error) {
		return a.Meetings.Decline(c.Request.Context(), id, reason)
	}))
	v1.POST("/meetings/:id/cancel", a.requireAuth, a.meetingAction(func(c *gin.Context, id, reason string) (*ocop.Meeting, error) {
		return a.Meetings.Cancel(c.Request.Context(), id, reason)
	}))
	v1.POST("/meetings/:id/held", a.requireAuth, a.meetingAction(func(c *gin.Context, id, _ string) (*ocop.Meeting, error) {
		return a.Meetings.MarkOutcome(c.Request.Context(), id, ocop.MeetingHeld)
	}))
	v1.POST("/meetings/:id/no-show", a.requireAuth, a.meetingAction(func(c *gin.Context, id, _ string) (*ocop.Meeting, error) {
		return a.Meetings.MarkOutcome(c.Request.Context(), id, ocop.MeetingNoShow)
	}))
	v1.POST("/meetings/:id/inquiry", a.requireAuth, a.idempotent, a.meetingInquiry)
	v1.GET("/me/agenda", a.requireAuth, a.agenda)
	v1.GET("/me/agenda.ics", a.requireAuth, a.agendaICS)
	v1.GET("/events/:id/suggestions", a.requireAuth, a.suggestions)
	v1.GET("/events/:id/funnel", a.requireAuth, organiser, a.funnel)
	v1.GET("/events/:id/funnel.svg", a.requireAuth, organiser, a.funnelSVG)
}

// --- requests ---

type programmeRequest struct {
	Days               []string `json:"days"`
	DayStart           string   `json:"day_start"`
	DayEnd             string   `json:"day_end"`
	SlotMinutes        int      `json:"slot_minutes"`
	Tables             int      `json:"tables"`
	RequestExpiryHours int      `json:"request_expiry_hours"`
	DailyCap           int      `json:"daily_cap"`
	Mode               string   `json:"mode"`
}

type registrationRequest struct {
	Company           string   `json:"company"`
	Interests         []string `json:"interests"`
	SourcingProvinces []string `json:"sourcing_provinces"`
}

type codeRequest struct {
	Code string `json:"code"`
}

type exhibitorSettingsRequest struct {
	Approval string   `json:"approval"`
	Away     []string `json:"away"`
}

type meetingRequest struct {
	ProducerID string   `json:"producer_id"`
	SlotStart  string   `json:"slot_start"`
	ListingIDs []string `json:"listing_ids"`
	Note       string   `json:"note"`
}

type meetingInquiryRequest struct {
	ListingID            string `json:"listing_id"`
	Quantity             int64  `json:"quantity"`
	Unit                 string `json:"unit"`
	DeliveryProvinceCode string `json:"delivery_province_code"`
	NeededBy             string `json:"needed_by"`
	Message              string `json:"message"`
}

// --- responses ---

type slotResponse struct {
	Start      string `json:"start"`
	End        string `json:"end"`
	Day        string `json:"day"`
	TablesFree int    `json:"tables_free"`
}

type programmeResponse struct {
	EventID            string         `json:"event_id"`
	TimeZone           string         `json:"time_zone"`
	Days               []string       `json:"days"`
	DayStart           string         `json:"day_start"`
	DayEnd             string         `json:"day_end"`
	SlotMinutes        int            `json:"slot_minutes"`
	Tables             int            `json:"tables"`
	RequestExpiryHours int            `json:"request_expiry_hours"`
	DailyCap           int            `json:"daily_cap"`
	Mode               string         `json:"mode"`
	Slots              []slotResponse `json:"slots"`
}

type registrationResponse struct {
	ID                string    `json:"id"`
	EventID           string    `json:"event_id"`
	BuyerID           string    `json:"buyer_id"`
	Company           string    `json:"company"`
	Interests         []string  `json:"interests"`
	SourcingProvinces []string  `json:"sourcing_provinces"`
	Code              string    `json:"code"`
	QRURL             string    `json:"qr_url"`
	CreatedAt         time.Time `json:"created_at"`
}

func toRegistrationResponse(g *meetings.Registration) registrationResponse {
	return registrationResponse{ID: g.ID, EventID: g.EventID, BuyerID: g.BuyerID, Company: g.Company, Interests: nonNil(g.Interests),
		SourcingProvinces: nonNil(g.SourcingProvinces), Code: g.Code, QRURL: "/api/v1/registrations/" + g.ID + "/qr.png", CreatedAt: g.CreatedAt}
}

type listingBriefResponse struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	ProductGroup string `json:"product_group"`
	ProductSet   string `json:"product_set"`
}

func toListingBriefs(ls []ocop.ListingBrief) []listingBriefResponse {
	out := make([]listingBriefResponse, 0, len(ls))
	for _, l := range ls {
		out = append(out, listingBriefResponse{ID: l.ID, Title: l.Title, ProductGroup: l.ProductGroup, ProductSet: l.ProductSet})
	}
	return out
}

type meetingExhibitorResponse struct {
	ProducerID   string                 `json:"producer_id"`
	Name         string                 `json:"name"`
	ProvinceCode string                 `json:"province_code"`
	BoothCode    string                 `json:"booth_code"`
	Zone         string                 `json:"zone"`
	Listings     []listingBriefResponse `json:"listings"`
}

type exhibitorSettingsResponse struct {
	EventID    string      `json:"event_id"`
	ProducerID string      `json:"producer_id"`
	Approval   string      `json:"approval"`
	Mode       string      `json:"mode"`
	Away       []time.Time `json:"away"`
}

type meetingResponse struct {
	ID             string             `json:"id"`
	EventID        string             `json:"event_id"`
	RegistrationID string             `json:"registration_id"`
	BuyerID        string             `json:"buyer_id"`
	ProducerID     string             `json:"producer_id"`
	SlotStart      time.Time          `json:"slot_start"`
	SlotEnd        time.Time          `json:"slot_end"`
	Day            string             `json:"day"`
	Status         ocop.MeetingStatus `json:"status"`
	Table          int                `json:"table,omitempty"`
	ListingIDs     []string           `json:"listing_ids"`
	Note           string             `json:"note,omitempty"`
	Reason         string             `json:"reason,omitempty"`
	ExpiresAt      *time.Time         `json:"expires_at,omitempty"`
	InquiryID      string             `json:"inquiry_id,omitempty"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
	AcceptedAt     *time.Time         `json:"accepted_at,omitempty"`
}

func toMeetingResponse(m *ocop.Meeting) meetingResponse {
	return meetingResponse{ID: m.ID, EventID: m.EventID, RegistrationID: m.RegistrationID, BuyerID: m.BuyerID, ProducerID: m.ProducerID,
		SlotStart: m.SlotStart, SlotEnd: m.SlotEnd, Day: m.Day, Status: m.Status, Table: m.Table, ListingIDs: nonNil(m.ListingIDs),
		Note: m.Note, Reason: m.Reason, ExpiresAt: m.ExpiresAt, InquiryID: m.InquiryID, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		AcceptedAt: m.AcceptedAt}
}

type agendaItemResponse struct {
	meetingResponse
	Role         string `json:"role"`
	EventName    string `json:"event_name"`
	ProducerName string `json:"producer_name"`
	BuyerCompany string `json:"buyer_company"`
}

type suggestionResponse struct {
	ProducerID     string                 `json:"producer_id,omitempty"`
	BuyerID        string                 `json:"buyer_id,omitempty"`
	RegistrationID string                 `json:"registration_id,omitempty"`
	Name           string                 `json:"name"`
	ProvinceCode   string                 `json:"province_code,omitempty"`
	Score          int                    `json:"score"`
	Reasons        []string               `json:"reasons"`
	Listings       []listingBriefResponse `json:"listings"`
}

type funnelCountsResponse struct {
	Registrations int `json:"registrations"`
	Requests      int `json:"requests"`
	Accepted      int `json:"accepted"`
	Held          int `json:"held"`
	Inquiries     int `json:"inquiries"`
	Quotes        int `json:"quotes"`
	Won           int `json:"won"`
}

func toFunnelCounts(c meetings.FunnelCounts) funnelCountsResponse {
	return funnelCountsResponse{Registrations: c[0], Requests: c[1], Accepted: c[2], Held: c[3], Inquiries: c[4], Quotes: c[5], Won: c[6]}
}

type funnelRowResponse struct {
	Key    string               `json:"key"`
	Label  string               `json:"label"`
	Counts funnelCountsResponse `json:"counts"`
}

type funnelResponse struct {
	EventID      string               `json:"event_id"`
	Group        string               `json:"group,omitempty"`
	ProvinceCode string               `json:"province_code,omitempty"`
	Counts       funnelCountsResponse `json:"counts"`
	ByGroup      []funnelRowResponse  `json:"by_group"`
	ByProvince   []funnelRowResponse  `json:"by_province"`
	ChartURL     string               `json:"chart_url"`
}

// --- handlers ---

func (a *API) setProgramme(c *gin.Context) {
	var req programmeRequest
	if !bindJSON(c, &req) {
		return
	}
	_, err := a.Meetings.SetProgramme(c.Request.Context(), c.Param("id"), meetings.ProgrammeInput{Days: req.Days, DayStart: req.DayStart,
		DayEnd: req.DayEnd, SlotMinutes: req.SlotMinutes, Tables: req.Tables, RequestExpiryHours: req.RequestExpiryHours,
		DailyCap: req.DailyCap, Mode: req.Mode})
	if err != nil {
		fail(c, err)
		return
	}
	a.getProgramme(c)
}

func (a *API) getProgramme(c *gin.Context) {
	v, err := a.Meetings.Programme(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	p, loc := v.Programme, v.Event.Location()
	out := programmeResponse{EventID: p.EventID, TimeZone: v.Event.TimeZone, Days: nonNil(p.Days), DayStart: p.DayStart, DayEnd: p.DayEnd,
		SlotMinutes: p.SlotMinutes, Tables: p.Tables, RequestExpiryHours: p.RequestExpiryHours, DailyCap: p.DailyCap, Mode: string(p.Mode),
		Slots: make([]slotResponse, 0, len(v.Slots))}
	for _, s := range v.Slots {
		out.Slots = append(out.Slots, slotResponse{Start: localRFC3339(s.Start, loc), End: localRFC3339(s.End, loc), Day: s.Day, TablesFree: s.TablesFree})
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) registerBuyer(c *gin.Context) {
	var req registrationRequest
	if !bindJSON(c, &req) {
		return
	}
	g, err := a.Meetings.Register(c.Request.Context(), c.Param("id"), meetings.RegisterInput{Company: req.Company,
		Interests: req.Interests, SourcingProvinces: req.SourcingProvinces})
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/registrations/"+g.ID)
	c.JSON(http.StatusCreated, toRegistrationResponse(g))
}

func (a *API) verifyRegistration(c *gin.Context) {
	var req codeRequest
	if !bindJSON(c, &req) {
		return
	}
	g, err := a.Meetings.VerifyCode(c.Request.Context(), c.Param("id"), req.Code)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"valid": true, "registration": toRegistrationResponse(g)})
}

func (a *API) getRegistration(c *gin.Context) {
	g, err := a.Meetings.GetRegistration(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toRegistrationResponse(g))
}

func (a *API) registrationQR(c *gin.Context) {
	g, err := a.Meetings.GetRegistration(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	png, err := meetings.QRCode(g.Code, 512)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=3600")
	c.Data(http.StatusOK, "image/png", png)
}

func (a *API) registrationKey(c *gin.Context) {
	pub := a.Meetings.PublicKey()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=3600")
	c.JSON(http.StatusOK, gin.H{
		"algorithm":      "Ed25519",
		"public_key":     base64.StdEncoding.EncodeToString(pub),
		"public_key_pem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		"code_format":    "OCM1.<base64url(registration_id|event_id|buyer_id)>.<base64url(Ed25519 signature of the text before the last dot)>",
	})
}

func (a *API) listExhibitors(c *gin.Context) {
	xs, err := a.Meetings.Exhibitors(c.Request.Context(), meetings.ExhibitorsInput{EventID: c.Param("id"), Group: c.Query("group"),
		ProvinceCode: c.Query("province_code")})
	if err != nil {
		fail(c, err)
		return
	}
	out := listResponse[meetingExhibitorResponse]{Items: make([]meetingExhibitorResponse, 0, len(xs))}
	for _, x := range xs {
		out.Items = append(out.Items, meetingExhibitorResponse{ProducerID: x.ProducerID, Name: x.Name, ProvinceCode: x.ProvinceCode,
			BoothCode: x.BoothCode, Zone: x.Zone, Listings: toListingBriefs(x.Listings)})
	}
	c.JSON(http.StatusOK, out)
}

func writeExhibitorSettings(c *gin.Context, st *meetings.ExhibitorSettings, err error) {
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, exhibitorSettingsResponse{EventID: st.EventID, ProducerID: st.ProducerID, Approval: st.Approval,
		Mode: string(st.Mode), Away: nonNil(st.Away)})
}

func (a *API) getExhibitorSettings(c *gin.Context) {
	st, err := a.Meetings.GetExhibitorSettings(c.Request.Context(), c.Param("id"), c.Param("producer_id"))
	writeExhibitorSettings(c, st, err)
}

func (a *API) setExhibitorSettings(c *gin.Context) {
	var req exhibitorSettingsRequest
	if !bindJSON(c, &req) {
		return
	}
	st, err := a.Meetings.SetExhibitorSettings(c.Request.Context(), c.Param("id"), c.Param("producer_id"), req.Approval, req.Away)
	writeExhibitorSettings(c, st, err)
}

func (a *API) requestMeeting(c *gin.Context) {
	var req meetingRequest
	if !bindJSON(c, &req) {
		return
	}
	m, err := a.Meetings.Request(c.Request.Context(), meetings.RequestInput{EventID: c.Param("id"), ProducerID: req.ProducerID,
		SlotStart: req.SlotStart, ListingIDs: req.ListingIDs, Note: req.Note})
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/meetings/"+m.ID)
	c.JSON(http.StatusCreated, toMeetingResponse(m))
}

func (a *API) getMeeting(c *gin.Context) {
	m, err := a.Meetings.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toMeetingResponse(m))
}

func (a *API) meetingAction(fn func(c *gin.Context, id, reason string) (*ocop.Meeting, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		reason, ok := optionalReason(c)
		if !ok {
			return
		}
		m, err := fn(c, c.Param("id"), reason)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, toMeetingResponse(m))
	}
}

func (a *API) meetingInquiry(c *gin.Context) {
	var req meetingInquiryRequest
	if !bindJSON(c, &req) {
		return
	}
	m, err := a.Meetings.OpenInquiry(c.Request.Context(), c.Param("id"), meetings.InquiryInput{ListingID: req.ListingID, Quantity: req.Quantity,
		Unit: req.Unit, DeliveryProvinceCode: req.DeliveryProvinceCode, NeededBy: req.NeededBy, Message: req.Message})
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/inquiries/"+m.InquiryID)
	c.JSON(http.StatusCreated, toMeetingResponse(m))
}

func agendaInput(c *gin.Context) (meetings.AgendaInput, bool) {
	in := meetings.AgendaInput{EventID: c.Query("event_id")}
	if s := c.Query("all"); s != "" {
		v, err := strconv.ParseBool(s)
		if err != nil {
			fail(c, ocop.FieldInvalid("all", "must be true or false"))
			return in, false
		}
		in.All = v
	}
	return in, true
}

func (a *API) agenda(c *gin.Context) {
	in, ok := agendaInput(c)
	if !ok {
		return
	}
	items, err := a.Meetings.Agenda(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	out := listResponse[agendaItemResponse]{Items: make([]agendaItemResponse, 0, len(items))}
	for _, it := range items {
		out.Items = append(out.Items, agendaItemResponse{meetingResponse: toMeetingResponse(it.Meeting), Role: it.Role, EventName: it.EventName,
			ProducerName: it.ProducerName, BuyerCompany: it.BuyerCompany})
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) agendaICS(c *gin.Context) {
	in, ok := agendaInput(c)
	if !ok {
		return
	}
	items, err := a.Meetings.Agenda(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := meetings.WriteAgendaICS(items, time.Now().UTC(), &buf); err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="agenda.ics"`)
	c.Data(http.StatusOK, "text/calendar; charset=utf-8", buf.Bytes())
}

func (a *API) suggestions(c *gin.Context) {
	limit, ok := queryInt(c, "limit")
	if !ok {
		return
	}
	list, err := a.Meetings.Suggestions(c.Request.Context(), meetings.SuggestInput{EventID: c.Param("id"), As: c.Query("as"),
		ProducerID: c.Query("producer_id"), Limit: limit})
	if err != nil {
		fail(c, err)
		return
	}
	out := listResponse[suggestionResponse]{Items: make([]suggestionResponse, 0, len(list))}
	for _, s := range list {
		out.Items = append(out.Items, suggestionResponse{ProducerID: s.ProducerID, BuyerID: s.BuyerID, RegistrationID: s.RegistrationID,
			Name: s.Name, ProvinceCode: s.ProvinceCode, Score: s.Score, Reasons: nonNil(s.Reasons), Listings: toListingBriefs(s.Matched)})
	}
	c.JSON(http.StatusOK, out)
}

func (a *API) funnelOf(c *gin.Context) (*meetings.Funnel, bool) {
	f, err := a.Meetings.Funnel(c.Request.Context(), meetings.FunnelInput{EventID: c.Param("id"), Group: c.Query("group"), ProvinceCode: c.Query("province_code")})
	if err != nil {
		fail(c, err)
		return nil, false
	}
	return f, true
}

func (a *API) funnel(c *gin.Context) {
	f, ok := a.funnelOf(c)
	if !ok {
		return
	}
	rows := func(in []meetings.FunnelRow) []funnelRowResponse {
		out := make([]funnelRowResponse, 0, len(in))
		for _, r := range in {
			out = append(out, funnelRowResponse{Key: r.Key, Label: r.Label, Counts: toFunnelCounts(r.Counts)})
		}
		return out
	}
	chart := "/api/v1/events/" + f.Event.ID + "/funnel.svg"
	if c.Request.URL.RawQuery != "" {
		chart += "?" + c.Request.URL.RawQuery
	}
	c.JSON(http.StatusOK, funnelResponse{EventID: f.Event.ID, Group: f.Group, ProvinceCode: f.ProvinceCode, Counts: toFunnelCounts(f.Counts),
		ByGroup: rows(f.ByGroup), ByProvince: rows(f.ByProvince), ChartURL: chart})
}

func (a *API) funnelSVG(c *gin.Context) {
	f, ok := a.funnelOf(c)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := meetings.WriteFunnelSVG(f, &buf); err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "image/svg+xml; charset=utf-8", buf.Bytes())
}
