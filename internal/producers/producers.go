package producers

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/places"
)

// ProducerInput is a new producer profile.
type ProducerInput struct {
	LegalName     string
	Kind          ocop.ProducerKind
	TaxCode       string
	ProvinceCode  string
	CommuneCode   string
	Address       string
	Phone         string
	Email         string
	Website       string
	DescriptionVI string
	DescriptionEN string
}

func (in ProducerInput) producer() *ocop.Producer {
	return &ocop.Producer{
		LegalName: strings.TrimSpace(in.LegalName), Kind: in.Kind, TaxCode: ocop.NormalizeTaxCode(in.TaxCode),
		ProvinceCode: strings.TrimSpace(in.ProvinceCode), CommuneCode: strings.TrimSpace(in.CommuneCode),
		Address: strings.TrimSpace(in.Address), Phone: ocop.NormalizePhone(in.Phone), Email: ocop.NormalizeEmail(in.Email),
		Website: strings.TrimSpace(in.Website), DescriptionVI: strings.TrimSpace(in.DescriptionVI),
		DescriptionEN: strings.TrimSpace(in.DescriptionEN),
	}
}

func validateProducer(p *ocop.Producer) error {
	var v ocop.Validation
	p.Validate(&v)
	places.Validate(&v, p.ProvinceCode, p.CommuneCode)
	return v.Err()
}

// NameKey is how producer names are compared (imports match on it): folded,
// without diacritics or punctuation.
func NameKey(legalName string) string { return places.Fold(legalName) }

// Create registers a producer; the calling producer-role user becomes its
// owner. It starts pending until an admin verifies it.
func (s *Service) Create(ctx context.Context, in ProducerInput) (*ocop.Producer, error) {
	pr, ok := caller(ctx)
	if !ok || !pr.HasRole(ocop.RoleProducer) {
		return nil, ocop.Errorf(ocop.CodeForbidden, "only a producer account can register a producer")
	}
	p := in.producer()
	if err := validateProducer(p); err != nil {
		return nil, err
	}
	now := s.Now()
	p.ID, p.Status, p.CreatedBy, p.CreatedAt, p.UpdatedAt = uuid.Must(uuid.NewV7()).String(), ocop.ProducerPending, pr.UserID, now, now
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.Producers.Create(ctx, p, NameKey(p.LegalName)); err != nil {
			return err
		}
		if err := s.Producers.AddMember(ctx, ocop.ProducerMember{ProducerID: p.ID, UserID: pr.UserID, Role: ocop.MemberOwner, CreatedAt: now}); err != nil {
			return err
		}
		return s.audit(ctx, "producer.created", "producer", p.ID, nil, auditProducer(p))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// auditProducer is the snapshot of a producer kept in the audit trail.
func auditProducer(p *ocop.Producer) map[string]any {
	return map[string]any{
		"legal_name": p.LegalName, "kind": p.Kind, "tax_code": p.TaxCode, "province_code": p.ProvinceCode,
		"commune_code": p.CommuneCode, "status": p.Status, "status_reason": p.StatusReason,
	}
}

// Profile is what GET /producers/{id} shows: the producer, its
// certificates in force, and what the caller may do with it.
type Profile struct {
	Producer   *ocop.Producer
	InForce    []ocop.Certificate
	CallerRole ocop.MemberRole // "" for the public
	Today      ocop.Date
}

// Profile loads a producer's public profile. Rejected producers are shown
// to their members and admins only.
func (s *Service) Profile(ctx context.Context, id string) (*Profile, error) {
	p, err := s.Producers.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	var role ocop.MemberRole
	if c, ok := caller(ctx); ok {
		if role, err = s.Producers.MemberRole(ctx, id, c.UserID); err != nil {
			return nil, err
		}
	}
	if p.Status == ocop.ProducerRejected && role == "" && !isAdmin(ctx) {
		return nil, ocop.NotFound("producer")
	}
	now := s.Now()
	certs, err := s.CertificatesInForce(ctx, id, now)
	if err != nil {
		return nil, err
	}
	return &Profile{Producer: p, InForce: certs, CallerRole: role, Today: ocop.DateOf(now)}, nil
}

// ProducerPatch changes some fields of a profile; nil leaves a field alone
// and "" clears an optional one.
type ProducerPatch struct {
	LegalName     *string
	Kind          *ocop.ProducerKind
	TaxCode       *string
	ProvinceCode  *string
	CommuneCode   *string
	Address       *string
	Phone         *string
	Email         *string
	Website       *string
	DescriptionVI *string
	DescriptionEN *string
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// Update edits a profile (owner or staff). Changing the legal name or tax
// code of a verified producer sends it back to pending, since that is what
// the admin verified; any edit of a rejected producer asks for review again.
func (s *Service) Update(ctx context.Context, id string, patch ProducerPatch) (*ocop.Producer, error) {
	var out *ocop.Producer
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.CallerRole(ctx, id); err != nil {
			return err
		}
		p, err := s.Producers.GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		before := *p
		in := ProducerInput{
			LegalName: p.LegalName, Kind: p.Kind, TaxCode: p.TaxCode, ProvinceCode: p.ProvinceCode, CommuneCode: p.CommuneCode,
			Address: p.Address, Phone: p.Phone, Email: p.Email, Website: p.Website, DescriptionVI: p.DescriptionVI, DescriptionEN: p.DescriptionEN,
		}
		set(&in.LegalName, patch.LegalName)
		set(&in.Kind, patch.Kind)
		set(&in.TaxCode, patch.TaxCode)
		set(&in.ProvinceCode, patch.ProvinceCode)
		set(&in.CommuneCode, patch.CommuneCode)
		set(&in.Address, patch.Address)
		set(&in.Phone, patch.Phone)
		set(&in.Email, patch.Email)
		set(&in.Website, patch.Website)
		set(&in.DescriptionVI, patch.DescriptionVI)
		set(&in.DescriptionEN, patch.DescriptionEN)
		next := in.producer()
		if err := validateProducer(next); err != nil {
			return err
		}
		next.ID, next.LogoKey, next.LogoThumbKey, next.CreatedBy, next.CreatedAt, next.UpdatedAt = p.ID, p.LogoKey, p.LogoThumbKey, p.CreatedBy, p.CreatedAt, p.UpdatedAt
		next.Status, next.StatusReason, next.VerifiedAt = p.Status, p.StatusReason, p.VerifiedAt
		identityChanged := next.LegalName != p.LegalName || next.TaxCode != p.TaxCode
		switch {
		case p.Status == ocop.ProducerVerified && identityChanged:
			next.Status, next.StatusReason, next.VerifiedAt = ocop.ProducerPending, "legal name or tax code changed after verification", nil
		case p.Status == ocop.ProducerRejected:
			next.Status, next.StatusReason = ocop.ProducerPending, ""
		}
		if *next == before {
			out = p
			return nil // nothing changed: no audit entry, no message
		}
		next.UpdatedAt = s.Now()
		if err := s.Producers.Update(ctx, next, NameKey(next.LegalName)); err != nil {
			return err
		}
		if err := s.audit(ctx, "producer.updated", "producer", id, auditProducer(&before), auditProducer(next)); err != nil {
			return err
		}
		if next.LegalName != before.LegalName || next.Status != before.Status || next.ProvinceCode != before.ProvinceCode || next.CommuneCode != before.CommuneCode {
			if err := s.enqueue(ctx, TopicProducerChanged, id, map[string]any{"reason": "updated", "status": next.Status}); err != nil {
				return err
			}
		}
		out = next
		return nil
	})
	return out, err
}

