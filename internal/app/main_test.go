package app_test

import (
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }
