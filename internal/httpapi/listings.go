package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func (a *API) routesListings(v1 *gin.RouterGroup) {
	if a.Listings == nil {
		return
	}
	v1.POST("/listings", a.requireAuth, a.requireRole(ocop.RoleProducer), a.createListing)
	v1.GET("/listings/:id", a.optionalAuth, a.getListing)
	v1.PATCH("/listings/:id", a.requireAuth, a.updateListing)
	v1.DELETE("/listings/:id", a.requireAuth, a.archiveListing)
	v1.POST("/listings/:id/publish", a.requireAuth, a.publishListing)
	v1.POST("/listings/:id/unpublish", a.requireAuth, a.unpublishListing)
	v1.GET("/producers/:id/listings", a.optionalAuth, a.producerListings)
	a.bodyLimits["/api/v1/listings/:id/images"] = a.uploadBodyLimit()
	v1.POST("/listings/:id/images", a.requireAuth, a.addListingImage)
	v1.DELETE("/listings/:id/images/:image_id", a.requireAuth, a.deleteListingImage)
	v1.PUT("/listings/:id/images/order", a.requireAuth, a.reorderListingImages)
}

// listingFields is every editable field of a listing, as JSON. Optional
// values are pointers so that a PATCH can clear them with null.
type listingFields struct {
	TitleVI         string   `json:"title_vi"`
	TitleEN         *string  `json:"title_en"`
	DescriptionVI   string   `json:"description_vi"`
	DescriptionEN   *string  `json:"description_en"`
	ProductGroup    string   `json:"product_group"`
	ProductSet      string   `json:"product_set"`
	CertificateID   *string  `json:"certificate_id"`
	Unit            string   `json:"unit"`
	PriceMinVND     *int64   `json:"price_min_vnd"`
	PriceMaxVND     *int64   `json:"price_max_vnd"`
	MinOrderQty     int64    `json:"min_order_qty"`
	MonthlyCapacity *int64   `json:"monthly_capacity"`
	LeadTimeDays    *int     `json:"lead_time_days"`
	ShelfLifeDays   *int     `json:"shelf_life_days"`
	Packaging       *string  `json:"packaging"`
	Tags            []string `json:"tags"`
	HarvestMonths   []int    `json:"harvest_months"`
	SampleAvailable bool     `json:"sample_available"`
	ExportMarkets   []string `json:"export_markets"`
	Certifications  []string `json:"certifications"`
}

// nonNullable are the fields a PATCH may change but not clear.
var nonNullable = []string{"title_vi", "description_vi", "product_group", "product_set", "unit", "min_order_qty",
	"tags", "harvest_months", "sample_available", "export_markets", "certifications"}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (f *listingFields) input(producerID string) listings.Input {
	return listings.Input{
		ProducerID: producerID, TitleVI: f.TitleVI, TitleEN: str(f.TitleEN), DescriptionVI: f.DescriptionVI,
		DescriptionEN: str(f.DescriptionEN), ProductGroup: f.ProductGroup, ProductSet: f.ProductSet,
		CertificateID: str(f.CertificateID), Unit: f.Unit, PriceMinVND: f.PriceMinVND, PriceMaxVND: f.PriceMaxVND,
		MinOrderQty: f.MinOrderQty, MonthlyCapacity: f.MonthlyCapacity, LeadTimeDays: f.LeadTimeDays,
		ShelfLifeDays: f.ShelfLifeDays, Packaging: str(f.Packaging), Tags: f.Tags, HarvestMonths: f.HarvestMonths,
		SampleAvailable: f.SampleAvailable, ExportMarkets: f.ExportMarkets, Certifications: f.Certifications,
	}
}

func fieldsOf(in listings.Input) listingFields {
	return listingFields{
		TitleVI: in.TitleVI, TitleEN: &in.TitleEN, DescriptionVI: in.DescriptionVI, DescriptionEN: &in.DescriptionEN,
		ProductGroup: in.ProductGroup, ProductSet: in.ProductSet, CertificateID: &in.CertificateID, Unit: in.Unit,
		PriceMinVND: in.PriceMinVND, PriceMaxVND: in.PriceMaxVND, MinOrderQty: in.MinOrderQty,
		MonthlyCapacity: in.MonthlyCapacity, LeadTimeDays: in.LeadTimeDays, ShelfLifeDays: in.ShelfLifeDays,
		Packaging: &in.Packaging, Tags: in.Tags, HarvestMonths: in.HarvestMonths, SampleAvailable: in.SampleAvailable,
		ExportMarkets: in.ExportMarkets, Certifications: in.Certifications,
	}
}

type createListingRequest struct {
	ProducerID string `json:"producer_id"`
	listingFields
}

type imageResponse struct {
	ID              string    `json:"id"`
	Position        int       `json:"position"`
	Width           int       `json:"width"`
	Height          int       `json:"height"`
	URL             string    `json:"url"`
	ContentType     string    `json:"content_type"`
	ThumbnailURL    string    `json:"thumbnail_url"`
	ThumbnailWidth  int       `json:"thumbnail_width"`
	ThumbnailHeight int       `json:"thumbnail_height"`
	CreatedAt       time.Time `json:"created_at"`
}

