package ocop

import (
	"strings"
	"testing"
)

func TestSearchQueryNormalize(t *testing.T) {
	q := SearchQuery{}
	if err := q.Normalize(); err != nil || q.Page != 1 || q.PerPage != SearchDefaultPerPage || q.Sort != SortRelevance {
		t.Fatalf("defaults: %+v %v", q, err)
	}
	bad := map[string]SearchQuery{
		"q":             {Q: strings.Repeat("a", SearchMaxQueryRunes+1)},
		"sort":          {Sort: "cheapest"},
		"per_page":      {PerPage: SearchMaxPerPage + 1},
		"page":          {Page: SearchMaxDepth/SearchDefaultPerPage + 1},
		"stars_min":     {StarsMin: 6},
		"price_max_vnd": {PriceMaxVND: -1},
		"moq_max":       {MOQMax: -5},
		"province_code": {ProvinceCode: strings.Repeat("9", 65)},
	}
	for field, q := range bad {
		err := q.Normalize()
		var e *Error
		if ErrorCode(err) != CodeValidation || !asErr(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	ok := SearchQuery{Q: strings.Repeat("ắ", SearchMaxQueryRunes), Page: SearchMaxDepth / SearchMaxPerPage, PerPage: SearchMaxPerPage}
	if err := ok.Normalize(); err != nil {
		t.Errorf("limits themselves are allowed: %v", err)
	}
	if b := NewPriceBuckets(); len(b) != len(PriceBucketBounds) || b[0].MinVND != 0 || b[len(b)-1].MaxVND != 0 || b[1].MaxVND != PriceBucketBounds[2] {
		t.Errorf("buckets %+v", b)
	}
}

func asErr(err error, target **Error) bool {
	e, ok := err.(*Error)
	*target = e
	return ok
}
