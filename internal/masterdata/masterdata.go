// Package masterdata holds the business actions that create and change the
// reference records of the graph: users, accounts, products, contracts and
// contract items. Each action validates its whole input (every failure comes
// back as a usererr with a stable code), runs in one transaction, and is
// audited by the audit hook under the action's name. The GraphQL resolvers,
// the seed and the tests all call these functions.
package masterdata

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/contractitem"
	"github.com/opsgraph/opsgraph/ent/product"
	"github.com/opsgraph/opsgraph/ent/user"
	"github.com/opsgraph/opsgraph/internal/idempotency"
	"github.com/opsgraph/opsgraph/internal/usererr"
	"github.com/opsgraph/opsgraph/internal/viewer"
)

// maxHierarchyDepth bounds the walk up an account hierarchy.
const maxHierarchyDepth = 64

// Service runs the master-data actions against one ent client.
type Service struct {
	client *ent.Client
	now    func() time.Time
}

// New returns a Service over client. now may be nil (time.Now).
func New(client *ent.Client, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{client: client, now: now}
}

// run wraps an action: named for the audit trail, in one transaction. A
// keyed create that lost a race to a concurrent retry runs once more, and
// then returns the winner's object.
func run[T any](ctx context.Context, s *Service, action string, fn func(ctx context.Context, tx *ent.Client) (T, usererr.List, error)) (T, usererr.List, error) {
	return idempotency.Run(ctx, s.client, action, fn)
}

// keyed runs create under an idempotency key (see package idempotency).
func keyed[T any](ctx context.Context, tx *ent.Client, key *string, action string, input any,
	load func(context.Context, int) (T, error), id func(T) int, create func(context.Context) (T, usererr.List, error)) (T, usererr.List, error) {
	return idempotency.Do(ctx, tx, key, idempotency.Action[T]{Name: action, Input: input, Load: load, ID: id, Create: create})
}

