package bleve

import (
	"strconv"
	"strings"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Facets are counted per combination of a document's facet values, not per
// value: one counter bump per match instead of six, and a catalogue has a
// few thousand distinct combinations at most. The combinations are split
// into the per-facet lists once, at the end.
//
// In the index, each document carries its combination as the single doc
// value of fFacetKey, stored uncompressed (reading Bleve's default
// snappy-compressed doc values was half the time of a text query at
// 100,000 listings: every match decodes its chunk's share again).

// facetValues is one document's facet values.
type facetValues struct {
	province, group, set, kind string
	stars, bucket              int
}

func facetValuesOf(d ocop.SearchDocument) facetValues {
	return facetValues{province: d.ProvinceCode, group: d.ProductGroup, set: d.ProductSet, kind: d.ProducerKind,
		stars: d.Stars, bucket: ocop.PriceBucketOf(d.PriceMinVND)}
}

// facetSep joins the values of a key: codes never hold control characters,
// and Bleve separates doc values with 0xFF, which UTF-8 never uses.
const facetSep = "\x1f"

func (v facetValues) key() string {
	return strings.Join([]string{v.province, v.group, v.set, v.kind, strconv.Itoa(v.stars), strconv.Itoa(v.bucket)}, facetSep)
}

func parseFacetKey(s string) (facetValues, bool) {
	parts := strings.Split(s, facetSep)
	if len(parts) != 6 {
		return facetValues{}, false
	}
	stars, err1 := strconv.Atoi(parts[4])
	bucket, err2 := strconv.Atoi(parts[5])
	if err1 != nil || err2 != nil {
		return facetValues{}, false
	}
	return facetValues{province: parts[0], group: parts[1], set: parts[2], kind: parts[3], stars: stars, bucket: bucket}, true
}

// facetTally adds up counts per combination into the result's lists.
type facetTally struct {
	lists [5]map[string]int // province, group, product set, stars, producer kind
	price []ocop.PriceBucket
}

func newFacetTally() *facetTally {
	return &facetTally{lists: [5]map[string]int{{}, {}, {}, {}, {}}, price: ocop.NewPriceBuckets()}
}

func (t *facetTally) add(v facetValues, n int) {
	t.lists[0][v.province] += n
	t.lists[1][v.group] += n
	t.lists[2][v.set] += n
	t.lists[3][strconv.Itoa(v.stars)] += n
	t.lists[4][v.kind] += n
	if v.bucket >= 0 && v.bucket < len(t.price) {
		t.price[v.bucket].Count += n
	}
}

// result: values by count, then value; empty values (a listing without a
// product set, say) are not a facet value.
func (t *facetTally) result() ocop.SearchFacets {
	out := ocop.SearchFacets{Price: t.price}
	dst := []*[]ocop.FacetCount{&out.Province, &out.Group, &out.ProductSet, &out.Stars, &out.ProducerKind}
	for i, m := range t.lists {
		list := make([]ocop.FacetCount, 0, len(m))
		for v, n := range m {
			if v != "" && n > 0 {
				list = append(list, ocop.FacetCount{Value: v, Count: n})
			}
		}
		ocop.SortFacetCounts(list)
		*dst[i] = list
	}
	return out
}
