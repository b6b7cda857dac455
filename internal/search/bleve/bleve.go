// Package bleve is the embedded search backend: a Bleve index under the data
// directory (or in memory for tests), with Vietnamese analyzers from vntext.
//
// Layout on disk: DIR/CURRENT names the live index directory
// (DIR/listings-<nanos>); a rebuild fills a new directory, then, under the
// write lock, rewrites CURRENT (temporary file + rename, so a crash leaves
// either the old or the new name) and switches the handle. Leftover
// directories of an interrupted rebuild are removed at the next Open.
package bleve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
	"github.com/ocopconnect/ocopconnect/internal/search/rebuild"
)

// Index is the Bleve backend of ocop.SearchIndex.
type Index struct {
	dir string // "" keeps everything in memory

	// mu guards the handles. Searches hold it shared for their whole run,
	// so the swap (exclusive) waits for them and the old index is closed
	// only when nobody reads it any more.
	mu       sync.RWMutex
	cur      bleve.Index
	curDir   string
	building bleve.Index
	// curCols and buildingCols mirror cur and building for browsing.
	curCols, buildingCols *columns
	guard                 *rebuild.Guard
	closed                bool

	writeMu   sync.Mutex // serialises writes: version check + batch, and the swap
	rebuildMu sync.Mutex // one rebuild at a time
}

var _ ocop.SearchIndex = (*Index)(nil)

const currentFile = "CURRENT"

// Open opens (or creates) the index kept under dir.
func Open(dir string) (*Index, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("search index directory: %w", err)
	}
	x := &Index{dir: dir}
	name, err := os.ReadFile(filepath.Join(dir, currentFile))
	switch {
	case err == nil && strings.TrimSpace(string(name)) != "":
		x.curDir = filepath.Join(dir, filepath.Base(strings.TrimSpace(string(name))))
		// A bounded wait for the file lock: the embedded index belongs to one
		// process, and a second one must fail rather than hang.
		x.cur, err = openDir(x.curDir)
		if err != nil {
			return nil, fmt.Errorf("open search index %s (the embedded index serves one process at a time: run the workers inside serve, or use Meilisearch): %w", x.curDir, err)
		}
		if v, _ := x.cur.GetInternal(mappingKey); string(v) != mappingVersion {
			// Another layout: start afresh (empty), to be rebuilt from the records.
			x.cur.Close()
			if x.cur, x.curDir, err = x.create(false); err != nil {
				return nil, err
			}
			if err := x.writeCurrent(x.curDir); err != nil {
				x.cur.Close()
				return nil, err
			}
		}
	case err == nil || errors.Is(err, os.ErrNotExist):
		if x.cur, x.curDir, err = x.create(false); err != nil {
			return nil, err
		}
		if err := x.writeCurrent(x.curDir); err != nil {
			x.cur.Close()
			return nil, err
		}
	default:
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, currentFile), err)
	}
	x.removeStale()
	if x.curCols, err = loadColumns(context.Background(), x.cur); err != nil {
		x.cur.Close()
		return nil, fmt.Errorf("read search index %s: %w", x.curDir, err)
	}
	return x, nil
}

// newMemoryIndex is scorch in memory (an empty path), not NewMemOnly's
// upsidedown: the same engine as on disk, whose segments the facet
// counting reads (segfacets.go).
func newMemoryIndex() (bleve.Index, error) {
	return bleve.NewUsing("", newMapping(), scorch.Name, scorch.Name, nil)
}

// NewMemory returns an index kept in memory (tests, benchmarks).
func NewMemory() (*Index, error) {
	idx, err := newMemoryIndex()
	if err != nil {
		return nil, err
	}
	return &Index{cur: idx, curCols: newColumns()}, nil
}

// openDir opens an on-disk index for live use: a bounded wait for the file
// lock (the embedded index belongs to one process, and a second one must
// fail rather than hang), and every batch durable before it returns.
func openDir(path string) (bleve.Index, error) {
	return bleve.OpenUsing(path, map[string]interface{}{"bolt_timeout": "2s", "unsafe_batch": false})
}