// saved converts the result of a Save into the action's result.
func saved[T any](v T, err error) (T, usererr.List, error) {
	var zero T
	l, err := fromSave(err)
	if err != nil || !l.Empty() {
		return zero, l, err
	}
	return v, nil, nil
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func normEmailPtr(s *string) *string {
	if s == nil {
		return nil
	}
	v := normEmail(*s)
	return &v
}

func (c *check) roles(roles []string, field string) {
	for _, r := range roles {
		if !viewer.IsRole(r) {
			c.add(usererr.UnknownRole, "roles contains a role OpsGraph does not know: "+r+" (known: "+strings.Join(viewer.Roles, ", ")+")", field)
			return
		}
	}
}

// notFoundID reports an update target that does not exist.
func notFoundID(what string) usererr.List {
	var l usererr.List
	l.Add(usererr.NotFound, what+" not found", "id")
	return l
}

// ---- users -----------------------------------------------------------------

// CreateUser creates a user.
func (s *Service) CreateUser(ctx context.Context, in ent.CreateUserInput, key *string) (*ent.User, usererr.List, error) {
	return run(ctx, s, "userCreate", func(ctx context.Context, tx *ent.Client) (*ent.User, usererr.List, error) {
		return keyed(ctx, tx, key, "userCreate", in, tx.User.Get, func(v *ent.User) int { return v.ID }, func(ctx context.Context) (*ent.User, usererr.List, error) {
			in.Email = normEmail(in.Email)
			var c check
			c.required(in.Email, "email")
			c.email(&in.Email, "email")
			c.maxLen(&in.Email, 254, "email")
			c.required(in.Name, "name")
			c.maxLen(&in.Name, 200, "name")
			c.maxLen(in.Team, 100, "team")
			c.roles(in.Roles, "roles")
			if err := c.taken(ctx, &in.Email, "email", userEmailExists(tx, 0)); err != nil {
				return nil, nil, err
			}
			if !c.errs.Empty() {
				return nil, c.errs, nil
			}
			return saved(tx.User.Create().SetInput(in).Save(ctx))
		})
	})
}

// UpdateUser changes a user.
func (s *Service) UpdateUser(ctx context.Context, id int, in ent.UpdateUserInput) (*ent.User, usererr.List, error) {
	return run(ctx, s, "userUpdate", func(ctx context.Context, tx *ent.Client) (*ent.User, usererr.List, error) {
		if ok, err := tx.User.Query().Where(user.ID(id)).Exist(ctx); err != nil || !ok {
			return nil, notFoundIf(ok, "user"), err
		}
		in.Email = normEmailPtr(in.Email)
		var c check
		c.requiredPtr(in.Email, "email")
		c.email(in.Email, "email")
		c.maxLen(in.Email, 254, "email")
		c.requiredPtr(in.Name, "name")
		c.maxLen(in.Name, 200, "name")
		c.maxLen(in.Team, 100, "team")
		c.roles(in.Roles, "roles")
		c.roles(in.AppendRoles, "appendRoles")
		if err := c.taken(ctx, in.Email, "email", userEmailExists(tx, id)); err != nil {
			return nil, nil, err
		}
		if !c.errs.Empty() {
			return nil, c.errs, nil
		}
		// appendRoles adds to the roles after the update's own (or the stored
		// ones); roles are a set, so one already held is not added twice.
		// (The generated SetInput would append the value of roles instead.)
		if len(in.AppendRoles) > 0 {
			roles, err := appended(in.Roles, in.AppendRoles, func() ([]string, error) {
				u, err := tx.User.Get(ctx, id)
				if err != nil {
					return nil, err
				}
				return u.Roles, nil
			})
			if err != nil {
				return nil, nil, err
			}
			in.Roles, in.AppendRoles = dedupe(roles), nil
		}
		return saved(tx.User.UpdateOneID(id).SetInput(in).Save(ctx))
	})
}

func userEmailExists(tx *ent.Client, except int) func(context.Context, string) (bool, error) {
	return func(ctx context.Context, v string) (bool, error) {
		return tx.User.Query().Where(user.Email(v), user.IDNEQ(except)).Exist(ctx)
	}
}

func notFoundIf(ok bool, what string) usererr.List {
	if ok {
		return nil
	}
	return notFoundID(what)
}

func userExists(tx *ent.Client) func(context.Context, int) (bool, error) {
	return func(ctx context.Context, id int) (bool, error) { return tx.User.Query().Where(user.ID(id)).Exist(ctx) }
}

func accountExists(tx *ent.Client) func(context.Context, int) (bool, error) {
	return func(ctx context.Context, id int) (bool, error) {
		return tx.Account.Query().Where(account.ID(id)).Exist(ctx)
	}
}

// ---- accounts --------------------------------------------------------------

// accountFields are the fields create and update share.
type accountFields struct {
	name, domain, industry, crmID, contactName, contactEmail *string
	ownerID, parentID                                        *int
}

func (s *Service) checkAccount(ctx context.Context, tx *ent.Client, self int, f accountFields) (usererr.List, error) {
	var c check
	c.requiredPtr(f.name, "name")
	c.maxLen(f.name, 200, "name")
	c.maxLen(f.domain, 253, "domain")
	if f.domain != nil && *f.domain != "" && !validDomain(*f.domain) {
		c.add(usererr.InvalidValue, "domain must be a host name such as example.com", "domain")
	}
	c.maxLen(f.industry, 100, "industry")
	c.maxLen(f.crmID, 100, "externalCrmID")
	c.maxLen(f.contactName, 200, "billingContactName")
	c.email(f.contactEmail, "billingContactEmail")
	if err := c.ref(ctx, f.ownerID, user.Table, "ownerID", userExists(tx)); err != nil {
		return nil, err
	}
	if err := c.ref(ctx, f.parentID, account.Table, "parentID", accountExists(tx)); err != nil {
		return nil, err
	}
	if err := c.taken(ctx, f.crmID, "externalCrmID", func(ctx context.Context, v string) (bool, error) {
		return tx.Account.Query().Where(account.ExternalCrmID(v), account.IDNEQ(self)).Exist(ctx)
	}); err != nil {
		return nil, err
	}
	if self != 0 && f.parentID != nil && c.errs.Empty() {
		cycle, err := wouldCycle(ctx, tx, self, *f.parentID)
		if err != nil {
			return nil, err
		}
		if cycle {
			c.add(usererr.HierarchyCycle, "the parent account is this account or one of its descendants", "parentID")
		}
	}
	return c.errs, nil
}

// wouldCycle reports whether making parent the parent of self would put self
// among its own ancestors.
func wouldCycle(ctx context.Context, tx *ent.Client, self, parent int) (bool, error) {
	cur := parent
	for range maxHierarchyDepth {
		if cur == self {
			return true, nil
		}
		a, err := tx.Account.Query().Where(account.ID(cur)).Select(account.FieldParentID).Only(ctx)
		if err != nil {
			return false, err
		}
		if a.ParentID == 0 {
			return false, nil
		}
		cur = a.ParentID
	}
	return true, nil // deeper than any real hierarchy: treat as a cycle
}

func validDomain(d string) bool {
	if strings.ContainsAny(d, " /:@") || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	return true
}

// CreateAccount creates an account.
func (s *Service) CreateAccount(ctx context.Context, in ent.CreateAccountInput, key *string) (*ent.Account, usererr.List, error) {
	return run(ctx, s, "accountCreate", func(ctx context.Context, tx *ent.Client) (*ent.Account, usererr.List, error) {
		return keyed(ctx, tx, key, "accountCreate", in, tx.Account.Get, func(v *ent.Account) int { return v.ID }, func(ctx context.Context) (*ent.Account, usererr.List, error) {
			in.BillingContactEmail = normEmailPtr(in.BillingContactEmail)
			errs, err := s.checkAccount(ctx, tx, 0, accountFields{
				name: &in.Name, domain: in.Domain, industry: in.Industry, crmID: in.ExternalCrmID,
				contactName: in.BillingContactName, contactEmail: in.BillingContactEmail,
				ownerID: in.OwnerID, parentID: in.ParentID,
			})
			if err != nil || !errs.Empty() {
				return nil, errs, err
			}
			return saved(tx.Account.Create().SetInput(in).SetLifecycleStageChangedAt(s.now()).Save(ctx))
		})
	})
}

// UpdateAccount changes an account. Changing the lifecycle stage stamps
// lifecycleStageChangedAt.
func (s *Service) UpdateAccount(ctx context.Context, id int, in ent.UpdateAccountInput) (*ent.Account, usererr.List, error) {
	return run(ctx, s, "accountUpdate", func(ctx context.Context, tx *ent.Client) (*ent.Account, usererr.List, error) {
		cur, err := tx.Account.Get(ctx, id)
		if ent.IsNotFound(err) {
			return nil, notFoundID("account"), nil
		}
		if err != nil {
			return nil, nil, err
		}
		in.BillingContactEmail = normEmailPtr(in.BillingContactEmail)
		errs, err := s.checkAccount(ctx, tx, id, accountFields{
			name: in.Name, domain: in.Domain, industry: in.Industry, crmID: in.ExternalCrmID,
			contactName: in.BillingContactName, contactEmail: in.BillingContactEmail,
			ownerID: in.OwnerID, parentID: in.ParentID,
		})
		if err != nil || !errs.Empty() {
			return nil, errs, err
		}
		upd := tx.Account.UpdateOneID(id).SetInput(in)
		if in.LifecycleStage != nil && *in.LifecycleStage != cur.LifecycleStage {
			upd.SetLifecycleStageChangedAt(s.now())
		}
		return saved(upd.Save(ctx))
	})
}

// ---- products --------------------------------------------------------------

// appended is set (or, when nil, what stored returns) followed by add.
func appended(set, add []string, stored func() ([]string, error)) ([]string, error) {
	base := set
	if base == nil {
		var err error
		if base, err = stored(); err != nil {
			return nil, err
		}
	}
	return append(slices.Clone(base), add...), nil
}

// dedupe drops repeated values, keeping the first of each.
func dedupe(xs []string) []string {
	out := xs[:0:0]
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func checkTiers(c *check, tiers []string, field string) {
	seen := map[string]bool{}
	for _, t := range tiers {
		switch {
		case strings.TrimSpace(t) == "":
			c.add(usererr.InvalidValue, field+" must not contain empty names", field)
			return
		case seen[t]:
			c.add(usererr.InvalidValue, field+" must not repeat a tier", field)
			return
		}
		seen[t] = true
	}
}

func (s *Service) checkProduct(ctx context.Context, tx *ent.Client, self int, sku, name, featureKey, unit *string, tiers []string) (usererr.List, error) {
	var c check
	c.requiredPtr(sku, "sku")
	c.maxLen(sku, 64, "sku")
	c.requiredPtr(name, "name")
	c.maxLen(name, 200, "name")
	c.requiredPtr(featureKey, "featureKey")
	c.maxLen(featureKey, 100, "featureKey")
	c.maxLen(unit, 50, "unit")
	checkTiers(&c, tiers, "tiers")
	err := c.taken(ctx, sku, "sku", func(ctx context.Context, v string) (bool, error) {
		return tx.Product.Query().Where(product.Sku(v), product.IDNEQ(self)).Exist(ctx)
	})
	return c.errs, err
}

// CreateProduct creates a catalog product.
func (s *Service) CreateProduct(ctx context.Context, in ent.CreateProductInput, key *string) (*ent.Product, usererr.List, error) {
	return run(ctx, s, "productCreate", func(ctx context.Context, tx *ent.Client) (*ent.Product, usererr.List, error) {
		return keyed(ctx, tx, key, "productCreate", in, tx.Product.Get, func(v *ent.Product) int { return v.ID }, func(ctx context.Context) (*ent.Product, usererr.List, error) {
			errs, err := s.checkProduct(ctx, tx, 0, &in.Sku, &in.Name, &in.FeatureKey, in.Unit, in.Tiers)
			if err != nil || !errs.Empty() {
				return nil, errs, err
			}
			return saved(tx.Product.Create().SetInput(in).Save(ctx))
		})
	})
}

// UpdateProduct changes a catalog product.
func (s *Service) UpdateProduct(ctx context.Context, id int, in ent.UpdateProductInput) (*ent.Product, usererr.List, error) {
	return run(ctx, s, "productUpdate", func(ctx context.Context, tx *ent.Client) (*ent.Product, usererr.List, error) {
		if ok, err := tx.Product.Query().Where(product.ID(id)).Exist(ctx); err != nil || !ok {
			return nil, notFoundIf(ok, "product"), err
		}
		// appendTiers adds tiers after the update's own (or the stored ones);
		// the result is checked whole, so a tier already offered is refused.
		// (The generated SetInput would append the value of tiers instead.)
		tiers := in.Tiers
		if len(in.AppendTiers) > 0 {
			var err error
			tiers, err = appended(in.Tiers, in.AppendTiers, func() ([]string, error) {
				p, err := tx.Product.Get(ctx, id)
				if err != nil {
					return nil, err
				}
				return p.Tiers, nil
			})
			if err != nil {
				return nil, nil, err
			}
		}
		errs, err := s.checkProduct(ctx, tx, id, in.Sku, in.Name, in.FeatureKey, in.Unit, tiers)
		if err != nil || !errs.Empty() {
			return nil, errs, err
		}
		if len(in.AppendTiers) > 0 {
			in.Tiers, in.AppendTiers = tiers, nil
		}
		return saved(tx.Product.UpdateOneID(id).SetInput(in).Save(ctx))
	})
}

// ---- contracts -------------------------------------------------------------

type contractFields struct {
	number, currency     *string
	start, end           *time.Time
	arr                  *int64
	accountID, renewalBy *int
}

func (s *Service) checkContract(ctx context.Context, tx *ent.Client, self int, f contractFields) (usererr.List, error) {
	var c check
	c.requiredPtr(f.number, "number")
	c.maxLen(f.number, 64, "number")
	c.nonNegative(f.arr, "arrMinor")
	if f.currency != nil && !currencyOK(*f.currency) {
		c.add(usererr.InvalidValue, "currency must be an ISO 4217 code such as USD", "currency")
	}
	if f.start != nil && f.end != nil && f.end.Before(*f.start) {
		c.add(usererr.EndBeforeStart, "endDate must not be before startDate", "endDate")
	}
	if err := c.ref(ctx, f.accountID, account.Table, "accountID", accountExists(tx)); err != nil {
		return nil, err
	}
	if err := c.ref(ctx, f.renewalBy, user.Table, "renewalOwnerID", userExists(tx)); err != nil {
		return nil, err
	}
	err := c.taken(ctx, f.number, "number", func(ctx context.Context, v string) (bool, error) {
		return tx.Contract.Query().Where(contract.Number(v), contract.IDNEQ(self)).Exist(ctx)
	})
	return c.errs, err
}

func currencyOK(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// CreateContract creates a contract.
func (s *Service) CreateContract(ctx context.Context, in ent.CreateContractInput, key *string) (*ent.Contract, usererr.List, error) {
	return run(ctx, s, "contractCreate", func(ctx context.Context, tx *ent.Client) (*ent.Contract, usererr.List, error) {
		return keyed(ctx, tx, key, "contractCreate", in, tx.Contract.Get, func(v *ent.Contract) int { return v.ID }, func(ctx context.Context) (*ent.Contract, usererr.List, error) {
			var errs usererr.List
			if in.AccountID == 0 {
				errs.Add(usererr.Required, "accountID is required", path("accountID")...)
				return nil, errs, nil
			}
			errs, err := s.checkContract(ctx, tx, 0, contractFields{
				number: &in.Number, currency: in.Currency, start: &in.StartDate, end: &in.EndDate,
				arr: in.ArrMinor, accountID: &in.AccountID, renewalBy: in.RenewalOwnerID,
			})
			if err != nil || !errs.Empty() {
				return nil, errs, err
			}
			return saved(tx.Contract.Create().SetInput(in).Save(ctx))
		})
	})
}

// UpdateContract changes a contract. Dates are checked against the stored
// ones when only one side changes.
func (s *Service) UpdateContract(ctx context.Context, id int, in ent.UpdateContractInput) (*ent.Contract, usererr.List, error) {
	return run(ctx, s, "contractUpdate", func(ctx context.Context, tx *ent.Client) (*ent.Contract, usererr.List, error) {
		cur, err := tx.Contract.Get(ctx, id)
		if ent.IsNotFound(err) {
			return nil, notFoundID("contract"), nil
		}
		if err != nil {
			return nil, nil, err
		}
		start, end := cur.StartDate, cur.EndDate
		if in.StartDate != nil {
			start = *in.StartDate
		}
		if in.EndDate != nil {
			end = *in.EndDate
		}
		errs, err := s.checkContract(ctx, tx, id, contractFields{
			number: in.Number, currency: in.Currency, start: &start, end: &end,
			arr: in.ArrMinor, accountID: in.AccountID, renewalBy: in.RenewalOwnerID,
		})
		if err != nil || !errs.Empty() {
			return nil, errs, err
		}
		return saved(tx.Contract.UpdateOneID(id).SetInput(in).Save(ctx))
	})
}

// ---- contract items --------------------------------------------------------

func (s *Service) checkItem(ctx context.Context, tx *ent.Client, contractID, productID *int, qty, price *int64, tier *string) (usererr.List, error) {
	var c check
	c.nonNegative(qty, "quantity")
	c.nonNegative(price, "unitPriceMinor")
	c.maxLen(tier, 50, "tier")
	if err := c.ref(ctx, contractID, contract.Table, "contractID", func(ctx context.Context, id int) (bool, error) {
		return tx.Contract.Query().Where(contract.ID(id)).Exist(ctx)
	}); err != nil {
		return nil, err
	}
	var p *ent.Product
	if err := c.ref(ctx, productID, product.Table, "productID", func(ctx context.Context, id int) (bool, error) {
		var err error
		p, err = tx.Product.Get(ctx, id)
		if ent.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	}); err != nil {
		return nil, err
	}
	if p != nil && tier != nil && *tier != "" && len(p.Tiers) > 0 && !contains(p.Tiers, *tier) {
		c.add(usererr.InvalidValue, "tier is not offered by the product (offered: "+strings.Join(p.Tiers, ", ")+")", "tier")
	}
	return c.errs, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// CreateContractItem adds a product to a contract.
func (s *Service) CreateContractItem(ctx context.Context, in ent.CreateContractItemInput, key *string) (*ent.ContractItem, usererr.List, error) {
	return run(ctx, s, "contractItemCreate", func(ctx context.Context, tx *ent.Client) (*ent.ContractItem, usererr.List, error) {
		return keyed(ctx, tx, key, "contractItemCreate", in, tx.ContractItem.Get, func(v *ent.ContractItem) int { return v.ID }, func(ctx context.Context) (*ent.ContractItem, usererr.List, error) {
			var errs usererr.List
			if in.ContractID == 0 {
				errs.Add(usererr.Required, "contractID is required", path("contractID")...)
			}
			if in.ProductID == 0 {
				errs.Add(usererr.Required, "productID is required", path("productID")...)
			}
			if !errs.Empty() {
				return nil, errs, nil
			}
			errs, err := s.checkItem(ctx, tx, &in.ContractID, &in.ProductID, &in.Quantity, in.UnitPriceMinor, in.Tier)
			if err != nil || !errs.Empty() {
				return nil, errs, err
			}
			return saved(tx.ContractItem.Create().SetInput(in).Save(ctx))
		})
	})
}

// UpdateContractItem changes a contract item. A new tier is checked against
// the item's (possibly new) product.
func (s *Service) UpdateContractItem(ctx context.Context, id int, in ent.UpdateContractItemInput) (*ent.ContractItem, usererr.List, error) {
	return run(ctx, s, "contractItemUpdate", func(ctx context.Context, tx *ent.Client) (*ent.ContractItem, usererr.List, error) {
		cur, err := tx.ContractItem.Query().Where(contractitem.ID(id)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, notFoundID("contract item"), nil
		}
		if err != nil {
			return nil, nil, err
		}
		productID := in.ProductID
		if productID == nil && in.Tier != nil {
			productID = &cur.ProductID
		}
		errs, err := s.checkItem(ctx, tx, in.ContractID, productID, in.Quantity, in.UnitPriceMinor, in.Tier)
		if err != nil || !errs.Empty() {
			return nil, errs, err
		}
		return saved(tx.ContractItem.UpdateOneID(id).SetInput(in).Save(ctx))
	})
}
