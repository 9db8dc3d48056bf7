package orders

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/account"
	"github.com/opsgraph/opsgraph/ent/contract"
	"github.com/opsgraph/opsgraph/ent/order"
	"github.com/opsgraph/opsgraph/ent/orderline"
	"github.com/opsgraph/opsgraph/ent/product"
	"github.com/opsgraph/opsgraph/ent/schema/schematype"
	"github.com/opsgraph/opsgraph/internal/audit"
	"github.com/opsgraph/opsgraph/internal/idempotency"
	"github.com/opsgraph/opsgraph/internal/txn"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// Field length limits, as in ent/schema.
const (
	maxNumber     = 64
	maxTier       = 50
	maxNote       = 2000
	maxReason     = 100
	maxInvoiceRef = 100
	// MaxLines is the most lines an order may have.
	MaxLines = 200
)

// LineInput is one line of a new or updated order.
type LineInput struct {
	Action    orderline.Action
	ProductID int
	// Quantity requested; nil or 0 takes the contract item's quantity for
	// ADD and RENEW (RENEW: keeps the entitlement's limit).
	Quantity *int64
	Tier     *string
}

// CreateInput is a new order.
type CreateInput struct {
	AccountID  int
	ContractID *int
	// Number is generated (ORD-…) when nil.
	Number *string
	Lines  []LineInput
}

// UpdateInput changes a DRAFT order; Lines, when not nil, replaces its lines.
type UpdateInput struct {
	OrderID    int
	ContractID *int
	Lines      []LineInput
}

func in(path ...string) []string { return append([]string{"input"}, path...) }

var reasonCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// lock reads the order an action names, locked for update on PostgreSQL so
// concurrent actions on one order apply one after the other (SQLite admits
// one writer at a time already).
func lock(ctx context.Context, tx *ent.Client, id int) (*ent.Order, usererr.List, error) {
	return txn.Lock(ctx, id, order.Table, "orderID", func(ctx context.Context) (*ent.Order, error) {
		return tx.Order.Query().Where(order.ID(id)).Modify(txn.ForUpdate).Only(ctx)
	})
}

// transition moves o by action, stamping the new state's timestamp and
// appending an OrderEvent; set adds the action's own changes. An action the
// state does not allow is an INVALID_TRANSITION failure.
func (s *Service) transition(ctx context.Context, tx *ent.Client, o *ent.Order, a Action, note string, set func(*ent.OrderUpdateOne)) (*ent.Order, usererr.List, error) {
	to, err := Next(o.Status, a)
	if te, ok := err.(*TransitionError); ok {
		var l usererr.List
		l.Add(usererr.InvalidTransition, te.Error(), in("orderID")...)
		return nil, l, nil
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	upd := tx.Order.UpdateOneID(o.ID).SetStatus(to)
	if f := StampField(to); f != "" && to != o.Status {
		if err := upd.Mutation().SetField(f, now); err != nil {
			return nil, nil, err
		}
	}
	if set != nil {
		set(upd)
	}
	saved, err := upd.Save(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("saving order: %w", err)
	}
	if to != o.Status {
		err = tx.OrderEvent.Create().SetOrderID(o.ID).SetFromStatus(o.Status).SetToStatus(to).
			SetActor(audit.Actor(ctx)).SetNote(note).SetAt(now).Exec(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("recording order event: %w", err)
		}
	}
	return saved, nil, nil
}

// checkNote fails a note longer than the schema allows.
func checkNote(l *usererr.List, note string, field string) {
	if utf8.RuneCountInString(note) > maxNote {
		l.Add(usererr.TooLong, fmt.Sprintf("%s must be at most %d characters", field, maxNote), in(field)...)
	}
}

// checkLines checks the shape of lines (the rules against the contract and
// catalog are orderValidate's): real active-or-not products, one line per
// product, no negative quantity, a tier of sane length.
func checkLines(ctx context.Context, tx *ent.Client, lines []LineInput, field string) (usererr.List, error) {
	var l usererr.List
	if len(lines) > MaxLines {
		l.Add(usererr.TooMany, fmt.Sprintf("an order has at most %d lines", MaxLines), in(field)...)
		return l, nil
	}
	seen := map[int]bool{}
	var ids []int
	for i, ln := range lines {
		at := func(f string) []string { return in(field, fmt.Sprint(i), f) }
		if code, ok := usererr.ForRef(ln.ProductID, product.Table); !ok {
			l.Add(code, "productID does not name a product", at("productID")...)
		} else if seen[ln.ProductID] {
			l.Add(usererr.InvalidValue, "an order has one line per product", at("productID")...)
		} else {
			seen[ln.ProductID] = true
			ids = append(ids, ln.ProductID)
		}
		if ln.Quantity != nil && *ln.Quantity < 0 {
			l.Add(usererr.NegativeValue, "quantity must not be negative", at("quantity")...)
		}
		if ln.Tier != nil && utf8.RuneCountInString(*ln.Tier) > maxTier {
			l.Add(usererr.TooLong, fmt.Sprintf("tier must be at most %d characters", maxTier), at("tier")...)
		}
		if orderline.ActionValidator(ln.Action) != nil {
			l.Add(usererr.InvalidValue, "action must be ADD, CHANGE, REMOVE or RENEW", at("action")...)
		}
	}
	if len(ids) == 0 {
		return l, nil
	}
	found, err := tx.Product.Query().Where(product.IDIn(ids...)).IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("checking products: %w", err)
	}
	exists := map[int]bool{}
	for _, id := range found {
		exists[id] = true
	}
	for i, ln := range lines {
		if seen[ln.ProductID] && !exists[ln.ProductID] {
			l.Add(usererr.NotFound, "productID does not name a product", in(field, fmt.Sprint(i), "productID")...)
		}
	}
	return l, nil
}

