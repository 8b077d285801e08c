package engine

import (
	"fmt"

	"github.com/genform/genform/providers"
)

// ambiguity counts one instance's paid attempts that may have been charged without a result
// (providers.Job.PossiblyCharged). Only the instance's own generation touches it.
type ambiguity struct {
	attempts int
	price    providers.Price // the request's estimated price, for each attempt
}

func (a *ambiguity) cost() providers.Price {
	return providers.Price{USD: a.price.USD * float64(a.attempts), Known: a.price.Known}
}

// possiblyCharged records an attempt of ch that may have been charged, and tells whether the
// budget allows another: the plan's estimate plus every possibly charged attempt so far plus
// one more must stay within it. An attempt whose price is unknown is counted, not budgeted,
// as plan leaves unpriced models out of its estimate.
func (e *executor) possiblyCharged(ch *Change, a *ambiguity) error {
	a.attempts++
	a.price = ch.Cost
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &e.sum
	s.Ambiguous++
	if !ch.Cost.Known {
		s.AmbiguousUnknown++
		return nil
	}
	s.AmbiguousCost += ch.Cost.USD
	budget := e.p.cfg.Settings.Budget
	if budget == nil {
		return nil
	}
	if !e.planCostKnown {
		e.planCost, _ = e.plan.Cost()
		e.planCostKnown = true
	}
	if worst := e.planCost + s.AmbiguousCost + ch.Cost.USD; worst > *budget+1e-9 {
		return fmt.Errorf("another attempt would bring the estimate with what may have been charged to $%.2f, above the budget of $%.2f", worst, *budget)
	}
	return nil
}
