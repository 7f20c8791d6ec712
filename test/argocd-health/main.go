// Runs every case of Bosun's Argo CD health scripts the way an Argo CD application controller
// would: the argocd-cm ConfigMap a user applies is read by Argo CD's own settings manager, and each
// fixture's health comes from gitops-engine's GetResourceHealth with Argo CD's Lua overrides (the
// gopher-lua VM with the libraries Argo CD loads for argocd-cm scripts, which excludes string).
//
//	argocd-health -config argocd/argocd-cm.yaml -dir argocd
//
// Prints one JSON line per case and exits 1 when any case differs from its health_test.yaml, or when
// the ConfigMap does not hold exactly the health.lua files of -dir. With -write it writes that
// ConfigMap from the health.lua files instead; with -object it prints the health of that one object
// (YAML or JSON, e.g. kubectl get -o yaml) as JSON.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	appv1 "github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/argo-cd/v3/util/settings"
	"github.com/argoproj/gitops-engine/pkg/health"
	log "github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"
)

// The namespace Argo CD runs in; the settings manager reads argocd-cm and argocd-secret there.
const argocdNamespace = "argocd"

type healthTest struct {
	Tests []struct {
		InputPath    string              `json:"inputPath"`
		HealthStatus health.HealthStatus `json:"healthStatus"`
	} `json:"tests"`
}

type result struct {
	Case     string               `json:"case"`
	Expected health.HealthStatus  `json:"expected"`
	Actual   *health.HealthStatus `json:"actual,omitempty"`
	Error    string               `json:"error,omitempty"`
	Pass     bool                 `json:"pass"`
}

func main() {
	config := flag.String("config", "", "the argocd-cm ConfigMap (YAML) holding the health scripts")
	dir := flag.String("dir", "", "the folder in Argo CD's resource_customizations layout (<group>/<Kind>/health_test.yaml)")
	write := flag.Bool("write", false, "write -config from the health.lua files under -dir, run nothing")
	object := flag.String("object", "", "print the health of this object instead of running the cases")
	flag.Parse()
	// The settings manager logs its informers' progress; only problems matter here.
	log.SetLevel(log.WarnLevel)
	if *config == "" || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: argocd-health [-write | -object <file>] -config <argocd-cm.yaml> -dir <resource customizations folder>")
		os.Exit(2)
	}
	rendered, err := renderConfigMap(*dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "reading the health scripts under %s: %v\n", *dir, err)
		os.Exit(2)
	}
	if *write {
		if err := os.WriteFile(*config, rendered, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		return
	}
	if current, err := os.ReadFile(*config); err != nil || string(current) != string(rendered) {
		fmt.Fprintf(os.Stderr, "%s does not hold the health scripts under %s: write it again with -write\n", *config, *dir)
		os.Exit(1)
	}
	overrides, err := readOverrides(*config)
	if err != nil {
		fmt.Fprintf(os.Stderr, "reading %s: %v\n", *config, err)
		os.Exit(2)
	}
	if *object != "" {
		actual, err := healthOf(*object, lua.ResourceHealthOverrides(overrides))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", *object, err)
			os.Exit(1)
		}
		if err := json.NewEncoder(os.Stdout).Encode(actual); err != nil {
			os.Exit(2)
		}
		return
	}
	results, err := runCases(*dir, lua.ResourceHealthOverrides(overrides))
	if err != nil {
		fmt.Fprintf(os.Stderr, "reading the cases under %s: %v\n", *dir, err)
		os.Exit(2)
	}
	failed := 0
	out := json.NewEncoder(os.Stdout)
	for _, r := range results {
		if !r.Pass {
			failed++
		}
		if err := out.Encode(r); err != nil {
			os.Exit(2)
		}
	}
	fmt.Fprintf(os.Stderr, "%d passed, %d failed\n", len(results)-failed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// readOverrides hands the ConfigMap to Argo CD's settings manager (through client-go's in-memory
// clientset), so the keys (resource.customizations.health.<group>_<Kind>) are read as Argo CD reads them.
func readOverrides(path string) (map[string]appv1.ResourceOverride, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(raw, &cm); err != nil {
		return nil, err
	}
	cm.Namespace = argocdNamespace
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Name: "argocd-secret", Namespace: argocdNamespace,
		Labels: map[string]string{"app.kubernetes.io/part-of": "argocd"},
	}}
	client := fake.NewClientset(&cm, secret)
	manager := settings.NewSettingsManager(context.Background(), client, argocdNamespace)
	return manager.GetResourceOverrides()
}

// renderConfigMap writes argocd-cm with one resource.customizations.health.<group>_<Kind> key per
// <group>/<Kind>/health.lua (the key format Argo CD's settings manager reads), in path order.
func renderConfigMap(dir string) ([]byte, error) {
	scripts, err := filepath.Glob(filepath.Join(dir, "*", "*", "health.lua"))
	if err != nil {
		return nil, err
	}
	if len(scripts) == 0 {
		return nil, fmt.Errorf("no <group>/<Kind>/health.lua")
	}
	sort.Strings(scripts)
	var b strings.Builder
	b.WriteString(configMapHeader)
	for _, path := range scripts {
		script, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		kind := filepath.Base(filepath.Dir(path))
		group := filepath.Base(filepath.Dir(filepath.Dir(path)))
		fmt.Fprintf(&b, "  resource.customizations.health.%s_%s: |\n", group, kind)
		for _, line := range strings.Split(strings.TrimRight(string(script), "\n"), "\n") {
			if line == "" {
				b.WriteString("\n")
			} else {
				b.WriteString("    " + line + "\n")
			}
		}
	}
	return []byte(b.String()), nil
}

const configMapHeader = `# Bosun's Argo CD health checks, one key per kind (docs/argocd.md). Merge it into Argo CD's
# argocd-cm, e.g. kubectl -n argocd patch configmap argocd-cm --patch-file argocd/argocd-cm.yaml.
# Written from argocd/bosun.dev/*/health.lua by test/argocd-health (-write); do not edit.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
`

func runCases(dir string, overrides lua.ResourceHealthOverrides) ([]result, error) {
	var results []result
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "health_test.yaml" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var tests healthTest
		if err := yaml.UnmarshalStrict(raw, &tests); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		kindDir := filepath.Dir(path)
		for _, t := range tests.Tests {
			name, _ := filepath.Rel(dir, filepath.Join(kindDir, t.InputPath))
			results = append(results, runCase(filepath.ToSlash(name), filepath.Join(kindDir, t.InputPath), t.HealthStatus, overrides))
		}
		return nil
	})
	sort.Slice(results, func(i, j int) bool { return results[i].Case < results[j].Case })
	return results, err
}

func runCase(name, input string, expected health.HealthStatus, overrides lua.ResourceHealthOverrides) result {
	r := result{Case: name, Expected: expected}
	actual, err := healthOf(input, overrides)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Actual = actual
	r.Pass = *actual == expected
	return r
}

// healthOf is the health the application controller computes for the object in the file.
func healthOf(path string, overrides lua.ResourceHealthOverrides) (*health.HealthStatus, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &obj.Object); err != nil {
		return nil, err
	}
	actual, err := health.GetResourceHealth(obj, overrides)
	if err != nil {
		return nil, err
	}
	if actual == nil {
		return nil, fmt.Errorf("no health: Argo CD has no health check for %s", obj.GroupVersionKind())
	}
	return actual, nil
}