// checkContract checks that contractID names a contract the caller can see.
func checkContract(ctx context.Context, tx *ent.Client, id *int, l *usererr.List) error {
	if id == nil {
		return nil
	}
	if code, ok := usererr.ForRef(*id, contract.Table); !ok {
		l.Add(code, "contractID does not name a contract", in("contractID")...)
		return nil
	}
	ok, err := tx.Contract.Query().Where(contract.ID(*id)).Exist(ctx)
	if err != nil {
		return fmt.Errorf("checking contract: %w", err)
	}
	if !ok {
		l.Add(usererr.NotFound, "contractID does not name a contract", in("contractID")...)
	}
	return nil
}

func createLines(ctx context.Context, tx *ent.Client, orderID int, lines []LineInput) error {
	if len(lines) == 0 {
		return nil
	}
	bulk := make([]*ent.OrderLineCreate, len(lines))
	for i, ln := range lines {
		c := tx.OrderLine.Create().SetOrderID(orderID).SetAction(ln.Action).SetProductID(ln.ProductID).SetNillableTier(ln.Tier)
		if ln.Quantity != nil {
			c.SetQuantity(*ln.Quantity)
		}
		bulk[i] = c
	}
	if err := tx.OrderLine.CreateBulk(bulk...).Exec(ctx); err != nil {
		return fmt.Errorf("saving order lines: %w", err)
	}
	return nil
}

// newNumber makes an order number: ORD- and 10 random base-32 characters.
func newNumber() string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ" // Crockford
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "ORD-" + string(b)
}

