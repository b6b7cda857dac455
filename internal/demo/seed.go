package demo

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/events"
	"github.com/ocopconnect/ocopconnect/internal/imports"
	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Members is what the seed needs of the producer store: demo producers
// come from an official list and have no account yet; the demo producer
// account is made their owner.
type Members interface {
	ByTaxCodes(ctx context.Context, taxCodes []string) ([]ocop.Producer, error)
	MemberRole(ctx context.Context, producerID, userID string) (ocop.MemberRole, error)
	AddMember(ctx context.Context, m ocop.ProducerMember) error
}

// Users finds existing accounts (the seed may run twice).
type Users interface {
	GetByEmail(ctx context.Context, email string) (*ocop.User, error)
}

// Deps are the use cases the seed goes through: the same paths as the
// API, so the demo data obeys every rule and announces itself on the
// outbox like any other change.
type Deps struct {
	Accounts *accounts.Service
	Users    Users
	Imports  *imports.Service
	Members  Members
	Listings *listings.Service
	Events   *events.Service
	Now      ocop.Clock
}

// Account is a demo login.
type Account struct {
	Role     ocop.Role
	Email    string
	Password string
	Name     string
	Existed  bool
}

// Result says what the seed did.
type Result struct {
	Accounts          []Account
	Import            *imports.Result
	ProducersOwned    int
	ListingsPublished int
	PhotosAdded       int
	EventID           string
	EventName         string
	Booths            int
	Bookings          int
}

// EventName is the demo trade fair.
const EventName = "Hội chợ OCOP Tây Nguyên"

// Seed loads the demo marketplace. It is idempotent: a second run finds
// the accounts, the imported catalogue (unchanged), the published listings
// and the fair, and adds nothing.
func Seed(ctx context.Context, d Deps, password string) (*Result, error) {
	if len(password) < 10 {
		return nil, fmt.Errorf("the demo password must have at least 10 characters")
	}
	res := &Result{}
	users := map[ocop.Role]*ocop.User{}
	for _, a := range []Account{
		{Role: ocop.RoleAdmin, Email: "admin@demo.ocop.vn", Name: "Quản trị viên (demo)"},
		{Role: ocop.RoleOrganiser, Email: "organiser@demo.ocop.vn", Name: "Trung tâm Xúc tiến Thương mại (demo)"},
		{Role: ocop.RoleProducer, Email: "producer@demo.ocop.vn", Name: "Chủ thể OCOP (demo)"},
		{Role: ocop.RoleBuyer, Email: "buyer@demo.ocop.vn", Name: "Nhà bán lẻ (demo)"},
	} {
		a.Password = password
		u, err := d.Accounts.CreateUser(ctx, accounts.RegisterInput{Email: a.Email, Password: password, DisplayName: a.Name, Role: a.Role, Language: ocop.LangVietnamese})
		if ocop.IsCode(err, ocop.CodeConflict) {
			if u, err = d.Users.GetByEmail(ctx, a.Email); err == nil {
				a.Existed = true
			}
		}
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w", a.Email, err)
		}
		users[a.Role] = u
		res.Accounts = append(res.Accounts, a)
	}
	as := func(role ocop.Role) context.Context {
		return ocop.WithPrincipal(ctx, ocop.Principal{UserID: users[role].ID, Roles: []ocop.Role{role}, User: users[role]})
	}

	var err error
	if res.Import, err = d.Imports.Run(ctx, Catalogue, imports.Options{Verify: true, ActorID: users[ocop.RoleAdmin].ID}); err != nil {
		return nil, fmt.Errorf("import the sample catalogue: %w", err)
	}
	if res.Import.FailedRows > 0 {
		return nil, fmt.Errorf("the sample catalogue did not import cleanly: %d rows failed (first: %+v)", res.Import.FailedRows, res.Import.Problems[0])
	}
	if err := seedListings(as(ocop.RoleProducer), d, users[ocop.RoleProducer], res); err != nil {
		return nil, err
	}
	if err := seedFair(as(ocop.RoleOrganiser), as(ocop.RoleProducer), d, res); err != nil {
		return nil, err
	}
	return res, nil
}

