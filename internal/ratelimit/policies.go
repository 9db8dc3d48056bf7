package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Policies choose a subject's bucket policy: its own (an integration given
// a larger budget), else the most generous of its roles', else the
// default.
type Policies struct {
	Default  *Policy
	Roles    map[string]Policy
	Subjects map[string]Policy
}

// Off is the Policies spec that turns rate limiting off.
const Off = "off"

// ParsePolicies reads a spec such as
// "default=20000:1000,INTEGRATION=10000:500,sub:billing-sync=40000:2000":
// comma-separated entries of capacity:restore-rate (points, points per
// second) for `default`, a role, or `sub:` and a subject. isRole says which
// role names exist, so a typo is an error rather than a silent default.
func ParsePolicies(spec string, isRole func(string) bool) (Policies, error) {
	ps := Policies{Roles: map[string]Policy{}, Subjects: map[string]Policy{}}
	for entry := range strings.SplitSeq(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		key, val, ok := strings.Cut(entry, "=")
		if !ok {
			return Policies{}, fmt.Errorf("rate limit %q: want name=capacity:points-per-second", entry)
		}
		capText, rateText, ok := strings.Cut(val, ":")
		if !ok {
			return Policies{}, fmt.Errorf("rate limit %q: want capacity:points-per-second after =", entry)
		}
		capacity, err1 := strconv.ParseFloat(capText, 64)
		rate, err2 := strconv.ParseFloat(rateText, 64)
		p := Policy{Capacity: capacity, RestoreRate: rate}
		if err1 != nil || err2 != nil || p.validate() != nil {
			return Policies{}, fmt.Errorf("rate limit %q: capacity and points per second must be positive numbers", entry)
		}
		switch {
		case key == "default":
			ps.Default = &p
		case strings.HasPrefix(key, "sub:") && len(key) > len("sub:"):
			ps.Subjects[strings.TrimPrefix(key, "sub:")] = p
		case isRole != nil && isRole(key):
			ps.Roles[key] = p
		default:
			return Policies{}, fmt.Errorf("rate limit %q: %q is not `default`, a role or sub:<subject>", entry, key)
		}
	}
	if ps.Default == nil && len(ps.Roles) == 0 && len(ps.Subjects) == 0 {
		return Policies{}, fmt.Errorf("rate limits %q: no entries (use %q to turn rate limiting off)", spec, Off)
	}
	return ps, nil
}

// For returns the policy of subject with roles and the entry it comes
// from ("sub:", a role, or "default"); false when none applies (no
// default and no matching entry: the subject is not limited).
func (ps Policies) For(subject string, roles []string) (Policy, string, bool) {
	if p, ok := ps.Subjects[subject]; ok {
		return p, "sub:", true
	}
	var best Policy
	from := ""
	for _, r := range roles {
		if p, ok := ps.Roles[r]; ok && (from == "" || p.Capacity > best.Capacity || p.Capacity == best.Capacity && p.RestoreRate > best.RestoreRate) {
			best, from = p, r
		}
	}
	if from != "" {
		return best, from, true
	}
	if ps.Default != nil {
		return *ps.Default, "default", true
	}
	return Policy{}, "", false
}

// MaxDrain is the longest time any of the policies takes to drain a full
// bucket (capacity / restore rate): a bucket idle that long is empty.
func (ps Policies) MaxDrain() time.Duration {
	var longest float64
	each := func(p Policy) { longest = max(longest, p.Capacity/p.RestoreRate) }
	if ps.Default != nil {
		each(*ps.Default)
	}
	for _, p := range ps.Roles {
		each(p)
	}
	for _, p := range ps.Subjects {
		each(p)
	}
	return seconds(longest)
}
