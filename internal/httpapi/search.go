package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

func (a *API) routesSearch(v1 *gin.RouterGroup) {
	if a.Search == nil {
		return
	}
	v1.GET("/search/listings", a.searchListings)
	v1.GET("/search/suggest", a.suggest)
}

type searchHighlight struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

type searchHit struct {
	ID               string          `json:"id"`
	TitleVI          string          `json:"title_vi"`
	TitleEN          string          `json:"title_en"`
	ProducerID       string          `json:"producer_id"`
	ProducerName     string          `json:"producer_name"`
	ProducerKind     string          `json:"producer_kind"`
	ProvinceCode     string          `json:"province_code"`
	ProvinceName     string          `json:"province_name"`
	CommuneCode      string          `json:"commune_code"`
	CommuneName      string          `json:"commune_name"`
	ProductGroup     string          `json:"product_group"`
	ProductGroupName string          `json:"product_group_name"`
	ProductSet       string          `json:"product_set"`
	ProductSetName   string          `json:"product_set_name"`
	Stars            int             `json:"stars"`
	Certified        bool            `json:"certified"`
	PriceMinVND      *int64          `json:"price_min_vnd"`
	PriceMaxVND      *int64          `json:"price_max_vnd"`
	MinOrderQty      int64           `json:"min_order_qty"`
	Unit             string          `json:"unit"`
	ThumbnailURL     *string         `json:"thumbnail_url"`
	PublishedAt      time.Time       `json:"published_at"`
	Highlight        searchHighlight `json:"highlight"`
}

type facetValue struct {
	Value string `json:"value"`
	Name  string `json:"name,omitempty"`
	Count int    `json:"count"`
}

type priceBucket struct {
	MinVND int64  `json:"min_vnd"`
	MaxVND *int64 `json:"max_vnd"`
	Count  int    `json:"count"`
}

type searchFacets struct {
	Province     []facetValue  `json:"province"`
	Group        []facetValue  `json:"group"`
	ProductSet   []facetValue  `json:"product_set"`
	Stars        []facetValue  `json:"stars"`
	ProducerKind []facetValue  `json:"producer_kind"`
	Price        []priceBucket `json:"price"`
}

type searchResponse struct {
	Hits    []searchHit  `json:"hits"`
	Total   int          `json:"total"`
	Page    int          `json:"page"`
	PerPage int          `json:"per_page"`
	Facets  searchFacets `json:"facets"`
	TookMS  float64      `json:"took_ms"`
}

// searchQuery reads the query parameters; the use case validates ranges.
func searchQuery(c *gin.Context) (ocop.SearchQuery, error) {
	var v ocop.Validation
	q := ocop.SearchQuery{
		Q: c.Query("q"), ProvinceCode: c.Query("province_code"), Group: c.Query("group"), ProductSet: c.Query("product_set"),
		ProducerKind: c.Query("producer_kind"), Sort: ocop.SearchSort(c.Query("sort")),
	}
	integer := func(name string) int64 {
		s := c.Query(name)
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			v.Add(name, "must be a whole number, not negative")
			return 0
		}
		return n
	}
	small := func(name string) int {
		n := integer(name)
		if n > 1<<20 {
			v.Add(name, "is too large")
			return 0
		}
		return int(n)
	}
	q.StarsMin = small("stars_min")
	q.PriceMaxVND = integer("price_max_vnd")
	q.MOQMax = integer("moq_max")
	q.Page = small("page")
	q.PerPage = small("per_page")
	if c.Query("page") != "" && q.Page == 0 && !v.Has("page") {
		v.Add("page", "must be at least 1")
	}
	if c.Query("per_page") != "" && q.PerPage == 0 && !v.Has("per_page") {
		v.Add("per_page", "must be between 1 and %d", ocop.SearchMaxPerPage)
	}
	if s := c.Query("certified"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			v.Add("certified", "must be true or false")
		}
		q.Certified = &b
	}
	if err := v.Err(); err != nil {
		return q, err
	}
	return q, nil
}

func (a *API) searchListings(c *gin.Context) {
	q, err := searchQuery(c)
	if err != nil {
		fail(c, err)
		return
	}
	res, err := a.Search.Search(c.Request.Context(), q)
	if err != nil {
		fail(c, err)
		return
	}
	out := searchResponse{
		Hits: make([]searchHit, 0, len(res.Hits)), Total: res.Total, Page: res.Page, PerPage: res.PerPage,
		TookMS: float64(res.Took.Microseconds()) / 1000,
	}
	current := taxonomy.Current()
	groupName := func(code string) string {
		g, _ := current.Group(code)
		return g.NameVI
	}
	setName := func(code string) string {
		for _, g := range current.Groups {
			if s, ok := g.Set(code); ok {
				return s.NameVI
			}
		}
		return ""
	}
	for _, h := range res.Hits {
		d := h.Document
		hit := searchHit{
			ID: d.ID, TitleVI: d.TitleVI, TitleEN: d.TitleEN, ProducerID: d.ProducerID, ProducerName: d.ProducerName,
			ProducerKind: d.ProducerKind, ProvinceCode: d.ProvinceCode, ProvinceName: d.ProvinceName,
			CommuneCode: d.CommuneCode, CommuneName: d.CommuneName, ProductGroup: d.ProductGroup,
			ProductGroupName: groupName(d.ProductGroup), ProductSet: d.ProductSet, ProductSetName: setName(d.ProductSet),
			Stars: d.Stars, Certified: d.Certified, MinOrderQty: d.MOQ, Unit: d.Unit, PublishedAt: d.PublishedAt.UTC(),
			Highlight: searchHighlight{Title: h.TitleHighlight, Description: h.DescriptionHighlight},
		}
		if d.PriceMinVND > 0 || d.PriceMaxVND > 0 {
			hit.PriceMinVND, hit.PriceMaxVND = &d.PriceMinVND, &d.PriceMaxVND
		}
		if d.ThumbnailURL != "" {
			hit.ThumbnailURL = &d.ThumbnailURL
		}
		out.Hits = append(out.Hits, hit)
	}
	f := res.Facets
	values := func(fs []ocop.FacetCount, name func(string) string) []facetValue {
		out := make([]facetValue, 0, len(fs))
		for _, v := range fs {
			fv := facetValue{Value: v.Value, Count: v.Count}
			if name != nil {
				fv.Name = name(v.Value)
			}
			out = append(out, fv)
		}
		return out
	}
	out.Facets = searchFacets{
		Province: values(f.Province, func(code string) string {
			p, _ := places.LookupProvince(code)
			return p.Name
		}),
		Group: values(f.Group, groupName), ProductSet: values(f.ProductSet, setName),
		Stars: values(f.Stars, nil), ProducerKind: values(f.ProducerKind, nil),
		Price: make([]priceBucket, 0, len(f.Price)),
	}
	for _, b := range f.Price {
		pb := priceBucket{MinVND: b.MinVND, Count: b.Count}
		if b.MaxVND > 0 {
			pb.MaxVND = &b.MaxVND
		}
		out.Facets.Price = append(out.Facets.Price, pb)
	}
	c.JSON(http.StatusOK, out)
}

type suggestResponse struct {
	Suggestions []string `json:"suggestions"`
}

func (a *API) suggest(c *gin.Context) {
	limit := 0
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > ocop.SuggestMax {
			fail(c, ocop.FieldInvalid("limit", "must be between 1 and %d", ocop.SuggestMax))
			return
		}
		limit = n
	}
	out, err := a.Search.Suggest(c.Request.Context(), c.Query("q"), limit)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, suggestResponse{Suggestions: out})
}