// create makes a fresh index. A rebuild fills it with unsafe batches
// (persisted in the background instead of one fsync per batch): until the
// swap nothing depends on it, and a crash only leaves a directory that
// the next Open removes; it is reopened durable before it goes live.
func (x *Index) create(rebuilding bool) (bleve.Index, string, error) {
	var idx bleve.Index
	var err error
	path := ""
	if x.dir == "" {
		idx, err = newMemoryIndex()
	} else {
		path = filepath.Join(x.dir, fmt.Sprintf("listings-%d", time.Now().UnixNano()))
		idx, err = bleve.NewUsing(path, newMapping(), bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore,
			map[string]interface{}{"unsafe_batch": rebuilding})
	}
	if err == nil {
		if err = idx.SetInternal(mappingKey, []byte(mappingVersion)); err != nil {
			idx.Close()
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("create search index %s: %w", path, err)
	}
	return idx, path, nil
}

func (x *Index) writeCurrent(path string) error {
	tmp := filepath.Join(x.dir, currentFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.WriteString(filepath.Base(path) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(x.dir, currentFile))
	}
	if err != nil {
		return fmt.Errorf("switch search index: %w", err)
	}
	return nil
}

// removeStale deletes index directories other than the current one.
func (x *Index) removeStale() {
	entries, _ := os.ReadDir(x.dir)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "listings-") && filepath.Join(x.dir, e.Name()) != x.curDir {
			_ = os.RemoveAll(filepath.Join(x.dir, e.Name()))
		}
	}
}

// Field names of the index.
const (
	fTitle    = "title"   // vi + en titles, folded
	fPairs    = "pairs"   // adjacent title words ("ca phe"): phrase ranking without positions
	fAll      = "all"     // everything searchable, folded: what must match
	fAllExact = "all_x"   // the short fields with marks: ranks exact-diacritic matches first
	fPrefixes = "prefix"  // the beginnings of every word of fAll: completes the last query word
	fSuggest  = "suggest" // titles and producer name, folded; also where typos are looked up
	fProvince = "province_code"
	fGroup    = "product_group"
	fSet      = "product_set"
	fKind     = "producer_kind"
	// fFacets holds every facet value of a document as "prefix:value"
	// (p: province, g: group, s: product set, r: stars, k: producer kind,
	// b: price bucket), for filters.
	fFacets = "facets"
	// fFacetKey is the document's facet combination (facets.go): one doc
	// value per document, uncompressed, which the facet counter reads for
	// every match. Not in the mapping: it is added by indexDocument.
	fFacetKey = "facet_key"
	fStars    = "stars"
	fPriceMin = "price_min_vnd"
	fMOQ      = "moq"
	fCert     = "certified"
	fNewest   = "published_ms"
	fVersion  = "version_s" // stored as text: nanosecond versions do not fit a float64
	fDoc      = "_doc"      // the whole document, stored
)

// mappingVersion names the layout below; an index of another version is
// replaced by an empty one at Open, which the service rebuilds at start.
const mappingVersion = "5"

var mappingKey = []byte("ocop_mapping_version")

