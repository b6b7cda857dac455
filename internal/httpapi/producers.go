package httpapi

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/producers"
)

// documentPath and logoPath are upload routes; they have their own body
// limits.
const (
	documentPath = "/api/v1/certifications/:id/document"
	logoPath     = "/api/v1/producers/:id/logo"
)

func (a *API) routesProducers(v1 *gin.RouterGroup) {
	v1.POST("/producers", a.requireAuth, a.createProducer)
	v1.GET("/producers", a.optionalAuth, a.listProducers)
	v1.GET("/producers/:id", a.optionalAuth, a.getProducer)
	v1.PATCH("/producers/:id", a.requireAuth, a.updateProducer)
	v1.GET("/producers/:id/members", a.requireAuth, a.listMembers)
	v1.POST("/producers/:id/members", a.requireAuth, a.addMember)
	v1.DELETE("/producers/:id/members/:user_id", a.requireAuth, a.removeMember)
	v1.POST("/producers/:id/certifications", a.requireAuth, a.createCertificate)
	v1.GET("/producers/:id/certifications", a.optionalAuth, a.listCertificates)
	a.bodyLimits[logoPath] = a.uploadBodyLimit()
	v1.PUT("/producers/:id/logo", a.requireAuth, a.setLogo)
	v1.DELETE("/producers/:id/logo", a.requireAuth, a.deleteLogo)
	v1.GET("/certifications/:id", a.optionalAuth, a.getCertificate)
	// Multipart overhead (boundaries, part headers) on top of the file itself.
	a.bodyLimits[documentPath] = a.CertificateDocumentMaxBytes + 64<<10
	v1.POST("/certifications/:id/document", a.requireAuth, a.uploadDocument)
	v1.GET("/certifications/:id/document", a.requireAuth, a.downloadDocument)
	v1.GET("/me/producers", a.requireAuth, a.myProducers)
	admin := v1.Group("/admin", a.requireAuth, a.requireRole(ocop.RoleAdmin))
	admin.POST("/producers/:id/verify", a.verifyProducer)
	admin.POST("/producers/:id/reject", a.rejectProducer)
	admin.POST("/certifications/:id/verify", a.verifyCertificate)
	admin.POST("/certifications/:id/reject", a.rejectCertificate)
	admin.POST("/certifications/:id/revoke", a.revokeCertificate)
}

