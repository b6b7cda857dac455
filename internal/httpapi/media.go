package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ocopconnect/ocopconnect/internal/media"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func (a *API) routesMedia(r *gin.Engine) {
	r.GET("/media/:key", a.getMedia)
}

// immutableCache is for objects whose name is never reused: an image's
// variants are written once under a fresh UUID and removed, never replaced.
const immutableCache = "public, max-age=31536000, immutable"

// getMedia serves a stored image variant by its public name. Only names the
// image pipeline generates are accepted, so no other object in the store
// (certificate scans, ...) can be reached through this public route. An S3
// store answers with a redirect to a short-lived presigned URL, so image
// bytes never pass through the API; the disk store is streamed.
func (a *API) getMedia(c *gin.Context) {
	name := c.Param("key")
	key, ok := media.ObjectKey(name)
	if !ok || a.Blobs == nil {
		fail(c, ocop.NotFound("image"))
		return
	}
	ctx := c.Request.Context()
	ttl := a.MediaSignedURLTTL
	if ttl <= 0 {
		ttl = 15 * time.Minute
	}
	u, err := a.Blobs.SignedURL(ctx, key, ttl)
	if err != nil {
		fail(c, err)
		return
	}
	if u != "" {
		// A missing image must be our 404 problem, not the store's XML.
		if _, err := a.Blobs.Stat(ctx, key); err != nil {
			fail(c, err)
			return
		}
		// Caches may keep the redirect for half the URL's life, so a cached
		// redirect never points at an expired URL.
		c.Header("Cache-Control", "public, max-age="+strconv.Itoa(int(ttl/2/time.Second)))
		c.Redirect(http.StatusFound, u)
		return
	}
	rc, info, err := a.Blobs.Open(ctx, key)
	if err != nil {
		fail(c, err)
		return
	}
	defer rc.Close()
	h := c.Writer.Header()
	// The type comes from the name the pipeline chose, never from what is
	// stored, and nosniff (set for every response) stops browsers guessing.
	h.Set("Content-Type", media.ContentTypeOf(name))
	h.Set("Cache-Control", immutableCache)
	h.Set("ETag", `"`+name+`"`)
	if rs, ok := rc.(io.ReadSeeker); ok {
		// Range requests and If-None-Match / If-Modified-Since for free.
		http.ServeContent(c.Writer, c.Request, "", info.ModTime, rs)
		return
	}
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, rc); err != nil && !errors.Is(err, ctx.Err()) {
		_ = c.Error(err) // headers are gone; the log records the cut-off
	}
}
