// Package api holds the HTTP contract, api/openapi.yaml (OpenAPI 3.1),
// embedded so the binary serves the very file the tests validate against.
package api

import _ "embed"

// OpenAPI is the contract document.
//
//go:embed openapi.yaml
var OpenAPI []byte
