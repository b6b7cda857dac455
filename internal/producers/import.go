package producers

import (
	"context"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// ImportProducer creates or updates a producer from an official list. It
// matches an existing producer by tax code, else by normalised legal name in
// the same commune (several such matches are a validation error). Empty
// contact fields in the input keep what is stored. With verify the producer
// ends up verified (the list is the authority); actorID names the admin
// running the import ("" for the system). The caller authorises.
func (s *Service) ImportProducer(ctx context.Context, in ProducerInput, verify bool, actorID string) (p *ocop.Producer, created bool, err error) {
	next := in.producer()
	if err := validateProducer(next); err != nil {
		return nil, false, err
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		existing, err := s.matchProducer(ctx, next)
		if err != nil {
			return err
		}
		now := s.Now()
		if existing == nil {
			created = true
			next = newImportedProducer(next, verify, now)
			if err := s.Producers.Create(ctx, next, NameKey(next.LegalName)); err != nil {
				return err
			}
			p = next
			if err := s.Audit.Record(ctx, ocop.AuditEntry{ActorID: actorID, Action: "producer.imported", ObjectType: "producer", ObjectID: next.ID, After: auditProducer(next)}); err != nil {
				return err
			}
			if verify {
				return s.enqueue(ctx, TopicProducerChanged, next.ID, map[string]any{"reason": "imported", "status": next.Status})
			}
			return nil
		}
		before := *existing
		merged, changed := mergeImportedProducer(existing, next, verify, now)
		p = &merged
		if !changed {
			return nil
		}
		if err := s.Producers.Update(ctx, &merged, NameKey(merged.LegalName)); err != nil {
			return err
		}
		if err := s.Audit.Record(ctx, ocop.AuditEntry{ActorID: actorID, Action: "producer.imported", ObjectType: "producer", ObjectID: merged.ID,
			Before: auditProducer(&before), After: auditProducer(&merged)}); err != nil {
			return err
		}
		return s.enqueue(ctx, TopicProducerChanged, merged.ID, map[string]any{"reason": "imported", "status": merged.Status})
	})
	if err != nil {
		return nil, false, err
	}
	return p, created, nil
}

func (s *Service) matchProducer(ctx context.Context, p *ocop.Producer) (*ocop.Producer, error) {
	if p.TaxCode != "" {
		found, err := s.Producers.ByTaxCode(ctx, p.TaxCode)
		if err == nil {
			return found, nil
		}
		if !ocop.IsCode(err, ocop.CodeNotFound) {
			return nil, err
		}
	}
	ps, err := s.Producers.ByNameAndCommune(ctx, NameKey(p.LegalName), p.CommuneCode)
	if err != nil {
		return nil, err
	}
	switch len(ps) {
	case 0:
		return nil, nil
	case 1:
		if ps[0].TaxCode != "" && p.TaxCode != "" && ps[0].TaxCode != p.TaxCode {
			return nil, nil // same name, another legal person
		}
		return &ps[0], nil
	}
	return nil, ocop.FieldInvalid("legal_name", "matches %d producers in this commune; give the tax code", len(ps))
}

// ImportCertificate creates or updates a producer's certificate from an
// official list, matched by decision number and normalised product name.
// With verify it ends up verified (or expired, when its date has passed).
func (s *Service) ImportCertificate(ctx context.Context, producerID string, in CertificateInput, verify bool, actorID string) (c *ocop.Certificate, created bool, err error) {
	next, err := s.certificate(in)
	if err != nil {
		return nil, false, err
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Producers.Get(ctx, producerID); err != nil {
			return err
		}
		existing, err := s.Certificates.ByDecisionAndProduct(ctx, producerID, next.DecisionNumber, ProductKey(next.ProductName))
		if err != nil && !ocop.IsCode(err, ocop.CodeNotFound) {
			return err
		}
		now := s.Now()
		status := importedStatus(next, verify, ocop.DateOf(now))
		var before any
		if existing == nil {
			created = true
			next = newImportedCertificate(next, producerID, status, verify, actorID, now)
			if err := s.Certificates.Create(ctx, next, ProductKey(next.ProductName)); err != nil {
				return err
			}
			c = next
		} else {
			merged, changed := mergeImportedCertificate(existing, next, status, verify, actorID, now)
			c = &merged
			if !changed {
				return nil
			}
			before = auditCertificate(existing)
			if err := s.Certificates.Update(ctx, &merged, ProductKey(merged.ProductName)); err != nil {
				return err
			}
		}
		if err := s.Audit.Record(ctx, ocop.AuditEntry{ActorID: actorID, Action: "certificate.imported", ObjectType: "certificate", ObjectID: c.ID,
			Before: before, After: auditCertificate(c)}); err != nil {
			return err
		}
		if c.Status == ocop.CertPending {
			return nil
		}
		return s.enqueue(ctx, TopicCertificateChanged, c.ID, map[string]any{"producer_id": producerID, "status": c.Status})
	})
	if err != nil {
		return nil, false, err
	}
	return c, created, nil
}

