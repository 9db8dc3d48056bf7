package masterdata

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/opsgraph/opsgraph/ent"
	"github.com/opsgraph/opsgraph/ent/schema"
	"github.com/opsgraph/opsgraph/internal/policy"
	"github.com/opsgraph/opsgraph/internal/usererr"
)

// check collects the business rule failures of one input.
type check struct {
	errs usererr.List
}

func path(field string) []string { return []string{"input", field} }

func (c *check) add(code usererr.Code, msg, field string) {
	c.errs.Add(code, msg, path(field)...)
}

// required fails when a required string is empty after trimming.
func (c *check) required(v, field string) {
	if strings.TrimSpace(v) == "" {
		c.add(usererr.Required, field+" is required", field)
	}
}

// requiredPtr is required for an optional update field that, when given,
// may not be empty.
func (c *check) requiredPtr(v *string, field string) {
	if v != nil {
		c.required(*v, field)
	}
}

func (c *check) maxLen(v *string, n int, field string) {
	if v != nil && utf8.RuneCountInString(*v) > n {
		c.add(usererr.TooLong, fmt.Sprintf("%s must be at most %d characters", field, n), field)
	}
}

// email fails when v is given and is not a plain address. The message never
// echoes the value (it may be PII).
func (c *check) email(v *string, field string) {
	if v == nil || *v == "" {
		return
	}
	a, err := mail.ParseAddress(*v)
	if err != nil || a.Address != *v || !schema.EmailPattern.MatchString(*v) {
		c.add(usererr.InvalidEmail, field+" is not a valid email address", field)
	}
}

func (c *check) nonNegative(v *int64, field string) {
	if v != nil && *v < 0 {
		c.add(usererr.NegativeValue, field+" must not be negative", field)
	}
}

// ref checks that id names an existing row of table; exists is only called
// when the id is of the right type.
func (c *check) ref(ctx context.Context, id *int, table, field string, exists func(context.Context, int) (bool, error)) error {
	if id == nil {
		return nil
	}
	if code, ok := usererr.ForRef(*id, table); !ok {
		msg := field + " refers to no existing record"
		if code == usererr.WrongType {
			msg = field + " refers to a record of the wrong type"
		}
		c.add(code, msg, field)
		return nil
	}
	ok, err := exists(ctx, *id)
	if err != nil {
		return fmt.Errorf("checking %s: %w", field, err)
	}
	if !ok {
		c.add(usererr.NotFound, field+" refers to no existing record", field)
	}
	return nil
}

// taken fails when a unique value is already used by another row.
func (c *check) taken(ctx context.Context, v *string, field string, exists func(context.Context, string) (bool, error)) error {
	if v == nil || *v == "" {
		return nil
	}
	ok, err := exists(ctx, *v)
	if err != nil {
		return fmt.Errorf("checking %s: %w", field, err)
	}
	if ok {
		c.add(usererr.Taken, field+" is already taken", field)
	}
	return nil
}

// fromSave turns the errors ent reports on save into failures where they are
// the caller's fault: a schema validator refusing a value, or a uniqueness
// constraint lost to a concurrent writer. Other errors pass through.
func fromSave(err error) (usererr.List, error) {
	if err == nil {
		return nil, nil
	}
	var l usererr.List
	var verr *ent.ValidationError
	switch {
	case errors.As(err, &verr):
		field := policy.FieldName(verr.Name)
		l.Add(usererr.InvalidValue, field+" is not acceptable", path(field)...)
		return l, nil
	case ent.IsConstraintError(err) && strings.Contains(strings.ToLower(err.Error()), "unique"):
		l.Add(usererr.Taken, "a unique value is already taken", "input")
		return l, nil
	}
	return nil, err
}
