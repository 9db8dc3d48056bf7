package graph

import (
	"github.com/opsgraph/opsgraph/graph/model"
	"github.com/opsgraph/opsgraph/internal/orders"
)

// orderActions names the order actions in the API.
var orderActions = map[orders.Action]model.OrderAction{
	orders.ActionUpdate:            model.OrderActionUpdate,
	orders.ActionSubmit:            model.OrderActionSubmit,
	orders.ActionValidate:          model.OrderActionValidate,
	orders.ActionStartProvisioning: model.OrderActionStartProvisioning,
	orders.ActionFulfill:           model.OrderActionFulfill,
	orders.ActionReject:            model.OrderActionReject,
	orders.ActionCancel:            model.OrderActionCancel,
}

func orderLines(in []*model.OrderLineInput) []orders.LineInput {
	if in == nil {
		return nil
	}
	out := make([]orders.LineInput, len(in))
	for i, l := range in {
		out[i] = orders.LineInput{Action: l.Action, ProductID: l.ProductID, Quantity: l.Quantity, Tier: l.Tier}
	}
	return out
}

func orderCreateInput(in *model.OrderCreateInput) *orders.CreateInput {
	if in == nil {
		return nil
	}
	lines := orderLines(in.Lines)
	if lines == nil {
		lines = []orders.LineInput{}
	}
	return &orders.CreateInput{AccountID: in.AccountID, ContractID: in.ContractID, Number: in.Number, Lines: lines}
}

func text(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
