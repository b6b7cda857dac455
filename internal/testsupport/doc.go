// Package testsupport is the black-box API harness: it serves the production
// wiring (internal/app) on a fresh database from testdb and validates every
// request and response against api/openapi.yaml.
package testsupport