func newMapping() mapping.IndexMapping {
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = analyzerFolded
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	dm := bleve.NewDocumentStaticMapping()
	// No "_all" composite: every query names its fields, and building it
	// costs a tenth of the indexing time.
	dm.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	text := func(analyzer string, positions bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer, f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = analyzer, false, positions, false, false
		return f
	}
	dm.AddFieldMappingsAt(fTitle, text(analyzerFolded, false))
	dm.AddFieldMappingsAt(fPairs, text(analyzerPairs, false))
	dm.AddFieldMappingsAt(fAll, text(analyzerFolded, false))
	dm.AddFieldMappingsAt(fAllExact, text(analyzerExact, false))
	dm.AddFieldMappingsAt(fPrefixes, text(analyzerPrefixes, false))
	dm.AddFieldMappingsAt(fSuggest, text(analyzerFolded, false))
	for _, name := range []string{fProvince, fGroup, fSet, fKind, fFacets} {
		f := bleve.NewKeywordFieldMapping()
		f.Store, f.IncludeInAll, f.IncludeTermVectors, f.DocValues = false, false, false, false
		dm.AddFieldMappingsAt(name, f)
	}
	// The sort fields (fStars, fPriceMin, fNewest) are added by
	// indexDocument.
	moq := bleve.NewNumericFieldMapping()
	moq.Store, moq.IncludeInAll, moq.DocValues = false, false, false
	dm.AddFieldMappingsAt(fMOQ, moq)
	b := bleve.NewBooleanFieldMapping()
	b.Store, b.IncludeInAll = false, false
	dm.AddFieldMappingsAt(fCert, b)
	for _, name := range []string{fVersion, fDoc} {
		f := bleve.NewKeywordFieldMapping()
		f.Index, f.Store, f.IncludeInAll, f.IncludeTermVectors, f.DocValues = false, true, false, false, false
		dm.AddFieldMappingsAt(name, f)
	}
	m.DefaultMapping = dm
	return m
}

func fields(d ocop.SearchDocument) (map[string]any, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	join := func(parts ...string) string { return strings.Join(parts, "\n") }
	short := join(d.TitleVI, d.TitleEN, d.ProducerName, strings.Join(d.Tags, "\n"), d.ProvinceName, d.CommuneName)
	all := join(short, d.DescriptionVI, d.DescriptionEN)
	return map[string]any{
		fTitle:    join(d.TitleVI, d.TitleEN),
		fPairs:    []string{d.TitleVI, d.TitleEN}, // pairs never span the two titles
		fAll:      all,
		fPrefixes: all,
		fAllExact: short,
		fSuggest:  join(d.TitleVI, d.TitleEN, d.ProducerName),
		fProvince: d.ProvinceCode, fGroup: d.ProductGroup, fSet: d.ProductSet, fKind: d.ProducerKind,
		fFacets: []string{"p:" + d.ProvinceCode, "g:" + d.ProductGroup, "s:" + d.ProductSet, "k:" + d.ProducerKind,
			"r:" + strconv.Itoa(d.Stars), "b:" + strconv.Itoa(ocop.PriceBucketOf(d.PriceMinVND))},
		fMOQ: float64(d.MOQ), fCert: d.Certified,
		fVersion: strconv.FormatInt(d.Version, 10),
		fDoc:     string(raw),
	}, nil
}

// indexDocument maps a search document to Bleve's. The fields whose doc
// values are read for every match (the facet key, the sort keys) are added
// here with uncompressed doc values, which the mapping cannot express:
// Bleve's default snappy-compressed ones are decoded again and again, and
// that was half the time of a query at 100,000 listings.
func indexDocument(m mapping.IndexMapping, d ocop.SearchDocument) (*document.Document, error) {
	f, err := fields(d)
	if err != nil {
		return nil, err
	}
	doc := document.NewDocument(d.ID)
	if err := m.MapDocument(doc, f); err != nil {
		return nil, err
	}
	// SkipDVChunking with SkipDVCompression: zapx (v17.2.5) copies
	// uncompressed doc values through a merge as if each chunk held one
	// document, which is only true with chunking off. Without it, every
	// document of a merged segment read a whole chunk's values (about a
	// thousand facet keys and prices): facet counts and sorts of text
	// queries were wrong after the first merge, and slow.
	// TestMergedDocValues pins this.
	const plain = index.IndexField | index.DocValues | index.SkipDVCompression | index.SkipDVChunking
	doc.AddField(document.NewTextFieldCustom(fFacetKey, nil, []byte(facetValuesOf(d).key()), plain, m.AnalyzerNamed(keyword.Name)))
	doc.AddField(document.NewNumericFieldWithIndexingOptions(fStars, nil, float64(d.Stars), plain))
	doc.AddField(document.NewNumericFieldWithIndexingOptions(fPriceMin, nil, float64(d.PriceMinVND), plain))
	doc.AddField(document.NewNumericFieldWithIndexingOptions(fNewest, nil, float64(d.PublishedAt.UnixMilli()), plain))
	return doc, nil
}

