package sdk

import (
	"encoding/json"
	"time"
)

// Cost is a response's extensions.cost: what the operation cost in the
// server's points and, when the server rate-limits the caller, the state
// of the caller's budget after it (docs/operations.md in the server's
// repository).
type Cost struct {
	// Requested is the operation's worst case, priced before it ran.
	Requested int `json:"requested"`
	// Actual is what it really fetched; the budget is charged this.
	Actual int `json:"actual"`
	// Maximum is the most one operation may cost.
	Maximum int `json:"maximum"`
	// Limit is the budget's capacity, Remaining the points left in it,
	// RestoreRate the points it regains per second and ResetAt when it is
	// full again; all zero when the caller is not rate limited.
	Limit       int       `json:"limit"`
	Remaining   int       `json:"remaining"`
	RestoreRate float64   `json:"restoreRate"`
	ResetAt     time.Time `json:"resetAt"`
}

// WithCost calls observe with the cost of every response that reports one
// (the operation's name and its Cost), e.g. to pace a bulk job before the
// server answers 429, or to export the points spent as a metric. observe
// runs on the calling goroutine; keep it quick.
func WithCost(observe func(operation string, c Cost)) Option {
	return func(c *Client) { c.cost = observe }
}

// observeCost passes the response's extensions.cost to the WithCost hook.
func (c *Client) observeCost(op string, ext map[string]any) {
	if c.cost == nil || ext["cost"] == nil {
		return
	}
	raw, err := json.Marshal(ext["cost"])
	if err != nil {
		return
	}
	var cost Cost
	if json.Unmarshal(raw, &cost) == nil {
		c.cost(op, cost)
	}
}
