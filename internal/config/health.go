package config

import "github.com/opsgraph/opsgraph/internal/health"

// LoadHealthModel reads the health model file the settings name (see
// health.LoadModel for its format); nil when none is set (the built-in
// health.DefaultModel applies). The file's version is not used: the server
// numbers each distinct definition it stores (see internal/scoring).
func (c *Config) LoadHealthModel() (*health.Model, error) {
	if c.HealthModel == "" {
		return nil, nil
	}
	return loadFile(c.HealthModel, "health model", health.LoadModel)
}
