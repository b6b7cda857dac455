package ocop

import "time"

// ListingSource is everything a listing's search document is built from,
// read in one statement so that the parts come from one moment: the
// listing (without photos), its first photo's thumbnail key, its producer
// and the standing of its certificate.
type ListingSource struct {
	Listing  Listing
	ThumbKey string // "" without photos
	// Producer carries ID, LegalName, Kind, Status, ProvinceCode,
	// CommuneCode and UpdatedAt.
	Producer Producer
	// Certificate carries ID, ProducerID, Status, Stars, ExpiresOn and
	// UpdatedAt; nil when the listing names none.
	Certificate *Certificate
}

// Searchable reports whether buyers may find the listing: published by a
// producer that is (still) verified.
func (s *ListingSource) Searchable() bool {
	return s.Listing.Status == ListingPublished && s.Producer.Verified()
}

// StarsOn is the star level the listing shows on day: that of its own
// producer's certificate while it is in force, else 0.
func (s *ListingSource) StarsOn(day Date) int {
	c := s.Certificate
	if c == nil || c.ProducerID != s.Listing.ProducerID || !c.InForceOn(day) {
		return 0
	}
	return c.Stars
}

// DocumentVersion orders the states of a listing's search document: the
// latest change of any record it is built from (listing, producer,
// certificate), in nanoseconds. Every change of those records moves its
// updated_at forward, so a document built later from newer records never
// has a lower version.
func (s *ListingSource) DocumentVersion() int64 {
	t := s.Listing.UpdatedAt
	if s.Producer.UpdatedAt.After(t) {
		t = s.Producer.UpdatedAt
	}
	if c := s.Certificate; c != nil && c.UpdatedAt.After(t) {
		t = c.UpdatedAt
	}
	return t.UnixNano()
}

// ReindexRun is one run of `ocopconnect reindex` carried out by a serving
// process (the embedded index belongs to the process that opened it): the
// command records the request, a worker of the serving process rebuilds the
// index and reports its progress here.
type ReindexRun struct {
	ID         string
	Status     ReindexStatus
	Total      int64
	Done       int64
	Error      string
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	UpdatedAt  time.Time
}

// ReindexStatus is the state of a reindex run.
type ReindexStatus string

const (
	ReindexPending ReindexStatus = "pending"
	ReindexRunning ReindexStatus = "running"
	ReindexDone    ReindexStatus = "done"
	ReindexFailed  ReindexStatus = "failed"
)

// Finished reports whether the run has ended (either way).
func (s ReindexStatus) Finished() bool { return s == ReindexDone || s == ReindexFailed }
