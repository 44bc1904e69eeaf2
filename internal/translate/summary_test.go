//go:build !windows

package translate

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/auditkernel/auditkernel/internal/coalesce"
)

func TestSummary(t *testing.T) {
	for _, c := range []struct{ actor, action, object, how, want string }{
		{want: ""},
		{how: "sshd", want: "via sshd"},
		{actor: "root", want: "root"},
		{action: "opened-file", object: "/etc/passwd", want: "opened-file /etc/passwd"},
		{actor: "root", action: "opened-file", object: "/etc/passwd", how: "/bin/cat", want: "root opened-file /etc/passwd via /bin/cat"},
		{actor: "root", how: "/bin/cat", want: "root via /bin/cat"},
	} {
		var ev coalesce.Event
		ev.Summary.Actor.Primary, ev.Summary.Action, ev.Summary.Object.Primary, ev.Summary.How = c.actor, c.action, c.object, c.how
		assert.Equal(t, c.want, summary(&ev))
		// One allocation at most: the builder is sized first.
		assert.LessOrEqual(t, testing.AllocsPerRun(10, func() { summary(&ev) }), 1.0, c.want)
	}
}
