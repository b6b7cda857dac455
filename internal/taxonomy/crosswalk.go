package taxonomy

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

//go:embed data/crosswalk.json
var crosswalkJSON []byte

type crosswalk struct {
	From string            `json:"from"`
	To   string            `json:"to"`
	Sets map[string]string `json:"sets"` // "group/set" -> "group/set"
}

var (
	walkOnce sync.Once
	walks    []crosswalk
)

func getWalks() []crosswalk {
	walkOnce.Do(func() {
		var w crosswalk
		if err := json.Unmarshal(crosswalkJSON, &w); err != nil {
			panic(fmt.Sprintf("taxonomy: embedded crosswalk: %v", err)) // embedded and tested
		}
		walks = []crosswalk{w}
	})
	return walks
}

// InForceOn is the classification in force on a day: the latest version
// that had taken effect by then (false before the first one).
func InForceOn(day time.Time) (Version, bool) {
	var best Version
	found := false
	for _, v := range get() {
		if !day.Before(v.Effective()) && (!found || v.Effective().After(best.Effective())) {
			best, found = v, true
		}
	}
	return best, found
}

// Reclassify translates a group/set pair of one version into another
// (e.g. a product described with current codes into the 2019 codes of an
// older decision). Same version: unchanged. false when no crosswalk
// covers the pair.
func Reclassify(from, group, set, to string) (string, string, bool) {
	if from == to {
		return group, set, true
	}
	for _, w := range getWalks() {
		if w.From != from || w.To != to {
			continue
		}
		g, s, ok := strings.Cut(w.Sets[group+"/"+set], "/")
		return g, s, ok
	}
	return "", "", false
}