// ListInput filters the public producer directory.
type ListInput struct {
	ProvinceCode string
	Kind         string
	Verified     *bool
	Query        string
	Limit        int
	Cursor       string
}

// ListPage is a page of producers.
type ListPage struct {
	Producers  []ocop.Producer
	NextCursor string
}

// List returns a page of the producer directory, in registration order.
// Rejected producers are listed for admins only.
func (s *Service) List(ctx context.Context, in ListInput) (*ListPage, error) {
	var v ocop.Validation
	if in.ProvinceCode != "" {
		places.ValidateProvince(&v, "province_code", in.ProvinceCode, false)
	}
	if in.Kind != "" && !ocop.ProducerKind(in.Kind).Valid() {
		v.Add("kind", "must be enterprise, cooperative, cooperative_group or household_business")
	}
	switch {
	case in.Limit == 0:
		in.Limit = 20
	case in.Limit < 1 || in.Limit > 100:
		v.Add("limit", "must be between 1 and 100")
	}
	after, err := ocop.DecodeCursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	f := ocop.ProducerFilter{ProvinceCode: in.ProvinceCode, Kind: in.Kind, NameContains: places.Fold(in.Query), After: after, Limit: in.Limit + 1}
	switch {
	case in.Verified != nil && *in.Verified:
		f.Status = []ocop.ProducerStatus{ocop.ProducerVerified}
	case in.Verified != nil && isAdmin(ctx):
		f.Status = []ocop.ProducerStatus{ocop.ProducerPending, ocop.ProducerRejected}
	case in.Verified != nil:
		f.Status = []ocop.ProducerStatus{ocop.ProducerPending}
	case !isAdmin(ctx):
		f.Status = []ocop.ProducerStatus{ocop.ProducerPending, ocop.ProducerVerified}
	}
	ps, err := s.Producers.List(ctx, f)
	if err != nil {
		return nil, err
	}
	page := &ListPage{Producers: ps}
	if len(ps) > in.Limit {
		page.Producers = ps[:in.Limit]
		page.NextCursor = ocop.EncodeCursor(ps[in.Limit-1].ID)
	}
	return page, nil
}

