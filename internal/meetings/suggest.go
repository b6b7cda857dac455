package meetings

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

// Suggestion is a ranked counterpart with the reasons.
type Suggestion struct {
	// ProducerID is set for an exhibitor suggested to a buyer; BuyerID and
	// RegistrationID for a buyer suggested to a producer.
	ProducerID     string
	BuyerID        string
	RegistrationID string
	Name           string
	ProvinceCode   string
	Score          int
	// Matched are the listings that overlap the buyer's interests.
	Matched []ocop.ListingBrief
	Reasons []string
}

// SuggestInput says for whom suggestions are made.
type SuggestInput struct {
	EventID string
	// As is buyer or producer; "" picks buyer when the caller is
	// registered, producer otherwise.
	As         string
	ProducerID string // which producer, when the caller acts for several
	Limit      int
}

// Scoring: each listing that matches an interest counts 10, a producer
// from a province the buyer sources from adds 5. Only counterparts with a
// match in interests or province are suggested.
const (
	scorePerListing = 10
	scoreProvince   = 5
)

// Suggestions ranks, for a registered buyer, the exhibitors by the overlap
// between the buyer's interests and their published listings; for an
// exhibitor, the registered buyers likewise. Each comes with its reasons
// ("3 listings in Cà phê, ca cao").
func (s *Service) Suggestions(ctx context.Context, in SuggestInput) ([]Suggestion, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if in.As != "" && in.As != "buyer" && in.As != "producer" {
		return nil, ocop.FieldInvalid("as", "must be buyer or producer")
	}
	e, err := s.event(ctx, in.EventID)
	if err != nil {
		return nil, err
	}
	limit := in.Limit
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	xs, err := s.exhibitors(ctx, e.ID, "", "")
	if err != nil {
		return nil, err
	}
	reg, err := s.Repo.RegistrationOf(ctx, e.ID, p.UserID)
	if err != nil && !ocop.IsCode(err, ocop.CodeNotFound) {
		return nil, err
	}
	as := in.As
	if as == "" {
		as = "producer"
		if reg != nil {
			as = "buyer"
		}
	}
	var out []Suggestion
	if as == "buyer" {
		if reg == nil {
			return nil, ocop.Errorf(ocop.CodeNotRegistered, "register for this fair's meetings first (POST /api/v1/events/%s/registrations)", e.ID)
		}
		for _, x := range xs {
			if x.ProducerID == in.ProducerID && in.ProducerID != "" {
				continue
			}
			sg := match(reg, x.Listings, x.ProvinceCode, false)
			if sg.Score == 0 {
				continue
			}
			sg.ProducerID, sg.Name, sg.ProvinceCode = x.ProducerID, x.Name, x.ProvinceCode
			out = append(out, sg)
		}
	} else {
		ids, err := s.Members.IDsFor(ctx, p.UserID)
		if err != nil {
			return nil, err
		}
		var mine []Exhibitor
		for _, x := range xs {
			if slices.Contains(ids, x.ProducerID) && (in.ProducerID == "" || in.ProducerID == x.ProducerID) {
				mine = append(mine, x)
			}
		}
		switch {
		case len(mine) == 0:
			return nil, ocop.Errorf(ocop.CodeNotExhibiting, "you act for no producer with a confirmed booth at this fair")
		case len(mine) > 1:
			return nil, ocop.FieldInvalid("producer_id", "you act for %d exhibitors; say which one", len(mine))
		}
		x := mine[0]
		regs, err := s.Repo.Registrations(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		for _, g := range regs {
			if g.BuyerID == p.UserID {
				continue
			}
			sg := match(g, x.Listings, x.ProvinceCode, true)
			if sg.Score == 0 {
				continue
			}
			sg.BuyerID, sg.RegistrationID, sg.Name = g.BuyerID, g.ID, g.Company
			out = append(out, sg)
		}
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		if a.Score != b.Score {
			return b.Score - a.Score
		}
		return strings.Compare(a.Name, b.Name)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// match scores a buyer's registration against a producer's listings.
func match(reg *ocop.BuyerRegistration, listings []ocop.ListingBrief, province string, forProducer bool) Suggestion {
	var sg Suggestion
	bySet := map[string]int{}
	var order []string
	for _, l := range listings {
		if !slices.Contains(reg.Interests, l.ProductGroup) && !slices.Contains(reg.Interests, l.ProductSet) {
			continue
		}
		sg.Matched = append(sg.Matched, l)
		if bySet[l.ProductSet] == 0 {
			order = append(order, l.ProductSet)
		}
		bySet[l.ProductSet]++
	}
	for _, set := range order {
		n := bySet[set]
		if forProducer {
			sg.Reasons = append(sg.Reasons, fmt.Sprintf("interested in %s (%d of your listings)", setName(set), n))
		} else {
			sg.Reasons = append(sg.Reasons, fmt.Sprintf("%d %s in %s", n, plural(n, "listing", "listings"), setName(set)))
		}
	}
	sg.Score = scorePerListing * len(sg.Matched)
	if slices.Contains(reg.SourcingProvinces, province) {
		sg.Score += scoreProvince
		name := province
		if pr, ok := places.LookupProvince(province); ok {
			name = pr.Name
		}
		if forProducer {
			sg.Reasons = append(sg.Reasons, "sources from "+name+", your province")
		} else {
			sg.Reasons = append(sg.Reasons, "from "+name+", a province you source from")
		}
	}
	return sg
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// setName is the Vietnamese name of a product set (or group) code.
func setName(code string) string {
	cur := taxonomy.Current()
	for _, g := range cur.Groups {
		if g.Code == code {
			return g.NameVI
		}
		if st, ok := g.Set(code); ok {
			return st.NameVI
		}
	}
	return code
}
