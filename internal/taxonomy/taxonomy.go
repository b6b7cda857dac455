// Package taxonomy is the OCOP product classification as versioned
// reference data: product groups split into product sets, as defined by the
// decision a certificate was issued under (Decision 148/QĐ-TTg of 2023 for
// current certificates, Decision 1048/QĐ-TTg of 2019 for older ones). The
// data lives in data/taxonomy.json, embedded in the binary, so a new
// decision is a data change, not Go constants scattered around.
//
// Codes are stable: a group or set code is never reused or renamed once
// published (names may be corrected freely).
package taxonomy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

//go:embed data/taxonomy.json
var taxonomyJSON []byte

// Set is a product set (bộ sản phẩm), the finest level certificates name.
type Set struct {
	Code   string `json:"code"`
	NameVI string `json:"name_vi"`
	NameEN string `json:"name_en"`
}

// Group is a product group (nhóm sản phẩm).
type Group struct {
	Code   string `json:"code"`
	NameVI string `json:"name_vi"`
	NameEN string `json:"name_en"`
	// MapsTo is the group of the current version an older group belongs to
	// (empty in the current version), so buyers filtering by a current group
	// also find products certified under the old decision.
	MapsTo string `json:"maps_to,omitempty"`
	Sets   []Set  `json:"sets"`
}

// Version is one classification, named after its decision; certificates
// record it as their legal basis.
type Version struct {
	Code          string  `json:"code"`
	NameVI        string  `json:"name_vi"`
	NameEN        string  `json:"name_en"`
	EffectiveFrom string  `json:"effective_from"` // YYYY-MM-DD
	Current       bool    `json:"current"`
	Groups        []Group `json:"groups"`

	effective time.Time
}

// Effective is the date the decision took effect (midnight UTC).
func (v Version) Effective() time.Time { return v.effective }

// Group returns the group with the code.
func (v Version) Group(code string) (Group, bool) {
	for _, g := range v.Groups {
		if g.Code == code {
			return g, true
		}
	}
	return Group{}, false
}

// Set returns a set of the group.
func (g Group) Set(code string) (Set, bool) {
	for _, s := range g.Sets {
		if s.Code == code {
			return s, true
		}
	}
	return Set{}, false
}

// codeRe is what a group or set code looks like (URL- and facet-safe).
var codeRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

type file struct {
	Versions []Version `json:"versions"`
}

var (
	once     sync.Once
	versions []Version
)

func get() []Version {
	once.Do(func() {
		vs, err := parse(taxonomyJSON)
		if err != nil {
			panic(fmt.Sprintf("taxonomy: embedded data: %v", err))
		}
		versions = vs
	})
	return versions
}

// parse reads and checks the data: group and set codes unique within a
// version, exactly one current version, old groups mapping to a current
// group.
func parse(b []byte) ([]Version, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	current := 0
	seenV := map[string]bool{}
	for i := range f.Versions {
		v := &f.Versions[i]
		if v.Code == "" || seenV[v.Code] {
			return nil, fmt.Errorf("version code %q empty or repeated", v.Code)
		}
		seenV[v.Code] = true
		t, err := time.Parse(time.DateOnly, v.EffectiveFrom)
		if err != nil {
			return nil, fmt.Errorf("version %s: effective_from: %w", v.Code, err)
		}
		v.effective = t
		if v.Current {
			current++
		}
		groups, sets := map[string]bool{}, map[string]bool{}
		for _, g := range v.Groups {
			if !codeRe.MatchString(g.Code) || groups[g.Code] || g.NameVI == "" || g.NameEN == "" || len(g.Sets) == 0 {
				return nil, fmt.Errorf("version %s: group %q incomplete or repeated", v.Code, g.Code)
			}
			groups[g.Code] = true
			for _, s := range g.Sets {
				if !codeRe.MatchString(s.Code) || sets[s.Code] || s.NameVI == "" || s.NameEN == "" {
					return nil, fmt.Errorf("version %s: set %q incomplete or repeated", v.Code, s.Code)
				}
				sets[s.Code] = true
			}
		}
	}
	if current != 1 {
		return nil, fmt.Errorf("%d current versions, want 1", current)
	}
	var cur Version
	for _, v := range f.Versions {
		if v.Current {
			cur = v
		}
	}
	for _, v := range f.Versions {
		for _, g := range v.Groups {
			if v.Current && g.MapsTo != "" {
				return nil, fmt.Errorf("current group %s must not map elsewhere", g.Code)
			}
			if !v.Current {
				if _, ok := cur.Group(g.MapsTo); !ok {
					return nil, fmt.Errorf("version %s: group %s maps to unknown current group %q", v.Code, g.Code, g.MapsTo)
				}
			}
		}
	}
	return f.Versions, nil
}

