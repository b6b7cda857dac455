package main_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/demo"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// runBinary runs ocopconnect with args and returns its output and exit
// code (the commands' codes are part of their contract).
func runBinary(t *testing.T, environ []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = environ
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("ocopconnect %s: %v", strings.Join(args, " "), err)
	return "", -1
}

// The import command on a file: a bad row is reported (CSV, exit 1)
// while the others are stored (batches of one row: a batch is all or
// nothing); --dry-run stores nothing; a second run of the same file
// changes nothing.
func TestImportCommand(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		recs, err := csv.NewReader(bytes.NewReader(demo.Catalogue)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		header, rows := recs[0], slices.Clone(recs[1:5])
		bad := slices.Clone(rows[2])
		bad[slices.Index(header, "stars")] = "6" // OCOP certifies 3 to 5 stars
		rows[2] = bad
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		_ = w.WriteAll(append([][]string{header}, rows...))
		dir := t.TempDir()
		file := filepath.Join(dir, "danh-sach.csv")
		if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		e := env(db)

		out, code := runBinary(t, e, "import", "--quiet", "--batch-size", "1", "--dry-run", file)
		if code != 1 || !strings.Contains(out, "would import (dry run, nothing stored): 3 of 4 rows") {
			t.Fatalf("dry run (exit %d):\n%s", code, out)
		}
		out, code = runBinary(t, e, "import", "--quiet", "--batch-size", "1", file)
		if code != 1 || !strings.Contains(out, "imported: 3 of 4 rows") || !strings.Contains(out, "1 not imported") || !strings.Contains(out, "listings: 3 created") {
			t.Fatalf("import (exit %d):\n%s", code, out)
		}
		report, err := os.ReadFile(filepath.Join(dir, "danh-sach.report.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(report), "row,field,column,problem") || !strings.Contains(string(report), "stars") {
			t.Fatalf("report:\n%s", report)
		}
		out, code = runBinary(t, e, "import", "--quiet", "--batch-size", "1", file)
		if code != 1 || !strings.Contains(out, "3 unchanged") || !strings.Contains(out, "listings: 0 created") {
			t.Fatalf("second import (exit %d):\n%s", code, out)
		}
		// A file that is not there: a usage error, not a crash.
		if out, code := runBinary(t, e, "import", filepath.Join(dir, "missing.csv")); code != 2 {
			t.Fatalf("missing file: exit %d\n%s", code, out)
		}
	})
}

// seed demo loads the sample marketplace through the use cases: its demo
// buyer logs in to the served API and finds the catalogue by search; a
// second run changes nothing.
func TestSeedDemoCommand(t *testing.T) {
	testdb.ForEachDatabase(t, func(t *testing.T, db testdb.DB) {
		e := env(db)
		out, code := runBinary(t, e, "seed", "demo", "--password", "demo-password-2026")
		if code != 0 || !strings.Contains(out, "catalogue: 102 rows") || !strings.Contains(out, "buyer@demo.ocop.vn") {
			t.Fatalf("seed demo (exit %d):\n%s", code, out)
		}
		out, code = runBinary(t, e, "seed", "demo", "--password", "demo-password-2026")
		if code != 0 || !strings.Contains(out, "listings 0 created (102 rows unchanged)") || !strings.Contains(out, "account existed") {
			t.Fatalf("second seed demo (exit %d):\n%s", code, out)
		}

		p := start(t, e)
		base := "http://" + p.addr
		st, tokens := postJSON(t, base+"/api/v1/auth/login", "", `{"email":"buyer@demo.ocop.vn","password":"demo-password-2026"}`)
		if st != http.StatusOK || tokens["access_token"] == nil {
			t.Fatalf("demo buyer login: %d %v", st, tokens)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get(base + "/api/v1/search/listings?q=" + url.QueryEscape("cà phê"))
			if err != nil {
				t.Fatal(err)
			}
			var body struct{ Total int }
			decodeErr := json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if decodeErr == nil && resp.StatusCode == http.StatusOK && body.Total > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the demo catalogue is not searchable: %d %v %+v", resp.StatusCode, decodeErr, body)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}
