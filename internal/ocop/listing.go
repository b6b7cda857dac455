package ocop

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ListingStatus is where a listing is in its life:
//
//	draft -> published <-> paused -> archived   (draft and paused may be archived too)
//
// Only published listings are shown to buyers; archived ones are read-only
// and have had their photos removed.
type ListingStatus string

const (
	ListingDraft     ListingStatus = "draft"
	ListingPublished ListingStatus = "published"
	ListingPaused    ListingStatus = "paused"
	ListingArchived  ListingStatus = "archived"
)

// ListingStatuses lists every status in life-cycle order.
var ListingStatuses = []ListingStatus{ListingDraft, ListingPublished, ListingPaused, ListingArchived}

// Valid reports whether s is a known status.
func (s ListingStatus) Valid() bool { return slices.Contains(ListingStatuses, s) }

// CanMoveTo reports whether the life cycle allows s -> to.
func (s ListingStatus) CanMoveTo(to ListingStatus) bool {
	switch to {
	case ListingPublished:
		return s == ListingDraft || s == ListingPaused
	case ListingPaused:
		return s == ListingPublished
	case ListingArchived:
		return s != ListingArchived
	}
	return false
}

// ListingCertifications are the certifications besides OCOP that buyers
// (importers above all) filter on. A closed list, so they can be faceted.
var ListingCertifications = []string{
	"vietgap", "globalgap", "organic_vn", "organic_eu", "organic_usda", "organic_jas",
	"haccp", "iso_22000", "fssc_22000", "brc", "halal", "kosher", "fda_registered", "fair_trade", "rainforest_alliance",
}

// Listing limits, shared by validation and the API contract.
const (
	ListingTitleMax       = 200
	ListingDescriptionMax = 10000
	ListingUnitMax        = 40
	ListingPackagingMax   = 500
	ListingMaxTags        = 20
	ListingTagMax         = 40
	ListingMaxMarkets     = 50
	// ListingPriceMaxVND bounds prices far above any OCOP product (10^13 VND)
	// so that arithmetic on them can never overflow.
	ListingPriceMaxVND = 10_000_000_000_000
	ListingQtyMax      = 1_000_000_000
	ListingDaysMax     = 3650
)

// Listing is a product offer of a producer: what buyers find and ask about.
// Optional numbers are nil when the producer did not state them.
type Listing struct {
	ID            string
	ProducerID    string
	Status        ListingStatus
	TitleVI       string
	TitleEN       string
	DescriptionVI string
	DescriptionEN string
	// ProductGroup and ProductSet are codes of the current taxonomy.
	ProductGroup string
	ProductSet   string
	// CertificateID names the OCOP certificate of the product ("" none). The
	// star level shown comes from it, and only while it is in force.
	CertificateID   string
	Unit            string // e.g. "kg", "hộp 500 g", "chai 750 ml"
	PriceMinVND     *int64
	PriceMaxVND     *int64
	MinOrderQty     int64
	MonthlyCapacity *int64 // units per month
	LeadTimeDays    *int
	ShelfLifeDays   *int
	Packaging       string
	Tags            []string
	HarvestMonths   []int // 1-12, the months the product is available fresh
	SampleAvailable bool
	ExportMarkets   []string // ISO 3166-1 alpha-2 codes (and EU)
	Certifications  []string // from ListingCertifications
	// Version counts changes; it is the ETag that guards concurrent edits.
	Version     int64
	PublishedAt *time.Time
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time

	Images []ListingImage
}

// ListingImage is one photo of a listing, stored as re-encoded display and
// thumbnail variants under server-generated keys.
type ListingImage struct {
	ID        string
	ListingID string
	Position  int // 0-based display order
	// Width and Height are the upright dimensions of the uploaded original.
	Width, Height int
	SourceFormat  string // jpeg, png or webp
	SourceBytes   int64
	Display       ImageVariant
	Thumb         ImageVariant
	CreatedAt     time.Time
}

// Keys lists the stored objects of the image.
func (im ListingImage) Keys() []string { return []string{im.Display.Key, im.Thumb.Key} }

// ImageVariant is one stored rendition of an image.
type ImageVariant struct {
	Key         string
	ContentType string
	Width       int
	Height      int
	Size        int64
}

// ListingFilter selects a page of listings.
type ListingFilter struct {
	ProducerID string
	Statuses   []ListingStatus // empty = any
	// Before is the id cursor: listings come newest first (ids are UUIDv7).
	Before string
	Limit  int
}

// ListingCard is what a search result shows of a listing: the listing, its
// producer's name, kind and place, the stars in force and the first photo.
type ListingCard struct {
	Listing      Listing
	ProducerName string
	ProducerKind string
	// ProducerVerified: only verified producers can publish, but a producer
	// can lose verification after publishing.
	ProducerVerified bool
	ProvinceCode     string
	CommuneCode      string
	Stars            int    // 0 = no certificate in force
	ThumbnailPath    string // "/media/<name>", "" without photos
	ImageCount       int
}

var (
	marketRe = regexp.MustCompile(`^[A-Z]{2}$`)
	tagSpace = regexp.MustCompile(`\s+`)
)

