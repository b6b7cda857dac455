package main

// Checks of the deployment files (deploy/Dockerfile, deploy/compose.yaml,
// deploy/k8s) and the documentation against the code, without a Docker
// engine or a cluster: every OCOP_* variable they name exists in the config
// struct, the values they set pass config validation, every command they run
// parses with this binary's own command tree, and the manifests hang together
// (probes, selectors, references, kustomize file lists).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/ocopconnect/ocopconnect/internal/config"
)

const repoRoot = "../.."

var varName = regexp.MustCompile(`\bOCOP_[A-Z0-9_]+`)

// documentFiles are the files whose OCOP_* names must be real settings.
func documentFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "deploy/Dockerfile", "deploy/compose.yaml"}
	docs, _ := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	for _, d := range docs {
		files = append(files, strings.TrimPrefix(d, repoRoot+"/"))
	}
	_ = filepath.WalkDir(filepath.Join(repoRoot, "deploy", "k8s"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(p, repoRoot+"/"))
		}
		return err
	})
	if len(files) < 10 {
		t.Fatalf("found only %v", files)
	}
	return files
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeployAndDocsNameOnlyRealSettings: a variable named in compose, k8s,
// the Dockerfile, README.md or docs/*.md that the config struct does not
// read would be silently ignored by the binary.
func TestDeployAndDocsNameOnlyRealSettings(t *testing.T) {
	known := map[string]bool{}
	for _, v := range config.Variables() {
		known[v.Name] = true
	}
	isPrefix := func(p string) bool {
		for name := range known {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
	for _, f := range documentFiles(t) {
		for _, name := range varName.FindAllString(string(readFile(t, f)), -1) {
			switch {
			case known[name]:
			case strings.HasPrefix(name, "OCOP_TEST_"), strings.HasPrefix(name, "OCOP_BENCH_"): // switches of the test and benchmark harness, not of the binary
			case strings.HasSuffix(name, "_") && isPrefix(name): // OCOP_LOGIN_MAX_FAILURES_* and the like
			default:
				t.Errorf("%s names %s, which is not a setting of internal/config", f, name)
			}
		}
	}
	// The reference is generated from the struct (config.TestReferenceIsCurrent
	// keeps it current); the guides link to it instead of copying it.
	for _, f := range []string{"README.md", "docs/operations.md"} {
		if !bytes.Contains(readFile(t, f), []byte("configuration.md")) {
			t.Errorf("%s does not link the generated reference docs/configuration.md", f)
		}
	}
	ref := string(readFile(t, "docs/configuration.md"))
	for name := range known {
		if !strings.Contains(ref, "`"+name+"`") {
			t.Errorf("docs/configuration.md does not document %s: run make docs", name)
		}
	}
}

// checkCommand parses args (without the program name) with the real command
// tree and flags.
func checkCommand(t *testing.T, where string, args []string) {
	t.Helper()
	if len(args) == 0 {
		t.Errorf("%s: no command", where)
		return
	}
	cmd, rest, err := newRootCmd().Find(args)
	if err != nil || cmd == nil || !cmd.Runnable() {
		t.Errorf("%s: %q is not an ocopconnect command: %v", where, args, err)
		return
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%s: %q: %v", where, args, err)
		return
	}
	if cmd.Args != nil {
		if err := cmd.Args(cmd, cmd.Flags().Args()); err != nil {
			t.Errorf("%s: %q: %v", where, args, err)
		}
	}
}

// validateEnv loads a set of OCOP_* values as the binary would and validates it.
func validateEnv(t *testing.T, where string, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.LoadFrom(env)
	if err == nil {
		cfg.ApplyDefaults()
		err = cfg.Validate()
	}
	if err != nil {
		t.Errorf("%s: the environment it sets does not validate: %v", where, err)
		return nil
	}
	return cfg
}

func TestDockerfile(t *testing.T) {
	src := string(readFile(t, "deploy/Dockerfile"))
	var froms, users, healthchecks []string
	for _, line := range strings.Split(src, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, line)
		case "USER":
			users = append(users, f[1])
		case "HEALTHCHECK":
			healthchecks = append(healthchecks, line)
		}
	}
	if len(froms) < 2 {
		t.Errorf("not a multi-stage build: %v", froms)
	}
	if last := froms[len(froms)-1]; !strings.Contains(last, "distroless/static") && !strings.Contains(last, "scratch") {
		t.Errorf("final stage %q is not a minimal static base", last)
	}
	if len(users) == 0 || slices.Contains([]string{"root", "0", "0:0"}, users[len(users)-1]) {
		t.Errorf("the image runs as root: USER %v", users)
	}
	if !strings.Contains(src, "CGO_ENABLED=0") {
		t.Error("the binary is not built static (CGO_ENABLED=0)")
	}
	if len(healthchecks) != 1 {
		t.Fatalf("want one HEALTHCHECK, got %v", healthchecks)
	}
	// HEALTHCHECK ... CMD ["/ocopconnect", "healthcheck"] (continued lines joined).
	joined := strings.ReplaceAll(src, "\\\n", " ")
	m := regexp.MustCompile(`HEALTHCHECK[^\n]*CMD\s+\[([^\]]*)\]`).FindStringSubmatch(joined)
	if m == nil {
		t.Fatal("HEALTHCHECK has no exec-form CMD")
	}
	var hc []string
	if err := yaml.Unmarshal([]byte("["+m[1]+"]"), &hc); err != nil || len(hc) < 2 || hc[0] != "/ocopconnect" {
		t.Fatalf("HEALTHCHECK CMD %q: %v", m[1], err)
	}
	checkCommand(t, "Dockerfile HEALTHCHECK", hc[1:])
	env := map[string]string{}
	for _, line := range strings.Split(joined, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "ENV" {
			for _, kv := range f[1:] {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
	}
	if env["OCOP_ADDR"] == "" || strings.HasPrefix(env["OCOP_ADDR"], "127.") {
		t.Errorf("the image must listen on all interfaces, OCOP_ADDR=%q", env["OCOP_ADDR"])
	}
	validateEnv(t, "Dockerfile", env)
}

// interpolate applies Compose's ${VAR:-default}, ${VAR:?error} and $$
// forms, with VAR unset except for required ones, which get a test value.
func interpolate(s string) string {
	re := regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}`)
	s = re.ReplaceAllStringFunc(s, func(m string) string {
		p := re.FindStringSubmatch(m)
		switch p[2] {
		case "-":
			return p[3]
		case "?":
			return "test-value-of-" + strings.ToLower(p[1]) + "-long-enough-for-any-key"
		}
		return ""
	})
	return strings.ReplaceAll(s, "$$", "$")
}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Deploy struct {
		Replicas  int `yaml:"replicas"`
		Resources struct {
			Limits struct {
				Memory string `yaml:"memory"`
			} `yaml:"limits"`
		} `yaml:"resources"`
	} `yaml:"deploy"`
	Healthcheck struct {
		Test    []string `yaml:"test"`
		Disable bool     `yaml:"disable"`
	} `yaml:"healthcheck"`
	StopGracePeriod string `yaml:"stop_grace_period"`
}

func TestComposeFile(t *testing.T) {
	var c composeFile
	if err := yaml.Unmarshal([]byte(interpolate(string(readFile(t, "deploy/compose.yaml")))), &c); err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	for _, want := range []string{"postgres", "meilisearch", "minio", "migrate", "api", "worker"} {
		if _, ok := c.Services[want]; !ok {
			t.Errorf("no %s service", want)
		}
	}
	ours := 0
	for name, s := range c.Services {
		if s.Image == "" && s.Build == nil {
			t.Errorf("%s: neither image nor build", name)
		}
		if s.Image != "" && !strings.Contains(s.Image, ":") {
			t.Errorf("%s: image %q is not pinned to a tag", name, s.Image)
		}
		for dep, d := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
			}
			if d.Condition == "service_healthy" && c.Services[dep].Healthcheck.Test == nil && c.Services[dep].Build == nil {
				t.Errorf("%s waits for %s to be healthy, which has no health check", name, dep)
			}
		}
		if !strings.HasPrefix(s.Image, "ocopconnect:") {
			continue
		}
		ours++
		checkCommand(t, "compose "+name, s.Command)
		cfg := validateEnv(t, "compose "+name, s.Environment)
		if hc := s.Healthcheck.Test; len(hc) > 0 {
			if hc[0] != "CMD" || hc[1] != "/ocopconnect" {
				t.Errorf("compose %s: health check %q does not use the binary", name, hc)
			} else {
				checkCommand(t, "compose "+name+" healthcheck", hc[2:])
			}
		} else if !s.Healthcheck.Disable {
			t.Errorf("compose %s: no health check", name)
		}
		if name == "migrate" {
			continue
		}
		checkMemoryLimits(t, "compose "+name, s.Environment["GOMEMLIMIT"], s.Deploy.Resources.Limits.Memory)
		if d := s.DependsOn["migrate"]; d.Condition != "service_completed_successfully" {
			t.Errorf("compose %s does not wait for the migration step", name)
		}
		if cfg != nil {
			if cfg.MigrateOnStart {
				t.Errorf("compose %s migrates at start beside the migration step", name)
			}
			if grace, err := time.ParseDuration(s.StopGracePeriod); err != nil || grace <= cfg.ShutdownGrace {
				t.Errorf("compose %s: stop_grace_period %q must exceed OCOP_SHUTDOWN_GRACE (%s)", name, s.StopGracePeriod, cfg.ShutdownGrace)
			}
		}
	}
	if ours < 3 {
		t.Errorf("only %d services run the ocopconnect image", ours)
	}
	if got := c.Services["migrate"].Command; !slices.Equal(got, []string{"migrate", "up"}) {
		t.Errorf("migrate runs %q", got)
	}
	api := c.Services["api"]
	if !slices.Equal(api.Command, []string{"serve", "--workers=0"}) || api.Deploy.Replicas < 2 {
		t.Errorf("api: want 2+ replicas of serve --workers=0, got %d of %q", api.Deploy.Replicas, api.Command)
	}
	if w := c.Services["worker"]; len(w.Command) == 0 || w.Command[0] != "worker" || w.Deploy.Replicas < 1 {
		t.Errorf("worker: %q x %d", w.Command, w.Deploy.Replicas)
	}
}

// checkMemoryLimits: a long-running process has a memory limit and the Go
// runtime's soft limit (GOMEMLIMIT) at 80-95% of it, so that the collector
// works harder before the kernel kills the process.
func checkMemoryLimits(t *testing.T, where, gomemlimit, limit string) {
	t.Helper()
	soft, err1 := parseBytes(gomemlimit)
	hard, err2 := parseBytes(limit)
	if err1 != nil || err2 != nil {
		t.Errorf("%s: want a memory limit and GOMEMLIMIT beside it (limit %q: %v; GOMEMLIMIT %q: %v)", where, limit, err2, gomemlimit, err1)
		return
	}
	if r := float64(soft) / float64(hard); r < 0.8 || r > 0.95 {
		t.Errorf("%s: GOMEMLIMIT %s is %.0f%% of the memory limit %s; keep it at 80-95%%", where, gomemlimit, 100*r, limit)
	}
}

// parseBytes reads the sizes of GOMEMLIMIT (460MiB), Kubernetes (512Mi)
// and Compose (512M, binary units there).
func parseBytes(s string) (int64, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0, fmt.Errorf("not a size")
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, err
	}
	switch strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(s[i:], "B"), "i")) {
	case "k":
		return n << 10, nil
	case "m":
		return n << 20, nil
	case "g":
		return n << 30, nil
	}
	return 0, fmt.Errorf("unknown unit in %q", s)
}

// k8sObject is one manifest, kept as a generic map plus its file.
type k8sObject struct {
	file string
	m    map[string]any
}

func (o k8sObject) kind() string { return str(o.m, "kind") }
func (o k8sObject) name() string { return str(o.m, "metadata", "name") }

// get walks a path of map keys (and list indexes given as ints).
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

func strs(v any, path ...any) []string {
	var out []string
	for _, x := range list(v, path...) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func decodeAll(t *testing.T, rel string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, rel)))
	var docs []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
}

// loadKustomization returns the objects a kustomization directory builds
// (its resources, recursively), checking that every file it lists exists and
// that no manifest in the directory is left out.
func loadKustomization(t *testing.T, dir string) []k8sObject {
	t.Helper()
	kfile := filepath.Join(dir, "kustomization.yaml")
	docs := decodeAll(t, kfile)
	if len(docs) != 1 || str(docs[0], "kind") != "Kustomization" {
		t.Fatalf("%s is not one Kustomization", kfile)
	}
	k := docs[0]
	var objs []k8sObject
	listed := map[string]bool{}
	for _, r := range strs(k, "resources") {
		p := filepath.Join(dir, r)
		st, err := os.Stat(filepath.Join(repoRoot, p))
		if err != nil {
			t.Errorf("%s lists %s, which does not exist", kfile, r)
			continue
		}
		if st.IsDir() {
			objs = append(objs, loadKustomization(t, p)...)
			continue
		}
		listed[filepath.Base(p)] = true
		for _, d := range decodeAll(t, p) {
			objs = append(objs, k8sObject{file: p, m: d})
		}
	}
	entries, _ := os.ReadDir(filepath.Join(repoRoot, dir))
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") && e.Name() != "kustomization.yaml" && !listed[e.Name()] {
			t.Errorf("%s is in %s but not in its kustomization", e.Name(), dir)
		}
	}
	// images: and replicas: must name something that exists.
	for _, img := range list(k, "images") {
		if n := str(img, "name"); !imageUsed(objs, n) {
			t.Errorf("%s sets image %q, which no container uses", kfile, n)
		}
	}
	for _, r := range list(k, "replicas") {
		if findObj(objs, "Deployment", str(r, "name")) == nil {
			t.Errorf("%s sets replicas of unknown Deployment %q", kfile, str(r, "name"))
		}
	}
	for _, p := range list(k, "patches") {
		if findObj(objs, str(p, "target", "kind"), str(p, "target", "name")) == nil {
			t.Errorf("%s patches unknown %s/%s", kfile, str(p, "target", "kind"), str(p, "target", "name"))
		}
	}
	return objs
}

func podSpecs(objs []k8sObject) []k8sObject {
	var out []k8sObject
	for _, o := range objs {
		if o.kind() == "Deployment" || o.kind() == "Job" {
			out = append(out, o)
		}
	}
	return out
}

func imageUsed(objs []k8sObject, image string) bool {
	for _, o := range podSpecs(objs) {
		for _, c := range list(o.m, "spec", "template", "spec", "containers") {
			if str(c, "image") == image {
				return true
			}
		}
	}
	return false
}

func findObj(objs []k8sObject, kind, name string) *k8sObject {
	for i, o := range objs {
		if o.kind() == kind && o.name() == name {
			return &objs[i]
		}
	}
	return nil
}

func labelsMatch(selector, labels any) bool {
	sel, _ := selector.(map[string]any)
	lab, _ := labels.(map[string]any)
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if lab[k] != v {
			return false
		}
	}
	return true
}

func TestKubernetesManifests(t *testing.T) {
	objs := loadKustomization(t, "deploy/k8s/overlays/example")
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.kind()]++
		if str(o.m, "apiVersion") == "" || o.kind() == "" || o.name() == "" {
			t.Errorf("%s: a document without apiVersion, kind or metadata.name", o.file)
		}
	}
	for _, want := range []string{"Deployment", "Service", "Ingress", "ConfigMap", "Secret", "Job", "PodDisruptionBudget", "HorizontalPodAutoscaler"} {
		if kinds[want] == 0 {
			t.Errorf("the example overlay has no %s", want)
		}
	}

	// The environment the pods get: the ConfigMap plus the Secret template.
	env := map[string]string{}
	for _, o := range objs {
		var data any
		switch o.kind() {
		case "ConfigMap":
			data = get(o.m, "data")
		case "Secret":
			data = get(o.m, "stringData")
		default:
			continue
		}
		m, _ := data.(map[string]any)
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				t.Errorf("%s: %s is not a string (quote it)", o.file, k)
			}
			env[k] = s
		}
	}
	cfg := validateEnv(t, "k8s ConfigMap + Secret", env)

	var apiDeployments []k8sObject
	for _, o := range podSpecs(objs) {
		spec := get(o.m, "spec", "template", "spec")
		if o.kind() == "Deployment" && !labelsMatch(get(o.m, "spec", "selector", "matchLabels"), get(o.m, "spec", "template", "metadata", "labels")) {
			t.Errorf("%s %s: selector does not match the pod labels", o.kind(), o.name())
		}
		if get(spec, "securityContext", "runAsNonRoot") != true {
			t.Errorf("%s %s: pods may run as root", o.kind(), o.name())
		}
		for _, c := range list(spec, "containers") {
			where := o.kind() + " " + o.name() + " container " + str(c, "name")
			if str(c, "image") == "" || get(c, "resources", "requests") == nil || get(c, "resources", "limits", "memory") == nil {
				t.Errorf("%s: image, resource requests and a memory limit are required", where)
			}
			args := strs(c, "args")
			checkCommand(t, where, args)
			for _, ef := range list(c, "envFrom") {
				if n := str(ef, "configMapRef", "name"); n != "" && findObj(objs, "ConfigMap", n) == nil {
					t.Errorf("%s: no ConfigMap %s", where, n)
				}
				if n := str(ef, "secretRef", "name"); n != "" && findObj(objs, "Secret", n) == nil {
					t.Errorf("%s: no Secret %s", where, n)
				}
			}
			for _, e := range list(c, "env") {
				env := map[string]string{str(e, "name"): str(e, "value")}
				if _, err := config.LoadFrom(env); err != nil {
					t.Errorf("%s: %v", where, err)
				}
			}
			if probe := get(c, "livenessProbe", "exec", "command"); probe != nil {
				cmd := strs(c, "livenessProbe", "exec", "command")
				checkCommand(t, where+" liveness", cmd[1:])
			}
			if len(args) > 0 && args[0] != "migrate" {
				var gomemlimit string
				for _, e := range list(c, "env") {
					if str(e, "name") == "GOMEMLIMIT" {
						gomemlimit = str(e, "value")
					}
				}
				checkMemoryLimits(t, where, gomemlimit, str(c, "resources", "limits", "memory"))
			}
			if len(args) == 0 || args[0] != "serve" {
				continue
			}
			apiDeployments = append(apiDeployments, o)
			if !slices.Contains(args, "--workers=0") {
				t.Errorf("%s: the API runs workers in process; the worker Deployment runs them", where)
			}
			if str(c, "readinessProbe", "httpGet", "path") != "/readyz" || str(c, "livenessProbe", "httpGet", "path") != "/healthz" {
				t.Errorf("%s: readiness must probe /readyz and liveness /healthz", where)
			}
			ports := map[string]bool{}
			for _, p := range list(c, "ports") {
				ports[str(p, "name")] = true
			}
			for _, probe := range []string{"readinessProbe", "livenessProbe", "startupProbe"} {
				if p := str(c, probe, "httpGet", "port"); p != "" && !ports[p] {
					t.Errorf("%s: %s uses port %q, which the container does not name", where, probe, p)
				}
			}
			if cfg != nil {
				grace, _ := get(spec, "terminationGracePeriodSeconds").(int)
				pause, _ := get(c, "lifecycle", "preStop", "sleep", "seconds").(int)
				if time.Duration(grace)*time.Second <= cfg.ShutdownGrace+time.Duration(pause)*time.Second {
					t.Errorf("%s: terminationGracePeriodSeconds %d does not cover OCOP_SHUTDOWN_GRACE %s + preStop %ds", where, grace, cfg.ShutdownGrace, pause)
				}
			}
		}
	}
	if len(apiDeployments) != 1 {
		t.Fatalf("want one API Deployment (serve), got %d", len(apiDeployments))
	}
	api := apiDeployments[0]
	podLabels := get(api.m, "spec", "template", "metadata", "labels")
	if cfg != nil && cfg.MigrateOnStart {
		t.Error("the API migrates at start beside the migration Job (OCOP_MIGRATE_ON_START)")
	}
	for _, o := range objs {
		switch o.kind() {
		case "Service":
			if !labelsMatch(get(o.m, "spec", "selector"), podLabels) {
				t.Errorf("Service %s does not select the API pods", o.name())
			}
		case "PodDisruptionBudget":
			if !labelsMatch(get(o.m, "spec", "selector", "matchLabels"), podLabels) {
				t.Errorf("PodDisruptionBudget %s does not select the API pods", o.name())
			}
		case "HorizontalPodAutoscaler":
			if str(o.m, "spec", "scaleTargetRef", "kind") != "Deployment" || str(o.m, "spec", "scaleTargetRef", "name") != api.name() {
				t.Errorf("HorizontalPodAutoscaler %s does not scale the API", o.name())
			}
		case "Ingress":
			for _, r := range list(o.m, "spec", "rules") {
				for _, p := range list(r, "http", "paths") {
					if n := str(p, "backend", "service", "name"); findObj(objs, "Service", n) == nil {
						t.Errorf("Ingress %s routes to unknown Service %s", o.name(), n)
					}
				}
			}
		case "Job":
			args := strs(get(o.m, "spec", "template", "spec", "containers", 0), "args")
			if !slices.Equal(args, []string{"migrate", "up"}) {
				t.Errorf("Job %s runs %q, not migrate up", o.name(), args)
			}
			if rp := str(o.m, "spec", "template", "spec", "restartPolicy"); rp != "Never" && rp != "OnFailure" {
				t.Errorf("Job %s: restartPolicy %q", o.name(), rp)
			}
		}
	}
}
