package metrictest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

func TestCounter(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	meter := tt.NewTelemetrySettings().MeterProvider.Meter("test")
	c, err := meter.Int64Counter("c")
	require.NoError(t, err)

	assert.Zero(t, Counter(t, tt, "c"), "never recorded")
	c.Add(context.Background(), 2, metric.WithAttributes(attribute.String("k", "a")))
	c.Add(context.Background(), 3, metric.WithAttributes(attribute.String("k", "b")))
	c.Add(context.Background(), 4, metric.WithAttributes(attribute.String("k", "a")))
	assert.Equal(t, int64(9), Counter(t, tt, "c"), "both data points")
	assert.Zero(t, Counter(t, tt, "other"))
}
