package app

import (
	"path/filepath"

	"github.com/ocopconnect/ocopconnect/internal/blob"
	"github.com/ocopconnect/ocopconnect/internal/jobs"
	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// openBlobs picks the media backend: S3 when OCOP_S3_ENDPOINT is set, the
// data directory otherwise. The S3 bucket is checked (and created) on first
// use, so a store that is down fails readiness, not start-up.
func openBlobs(cfgDataDir string, s3 *blob.S3Config) (ocop.Blobs, error) {
	if s3 != nil {
		return blob.NewS3(*s3)
	}
	return blob.NewDisk(filepath.Join(cfgDataDir, "media"))
}

// wireMedia builds the media store and the image processor.
func (a *App) wireMedia() error {
	cfg := a.Config
	var s3 *blob.S3Config
	if cfg.UsesS3() {
		s3 = &blob.S3Config{
			Endpoint: cfg.S3Endpoint, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
			Bucket: cfg.S3Bucket, Region: cfg.S3Region, UseTLS: cfg.S3UseTLS,
		}
	}
	var err error
	if a.Blobs, err = openBlobs(cfg.DataDir, s3); err != nil {
		return err
	}
	a.Media = media.NewProcessor(a.Blobs, media.Options{MaxBytes: cfg.MediaMaxUploadBytes, MaxPixels: cfg.MediaMaxPixels})
	return nil
}

// registerMedia adds the background removal of media objects.
func (a *App) registerMedia() {
	a.Runner.Handle(jobs.Topic{Name: media.TopicDelete, Handler: media.DeleteHandler(a.Blobs), BatchSize: 20})
}