// Normalize trims free text and tidies lists the way users expect them to
// be stored: tags lower-cased and de-duplicated, markets upper-cased, months
// and lists sorted.
func (l *Listing) Normalize() {
	l.TitleVI = strings.TrimSpace(l.TitleVI)
	l.TitleEN = strings.TrimSpace(l.TitleEN)
	l.DescriptionVI = strings.TrimSpace(l.DescriptionVI)
	l.DescriptionEN = strings.TrimSpace(l.DescriptionEN)
	l.Unit = strings.TrimSpace(l.Unit)
	l.Packaging = strings.TrimSpace(l.Packaging)
	l.CertificateID = strings.TrimSpace(l.CertificateID)
	l.Tags = normalizeSet(l.Tags, func(s string) string {
		return tagSpace.ReplaceAllString(strings.ToLower(strings.TrimSpace(s)), " ")
	})
	l.ExportMarkets = normalizeSet(l.ExportMarkets, func(s string) string { return strings.ToUpper(strings.TrimSpace(s)) })
	l.Certifications = normalizeSet(l.Certifications, func(s string) string { return strings.ToLower(strings.TrimSpace(s)) })
	if l.HarvestMonths != nil {
		ms := slices.Clone(l.HarvestMonths)
		slices.Sort(ms)
		l.HarvestMonths = slices.Compact(ms)
	}
}

func normalizeSet(in []string, f func(string) string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = f(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// Validate checks the listing's own fields after Normalize. The taxonomy
// codes and the certificate are checked by the use case (reference data and
// other records).
func (l *Listing) Validate(v *Validation) {
	ValidateText(v, "title_vi", l.TitleVI, true, ListingTitleMax)
	ValidateText(v, "title_en", l.TitleEN, false, ListingTitleMax)
	ValidateText(v, "description_vi", l.DescriptionVI, true, ListingDescriptionMax)
	ValidateText(v, "description_en", l.DescriptionEN, false, ListingDescriptionMax)
	ValidateText(v, "unit", l.Unit, true, ListingUnitMax)
	ValidateText(v, "packaging", l.Packaging, false, ListingPackagingMax)
	checkPrice := func(field string, p *int64) {
		if p != nil && (*p < 1 || *p > ListingPriceMaxVND) {
			v.Add(field, "must be a whole number of đồng between 1 and %d", int64(ListingPriceMaxVND))
		}
	}
	checkPrice("price_min_vnd", l.PriceMinVND)
	checkPrice("price_max_vnd", l.PriceMaxVND)
	if l.PriceMinVND != nil && l.PriceMaxVND != nil && !v.Has("price_min_vnd") && !v.Has("price_max_vnd") && *l.PriceMinVND > *l.PriceMaxVND {
		v.Add("price_max_vnd", "must not be below price_min_vnd")
	}
	if l.PriceMinVND == nil && l.PriceMaxVND != nil {
		v.Add("price_min_vnd", "is required when price_max_vnd is given")
	}
	if l.MinOrderQty < 1 || l.MinOrderQty > ListingQtyMax {
		v.Add("min_order_qty", "must be between 1 and %d", ListingQtyMax)
	}
	if l.MonthlyCapacity != nil && (*l.MonthlyCapacity < 1 || *l.MonthlyCapacity > ListingQtyMax) {
		v.Add("monthly_capacity", "must be between 1 and %d", ListingQtyMax)
	}
	if l.MonthlyCapacity != nil && !v.Has("monthly_capacity") && !v.Has("min_order_qty") && *l.MonthlyCapacity < l.MinOrderQty {
		v.Add("monthly_capacity", "must not be below min_order_qty (no order could ever be filled)")
	}
	if l.LeadTimeDays != nil && (*l.LeadTimeDays < 0 || *l.LeadTimeDays > ListingDaysMax) {
		v.Add("lead_time_days", "must be between 0 and %d", ListingDaysMax)
	}
	if l.ShelfLifeDays != nil && (*l.ShelfLifeDays < 1 || *l.ShelfLifeDays > ListingDaysMax) {
		v.Add("shelf_life_days", "must be between 1 and %d", ListingDaysMax)
	}
	if len(l.Tags) > ListingMaxTags {
		v.Add("tags", "must have at most %d tags", ListingMaxTags)
	}
	for _, t := range l.Tags {
		if utf8.RuneCountInString(t) > ListingTagMax || !utf8.ValidString(t) {
			v.Add("tags", "each tag must be valid text of at most %d characters", ListingTagMax)
			break
		}
	}
	for _, m := range l.HarvestMonths {
		if m < 1 || m > 12 {
			v.Add("harvest_months", "must be months 1 to 12")
			break
		}
	}
	if len(l.ExportMarkets) > ListingMaxMarkets {
		v.Add("export_markets", "must have at most %d markets", ListingMaxMarkets)
	}
	for _, m := range l.ExportMarkets {
		if !marketRe.MatchString(m) {
			v.Add("export_markets", "must be two-letter country codes such as JP, US or EU")
			break
		}
	}
	for _, c := range l.Certifications {
		if !slices.Contains(ListingCertifications, c) {
			v.Add("certifications", "must be among %s", strings.Join(ListingCertifications, ", "))
			break
		}
	}
}