// mergeImportedProducer applies an official list's values to a stored
// producer: the list's name, kind and place win, empty contact fields keep
// what is stored; with verify the producer ends up verified, without it a
// verified producer whose legal name or tax code changed goes back to
// pending. It reports whether anything changed (then UpdatedAt is now).
func mergeImportedProducer(existing, next *ocop.Producer, verify bool, now time.Time) (ocop.Producer, bool) {
	before := *existing
	merged := *existing
	merged.LegalName, merged.Kind, merged.ProvinceCode, merged.CommuneCode = next.LegalName, next.Kind, next.ProvinceCode, next.CommuneCode
	for dst, src := range map[*string]string{&merged.TaxCode: next.TaxCode, &merged.Address: next.Address, &merged.Phone: next.Phone,
		&merged.Email: next.Email, &merged.Website: next.Website, &merged.DescriptionVI: next.DescriptionVI, &merged.DescriptionEN: next.DescriptionEN} {
		if src != "" {
			*dst = src
		}
	}
	switch {
	case verify && merged.Status != ocop.ProducerVerified:
		merged.Status, merged.StatusReason, merged.VerifiedAt = ocop.ProducerVerified, "", &now
	case !verify && merged.Status == ocop.ProducerVerified && (merged.LegalName != before.LegalName || merged.TaxCode != before.TaxCode):
		merged.Status, merged.StatusReason, merged.VerifiedAt = ocop.ProducerPending, "legal name or tax code changed by an import", nil
	}
	if merged == before {
		return merged, false
	}
	merged.UpdatedAt = now
	return merged, true
}

// importedStatus is the status an imported certificate gets: pending
// unless the list is trusted (verify), then verified or, past its expiry
// date, expired.
func importedStatus(c *ocop.Certificate, verify bool, today ocop.Date) ocop.CertificateStatus {
	switch {
	case !verify:
		return ocop.CertPending
	case c.ExpiresOn.Before(today):
		return ocop.CertExpired
	}
	return ocop.CertVerified
}

// mergeImportedCertificate applies an official list's values to a stored
// certificate. A trusted list (verify) moves pending, verified and expired
// certificates to status; rejected and revoked ones keep theirs (an admin
// decided). It reports whether anything changed (then UpdatedAt is now).
func mergeImportedCertificate(existing, next *ocop.Certificate, status ocop.CertificateStatus, verify bool, actorID string, now time.Time) (ocop.Certificate, bool) {
	merged := *existing
	merged.ProductName, merged.LegalBasis, merged.ProductGroup, merged.ProductSet, merged.CurrentGroup = next.ProductName, next.LegalBasis, next.ProductGroup, next.ProductSet, next.CurrentGroup
	merged.Stars, merged.DecisionDate, merged.IssuingLevel, merged.IssuingBody, merged.ExpiresOn = next.Stars, next.DecisionDate, next.IssuingLevel, next.IssuingBody, next.ExpiresOn
	if verify && (merged.Status == ocop.CertPending || merged.Status == ocop.CertVerified || merged.Status == ocop.CertExpired) && merged.Status != status {
		merged.ReviewedBy, merged.ReviewedAt = actorID, &now
		merged.Status = status
	}
	if sameImportedCertificate(existing, &merged) {
		return merged, false
	}
	merged.UpdatedAt = now
	return merged, true
}

func sameImportedCertificate(a, b *ocop.Certificate) bool {
	return a.ProductName == b.ProductName && a.LegalBasis == b.LegalBasis && a.ProductGroup == b.ProductGroup &&
		a.ProductSet == b.ProductSet && a.CurrentGroup == b.CurrentGroup && a.Stars == b.Stars &&
		a.DecisionDate.Equal(b.DecisionDate.Time) && a.IssuingLevel == b.IssuingLevel && a.IssuingBody == b.IssuingBody &&
		a.ExpiresOn.Equal(b.ExpiresOn.Time) && a.Status == b.Status
}
