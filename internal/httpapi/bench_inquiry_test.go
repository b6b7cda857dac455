package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/config"
	"github.com/ocopconnect/ocopconnect/internal/inquiries"
	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/testsupport"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// inquiryBench is the production wiring on SQLite (rate limits out of the
// way) with a published listing and a signed-in buyer.
type inquiryBench struct {
	a         *app.App
	srv       *httptest.Server
	listingID string
	buyerID   string
	token     string
	body      []byte
}

func newInquiryBench(b *testing.B) *inquiryBench {
	db := testdb.DatabaseBackends(b)[0].New(b)
	cfg, err := config.LoadFrom(map[string]string{"OCOP_DATA_DIR": db.DataDir, "OCOP_JWT_KEY": testsupport.TestJWTKey,
		"OCOP_LOG_FORMAT": "json", "OCOP_INQUIRY_MAX_PER_HOUR": "100000000", "OCOP_INQUIRY_MAX_PER_DAY": "100000000"})
	if err != nil {
		b.Fatal(err)
	}
	cfg.ApplyDefaults()
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.New(context.Background(), cfg, log, app.Options{SQLitePath: db.SQLitePath})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Router)
	b.Cleanup(func() { srv.Close(); a.Close() })
	ctx := context.Background()
	owner, err := a.Accounts.Register(ctx, registerInput("htx@example.vn", ocop.RoleProducer))
	if err != nil {
		b.Fatal(err)
	}
	adm, err := a.Accounts.CreateUser(ctx, registerInput("admin@example.vn", ocop.RoleAdmin))
	if err != nil {
		b.Fatal(err)
	}
	buyer, err := a.Accounts.Register(ctx, registerInput("buyer@example.vn", ocop.RoleBuyer))
	if err != nil {
		b.Fatal(err)
	}
	ownerCtx := asUser(owner.ID, ocop.RoleProducer)
	p, err := a.Producers.Create(ownerCtx, producers.ProducerInput{LegalName: "HTX Cà phê", Kind: ocop.KindCooperative, ProvinceCode: "66", CommuneCode: "22015"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Producers.Verify(asUser(adm.ID, ocop.RoleAdmin), p.ID, ""); err != nil {
		b.Fatal(err)
	}
	v, err := a.Listings.Create(ownerCtx, listings.Input{ProducerID: p.ID, TitleVI: "Cà phê Robusta", DescriptionVI: "Rang mộc",
		ProductGroup: "food", ProductSet: "coffee_cocoa", Unit: "kg", MinOrderQty: 10})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Listings.Publish(ownerCtx, v.ID, nil); err != nil {
		b.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"buyer@example.vn","password":"`+goodPassword+`"}`))
	if err != nil {
		b.Fatal(err)
	}
	var tk tokens
	(&testsupport.Response{Body: mustRead(resp)}).JSON(b, &tk)
	body, _ := json.Marshal(map[string]any{"quantity": 100, "unit": "kg", "delivery_province_code": "79",
		"needed_by": ocop.DateOf(a.Now()).AddDate(0, 0, 30).Format("2006-01-02"), "message": "Xin báo giá 100 kg."})
	return &inquiryBench{a: a, srv: srv, listingID: v.ID, buyerID: buyer.ID, token: tk.AccessToken, body: body}
}

// BenchmarkInquiryCreateBare is the baseline: the inquiries use case
// (rate limit, inquiry, first message, read marker, history, notifications
// and their outbox messages in one transaction) behind a bare Gin handler
// with no middleware and no idempotency.
func BenchmarkInquiryCreateBare(b *testing.B) {
	ib := newInquiryBench(b)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	ctx := ocop.WithPrincipal(context.Background(), ocop.Principal{UserID: ib.buyerID, Roles: []ocop.Role{ocop.RoleBuyer}})
	r.POST("/inquiries", func(c *gin.Context) {
		var in struct {
			Quantity             int64  `json:"quantity"`
			Unit                 string `json:"unit"`
			DeliveryProvinceCode string `json:"delivery_province_code"`
			NeededBy             string `json:"needed_by"`
			Message              string `json:"message"`
		}
		if err := json.NewDecoder(c.Request.Body).Decode(&in); err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		q, err := ib.a.Inquiries.Create(ctx, inquiries.CreateInput{ListingID: ib.listingID, Quantity: in.Quantity, Unit: in.Unit,
			DeliveryProvinceCode: in.DeliveryProvinceCode, NeededBy: in.NeededBy, Message: in.Message})
		if err != nil {
			c.String(http.StatusInternalServerError, err.Error())
			return
		}
		c.JSON(http.StatusCreated, gin.H{"id": q.ID})
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	hammerStatus(b, http.StatusCreated, func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/inquiries", bytes.NewReader(ib.body))
		req.Header.Set("Content-Type", "application/json")
		return req
	})
}

// BenchmarkInquiryCreateIdempotent is POST /listings/{id}/inquiries through
// the whole stack with a fresh Idempotency-Key per request: middleware, JWT
// and session check, the key reserved and the response stored in the same
// transaction, and the thread read back for the response.
func BenchmarkInquiryCreateIdempotent(b *testing.B) {
	ib := newInquiryBench(b)
	var n atomic.Int64
	url := ib.srv.URL + "/api/v1/listings/" + ib.listingID + "/inquiries"
	hammerStatus(b, http.StatusCreated, func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(ib.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+ib.token)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", n.Add(1)))
		return req
	})
}
