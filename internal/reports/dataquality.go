package reports

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/entitlement"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
)

// Data quality defaults and limits.
const (
	// DefaultOnboardingStaleDays is how long an account may stay in
	// ONBOARDING before it is listed as stale, in days.
	DefaultOnboardingStaleDays = 90
	// StaleOnboardingLimit caps the stale onboarding list.
	StaleOnboardingLimit = 100
	// DuplicateGroupLimit caps the duplicate candidate groups listed.
	DuplicateGroupLimit = 100
)

// LegalSuffixes are the words removed from the end of an account name (up
// to three of them, the first word always kept) when names are compared for
// duplicates; they are matched after punctuation is removed, so "Inc." and
// "S.A." are "inc" and "sa".
var LegalSuffixes = []string{
	"inc", "incorporated", "corp", "corporation", "co", "company",
	"llc", "llp", "lp", "ltd", "limited", "plc", "pty",
	"gmbh", "ag", "kg", "sa", "sas", "sarl", "sl", "srl", "spa", "bv", "nv", "ab", "oy", "as",
}

// Punctuation of account names: nameDeleted characters are deleted (A.C.M.E.
// and ACME are the same name, so are O'Brien and OBrien); nameSpaced
// characters and white space separate words, like a space.
const (
	nameDeleted = ".'’"
	nameSpaced  = ",;:!?&+/\\()[]{}\"*#$%@|_~^=<>-–—\t\n\r"
)

// DataQualityReport is the data quality scorecard; its parts are computed
// when asked for.
type DataQualityReport struct {
	s     *Service
	now   time.Time
	stale time.Time // ONBOARDING unchanged since at or before this is stale
	dups  lazy[duplicates]
}

// FieldCompleteness is how complete one tracked field is.
type FieldCompleteness struct {
	Entity       string        `json:"entity"`
	Field        string        `json:"field"`
	Scope        string        `json:"scope"`
	Completeness *Completeness `json:"completeness"`
}

// StaleOnboarding is an account stuck in onboarding.
type StaleOnboarding struct {
	Account *ent.Account `json:"account"`
	Since   time.Time    `json:"since"`
	Days    int          `json:"days"`
}

// DuplicateReason is why accounts are grouped as duplicate candidates.
type DuplicateReason string

// Duplicate reasons, in report order.
const (
	DuplicateDomain DuplicateReason = "DOMAIN"
	DuplicateName   DuplicateReason = "NAME"
)

// AllDuplicateReasons lists the reasons in report order.
var AllDuplicateReasons = []DuplicateReason{DuplicateDomain, DuplicateName}

// MarshalGQL implements graphql.Marshaler.
func (r DuplicateReason) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(r)))
}

// UnmarshalGQL implements graphql.Unmarshaler.
func (r *DuplicateReason) UnmarshalGQL(v any) (err error) {
	*r, err = parseEnum(v, AllDuplicateReasons, "DuplicateReason")
	return err
}

// DuplicateGroup is a set of accounts that may be the same customer.
type DuplicateGroup struct {
	Reason DuplicateReason `json:"reason"`
	Key    string          `json:"key"`

	ids     []int
	members *groupAccounts
}

// DataQuality returns the data quality scorecard. onboardingStaleDays
// defaults to DefaultOnboardingStaleDays (0 to MaxHorizonDays).
func (s *Service) DataQuality(ctx context.Context, onboardingStaleDays *int) (*DataQualityReport, error) {
	days, err := intArg("onboardingStaleDays", onboardingStaleDays, DefaultOnboardingStaleDays, 0, MaxHorizonDays)
	if err != nil {
		return nil, err
	}
	now := s.clockUS()
	return &DataQualityReport{s: s, now: now, stale: now.Add(-time.Duration(days) * dayLen)}, nil
}

