package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/listings"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/producers"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// seedListings publishes n listings through the use cases, in this test
// process, and leaves the search index alone (the outbox is emptied, as if
// the index had been lost).
func seedListings(t *testing.T, db testdb.DB, n int) {
	t.Helper()
	environ := map[string]string{"OCOP_DATA_DIR": db.DataDir, "OCOP_LOG_LEVEL": "error"}
	if db.DatabaseURL != "" {
		environ["OCOP_DATABASE_URL"] = db.DatabaseURL
	}
	cfg, err := app.LoadConfig(environ)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.New(ctx, cfg, app.NewLogger(cfg), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	as := func(u *ocop.User, role ocop.Role) context.Context {
		return ocop.WithPrincipal(ctx, ocop.Principal{UserID: u.ID, Roles: []ocop.Role{role}})
	}
	admin, err := a.Accounts.CreateUser(ctx, accounts.RegisterInput{Email: "admin@example.vn", Password: "root-password-2025", DisplayName: "Admin", Role: ocop.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	owner, err := a.Accounts.CreateUser(ctx, accounts.RegisterInput{Email: "htx@example.vn", Password: "a-producer-password", DisplayName: "HTX", Role: ocop.RoleProducer})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Producers.Create(as(owner, ocop.RoleProducer), producers.ProducerInput{
		LegalName: "Hợp tác xã Cà phê Ea Tu", Kind: ocop.KindCooperative, ProvinceCode: "66", CommuneCode: "22015", Address: "Thôn 3",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Producers.Verify(as(admin, ocop.RoleAdmin), p.ID, ""); err != nil {
		t.Fatal(err)
	}
	price := int64(150000)
	for i := range n {
		v, err := a.Listings.Create(as(owner, ocop.RoleProducer), listings.Input{
			ProducerID: p.ID, TitleVI: fmt.Sprintf("Cà phê Robusta rang mộc lô %d", i), DescriptionVI: "Cà phê Đắk Lắk.",
			ProductGroup: "food", ProductSet: "coffee_cocoa", Unit: "kg", PriceMinVND: &price, MinOrderQty: 10,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Listings.Publish(as(owner, ocop.RoleProducer), v.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Store.SQLDB().ExecContext(ctx, "DELETE FROM outbox"); err != nil {
		t.Fatal(err)
	}
}

func searchTotal(t *testing.T, base string) (int, bool) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/search/listings?q=ca+phe")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var body struct{ Total int }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil {
		return 0, false
	}
	return body.Total, true
}

func runReindex(t *testing.T, db testdb.DB) string {
	t.Helper()
	cmd := exec.Command(binary, "reindex", "--timeout", "2m")
	cmd.Env = env(db)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("reindex: %v\n%s", err, out)
	}
	return string(out)
}

// TestReindexCommand: with no server the command rebuilds the embedded
// index itself; with a server holding it, the server's workers rebuild it
// and the command follows their progress. A server finding the index empty
// at start rebuilds it on its own.
func TestReindexCommand(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		const n = 25
		seedListings(t, db, n)

		// Started on an empty index: it rebuilds it in the background.
		p := start(t, env(db))
		base := "http://" + p.addr
		deadline := time.Now().Add(60 * time.Second)
		for {
			if total, ok := searchTotal(t, base); ok && total == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the empty index was not rebuilt at start\n%s", p.logs.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !strings.Contains(p.logs.String(), "search index is empty") {
			t.Fatalf("no log line about the start-up rebuild:\n%s", p.logs.String())
		}

		// The server holds the index: the command asks it.
		out := runReindex(t, db)
		if !strings.Contains(out, "asked the serving process") || !strings.Contains(out, fmt.Sprintf("reindexed %d listing(s)", n)) {
			t.Fatalf("reindex through the server:\n%s", out)
		}
		if total, ok := searchTotal(t, base); !ok || total != n {
			t.Fatalf("search after reindex: %d %v", total, ok)
		}
		p.stop(t)

		// No server: the command opens the index and rebuilds it itself.
		out = runReindex(t, db)
		if strings.Contains(out, "asked the serving process") || !strings.Contains(out, fmt.Sprintf("reindexed %d listing(s)", n)) {
			t.Fatalf("direct reindex:\n%s", out)
		}
	})
}

// stop ends the server gracefully and waits for it.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := <-p.done
	p.done <- err // for the cleanup
}
