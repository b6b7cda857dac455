package httpapi

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	swaggerfiles "github.com/swaggo/files/v2"

	"github.com/ocopconnect/ocopconnect/api"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func (a *API) routesOps(r *gin.Engine) {
	r.GET("/healthz", a.healthz)
	r.GET("/readyz", a.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{Registry: a.Registry})))
	r.GET("/openapi.yaml", a.openapi)
	r.GET("/docs", a.docsPage)
	r.GET("/docs/assets/*file", a.docsAsset)
}

func notFoundRoute(c *gin.Context) error {
	return ocop.Errorf(ocop.CodeNotFound, "no route %s %s", c.Request.Method, c.Request.URL.Path)
}

func methodNotAllowed(c *gin.Context) error {
	return ocop.Errorf(ocop.CodeMethodNotAllowed, "%s is not allowed on %s", c.Request.Method, c.Request.URL.Path)
}

// healthz says the process is up. It checks nothing else on purpose: a
// liveness probe that fails on a database outage would restart healthy pods.
func (a *API) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz says whether this process can serve traffic: every dependency is
// checked with a short timeout and named when it fails.
func (a *API) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	var failed []string
	for _, rc := range a.Readiness {
		if err := rc.Check(ctx); err != nil {
			checks[rc.Name] = "unavailable"
			failed = append(failed, fmt.Sprintf("%s: %v", rc.Name, err))
			continue
		}
		checks[rc.Name] = "ok"
	}
	if len(failed) > 0 {
		c.Header("Retry-After", "5")
		writeProblem(c, Problem{
			Type: ProblemTypeBase + string(ocop.CodeUnavailable), Title: http.StatusText(http.StatusServiceUnavailable),
			Status: http.StatusServiceUnavailable, Code: ocop.CodeUnavailable, RequestID: requestID(c),
			Detail: "not ready: " + strings.Join(failed, "; "),
		})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "checks": checks})
}

func (a *API) openapi(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", api.OpenAPI)
}

// docsHTML renders the contract with Swagger UI, whose assets are compiled
// into the binary (github.com/swaggo/files): the page works offline and
// behind firewalls that block CDNs.
const docsHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OCOP Connect API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/assets/ocop-init.js"></script>
</body>
</html>
`

// The initializer is a file, not an inline script, so the page runs under a
// strict content security policy.
const docsInit = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.yaml",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
`

const docsCSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'"

func (a *API) docsPage(c *gin.Context) {
	c.Header("Content-Security-Policy", docsCSP)
	c.Data(http.StatusOK, "text/html; charset=utf-8", []byte(docsHTML))
}

func (a *API) docsAsset(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("file"), "/")
	c.Header("Content-Security-Policy", docsCSP)
	if name == "ocop-init.js" {
		c.Data(http.StatusOK, "text/javascript; charset=utf-8", []byte(docsInit))
		return
	}
	if name == "" || strings.Contains(name, "..") {
		fail(c, notFoundRoute(c))
		return
	}
	if _, err := fs.Stat(swaggerfiles.FS, name); err != nil {
		fail(c, notFoundRoute(c))
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.FileFromFS(name, http.FS(swaggerfiles.FS))
}
