package httpapi_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	. "github.com/ocopconnect/ocopconnect/internal/testsupport"
)

// meetingRaceRepetitions is how often each meeting race is run: 10 unless
// OCOP_TEST_MEETING_RACE_REPS says otherwise (at most 24, the slots of the
// test day), 2 with -short. Each repetition races for a new slot of the
// same fair.
func meetingRaceRepetitions(t *testing.T) int {
	if s := os.Getenv("OCOP_TEST_MEETING_RACE_REPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 24 {
			t.Fatalf("OCOP_TEST_MEETING_RACE_REPS=%q (1 to 24)", s)
		}
		return n
	}
	if testing.Short() {
		return 2
	}
	return 10
}

// raceMeetings sends the meeting requests at the same instant.
func (w *meetWorld) raceMeetings(t *testing.T, tokens []string, bodies []map[string]any) []raceResult {
	t.Helper()
	return atOnce(len(tokens), func(i int) *Response { return w.request(t, tokens[i], bodies[i]) })
}

// TestMeetingRaces: in auto-accept mode, 50 buyers asking for the same
// producer slot at the same instant get exactly one meeting; 50 buyers
// asking 50 different producers for a slot with 10 tables get exactly 10
// meetings and a clear 409 tables_full each for the rest. Repeated, and the
// rows are counted afterwards.
func TestMeetingRaces(t *testing.T) {
	ForEachDatabase(t, func(t *testing.T, db DB) {
		const n, tables = 50, 10
		reps := meetingRaceRepetitions(t)
		w := newMeetWorld(t, db, n)
		ps := w.producers(t, n, producerOpts{stars: 3})
		for i, p := range ps {
			w.exhibitor(t, p, i)
		}
		w.programme(t, map[string]any{"day_start": "08:00", "day_end": "20:00", "slot_minutes": 15, "tables": tables,
			"daily_cap": 100, "mode": "auto"})
		buyers := make([]buyerActor, n)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for i := range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				defer func() {
					if r := recover(); r != nil && r != errorOnlyAbort {
						panic(r)
					}
				}()
				buyers[i] = w.buyer(&errorOnly{T: t})
			}()
		}
		wg.Wait()
		tokens := make([]string, n)
		for i, b := range buyers {
			if b.ID == "" {
				t.Fatal("a buyer could not be created (see errors above)")
			}
			w.register(t, b, []string{"food"}, []string{})
			tokens[i] = b.Token
		}
		ctx := context.Background()
		inSlot := func(slot string) []*ocop.Meeting {
			ms, err := w.s.Store.Meetings().InSlot(ctx, w.event, w.slotTime(t, slot), "", "", []ocop.MeetingStatus{ocop.MeetingAccepted, ocop.MeetingPending})
			if err != nil {
				t.Fatal(err)
			}
			return ms
		}
		for rep := range reps {
			// Everyone asks producer 0 for the same slot.
			slot := w.slot(2*rep, 15)
			bodies := make([]map[string]any, n)
			for i := range bodies {
				bodies[i] = map[string]any{"producer_id": ps[0].ID, "slot_start": slot}
			}
			got := tally(w.raceMeetings(t, tokens, bodies))
			if got["201 "] != 1 || got["409 meeting_slot_taken"] != n-1 {
				t.Fatalf("rep %d, same producer slot: %v", rep, got)
			}
			if ms := inSlot(slot); len(ms) != 1 || ms[0].Status != ocop.MeetingAccepted || ms[0].Table < 1 || ms[0].Table > tables {
				t.Fatalf("rep %d: stored %d meetings in the slot: %+v", rep, len(ms), ms)
			}

			// Each buyer asks a different producer; the slot has 10 tables.
			slot = w.slot(2*rep+1, 15)
			for i := range bodies {
				bodies[i] = map[string]any{"producer_id": ps[i].ID, "slot_start": slot}
			}
			got = tally(w.raceMeetings(t, tokens, bodies))
			if got["201 "] != tables || got["409 tables_full"] != n-tables {
				t.Fatalf("rep %d, distinct producers: %v", rep, got)
			}
			ms := inSlot(slot)
			var used []int
			for _, m := range ms {
				used = append(used, m.Table)
			}
			slices.Sort(used)
			if len(ms) != tables || !slices.Equal(used, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
				t.Fatalf("rep %d: tables in use %v", rep, used)
			}
		}
	})
}
