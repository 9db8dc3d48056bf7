package ratelimit

import (
	"strings"
	"testing"
)

func TestPolicies(t *testing.T) {
	isRole := func(r string) bool { return r == "ADMIN" || r == "INTEGRATION" || r == "CSM" }
	ps, err := ParsePolicies("default=20000:1000, INTEGRATION=10000:500,CSM=30000:1000,sub:billing-sync=40000:2000", isRole)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		subject string
		roles   []string
		want    Policy
		from    string
	}{
		{"a role without an entry gets the default", "ada", []string{"ADMIN"}, Policy{20000, 1000}, "default"},
		{"a listed role wins over the default", "sync", []string{"INTEGRATION"}, Policy{10000, 500}, "INTEGRATION"},
		{"the most generous listed role", "cs", []string{"INTEGRATION", "CSM"}, Policy{30000, 1000}, "CSM"},
		{"the subject's own entry wins", "billing-sync", []string{"INTEGRATION"}, Policy{40000, 2000}, "sub:"},
	} {
		if got, from, ok := ps.For(tt.subject, tt.roles); !ok || got != tt.want || from != tt.from {
			t.Errorf("%s: %+v from %q %v, want %+v from %q", tt.name, got, from, ok, tt.want, tt.from)
		}
	}
	noDefault, err := ParsePolicies("INTEGRATION=100:1", isRole)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := noDefault.For("ada", []string{"ADMIN"}); ok {
		t.Error("without a default, an unlisted role is not limited")
	}
	for spec, want := range map[string]string{
		"":                   "no entries",
		"default":            "want name=",
		"default=100":        "capacity:points-per-second",
		"default=100:0":      "positive",
		"default=-1:5":       "positive",
		"default=x:5":        "positive",
		"INTEGRATON=100:5":   "not `default`, a role",
		"sub:=100:5":         "not `default`, a role",
		"default=100:5,CSM=": "capacity:points-per-second",
	} {
		if _, err := ParsePolicies(spec, isRole); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePolicies(%q) = %v, want an error with %q", spec, err, want)
		}
	}
}
