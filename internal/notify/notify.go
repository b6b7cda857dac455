// Package notify is the use case of notifications: every event a user
// should hear about (a new inquiry, a reply, a quote, an inquiry about to
// expire...) becomes an in-app notification, written in the transaction of
// the change that caused it, and an e-mail sent by a worker through the
// "notify.email" outbox topic, so that neither is ever lost: a mail server
// that is down only delays the e-mail, which is retried with backoff.
//
// E-mails are rendered from Vietnamese and English templates chosen by the
// recipient's language. Without a configured SMTP server they are written
// to the log instead (see internal/mailer).
package notify

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/google/uuid"

	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

// TopicEmail is the outbox topic that mails a notification; Key is the
// notification ID.
const TopicEmail = "notify.email"

// Repo stores notifications.
type Repo interface {
	Create(ctx context.Context, ns ...ocop.Notification) ([]ocop.Notification, error)
	Get(ctx context.Context, id string) (*ocop.Notification, error)
	List(ctx context.Context, userID string, unreadOnly bool, before string, limit int) ([]ocop.Notification, error)
	UnreadCount(ctx context.Context, userID string) (int, error)
	MarkRead(ctx context.Context, userID, id string, at time.Time) error
	MarkAllRead(ctx context.Context, userID string, at time.Time) (int64, error)
	MarkEmailed(ctx context.Context, id string, at time.Time) error
}

// Users finds the recipient of an e-mail.
type Users interface {
	Get(ctx context.Context, id string) (*ocop.User, error)
}

// Mailer sends one e-mail.
type Mailer interface {
	Send(ctx context.Context, e ocop.Email) error
}

// Service is the notifications use case.
type Service struct {
	Notifications Repo
	Users         Users
	Outbox        ocop.Outbox
	Mailer        Mailer
	Now           ocop.Clock
	// MessageIDDomain is the right-hand side of Message-ID headers.
	MessageIDDomain string
}

// Notify records notifications and queues their e-mails, in the caller's
// transaction (the ctx of Transactor.InTx). A booking or meeting
// notification the user already has is skipped, e-mail included (see Repo.Create).
func (s *Service) Notify(ctx context.Context, ns ...ocop.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	now := s.Now()
	for i := range ns {
		if ns[i].ID == "" {
			ns[i].ID = uuid.Must(uuid.NewV7()).String()
		}
		if ns[i].CreatedAt.IsZero() {
			ns[i].CreatedAt = now
		}
	}
	stored, err := s.Notifications.Create(ctx, ns...)
	if err != nil {
		return err
	}
	msgs := make([]ocop.OutboxMessage, len(stored))
	for i, n := range stored {
		msgs[i] = ocop.OutboxMessage{Topic: TopicEmail, Key: n.ID, Payload: json.RawMessage(`{"kind":"` + string(n.Kind) + `"}`)}
	}
	return s.Outbox.Enqueue(ctx, msgs...)
}

func caller(ctx context.Context) (string, error) {
	p, ok := ocop.PrincipalFrom(ctx)
	if !ok || p.UserID == "" {
		return "", ocop.Errorf(ocop.CodeUnauthenticated, "sign in to see your notifications")
	}
	return p.UserID, nil
}

// Page is a page of notifications.
type Page struct {
	Items       []ocop.Notification
	NextCursor  string
	UnreadCount int
}

// List returns the caller's notifications, newest first.
func (s *Service) List(ctx context.Context, unreadOnly bool, cursor string, limit int) (*Page, error) {
	uid, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	before, err := ocop.DecodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	ns, err := s.Notifications.List(ctx, uid, unreadOnly, before, limit+1)
	if err != nil {
		return nil, err
	}
	p := &Page{Items: ns}
	if len(ns) > limit {
		p.Items = ns[:limit]
		p.NextCursor = ocop.EncodeCursor(ns[limit-1].ID)
	}
	if p.UnreadCount, err = s.Notifications.UnreadCount(ctx, uid); err != nil {
		return nil, err
	}
	return p, nil
}

// MarkRead marks one of the caller's notifications read (idempotent).
func (s *Service) MarkRead(ctx context.Context, id string) error {
	uid, err := caller(ctx)
	if err != nil {
		return err
	}
	return s.Notifications.MarkRead(ctx, uid, id, s.Now())
}

// MarkAllRead marks all of the caller's notifications read.
func (s *Service) MarkAllRead(ctx context.Context) (int64, error) {
	uid, err := caller(ctx)
	if err != nil {
		return 0, err
	}
	return s.Notifications.MarkAllRead(ctx, uid, s.Now())
}

