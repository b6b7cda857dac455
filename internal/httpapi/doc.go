// Package httpapi is the HTTP edge: the Gin router, middleware (request IDs,
// logging, metrics, recovery, body limits, CORS, security headers), strict
// JSON binding, handlers that call the use cases, and the one table that maps
// ocop error codes to HTTP statuses and RFC 9457 problem documents.
//
// Gin types stay in this package; handlers translate between HTTP DTOs
// (snake_case JSON, described in api/openapi.yaml) and domain types.
package httpapi
