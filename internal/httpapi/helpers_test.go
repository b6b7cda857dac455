package httpapi_test

import (
	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func registerInput(email string, role ocop.Role) accounts.RegisterInput {
	return accounts.RegisterInput{Email: email, Password: goodPassword, DisplayName: string(role), Role: role}
}