// EmailHandler handles TopicEmail messages (its signature is jobs.Handler).
// It reads the notification by key (a deleted one is done), skips one
// already mailed (a redelivery after a crash between sending and
// recording; the stable Message-ID lets mail systems drop the rare
// duplicate from a crash between the two), renders it in the recipient's
// language and sends it. A failed send fails the message, which the runner
// retries with backoff until it is dead-lettered.
func (s *Service) EmailHandler(ctx context.Context, msgs []ocop.OutboxMessage) []error {
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = s.email(ctx, m.Key)
	}
	return errs
}

func (s *Service) email(ctx context.Context, id string) error {
	n, err := s.Notifications.Get(ctx, id)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if n.EmailedAt != nil {
		return nil
	}
	u, err := s.Users.Get(ctx, n.UserID)
	if ocop.IsCode(err, ocop.CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	e, err := Render(n, u)
	if err != nil {
		return err
	}
	domain := s.MessageIDDomain
	if domain == "" {
		domain = "ocopconnect.vn"
	}
	e.MessageID = "notification-" + n.ID + "@" + domain
	if err := s.Mailer.Send(ctx, e); err != nil {
		return err
	}
	return s.Notifications.MarkEmailed(ctx, n.ID, s.Now())
}

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = map[ocop.Language]*template.Template{
	ocop.LangVietnamese: mustTemplates("vi"),
	ocop.LangEnglish:    mustTemplates("en"),
}

func mustTemplates(lang string) *template.Template {
	funcs := template.FuncMap{"vnd": FormatVND, "status": statusText, "localtime": LocalTime}
	return template.Must(template.New(lang).Funcs(funcs).Option("missingkey=zero").ParseFS(templateFS, "templates/"+lang+".tmpl", "templates/*."+lang+".tmpl"))
}

// Render builds the e-mail of a notification for its recipient, in the
// recipient's language (Vietnamese when unset).
func Render(n *ocop.Notification, to *ocop.User) (ocop.Email, error) {
	t, ok := templates[to.Language]
	if !ok {
		t = templates[ocop.LangVietnamese]
	}
	data := map[string]string{}
	for k, v := range n.Data {
		data[k] = v
	}
	data["name"] = to.DisplayName
	data["inquiry_id"] = n.InquiryID
	data["event_id"] = n.EventID
	data["booking_id"] = n.BookingID
	data["meeting_id"] = n.MeetingID
	var subject, body strings.Builder
	if err := t.ExecuteTemplate(&subject, string(n.Kind)+"/subject", data); err != nil {
		return ocop.Email{}, fmt.Errorf("notification %s: %w", n.Kind, err)
	}
	if err := t.ExecuteTemplate(&body, string(n.Kind)+"/body", data); err != nil {
		return ocop.Email{}, fmt.Errorf("notification %s: %w", n.Kind, err)
	}
	return ocop.Email{To: to.Email, ToName: to.DisplayName, Subject: subject.String(), Text: body.String()}, nil
}

// FormatVND writes an amount of đồng the way each language writes money:
// "1.250.000 ₫" in Vietnamese, "1,250,000 VND" in English.
func FormatVND(amount, lang string) string {
	n, err := strconv.ParseInt(amount, 10, 64)
	if err != nil {
		return amount
	}
	sep, suffix := ".", " ₫"
	if lang == "en" {
		sep, suffix = ",", " VND"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	digits := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(d)
	}
	out := b.String() + suffix
	if neg {
		out = "-" + out
	}
	return out
}

// LocalTime writes an RFC 3339 time in the offset it carries (a fair's
// own time zone: times in notification data are written in it) the way
// each language writes a time: "17:00 ngày 05/06/2026", "17:00, 5 Jun 2026".
func LocalTime(value, lang string) string {
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return value
	}
	if lang == "en" {
		return t.Format("15:04, 2 Jan 2006")
	}
	return t.Format("15:04 ngày 02/01/2006")
}

var statusNames = map[string][2]string{
	"closed_won":  {"đã chốt đơn", "closed (deal won)"},
	"closed_lost": {"đã đóng (không thành)", "closed (no deal)"},
	"withdrawn":   {"người mua đã rút yêu cầu", "withdrawn by the buyer"},
	"expired":     {"đã hết hạn", "expired"},
	"spam":        {"bị báo là spam", "reported as spam"},
}

func statusText(status, lang string) string {
	names, ok := statusNames[status]
	if !ok {
		return status
	}
	if lang == "en" {
		return names[1]
	}
	return names[0]
}
