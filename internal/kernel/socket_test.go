//go:build linux

package kernel

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The receive buffer the socket reports is what the kernel granted:
// everything asked for with CAP_NET_ADMIN (root), else at most
// net.core.rmem_max, which the receiver then warns about.
func TestReceiveBufferGranted(t *testing.T) {
	const want = 1 << 20
	s, err := openNetlinkSocket(0, want)
	if err != nil {
		t.Skipf("no audit netlink socket here: %v", err)
	}
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	if os.Geteuid() == 0 {
		assert.Equal(t, want, s.receiveBuffer)
	} else {
		text, err := os.ReadFile("/proc/sys/net/core/rmem_max")
		require.NoError(t, err)
		rmemMax, err := strconv.Atoi(strings.TrimSpace(string(text)))
		require.NoError(t, err)
		assert.Equal(t, min(want, rmemMax), s.receiveBuffer)
	}
}
