package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ocopconnect/ocopconnect/internal/accounts"
	"github.com/ocopconnect/ocopconnect/internal/app"
	"github.com/ocopconnect/ocopconnect/internal/ocop"
)

func newAdminCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Administrative tasks"}
	cmd.AddCommand(newCreateUserCmd())
	return cmd
}

func newCreateUserCmd() *cobra.Command {
	var (
		common                  commonFlags
		email, role, name, lang string
		password                string
	)
	cmd := &cobra.Command{
		Use:   "create-user --email E --role buyer|producer|organiser|admin [--password P]",
		Short: "Create an account with any role",
		Long: `Create an account, including organiser and admin accounts that cannot sign
up themselves. Without --password the password is read from the first line
of standard input (keeps it out of shell history and process lists). Works
against the same database while the server runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("password") {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				password = strings.TrimRight(line, "\r\n")
				if password == "" {
					return exitError{2, errors.New("no password: pass --password or write it to standard input")}
				}
			}
			cfg, err := loadConfig(cmd, &common, nil)
			if err != nil {
				return err
			}
			log := app.NewLogger(cfg)
			a, err := app.New(cmd.Context(), cfg, log, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			if name == "" {
				name, _, _ = strings.Cut(email, "@")
			}
			u, err := a.Accounts.CreateUser(cmd.Context(), accounts.RegisterInput{
				Email: email, Password: password, DisplayName: name, Role: ocop.Role(role), Language: ocop.Language(lang),
			})
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created user %s <%s> with role %s\n", u.ID, u.Email, role)
			return nil
		},
	}
	common.register(cmd)
	cmd.Flags().StringVar(&email, "email", "", "e-mail address (required)")
	cmd.Flags().StringVar(&role, "role", "", "buyer, producer, organiser or admin (required)")
	cmd.Flags().StringVar(&password, "password", "", "password (default: read from standard input)")
	cmd.Flags().StringVar(&name, "name", "", "display name (default: the e-mail's local part)")
	cmd.Flags().StringVar(&lang, "language", "vi", "vi or en")
	_ = cmd.MarkFlagRequired("email")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

// describe renders a validation error with its fields for a terminal.
func describe(err error) error {
	var oe *ocop.Error
	if !errors.As(err, &oe) || len(oe.Fields) == 0 {
		return err
	}
	var b strings.Builder
	b.WriteString(oe.Message)
	if len(oe.Fields) > 1 {
		for _, f := range oe.Fields {
			fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
		}
	}
	return exitError{2, errors.New(b.String())}
}
