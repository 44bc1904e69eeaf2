// Package metrictest reads a component's own telemetry in the tests of
// both receivers.
package metrictest // import "github.com/auditkernel/auditkernel/internal/metrictest"

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Counter is the int64 counter name summed over its data points; 0 when it
// was never recorded.
func Counter(tb testing.TB, tt *componenttest.Telemetry, name string) int64 {
	tb.Helper()
	m, err := tt.GetMetric(name)
	if err != nil {
		return 0 // never recorded
	}
	data, ok := m.Data.(metricdata.Sum[int64])
	require.True(tb, ok, "%s is an int64 counter", name)
	var total int64
	for _, dp := range data.DataPoints {
		total += dp.Value
	}
	return total
}