// Versions lists every version, the current one first.
func Versions() []Version {
	vs := get()
	out := make([]Version, 0, len(vs))
	out = append(out, Current())
	for _, v := range vs {
		if !v.Current {
			out = append(out, v)
		}
	}
	return out
}

// Current is the classification new certificates are issued under.
func Current() Version {
	for _, v := range get() {
		if v.Current {
			return v
		}
	}
	panic("taxonomy: no current version") // excluded by parse
}

// LookupVersion returns the version with the code (e.g. "148/2023").
func LookupVersion(code string) (Version, bool) {
	for _, v := range get() {
		if v.Code == code {
			return v, true
		}
	}
	return Version{}, false
}

// CurrentGroup maps a group of any version to the current group it belongs
// to ("" for an unknown version or group).
func CurrentGroup(version, group string) string {
	v, ok := LookupVersion(version)
	if !ok {
		return ""
	}
	g, ok := v.Group(group)
	if !ok {
		return ""
	}
	if v.Current {
		return g.Code
	}
	return g.MapsTo
}

func versionCodes() string {
	var cs []string
	for _, v := range Versions() {
		cs = append(cs, v.Code)
	}
	return strings.Join(cs, ", ")
}

// Validate checks a legal basis (version), group and set triple, adding
// errors under the JSON field names "legal_basis", "product_group" and
// "product_set". The set is required.
func Validate(v *ocop.Validation, version, group, set string) {
	ValidateFields(v, "legal_basis", version, "product_group", group, "product_set", set)
}

// ValidateFields is Validate with the caller's field names.
func ValidateFields(v *ocop.Validation, versionField, version, groupField, group, setField, set string) {
	ver, ok := LookupVersion(version)
	if !ok {
		if version == "" {
			v.Add(versionField, "is required (one of %s)", versionCodes())
		} else {
			v.Add(versionField, "must be one of %s", versionCodes())
		}
		return
	}
	g, ok := ver.Group(group)
	if !ok {
		var cs []string
		for _, g := range ver.Groups {
			cs = append(cs, g.Code)
		}
		if group == "" {
			v.Add(groupField, "is required (under %s: %s)", ver.Code, strings.Join(cs, ", "))
		} else {
			v.Add(groupField, "is not a product group of %s (one of %s)", ver.Code, strings.Join(cs, ", "))
		}
		return
	}
	if _, ok := g.Set(set); !ok {
		var cs []string
		for _, s := range g.Sets {
			cs = append(cs, s.Code)
		}
		if set == "" {
			v.Add(setField, "is required (under %s: %s)", g.Code, strings.Join(cs, ", "))
		} else {
			v.Add(setField, "is not a product set of group %s (one of %s)", g.Code, strings.Join(cs, ", "))
		}
	}
}

// ValidateCurrent checks a group/set pair of the current version (listings,
// search filters). An empty set is allowed when setRequired is false.
func ValidateCurrent(v *ocop.Validation, groupField, group, setField, set string, setRequired bool) {
	cur := Current()
	if !setRequired && set == "" {
		if _, ok := cur.Group(group); !ok {
			ValidateFields(v, "", cur.Code, groupField, group, setField, set)
		}
		return
	}
	ValidateFields(v, "", cur.Code, groupField, group, setField, set)
}