type producerResponse struct {
	ID            string  `json:"id"`
	LegalName     string  `json:"legal_name"`
	Kind          string  `json:"kind"`
	TaxCode       *string `json:"tax_code"`
	ProvinceCode  string  `json:"province_code"`
	ProvinceName  string  `json:"province_name"`
	CommuneCode   string  `json:"commune_code"`
	CommuneName   string  `json:"commune_name"`
	Address       string  `json:"address"`
	Phone         string  `json:"phone"`
	Email         string  `json:"email"`
	Website       string  `json:"website"`
	DescriptionVI string  `json:"description_vi"`
	DescriptionEN string  `json:"description_en"`
	// LogoURL and LogoThumbnailURL are null without a logo.
	LogoURL          *string    `json:"logo_url"`
	LogoThumbnailURL *string    `json:"logo_thumbnail_url"`
	Status           string     `json:"status"`
	StatusReason     string     `json:"status_reason"`
	Verified         bool       `json:"verified"`
	VerifiedAt       *time.Time `json:"verified_at"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

func toProducerResponse(p *ocop.Producer) producerResponse {
	prov, _ := places.LookupProvince(p.ProvinceCode)
	com, _ := places.LookupCommune(p.CommuneCode)
	r := producerResponse{
		ID: p.ID, LegalName: p.LegalName, Kind: string(p.Kind), ProvinceCode: p.ProvinceCode, ProvinceName: prov.Name,
		CommuneCode: p.CommuneCode, CommuneName: com.Name, Address: p.Address, Phone: p.Phone, Email: p.Email,
		Website: p.Website, DescriptionVI: p.DescriptionVI, DescriptionEN: p.DescriptionEN, Status: string(p.Status),
		StatusReason: p.StatusReason, Verified: p.Verified(), VerifiedAt: p.VerifiedAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
	if p.TaxCode != "" {
		r.TaxCode = &p.TaxCode
	}
	r.LogoURL, r.LogoThumbnailURL = mediaURL(p.LogoKey), mediaURL(p.LogoThumbKey)
	return r
}

// mediaURL is the public path of a stored object (nil for none).
func mediaURL(key string) *string {
	if key == "" {
		return nil
	}
	u := "/media/" + media.PublicName(key)
	return &u
}

// setLogo replaces the producer's logo: an image as the "file" part of a
// multipart body, processed like a listing photo.
func (a *API) setLogo(c *gin.Context) {
	part, err := imagePart(c.Request)
	if err != nil {
		fail(c, err)
		return
	}
	defer part.Close()
	p, err := a.Producers.SetLogo(c.Request.Context(), c.Param("id"), part)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toProducerResponse(p))
}

func (a *API) deleteLogo(c *gin.Context) {
	if _, err := a.Producers.DeleteLogo(c.Request.Context(), c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type certificateResponse struct {
	ID             string     `json:"id"`
	ProducerID     string     `json:"producer_id"`
	ProductName    string     `json:"product_name"`
	LegalBasis     string     `json:"legal_basis"`
	ProductGroup   string     `json:"product_group"`
	ProductSet     string     `json:"product_set"`
	CurrentGroup   string     `json:"current_group"`
	Stars          int        `json:"stars"`
	DecisionNumber string     `json:"decision_number"`
	DecisionDate   string     `json:"decision_date"`
	IssuingLevel   string     `json:"issuing_level"`
	IssuingBody    string     `json:"issuing_body"`
	ExpiresOn      string     `json:"expires_on"`
	DaysToExpiry   int        `json:"days_to_expiry"`
	InForce        bool       `json:"in_force"`
	Status         string     `json:"status"`
	StatusReason   string     `json:"status_reason"`
	Document       *docInfo   `json:"document"`
	ReviewedAt     *time.Time `json:"reviewed_at"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

type docInfo struct {
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

func toCertificateResponse(c *ocop.Certificate, today ocop.Date) certificateResponse {
	r := certificateResponse{
		ID: c.ID, ProducerID: c.ProducerID, ProductName: c.ProductName, LegalBasis: c.LegalBasis, ProductGroup: c.ProductGroup,
		ProductSet: c.ProductSet, CurrentGroup: c.CurrentGroup, Stars: c.Stars, DecisionNumber: c.DecisionNumber,
		DecisionDate: c.DecisionDate.String(), IssuingLevel: string(c.IssuingLevel), IssuingBody: c.IssuingBody,
		ExpiresOn: c.ExpiresOn.String(), DaysToExpiry: c.DaysToExpiry(today), InForce: c.InForceOn(today),
		Status: string(c.Status), StatusReason: c.StatusReason, ReviewedAt: c.ReviewedAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if c.DocumentKey != "" {
		r.Document = &docInfo{ContentType: c.DocumentType, Size: c.DocumentSize}
	}
	return r
}

func toCertificateResponses(cs []ocop.Certificate, today ocop.Date) []certificateResponse {
	out := make([]certificateResponse, len(cs))
	for i := range cs {
		out[i] = toCertificateResponse(&cs[i], today)
	}
	return out
}

type profileResponse struct {
	producerResponse
	Stars               *int                  `json:"stars"`
	CertificatesInForce []certificateResponse `json:"certificates_in_force"`
	CallerRole          *string               `json:"caller_role"`
	// Responsiveness is how the producer answers inquiries (issue 6).
	Responsiveness *responsivenessResponse `json:"responsiveness,omitempty"`
}

func toProfileResponse(p *producers.Profile) profileResponse {
	r := profileResponse{producerResponse: toProducerResponse(p.Producer), CertificatesInForce: toCertificateResponses(p.InForce, p.Today)}
	for _, c := range p.InForce {
		if r.Stars == nil || c.Stars > *r.Stars {
			s := c.Stars
			r.Stars = &s
		}
	}
	if p.CallerRole != "" {
		role := string(p.CallerRole)
		r.CallerRole = &role
	}
	return r
}

type createProducerRequest struct {
	LegalName     string `json:"legal_name"`
	Kind          string `json:"kind"`
	TaxCode       string `json:"tax_code"`
	ProvinceCode  string `json:"province_code"`
	CommuneCode   string `json:"commune_code"`
	Address       string `json:"address"`
	Phone         string `json:"phone"`
	Email         string `json:"email"`
	Website       string `json:"website"`
	DescriptionVI string `json:"description_vi"`
	DescriptionEN string `json:"description_en"`
}

func (a *API) createProducer(c *gin.Context) {
	var req createProducerRequest
	if !bindJSON(c, &req) {
		return
	}
	p, err := a.Producers.Create(c.Request.Context(), producers.ProducerInput{
		LegalName: req.LegalName, Kind: ocop.ProducerKind(req.Kind), TaxCode: req.TaxCode, ProvinceCode: req.ProvinceCode,
		CommuneCode: req.CommuneCode, Address: req.Address, Phone: req.Phone, Email: req.Email, Website: req.Website,
		DescriptionVI: req.DescriptionVI, DescriptionEN: req.DescriptionEN,
	})
	if err != nil {
		fail(c, err)
		return
	}
	a.writeProfile(c, http.StatusCreated, p.ID)
}

func (a *API) writeProfile(c *gin.Context, status int, id string) {
	prof, err := a.Producers.Profile(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	if status == http.StatusCreated {
		c.Header("Location", "/api/v1/producers/"+id)
	}
	resp := toProfileResponse(prof)
	if a.Inquiries != nil {
		r, err := a.Inquiries.Responsiveness(c.Request.Context(), id)
		if err != nil {
			fail(c, err)
			return
		}
		resp.Responsiveness = toResponsivenessResponse(r)
	}
	c.JSON(status, resp)
}

func (a *API) getProducer(c *gin.Context) { a.writeProfile(c, http.StatusOK, c.Param("id")) }

type updateProducerRequest struct {
	LegalName     *string `json:"legal_name"`
	Kind          *string `json:"kind"`
	TaxCode       *string `json:"tax_code"`
	ProvinceCode  *string `json:"province_code"`
	CommuneCode   *string `json:"commune_code"`
	Address       *string `json:"address"`
	Phone         *string `json:"phone"`
	Email         *string `json:"email"`
	Website       *string `json:"website"`
	DescriptionVI *string `json:"description_vi"`
	DescriptionEN *string `json:"description_en"`
}

func (a *API) updateProducer(c *gin.Context) {
	var req updateProducerRequest
	if !bindJSON(c, &req) {
		return
	}
	patch := producers.ProducerPatch{
		LegalName: req.LegalName, TaxCode: req.TaxCode, ProvinceCode: req.ProvinceCode, CommuneCode: req.CommuneCode,
		Address: req.Address, Phone: req.Phone, Email: req.Email, Website: req.Website,
		DescriptionVI: req.DescriptionVI, DescriptionEN: req.DescriptionEN,
	}
	if req.Kind != nil {
		k := ocop.ProducerKind(*req.Kind)
		patch.Kind = &k
	}
	if _, err := a.Producers.Update(c.Request.Context(), c.Param("id"), patch); err != nil {
		fail(c, err)
		return
	}
	a.writeProfile(c, http.StatusOK, c.Param("id"))
}

func (a *API) listProducers(c *gin.Context) {
	in := producers.ListInput{ProvinceCode: c.Query("province_code"), Kind: c.Query("kind"), Query: c.Query("q"), Cursor: c.Query("cursor")}
	var v ocop.Validation
	if s := c.Query("verified"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			v.Add("verified", "must be true or false")
		}
		in.Verified = &b
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			v.Add("limit", "must be an integer between 1 and 100")
		}
		in.Limit = n
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	page, err := a.Producers.List(c.Request.Context(), in)
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]producerResponse, len(page.Producers))
	for i := range page.Producers {
		items[i] = toProducerResponse(&page.Producers[i])
	}
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": next})
}

type membershipResponse struct {
	Producer producerResponse `json:"producer"`
	Role     string           `json:"role"`
}

func (a *API) myProducers(c *gin.Context) {
	ps, roles, err := a.Producers.Mine(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]membershipResponse, len(ps))
	for i := range ps {
		items[i] = membershipResponse{Producer: toProducerResponse(&ps[i]), Role: string(roles[i])}
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

type memberResponse struct {
	UserID      string    `json:"user_id"`
	Email       string    `json:"email"`
	DisplayName string    `json:"display_name"`
	Role        string    `json:"role"`
	CreatedAt   time.Time `json:"created_at"`
}

func toMemberResponse(m ocop.ProducerMember) memberResponse {
	return memberResponse{UserID: m.UserID, Email: m.Email, DisplayName: m.DisplayName, Role: string(m.Role), CreatedAt: m.CreatedAt}
}

func (a *API) listMembers(c *gin.Context) {
	ms, err := a.Producers.Members(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]memberResponse, len(ms))
	for i, m := range ms {
		items[i] = toMemberResponse(m)
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

type addMemberRequest struct {
	Email string `json:"email"`
}

func (a *API) addMember(c *gin.Context) {
	var req addMemberRequest
	if !bindJSON(c, &req) {
		return
	}
	m, err := a.Producers.AddStaff(c.Request.Context(), c.Param("id"), req.Email)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toMemberResponse(*m))
}

func (a *API) removeMember(c *gin.Context) {
	if err := a.Producers.RemoveStaff(c.Request.Context(), c.Param("id"), c.Param("user_id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type createCertificateRequest struct {
	ProductName    string `json:"product_name"`
	LegalBasis     string `json:"legal_basis"`
	ProductGroup   string `json:"product_group"`
	ProductSet     string `json:"product_set"`
	Stars          int    `json:"stars"`
	DecisionNumber string `json:"decision_number"`
	DecisionDate   string `json:"decision_date"`
	IssuingLevel   string `json:"issuing_level"`
	IssuingBody    string `json:"issuing_body"`
	ExpiresOn      string `json:"expires_on"`
}

func (a *API) createCertificate(c *gin.Context) {
	var req createCertificateRequest
	if !bindJSON(c, &req) {
		return
	}
	cert, err := a.Producers.AddCertificate(c.Request.Context(), c.Param("id"), producers.CertificateInput{
		ProductName: req.ProductName, LegalBasis: req.LegalBasis, ProductGroup: req.ProductGroup, ProductSet: req.ProductSet,
		Stars: req.Stars, DecisionNumber: req.DecisionNumber, DecisionDate: req.DecisionDate,
		IssuingLevel: ocop.IssuingLevel(req.IssuingLevel), IssuingBody: req.IssuingBody, ExpiresOn: req.ExpiresOn,
	})
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/certifications/"+cert.ID)
	c.JSON(http.StatusCreated, toCertificateResponse(cert, a.Producers.Today()))
}

func (a *API) listCertificates(c *gin.Context) {
	list, err := a.Producers.ListCertificates(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": toCertificateResponses(list.Certificates, list.Today)})
}

func (a *API) getCertificate(c *gin.Context) {
	cert, err := a.Producers.Certificate(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCertificateResponse(cert, a.Producers.Today()))
}

// uploadDocument streams the "file" part of a multipart body to the use
// case without buffering it in memory or on disk.
func (a *API) uploadDocument(c *gin.Context) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		fail(c, ocop.Errorf(ocop.CodeUnsupportedMedia, "send the document as multipart/form-data with a part named \"file\""))
		return
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		fail(c, ocop.FieldInvalid("file", "the multipart body could not be read"))
		return
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			fail(c, ocop.FieldInvalid("file", "is required (a part named \"file\")"))
			return
		}
		if err != nil {
			if tooLarge(err) {
				fail(c, describeJSONError(err))
				return
			}
			fail(c, ocop.FieldInvalid("file", "the multipart body could not be read"))
			return
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		cert, err := a.Producers.AttachDocument(c.Request.Context(), c.Param("id"), part)
		_ = part.Close()
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, toCertificateResponse(cert, a.Producers.Today()))
		return
	}
}

func (a *API) downloadDocument(c *gin.Context) {
	body, info, url, err := a.Producers.Document(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if url != "" {
		c.Header("Cache-Control", "no-store")
		c.Redirect(http.StatusFound, url)
		return
	}
	defer body.Close()
	c.Header("Cache-Control", "private, no-store")
	c.Header("Content-Disposition", "attachment")
	c.DataFromReader(http.StatusOK, info.Size, info.ContentType, body, nil)
}

type reviewRequest struct {
	Reason string `json:"reason"`
}

// bindOptionalJSON reads a body that may be absent.
func bindOptionalJSON(c *gin.Context, dst any) bool {
	if c.Request.ContentLength == 0 {
		return true
	}
	return bindJSON(c, dst)
}

func (a *API) verifyProducer(c *gin.Context) {
	var req reviewRequest
	if !bindOptionalJSON(c, &req) {
		return
	}
	if _, err := a.Producers.Verify(c.Request.Context(), c.Param("id"), req.Reason); err != nil {
		fail(c, err)
		return
	}
	a.writeProfile(c, http.StatusOK, c.Param("id"))
}

func (a *API) rejectProducer(c *gin.Context) {
	var req reviewRequest
	if !bindJSON(c, &req) {
		return
	}
	if _, err := a.Producers.Reject(c.Request.Context(), c.Param("id"), req.Reason); err != nil {
		fail(c, err)
		return
	}
	a.writeProfile(c, http.StatusOK, c.Param("id"))
}

func (a *API) reviewCertificate(c *gin.Context, reasonRequired bool, do func(id, reason string) (*ocop.Certificate, error)) {
	var req reviewRequest
	bind := bindOptionalJSON
	if reasonRequired {
		bind = bindJSON
	}
	if !bind(c, &req) {
		return
	}
	cert, err := do(c.Param("id"), req.Reason)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toCertificateResponse(cert, a.Producers.Today()))
}

func (a *API) verifyCertificate(c *gin.Context) {
	a.reviewCertificate(c, false, func(id, _ string) (*ocop.Certificate, error) {
		return a.Producers.VerifyCertificate(c.Request.Context(), id)
	})
}

func (a *API) rejectCertificate(c *gin.Context) {
	a.reviewCertificate(c, true, func(id, reason string) (*ocop.Certificate, error) {
		return a.Producers.RejectCertificate(c.Request.Context(), id, reason)
	})
}

func (a *API) revokeCertificate(c *gin.Context) {
	a.reviewCertificate(c, true, func(id, reason string) (*ocop.Certificate, error) {
		return a.Producers.RevokeCertificate(c.Request.Context(), id, reason)
	})
}
