package events

import (
	"strings"
	"testing"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func TestParseEventTime(t *testing.T) {
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2030-03-10T08:00", time.Date(2030, 3, 10, 1, 0, 0, 0, time.UTC), true},
		{"2030-03-10 08:00", time.Date(2030, 3, 10, 1, 0, 0, 0, time.UTC), true},
		{"2030-03-10T08:00:00+09:00", time.Date(2030, 3, 9, 23, 0, 0, 0, time.UTC), true},
		{"2030-03-10T08:00:00Z", time.Date(2030, 3, 10, 8, 0, 0, 0, time.UTC), true},
		{"10/03/2030", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, ok := ParseEventTime(tc.in, hcm)
		if ok != tc.ok || !got.Equal(tc.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("ParseEventTime(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseBoothsCSV(t *testing.T) {
	in := "\ufeffzone,code,size_m2,price_vnd,x,y,width,height,features\nA,A1,\"9,5\",4500000,0,0,3,3,corner|power\nB,B1,12,6000000,4,0,4,3,\n"
	got, err := ParseBoothsCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || *got[0].Code != "A1" || *got[0].SizeM2 != 9.5 || *got[0].PriceVND != 4500000 || strings.Join(*got[0].Features, ",") != "corner,power" || len(*got[1].Features) != 0 {
		t.Fatalf("parsed %+v", got)
	}
	for _, tc := range []struct{ csv, field string }{
		{"", "csv"},
		{"code,zone\nA1,A\n", "csv"},
		{"code,zone,size_m2,price_vnd,x,y,width,height,colour\n", "csv"},
		{"code,zone,size_m2,price_vnd,x,y,width,height\nA1,A,9,4.5tr,0,0,3,3\n", "csv.line[2].price_vnd"},
		{"code,zone,size_m2,price_vnd,x,y,width,height\nA1,A,9,1,0,0,3,3\nA2,A,9,1,0,zero,3,3\n", "csv.line[3].y"},
	} {
		_, err := ParseBoothsCSV(strings.NewReader(tc.csv))
		oe, ok := err.(*ocop.Error)
		if !ok || oe.Code != ocop.CodeValidation || oe.Fields[0].Field != tc.field {
			t.Errorf("%q: err = %v, want a validation error on %s", tc.csv, err, tc.field)
		}
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+84 90": "'+84 90", "HTX Ea Tu": "HTX Ea Tu", "": ""} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLowestFree(t *testing.T) {
	if lowestFree([]int{1, 3}, 3) != 2 || lowestFree([]int{1, 2, 3}, 3) != 0 || lowestFree(nil, 1) != 1 {
		t.Fatal("lowestFree")
	}
}
