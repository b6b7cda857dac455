// Package demo loads a realistic demo marketplace (ocopconnect seed demo):
// the sample OCOP catalogue imported through the import use case, demo
// accounts for every role, published listings with generated placeholder
// photos, and an upcoming trade fair with a floor plan.
package demo
