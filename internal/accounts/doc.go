// Package accounts is the use case of signing up, logging in and staying
// logged in: registration with argon2id password hashes, short-lived JWT
// access tokens, rotating refresh tokens with reuse detection, login
// throttling that holds across processes, and role grants by admins.
package accounts
