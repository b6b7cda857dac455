// Package migrations embeds the versioned SQL schema of both dialects into the
// binary. Each dialect has its own folder because PostgreSQL and SQLite differ
// in types, partial-index syntax and triggers; a test (store) proves both
// folders produce the same tables and columns.
//
// Versions are numbered in blocks per feature area (00001-00009 accounts and
// platform, 00010-00019 producers and places, 00020 listings and media, 00030
// events, 00040 search, 00050 inquiries, 00060 imports, 00070 meetings, 00080
// deployment), so work on different areas never collides on a number.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialect returns the migration files of "postgres" or "sqlite".
func Dialect(name string) (fs.FS, error) { return fs.Sub(files, name) }
