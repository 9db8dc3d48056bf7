package config

import "github.com/opsgraph/opsgraph/internal/sla"

// LoadSLAPolicy reads the SLA policy file the settings name (see
// sla.LoadPolicy for its format); nil when none is set (the default policy).
func (c *Config) LoadSLAPolicy() (*sla.Policy, error) {
	if c.SLAPolicy == "" {
		return nil, nil
	}
	return loadFile(c.SLAPolicy, "SLA policy", sla.LoadPolicy)
}