// Mine lists the producers the caller is a member of, with the role.
func (s *Service) Mine(ctx context.Context) ([]ocop.Producer, []ocop.MemberRole, error) {
	p, ok := caller(ctx)
	if !ok {
		return nil, nil, ocop.Errorf(ocop.CodeUnauthenticated, "sign in to see your producers")
	}
	return s.Producers.ForUser(ctx, p.UserID)
}

// Verify marks a producer verified (admins).
func (s *Service) Verify(ctx context.Context, id, reason string) (*ocop.Producer, error) {
	return s.review(ctx, id, ocop.ProducerVerified, strings.TrimSpace(reason))
}

// Reject refuses (or withdraws) a producer's verification (admins); the
// reason is required and shown to the producer.
func (s *Service) Reject(ctx context.Context, id, reason string) (*ocop.Producer, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, ocop.FieldInvalid("reason", "is required: tell the producer what to fix")
	}
	return s.review(ctx, id, ocop.ProducerRejected, reason)
}

func (s *Service) review(ctx context.Context, id string, to ocop.ProducerStatus, reason string) (*ocop.Producer, error) {
	if _, err := requireAdmin(ctx, "verify or reject producers"); err != nil {
		return nil, err
	}
	if len([]rune(reason)) > 1000 {
		return nil, ocop.FieldInvalid("reason", "must be at most 1000 characters")
	}
	var out *ocop.Producer
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		p, err := s.Producers.GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if p.Status == to {
			return ocop.Errorf(ocop.CodeConflict, "the producer is already %s", to)
		}
		before := *p
		now := s.Now()
		p.Status, p.StatusReason, p.UpdatedAt = to, reason, now
		if to == ocop.ProducerVerified {
			p.VerifiedAt = &now
		} else {
			p.VerifiedAt = nil
		}
		if err := s.Producers.Update(ctx, p, NameKey(p.LegalName)); err != nil {
			return err
		}
		if err := s.audit(ctx, "producer."+string(to), "producer", id, auditProducer(&before), auditProducer(p)); err != nil {
			return err
		}
		out = p
		return s.enqueue(ctx, TopicProducerChanged, id, map[string]any{"reason": string(to), "status": to})
	})
	return out, err
}

// Members lists a producer's members (owner and staff only).
func (s *Service) Members(ctx context.Context, producerID string) ([]ocop.ProducerMember, error) {
	if _, err := s.CallerRole(ctx, producerID); err != nil {
		return nil, err
	}
	return s.Producers.Members(ctx, producerID)
}

// AddStaff makes the account with the e-mail a staff member (owner only).
func (s *Service) AddStaff(ctx context.Context, producerID, email string) (*ocop.ProducerMember, error) {
	email = ocop.NormalizeEmail(email)
	var v ocop.Validation
	ocop.ValidateEmail(&v, "email", email)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *ocop.ProducerMember
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.requireOwner(ctx, producerID); err != nil {
			return err
		}
		u, err := s.Users.GetByEmail(ctx, email)
		if ocop.IsCode(err, ocop.CodeNotFound) {
			return ocop.FieldInvalid("email", "has no account; ask them to register as a producer first")
		}
		if err != nil {
			return err
		}
		if !u.HasRole(ocop.RoleProducer) {
			return ocop.FieldInvalid("email", "belongs to an account that is not registered as a producer")
		}
		m := ocop.ProducerMember{ProducerID: producerID, UserID: u.ID, Role: ocop.MemberStaff, Email: u.Email, DisplayName: u.DisplayName, CreatedAt: s.Now()}
		if err := s.Producers.AddMember(ctx, m); err != nil {
			return err
		}
		out = &m
		return s.audit(ctx, "producer.member_added", "producer", producerID, nil, map[string]any{"user_id": u.ID, "role": m.Role})
	})
	return out, err
}

// RemoveStaff removes a staff member (owner only; the owner stays).
func (s *Service) RemoveStaff(ctx context.Context, producerID, userID string) error {
	return s.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.requireOwner(ctx, producerID); err != nil {
			return err
		}
		role, err := s.Producers.MemberRole(ctx, producerID, userID)
		if err != nil {
			return err
		}
		switch role {
		case "":
			return ocop.NotFound("member")
		case ocop.MemberOwner:
			return ocop.Errorf(ocop.CodeConflict, "the owner cannot be removed")
		}
		if err := s.Producers.RemoveMember(ctx, producerID, userID); err != nil {
			return err
		}
		return s.audit(ctx, "producer.member_removed", "producer", producerID, map[string]any{"user_id": userID, "role": role}, nil)
	})
}

// requireOwner lets the owner through; staff are forbidden (they can see
// the producer, so a 404 would be a lie) and others get not_found.
func (s *Service) requireOwner(ctx context.Context, producerID string) error {
	role, err := s.CallerRole(ctx, producerID)
	if err != nil {
		return err
	}
	if role != ocop.MemberOwner {
		return ocop.Errorf(ocop.CodeForbidden, "only the producer's owner can manage members")
	}
	return nil
}
