// Package stats is the use case of programme statistics: per province, the
// certified OCOP products by star level and product group, producers by
// kind, the communes with at least one certified product over all communes
// of the province (the coverage the programme is judged by), certificates
// about to expire, published listings and recent trade activity; and the
// same figures drawn as SVG bar charts.
package stats

import (
	"context"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
	"github.com/ocopconnect/ocopconnect/internal/taxonomy"
)

// Windows of the figures.
const (
	ExpiringWithinDays = 90
	RecentDays         = 30
)

// Repo computes raw figures.
type Repo interface {
	ProvinceFigures(ctx context.Context, province string, today, expiringBy ocop.Date, since time.Time) (map[string]*ocop.ProvinceFigures, bool, error)
}

// Service answers statistics questions.
type Service struct {
	Repo Repo
	Now  ocop.Clock
}

// Province is a province's figures with its reference data.
type Province struct {
	*ocop.ProvinceFigures
	Name          string
	CommunesTotal int
}

// Coverage is the share of the province's communes with a certified product.
func (p Province) Coverage() float64 {
	if p.CommunesTotal == 0 {
		return 0
	}
	return float64(p.CoveredCommunes) / float64(p.CommunesTotal)
}

// Overview is every province's figures and the national totals.
type Overview struct {
	AsOf      ocop.Date
	Provinces []Province // ordered by code
	Total     Province
	// InquiriesKnown is false when this deployment has no inquiries.
	InquiriesKnown bool
}

func (s *Service) window() (ocop.Date, ocop.Date, time.Time) {
	now := s.Now()
	today := ocop.DateOf(now)
	return today, ocop.Date{Time: today.AddDate(0, 0, ExpiringWithinDays)}, now.Add(-RecentDays * 24 * time.Hour)
}

// Provinces computes the figures of every province.
func (s *Service) Provinces(ctx context.Context) (*Overview, error) {
	today, by, since := s.window()
	figs, known, err := s.Repo.ProvinceFigures(ctx, "", today, by, since)
	if err != nil {
		return nil, err
	}
	o := &Overview{AsOf: today, InquiriesKnown: known}
	total := ocop.NewProvinceFigures("")
	o.Total = Province{ProvinceFigures: total, Name: "Cả nước"}
	if known {
		zero := 0
		total.Inquiries = &zero
	}
	for _, p := range places.Provinces() {
		pr := province(p, figs[p.Code], known)
		o.Provinces = append(o.Provinces, pr)
		add(total, pr.ProvinceFigures)
		o.Total.CommunesTotal += pr.CommunesTotal
	}
	return o, nil
}

// Province computes one province's figures (not_found for an unknown code).
func (s *Service) Province(ctx context.Context, code string) (*Province, ocop.Date, error) {
	p, ok := places.LookupProvince(code)
	if !ok {
		return nil, ocop.Date{}, ocop.NotFound("province")
	}
	today, by, since := s.window()
	figs, known, err := s.Repo.ProvinceFigures(ctx, code, today, by, since)
	if err != nil {
		return nil, ocop.Date{}, err
	}
	pr := province(p, figs[code], known)
	return &pr, today, nil
}

func province(p places.Province, f *ocop.ProvinceFigures, inquiriesKnown bool) Province {
	if f == nil {
		f = ocop.NewProvinceFigures(p.Code)
	}
	if inquiriesKnown && f.Inquiries == nil {
		zero := 0
		f.Inquiries = &zero
	}
	return Province{ProvinceFigures: f, Name: p.Name, CommunesTotal: len(places.Communes(p.Code))}
}

func add(dst, src *ocop.ProvinceFigures) {
	for k, v := range src.CertifiedByStars {
		dst.CertifiedByStars[k] += v
	}
	for k, v := range src.CertifiedByGroup {
		dst.CertifiedByGroup[k] += v
	}
	for k, v := range src.ProducersByKind {
		dst.ProducersByKind[k] += v
	}
	dst.CoveredCommunes += src.CoveredCommunes
	dst.ExpiringCertificates += src.ExpiringCertificates
	dst.PublishedListings += src.PublishedListings
	dst.Bookings += src.Bookings
	if dst.Inquiries != nil && src.Inquiries != nil {
		n := *dst.Inquiries + *src.Inquiries
		dst.Inquiries = &n
	}
}

// Groups lists the current product groups (code, Vietnamese name) in order.
func Groups() []taxonomy.Group { return taxonomy.Current().Groups }
