package accounts

import (
	"github.com/alexedwards/argon2id"
)

// PasswordParams are OWASP's minimum for argon2id (19 MiB, 2 iterations, 1
// lane). Each hash costs ~20-30 ms here: slow for an attacker, invisible to a
// user logging in.
var PasswordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword hashes a password with argon2id in PHC string format.
func HashPassword(password string) (string, error) {
	return argon2id.CreateHash(password, PasswordParams)
}

// dummyHash is compared against when the e-mail is unknown, so that an unknown
// account takes as long to reject as a wrong password (no account probing by
// timing).
var dummyHash = func() string {
	h, err := HashPassword("not-a-real-password-but-same-cost")
	if err != nil {
		panic(err)
	}
	return h
}()

// checkPassword reports whether password matches hash; a malformed hash is a
// mismatch, never a panic.
func checkPassword(password, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && ok
}