func unavailable(err error) error {
	return &ocop.Error{Code: ocop.CodeUnavailable, Message: "search is unavailable", RetryAfter: 5 * time.Second, Err: err}
}

var errClosed = errors.New("search index closed")

// versions reads the indexed versions of ids.
func versions(ctx context.Context, idx bleve.Index, ids []string) (map[string]int64, error) {
	req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{fVersion}
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(res.Hits))
	for _, h := range res.Hits {
		if s, ok := h.Fields[fVersion].(string); ok {
			v, _ := strconv.ParseInt(s, 10, 64)
			out[h.ID] = v
		}
	}
	return out, nil
}

// put indexes docs, skipping those older than the indexed version when
// check is set.
func put(ctx context.Context, idx bleve.Index, cols *columns, docs []ocop.SearchDocument, check bool) error {
	docs = rebuild.Newest(docs)
	if len(docs) == 0 {
		return nil
	}
	var have map[string]int64
	if check {
		ids := make([]string, len(docs))
		for i, d := range docs {
			ids[i] = d.ID
		}
		var err error
		if have, err = versions(ctx, idx, ids); err != nil {
			return err
		}
	}
	b := idx.NewBatch()
	written := docs[:0:0]
	for _, d := range docs {
		if v, ok := have[d.ID]; ok && v > d.Version {
			continue // an older event: the index already has something newer
		}
		doc, err := indexDocument(idx.Mapping(), d)
		if err != nil {
			return err
		}
		if err := b.IndexAdvanced(doc); err != nil {
			return err
		}
		written = append(written, d)
	}
	if err := idx.Batch(b); err != nil {
		return err
	}
	cols.set(written)
	return nil
}

