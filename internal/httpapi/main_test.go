package httpapi_test

import (
	"os"
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/testsupport"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testsupport.DropTemplate()
	os.Exit(code)
}