// create makes a DRAFT order inside tx. key, when set, is recorded on the
// order (unique per account): a concurrent request with the same key that
// got there first makes this one lose the race (idempotency.ErrRace).
func (s *Service) create(ctx context.Context, tx *ent.Client, in0 CreateInput, key *string) (*ent.Order, usererr.List, error) {
	var l usererr.List
	if code, ok := usererr.ForRef(in0.AccountID, account.Table); !ok {
		l.Add(code, "accountID does not name an account", in("accountID")...)
	} else if ok, err := tx.Account.Query().Where(account.ID(in0.AccountID)).Exist(ctx); err != nil {
		return nil, nil, fmt.Errorf("checking account: %w", err)
	} else if !ok {
		l.Add(usererr.NotFound, "accountID does not name an account", in("accountID")...)
	}
	if err := checkContract(ctx, tx, in0.ContractID, &l); err != nil {
		return nil, nil, err
	}
	number := newNumber()
	if in0.Number != nil {
		number = strings.TrimSpace(*in0.Number)
		switch {
		case number == "":
			l.Add(usererr.Required, "number must not be empty when given", in("number")...)
		case utf8.RuneCountInString(number) > maxNumber:
			l.Add(usererr.TooLong, fmt.Sprintf("number must be at most %d characters", maxNumber), in("number")...)
		default:
			taken, err := tx.Order.Query().Where(order.Number(number)).Exist(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("checking order number: %w", err)
			}
			if taken {
				l.Add(usererr.Taken, "number is already taken", in("number")...)
			}
		}
	}
	ll, err := checkLines(ctx, tx, in0.Lines, "lines")
	if err != nil {
		return nil, nil, err
	}
	l = append(l, ll...)
	if key != nil && l.Empty() {
		ll, err := keyFree(ctx, tx, in0.AccountID, *key)
		if err != nil {
			return nil, nil, err
		}
		l = append(l, ll...)
	}
	if !l.Empty() {
		return nil, l, nil
	}
	o, err := tx.Order.Create().SetNumber(number).SetAccountID(in0.AccountID).SetNillableContractID(in0.ContractID).
		SetNillableIdempotencyKey(key).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, nil, idempotency.ErrRace // a concurrent request took the key or number
	}
	if err != nil {
		return nil, nil, fmt.Errorf("saving order: %w", err)
	}
	if err := createLines(ctx, tx, o.ID, in0.Lines); err != nil {
		return nil, nil, err
	}
	err = tx.OrderEvent.Create().SetOrderID(o.ID).SetToStatus(schematype.OrderStatusDraft).
		SetActor(audit.Actor(ctx)).SetNote("created").SetAt(s.now()).Exec(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("recording order event: %w", err)
	}
	return o, nil, nil
}

// keyFree checks that no order of the account carries key. One that does
// was submitted under the key by a concurrent retry of the caller's that
// committed after the caller looked the key up (ErrRace: run again, which
// finds it), or by another caller (IDEMPOTENCY_KEY_REUSED).
func keyFree(ctx context.Context, tx *ent.Client, accountID int, key string) (usererr.List, error) {
	used, err := tx.Order.Query().Where(order.AccountID(accountID), order.IdempotencyKey(key)).Exist(ctx)
	if err != nil || !used {
		return nil, err
	}
	if mine, err := idempotency.Recorded(ctx, tx, key); err != nil || mine {
		return nil, cmp.Or(err, idempotency.ErrRace)
	}
	var l usererr.List
	l.Add(usererr.IdempotencyKeyReused, "this idempotencyKey was already used for another order of the account", "idempotencyKey")
	return l, nil
}

// Create creates a DRAFT order with its lines. With a key, a retry with the
// same input returns the order the first request created.
func (s *Service) Create(ctx context.Context, input CreateInput, key *string) (*ent.Order, usererr.List, error) {
	return idempotency.Run(ctx, s.client, "orderCreate", func(ctx context.Context, tx *ent.Client) (*ent.Order, usererr.List, error) {
		return idempotency.Do(ctx, tx, key, idempotency.Action[*ent.Order]{
			Name: "orderCreate", Input: input, Load: tx.Order.Get, ID: orderID,
			Create: func(ctx context.Context) (*ent.Order, usererr.List, error) { return s.create(ctx, tx, input, nil) },
		})
	})
}

func orderID(o *ent.Order) int { return o.ID }

// Update changes a DRAFT order.
func (s *Service) Update(ctx context.Context, input UpdateInput) (*ent.Order, usererr.List, error) {
	return idempotency.Run(ctx, s.client, "orderUpdate", func(ctx context.Context, tx *ent.Client) (*ent.Order, usererr.List, error) {
		o, l, err := lock(ctx, tx, input.OrderID)
		if err != nil || !l.Empty() {
			return nil, l, err
		}
		if err := checkContract(ctx, tx, input.ContractID, &l); err != nil {
			return nil, nil, err
		}
		if input.Lines != nil {
			ll, err := checkLines(ctx, tx, input.Lines, "lines")
			if err != nil {
				return nil, nil, err
			}
			l = append(l, ll...)
		}
		if !l.Empty() {
			return nil, l, nil
		}
		saved, l, err := s.transition(ctx, tx, o, ActionUpdate, "", func(u *ent.OrderUpdateOne) {
			if input.ContractID != nil {
				u.SetContractID(*input.ContractID)
			}
			u.SetUpdatedAt(s.now())
		})
		if err != nil || !l.Empty() || input.Lines == nil {
			return saved, l, err
		}
		if _, err := tx.OrderLine.Delete().Where(orderline.OrderID(o.ID)).Exec(ctx); err != nil {
			return nil, nil, fmt.Errorf("replacing order lines: %w", err)
		}
		return saved, nil, createLines(ctx, tx, o.ID, input.Lines)
	})
}

