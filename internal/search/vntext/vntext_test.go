package vntext

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Cà phê bột nguyên chất":             "ca phe bot nguyen chat",
		"Đắk Lắk":                            "dak lak",
		"ĐƯỜNG đen":                          "duong den",
		norm.NFD.String("Nước mắm Phú Quốc"): "nuoc mam phu quoc",
		"Macadamia":                          "macadamia",
		"":                                   "",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	if Exact(norm.NFD.String("Chè")) != "chè" {
		t.Errorf("Exact of NFD text is not NFC lower-case: %q", Exact(norm.NFD.String("Chè")))
	}
	if !HasMarks("chè") || HasMarks("che") || HasMarks("CHE") {
		t.Error("HasMarks")
	}
}

func TestTyposAndDistance(t *testing.T) {
	for w, want := range map[string]int{"che": 0, "nguye": 1, "nguyen": 1, "macadamia": 2, "mắcadamia": 2} {
		if got := Typos(w); got != want {
			t.Errorf("Typos(%q) = %d, want %d", w, got, want)
		}
	}
	cases := []struct {
		a, b string
		max  int
		want int
	}{
		{"nguyen", "nguyen", 2, 0}, {"nguyan", "nguyen", 2, 1}, {"ngyen", "nguyen", 2, 1},
		{"abc", "xyz", 1, 2}, {"macadamia", "makadamya", 2, 2}, {"a", "abcdef", 2, 3},
	}
	for _, c := range cases {
		if got := Distance(c.a, c.b, c.max); got != c.want {
			t.Errorf("Distance(%q,%q,%d) = %d, want %d", c.a, c.b, c.max, got, c.want)
		}
	}
	if WordMatches("phe", "pho", false) {
		t.Error("a 3-letter word must not tolerate a typo")
	}
	if !WordMatches("ph", "phe", true) || WordMatches("ph", "phe", false) {
		t.Error("prefix only for the last word")
	}
}

func TestHighlight(t *testing.T) {
	q := ParseQuery("ca phe")
	got := q.Highlight("Cà phê <bột> nguyên chất", false, 0)
	want := "<mark>Cà</mark> <mark>phê</mark> &lt;bột&gt; nguyên chất"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if q.Highlight("Nước mắm", false, 0) != "" {
		t.Error("no match must give no fragment")
	}
	long := "một hai ba bốn năm sáu bảy tám chín mười cà phê mười một mười hai mười ba"
	got = q.Highlight(long, false, 6)
	want = "…tám chín mười <mark>cà</mark> <mark>phê</mark> mười…"
	if got != want {
		t.Errorf("crop: got %q want %q", got, want)
	}
}

func TestCompletions(t *testing.T) {
	cands := []string{"Cà phê bột nguyên chất", "Ca phe bot nguyen chat", "Hợp tác xã Cà Mau", "Nước mắm", "Cà phê hạt"}
	got := Completions("cà ph", cands, 10)
	if len(got) != 2 || got[0] != "Cà phê bột nguyên chất" || got[1] != "Cà phê hạt" {
		t.Errorf("got %q", got)
	}
	if got := Completions("ca", cands, 1); len(got) != 1 {
		t.Errorf("limit: %q", got)
	}
	if got := Completions("  ", cands, 10); len(got) != 0 {
		t.Errorf("blank: %q", got)
	}
}

// TestFoldFastPathAgreesWithTransform: the table path must give exactly
// what the Unicode transform gives, for every letter it covers and for
// mixed text.
func TestFoldFastPathAgreesWithTransform(t *testing.T) {
	var all []rune
	for r := range foldTable {
		all = append(all, r)
		s := "x" + string(r) + "Y " + string(r)
		fast, ok := foldLatin(s)
		if !ok || fast != foldSlow(s) {
			t.Errorf("%U: fast %q (%v), transform %q", r, fast, ok, foldSlow(s))
		}
	}
	if len(all) < 300 {
		t.Fatalf("table covers only %d letters", len(all))
	}
	for _, s := range []string{"Hạt mắc ca sấy nứt vỏ – Krông Năng", "ĐẶC SẢN Ơ Ư Ă Â Ê Ô", "Chè Shan tuyết cổ thụ 100% (hộp 200g)", string(all)} {
		if got, want := Fold(s), foldSlow(s); got != want {
			t.Errorf("Fold(%q) = %q, transform %q", s, got, want)
		}
	}
	// NFD text and other scripts take the transform.
	if _, ok := foldLatin(norm.NFD.String("mắm")); ok {
		t.Error("NFD text took the table path")
	}
	if _, ok := foldLatin("茶 Thái"); ok {
		t.Error("CJK text took the table path")
	}
}