// Fields is the completeness of each tracked field: one aggregate query per
// entity. A text field is set when it is not null and not empty (or only
// spaces).
func (r *DataQualityReport) Fields(ctx context.Context) ([]*FieldCompleteness, error) {
	c := r.s.client
	text := func(s *entsql.Selector, col string) *entsql.Predicate {
		return entsql.ExprP("TRIM(" + s.C(col) + ") <> ''")
	}
	set := func(s *entsql.Selector, col string) *entsql.Predicate { return entsql.NotNull(s.C(col)) }
	queries := []struct {
		entity, scope string
		fields        []string // GraphQL field names
		preds         []func(s *entsql.Selector) *entsql.Predicate
		scan          func(modify func(s *entsql.Selector), v any) error
	}{
		{
			entity: "Account", scope: "all accounts",
			fields: []string{"owner", "domain", "industry", "billingContactEmail"},
			preds: []func(s *entsql.Selector) *entsql.Predicate{
				func(s *entsql.Selector) *entsql.Predicate { return set(s, account.FieldOwnerID) },
				func(s *entsql.Selector) *entsql.Predicate { return text(s, account.FieldDomain) },
				func(s *entsql.Selector) *entsql.Predicate { return text(s, account.FieldIndustry) },
				func(s *entsql.Selector) *entsql.Predicate { return text(s, account.FieldBillingContactEmail) },
			},
			scan: func(m func(s *entsql.Selector), v any) error { return c.Account.Query().Modify(m).Scan(ctx, v) },
		},
		{
			entity: "Contract", scope: "ACTIVE contracts",
			fields: []string{"renewalDate", "renewalOwner"},
			preds: []func(s *entsql.Selector) *entsql.Predicate{
				func(s *entsql.Selector) *entsql.Predicate { return set(s, contract.FieldRenewalDate) },
				func(s *entsql.Selector) *entsql.Predicate { return set(s, contract.FieldRenewalOwnerID) },
			},
			scan: func(m func(s *entsql.Selector), v any) error {
				return c.Contract.Query().Where(activeContract).Modify(m).Scan(ctx, v)
			},
		},
		{
			entity: "Entitlement", scope: "ACTIVE METERED and QUANTITY entitlements",
			fields: []string{"usageUpdatedAt"},
			preds: []func(s *entsql.Selector) *entsql.Predicate{
				func(s *entsql.Selector) *entsql.Predicate { return set(s, entitlement.FieldUsageUpdatedAt) },
			},
			scan: func(m func(s *entsql.Selector), v any) error {
				return c.Entitlement.Query().Where(
					entitlement.StatusEQ(entitlement.StatusACTIVE),
					entitlement.KindIn(schematype.EntitlementKindMetered, schematype.EntitlementKindQuantity),
				).Modify(m).Scan(ctx, v)
			},
		},
	}
	// The entities' queries run at once, each on its own connection.
	fields := make([][]*FieldCompleteness, len(queries))
	err := parallel(len(queries), func(qi int) error {
		q := queries[qi]
		// One row: total, then the rows with each field set (f0, f1, …).
		var res []struct {
			Total int `sql:"total"`
			F0    int `sql:"f0"`
			F1    int `sql:"f1"`
			F2    int `sql:"f2"`
			F3    int `sql:"f3"`
		}
		err := q.scan(func(s *entsql.Selector) {
			s.SelectExpr().AppendSelectExprAs(entsql.Expr("COUNT(*)"), "total")
			for i, p := range q.preds {
				s.AppendSelectExprAs(sumIf(p(s)), fmt.Sprintf("f%d", i))
			}
		}, &res)
		if err != nil {
			return fmt.Errorf("reports: %s field completeness: %w", q.entity, err)
		}
		if len(res) != 1 {
			return fmt.Errorf("reports: %s field completeness: %d rows", q.entity, len(res))
		}
		set := []int{res[0].F0, res[0].F1, res[0].F2, res[0].F3}
		for i, f := range q.fields {
			fields[qi] = append(fields[qi], &FieldCompleteness{Entity: q.entity, Field: f, Scope: q.scope, Completeness: Share(set[i], res[0].Total)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Concat(fields...), nil
}

// staleOnboarding selects the ONBOARDING accounts whose stage has not
// changed since r.stale.
func (r *DataQualityReport) staleOnboarding() *ent.AccountQuery {
	return r.s.client.Account.Query().Where(
		account.LifecycleStageEQ(account.LifecycleStageONBOARDING),
		account.LifecycleStageChangedAtLTE(r.stale),
	)
}

// StaleOnboarding lists the stale ONBOARDING accounts, longest first (then
// by id), at most StaleOnboardingLimit.
func (r *DataQualityReport) StaleOnboarding(ctx context.Context) ([]*StaleOnboarding, error) {
	accounts, err := r.staleOnboarding().
		Order(ent.Asc(account.FieldLifecycleStageChangedAt), ent.Asc(account.FieldID)).
		Limit(StaleOnboardingLimit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reports: stale onboarding: %w", err)
	}
	out := make([]*StaleOnboarding, len(accounts))
	for i, a := range accounts {
		since := a.LifecycleStageChangedAt.UTC()
		out[i] = &StaleOnboarding{Account: a, Since: since, Days: wholeDays(r.now.Sub(since))}
	}
	return out, nil
}

// StaleOnboardingCount is the number of stale ONBOARDING accounts.
func (r *DataQualityReport) StaleOnboardingCount(ctx context.Context) (int, error) {
	n, err := r.staleOnboarding().Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("reports: counting stale onboarding: %w", err)
	}
	return n, nil
}

// duplicates are the listed duplicate groups and the number of all groups.
type duplicates struct {
	groups []*DuplicateGroup
	total  int
}

// DuplicateGroups lists the groups of accounts sharing a normalised domain
// or name: largest first, then by key, then DOMAIN before NAME; at most
// DuplicateGroupLimit.
func (r *DataQualityReport) DuplicateGroups(ctx context.Context) ([]*DuplicateGroup, error) {
	d, err := r.dups.get(ctx, r.duplicates)
	return d.groups, err
}

// DuplicateGroupCount is the number of duplicate groups, all of them.
func (r *DataQualityReport) DuplicateGroupCount(ctx context.Context) (int, error) {
	d, err := r.dups.get(ctx, r.duplicates)
	return d.total, err
}

// duplicates merges the groups of both reasons: the DuplicateGroupLimit
// largest, and the number of all.
func (r *DataQualityReport) duplicates(ctx context.Context) (duplicates, error) {
	var d duplicates
	// The reasons' queries run at once, each on its own connection.
	groups := make([][]*DuplicateGroup, len(AllDuplicateReasons))
	totals := make([]int, len(AllDuplicateReasons))
	err := parallel(len(AllDuplicateReasons), func(i int) (err error) {
		groups[i], totals[i], err = r.duplicateGroups(ctx, AllDuplicateReasons[i])
		return err
	})
	if err != nil {
		return d, err
	}
	for i := range groups {
		d.groups = append(d.groups, groups[i]...)
		d.total += totals[i]
	}
	sort.SliceStable(d.groups, func(i, j int) bool {
		a, b := d.groups[i], d.groups[j]
		if len(a.ids) != len(b.ids) {
			return len(a.ids) > len(b.ids)
		}
		return a.Key < b.Key // then DOMAIN before NAME: stable
	})
	if len(d.groups) > DuplicateGroupLimit {
		d.groups = d.groups[:DuplicateGroupLimit]
	}
	members := &groupAccounts{client: r.s.client}
	for _, g := range d.groups {
		g.members = members
		members.ids = append(members.ids, g.ids...)
	}
	return d, nil
}

// groupAccounts loads the accounts of the listed duplicate groups once.
type groupAccounts struct {
	client *ent.Client
	ids    []int
	byID   lazy[map[int]*ent.Account]
}

// duplicateGroups returns the largest DuplicateGroupLimit groups of one
// reason with their member ids, and the number of its groups (a window
// count over the groups), in one grouping query.
//
// The keys are the stored columns accounts.name_key and domain_key (see
// accountKeysSQL), read in key order from their (key, id) indexes; accounts
// with a null or empty key are not grouped.
func (r *DataQualityReport) duplicateGroups(ctx context.Context, reason DuplicateReason) ([]*DuplicateGroup, int, error) {
	var rows []struct {
		Key    string `sql:"k"`
		N      int    `sql:"n"`
		Groups int    `sql:"ngroups"`
		IDs    string `sql:"ids"`
	}
	err := r.s.client.Account.Query().Modify(func(s *entsql.Selector) {
		key := s.C(account.FieldDomainKey)
		if reason == DuplicateName {
			key = s.C(account.FieldNameKey)
		}
		id := s.C(account.FieldID)
		ids, byKey := "group_concat("+id+", ',')", key
		if s.Dialect() == dialect.Postgres {
			// Keys in byte order, as SQLite sorts; ids are sorted below.
			ids, byKey = "string_agg(CAST("+id+" AS text), ',')", key+` COLLATE "C"`
		}
		s.Select(key+" AS k", "COUNT(*) AS n", "COUNT(*) OVER () AS ngroups", ids+" AS ids").
			Where(entsql.NEQ(key, "")). // not null either
			GroupBy(key).
			Having(entsql.ExprP("COUNT(*) > 1")).
			OrderExpr(entsql.Expr("n DESC, " + byKey)).
			Limit(DuplicateGroupLimit)
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, 0, fmt.Errorf("reports: duplicate %s groups: %w", strings.ToLower(string(reason)), err)
	}
	var (
		groups []*DuplicateGroup
		total  int
	)
	if len(rows) > 0 {
		total = rows[0].Groups
	}
	for _, row := range rows {
		g := &DuplicateGroup{Reason: reason, Key: row.Key}
		for _, f := range strings.Split(row.IDs, ",") {
			id, err := strconv.Atoi(f)
			if err != nil {
				return nil, 0, fmt.Errorf("reports: duplicate groups: bad id %q", f)
			}
			g.ids = append(g.ids, id)
		}
		sort.Ints(g.ids)
		groups = append(groups, g)
	}
	return groups, total, nil
}

// accountKeysSQL is the SQL, in dialect dia, that keeps the stored keys
// accounts.name_key and domain_key equal to nameKeyExpr and domainKeyExpr
// of the account's name and domain: triggers on insert and on an update of
// name or domain, and an update setting the keys of the rows already there.
// It is appended by hand to the migration that introduces or changes the
// keys (so far account_keys), each statement after a comment line as in
// the generated statements; TestAccountKeysMigrated checks the newest
// migration defining the triggers holds exactly this text.
//
// The database computes the keys, not OpsGraph, so that they are always
// its own lower() and string functions' results, whichever way a row is
// written. A SQLite migration that rebuilds accounts (a new table, rows
// copied, the old one dropped) drops its triggers with it: such a migration
// must append this again.
func accountKeysSQL(dia string) string {
	var b strings.Builder
	if dia == dialect.Postgres {
		fmt.Fprintf(&b, `-- Create trigger function "accounts_set_keys" computing the duplicate keys (internal/reports, accountKeysSQL)
CREATE OR REPLACE FUNCTION "accounts_set_keys"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."name_key" := %s;
  NEW."domain_key" := %s;
  RETURN NEW;
END
$$;
-- Create trigger "accounts_keys" to table: "accounts"
CREATE TRIGGER "accounts_keys" BEFORE INSERT OR UPDATE OF "name", "domain" ON "accounts" FOR EACH ROW EXECUTE FUNCTION "accounts_set_keys"();
-- Set the keys of the existing rows of table: "accounts"
UPDATE "accounts" SET "name_key" = %s, "domain_key" = %s;
`, nameKeyExpr(dia, `NEW."name"`), domainKeyExpr(dia, `NEW."domain"`),
			nameKeyExpr(dia, `"name"`), domainKeyExpr(dia, `"domain"`))
		return b.String()
	}
	set := func(name, domain string) string {
		return "UPDATE `accounts` SET `name_key` = " + nameKeyExpr(dia, name) + ", `domain_key` = " + domainKeyExpr(dia, domain)
	}
	for _, t := range []struct{ name, event string }{
		{"accounts_keys_insert", "INSERT"},
		{"accounts_keys_update", "UPDATE OF `name`, `domain`"},
	} {
		fmt.Fprintf(&b, "-- Create trigger %q to table: \"accounts\"\n", t.name)
		fmt.Fprintf(&b, "CREATE TRIGGER `%s` AFTER %s ON `accounts` FOR EACH ROW BEGIN\n  %s WHERE `id` = NEW.`id`;\nEND;\n",
			t.name, t.event, set("NEW.`name`", "NEW.`domain`"))
	}
	b.WriteString("-- Set the keys of the existing rows of table: \"accounts\"\n")
	b.WriteString(set("`name`", "`domain`") + ";\n")
	return b.String()
}

// domainKeyExpr is the SQL expression, in dialect dia, of the normalised
// domain of col, an account's domain: lower-cased, spaces trimmed, one
// leading "www." removed. A null domain has a null key.
func domainKeyExpr(dia, col string) string {
	x := "TRIM(lower(" + col + "))"
	if dia == dialect.Postgres {
		return "regexp_replace(" + x + ", '^www\\.', '')"
	}
	return "CASE WHEN " + x + " LIKE 'www.%' THEN SUBSTR(" + x + ", 5) ELSE " + x + " END"
}

// nameKeyExpr is the SQL expression, in dialect dia, of the normalised
// name of col, an account's name: lower-cased; nameDeleted characters
// deleted; nameSpaced characters and runs of spaces made one space;
// trimmed; up to three trailing LegalSuffixes words removed (the first word
// is always kept). lower() is the database's: PostgreSQL lower-cases every
// letter its locale knows, SQLite ASCII letters only.
func nameKeyExpr(dia, col string) string {
	x := "lower(" + col + ")"
	if dia == dialect.Postgres {
		// Regular expressions: a few calls per row, where SQLite needs
		// nested replace. The suffixes are removed from the reversed
		// name by a pattern anchored at its start, which fails fast.
		x = "regexp_replace(" + x + ", " + quote("["+nameDeleted+"]+") + ", '', 'g')"
		x = "btrim(regexp_replace(" + x + ", " + quote(bracket(nameSpaced+" ")+"+") + ", ' ', 'g'))"
		rev := make([]string, len(LegalSuffixes))
		for i, suf := range LegalSuffixes {
			rev[i] = reverse(suf)
		}
		return "reverse(regexp_replace(reverse(" + x + "), '^((" + strings.Join(rev, "|") + ") ){1,3}', ''))"
	}
	for _, r := range nameDeleted {
		x = "replace(" + x + ", " + quote(string(r)) + ", '')"
	}
	for _, r := range nameSpaced {
		c := quote(string(r))
		if r < ' ' {
			c = fmt.Sprintf("char(%d)", r) // no control characters in the SQL text
		}
		x = "replace(" + x + ", " + c + ", ' ')"
	}
	for range 8 { // runs of up to 256 spaces; names are at most 200 characters
		x = "replace(" + x + ", '  ', ' ')"
	}
	x = "trim(" + x + ")"
	// Remove one trailing suffix per pass: the name ends with a sentinel,
	// and removing a suffix with the sentinel leaves the next pass's
	// sentinel, so a pass removes at most one suffix. The sentinels are
	// nameSpaced characters, so no name contains them any more.
	sentinels := []string{"|", "#", "$", "%"}
	x = "(" + x + " || '|')"
	for pass := range 3 {
		for _, suf := range LegalSuffixes {
			x = "replace(" + x + ", ' " + suf + sentinels[pass] + "', '" + sentinels[pass+1] + "')"
		}
	}
	for _, st := range sentinels {
		x = "replace(" + x + ", '" + st + "', '')"
	}
	return x
}

// bracket is a PostgreSQL regular expression bracket matching any of
// chars, each literally.
func bracket(chars string) string {
	var b strings.Builder
	b.WriteString("[")
	if strings.ContainsRune(chars, ']') {
		b.WriteString("]") // literal when first
	}
	for _, r := range chars {
		switch r {
		case ']', '[', '-':
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`) // the escapes keep control characters out of the SQL text
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	if strings.ContainsRune(chars, '[') {
		b.WriteString("[") // not followed by : . or =
	}
	if strings.ContainsRune(chars, '-') {
		b.WriteString("-") // literal when last
	}
	b.WriteString("]")
	return b.String()
}

func reverse(s string) string {
	r := []rune(s)
	slices.Reverse(r)
	return string(r)
}

// quote is s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Accounts are the group's accounts, by id; the accounts of every listed
// group load in one query.
func (g *DuplicateGroup) Accounts(ctx context.Context) ([]*ent.Account, error) {
	m, err := g.members.byID.get(ctx, func(ctx context.Context) (map[int]*ent.Account, error) {
		return accountsByID(ctx, g.members.client, g.members.ids)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*ent.Account, 0, len(g.ids))
	for _, id := range g.ids {
		if a, ok := m[id]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}