// submit moves a DRAFT order to SUBMITTED: it needs lines and a contract
// (the rest is orderValidate's to judge).
func (s *Service) submit(ctx context.Context, tx *ent.Client, o *ent.Order, note string, key *string) (*ent.Order, usererr.List, error) {
	var l usererr.List
	checkNote(&l, note, "note")
	if o.Status == schematype.OrderStatusDraft {
		n, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).Count(ctx)
		if err != nil {
			return nil, nil, err
		}
		if n == 0 {
			l.Add(usererr.OrderHasNoLines, "an order needs at least one line to be submitted", in("orderID")...)
		}
		if o.ContractID == nil {
			l.Add(usererr.ContractRequired, "an order needs a contract to be submitted", in("orderID")...)
		}
	}
	if !l.Empty() {
		return nil, l, nil
	}
	return s.transition(ctx, tx, o, ActionSubmit, note, func(u *ent.OrderUpdateOne) {
		if key != nil && o.IdempotencyKey == nil {
			u.SetIdempotencyKey(*key)
		}
	})
}

// submitInput is what an orderSubmit idempotency key stands for.
type submitInput struct {
	OrderID *int         `json:"orderID,omitempty"`
	Order   *CreateInput `json:"order,omitempty"`
	Note    string       `json:"note,omitempty"`
}

// Submit submits an existing DRAFT order (orderID) or creates and submits a
// new one (order); exactly one must be given. With a key, a retry with the
// same input returns the order the first request submitted, also when
// retries run concurrently.
func (s *Service) Submit(ctx context.Context, id *int, create *CreateInput, note string, key *string) (*ent.Order, usererr.List, error) {
	if (id == nil) == (create == nil) {
		var l usererr.List
		l.Add(usererr.InvalidValue, "give exactly one of orderID and order", "input")
		return nil, l, nil
	}
	input := submitInput{OrderID: id, Order: create, Note: note}
	return idempotency.Run(ctx, s.client, "orderSubmit", func(ctx context.Context, tx *ent.Client) (*ent.Order, usererr.List, error) {
		var o *ent.Order
		if id != nil {
			// Lock first: a concurrent retry waits here, then finds the key.
			var l usererr.List
			var err error
			if o, l, err = lock(ctx, tx, *id); err != nil || !l.Empty() {
				return nil, l, err
			}
		}
		return idempotency.Do(ctx, tx, key, idempotency.Action[*ent.Order]{
			Name: "orderSubmit", Input: input, Load: tx.Order.Get, ID: orderID,
			Create: func(ctx context.Context) (*ent.Order, usererr.List, error) {
				if o == nil {
					var l usererr.List
					var err error
					if o, l, err = s.create(ctx, tx, *create, key); err != nil || !l.Empty() {
						return nil, prefix(l, "order"), err
					}
				} else if key != nil && o.IdempotencyKey == nil {
					if l, err := keyFree(ctx, tx, o.AccountID, *key); err != nil || !l.Empty() {
						return nil, l, err
					}
				}
				return s.submit(ctx, tx, o, note, key)
			},
		})
	})
}

// prefix moves failures reported against input.X to input.<sub>.X.
func prefix(l usererr.List, sub string) usererr.List {
	for _, e := range l {
		if len(e.Field) > 0 && e.Field[0] == "input" {
			e.Field = append([]string{"input", sub}, e.Field[1:]...)
		}
	}
	return l
}