type listingResponse struct {
	ID              string          `json:"id"`
	ProducerID      string          `json:"producer_id"`
	Status          string          `json:"status"`
	TitleVI         string          `json:"title_vi"`
	TitleEN         string          `json:"title_en"`
	DescriptionVI   string          `json:"description_vi"`
	DescriptionEN   string          `json:"description_en"`
	ProductGroup    string          `json:"product_group"`
	ProductSet      string          `json:"product_set"`
	CertificateID   *string         `json:"certificate_id"`
	Stars           *int            `json:"stars"`
	Unit            string          `json:"unit"`
	PriceMinVND     *int64          `json:"price_min_vnd"`
	PriceMaxVND     *int64          `json:"price_max_vnd"`
	MinOrderQty     int64           `json:"min_order_qty"`
	MonthlyCapacity *int64          `json:"monthly_capacity"`
	LeadTimeDays    *int            `json:"lead_time_days"`
	ShelfLifeDays   *int            `json:"shelf_life_days"`
	Packaging       string          `json:"packaging"`
	Tags            []string        `json:"tags"`
	HarvestMonths   []int           `json:"harvest_months"`
	SampleAvailable bool            `json:"sample_available"`
	ExportMarkets   []string        `json:"export_markets"`
	Certifications  []string        `json:"certifications"`
	Images          []imageResponse `json:"images"`
	Version         int64           `json:"version"`
	PublishedAt     *time.Time      `json:"published_at"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

func (a *API) toImageResponse(im *ocop.ListingImage) imageResponse {
	return imageResponse{
		ID: im.ID, Position: im.Position, Width: im.Width, Height: im.Height,
		URL: a.Listings.PublicPath(im.Display.Key), ContentType: im.Display.ContentType,
		ThumbnailURL: a.Listings.PublicPath(im.Thumb.Key), ThumbnailWidth: im.Thumb.Width, ThumbnailHeight: im.Thumb.Height,
		CreatedAt: im.CreatedAt,
	}
}

func (a *API) toListingResponse(v *listings.View) listingResponse {
	l := v.Listing
	r := listingResponse{
		ID: l.ID, ProducerID: l.ProducerID, Status: string(l.Status), TitleVI: l.TitleVI, TitleEN: l.TitleEN,
		DescriptionVI: l.DescriptionVI, DescriptionEN: l.DescriptionEN, ProductGroup: l.ProductGroup, ProductSet: l.ProductSet,
		Unit: l.Unit, PriceMinVND: l.PriceMinVND, PriceMaxVND: l.PriceMaxVND, MinOrderQty: l.MinOrderQty,
		MonthlyCapacity: l.MonthlyCapacity, LeadTimeDays: l.LeadTimeDays, ShelfLifeDays: l.ShelfLifeDays,
		Packaging: l.Packaging, Tags: nonNil(l.Tags), HarvestMonths: nonNil(l.HarvestMonths), SampleAvailable: l.SampleAvailable,
		ExportMarkets: nonNil(l.ExportMarkets), Certifications: nonNil(l.Certifications), Images: make([]imageResponse, len(l.Images)),
		Version: l.Version, PublishedAt: l.PublishedAt, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
	}
	if l.CertificateID != "" {
		r.CertificateID = &l.CertificateID
	}
	if v.Stars > 0 {
		stars := v.Stars
		r.Stars = &stars
	}
	for i := range l.Images {
		r.Images[i] = a.toImageResponse(&l.Images[i])
	}
	return r
}

func (a *API) writeListing(c *gin.Context, status int, v *listings.View) {
	c.Header("ETag", listings.ETag(v.Version))
	if v.Status != ocop.ListingPublished || v.Owner {
		// Drafts and owner views must not sit in shared caches.
		c.Header("Cache-Control", "private, no-cache")
	}
	c.JSON(status, a.toListingResponse(v))
}

// ifMatch reads the optional If-Match header: (nil, nil) when absent or
// "*"; a value that is not one of our ETags can never match (412).
func ifMatch(c *gin.Context) (*int64, bool, error) {
	h := c.GetHeader("If-Match")
	if h == "" {
		return nil, false, nil
	}
	v, ok := listings.ParseETag(h)
	if !ok {
		return nil, true, ocop.Errorf(ocop.CodePreconditionFailed, "If-Match must be the ETag of the listing as returned by the API, e.g. \"3\"")
	}
	return v, true, nil
}

func (a *API) createListing(c *gin.Context) {
	req := createListingRequest{listingFields: listingFields{MinOrderQty: 1}}
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.Listings.Create(c.Request.Context(), req.input(strings.TrimSpace(req.ProducerID)))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/listings/"+v.ID)
	a.writeListing(c, http.StatusCreated, v)
}

func (a *API) getListing(c *gin.Context) {
	v, err := a.Listings.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	a.writeListing(c, http.StatusOK, v)
}

// updateListing applies a JSON merge patch (RFC 7396) to the listing: the
// fields sent replace the current ones, null clears an optional one. The
// If-Match header is required so that an edit based on an old copy fails
// with 412 instead of undoing someone else's change.
func (a *API) updateListing(c *gin.Context) {
	expected, present, err := ifMatch(c)
	if !present {
		fail(c, ocop.Errorf(ocop.CodePreconditionNeeded, "send If-Match with the listing's ETag (from GET /listings/{id}) so that concurrent edits cannot overwrite each other"))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	cur, err := a.Listings.Get(ctx, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	raw, err := readAllLimited(c.Request)
	if err != nil {
		fail(c, err)
		return
	}
	f := fieldsOf(listings.InputOf(cur.Listing))
	if err := decodeJSON(c.Request, &f); err != nil {
		fail(c, err)
		return
	}
	var sent map[string]json.RawMessage
	if err := json.Unmarshal(raw, &sent); err != nil {
		fail(c, ocop.Errorf(ocop.CodeMalformedJSON, "the body must be a JSON object"))
		return
	}
	var v ocop.Validation
	for _, k := range nonNullable {
		if b, ok := sent[k]; ok && string(b) == "null" {
			v.Add(k, "cannot be cleared (null); send a value")
		}
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	out, err := a.Listings.Update(ctx, cur.ID, expected, f.input(cur.ProducerID))
	if err != nil {
		fail(c, err)
		return
	}
	a.writeListing(c, http.StatusOK, out)
}

func (a *API) archiveListing(c *gin.Context) {
	expected, _, err := ifMatch(c)
	if err != nil {
		fail(c, err)
		return
	}
	if err := a.Listings.Archive(c.Request.Context(), c.Param("id"), expected); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) publishListing(c *gin.Context) {
	a.transitionListing(c, a.Listings.Publish)
}

func (a *API) unpublishListing(c *gin.Context) {
	a.transitionListing(c, a.Listings.Unpublish)
}

func (a *API) transitionListing(c *gin.Context, do func(ctx context.Context, id string, ifMatch *int64) (*listings.View, error)) {
	expected, _, err := ifMatch(c)
	if err != nil {
		fail(c, err)
		return
	}
	v, err := do(c.Request.Context(), c.Param("id"), expected)
	if err != nil {
		fail(c, err)
		return
	}
	a.writeListing(c, http.StatusOK, v)
}

func (a *API) producerListings(c *gin.Context) {
	var statuses []ocop.ListingStatus
	for _, s := range c.QueryArray("status") {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				statuses = append(statuses, ocop.ListingStatus(part))
			}
		}
	}
	limit := 0
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			fail(c, ocop.FieldInvalid("limit", "must be between 1 and 100"))
			return
		}
		limit = n
	}
	page, err := a.Listings.ByProducer(c.Request.Context(), c.Param("id"), statuses, c.Query("cursor"), limit)
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]listingResponse, len(page.Items))
	owner := false
	for i := range page.Items {
		items[i] = a.toListingResponse(&page.Items[i])
		owner = owner || page.Items[i].Owner
	}
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	if owner {
		c.Header("Cache-Control", "private, no-cache")
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next})
}

// addListingImage streams the photo of the multipart field "file" into the
// listings use case, which checks the listing before the image pipeline
// reads a byte: the body is never buffered whole, and the pipeline cuts it
// off with 413 as soon as it passes the cap.
func (a *API) addListingImage(c *gin.Context) {
	expected, _, err := ifMatch(c)
	if err != nil {
		fail(c, err)
		return
	}
	part, err := imagePart(c.Request)
	if err != nil {
		fail(c, err)
		return
	}
	defer part.Close()
	im, l, err := a.Listings.AddImage(c.Request.Context(), c.Param("id"), expected, part)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("ETag", listings.ETag(l.Version))
	c.Header("Location", "/api/v1/listings/"+l.ID)
	c.JSON(http.StatusCreated, a.toImageResponse(im))
}

func (a *API) deleteListingImage(c *gin.Context) {
	expected, _, err := ifMatch(c)
	if err != nil {
		fail(c, err)
		return
	}
	l, err := a.Listings.DeleteImage(c.Request.Context(), c.Param("id"), c.Param("image_id"), expected)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("ETag", listings.ETag(l.Version))
	c.Status(http.StatusNoContent)
}

type reorderRequest struct {
	ImageIDs []string `json:"image_ids"`
}

func (a *API) reorderListingImages(c *gin.Context) {
	expected, _, err := ifMatch(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req reorderRequest
	if !bindJSON(c, &req) {
		return
	}
	if req.ImageIDs == nil {
		fail(c, ocop.FieldInvalid("image_ids", "is required"))
		return
	}
	v, err := a.Listings.ReorderImages(c.Request.Context(), c.Param("id"), req.ImageIDs, expected)
	if err != nil {
		fail(c, err)
		return
	}
	a.writeListing(c, http.StatusOK, v)
}
