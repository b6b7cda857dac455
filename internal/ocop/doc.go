// Package ocop is the domain of OCOP Connect: the types every other package
// speaks (users, roles, errors, outbox messages), their validation rules and
// the ports (interfaces) that adapters implement.
//
// It imports only the standard library so that the business rules can be read
// and tested without a database, a web framework or a search engine in sight.
package ocop
