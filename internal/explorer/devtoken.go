package explorer

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/opsgraph/opsgraph/internal/auth"
	"github.com/opsgraph/opsgraph/internal/seed"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// DevRole is a role the explorer's role switcher offers, with the demo user
// whose token it mints (a user of that role in every demo dataset).
type DevRole struct {
	Role    string `json:"role"`
	Subject string `json:"subject"`
}

// DevRoles are the roles of the development role switcher, in menu order.
var DevRoles = []DevRole{
	{viewer.RoleAdmin, seed.AdminEmail},
	{viewer.RoleOpsManager, seed.LeadEmail},
	{viewer.RoleOpsAnalyst, seed.AnalystEmail},
	{viewer.RoleCSM, seed.CSMEmail(1)},
	{viewer.RoleSales, seed.SalesEmail},
	{viewer.RoleFinance, seed.FinanceEmail},
	{viewer.RoleSupport, seed.SupportEmail},
	{viewer.RoleViewer, seed.AuditorEmail},
}

// DefaultDevRole is the role the explorer signs in with when none is chosen.
const DefaultDevRole = viewer.RoleOpsAnalyst

// DevTokens mints development tokens for the explorer's role switcher:
// GET /explorer/dev-token?role=CSM answers
//
//	{"token": "eyJ…", "role": "CSM", "subject": "csm1@opsgraph.example",
//	 "expiresAt": "…", "roles": [{"role": "ADMIN", "subject": "admin@…"}, …]}
//
// Only the embedded default (SQLite, a secret the server generated) bound
// to a loopback address offers it; internal/cli decides. Requests must name
// a loopback host (no DNS rebinding) and come from the page itself, not
// another site.
type DevTokens struct {
	// Auth is the configuration tokens are minted with (the generated secret,
	// and the configured issuer and audience if any).
	Auth auth.Config
	// TTL is the tokens' lifetime (0: one hour). The page asks for a new one
	// when its token is about to expire.
	TTL time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

func (d *DevTokens) handler(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			jsonError(w, http.StatusForbidden, "FORBIDDEN", "development tokens are only issued to a loopback host name (127.0.0.1, localhost, [::1])")
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			jsonError(w, http.StatusForbidden, "FORBIDDEN", "development tokens are only issued to the explorer page itself")
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && origin != "http://"+r.Host && origin != "https://"+r.Host {
			jsonError(w, http.StatusForbidden, "FORBIDDEN", "development tokens are only issued to the explorer page itself")
			return
		}
		role := r.URL.Query().Get("role")
		if role == "" {
			role = DefaultDevRole
		}
		var who *DevRole
		for i := range DevRoles {
			if DevRoles[i].Role == role {
				who = &DevRoles[i]
			}
		}
		if who == nil {
			names := make([]string, len(DevRoles))
			for i, d := range DevRoles {
				names[i] = d.Role
			}
			jsonError(w, http.StatusBadRequest, "BAD_USER_INPUT", "unknown role "+role+"; one of "+strings.Join(names, ", "))
			return
		}
		now := time.Now
		if d.Now != nil {
			now = d.Now
		}
		ttl := d.TTL
		if ttl <= 0 {
			ttl = time.Hour
		}
		issued := now()
		tok, err := auth.Mint(d.Auth, auth.MintOptions{Subject: who.Subject, Roles: []string{who.Role}, TTL: ttl, Now: func() time.Time { return issued }})
		if err != nil {
			log.Error("minting a development token", "err", err)
			jsonError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "could not mint a development token")
			return
		}
		log.Info("development token issued", "subject", who.Subject, "role", who.Role, "ttl", ttl.String())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"token":     tok,
			"role":      who.Role,
			"subject":   who.Subject,
			"expiresAt": issued.Add(ttl).UTC().Format(time.RFC3339),
			"roles":     DevRoles,
		})
	})
}

// loopbackHost reports whether the Host header names this machine.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