// simple runs an action that only moves the order's state.
func (s *Service) simple(ctx context.Context, name string, a Action, id int, note string, set func(*ent.OrderUpdateOne)) (*ent.Order, usererr.List, error) {
	return idempotency.Run(ctx, s.client, name, func(ctx context.Context, tx *ent.Client) (*ent.Order, usererr.List, error) {
		var l usererr.List
		checkNote(&l, note, "note")
		if !l.Empty() {
			return nil, l, nil
		}
		o, l, err := lock(ctx, tx, id)
		if err != nil || !l.Empty() {
			return nil, l, err
		}
		return s.transition(ctx, tx, o, a, note, set)
	})
}

// StartProvisioning moves a VALIDATED order to PROVISIONING.
func (s *Service) StartProvisioning(ctx context.Context, id int, note string) (*ent.Order, usererr.List, error) {
	return s.simple(ctx, "orderStartProvisioning", ActionStartProvisioning, id, note, nil)
}

// Cancel cancels an order that has not reached a final state.
func (s *Service) Cancel(ctx context.Context, id int, note string) (*ent.Order, usererr.List, error) {
	return s.simple(ctx, "orderCancel", ActionCancel, id, note, nil)
}

// Reject rejects a SUBMITTED, VALIDATED or PROVISIONING order with a reason
// code (upper case with underscores) and a note.
func (s *Service) Reject(ctx context.Context, id int, reason, note string) (*ent.Order, usererr.List, error) {
	reason, note = strings.TrimSpace(reason), strings.TrimSpace(note)
	var l usererr.List
	switch {
	case reason == "":
		l.Add(usererr.Required, "reason is required", in("reason")...)
	case len(reason) > maxReason:
		l.Add(usererr.TooLong, fmt.Sprintf("reason must be at most %d characters", maxReason), in("reason")...)
	case !reasonCode.MatchString(reason):
		l.Add(usererr.InvalidValue, "reason must be a code in upper case with underscores, e.g. CREDIT_HOLD", in("reason")...)
	}
	if note == "" {
		l.Add(usererr.Required, "note is required", in("note")...)
	}
	if !l.Empty() {
		return nil, l, nil
	}
	return s.simple(ctx, "orderReject", ActionReject, id, note, func(u *ent.OrderUpdateOne) {
		u.SetRejectionReason(reason).SetRejectionNote(note)
	})
}

// MarkInvoiced records that finance invoiced a FULFILLED order. Repeating
// it with the same reference changes nothing.
func (s *Service) MarkInvoiced(ctx context.Context, id int, ref string) (*ent.Order, usererr.List, error) {
	ref = strings.TrimSpace(ref)
	return idempotency.Run(ctx, s.client, "orderMarkInvoiced", func(ctx context.Context, tx *ent.Client) (*ent.Order, usererr.List, error) {
		var l usererr.List
		switch {
		case ref == "":
			l.Add(usererr.Required, "invoiceReference is required", in("invoiceReference")...)
		case utf8.RuneCountInString(ref) > maxInvoiceRef:
			l.Add(usererr.TooLong, fmt.Sprintf("invoiceReference must be at most %d characters", maxInvoiceRef), in("invoiceReference")...)
		}
		if !l.Empty() {
			return nil, l, nil
		}
		o, l, err := lock(ctx, tx, id)
		if err != nil || !l.Empty() {
			return nil, l, err
		}
		switch {
		case o.Status != schematype.OrderStatusFulfilled:
			l.Add(usererr.InvalidTransition, fmt.Sprintf("cannot invoice an order that is %s: only FULFILLED orders are invoiced", o.Status), in("orderID")...)
		case o.BillingStatus == order.BillingStatusINVOICED && o.InvoiceReference == ref:
			return o, nil, nil // the same report again
		case o.BillingStatus != order.BillingStatusNOT_BILLED:
			l.Add(usererr.InvalidTransition, fmt.Sprintf("cannot invoice an order whose billing status is %s", o.BillingStatus), in("orderID")...)
		}
		if !l.Empty() {
			return nil, l, nil
		}
		saved, err := tx.Order.UpdateOneID(o.ID).SetBillingStatus(order.BillingStatusINVOICED).SetInvoiceReference(ref).Save(ctx)
		return saved, nil, err
	})
}
