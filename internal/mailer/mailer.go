// Package mailer sends e-mail: over SMTP (github.com/wneessen/go-mail, which
// handles STARTTLS, implicit TLS, SMTP AUTH mechanism negotiation and the
// MIME encoding of Vietnamese subjects and bodies that net/smtp leaves to
// the caller) when OCOP_SMTP_URL is set, or into the log when it is not, so
// a development setup shows what would have been sent.
package mailer

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// Log writes e-mails to the log instead of sending them.
type Log struct{ Logger *slog.Logger }

// Send logs the e-mail.
func (l Log) Send(_ context.Context, e ocop.Email) error {
	l.Logger.Info("e-mail not sent (OCOP_SMTP_URL is not set); logging it instead",
		"to", e.To, "subject", e.Subject, "message_id", e.MessageID, "body", e.Text)
	return nil
}

// SMTP sends e-mails through one SMTP server.
type SMTP struct {
	opts     []gomail.Option
	host     string
	fromName string
	fromAddr string
}

// ParseURL checks an SMTP URL without connecting:
//
//	smtp://[user[:password]@]host[:port][?tls=opportunistic|mandatory|none]
//	smtps://[user[:password]@]host[:port]   (implicit TLS)
//
// smtp:// defaults to port 587 and STARTTLS when the server offers it
// (tls=mandatory refuses to send without it); smtps:// to port 465. With a
// user, the strongest AUTH mechanism the server offers is used.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return nil, fmt.Errorf("scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q is not a port number", p)
		}
	}
	switch u.Query().Get("tls") {
	case "", "opportunistic", "mandatory", "none":
	default:
		return nil, fmt.Errorf("tls must be opportunistic, mandatory or none")
	}
	return u, nil
}

// NewSMTP builds a sender for the URL (see ParseURL); from is the sender
// address, optionally with a name ("OCOP Connect <no-reply@example.vn>").
func NewSMTP(rawURL, from string, timeout time.Duration) (*SMTP, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	name, addr := splitAddress(from)
	s := &SMTP{host: u.Hostname(), fromName: name, fromAddr: addr}
	port := 587
	if u.Scheme == "smtps" {
		port = 465
		s.opts = append(s.opts, gomail.WithSSL())
	} else {
		policy := gomail.TLSOpportunistic
		switch u.Query().Get("tls") {
		case "mandatory":
			policy = gomail.TLSMandatory
		case "none":
			policy = gomail.NoTLS
		}
		s.opts = append(s.opts, gomail.WithTLSPolicy(policy))
	}
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	s.opts = append(s.opts, gomail.WithPort(port), gomail.WithTimeout(timeout))
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		s.opts = append(s.opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	return s, nil
}

// splitAddress reads "Name <addr>" or a bare address.
func splitAddress(s string) (name, addr string) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		return strings.Trim(strings.TrimSpace(s[:i]), `"`), s[i+1 : len(s)-1]
	}
	return "", s
}

// Send delivers one e-mail (one connection per message: notifications are
// few, and a fresh connection never trips over a server's idle timeout).
func (s *SMTP) Send(ctx context.Context, e ocop.Email) error {
	m := gomail.NewMsg()
	if err := m.FromFormat(s.fromName, s.fromAddr); err != nil {
		return fmt.Errorf("OCOP_SMTP_FROM: %w", err)
	}
	if err := m.AddToFormat(e.ToName, e.To); err != nil {
		return fmt.Errorf("recipient %q: %w", e.To, err)
	}
	m.Subject(e.Subject)
	if e.MessageID != "" {
		m.SetMessageIDWithValue(e.MessageID)
	}
	m.SetDate()
	m.SetBodyString(gomail.TypeTextPlain, e.Text)
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, m)
}
