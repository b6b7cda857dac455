package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

func (a *API) routesPlaces(v1 *gin.RouterGroup) {
	v1.GET("/places/provinces", a.listProvinces)
	v1.GET("/places/provinces/:code/communes", a.listCommunes)
	v1.GET("/places/legacy-communes", a.resolveLegacyCommune)
	v1.GET("/taxonomy", a.getTaxonomy)
}

type placeResponse struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type communeResponse struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	ProvinceCode string `json:"province_code"`
	ProvinceName string `json:"province_name"`
}

func toCommuneResponse(c places.Commune) communeResponse {
	p, _ := places.LookupProvince(c.ProvinceCode)
	return communeResponse{Code: c.Code, Name: c.Name, ProvinceCode: c.ProvinceCode, ProvinceName: p.Name}
}

// Reference data changes only with a release: let clients and proxies cache it.
func cacheReferenceData(c *gin.Context) { c.Header("Cache-Control", "public, max-age=86400") }

func (a *API) listProvinces(c *gin.Context) {
	ps := places.Provinces()
	out := make([]placeResponse, len(ps))
	for i, p := range ps {
		out[i] = placeResponse{Code: p.Code, Name: p.Name}
	}
	cacheReferenceData(c)
	c.JSON(http.StatusOK, gin.H{"provinces": out})
}

func (a *API) listCommunes(c *gin.Context) {
	p, ok := places.LookupProvince(c.Param("code"))
	if !ok {
		fail(c, ocop.NotFound("province"))
		return
	}
	cs := places.Communes(p.Code)
	out := make([]placeResponse, len(cs))
	for i, cm := range cs {
		out[i] = placeResponse{Code: cm.Code, Name: cm.Name}
	}
	cacheReferenceData(c)
	c.JSON(http.StatusOK, gin.H{"province": placeResponse{Code: p.Code, Name: p.Name}, "communes": out})
}

type legacyUnitResponse struct {
	ProvinceCode string `json:"province_code"`
	ProvinceName string `json:"province_name"`
	DistrictCode string `json:"district_code"`
	DistrictName string `json:"district_name"`
	CommuneCode  string `json:"commune_code"`
	CommuneName  string `json:"commune_name"`
}

type legacyMatchResponse struct {
	Old  legacyUnitResponse `json:"old"`
	New  communeResponse    `json:"new"`
	Note string             `json:"note"`
}

// resolveLegacyCommune answers which current commune a pre-2025 commune
// became: by old code, by names, or by an address written the old way.
func (a *API) resolveLegacyCommune(c *gin.Context) {
	q := places.LegacyQuery{Code: c.Query("code"), Province: c.Query("province"), District: c.Query("district"), Commune: c.Query("commune")}
	if addr := c.Query("address"); addr != "" {
		if q.Province != "" || q.District != "" || q.Commune != "" {
			fail(c, ocop.FieldInvalid("address", "give either address or province/district/commune, not both"))
			return
		}
		q = places.ParseLegacyAddress(addr)
		q.Code = c.Query("code")
	}
	ms, err := places.ResolveLegacy(q)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]legacyMatchResponse, len(ms))
	for i, m := range ms {
		o := m.Old
		out[i] = legacyMatchResponse{
			Old: legacyUnitResponse{ProvinceCode: o.ProvinceCode, ProvinceName: o.ProvinceName, DistrictCode: o.DistrictCode,
				DistrictName: o.DistrictName, CommuneCode: o.CommuneCode, CommuneName: o.CommuneName},
			New: toCommuneResponse(m.New), Note: m.Note,
		}
	}
	cs := places.NewCommunes(ms)
	var unique *communeResponse
	if len(cs) == 1 {
		r := toCommuneResponse(cs[0])
		unique = &r
	}
	c.JSON(http.StatusOK, gin.H{"matches": out, "commune": unique})
}

func (a *API) getTaxonomy(c *gin.Context) {
	cacheReferenceData(c)
	c.JSON(http.StatusOK, gin.H{"current": taxonomy.Current().Code, "versions": taxonomy.Versions()})
}
