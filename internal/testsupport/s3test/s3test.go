// Package s3test hands tests a real S3 server: the one named by
// OCOP_TEST_S3_ENDPOINT (with OCOP_TEST_S3_ACCESS_KEY and
// OCOP_TEST_S3_SECRET_KEY), or else a versitygw gateway it starts itself on a
// free loopback port over a temporary directory, once per test process.
// When neither is possible the test is skipped, or fails under
// OCOP_TEST_STRICT=1, so CI can never pass without exercising S3.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/ocopconnect/ocopconnect/internal/blob"
	"github.com/ocopconnect/ocopconnect/internal/testsupport/testdb"
)

// Environment switches.
const (
	EnvEndpoint  = "OCOP_TEST_S3_ENDPOINT"
	EnvAccessKey = "OCOP_TEST_S3_ACCESS_KEY"
	EnvSecretKey = "OCOP_TEST_S3_SECRET_KEY"
	EnvUseTLS    = "OCOP_TEST_S3_USE_TLS"
)

// Server is a reachable S3 server.
type Server struct {
	Endpoint  string
	AccessKey string
	SecretKey string
	UseTLS    bool
}

// Config returns a blob.S3Config for bucket on this server.
func (s Server) Config(bucket string) blob.S3Config {
	return blob.S3Config{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Bucket: bucket, UseTLS: s.UseTLS}
}

var (
	once     sync.Once
	shared   Server
	startErr error
)

// Start returns the test S3 server, starting versitygw on first use.
func Start(t testing.TB) Server {
	t.Helper()
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		return Server{Endpoint: ep, AccessKey: os.Getenv(EnvAccessKey), SecretKey: os.Getenv(EnvSecretKey), UseTLS: os.Getenv(EnvUseTLS) == "1"}
	}
	once.Do(func() { shared, startErr = startVersity() })
	if startErr != nil {
		testdb.SkipOrFail(t, "no S3 server for the tests: set %s or install versitygw (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0): %v", EnvEndpoint, startErr)
	}
	return shared
}

// NewBucketName returns a fresh, valid bucket name.
func NewBucketName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "ocop-test-" + hex.EncodeToString(b)
}

// NewStore returns an S3 store on a fresh bucket (created by the store on
// first use) and removes the bucket with its objects after the test.
func NewStore(t testing.TB) *blob.S3 {
	t.Helper()
	srv := Start(t)
	s, err := blob.NewS3(srv.Config(NewBucketName()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { RemoveBucket(s.Client(), s.Bucket()) })
	return s
}

// RemoveBucket deletes a bucket and everything in it (best effort).
func RemoveBucket(c *minio.Client, bucket string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for obj := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			break
		}
		_ = c.RemoveObject(ctx, bucket, obj.Key, minio.RemoveObjectOptions{})
	}
	_ = c.RemoveBucket(ctx, bucket)
}

// versityBinary finds versitygw on PATH or where `go install` puts it.
func versityBinary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if d := os.Getenv("GOPATH"); d != "" {
		for _, p := range filepath.SplitList(d) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("versitygw not found on PATH, in $GOBIN, $GOPATH/bin or ~/go/bin")
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func startVersity() (Server, error) {
	bin, err := versityBinary()
	if err != nil {
		return Server{}, err
	}
	dir, err := os.MkdirTemp("", "ocop-versitygw-")
	if err != nil {
		return Server{}, err
	}
	srv := Server{AccessKey: "ocoptest", SecretKey: "ocoptest-secret-" + NewBucketName()}
	var lastErr error
	// A free port can be taken between probing and binding; try again.
	for range 3 {
		addr, err := freePort()
		if err != nil {
			return Server{}, err
		}
		cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", dir)
		cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+srv.AccessKey, "ROOT_SECRET_KEY="+srv.SecretKey)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		// The gateway dies with the test process even if TestMain never
		// gets to stop it (a panic, a timeout).
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			os.RemoveAll(dir)
			return Server{}, err
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitListening(addr, exited); err != nil {
			_ = cmd.Process.Kill()
			lastErr = fmt.Errorf("%w: %s", err, strings.TrimSpace(out.String()))
			continue
		}
		testdb.AtExit(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
			os.RemoveAll(dir)
		})
		srv.Endpoint = addr
		return srv, nil
	}
	os.RemoveAll(dir)
	return Server{}, fmt.Errorf("versitygw did not start: %v", lastErr)
}

func waitListening(addr string, exited <-chan error) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("versitygw exited: %v", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("versitygw did not listen within 15s")
}
