//go:build !windows

package kernel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrependRuleKeepsItsFlag(t *testing.T) {
	appended, err := BuildRule("a", "-a always,exit -S openat -k k")
	require.NoError(t, err)
	prepended, err := BuildRule("b", "-A always,exit -S openat -k k")
	require.NoError(t, err)
	assert.Zero(t, appended.Wire[0]&auditFilterPrepend)
	assert.NotZero(t, prepended.Wire[0]&auditFilterPrepend)
	assert.Equal(t, appended.Wire[1:], prepended.Wire[1:], "only the prepend flag differs")
}
