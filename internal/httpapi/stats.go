package httpapi

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/stats"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

func (a *API) routesStats(v1 *gin.RouterGroup) {
	if a.Stats == nil {
		return
	}
	v1.GET("/stats/provinces", a.statsProvinces)
	v1.GET("/stats/provinces/:code", a.statsProvince)
	v1.GET("/stats/provinces/:code/chart.svg", a.statsProvinceChart)
	v1.GET("/stats/overview.svg", a.statsOverviewChart)
}

type certifiedDTO struct {
	Total   int            `json:"total"`
	ByStars map[string]int `json:"by_stars"`
	ByGroup map[string]int `json:"by_group"`
}

type producersDTO struct {
	Total  int            `json:"total"`
	ByKind map[string]int `json:"by_kind"`
}

type coverageDTO struct {
	CommunesWithCertifiedProduct int     `json:"communes_with_certified_product"`
	CommunesTotal                int     `json:"communes_total"`
	Ratio                        float64 `json:"ratio"`
}

type provinceStatsResponse struct {
	ProvinceCode         *string      `json:"province_code"`
	ProvinceName         string       `json:"province_name"`
	CertifiedProducts    certifiedDTO `json:"certified_products"`
	Producers            producersDTO `json:"producers"`
	Coverage             coverageDTO  `json:"coverage"`
	CertificatesExpiring int          `json:"certificates_expiring_90_days"`
	PublishedListings    int          `json:"published_listings"`
	Inquiries            *int         `json:"inquiries_last_30_days"`
	Bookings             int          `json:"bookings_last_30_days"`
}

func toProvinceStats(p stats.Province) provinceStatsResponse {
	r := provinceStatsResponse{
		ProvinceName: p.Name,
		CertifiedProducts: certifiedDTO{Total: p.Certified(), ByStars: map[string]int{"3": p.CertifiedByStars[3], "4": p.CertifiedByStars[4], "5": p.CertifiedByStars[5]},
			ByGroup: map[string]int{}},
		Producers:            producersDTO{Total: p.Producers(), ByKind: map[string]int{}},
		Coverage:             coverageDTO{CommunesWithCertifiedProduct: p.CoveredCommunes, CommunesTotal: p.CommunesTotal, Ratio: p.Coverage()},
		CertificatesExpiring: p.ExpiringCertificates, PublishedListings: p.PublishedListings, Inquiries: p.Inquiries, Bookings: p.Bookings,
	}
	if p.ProvinceCode != "" {
		code := p.ProvinceCode
		r.ProvinceCode = &code
	}
	for _, g := range taxonomy.Current().Groups {
		r.CertifiedProducts.ByGroup[g.Code] = p.CertifiedByGroup[g.Code]
	}
	for _, k := range ocop.ProducerKinds {
		r.Producers.ByKind[string(k)] = p.ProducersByKind[k]
	}
	return r
}

func (a *API) statsProvinces(c *gin.Context) {
	o, err := a.Stats.Provinces(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	items := make([]provinceStatsResponse, len(o.Provinces))
	for i, p := range o.Provinces {
		items[i] = toProvinceStats(p)
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, gin.H{"as_of": o.AsOf.String(), "provinces": items, "national": toProvinceStats(o.Total)})
}

func (a *API) statsProvince(c *gin.Context) {
	p, asOf, err := a.Stats.Province(c.Request.Context(), c.Param("code"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, gin.H{"as_of": asOf.String(), "province": toProvinceStats(*p)})
}

func (a *API) statsProvinceChart(c *gin.Context) {
	p, asOf, err := a.Stats.Province(c.Request.Context(), c.Param("code"))
	if err != nil {
		fail(c, err)
		return
	}
	var b bytes.Buffer
	if err := stats.WriteProvinceChart(&b, p, asOf); err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "image/svg+xml; charset=utf-8", b.Bytes())
}

func (a *API) statsOverviewChart(c *gin.Context) {
	o, err := a.Stats.Provinces(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	var b bytes.Buffer
	if err := stats.WriteOverviewChart(&b, o); err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "image/svg+xml; charset=utf-8", b.Bytes())
}
