package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/config"
)

// newHealthcheckCmd probes a running server. Container images built on
// distroless have no curl or wget, so the binary checks itself
// (Dockerfile HEALTHCHECK, compose healthcheck).
func newHealthcheckCmd() *cobra.Command {
	var (
		addr    string
		path    string
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "healthcheck [--path /healthz|/readyz]",
		Short: "Probe the local server's /healthz (or /readyz); exit 0 when it answers 200",
		Long: `GET http://OCOP_ADDR/healthz and exit 0 on 200, 1 otherwise. A wildcard listen
address (0.0.0.0, [::] or an empty host) is probed on the loopback interface.
For container health checks, where the image has no curl.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("addr") {
				// Only OCOP_ADDR matters here: a probe must not fail because
				// some unrelated setting is invalid.
				cfg, err := config.LoadFrom(app.Environ())
				if err != nil {
					return err
				}
				addr = cfg.Addr
			}
			url, err := probeURL(addr, path)
			if err != nil {
				return exitError{2, err}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return exitError{2, err}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s", url, resp.Status)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", url)
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "server address host:port (default OCOP_ADDR)")
	cmd.Flags().StringVar(&path, "path", "/healthz", "path to probe: /healthz (alive) or /readyz (ready for traffic)")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

func probeURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "", fmt.Errorf("address %q is not host:port", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