// Upsert adds or replaces documents, ignoring older versions.
func (x *Index) Upsert(ctx context.Context, docs ...ocop.SearchDocument) error {
	if err := rebuild.ValidIDs(docs); err != nil {
		return err
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.RLock()
	cur, building, guard, closed := x.cur, x.building, x.guard, x.closed
	curCols, buildingCols := x.curCols, x.buildingCols
	x.mu.RUnlock()
	if closed {
		return unavailable(errClosed)
	}
	if err := put(ctx, cur, curCols, docs, true); err != nil {
		return unavailable(err)
	}
	if building != nil {
		guard.Upserted(docs)
		if err := put(ctx, building, buildingCols, docs, true); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

// Delete removes documents.
func (x *Index) Delete(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.RLock()
	cur, building, guard, closed := x.cur, x.building, x.guard, x.closed
	curCols, buildingCols := x.curCols, x.buildingCols
	x.mu.RUnlock()
	if closed {
		return unavailable(errClosed)
	}
	del := func(idx bleve.Index, cols *columns) error {
		b := idx.NewBatch()
		for _, id := range ids {
			b.Delete(id)
		}
		if err := idx.Batch(b); err != nil {
			return err
		}
		cols.remove(ids)
		return nil
	}
	if err := del(cur, curCols); err != nil {
		return unavailable(err)
	}
	if building != nil {
		guard.Deleted(ids)
		if err := del(building, buildingCols); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

// Rebuild fills a fresh index and swaps it in. Live writes made meanwhile
// reach both indexes.
func (x *Index) Rebuild(ctx context.Context, fill func(ctx context.Context, put func(docs ...ocop.SearchDocument) error) error) error {
	x.rebuildMu.Lock()
	defer x.rebuildMu.Unlock()
	fresh, freshDir, err := x.create(true)
	if err != nil {
		return err
	}
	guard := &rebuild.Guard{}
	freshCols := newColumns()
	x.writeMu.Lock()
	x.mu.Lock()
	closed := x.closed
	if !closed {
		x.building, x.buildingCols, x.guard = fresh, freshCols, guard
	}
	x.mu.Unlock()
	x.writeMu.Unlock()
	discard := func() {
		x.writeMu.Lock()
		x.mu.Lock()
		if x.building == fresh {
			x.building, x.buildingCols, x.guard = nil, nil, nil
		}
		x.mu.Unlock()
		x.writeMu.Unlock()
		fresh.Close()
		if freshDir != "" {
			_ = os.RemoveAll(freshDir)
		}
	}
	if closed {
		discard()
		return unavailable(errClosed)
	}
	err = fill(ctx, func(docs ...ocop.SearchDocument) error {
		if err := rebuild.ValidIDs(docs); err != nil {
			return err
		}
		x.writeMu.Lock()
		defer x.writeMu.Unlock()
		// The fresh index holds only what the fill and live writes put
		// there; the guard already drops what live writes superseded.
		return put(ctx, fresh, freshCols, guard.Filter(docs), false)
	})
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = settle(ctx, fresh, freshDir != "")
	}
	if err != nil {
		discard()
		return err
	}
	x.writeMu.Lock()
	x.mu.RLock()
	swapErr := error(nil)
	if x.closed {
		swapErr = unavailable(errClosed)
	}
	x.mu.RUnlock()
	if swapErr == nil && freshDir != "" {
		// Reopen it durable (no unsafe batches for live writes); no write
		// can come in between, writeMu is held.
		fresh.Close()
		var reopened bleve.Index
		if reopened, swapErr = openDir(freshDir); swapErr == nil {
			fresh = reopened
			swapErr = x.writeCurrent(freshDir)
		}
	}
	var old bleve.Index
	var oldDir string
	if swapErr == nil {
		x.mu.Lock()
		old, oldDir = x.cur, x.curDir
		x.cur, x.curDir, x.curCols, x.building, x.buildingCols, x.guard = fresh, freshDir, freshCols, nil, nil, nil
		x.mu.Unlock()
	}
	x.writeMu.Unlock()
	if swapErr != nil {
		discard()
		return swapErr
	}
	// Taking mu exclusively above waited for in-flight searches of the old
	// index; new ones already read the fresh one.
	old.Close()
	if oldDir != "" {
		_ = os.RemoveAll(oldDir)
	}
	return nil
}

// settle waits until a freshly filled index has persisted what it holds,
// then merges it into one segment (and waits for that to persist) before
// it goes live: the fill writes one segment per batch, and searching
// dozens of segments (while the background merger catches up) is several
// times slower than searching a merged index.
func settle(ctx context.Context, idx bleve.Index, persisted bool) error {
	in, err := idx.Advanced()
	if err != nil {
		return err
	}
	s, ok := in.(*scorch.Scorch)
	if !ok || !persisted {
		// In memory, scorch neither persists nor merges (ForceMerge would
		// wait for a merger that never runs).
		return nil
	}
	wait := func() error {
		for {
			st := s.StatsMap()
			cur, _ := st["CurRootEpoch"].(uint64)
			done, _ := st["LastPersistedEpoch"].(uint64)
			if done >= cur {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	if err := wait(); err != nil {
		return err
	}
	if err := s.ForceMerge(ctx, nil); err != nil {
		return err
	}
	return wait()
}

// Count returns the number of indexed documents.
func (x *Index) Count(ctx context.Context) (int, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return 0, unavailable(errClosed)
	}
	n, err := x.cur.DocCount()
	if err != nil {
		return 0, unavailable(err)
	}
	return int(n), nil
}

// Ping reports whether the index can be read.
func (x *Index) Ping(ctx context.Context) error {
	_, err := x.Count(ctx)
	return err
}

// Close releases the index (and an unfinished rebuild's).
func (x *Index) Close() error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	if x.building != nil {
		x.building.Close()
	}
	return x.cur.Close()
}
