package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/media/mediatest"
)

// idempotencyAcrossAPIs makes a producer with a published listing through the
// APIs, then sends the same inquiry with one Idempotency-Key to API 0 and to
// API 1: the second answer must be the first one replayed, and one inquiry
// must exist. Keys live in PostgreSQL, so which replica a retry reaches does
// not matter.
func (c *cluster) idempotencyAcrossAPIs(t *testing.T) {
	c.run(t, "admin", "create-user", "--email", "admin@cluster.vn", "--role", "admin", "--password", clusterPassword)
	admin := c.login(t, 2, "admin@cluster.vn")
	owner := c.signUp(t, 0, "htx@cluster.vn", "producer")
	buyer := c.signUp(t, 1, "mua@cluster.vn", "buyer")

	producer := c.mustPost(t, 0, "/api/v1/producers", owner, nil, map[string]any{
		"legal_name": "Hợp tác xã Cà phê Ea Tu", "kind": "cooperative", "tax_code": "6001234567",
		"province_code": "66", "commune_code": "24163", "address": "Thôn 3, Phường Tân An, Đắk Lắk",
	}, http.StatusCreated)["id"].(string)
	c.mustPost(t, 1, "/api/v1/admin/producers/"+producer+"/verify", admin, nil, nil, http.StatusOK)
	listing := c.mustPost(t, 2, "/api/v1/listings", owner, nil, map[string]any{
		"producer_id": producer, "title_vi": "Cà phê Robusta rang mộc", "description_vi": "Cà phê Robusta Đắk Lắk, rang mộc.",
		"product_group": "food", "product_set": "coffee_cocoa", "unit": "kg", "price_min_vnd": 180000, "price_max_vnd": 220000,
		"min_order_qty": 50,
	}, http.StatusCreated)["id"].(string)
	c.mustPost(t, 0, "/api/v1/listings/"+listing+"/publish", owner, nil, nil, http.StatusOK)
	c.photoServedByAnotherAPI(t, owner, listing)

	inquiry := map[string]any{
		"quantity": 500, "unit": "kg", "delivery_province_code": "79",
		"needed_by": time.Now().AddDate(0, 1, 0).Format(time.DateOnly), "message": "Cần 500 kg cho chuỗi cửa hàng ở TP.HCM.",
	}
	key := map[string]string{"Idempotency-Key": "cluster-inquiry-1"}
	first, firstHdr := c.post(t, 0, "/api/v1/listings/"+listing+"/inquiries", buyer, key, inquiry)
	if first.status != http.StatusCreated {
		t.Fatalf("inquiry on API 0: %d %s", first.status, first.body)
	}
	again, againHdr := c.post(t, 1, "/api/v1/listings/"+listing+"/inquiries", buyer, key, inquiry)
	if again.status != http.StatusCreated || againHdr.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.body, first.body) {
		t.Fatalf("retry on API 1: %d replayed=%q, same body %v\n%s", again.status, againHdr.Get("Idempotent-Replayed"), bytes.Equal(again.body, first.body), again.body)
	}
	if firstHdr.Get("Idempotent-Replayed") != "" {
		t.Fatal("the first answer claims to be a replay")
	}
	inquiry["quantity"] = 600
	if changed, _ := c.post(t, 2, "/api/v1/listings/"+listing+"/inquiries", buyer, key, inquiry); changed.status != http.StatusUnprocessableEntity {
		t.Fatalf("same key, different body on API 2: %d %s", changed.status, changed.body)
	}
	var n int
	if err := c.sql.QueryRow(`SELECT COUNT(*) FROM inquiries WHERE listing_id = $1`, listing).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d inquiries stored, want 1", n)
	}
}

// photoServedByAnotherAPI uploads a photo through API 1 and fetches it
// through API 2: the processes share no disk, so this only works because
// media lives in the S3 bucket (API 2 redirects to a presigned URL).
func (c *cluster) photoServedByAnotherAPI(t *testing.T, owner, listing string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", "ca-phe.jpg")
	part.Write(mediatest.JPEG(t, mediatest.Photo(640, 480, 7)))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.url(1, "/api/v1/listings/"+listing+"/images"), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+owner)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var img struct {
		URL string `json:"url"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&img)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || img.URL == "" {
		t.Fatalf("upload on API 1: %d %+v", resp.StatusCode, img)
	}
	got, err := http.Get(c.url(2, img.URL)) // follows the redirect to S3
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	data, _ := io.ReadAll(got.Body)
	if got.StatusCode != http.StatusOK || len(data) == 0 || !bytes.HasPrefix(data, []byte{0xFF, 0xD8}) {
		t.Fatalf("GET %s on API 2: %d, %d bytes", img.URL, got.StatusCode, len(data))
	}
}

type answer struct {
	status int
	body   []byte
}

func (c *cluster) post(t *testing.T, api int, path, token string, header map[string]string, body any) (answer, http.Header) {
	t.Helper()
	var r io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(http.MethodPost, c.url(api, path), r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, b}, resp.Header
}

func (c *cluster) mustPost(t *testing.T, api int, path, token string, header map[string]string, body any, want int) map[string]any {
	t.Helper()
	a, _ := c.post(t, api, path, token, header, body)
	if a.status != want {
		t.Fatalf("POST %s on API %d: %d, want %d\n%s", path, api, a.status, want, a.body)
	}
	var m map[string]any
	_ = json.Unmarshal(a.body, &m)
	return m
}

func (c *cluster) signUp(t *testing.T, api int, email, role string) string {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"password":%q,"display_name":"Cluster","role":%q}`, email, clusterPassword, role)
	if st, m := postJSON(t, c.url(api, "/api/v1/auth/register"), "", body); st != http.StatusCreated {
		t.Fatalf("register %s: %d %v", email, st, m)
	}
	return c.login(t, api+1, email)
}

func (c *cluster) login(t *testing.T, api int, email string) string {
	t.Helper()
	st, m := postJSON(t, c.url(api, "/api/v1/auth/login"), "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, clusterPassword))
	if st != http.StatusOK {
		t.Fatalf("login %s: %d %v", email, st, m)
	}
	return m["access_token"].(string)
}
