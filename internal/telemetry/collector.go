package telemetry

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchyard-gw/switchyard/internal/account"
	"github.com/switchyard-gw/switchyard/internal/schedule"
)

// AccountStates reads the shared state of every account (schedule.Scheduler.States).
type AccountStates func(ctx context.Context) (map[string]*schedule.AccountState, error)

// accountCollector reports how many accounts are cooling down or disabled,
// read from the shared store at scrape time. A failed or slow read reports
// nothing (a gap, not a misleading zero) and counts a Redis error.
type accountCollector struct {
	states   AccountStates
	pool     func() *account.Pool
	timeout  time.Duration
	failed   func()
	cooling  *prometheus.Desc
	disabled *prometheus.Desc
}

// WatchAccounts registers the switchyard_accounts_cooling and
// switchyard_accounts_disabled gauges. pool, when set, limits the counts to
// the accounts of the current pool file and adds the ones the file disables.
func (m *Metrics) WatchAccounts(states AccountStates, pool func() *account.Pool, timeout time.Duration) {
	if timeout <= 0 {
		timeout = time.Second
	}
	m.reg.MustRegister(&accountCollector{
		states: states, pool: pool, timeout: timeout,
		failed:   func() { m.RedisError(RedisOpAccountStates) },
		cooling:  prometheus.NewDesc("switchyard_accounts_cooling", "Accounts with at least one active cooldown (account-wide or for a model group).", nil, nil),
		disabled: prometheus.NewDesc("switchyard_accounts_disabled", "Accounts taken out of the pool, by an operator or by the accounts file.", nil, nil),
	})
}

func (c *accountCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.cooling
	ch <- c.disabled
}

func (c *accountCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	states, err := c.states(ctx)
	if err != nil {
		c.failed()
		return
	}
	cooling, disabled := 0, 0
	count := func(fileDisabled bool, st *schedule.AccountState) {
		if fileDisabled || (st != nil && st.Disabled) {
			disabled++
		}
		if st != nil && len(st.Cooldowns) > 0 {
			cooling++
		}
	}
	if c.pool != nil {
		for _, a := range c.pool().Accounts() {
			count(a.Disabled, states[a.ID])
		}
	} else {
		for _, st := range states {
			count(false, st)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.cooling, prometheus.GaugeValue, float64(cooling))
	ch <- prometheus.MustNewConstMetric(c.disabled, prometheus.GaugeValue, float64(disabled))
}
