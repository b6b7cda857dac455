package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

type producerRow struct {
	ID            string `gorm:"primaryKey"`
	LegalName     string
	NameKey       string
	Kind          string
	TaxCode       *string
	ProvinceCode  string
	CommuneCode   string
	Address       string
	Phone         string
	Email         string
	Website       string
	DescriptionVI string `gorm:"column:description_vi"`
	DescriptionEN string `gorm:"column:description_en"`
	LogoKey       *string
	LogoThumbKey  *string
	Status        string
	StatusReason  string
	VerifiedAt    *time.Time
	CreatedBy     *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (producerRow) TableName() string { return "producers" }

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func strVal(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (r *producerRow) toDomain() *ocop.Producer {
	return &ocop.Producer{
		ID: r.ID, LegalName: r.LegalName, Kind: ocop.ProducerKind(r.Kind), TaxCode: strVal(r.TaxCode),
		ProvinceCode: r.ProvinceCode, CommuneCode: r.CommuneCode, Address: r.Address, Phone: r.Phone, Email: r.Email,
		Website: r.Website, DescriptionVI: r.DescriptionVI, DescriptionEN: r.DescriptionEN, LogoKey: strVal(r.LogoKey),
		LogoThumbKey: strVal(r.LogoThumbKey), Status: ocop.ProducerStatus(r.Status), StatusReason: r.StatusReason, VerifiedAt: utcPtr(r.VerifiedAt),
		CreatedBy: strVal(r.CreatedBy), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func producerRowOf(p *ocop.Producer, nameKey string) producerRow {
	return producerRow{
		ID: p.ID, LegalName: p.LegalName, NameKey: nameKey, Kind: string(p.Kind), TaxCode: strPtr(p.TaxCode),
		ProvinceCode: p.ProvinceCode, CommuneCode: p.CommuneCode, Address: p.Address, Phone: p.Phone, Email: p.Email,
		Website: p.Website, DescriptionVI: p.DescriptionVI, DescriptionEN: p.DescriptionEN, LogoKey: strPtr(p.LogoKey),
		LogoThumbKey: strPtr(p.LogoThumbKey), Status: string(p.Status), StatusReason: p.StatusReason, VerifiedAt: utcPtr(p.VerifiedAt),
		CreatedBy: strPtr(p.CreatedBy), CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
	}
}

// producerColumns is every column a profile update may write, by name.
func producerColumns(p *ocop.Producer, nameKey string) map[string]any {
	return map[string]any{
		"legal_name": p.LegalName, "name_key": nameKey, "kind": string(p.Kind), "tax_code": strPtr(p.TaxCode),
		"province_code": p.ProvinceCode, "commune_code": p.CommuneCode, "address": p.Address, "phone": p.Phone,
		"email": p.Email, "website": p.Website, "description_vi": p.DescriptionVI, "description_en": p.DescriptionEN,
		"logo_key": strPtr(p.LogoKey), "logo_thumb_key": strPtr(p.LogoThumbKey), "status": string(p.Status), "status_reason": p.StatusReason,
		"verified_at": utcPtr(p.VerifiedAt), "updated_at": p.UpdatedAt.UTC(),
	}
}

// Producers is the producer repository (profiles and members).
type Producers struct{ s *Store }

// Producers returns the producer repository.
func (s *Store) Producers() *Producers { return &Producers{s} }

// errTaxCodeTaken is the answer to a second producer with the same tax code.
func errTaxCodeTaken(err error) error {
	return &ocop.Error{Code: ocop.CodeConflict, Message: "a producer with this tax code is already registered",
		Fields: []ocop.FieldError{{Field: "tax_code", Message: "is already registered"}}, Err: err}
}

// isUniqueViolation reports whether err broke the named unique index (or,
// where SQLite names columns instead, the unique column of table).
func isUniqueViolation(err error, name, table, column string) bool {
	cv, ok := ocop.AsConstraint(err)
	if !ok || cv.Kind != "unique" {
		return false
	}
	if cv.Name == name {
		return true
	}
	return column != "" && cv.Table == table && slices.Contains(cv.Columns, column)
}

// Create inserts a producer; nameKey is its folded legal name.
func (r *Producers) Create(ctx context.Context, p *ocop.Producer, nameKey string) error {
	row := producerRowOf(p, nameKey)
	if err := translate(r.s.conn(ctx).Create(&row).Error); err != nil {
		if isUniqueViolation(err, "producers_tax_code_key", "producers", "tax_code") {
			return errTaxCodeTaken(err)
		}
		return err
	}
	return nil
}

// Update writes every profile column of p (by name).
func (r *Producers) Update(ctx context.Context, p *ocop.Producer, nameKey string) error {
	res := r.s.conn(ctx).Model(&producerRow{}).Where("id = ?", p.ID).Updates(producerColumns(p, nameKey))
	if err := translate(res.Error); err != nil {
		if isUniqueViolation(err, "producers_tax_code_key", "producers", "tax_code") {
			return errTaxCodeTaken(err)
		}
		return err
	}
	if res.RowsAffected == 0 {
		return ocop.NotFound("producer")
	}
	return nil
}

// Get loads a producer.
func (r *Producers) Get(ctx context.Context, id string) (*ocop.Producer, error) {
	var row producerRow
	err := r.s.conn(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("producer")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// GetForUpdate loads a producer inside a transaction, locking its row on
// PostgreSQL (SQLite transactions already hold the write lock).
func (r *Producers) GetForUpdate(ctx context.Context, id string) (*ocop.Producer, error) {
	q := r.s.conn(ctx).Where("id = ?", id)
	if r.s.isPostgres() {
		q = q.Clauses(lockingUpdate())
	}
	var row producerRow
	err := q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("producer")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// ByTaxCode finds the producer with a tax code.
func (r *Producers) ByTaxCode(ctx context.Context, taxCode string) (*ocop.Producer, error) {
	var row producerRow
	err := r.s.conn(ctx).Where("tax_code = ?", taxCode).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ocop.NotFound("producer")
	}
	if err != nil {
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

// ByNameAndCommune finds producers by folded legal name in a commune.
func (r *Producers) ByNameAndCommune(ctx context.Context, nameKey, communeCode string) ([]ocop.Producer, error) {
	var rows []producerRow
	if err := r.s.conn(ctx).Where("name_key = ? AND commune_code = ?", nameKey, communeCode).Order("id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	return producersOf(rows), nil
}

func producersOf(rows []producerRow) []ocop.Producer {
	out := make([]ocop.Producer, len(rows))
	for i := range rows {
		out[i] = *rows[i].toDomain()
	}
	return out
}

// List returns a page of producers ordered by id (creation order).
func (r *Producers) List(ctx context.Context, f ocop.ProducerFilter) ([]ocop.Producer, error) {
	q := r.s.conn(ctx).Model(&producerRow{})
	if f.ProvinceCode != "" {
		q = q.Where("province_code = ?", f.ProvinceCode)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if len(f.Status) > 0 {
		st := make([]string, len(f.Status))
		for i, s := range f.Status {
			st[i] = string(s)
		}
		q = q.Where("status IN ?", st)
	}
	if f.NameContains != "" {
		q = q.Where("name_key LIKE ? ESCAPE '\\'", "%"+escapeLike(f.NameContains)+"%")
	}
	if f.After != "" {
		q = q.Where("id > ?", f.After)
	}
	var rows []producerRow
	if err := q.Order("id").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	return producersOf(rows), nil
}

// escapeLike escapes LIKE wildcards in user input.
func escapeLike(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out)
}

type memberRow struct {
	ProducerID string `gorm:"primaryKey"`
	UserID     string `gorm:"primaryKey"`
	Role       string
	CreatedAt  time.Time
}

func (memberRow) TableName() string { return "producer_members" }

// AddMember inserts a membership; a user already a member is a conflict.
func (r *Producers) AddMember(ctx context.Context, m ocop.ProducerMember) error {
	row := memberRow{ProducerID: m.ProducerID, UserID: m.UserID, Role: string(m.Role), CreatedAt: m.CreatedAt.UTC()}
	err := translate(r.s.conn(ctx).Create(&row).Error)
	if cv, ok := ocop.AsConstraint(err); ok && cv.Kind == "unique" {
		return &ocop.Error{Code: ocop.CodeConflict, Message: "this user is already a member of the producer",
			Fields: []ocop.FieldError{{Field: "email", Message: "is already a member"}}, Err: err}
	}
	return err
}

// RemoveMember deletes a membership.
func (r *Producers) RemoveMember(ctx context.Context, producerID, userID string) error {
	res := r.s.conn(ctx).Where("producer_id = ? AND user_id = ?", producerID, userID).Delete(&memberRow{})
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ocop.NotFound("member")
	}
	return nil
}

// MemberRole is the user's role in the producer, or "" when none.
func (r *Producers) MemberRole(ctx context.Context, producerID, userID string) (ocop.MemberRole, error) {
	var rows []memberRow
	if err := r.s.conn(ctx).Where("producer_id = ? AND user_id = ?", producerID, userID).Limit(1).Find(&rows).Error; err != nil {
		return "", translate(err)
	}
	if len(rows) == 0 {
		return "", nil
	}
	return ocop.MemberRole(rows[0].Role), nil
}

// Members lists a producer's members with their names, owner first.
func (r *Producers) Members(ctx context.Context, producerID string) ([]ocop.ProducerMember, error) {
	var rows []struct {
		ProducerID  string
		UserID      string
		Role        string
		CreatedAt   time.Time
		Email       string
		DisplayName string
	}
	err := r.s.conn(ctx).Table("producer_members m").
		Select("m.producer_id, m.user_id, m.role, m.created_at, u.email, u.display_name").
		Joins("JOIN users u ON u.id = m.user_id").Where("m.producer_id = ?", producerID).
		Order("CASE WHEN m.role = 'owner' THEN 0 ELSE 1 END, m.created_at, m.user_id").Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]ocop.ProducerMember, len(rows))
	for i, m := range rows {
		out[i] = ocop.ProducerMember{ProducerID: m.ProducerID, UserID: m.UserID, Role: ocop.MemberRole(m.Role),
			Email: m.Email, DisplayName: m.DisplayName, CreatedAt: m.CreatedAt.UTC()}
	}
	return out, nil
}

// ForUser lists the producers a user is a member of.
func (r *Producers) ForUser(ctx context.Context, userID string) ([]ocop.Producer, []ocop.MemberRole, error) {
	var ms []memberRow
	if err := r.s.conn(ctx).Where("user_id = ?", userID).Order("producer_id").Find(&ms).Error; err != nil {
		return nil, nil, translate(err)
	}
	if len(ms) == 0 {
		return nil, nil, nil
	}
	ids := make([]string, len(ms))
	roles := map[string]ocop.MemberRole{}
	for i, m := range ms {
		ids[i] = m.ProducerID
		roles[m.ProducerID] = ocop.MemberRole(m.Role)
	}
	var rows []producerRow
	if err := r.s.conn(ctx).Where("id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, nil, translate(err)
	}
	ps := producersOf(rows)
	rs := make([]ocop.MemberRole, len(ps))
	for i, p := range ps {
		rs[i] = roles[p.ID]
	}
	return ps, rs, nil
}

// lockingUpdate is SELECT ... FOR UPDATE (PostgreSQL only).
func lockingUpdate() clause.Expression { return clause.Locking{Strength: "UPDATE"} }
