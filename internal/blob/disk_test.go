package blob_test

import (
	"testing"

	"github.com/ocopconnect/ocopconnect/internal/blob"
	"github.com/ocopconnect/ocopconnect/internal/blob/blobtest"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func TestDiskContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) ocop.Blobs {
		d, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}
