package config

import (
	"fmt"
	"reflect"
	"strings"
)

// Variable is one documented setting.
type Variable struct {
	Name    string
	Default string
	Flag    string
	Secret  bool
	Doc     string
}

// Variables lists every setting of Config in declaration order.
func Variables() []Variable {
	t := reflect.TypeOf(Config{})
	out := make([]Variable, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if name == "" {
			continue
		}
		out = append(out, Variable{
			Name: name, Default: f.Tag.Get("envDefault"), Flag: f.Tag.Get("flag"),
			Secret: f.Tag.Get("secret") != "", Doc: f.Tag.Get("doc"),
		})
	}
	return out
}

// Markdown renders the configuration reference (docs/configuration.md).
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("<!-- Generated from internal/config by `make docs`; do not edit by hand. -->\n\n")
	b.WriteString("Every setting is an environment variable. With none set, `ocopconnect serve` runs the\n")
	b.WriteString("embedded setup: SQLite and everything else under `./data`, listening on 127.0.0.1:8080.\n")
	b.WriteString("A value that does not parse or validate stops start-up with a message naming the variable.\n")
	b.WriteString("Secrets are never logged (the start-up log prints the configuration with them redacted).\n\n")
	b.WriteString("| Variable | Default | Flag | Description |\n| --- | --- | --- | --- |\n")
	for _, v := range Variables() {
		def := "—"
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		flag := ""
		if v.Flag != "" {
			flag = "`--" + v.Flag + "`"
		}
		doc := v.Doc
		if v.Secret {
			doc += " **Secret.**"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", v.Name, def, flag, strings.ReplaceAll(doc, "|", "\\|"))
	}
	return b.String()
}