// seedListings makes the demo producer account owner of the catalogue's
// producers and publishes their listings, each with a generated photo.
func seedListings(ctx context.Context, d Deps, owner *ocop.User, res *Result) error {
	taxCodes, err := catalogueTaxCodes()
	if err != nil {
		return err
	}
	ps, err := d.Members.ByTaxCodes(ctx, taxCodes)
	if err != nil {
		return err
	}
	for _, p := range ps {
		role, err := d.Members.MemberRole(ctx, p.ID, owner.ID)
		if err != nil {
			return err
		}
		if role == "" {
			m := ocop.ProducerMember{ProducerID: p.ID, UserID: owner.ID, Role: ocop.MemberOwner, CreatedAt: d.Now()}
			if err := d.Members.AddMember(ctx, m); err != nil {
				m.Role = ocop.MemberStaff // the producer has an owner of its own
				if err := d.Members.AddMember(ctx, m); err != nil {
					return fmt.Errorf("demo producer membership: %w", err)
				}
			}
		}
		res.ProducersOwned++
		page, err := d.Listings.ByProducer(ctx, p.ID, nil, "", 100)
		if err != nil {
			return err
		}
		for _, v := range page.Items {
			l := v.Listing
			if l.Status == ocop.ListingArchived {
				continue
			}
			if len(l.Images) == 0 {
				img, err := Placeholder(l.TitleVI, l.ProductGroup)
				if err != nil {
					return err
				}
				if _, _, err := d.Listings.AddImage(ctx, l.ID, nil, bytes.NewReader(img)); err != nil {
					return fmt.Errorf("photo of %q: %w", l.TitleVI, err)
				}
				res.PhotosAdded++
			}
			if l.Status != ocop.ListingPublished {
				if _, err := d.Listings.Publish(ctx, l.ID, nil); err != nil {
					return fmt.Errorf("publish %q: %w", l.TitleVI, err)
				}
			}
			res.ListingsPublished++
		}
	}
	return nil
}

// seedFair schedules the demo fair a month ahead in Buôn Ma Thuột with
// two rows of booths, opens bookings and books a few booths for the demo
// producers.
func seedFair(org, producer context.Context, d Deps, res *Result) error {
	mine, _, err := d.Events.ListEvents(org, events.ListInput{Mine: true, Limit: 100})
	if err != nil {
		return err
	}
	for _, e := range mine {
		if e.Name == EventName && e.Status != ocop.EventCancelled {
			res.EventID, res.EventName = e.ID, e.Name
			return nil
		}
	}
	now := d.Now()
	loc := ocop.Zone
	day := func(days int, hour int) *string {
		t := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day()+days, hour, 0, 0, 0, loc)
		s := t.Format(time.RFC3339)
		return &s
	}
	str := func(s string) *string { return &s }
	minStars, perProducer := 3, 2
	ev, err := d.Events.CreateEvent(org, events.EventInput{
		Name: str(EventName), Venue: str("Trung tâm Hội nghị tỉnh Đắk Lắk"), Address: str("Số 1 Lê Duẩn, Buôn Ma Thuột"),
		Description:  str("Hội chợ giới thiệu sản phẩm OCOP các tỉnh Tây Nguyên và duyên hải: cà phê, mật ong, dược liệu, thủ công mỹ nghệ."),
		ProvinceCode: str("66"), StartsAt: day(30, 8), EndsAt: day(33, 18), BookingOpensAt: day(-1, 8), BookingClosesAt: day(23, 17),
		MinStars: &minStars, MaxBoothsPerProducer: &perProducer,
	})
	if err != nil {
		return fmt.Errorf("demo fair: %w", err)
	}
	var booths []events.BoothInput
	for z, zone := range []string{"A", "B"} {
		for i := range 8 {
			code, zn := fmt.Sprintf("%s%02d", zone, i+1), zone
			size, price := 9.0, int64(4_500_000)
			if i == 0 || i == 7 {
				size, price = 12.0, 6_000_000 // corner booths
			}
			x, y, w, h := 2+float64(i)*4, 2+float64(z)*9, 3.5, 3.0
			if size == 12 {
				h = 4
			}
			features := []string{"power"}
			booths = append(booths, events.BoothInput{Code: &code, Zone: &zn, SizeM2: &size, PriceVND: &price, X: &x, Y: &y, Width: &w, Height: &h, Features: &features})
		}
	}
	bs, err := d.Events.ImportBooths(org, ev.ID, booths)
	if err != nil {
		return fmt.Errorf("demo fair booths: %w", err)
	}
	if _, err := d.Events.PublishEvent(org, ev.ID); err != nil {
		return fmt.Errorf("publish the demo fair: %w", err)
	}
	res.EventID, res.EventName, res.Booths = ev.ID, ev.Name, len(bs)
	// A few bookings so that the fair and the statistics show activity:
	// the first Đắk Lắk producers with a certificate in force.
	taxCodes, err := catalogueTaxCodes()
	if err != nil {
		return err
	}
	ps, err := d.Members.ByTaxCodes(producer, taxCodes)
	if err != nil {
		return err
	}
	next := 0
	for _, p := range ps {
		if res.Bookings == 3 || next >= len(bs) {
			break
		}
		if p.ProvinceCode != "66" {
			continue
		}
		if _, err := d.Events.Book(producer, events.BookInput{EventID: ev.ID, BoothID: bs[next].ID, ProducerID: p.ID, Note: "Gian trưng bày cà phê và đặc sản"}); err != nil {
			continue // not eligible (no certificate in force): the next one
		}
		next++
		res.Bookings++
	}
	return nil
}
