package ocop

// ProvinceFigures are a province's OCOP programme figures on a day.
type ProvinceFigures struct {
	ProvinceCode string
	// Certified products: certificates in force (verified, not past expiry).
	CertifiedByStars map[int]int    // 3, 4, 5 -> count
	CertifiedByGroup map[string]int // current taxonomy group -> count
	// Producers (all but rejected ones) by kind.
	ProducersByKind map[ProducerKind]int
	// CoveredCommunes have at least one certified product.
	CoveredCommunes int
	// ExpiringCertificates are in force and expire within the window asked for.
	ExpiringCertificates int
	PublishedListings    int
	// Inquiries and Bookings made in the recent window; Inquiries is nil
	// when this deployment has no inquiries.
	Inquiries *int
	Bookings  int
}

// NewProvinceFigures is an empty set of figures for a province.
func NewProvinceFigures(code string) *ProvinceFigures {
	return &ProvinceFigures{ProvinceCode: code, CertifiedByStars: map[int]int{}, CertifiedByGroup: map[string]int{},
		ProducersByKind: map[ProducerKind]int{}}
}

// Certified is the number of certified products.
func (f *ProvinceFigures) Certified() int {
	n := 0
	for _, c := range f.CertifiedByStars {
		n += c
	}
	return n
}

// Producers is the number of producers.
func (f *ProvinceFigures) Producers() int {
	n := 0
	for _, c := range f.ProducersByKind {
		n += c
	}
	return n
}
